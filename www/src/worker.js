// The analysis worker: loads the wasm core (threaded when the page is
// cross-origin isolated, single-threaded otherwise) and runs requests from
// the page one at a time. The page never waits on it; to cancel, the page
// terminates this worker and starts a new one.

import { isModulePath } from './format.js';

const queue = [];
let core = null;
let configure;
const configured = new Promise((resolve) => (configure = resolve));

// Registered before the wasm import is awaited: messages that arrive while
// the module loads would otherwise be dropped. The first message says how
// many threads to use; the rest are requests.
self.onmessage = (event) => {
  if (event.data.type === 'configure') return configure(event.data);
  queue.push(event.data);
  if (core) drain();
};

const threadsWanted = (requested) =>
  Math.max(1, Math.min(requested || navigator.hardwareConcurrency || 1, 16));

async function load({ threads }) {
  const threaded = self.crossOriginIsolated && typeof SharedArrayBuffer === 'function';
  const wasm = threaded
    ? await import(/* webpackChunkName: "core-threads" */ '../../pkg/threads/btfscope.js')
    : await import(/* webpackChunkName: "core-single" */ '../../pkg/single/btfscope.js');
  const exports = await wasm.default();
  if (threaded) await wasm.initThreadPool(threadsWanted(threads));
  return { wasm, memory: exports.memory, threaded };
}

const readSync = (file) => new Uint8Array(new FileReaderSync().readAsArrayBuffer(file));

// The base is the file that holds a stand-alone BTF; with several, the one
// with the most types (vmlinux rather than a stray raw module dump). Module
// files are not probed: a .ko never carries base BTF.
function findBase(files) {
  let best = null;
  files.forEach((file, index) => {
    if (isModulePath(file.name)) return;
    const types = core.wasm.baseTypes(readSync(file));
    if (types !== undefined && (!best || types > best.types)) best = { index, types };
  });
  return best;
}

function run({ files, base }) {
  const started = performance.now();
  let chosen;
  if (base === 'auto') {
    chosen = findBase(files);
  } else if (Number.isInteger(base)) {
    const types = core.wasm.baseTypes(readSync(files[base]));
    if (types === undefined) throw new Error(`${files[base].name} holds no stand-alone (base) BTF`);
    chosen = { index: base, types };
  } else {
    chosen = null;
  }
  postMessage({ type: 'base', index: chosen ? chosen.index : null, types: chosen ? chosen.types : 0 });

  const modules = files.map((_, i) => i).filter((i) => !chosen || i !== chosen.index);
  const batch = Math.max(8, 8 * core.wasm.threadCount());
  core.wasm.analyze(
    chosen ? readSync(files[chosen.index]) : undefined,
    modules.length,
    batch,
    (i) => readSync(files[modules[i]]),
    (first, outcomes) => {
      const indexes = modules.slice(first, first + outcomes.length);
      postMessage({ type: 'rows', indexes, outcomes });
    },
  );
  postMessage({
    type: 'done',
    ms: performance.now() - started,
    memoryBytes: core.memory.buffer.byteLength,
  });
}

// `base` and `module` are File objects; `key` comes back so the page can
// match answers to what it shows.
function graph({ key, base, module, expand }) {
  const value = core.wasm.graph(base ? readSync(base) : undefined, readSync(module), expand ?? undefined);
  postMessage({ type: 'graph', key, expand: expand ?? null, graph: value });
}

const handlers = { run, graph };
const errorText = (e) => String(e && e.message ? e.message : e);

function drain() {
  while (queue.length) {
    const request = queue.shift();
    try {
      handlers[request.type](request);
    } catch (e) {
      postMessage({ type: 'error', request: request.type, message: errorText(e) });
    }
  }
}

configured
  .then(load)
  .then((loaded) => {
    core = loaded;
    postMessage({ type: 'ready', threads: core.wasm.threadCount(), threaded: core.threaded });
    drain();
  })
  .catch((e) => postMessage({ type: 'error', request: 'load', message: errorText(e) }));
