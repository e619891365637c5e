// The page: intake, progress, the module table, charts, module detail and
// reports. All analysis happens in the worker (core.js); this thread only
// renders, so it never blocks.

import { Core } from './core.js';
import { h, fill } from './dom.js';
import { bytes, count, duration, moduleName, isModulePath } from './format.js';
import { filesFromDrop, filesFromInput } from './intake.js';
import { ModuleTable } from './table.js';
import { chartsView } from './charts.js';
import { kindTable } from './kinds.js';
import { initEncode } from './encode.js';
import { toReport, fromReport, toText, checkReport } from './report.js';
import { readState, writeState } from './url.js';
import { sampleFiles } from './sample.js';

const $ = (id) => document.getElementById(id);

const COLUMNS = [
  { key: 'name', label: 'Module', width: 'minmax(140px, 1.5fr)', value: (r) => r.name, text: (r) => r.name },
  numeric('file_bytes', 'File bytes', (r) => r.file_bytes, 'Size of the file as given (compressed if it is)'),
  numeric('split_bytes', 'SPLIT bytes', (r) => r.split && r.split.bytes, 'The module\'s .BTF as shipped: split BTF on vmlinux'),
  numeric('split_types', 'SPLIT types', (r) => r.split && r.split.types, 'Types the module\'s split BTF holds'),
  numeric('dedup_bytes', 'Re-deduped', (r) => r.dedup && r.dedup.bytes, 'The module\'s split BTF deduplicated again against vmlinux by current libbpf rules'),
  numeric('dedup_saved', 'Re-dedup saves', (r) => r.dedup && r.split.bytes - r.dedup.bytes, 'Bytes a current deduplication removes from the shipped split BTF (stale tools leave duplicates of base types)'),
  numeric('full_bytes', 'FULL bytes', (r) => r.full && r.full.bytes, 'The module\'s BTF made stand-alone (with the base types it reaches) and deduplicated'),
  numeric('full_types', 'FULL types', (r) => r.full && r.full.types, 'Types of the FULL BTF'),
  numeric('saved', 'Split saves', (r) => r.full && r.full.bytes - r.split.bytes, 'Bytes split BTF saves against FULL'),
  numeric('base_types', 'Base types', (r) => r.full && r.base_types_reached, 'vmlinux types the module\'s types reach'),
  {
    key: 'status',
    label: 'Status',
    width: 'minmax(110px, 1.5fr)',
    value: statusText,
    text: statusText,
  },
];

const STATUS_TEXT = { pending: 'pending', shipped: 'FULL pending', partial: 'FULL cancelled', ok: 'ok', cancelled: 'cancelled' };
function statusText(r) {
  if (r.status === 'failed') return `error: ${r.error}`;
  // Checked against an imported report: its verdict says more than 'ok'.
  return r.verdict && r.status === 'ok' ? r.verdict : STATUS_TEXT[r.status];
}

function numeric(key, label, value, title) {
  return { key, label, title, numeric: true, width: 'minmax(80px, 1fr)', value, text: (r) => (value(r) === undefined ? '' : count(value(r))) };
}

const ui = readState();
const state = {
  source: '', // what the rows came from: 'sample', 'files' or 'report'
  files: [], // [{ file, path }] of the current run
  rows: [], // one per file, in file order; the base's row is left out of views
  baseChoice: 'auto', // 'auto', 'none' or a file index
  base: null, // { index, path, types, file_bytes }
  run: null, // the current run and its two passes, see start()
  core: null, // { threads, threaded } once the worker is up
  target: null, // { file, path }: the kernel the compat panel relocates onto
  compat: null, // { phase, total, outcomes: Map(row index → outcome) }, see runCompat()
  imported: null, // { base, rows } of an imported report, kept to check the files dropped next
  check: null, // the counts of that check, once the run is done (see checkReport)
};
let runCounter = 0;

const core = new Core(Number(new URLSearchParams(location.search).get('threads')) || 0, onCore);

// ---- intake ---------------------------------------------------------------

// The worker runs one request at a time: stopping it stops both kinds.
const working = () => [state.run, state.compat].some((job) => job && job.phase === 'running') || hashing();
// The run's table is complete, and the core still builds FULL BTFs for the report's hashes.
const hashing = () => Boolean(state.run && state.run.hashes && !state.run.hashes.ms);

