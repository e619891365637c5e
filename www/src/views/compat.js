// The Compat view: would the run's modules relocate onto another kernel
// (libbpf's rules)? Checked once a run is done, module by module, against
// the target kernel picked or dropped here.

import { core, listen, listenErrors } from '../analysis.js';
import { $, h, fill } from '../dom.js';
import { count } from '../format.js';
import { filesFromInput } from '../intake.js';
import { REPLY, REQUEST, request } from '../protocol.js';
import { state, ui, moduleRows, hashing, baseEntry, haveFiles } from '../state.js';
import { takeDrops } from '../page.js';
import { onReportComplete } from '../run.js';
import { registerView, selectModule } from './registry.js';

function setTarget(entry) {
  state.target = entry;
  if (state.compat && state.compat.phase === 'running') core.cancel();
  runCompat();
}

// Once a run is done: every module the quick pass read, on the run's base.
function runCompat() {
  state.compat = null;
  if (state.target && state.run && state.run.phase === 'done' && !hashing() && haveFiles()) {
    const modules = moduleRows().filter((r) => r.split).map((r) => ({ index: r.index, file: state.files[r.index].file }));
    state.compat = { phase: 'running', total: modules.length, outcomes: new Map() };
    core.send(request.compat(baseEntry() ? baseEntry().file : null, state.target.file, modules));
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
  if (!c) return haveFiles() ? `${state.target.path}: waiting for the analysis to finish…` : 'Compat needs the files themselves; an imported report has only the figures.';
  const values = [...c.outcomes.values()];
  const relocate = values.filter((o) => o.status === 'ok' && o.value.relocates).length;
  const parts = [`onto ${state.target.path}`, `${count(values.length)} / ${count(c.total)} modules checked`, `${count(relocate)} relocate`];
  if (c.phase !== 'running') parts.push(c.phase === 'failed' ? `failed: ${c.error}` : c.phase);
  return parts.join(' · ');
}

const firstProblem = (o) => (o.status === 'failed' ? `error: ${o.error}` : o.value.problems.length ? o.value.problems[0].message : '');

// The status line, shown or not.
function renderStatus() {
  const c = state.compat;
  document.body.dataset.compat = c ? c.phase : 'idle';
  $('compat-cancel').hidden = !c || c.phase !== 'running';
  $('compat-status').textContent = compatStatus();
}

function renderTable() {
  const c = state.compat;
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

function renderCompat() {
  renderStatus();
  if (ui.view === 'compat') renderTable();
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

listen(REPLY.COMPAT_ROWS, ({ indexes, outcomes }) => {
  indexes.forEach((index, i) => state.compat.outcomes.set(index, outcomes[i]));
  renderCompat();
});
listen(REPLY.COMPAT_DONE, () => {
  state.compat.phase = 'done';
  renderCompat();
});
listenErrors(REQUEST.COMPAT, ({ message }) => {
  Object.assign(state.compat, { phase: 'failed', error: message });
  renderCompat();
});
onReportComplete(runCompat);

$('compat-cancel').addEventListener('click', cancelCompat);
$('pick-target').addEventListener('change', (e) => {
  const [entry] = filesFromInput(e.target);
  if (entry) setTarget(entry);
  e.target.value = '';
});
// A file dropped on the view is the target, not a new run.
takeDrops($('view-compat'), ([entry]) => setTarget(entry));

registerView({ name: 'compat', label: 'Compat', changed: renderStatus, render: renderTable });
