// A run: the files given to the core, its three passes (sizes as shipped,
// FULL and re-deduped sizes, FULL hashes) turned into rows, and crash
// recovery: a worker that dies is replaced, and the file it died on is
// found and reported while the others go on.

import { core, listen, listenErrors } from './analysis.js';
import { moduleName } from './format.js';
import { PASS, REPLY, FAILED, request } from './protocol.js';
import { state, hashing, working, nextRunId, selectedRow } from './state.js';
import { sampleFiles } from './sample.js';
import { showError, setPhase, renderAll, scheduleRender, renderProgress, renderBaseChoice } from './page.js';
import { rerender } from './views/registry.js';
import { $ } from './dom.js';

/** Starts a run over `files` ([{ file, path }]); `source`: 'sample' or 'files'. */
export function start(files, source) {
  if (working()) core.cancel();
  releaseHashWaiters();
  $('error').hidden = true; // an earlier run's
  state.compat = null;
  state.check = null;
  state.report = null;
  if (source === 'sample') state.imported = null;
  state.source = source;
  state.files = files;
  // File sizes come from the worker ('sizes'): reading them here could block.
  state.rows = files.map(({ path }, index) => ({ index, path, name: moduleName(path), status: 'pending' }));
  state.base = null;
  state.run = {
    id: nextRunId(),
    started: performance.now(),
    phase: 'running',
    pass: PASS.SHIPPED,
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
  core.send(request.run(files.map((f) => f.file), base));
  renderAll();
}

/** The same files again, e.g. on another base. */
export const restart = () => state.files.length && start(state.files, state.source);

export async function loadSample() {
  try {
    state.baseChoice = 'auto';
    start(await sampleFiles(), 'sample');
  } catch (e) {
    showError(`Could not load the sample: ${e.message}`);
  }
}

export function cancel() {
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

const completeListeners = [];
/**
 * Calls `listener()` when a run's report is complete (every FULL BTF
 * hashed), before the page shows it; the page waits for a promise it returns.
 */
export const onReportComplete = (listener) => completeListeners.push(listener);

// Every FULL BTF of the run is hashed: the report is complete.
listen(REPLY.DONE, async ({ memoryBytes }) => {
  const run = state.run;
  run.hashes.ms = performance.now() - run.started;
  run.memoryBytes = memoryBytes;
  // For the benchmark and tests: the report's last hash, and the core's memory.
  document.body.dataset.hashesMs = Math.round(run.hashes.ms);
  document.body.dataset.wasmMemoryBytes = memoryBytes;
  await Promise.all(completeListeners.map((listener) => listener()));
  if (run !== state.run) return; // another run started meanwhile
  releaseHashWaiters();
  renderAll();
  document.body.dataset.hashes = 'done'; // once the table shows what the listeners did
});

const hashWaiters = [];
/** Resolves once the current run's FULL BTFs are hashed (or never will be). */
export const hashesReady = () => (hashing() ? new Promise((resolve) => hashWaiters.push(resolve)) : Promise.resolve());
const releaseHashWaiters = () => hashWaiters.splice(0).forEach((resolve) => resolve());

// ---- the core's replies ------------------------------------------------------

listen(REPLY.BATCH, ({ pass, indexes }) => {
  state.run.inFlight = { pass, rows: indexes.map(rowOf) };
});

listen(REPLY.ROWS, ({ pass, indexes, outcomes, hashes }) => {
  const rows = indexes.map(rowOf);
  rows.forEach((row, i) => onOutcome(pass, state.rows[row], outcomes[i], hashes && hashes[i]));
  clearInFlight(pass, rows);
  scheduleRender();
});

listen(REPLY.SIZES, ({ sizes }) => {
  sizes.forEach((size, i) => (state.rows[i].file_bytes = size));
  state.run.totalBytes = sizes.reduce((a, b) => a + b, 0);
  scheduleRender();
});

listen(REPLY.PASS_DONE, ({ pass }) => (pass === PASS.SHIPPED ? onQuickPassDone() : onFullPassDone()));

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
  } else if (pass === PASS.SHIPPED) {
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
  if (pass === PASS.SHIPPED) {
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

listen(REPLY.HASHES, ({ indexes, hashes }) => {
  const rows = indexes.map(rowOf);
  rows.forEach((row, i) => hashes[i] && (state.rows[row].full_sha256 = hashes[i]));
  state.run.hashes.done += rows.length;
  clearInFlight(PASS.HASH, rows);
  // Only the progress and an open module's detail show the hashes.
  renderProgress();
  if (rows.some((row) => state.rows[row] === selectedRow())) rerender('module');
});

function onQuickPassDone() {
  const run = state.run;
  if (run.pass !== PASS.SHIPPED) return; // a run resumed in its full pass
  const readable = state.rows.filter((r) => r.status === 'shipped');
  Object.assign(run, { pass: PASS.FULL, shippedMs: performance.now() - run.started, fullTotal: readable.length, fullTotalBytes: readable.reduce((a, r) => a + r.file_bytes, 0) });
  // For the benchmark: when the table first had every module's sizes.
  document.body.dataset.shippedMs = Math.round(run.shippedMs);
}

listen(REPLY.BASE, ({ index, types, sha256 }) => {
  if (index === null) {
    state.base = null;
  } else {
    const row = state.rows[index];
    row.status = 'base';
    state.base = { index, path: row.path, types, file_bytes: row.file_bytes, file_sha256: sha256, result: null };
    state.run.done += 1;
    state.run.doneBytes += row.file_bytes;
  }
  renderBaseChoice();
  scheduleRender();
});

listen(REPLY.BASE_RESULT, ({ result }) => {
  if (state.base) state.base.result = result;
});

// ---- failures and recovery -----------------------------------------------------

// Errors of the run, of loading the core, and the worker dying.
listenErrors(undefined, ({ request, message, died }) => {
  const running = state.run && (state.run.phase === 'running' || hashing());
  // A worker that died (its panic, or an error it did not catch); an
  // error the core returned fails the run instead, as it would again.
  const dead = died || request === FAILED.WORKER;
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
});

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
    if (pass === PASS.HASH) Object.assign(row, { full_sha256: undefined, hash_error: error });
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
  core.send(request.run(run.rowOf.map((row) => state.files[row].file), state.base ? 0 : null, resume));
}