function start(files, source) {
  if (working()) core.cancel();
  releaseHashWaiters();
  $('error').hidden = true; // an earlier run's
  state.compat = null;
  state.check = null;
  if (source === 'sample') state.imported = null;
  state.source = source;
  state.files = files;
  // File sizes come from the worker ('sizes'): reading them here could block.
  state.rows = files.map(({ path }, index) => ({ index, path, name: moduleName(path), status: 'pending' }));
  state.base = null;
  state.run = {
    id: ++runCounter,
    started: performance.now(),
    phase: 'running',
    pass: 'shipped',
    total: files.length,
    totalBytes: 0,
    done: 0, // files through the quick pass (the base counts as one)
    doneBytes: 0,
    fullTotal: 0, // modules the full pass will see: those the quick pass read
    fullTotalBytes: 0,
    fullDone: 0,
    fullDoneBytes: 0,
    rowOf: null, // the row of each file the worker was given, once resumed (see resumeRun)
    inFlight: null, // { pass, rows } of the batch the core is working on
    restarts: 0,
  };
  setPhase('running');
  const base = state.baseChoice === 'auto' ? 'auto' : state.baseChoice === 'none' ? null : state.baseChoice;
  core.run(files.map((f) => f.file), base);
  renderAll();
}

async function loadSample() {
  try {
    state.baseChoice = 'auto';
    start(await sampleFiles(), 'sample');
  } catch (e) {
    showError(`Could not load the sample: ${e.message}`);
  }
}

function cancel() {
  if (!state.run || state.run.phase !== 'running') return;
  core.cancel();
  for (const row of state.rows) {
    if (row.status === 'pending') row.status = 'cancelled';
    if (row.status === 'shipped') row.status = 'partial';
  }
  finish('cancelled');
}

function finish(phase) {
  state.run.phase = phase;
  state.run.ms = performance.now() - state.run.started;
  // For the benchmark and tests: what the user waited for the table.
  document.body.dataset.runMs = Math.round(state.run.ms);
  renderAll();
  setPhase(phase);
}

// Every FULL BTF of the run is hashed: the report is complete.
function onHashesDone(memoryBytes) {
  const run = state.run;
  run.hashes.ms = performance.now() - run.started;
  run.memoryBytes = memoryBytes;
  // For the benchmark and tests: the report's last hash, and the core's memory.
  document.body.dataset.hashesMs = Math.round(run.hashes.ms);
  document.body.dataset.wasmMemoryBytes = memoryBytes;
  if (state.imported && state.source === 'files') {
    state.check = checkReport(state.imported, state.base, moduleRows());
  }
  releaseHashWaiters();
  renderAll();
  document.body.dataset.hashes = 'done'; // once the table shows the check
  runCompat();
}

const hashWaiters = [];
/** Resolves once the current run's FULL BTFs are hashed (or never will be). */
const hashesReady = () => (hashing() ? new Promise((resolve) => hashWaiters.push(resolve)) : Promise.resolve());
const releaseHashWaiters = () => hashWaiters.splice(0).forEach((resolve) => resolve());

// ---- messages from the core -------------------------------------------------

function onCore(msg) {
  switch (msg.type) {
    case 'ready':
      state.core = { threads: msg.threads, threaded: msg.threaded };
      renderCoreBadge();
      break;
    case 'base':
      onBase(msg);
      break;
    case 'batch':
      state.run.inFlight = { pass: msg.pass, rows: msg.indexes.map(rowOf) };
      break;
    case 'rows':
      onRows(msg);
      break;
    case 'sizes':
      msg.sizes.forEach((size, i) => (state.rows[i].file_bytes = size));
      state.run.totalBytes = msg.sizes.reduce((a, b) => a + b, 0);
      scheduleRender();
      break;
    case 'pass-done':
      if (msg.pass === 'shipped') onQuickPassDone();
      else onFullPassDone();
      break;
    case 'hashes':
      onHashes(msg);
      break;
    case 'done':
      onHashesDone(msg.memoryBytes);
      break;
    case 'graph':
      onGraph(msg);
      break;
    case 'explain':
      if (msg.key === graphKey) renderExplain(msg);
      break;
    case 'compat-rows':
      msg.indexes.forEach((index, i) => state.compat.outcomes.set(index, msg.outcomes[i]));
      renderCompat();
      break;
    case 'compat-done':
      state.compat.phase = 'done';
      renderCompat();
      break;
    case 'error':
      onCoreError(msg);
      break;
    default:
      break;
  }
}

