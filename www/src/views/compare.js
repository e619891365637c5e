// The Compare view: two JSON reports (`btfscope report --json`) side by
// side, as `btfscope compare` shows them — the core compares, so the
// exported JSON and text are the CLI's bytes. Per-module SPLIT deltas as a
// diverging bar chart, per-kind deltas for vmlinux and all modules, a
// sortable table, added and removed modules, and the type diff of a
// selected module from the files each report was made of.

import { core, listen, listenErrors } from '../analysis.js';
import { $, h, s, fill } from '../dom.js';
import { count } from '../format.js';
import { filesFromInput } from '../intake.js';
import { takeDrops } from '../page.js';
import { REPLY, REQUEST, request } from '../protocol.js';
import { state } from '../state.js';
import { registerView, rerender } from './registry.js';

const TOP = 20; // rows of the text's table of changes, as the CLI's default
const BARS = 60; // modules in the chart: the largest changes

const cmp = {
  sides: { a: { report: null, files: [] }, b: { report: null, files: [] } },
  key: 0,
  phase: 'empty', // empty, running, done, failed
  error: '',
  json: '',
  text: '',
  data: null, // the comparison, parsed from `json`
  sort: { column: 'split_delta', descending: true },
  selected: null,
  diff: null, // { name, text } or { name, error } or { name, pending: true }
};

function setPhase(phase) {
  cmp.phase = phase;
  document.body.dataset.compare = phase;
}

function run() {
  cmp.data = null;
  cmp.selected = null;
  cmp.diff = null;
  const { a, b } = cmp.sides;
  if (!a.report || !b.report) {
    setPhase('empty');
  } else {
    cmp.key += 1;
    setPhase('running');
    core.send(request.compare(cmp.key, a.report, b.report, TOP));
  }
  rerender('compare');
}

listen(REPLY.COMPARED, ({ key, json, text }) => {
  if (key !== cmp.key) return;
  Object.assign(cmp, { json, text, data: JSON.parse(json) });
  setPhase('done');
  rerender('compare');
});

listenErrors(REQUEST.COMPARE, ({ message }) => {
  cmp.error = message;
  setPhase('failed');
  rerender('compare');
});

listen(REPLY.MODULE_DIFF, ({ key, name, text }) => {
  if (key !== cmp.key || !cmp.diff || cmp.diff.name !== name) return;
  cmp.diff = { name, text };
  document.body.dataset.compareDiff = 'done';
  rerender('compare');
});

listenErrors(REQUEST.COMPARE_MODULE, ({ message }) => {
  if (!cmp.diff) return;
  cmp.diff = { name: cmp.diff.name, error: message };
  document.body.dataset.compareDiff = 'failed';
  rerender('compare');
});

/** Takes what is given for side `which`: JSON files are its report, the rest the files it was made of. */
function take(which, entries) {
  const side = cmp.sides[which];
  const reports = entries.filter((e) => /\.json$/i.test(e.path));
  const files = entries.filter((e) => !/\.json$/i.test(e.path));
  if (files.length) side.files = files;
  if (reports.length) {
    side.report = { name: reports[0].file.name, file: reports[0].file };
    run();
  } else {
    cmp.diff = null;
    rerender('compare');
  }
}

function swap() {
  const { a, b } = cmp.sides;
  cmp.sides = { a: b, b: a };
  run();
}

// The file named `name` among the side's files, then the current run's.
function fileNamed(side, name) {
  const all = [...side.files, ...(state.files || [])];
  return all.find((e) => e.file.name === name);
}

function select(name) {
  cmp.selected = name;
  cmp.diff = null;
  delete document.body.dataset.compareDiff;
  const row = cmp.data.modules.find((m) => m.name === name);
  if (row && row.old && row.new) {
    const sideOf = (which, identity, module) => {
      const side = cmp.sides[which];
      const base = fileNamed(side, identity.base.name);
      const file = fileNamed(side, module.name);
      return base && file ? { report: side.report, base: { name: identity.base.name, file: base.file }, module: { name: module.name, file: file.file } } : null;
    };
    const old = sideOf('a', cmp.data.old, row.old);
    const new_ = sideOf('b', cmp.data.new, row.new);
    if (old && new_) {
      cmp.diff = { name, pending: true };
      core.send(request.compareModule(cmp.key, name, old, new_));
    } else {
      const missing = [!old && `A's ${cmp.data.old.base.name} and ${row.old.name}`, !new_ && `B's ${cmp.data.new.base.name} and ${row.new.name}`].filter(Boolean);
      cmp.diff = { name, error: `The type diff needs the files the reports were made of: add ${missing.join(' and ')} with “Files of A/B…” (or drop them on that side).` };
    }
  }
  rerender('compare');
}

