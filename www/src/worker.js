// The analysis worker: loads the wasm core (threaded when the page is
// cross-origin isolated, single-threaded otherwise) and runs requests from
// the page one at a time. Files are read asynchronously, many at once, and
// the next batch is read while the core analyses the current one. The page
// never waits on this worker; to cancel, it terminates it.
//
// One module per request under work/: each exports a handler
// `(request, core)`, `core` being { wasm, memory, threaded, serveWaiting,
// kept }, `kept` the last run's session (see work/run.js).

import { REQUEST, FAILED, reply } from './protocol.js';
import { errorText, died } from './work/io.js';
import run from './work/run.js';
import graph from './work/graph.js';
import compat from './work/compat.js';
import encode from './work/encode.js';
import teach from './work/teach.js';
import { compare, compareModule } from './work/compare.js';
import coreCheck from './work/core.js';
import types from './work/types.js';
import report from './work/report.js';

const handlers = {
  [REQUEST.RUN]: run,
  [REQUEST.GRAPH]: graph,
  [REQUEST.COMPAT]: compat,
  [REQUEST.ENCODE]: encode,
  [REQUEST.TEACH]: teach,
  [REQUEST.COMPARE]: compare,
  [REQUEST.COMPARE_MODULE]: compareModule,
  [REQUEST.CORE]: coreCheck,
  [REQUEST.TYPES]: types,
  [REQUEST.REPORT]: report,
};

/** A search made stale by `request`, a newer one: nobody waits for its answer. */
const staleSearch = (request, queued) => request.type === REQUEST.TYPES && request.op === 'search' && queued.type === REQUEST.TYPES && queued.op === 'search';

const queue = [];
let core = null;
let busy = false;
let configure;
const configured = new Promise((resolve) => (configure = resolve));

// Registered before the wasm import is awaited: messages that arrive while
// the module loads would otherwise be dropped. The first message says how
// many threads to use; the rest are requests.
self.onmessage = (event) => {
  if (event.data.type === REQUEST.CONFIGURE) return configure(event.data);
  const stale = queue.findIndex((queued) => staleSearch(event.data, queued));
  if (stale >= 0) queue.splice(stale, 1);
  queue.push(event.data);
  drain();
};

const threadsWanted = (requested) =>
  Math.max(1, Math.min(requested || navigator.hardwareConcurrency || 1, 16));

async function load({ threads, generation }) {
  const threaded = self.crossOriginIsolated && typeof SharedArrayBuffer === 'function';
  const wasm = threaded
    ? await import(/* webpackChunkName: "core-threads" */ '../../pkg/threads/btfscope.js')
    : await import(/* webpackChunkName: "core-single" */ '../../pkg/single/btfscope.js');
  const exports = await wasm.default();
  wasm.setWorkerGeneration(generation);
  if (threaded) await wasm.initThreadPool(threadsWanted(threads));
  return { wasm, memory: exports.memory, threaded };
}

async function handle(request) {
  try {
    await handlers[request.type](request, core);
  } catch (e) {
    postMessage(reply.error(request.type, errorText(e), died(e)));
  }
}

async function drain() {
  if (!core || busy) return;
  busy = true;
  while (queue.length) await handle(queue.shift());
  busy = false;
}

// Type graphs and the Types view's questions, asked while a run hashes its
// FULL BTFs: they are quick, and the user is waiting for them.
const SERVED_WAITING = [REQUEST.GRAPH, REQUEST.TYPES];
async function serveWaiting() {
  for (let i = 0; i < queue.length; ) {
    if (SERVED_WAITING.includes(queue[i].type)) await handle(queue.splice(i, 1)[0]);
    else i += 1;
  }
}

configured
  .then(load)
  .then((loaded) => {
    core = { ...loaded, serveWaiting, kept: null };
    postMessage(reply.ready(core.wasm.threadCount(), core.threaded));
    drain();
  })
  .catch((e) => postMessage(reply.error(FAILED.LOAD, errorText(e))));