function onRows({ pass, indexes, outcomes, hashes }) {
  const rows = indexes.map(rowOf);
  rows.forEach((row, i) => onOutcome(pass, state.rows[row], outcomes[i], hashes && hashes[i]));
  clearInFlight(pass, rows);
  scheduleRender();
}

// The batch of `rows` is done; unless the core took another, it works on none.
function clearInFlight(pass, rows) {
  const inFlight = state.run.inFlight;
  if (inFlight && inFlight.pass === pass && inFlight.rows[0] === rows[0]) state.run.inFlight = null;
}

/** The row of the worker's file `index`. */
const rowOf = (index) => (state.run.rowOf ? state.run.rowOf[index] : index);

function onOutcome(pass, row, outcome, sha256) {
  const run = state.run;
  if (sha256) row.file_sha256 = sha256;
  if (outcome.status === 'failed') {
    row.status = 'failed';
    row.error = outcome.error;
  } else if (pass === 'shipped') {
    const stat = outcome.value;
    row.status = 'shipped';
    row.split = { bytes: stat.total_bytes, types: stat.types };
    row.kinds = { kinds: stat.kinds, string_bytes: stat.str_len };
  } else {
    const result = outcome.value;
    row.status = 'ok';
    const dedup = { bytes: result.dedup.dedup_bytes, types: result.dedup.dedup_types };
    Object.assign(row, { split: result.split, dedup, full: result.full, kinds: result.kinds, base_types_reached: result.base_types_reached, full_sha256: result.full_sha256 });
  }
  if (pass === 'shipped') {
    run.done += 1;
    run.doneBytes += row.file_bytes;
  } else {
    run.fullDone += 1;
    run.fullDoneBytes += row.file_bytes;
  }
}

function onFullPassDone() {
  if (state.run.phase !== 'running') return; // a run resumed in its last pass
  const total = state.rows.filter((r) => r.status === 'ok').length;
  state.run.hashes = { total, done: 0, ms: 0 };
  document.body.dataset.hashes = 'pending';
  finish('done');
}

function onHashes({ indexes, hashes }) {
  const rows = indexes.map(rowOf);
  rows.forEach((row, i) => hashes[i] && (state.rows[row].full_sha256 = hashes[i]));
  state.run.hashes.done += rows.length;
  clearInFlight('hash', rows);
  // Only the progress and an open module's detail show the hashes.
  renderProgress();
  if (ui.view === 'module' && rows.some((row) => state.rows[row] === selectedRow())) renderDetail();
}

function onQuickPassDone() {
  const run = state.run;
  if (run.pass !== 'shipped') return; // a run resumed in its full pass
  const readable = state.rows.filter((r) => r.status === 'shipped');
  Object.assign(run, { pass: 'full', shippedMs: performance.now() - run.started, fullTotal: readable.length, fullTotalBytes: readable.reduce((a, r) => a + r.file_bytes, 0) });
  // For the benchmark: when the table first had every module's sizes.
  document.body.dataset.shippedMs = Math.round(run.shippedMs);
}

function onBase({ index, types, sha256 }) {
  if (index === null) {
    state.base = null;
  } else {
    const row = state.rows[index];
    row.status = 'base';
    state.base = { index, path: row.path, types, file_bytes: row.file_bytes, file_sha256: sha256 };
    state.run.done += 1;
    state.run.doneBytes += row.file_bytes;
  }
  renderBaseChoice();
  scheduleRender();
}

function onCoreError({ request, message, died }) {
  if (request === 'compat') {
    Object.assign(state.compat, { phase: 'failed', error: message });
    renderCompat();
    return;
  }
  if (request === 'graph') {
    fill($('graph-note'), `The type graph could not be built: ${message}`);
    return;
  }
  const running = state.run && (state.run.phase === 'running' || hashing());
  // A worker that died ('worker': its panic, or an error it did not catch);
  // an error the core returned fails the run instead, as it would again.
  const dead = died || request === 'worker';
  if (running && dead && state.run.inFlight && state.run.restarts < MAX_RESTARTS) return recoverRun(message);
  showError(request === 'run' ? `Analysis failed: ${message}` : `The analysis core failed: ${message}`);
  if (state.run && state.run.phase === 'running') finish('failed');
  if (hashing()) {
    // The table stands; the report's FULL hashes will not come.
    state.run.hashes = null;
    document.body.dataset.hashes = 'failed';
    renderProgress();
  }
  releaseHashWaiters();
}

