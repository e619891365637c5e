// Every message between the page and the analysis worker (worker.js), by
// name: the page builds requests with `request.*`, the worker answers with
// `reply.*`, and each side switches on `REQUEST` and `REPLY`. A new kind of
// work adds its request and replies here, its handler under work/ and its
// listener on the page (see views/README.md).

/** What the page asks of the worker; a request's `type`. */
export const REQUEST = Object.freeze({
  CONFIGURE: 'configure', // the first message: threads and the worker's number
  RUN: 'run', // analyse files: sizes as shipped, FULL and re-deduped sizes, FULL hashes
  GRAPH: 'graph', // a module's type graph (and, the first time, the explainer's findings)
  COMPAT: 'compat', // would the modules relocate onto another kernel
  ENCODE: 'encode', // DWARF → BTF of a debug ELF
  TEACH: 'teach', // the Dedup view: its cases, and a spec deduplicated with the trace
  COMPARE: 'compare', // two reports side by side (btfscope compare)
  COMPARE_MODULE: 'compare-module', // the type diff of one module between two reports' files
  CORE: 'core', // BPF objects' CO-RE relocations against kernels, and min_core_btf
  TYPES: 'types', // the Types view's questions about the last run's types (`op`: open, search, detail, header)
  REPORT: 'report', // a report (docs/REPORT.md) made of the run's rows, read from JSON, or the run checked against one
});

/** What the worker says; a reply's `type`. */
export const REPLY = Object.freeze({
  READY: 'ready', // the core is loaded: how many threads it runs
  SIZES: 'sizes', // a run's file sizes
  BASE: 'base', // the base a run chose (or none)
  BASE_RESULT: 'base-result', // the chosen base's entry in a report
  BATCH: 'batch', // the files the core takes next (for crash recovery)
  ROWS: 'rows', // outcomes of a batch of one pass
  PASS_DONE: 'pass-done', // every module went through one pass
  HASHES: 'hashes', // sha256 of a batch's FULL BTFs
  DONE: 'done', // the run is over, with the core's peak memory
  GRAPH: 'graph', // a type graph, or what an expanded node adds
  EXPLAIN: 'explain', // the explainer's findings for a graph's module
  COMPAT_ROWS: 'compat-rows', // relocation outcomes of a batch of modules
  COMPAT_DONE: 'compat-done',
  ENCODE_PROGRESS: 'encode-progress', // bytes read, or CUs encoded
  ENCODE_DONE: 'encode-done', // the BTF, its figures and the core's peak memory
  TEACH: 'teach', // the built-in cases, and the traced run of a spec (or null)
  COMPARED: 'compared', // a comparison: its JSON (the CLI's bytes) and text
  MODULE_DIFF: 'module-diff', // one module's type diff
  CORE_DONE: 'core-done', // per object its matrix and explanations; per kernel its minimal BTF
  TYPES_READY: 'types-ready', // the last run's types are indexed: sources, counts
  TYPES_HITS: 'types-hits', // the types whose name contains a query
  TYPES_DETAIL: 'types-detail', // one type: C text, layout, size, where defined, referrers
  TYPES_HEADER: 'types-header', // a source's whole C header (vmlinux.h)
  REPORT: 'report', // a report's JSON and text (and what was read, or the check)
  ERROR: 'error', // a request failed, or the worker died (`died`)
});

/** The passes of a run, as `batch` and `rows` name them. */
export const PASS = Object.freeze({ SHIPPED: 'shipped', FULL: 'full', HASH: 'hash' });

/** What an `error` reply says failed besides a request: loading the core, or the worker itself. */
export const FAILED = Object.freeze({ LOAD: 'load', WORKER: 'worker' });

/** Requests, page → worker. Files are File objects; indexes are positions in a run's files. */
export const request = {
  configure: (threads, generation) => ({ type: REQUEST.CONFIGURE, threads, generation }),
  /**
   * `base`: 'auto', null or an index. `resume` (or null) continues a run on
   * a fresh worker: { shipped, analysed, isolate }, the files the quick pass
   * already read, those whose FULL sizes are in but not their hashes, and
   * those to analyse one at a time.
   */
  run: (files, base, resume = null) => ({ type: REQUEST.RUN, files, base, resume }),
  /**
   * A part of a module's type graph, from the last run's session: `module`
   * is the file's index (its BTF is kept under it); `view` { start: id or
   * null } (what a type, by default the module's hub, reaches), { expand:
   * id } or 'whole'; `explain`: the explainer's findings too. `key` comes
   * back in the replies.
   */
  graph: (key, module, view, explain) => ({ type: REQUEST.GRAPH, key, module, view, explain }),
  /** `modules`: [{ index, file }] built for `base`, relocated onto `target`. */
  compat: (base, target, modules) => ({ type: REQUEST.COMPAT, base, target, modules }),
  encode: (file, base, features) => ({ type: REQUEST.ENCODE, file, base, features }),
  /** `spec` and `base` are spec texts (`base` null unless split); `spec` null asks for the cases only. */
  teach: (spec, base, extract = null) => ({ type: REQUEST.TEACH, spec, base, extract }), // extract: { module, type } of the run
  /** `old`, `new`: { name, file } of two JSON reports; `top`: rows of the text's table of changes. */
  compare: (key, old, new_, top) => ({ type: REQUEST.COMPARE, key, old, new: new_, top }),
  /** `old`, `new`: { report, base, module }, each { name, file }: the reports and the files they name. */
  compareModule: (key, name, old, new_) => ({ type: REQUEST.COMPARE_MODULE, key, name, old, new: new_ }),
  /** `programs`, `kernels`: [{ file, path }]. */
  core: (programs, kernels) => ({ type: REQUEST.CORE, programs, kernels }),
  /** The Types view's requests; `runId` (the page's) comes back in the replies. */
  types: {
    /** Indexes the types of the last run's session (its base and the modules it read). */
    open: (runId) => ({ type: REQUEST.TYPES, op: 'open', runId }),
    /** `seq` comes back: only the latest search is drawn (and a queued older one is dropped). */
    search: (runId, seq, query, limit) => ({ type: REQUEST.TYPES, op: 'search', runId, seq, query, limit }),
    /** `what`: { spec, in } (a name, optionally in a module) or { source, id }. */
    detail: (runId, what) => ({ type: REQUEST.TYPES, op: 'detail', runId, what }),
    /** `source`: 0 for the base (vmlinux.h), else a module's number in the index. */
    header: (runId, source) => ({ type: REQUEST.TYPES, op: 'header', runId, source }),
  },
  /** Reports; `key` comes back in the `report` reply. */
  report: {
    /** `run`: report.js's pageRun; `recorded` (JSON bytes, or null): a report to check the run against. */
    make: (key, run, recorded) => ({ type: REQUEST.REPORT, op: 'make', key, run, recorded }),
    /** `bytes`: a JSON report named `name`. */
    read: (key, name, bytes) => ({ type: REQUEST.REPORT, op: 'read', key, name, bytes }),
  },
};

