// The page's frame around the views: the error banner, the core's badge,
// the progress line, the summary cards, the base choice and the drop
// overlay; and `renderAll`, which draws the frame and the views after the
// data changed.

import { listen } from './analysis.js';
import { $, h, fill } from './dom.js';
import { bytes, count, duration, moduleName, isModulePath } from './format.js';
import { filesFromDrop } from './intake.js';
import { REPLY } from './protocol.js';
import { state, moduleRows } from './state.js';
import { renderViews } from './views/registry.js';

export function showError(message) {
  const banner = $('error');
  banner.hidden = false;
  fill(banner, message, h('button', { class: 'link', onclick: () => (banner.hidden = true) }, 'Dismiss'));
}

/** What the page is doing, for tests and benchmarks: idle, running, importing, done, cancelled, failed. */
export function setPhase(phase) {
  document.body.dataset.phase = phase;
}

listen(REPLY.READY, ({ threads, threaded }) => {
  state.core = { threads, threaded };
  $('core-badge').textContent = threaded ? `${threads} thread${threads === 1 ? '' : 's'}` : '1 thread (page not cross-origin isolated)';
});

export function renderProgress() {
  const run = state.run;
  const box = $('progress');
  box.hidden = !run;
  if (!run) return;
  const running = run.phase === 'running';
  const elapsed = running ? performance.now() - run.started : run.ms;
  const quick = run.pass === 'shipped';
  const [done, total, doneBytes, totalBytes] = quick
    ? [run.done, run.total, run.doneBytes, run.totalBytes]
    : [run.fullDone, run.fullTotal, run.fullDoneBytes, run.fullTotalBytes];
  const fraction = totalBytes ? doneBytes / totalBytes : 0;
  $('progress-bar').value = running ? fraction : 1;
  $('cancel').hidden = !running;
  const parts = quick
    ? [`sizes as shipped: ${count(done)} / ${count(total)} files`, `${bytes(doneBytes)} of ${bytes(totalBytes)}`]
    : [`sizes as shipped: ${count(run.done)} files in ${duration(run.shippedMs)}`, `FULL: ${count(done)} / ${count(total)} modules`];
  parts.push(duration(elapsed));
  if (running && !state.base && run.done === 0) parts.push('finding the base…');
  if (running && fraction > 0.02) parts.push(`about ${duration(((elapsed - (quick ? 0 : run.shippedMs)) * (1 - fraction)) / fraction)} left`);
  if (!running) parts.push(run.phase);
  if (run.hashes) parts.push(run.hashes.ms ? `report hashes in ${duration(run.hashes.ms)}` : `report hashes: ${count(run.hashes.done)} / ${count(run.hashes.total)}`);
  $('progress-text').textContent = parts.join(' · ');
}

function renderSummary() {
  const rows = moduleRows();
  const shipped = rows.filter((r) => r.split);
  const full = rows.filter((r) => r.full);
  const failed = rows.filter((r) => r.status === 'failed').length;
  const splitBytes = shipped.reduce((a, r) => a + r.split.bytes, 0);
  const fullBytes = full.reduce((a, r) => a + r.full.bytes, 0);
  const saved = fullBytes - full.reduce((a, r) => a + r.split.bytes, 0);
  const partial = full.length < shipped.length ? ` (${count(full.length)} of ${count(shipped.length)})` : '';
  const card = (label, value, title) => h('div', { class: 'stat', title }, h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
  fill(
    $('summary'),
    card(state.base ? `base · ${count(state.base.types)} types` : 'base', state.base ? moduleName(state.base.path) : 'none', state.base ? state.base.path : 'No base BTF: add the vmlinux the modules were built against'),
    card('modules read', `${count(shipped.length)} / ${count(rows.length)}`),
    card('failed', count(failed)),
    card('SPLIT, as shipped', bytes(splitBytes), `${count(splitBytes)} bytes`),
    card(`FULL, stand-alone${partial}`, full.length ? bytes(fullBytes) : '…', `${count(fullBytes)} bytes`),
    card(fullBytes ? `saved by split BTF (${((100 * saved) / fullBytes).toFixed(1)}%)` : 'saved by split BTF', full.length ? bytes(saved) : '…', `${count(saved)} bytes`),
  );
  $('summary').dataset.failed = failed;
}

export function renderBaseChoice() {
  const select = $('base-choice');
  const candidates = state.rows.filter((r) => !isModulePath(r.path));
  const detected = state.baseChoice === 'auto' && state.base ? ` (found ${moduleName(state.base.path)})` : '';
  fill(
    select,
    h('option', { value: 'auto' }, `Auto-detect${detected}`),
    h('option', { value: 'none' }, 'No base'),
    candidates.map((r) => h('option', { value: r.index }, r.path)),
  );
  select.value = String(state.baseChoice);
  select.disabled = state.source === 'report';
}

/** Draws the frame and the views from the state, now. */
export function renderAll() {
  renderProgress();
  renderSummary();
  renderViews();
}

// During a run, a few renders a second: rendering every frame (re-sorting
// thousands of rows) kept the page's thread as busy as the core's.
const RUN_RENDER_MS = 250;
let renderPending = 0;
let renderedAt = 0;
/** Draws the frame and the views soon: during a run, at most four times a second. */
export function scheduleRender() {
  if (renderPending) return;
  const running = state.run && state.run.phase === 'running';
  const wait = running ? renderedAt + RUN_RENDER_MS - performance.now() : 0;
  renderPending = setTimeout(() => requestAnimationFrame(() => {
    renderPending = 0;
    renderedAt = performance.now();
    renderAll();
  }), Math.max(0, wait));
}

// Dropping anywhere on the page; the overlay shows where it will land.
let dragDepth = 0;

function dropped() {
  dragDepth = 0;
  document.body.classList.remove('dragging');
}

/** Calls `take(entries)` ({ file, path }) with what is dropped on `element`, not on the page. */
export function takeDrops(element, take) {
  element.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    dropped();
    filesFromDrop(e.dataTransfer).then((entries) => entries.length && take(entries));
  });
}

/** Calls `take(entries)` with what is dropped anywhere else on the page. */
export function initDrop(take) {
  document.addEventListener('dragenter', (e) => {
    e.preventDefault();
    dragDepth += 1;
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) document.body.classList.remove('dragging');
  });
  document.addEventListener('dragover', (e) => e.preventDefault());
  takeDrops(document, take);
}