// Each restart reports a file or isolates a batch, so a run always moves
// on; this only stops a core that keeps dying for no file's sake.
const MAX_RESTARTS = 32;

// The worker died (a trap, a panic in a pool thread) on the batch it was
// working on. A fresh worker takes the rest of the run; a batch of several
// files is analysed again one file at a time, so that the file that kills
// the worker is found: that one is reported and skipped.
function recoverRun(message) {
  const run = state.run;
  const { pass, rows: suspects } = run.inFlight;
  run.inFlight = null;
  run.restarts += 1;
  core.cancel();
  if (suspects.length === 1) {
    const error = `the analysis worker died on this file and was restarted for the others (${message})`;
    const row = state.rows[suspects[0]];
    // Its figures stand; only its FULL hash is missing from the report.
    if (pass === 'hash') Object.assign(row, { full_sha256: undefined, hash_error: error });
    else onOutcome(pass, row, { status: 'failed', error });
    scheduleRender();
  } else {
    run.isolate = suspects;
  }
  resumeRun();
}

// Gives the fresh worker the base and the modules not done yet, saying
// which the quick pass already read.
function resumeRun() {
  const run = state.run;
  const unhashed = (r) => r.status === 'ok' && !r.full_sha256 && !r.hash_error;
  const todo = state.rows.filter((r) => r.status === 'pending' || r.status === 'shipped' || unhashed(r));
  run.rowOf = [...(state.base ? [state.base.index] : []), ...todo.map((r) => r.index)];
  const fileOf = new Map(run.rowOf.map((row, index) => [row, index]));
  const resume = {
    shipped: todo.filter((r) => r.status === 'shipped').map((r) => fileOf.get(r.index)),
    analysed: todo.filter(unhashed).map((r) => fileOf.get(r.index)),
    isolate: (run.isolate || []).filter((row) => fileOf.has(row)).map((row) => fileOf.get(row)),
  };
  core.run(run.rowOf.map((row) => state.files[row].file), state.base ? 0 : null, resume);
}

function showError(message) {
  const banner = $('error');
  banner.hidden = false;
  fill(banner, message, h('button', { class: 'link', onclick: () => (banner.hidden = true) }, 'Dismiss'));
}

// ---- rendering ---------------------------------------------------------------

const moduleRows = () => state.rows.filter((r) => r.status !== 'base');

// During a run, a few renders a second: rendering every frame (re-sorting
// thousands of rows) kept the page's thread as busy as the core's.
const RUN_RENDER_MS = 250;
let renderPending = 0;
let renderedAt = 0;
function scheduleRender() {
  if (renderPending) return;
  const running = state.run && state.run.phase === 'running';
  const wait = running ? renderedAt + RUN_RENDER_MS - performance.now() : 0;
  renderPending = setTimeout(() => requestAnimationFrame(() => {
    renderPending = 0;
    renderedAt = performance.now();
    renderAll();
  }), Math.max(0, wait));
}

function setPhase(phase) {
  document.body.dataset.phase = phase;
}

function renderAll() {
  renderProgress();
  renderSummary();
  table.setRows(moduleRows());
  renderWholeViews();
  if (ui.view === 'module') renderDetail();
  renderCompat();
}

// Charts and the text report are rebuilt whole: during a run, once a second.
let wholeViewsTimer = 0;
let wholeViewsAt = 0;
function renderWholeViews() {
  const wait = state.run && state.run.phase === 'running' ? wholeViewsAt + 1000 - performance.now() : 0;
  if (wait > 0) {
    wholeViewsTimer ||= setTimeout(() => {
      wholeViewsTimer = 0;
      renderWholeViews();
    }, wait);
    return;
  }
  wholeViewsAt = performance.now();
  if (ui.view === 'charts') renderCharts();
  if (ui.view === 'report') renderReport();
}

