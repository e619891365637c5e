// What the page knows, shared by the run (run.js), the page's frame
// (page.js) and the views: `state` holds the data, `ui` what the URL says
// (view, module, type, filter, sort, a view's parameters; see url.js).
// Only the run and the report import replace the rows; views read them.

import { readState } from './url.js';

export const ui = readState();

export const state = {
  source: '', // what the rows came from: 'sample', 'files' or 'report'
  files: [], // [{ file, path }] of the current run
  rows: [], // one per file, in file order; the base's row is left out of views
  baseChoice: 'auto', // 'auto', 'none' or a file index
  base: null, // { index, path, types, file_bytes, file_sha256, result }, `result` its entry in a report
  run: null, // the current run and its passes, see run.js's start()
  core: null, // { threads, threaded } once the worker is up
  target: null, // { file, path }: the kernel the compat view relocates onto
  compat: null, // { phase, total, outcomes: Map(row index → outcome) }, see views/compat.js
  report: null, // { json, text } of the rows' report (docs/REPORT.md), made by the core once the run is complete
  imported: null, // { bytes, base } of an imported report (its JSON, its base's name), to check the files dropped next
  check: null, // the counts of that check, once the run is done (see report.js's applyCheck)
};

let runCounter = 0;
/** A number for a new run (or imported report), so late answers about an older one are told apart. */
export const nextRunId = () => ++runCounter;

/** The rows the views show: every file's but the base's. */
export const moduleRows = () => state.rows.filter((r) => r.status !== 'base');

/** The run's table is complete, and the core still builds FULL BTFs for the report's hashes. */
export const hashing = () => Boolean(state.run && state.run.hashes && !state.run.hashes.ms);

/** The worker runs one request at a time: stopping it stops both a run and a compat check. */
export const working = () => [state.run, state.compat].some((job) => job && job.phase === 'running') || hashing();

/** The row of the module in the URL, if it is loaded. */
export const selectedRow = () => (ui.module ? state.rows.find((r) => r.path === ui.module) : null);

/** The base's { file, path } as given, or null (none, or an imported report). */
export const baseEntry = () => (state.base && state.base.index !== null ? state.files[state.base.index] : null);

/** Whether the rows are those of the files themselves, not of an imported report. */
export const haveFiles = () => state.source !== 'report';