/** Replies, worker → page. */
export const reply = {
  ready: (threads, threaded) => ({ type: REPLY.READY, threads, threaded }),
  sizes: (sizes) => ({ type: REPLY.SIZES, sizes }),
  base: (index, types, sha256) => ({ type: REPLY.BASE, index, types, sha256 }),
  /** `result`: the base's entry in a report (its name, size and kinds). */
  baseResult: (result) => ({ type: REPLY.BASE_RESULT, result }),
  batch: (pass, indexes) => ({ type: REPLY.BATCH, pass, indexes }),
  /** `outcomes`: the core's { status, value | error } per file; `hashes`: the files' sha256 (quick pass). */
  rows: (pass, indexes, outcomes, hashes) => ({ type: REPLY.ROWS, pass, indexes, outcomes, hashes }),
  passDone: (pass) => ({ type: REPLY.PASS_DONE, pass }),
  hashes: (indexes, hashes) => ({ type: REPLY.HASHES, indexes, hashes }),
  done: (memoryBytes) => ({ type: REPLY.DONE, memoryBytes }),
  /** `graph`: the core's { nodes, edges, edge_labels, root, own_types }. */
  graph: (key, view, graph) => ({ type: REPLY.GRAPH, key, view, graph }),
  /** Either `explanation` or `error`. */
  explain: (key, explanation, error) => ({ type: REPLY.EXPLAIN, key, explanation, error }),
  compatRows: (indexes, outcomes) => ({ type: REPLY.COMPAT_ROWS, indexes, outcomes }),
  compatDone: () => ({ type: REPLY.COMPAT_DONE }),
  encodeReading: (bytes) => ({ type: REPLY.ENCODE_PROGRESS, stage: 'reading', bytes }),
  encodeProgress: (done, total) => ({ type: REPLY.ENCODE_PROGRESS, stage: 'encoding', done, total }),
  /** `result`: the core's { btf, stat, report }. */
  encodeDone: (result, memoryBytes) => ({ type: REPLY.ENCODE_DONE, ...result, memoryBytes }),
  /** `result`: the core's { events, input, base, output, sha256 }, or null. */
  teach: (cases, result, extracted = null) => ({ type: REPLY.TEACH, cases, result, extracted }),
  /** `compared`: the core's { json, text }. */
  compared: (key, compared) => ({ type: REPLY.COMPARED, key, ...compared }),
  /** `diff`: the core's { diff, text }. */
  moduleDiff: (key, name, diff) => ({ type: REPLY.MODULE_DIFF, key, name, ...diff }),
  /** `result`: the core's { checks, min }. */
  coreDone: (result, memoryBytes) => ({ type: REPLY.CORE_DONE, ...result, memoryBytes }),
  types: {
    /** `summary`: the core's { sources, types, entries }; `ms`: time to index. */
    ready: (runId, summary, ms) => ({ type: REPLY.TYPES_READY, runId, ...summary, ms }),
    /** `found`: the core's { total, hits }; `ms`: the core's time. */
    hits: (runId, seq, query, found, ms) => ({ type: REPLY.TYPES_HITS, runId, seq, query, ...found, ms }),
    /** Either `detail` (the core's TypeDetail) or `error`; `what` as asked. */
    detail: (runId, what, detail, error) => ({ type: REPLY.TYPES_DETAIL, runId, what, detail, error }),
    /** `bytes`: the header's text (a Uint8Array); `ms`: the core's time. */
    header: (runId, source, bytes, ms) => ({ type: REPLY.TYPES_HEADER, runId, source, bytes, ms }),
  },
  /** `result`: the core's { json, text }, with `report` (read) or `check` (made against a recorded one); or `error`. */
  report: (key, result, error) => ({ type: REPLY.REPORT, key, result, error }),
  /** `request`: a REQUEST or FAILED value; `died`: the worker can no longer be trusted. */
  error: (request, message, died = false) => ({ type: REPLY.ERROR, request, message, died }),
};

/** The hasher's messages (hasher.js, a worker of the analysis worker): buffers in, their sha256 out. */
export const hashing = {
  request: (id, buffers) => ({ id, buffers }),
  reply: (id, hashes) => ({ id, hashes }),
};