function download(text, name, type) {
  const link = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function copyText(button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(cmp.text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed: use Export text';
  }
  setTimeout(() => (button.textContent = label), 1500);
}

// ---- rendering ------------------------------------------------------------

const signed = (d) => (d > 0 ? `+${count(d)}` : count(d));

/** Growth in percent to two decimals, truncated, as the CLI's text. */
function growth(old, now) {
  if (old === 0) return now === 0 ? '0.00%' : 'new';
  const bp = Math.trunc(((now - old) * 10000) / old);
  const abs = Math.abs(bp);
  return `${bp > 0 ? '+' : bp < 0 ? '-' : ''}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}%`;
}

const num = (value, cls) => h('td', { class: cls ? `num ${cls}` : 'num' }, value);
const change = (d) => num(signed(d), d > 0 ? 'grow' : d < 0 ? 'shrink' : '');

function figureTable(caption, rows) {
  return h('table', { class: 'kinds compare-figures' },
    h('caption', null, caption),
    h('thead', null, h('tr', null, h('th', null, ''), ['old', 'new', 'delta', 'growth'].map((t) => h('th', { class: 'num' }, t)))),
    h('tbody', null, rows.map(([label, old, now]) => h('tr', { 'data-figure': label },
      h('td', null, label), num(count(old)), num(count(now)), change(now - old), num(growth(old, now))))));
}

function kindRows(old, now) {
  const bytes = (kinds, kind) => (kinds.kinds.find((k) => k.kind === kind) || { bytes: 0 }).bytes;
  const labels = [...new Set([...old.kinds, ...now.kinds].map((k) => k.kind))];
  // The core's delta lists the kinds in kind-number order.
  return [
    ...labels.map((l) => [l, bytes(old, l), bytes(now, l)]),
    ['strings', old.string_bytes, now.string_bytes],
    ['VAR+DATASEC', old.globals.bytes, now.globals.bytes],
  ];
}

function chart(modules) {
  const changed = modules.filter((m) => m.delta.split_bytes !== 0);
  const shown = [...changed].sort((x, y) => Math.abs(y.delta.split_bytes) - Math.abs(x.delta.split_bytes) || (x.name < y.name ? -1 : 1)).slice(0, BARS);
  shown.sort((x, y) => y.delta.split_bytes - x.delta.split_bytes || (x.name < y.name ? -1 : 1));
  if (!shown.length) return h('p', { class: 'hint' }, 'No module changed its SPLIT size.');
  const max = Math.max(...shown.map((m) => Math.abs(m.delta.split_bytes)));
  const [labelW, valueW, plotW, rowH] = [190, 90, 620, 16];
  const mid = labelW + plotW / 2;
  const svg = s('svg', { class: 'compare-chart', width: labelW + plotW + valueW, height: shown.length * rowH + 24, role: 'img', 'aria-label': 'SPLIT bytes change per module' },
    s('line', { x1: mid, x2: mid, y1: 0, y2: shown.length * rowH, stroke: '#888' }),
    shown.map((m, i) => {
      const d = m.delta.split_bytes;
      const w = Math.max(1, ((plotW / 2) * Math.abs(d)) / max);
      const y = i * rowH;
      const status = m.old ? (m.new ? '' : ' (removed)') : ' (added)';
      return s('g', { class: 'bar', 'data-name': m.name, onclick: () => select(m.name) },
        s('title', null, `${m.name}${status}: SPLIT ${signed(d)} bytes`),
        s('text', { x: labelW - 6, y: y + 12, 'text-anchor': 'end' }, `${m.name.length > 26 ? `~${m.name.slice(-25)}` : m.name}${status ? ' •' : ''}`),
        s('rect', { x: d > 0 ? mid : mid - w, y: y + 2, width: w, height: rowH - 4, fill: d > 0 ? '#d1495b' : '#2e86ab' }),
        s('text', { x: labelW + plotW + 4, y: y + 12 }, signed(d)));
    }),
    s('text', { x: mid, y: shown.length * rowH + 16, 'text-anchor': 'middle' }, `SPLIT bytes, B − A (± ${count(max)})`));
  const note = changed.length > shown.length ? `The ${BARS} largest of ${count(changed.length)} changes; • added or removed.` : `${count(changed.length)} modules changed their SPLIT size; • added or removed.`;
  return h('div', null, svg, h('p', { class: 'hint' }, note));
}

const COLUMNS = [
  ['name', 'module', (m) => m.name],
  ['status', 'in', (m) => (m.old ? (m.new ? 'both' : 'A only') : 'B only')],
  ['split_old', 'SPLIT A', (m) => (m.old ? m.old.split.bytes : null)],
  ['split_new', 'SPLIT B', (m) => (m.new ? m.new.split.bytes : null)],
  ['split_delta', 'Δ SPLIT', (m) => m.delta.split_bytes],
  ['full_old', 'FULL A', (m) => (m.old ? m.old.full.bytes : null)],
  ['full_new', 'FULL B', (m) => (m.new ? m.new.full.bytes : null)],
  ['full_delta', 'Δ FULL', (m) => m.delta.full_bytes],
];

function sortBy(column) {
  const same = cmp.sort.column === column;
  cmp.sort = { column, descending: same ? !cmp.sort.descending : column !== 'name' && column !== 'status' };
  rerender('compare');
}

function moduleTable(modules) {
  const [, , value] = COLUMNS.find(([key]) => key === cmp.sort.column);
  const sign = cmp.sort.descending ? -1 : 1;
  const magnitude = (v) => (typeof v === 'number' && cmp.sort.column.endsWith('delta') ? Math.abs(v) : v);
  const rows = [...modules].sort((x, y) => {
    const [p, q] = [magnitude(value(x)), magnitude(value(y))];
    if (p === q) return x.name < y.name ? -1 : 1;
    if (p === null) return 1;
    if (q === null) return -1;
    return (p < q ? -1 : 1) * sign;
  });
  return h('table', { class: 'kinds compare-table', id: 'compare-table' },
    h('thead', null, h('tr', null, COLUMNS.map(([key, label]) => h('th', {
      class: key === 'name' || key === 'status' ? '' : 'num',
      'aria-sort': key === cmp.sort.column ? (cmp.sort.descending ? 'descending' : 'ascending') : 'none',
      'data-column': key,
      onclick: () => sortBy(key),
    }, label)))),
    h('tbody', null, rows.map((m) => h('tr', { 'data-name': m.name, class: m.name === cmp.selected ? 'selected' : '', onclick: () => select(m.name) },
      COLUMNS.map(([key, , v]) => {
        const x = v(m);
        if (key === 'name' || key === 'status') return h('td', null, x);
        if (x === null) return num('');
        return key.endsWith('delta') ? change(x) : num(count(x));
      })))));
}

function listed(title, rows) {
  if (!rows.length) return null;
  return h('div', { class: 'compare-list' }, h('h3', null, `${title} (${count(rows.length)})`),
    h('ul', null, rows.map(([name, bytes]) => h('li', { 'data-name': name }, `${name}: ${count(bytes)} bytes SPLIT`))));
}

function diffPanel() {
  const d = cmp.diff;
  if (!cmp.selected) return h('p', { class: 'hint' }, 'Select a module (in the chart or the table) for the types it gained, lost and changed.');
  const row = cmp.data.modules.find((m) => m.name === cmp.selected);
  if (!row.old || !row.new) return h('p', null, `${cmp.selected} is only in ${row.old ? 'A' : 'B'}: there is nothing to diff it with.`);
  const head = h('h3', null, `${cmp.selected}: SPLIT ${signed(row.delta.split_bytes)} bytes, FULL ${signed(row.delta.full_bytes)} bytes`);
  if (!d || d.pending) return h('div', null, head, h('p', null, 'Diffing…'));
  if (d.error) return h('div', null, head, h('p', { class: 'check bad' }, d.error));
  return h('div', null, head, h('pre', { id: 'compare-diff-text' }, d.text));
}

function slot(which, label) {
  const side = cmp.sides[which];
  const box = h('div', { class: 'compare-slot', 'data-side': which },
    h('strong', null, label),
    h('span', null, side.report ? side.report.name : 'no report'),
    h('label', { class: 'button' }, 'Report…', h('input', { id: `compare-report-${which}`, type: 'file', accept: '.json,application/json', hidden: true, onchange: (e) => { take(which, filesFromInput(e.target)); e.target.value = ''; } })),
    h('label', { class: 'button' }, 'Files…', h('input', { id: `compare-files-${which}`, type: 'file', multiple: true, hidden: true, onchange: (e) => { take(which, filesFromInput(e.target)); e.target.value = ''; } })),
    h('span', { class: 'hint' }, side.files.length ? `${count(side.files.length)} files for type diffs` : ''));
  takeDrops(box, (entries) => take(which, entries));
  return box;
}

function render() {
  const body = $('compare-body');
  const c = cmp.data;
  const toolbar = h('div', { class: 'toolbar' },
    slot('a', 'A (old)'),
    h('button', { type: 'button', onclick: swap, title: 'Swap A and B' }, 'A ⇄ B'),
    slot('b', 'B (new)'),
    h('button', { id: 'compare-export-json', type: 'button', disabled: !c, onclick: () => download(cmp.json, 'btfscope-compare.json', 'application/json') }, 'Export JSON'),
    h('button', { id: 'compare-export-text', type: 'button', disabled: !c, onclick: () => download(cmp.text, 'btfscope-compare.txt', 'text/plain') }, 'Export text'),
    h('button', { type: 'button', disabled: !c, onclick: (e) => copyText(e.target) }, 'Copy as text'));
  if (!c) {
    const status = {
      empty: 'Pick or drop a JSON report (btfscope report --json) on A and one on B — two kernels, or one kernel encoded twice. Add the files they were made of (vmlinux and modules) for a module\'s type diff.',
      running: 'Comparing…',
      failed: `Could not compare: ${cmp.error}`,
    }[cmp.phase];
    fill(body, toolbar, h('p', { class: cmp.phase === 'failed' ? 'check bad' : 'hint', id: 'compare-status' }, status));
    return;
  }
  const t = c.totals;
  const sm = c.summary;
  const pick = (side) => c.modules.filter((m) => !m[side === 'old' ? 'new' : 'old']).map((m) => [m.name, m[side].split.bytes]);
  fill(body, toolbar,
    h('p', { id: 'compare-status' }, `A: ${c.base.old.name} + ${count(t.old.modules)} modules · B: ${c.base.new.name} + ${count(t.new.modules)} modules · ${count(sm.both)} in both (${count(sm.changed)} changed), ${count(sm.added)} added, ${count(sm.removed)} removed`),
    h('div', { class: 'compare-grid' },
      figureTable('BTF bytes', [
        ['vmlinux', c.base.old.size.bytes, c.base.new.size.bytes],
        ['modules SPLIT', t.old.split.bytes, t.new.split.bytes],
        ['modules FULL', t.old.full.bytes, t.new.full.bytes],
        ['vmlinux types', c.base.old.size.types, c.base.new.size.types],
        ['modules SPLIT types', t.old.split.types, t.new.split.types],
      ]),
      figureTable('vmlinux per kind (bytes)', kindRows(c.base.old.kinds, c.base.new.kinds)),
      figureTable('all modules per kind (SPLIT bytes)', kindRows(t.old.kinds, t.new.kinds))),
    h('h3', null, 'SPLIT bytes change per module'),
    chart(c.modules),
    h('div', { id: 'compare-diff' }, diffPanel()),
    h('div', { class: 'compare-grid' }, listed('Added modules (only in B)', pick('new')), listed('Removed modules (only in A)', pick('old'))),
    moduleTable(c.modules));
}

registerView({
  name: 'compare',
  label: 'Compare',
  panel(section) {
    section.classList.add('compare');
    section.append(h('div', { id: 'compare-body' }));
  },
  render,
});
setPhase('empty');