function renderCoreBadge() {
  const c = state.core;
  $('core-badge').textContent = c.threaded ? `${c.threads} thread${c.threads === 1 ? '' : 's'}` : '1 thread (page not cross-origin isolated)';
}

function renderProgress() {
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

function renderBaseChoice() {
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

function renderCharts() {
  fill($('charts'), chartsView(moduleRows(), (row) => selectModule(row, 'module')));
}

function renderReport() {
  $('report-text').textContent = toText({ base: state.base, rows: moduleRows() }, COLUMNS);
  const note = $('verify-summary');
  const c = state.check;
  note.hidden = !state.imported;
  if (c) {
    const parts = [`${count(c.verified)} verified`, `${count(c.differ)} differ`];
    if (c.extra) parts.push(`${count(c.extra)} not in the report`);
    if (c.missing) parts.push(`${count(c.missing)} of the report's modules not given`);
    if (c.base) parts.push(`base ${c.base}`);
    note.textContent = `Checked against the imported report: ${parts.join(', ')}.`;
    note.className = c.differ || c.extra || c.missing || (c.base && c.base !== 'verified') ? 'check bad' : 'check good';
    Object.assign(document.body.dataset, { verified: c.verified, differ: c.differ });
  } else if (state.imported) {
    note.textContent = 'An imported report: drop or pick the same files (the vmlinux and modules) to check every hash and figure against it.';
    note.className = 'check';
  }
}

// ---- module detail and type graph ----------------------------------------------

let graphView = null;
let graphKey = null;

function selectedRow() {
  return ui.module ? state.rows.find((r) => r.path === ui.module) : null;
}

function selectModule(row, view) {
  if (ui.module !== row.path) ui.type = null;
  ui.module = row.path;
  setView(view || ui.view);
}

function renderDetail() {
  const row = selectedRow();
  const title = $('detail-title');
  if (!row) {
    fill(title, 'No module selected');
    fill($('detail-body'), h('p', { class: 'hint' }, 'Pick a module in the table or the treemap.'));
    fill($('graph-note'));
    return;
  }
  fill(title, row.name, h('span', { class: 'path' }, row.path));
  const body = [];
  if (row.error) body.push(h('p', { class: 'error-text' }, row.error));
  if (row.split) {
    const { split, full } = row;
    body.push(
      h('dl', { class: 'facts' },
        fact('file', `${count(row.file_bytes)} bytes`),
        fact('SPLIT', `${count(split.bytes)} bytes, ${count(split.types)} types (as shipped)`),
        row.dedup && fact('re-deduped', `${count(row.dedup.bytes)} bytes, ${count(row.dedup.types)} types (${count(split.bytes - row.dedup.bytes)} bytes saved)`),
        fact('FULL', full ? `${count(full.bytes)} bytes, ${count(full.types)} types` : statusText(row)),
        full && fact('saved', `${count(full.bytes - split.bytes)} bytes (${((100 * (full.bytes - split.bytes)) / full.bytes).toFixed(1)}% of FULL)`),
        full && fact('base types', `${count(row.base_types_reached)} reached`),
        fact('strings', `${count(row.kinds.string_bytes)} bytes`),
        full && fact('FULL sha256', row.full_sha256 ? `${row.full_sha256.slice(0, 16)}…` : row.hash_error || 'being computed')),
      kindTable(row.kinds.kinds),
    );
  }
  fill($('detail-body'), body);
  requestGraph(row);
}

const fact = (term, value) => [h('dt', null, term), h('dd', null, value)];

// The explainer's findings: the module's types that duplicate or almost
// duplicate a vmlinux type, with the verdict in words.
const VERDICT_LABEL = { identical: 'identical', different: 'different', unmergeable: 'not mergeable' };
function renderExplain({ explanation, error }) {
  if (error) return fill($('detail-explain'), h('p', { class: 'error-text' }, `The explainer failed: ${error}`));
  const { counts, redup_saved_bytes: saved, findings } = explanation;
  fill(
    $('detail-explain'),
    h('h3', null, 'Duplicates of vmlinux types'),
    h('p', { class: 'hint', id: 'explain-summary' },
      `${count(counts.identical)} identical (a current dedup saves ${count(saved)} bytes), ${count(counts.different)} different, ${count(counts.unmergeable)} equivalent but not mergeable`),
    findings.length
      ? h('table', { class: 'kinds findings' },
        h('thead', null, h('tr', null, h('th', null, 'type'), h('th', null, 'vmlinux'), h('th', null, 'verdict'))),
        h('tbody', null, findings.map((f) => {
          const verdict = f.verdict.verdict;
          return h('tr', { class: verdict }, h('td', { title: `[${f.split_id}] ${f.kind}` }, f.name), h('td', { class: 'num' }, `[${f.base_id}]`), h('td', null, VERDICT_LABEL[verdict] ?? verdict, h('div', { class: 'why' }, f.text)));
        })))
      : null,
  );
}

function requestGraph(row) {
  const key = `${state.run ? state.run.id : 0}:${row.path}`;
  if (key === graphKey) return;
  const entry = state.files[row.index];
  if (!row.split || !entry || state.source === 'report') {
    // Not (yet) drawable: asked again once the module has been read.
    fill($('graph-note'), state.source === 'report' ? 'The type graph needs the files themselves; an imported report has only the figures.' : '');
    if (graphView) graphView.show({ nodes: [], edges: [] });
    return;
  }
  graphKey = key;
  fill($('graph-note'), 'Building the type graph…');
  fill($('detail-explain'), state.base ? h('p', { class: 'hint' }, 'Comparing the module\'s types with vmlinux…') : null);
  const base = state.base ? state.files[state.base.index].file : null;
  core.graph(key, base, entry.file, null);
}

// cytoscape is most of the page's code: loaded when a graph is first shown.
let graphViewLoading = null;
function typeGraphView() {
  graphViewLoading ||= import(/* webpackChunkName: "graph" */ './graph.js').then(({ TypeGraph }) => {
    graphView = new TypeGraph($('graph'), {
      onPick: (n) => {
        ui.type = Number(n.id);
        writeState(ui);
        fill($('graph-note'), typeNote(n));
      },
      onExpand: (id) => {
        const row = selectedRow();
        const base = state.base ? state.files[state.base.index].file : null;
        core.graph(graphKey, base, state.files[row.index].file, id);
      },
    });
    return graphView;
  });
  return graphViewLoading;
}

async function onGraph({ key, expand, graph }) {
  const view = await typeGraphView();
  if (key !== graphKey) return;
  if (expand === null) {
    view.show(graph);
    const local = graph.nodes.filter((n) => !n.base).length;
    fill($('graph-note'), `${count(local)} module types (blue) and ${count(graph.nodes.length - local)} base types they use (orange), ${count(graph.edges.length)} references. Scroll to zoom, drag to pan, click a type to see its neighbours; clicking an orange one adds what it refers to.`);
    if (ui.type) view.pick(ui.type);
  } else {
    const added = view.expand(expand, graph);
    const node = graph.nodes.find((n) => n.id === expand);
    if (node) fill($('graph-note'), `${typeNote(node)} · expanded: ${count(added)} more types`);
  }
}

const typeNote = (n) => `[${n.id}] ${n.kind} ${n.name || '(anonymous)'} · ${n.base ? 'base (vmlinux) type' : 'module type'}`;

// ---- compat: relocating the modules onto another kernel --------------------------

function setTarget(entry) {
  state.target = entry;
  if (state.compat && state.compat.phase === 'running') core.cancel();
  runCompat();
}

// Once a run is done: every module the quick pass read, on the run's base.
function runCompat() {
  state.compat = null;
  if (state.target && state.run && state.run.phase === 'done' && !hashing() && state.source !== 'report') {
    const modules = moduleRows().filter((r) => r.split).map((r) => ({ index: r.index, file: state.files[r.index].file }));
    state.compat = { phase: 'running', total: modules.length, outcomes: new Map() };
    core.compat(state.base ? state.files[state.base.index].file : null, state.target.file, modules);
  }
  renderCompat();
}

function cancelCompat() {
  if (!state.compat || state.compat.phase !== 'running') return;
  core.cancel();
  state.compat.phase = 'cancelled';
  renderCompat();
}

function compatStatus() {
  const c = state.compat;
  if (!state.target) return 'No target kernel yet.';
  if (!c) return state.source === 'report' ? 'Compat needs the files themselves; an imported report has only the figures.' : `${state.target.path}: waiting for the analysis to finish…`;
  const values = [...c.outcomes.values()];
  const relocate = values.filter((o) => o.status === 'ok' && o.value.relocates).length;
  const parts = [`onto ${state.target.path}`, `${count(values.length)} / ${count(c.total)} modules checked`, `${count(relocate)} relocate`];
  if (c.phase !== 'running') parts.push(c.phase === 'failed' ? `failed: ${c.error}` : c.phase);
  return parts.join(' · ');
}

const firstProblem = (o) => (o.status === 'failed' ? `error: ${o.error}` : o.value.problems.length ? o.value.problems[0].message : '');

function renderCompat() {
  const c = state.compat;
  document.body.dataset.compat = c ? c.phase : 'idle';
  $('compat-cancel').hidden = !c || c.phase !== 'running';
  $('compat-status').textContent = compatStatus();
  if (ui.view !== 'compat') return;
  const rows = c ? moduleRows().filter((r) => c.outcomes.has(r.index)) : [];
  const selected = rows.find((r) => r.path === ui.module) || rows[0];
  fill($('compat-table'), rows.length > 0 && [
    h('thead', null, h('tr', null, h('th', null, 'module'), h('th', null, 'relocates'), h('th', { class: 'num' }, 'problems'), h('th', null, 'first problem'))),
    h('tbody', null, rows.map((r) => {
      const o = c.outcomes.get(r.index);
      const ok = o.status === 'ok' && o.value.relocates;
      return h('tr', { class: `${ok ? 'yes' : 'no'}${r === selected ? ' selected' : ''}`, 'data-path': r.path, title: r.path, onclick: () => selectModule(r) },
        h('td', null, r.name),
        h('td', null, o.status === 'failed' ? 'error' : ok ? 'yes' : 'no'),
        h('td', { class: 'num' }, o.status === 'ok' ? count(o.value.problems.length) : ''),
        h('td', null, firstProblem(o)));
    })),
  ]);
  fill($('compat-detail'), selected && compatDetail(selected, c.outcomes.get(selected.index)));
}

function compatDetail(row, o) {
  const title = h('h3', null, row.name, h('span', { class: 'path' }, row.path));
  if (o.status === 'failed') return [title, h('p', { class: 'error-text' }, o.error)];
  const r = o.value;
  return [
    title,
    h('p', null, `${r.relocates ? 'relocates' : 'does NOT relocate'}: ${count(r.distilled_types)} distilled base types, ${count(r.problems.length)} problems, ${count(r.size_changes.length)} size changes behind pointers`),
    r.problems.length > 0 && h('table', { class: 'kinds problems' },
      h('thead', null, h('tr', null, h('th', null, 'problem'), h('th', null, 'type'), h('th', null, 'why'), h('th', null, 'embedded in'))),
      h('tbody', null, r.problems.map((p) => h('tr', null,
        h('td', null, p.class),
        h('td', null, `${p.kind} ${p.name || '(anonymous)'}`),
        h('td', null, p.message),
        h('td', null, p.embedded_in.join(', ')))))),
  ];
}

// ---- views and URL state ---------------------------------------------------------

function setView(view) {
  ui.view = view;
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const active = tab.dataset.view === view;
    tab.setAttribute('aria-selected', String(active));
    $(`view-${tab.dataset.view}`).hidden = !active;
  }
  writeState(ui);
  renderAll();
  if (view === 'module' && graphView) graphView.resize();
}

const table = new ModuleTable($('table'), COLUMNS, {
  initialSort: 'full_bytes',
  onSelect: (row) => selectModule(row, 'module'),
  onSort: (sort) => {
    ui.sort = sort;
    writeState(ui);
  },
});
if (ui.sort) table.sortBy(ui.sort.key, ui.sort.descending);
$('filter').value = ui.filter;
table.setFilter(ui.filter);
$('filter').addEventListener('input', (e) => {
  ui.filter = e.target.value;
  table.setFilter(ui.filter);
  writeState(ui);
});

// ---- reports ----------------------------------------------------------------

async function exportJson() {
  const button = $('export-json');
  if (hashing()) {
    button.textContent = 'Export JSON: waiting for the FULL hashes…';
    await hashesReady();
    button.textContent = 'Export JSON';
  }
  const report = toReport({ base: state.base, rows: moduleRows(), run: state.run });
  const blob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
  const link = h('a', { href: URL.createObjectURL(blob), download: 'btfscope-report.json' });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function copy(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed: select the text below';
  }
  setTimeout(() => (button.textContent = label), 1500);
}

async function importReport(file) {
  // Until the report is in, the page is not done with anything: tests and
  // benchmarks wait for data-phase=done.
  const before = document.body.dataset.phase;
  setPhase('importing');
  try {
    const { base, rows, ms } = fromReport(await file.text());
    if (working()) core.cancel();
    state.compat = null;
    state.source = 'report';
    state.files = [];
    state.rows = rows.map((r, index) => ({ ...r, index, name: moduleName(r.path) }));
    state.base = base && { ...base, index: null };
    state.imported = { base, rows };
    state.check = null;
    const withFull = rows.filter((r) => r.full).length;
    state.run = { id: ++runCounter, started: performance.now(), phase: 'done', pass: 'full', ms: ms ?? 0, shippedMs: 0, total: rows.length, done: rows.length, fullTotal: withFull, fullDone: withFull, totalBytes: 0, doneBytes: 0, fullTotalBytes: 0, fullDoneBytes: 0 };
    renderBaseChoice();
    renderAll();
    document.body.dataset.hashes = 'done'; // the report's own
    setPhase('done');
  } catch (e) {
    setPhase(before);
    showError(`Could not import ${file.name}: ${e.message}`);
  }
}

// ---- wiring ---------------------------------------------------------------------

for (const tab of document.querySelectorAll('[role=tab]')) tab.addEventListener('click', () => setView(tab.dataset.view));
$('pick-files').addEventListener('change', (e) => {
  start(filesFromInput(e.target), 'files');
  e.target.value = '';
});
$('pick-folder').addEventListener('change', (e) => {
  start(filesFromInput(e.target), 'files');
  e.target.value = '';
});
$('load-sample').addEventListener('click', loadSample);
$('cancel').addEventListener('click', cancel);
$('compat-cancel').addEventListener('click', cancelCompat);
$('pick-target').addEventListener('change', (e) => {
  const [entry] = filesFromInput(e.target);
  if (entry) setTarget(entry);
  e.target.value = '';
});
// A file dropped on the compat panel is the target, not a new run.
$('view-compat').addEventListener('drop', (e) => {
  e.preventDefault();
  e.stopPropagation();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  filesFromDrop(e.dataTransfer).then(([entry]) => entry && setTarget(entry));
});
initEncode({
  threads: core.threads,
  loadedBase: () => (state.base && state.base.index !== null ? state.files[state.base.index] : null),
  dropped: () => {
    dragDepth = 0;
    document.body.classList.remove('dragging');
  },
});
$('base-choice').addEventListener('change', (e) => {
  const v = e.target.value;
  state.baseChoice = v === 'auto' || v === 'none' ? v : Number(v);
  if (state.files.length) start(state.files, state.source);
});
$('export-json').addEventListener('click', exportJson);
$('copy-text').addEventListener('click', (e) => copy(toText({ base: state.base, rows: moduleRows() }, COLUMNS), e.target));
$('copy-link').addEventListener('click', (e) => copy(location.href, e.target));
$('import-report').addEventListener('change', (e) => {
  if (e.target.files[0]) importReport(e.target.files[0]);
  e.target.value = '';
});

// Dropping anywhere on the page; the overlay shows where it will land.
let dragDepth = 0;
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
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  filesFromDrop(e.dataTransfer).then((files) => files.length && start(files, 'files'));
});

window.addEventListener('hashchange', () => {
  Object.assign(ui, readState());
  setView(ui.view);
});

// Static hosting without COOP/COEP headers: the service worker adds them,
// after which a reload makes the page cross-origin isolated (threads).
if (!self.crossOriginIsolated && 'serviceWorker' in navigator && window.isSecureContext && !sessionStorage.getItem('coi-reloaded')) {
  navigator.serviceWorker
    .register('./sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      sessionStorage.setItem('coi-reloaded', '1');
      location.reload();
    }, () => {});
}

setView(ui.view);
setPhase('idle');
loadSample();
