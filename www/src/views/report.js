// The Report view: the results as text, exported as JSON, and a report
// imported back; the files dropped after an import are checked against it
// (report.js), module by module.

import { core } from '../analysis.js';
import { $, h } from '../dom.js';
import { count, moduleName } from '../format.js';
import { PASS } from '../protocol.js';
import { toReport, fromReport, toText, checkReport } from '../report.js';
import { state, moduleRows, working, hashing, nextRunId } from '../state.js';
import { showError, setPhase, renderAll, renderBaseChoice } from '../page.js';
import { hashesReady, onReportComplete } from '../run.js';
import { COLUMNS } from './modules.js';
import { registerView } from './registry.js';

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

// The files of a run after an import: checked against the report once every hash is in.
onReportComplete(() => {
  if (state.imported && state.source === 'files') state.check = checkReport(state.imported, state.base, moduleRows());
});

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
    state.run = { id: nextRunId(), started: performance.now(), phase: 'done', pass: PASS.FULL, ms: ms ?? 0, shippedMs: 0, total: rows.length, done: rows.length, fullTotal: withFull, fullDone: withFull, totalBytes: 0, doneBytes: 0, fullTotalBytes: 0, fullDoneBytes: 0 };
    renderBaseChoice();
    renderAll();
    document.body.dataset.hashes = 'done'; // the report's own
    setPhase('done');
  } catch (e) {
    setPhase(before);
    showError(`Could not import ${file.name}: ${e.message}`);
  }
}

$('export-json').addEventListener('click', exportJson);
$('copy-text').addEventListener('click', (e) => copy(toText({ base: state.base, rows: moduleRows() }, COLUMNS), e.target));
$('copy-link').addEventListener('click', (e) => copy(location.href, e.target));
$('import-report').addEventListener('change', (e) => {
  if (e.target.files[0]) importReport(e.target.files[0]);
  e.target.value = '';
});

registerView({ name: 'report', label: 'Report', whole: true, render: renderReport });
