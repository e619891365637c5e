// The Report view: the run's report in the documented schema
// (docs/REPORT.md, the CLI's `btfscope-report/1`), made by the core: its
// text, exported as JSON, and a report imported back (the page's or the
// CLI's); the files dropped after an import are checked against it by the
// core, module by module.

import { core, listen } from '../analysis.js';
import { $, h } from '../dom.js';
import { count, moduleName } from '../format.js';
import { PASS, REPLY, request } from '../protocol.js';
import { pageRun, importedRows, applyCheck } from '../report.js';
import { state, moduleRows, working, hashing, nextRunId } from '../state.js';
import { showError, setPhase, renderAll, renderBaseChoice } from '../page.js';
import { hashesReady, onReportComplete } from '../run.js';
import { registerView } from './registry.js';

// Report requests by key: a worker cancelled meanwhile never answers its own.
const waiting = new Map();
let asked = 0;
listen(REPLY.REPORT, ({ key, result, error }) => {
  const { resolve, reject } = waiting.get(key);
  waiting.delete(key);
  if (error) reject(new Error(error));
  else resolve(result);
});

/** The core's answer to `make(key)`, a request.report constructor given its key. */
function ask(make) {
  const key = ++asked;
  return new Promise((resolve, reject) => {
    waiting.set(key, { resolve, reject });
    core.send(make(key));
  });
}

/** The report of the run's rows, made by the core (and checked against an imported one). */
async function makeReport() {
  const recorded = state.imported && state.source === 'files' ? state.imported.bytes : null;
  const run = pageRun(state.base, moduleRows());
  const made = await ask((key) => request.report.make(key, run, recorded));
  if (made.check) state.check = applyCheck(made.check, state.imported.base, moduleRows());
  return { json: made.json, text: made.text };
}

function renderReport() {
  $('report-text').textContent = state.report ? state.report.text : 'The report is made once the run is complete (every FULL BTF hashed).';
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

// A complete run: its report, checked against an imported one if any.
onReportComplete(async () => {
  if (!state.base) return; // a module on its distilled base: no report
  const run = state.run;
  try {
    const report = await makeReport();
    if (run === state.run) state.report = report;
  } catch (e) {
    showError(`Could not make the report: ${e.message}`);
  }
});

async function currentReport() {
  if (hashing()) {
    const button = $('export-json');
    button.textContent = 'Export JSON: waiting for the FULL hashes…';
    await hashesReady();
    button.textContent = 'Export JSON';
  }
  if (!state.report) state.report = await makeReport();
  return state.report;
}

async function exportJson() {
  try {
    const { json } = await currentReport();
    const blob = new Blob([json], { type: 'application/json' });
    const link = h('a', { href: URL.createObjectURL(blob), download: 'btfscope-report.json' });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (e) {
    showError(`Could not export the report: ${e.message}`);
  }
}

async function copy(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(await text());
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
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (working()) core.cancel();
    const read = await ask((key) => request.report.read(key, file.name, bytes));
    const { base, rows } = importedRows(read.report);
    state.compat = null;
    state.source = 'report';
    state.files = [];
    state.rows = rows.map((r, index) => ({ ...r, index, name: moduleName(r.path) }));
    state.base = { ...base, index: null };
    state.report = { json: read.json, text: read.text };
    state.imported = { bytes, base: base.path };
    state.check = null;
    state.run = { id: nextRunId(), started: performance.now(), phase: 'done', pass: PASS.FULL, ms: 0, shippedMs: 0, total: rows.length, done: rows.length, fullTotal: rows.length, fullDone: rows.length, totalBytes: 0, doneBytes: 0, fullTotalBytes: 0, fullDoneBytes: 0 };
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
$('copy-text').addEventListener('click', (e) => copy(async () => (await currentReport()).text, e.target));
$('copy-link').addEventListener('click', (e) => copy(async () => location.href, e.target));
$('import-report').addEventListener('change', (e) => {
  if (e.target.files[0]) importReport(e.target.files[0]);
  e.target.value = '';
});

registerView({ name: 'report', label: 'Report', whole: true, render: renderReport });
