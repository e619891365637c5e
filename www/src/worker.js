// The analysis worker: loads the wasm core (threaded when the page is
// cross-origin isolated, single-threaded otherwise) and runs requests from
// the page one at a time. Files are read asynchronously, many at once, and
// the next batch is read while the core analyses the current one. The page
// never waits on this worker; to cancel, it terminates it.

import { isModulePath } from './format.js';

const queue = [];
let core = null;
let busy = false;
let configure;
const configured = new Promise((resolve) => (configure = resolve));

// Registered before the wasm import is awaited: messages that arrive while
// the module loads would otherwise be dropped. The first message says how
// many threads to use; the rest are requests.
self.onmessage = (event) => {
  if (event.data.type === 'configure') return configure(event.data);
  queue.push(event.data);
  drain();
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

const read = async (file) => new Uint8Array(await file.arrayBuffer());
const readAll = (files) => Promise.all(files.map(read));

// Files are hashed so that a report can later be checked against them: by
// the browser's own SHA-256 in a worker of their own (secure contexts),
// else by the core's, here.
const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (bytes) =>
  self.crypto && self.crypto.subtle ? hex(await self.crypto.subtle.digest('SHA-256', bytes)) : core.wasm.sha256Hex(bytes);

const hasher = self.crypto && self.crypto.subtle ? new Worker(new URL('./hasher.js', import.meta.url), { type: 'module' }) : null;
const hashed = new Map();
let hashRequests = 0;
if (hasher) hasher.onmessage = ({ data: { id, hashes } }) => {
  hashed.get(id)(hashes);
  hashed.delete(id);
};

/** The hashes of `buffers` (undefined for undefined ones); hands the buffers over. */
function sha256All(buffers) {
  if (!hasher) return Promise.all(buffers.map((b) => b && sha256(b)));
  const id = ++hashRequests;
  const transfer = buffers.filter((b) => b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength).map((b) => b.buffer);
  return new Promise((resolve) => {
    hashed.set(id, resolve);
    hasher.postMessage({ id, buffers }, transfer);
  });
}

// Batches being hashed while the core works on the next ones; at most a
// few, so that buffers waiting for their hash cannot pile up.
class Hashing {
  constructor(limit = 4) {
    this.limit = limit;
    this.pending = [];
  }

  /** Hashes `buffers` (undefined ones too: they hash to undefined), then calls `then(hashes)`. */
  async add(buffers, then) {
    this.pending.push(sha256All(buffers).then(then));
    if (this.pending.length > this.limit) await this.pending.shift();
  }

  async drain() {
    await Promise.all(this.pending.splice(0));
  }
}

// The base is the file that holds a stand-alone BTF; with several, the one
// with the most types (vmlinux rather than a stray raw dump). Module files
// are not probed: a .ko never carries base BTF.
async function findBase(files) {
  let best = null;
  for (const [index, file] of files.entries()) {
    if (isModulePath(file.name)) continue;
    const types = core.wasm.baseTypes(await read(file));
    if (types !== undefined && (!best || types > best.types)) best = { index, types };
  }
  return best;
}

async function chooseBase(files, base) {
  if (base === 'auto') return findBase(files);
  if (base === null) return null;
  const types = core.wasm.baseTypes(await read(files[base]));
  if (types === undefined) throw new Error(`${files[base].name} holds no stand-alone (base) BTF`);
  return { index: base, types };
}

// Two passes over the modules: the quick one (sizes and kinds as shipped)
// fills the table in seconds; the full one (FULL BTF, the report's rows)
// follows on the modules the quick pass could read.
async function run({ files, base }) {
  // Asking a File its size can take a round trip to the browser: done here,
  // not on the page's thread.
  postMessage({ type: 'sizes', sizes: files.map((f) => f.size) });
  const chosen = await chooseBase(files, base);
  const baseBytes = chosen ? await read(files[chosen.index]) : undefined;
  postMessage({
    type: 'base',
    index: chosen ? chosen.index : null,
    types: chosen ? chosen.types : 0,
    sha256: baseBytes ? await sha256(baseBytes) : null,
  });
  const session = new core.wasm.Session(baseBytes);
  try {
    const modules = files.map((_, i) => i).filter((i) => !chosen || i !== chosen.index);
    const readable = [];
    const hashing = new Hashing();
    await pass(modules, files, async (indexes, bytes) => {
      const outcomes = session.shipped(bytes);
      indexes.forEach((index, i) => outcomes[i].status === 'ok' && readable.push(index));
      await hashing.add(bytes, (hashes) => postMessage({ type: 'rows', pass: 'shipped', indexes, outcomes, hashes }));
    });
    await hashing.drain();
    postMessage({ type: 'pass-done', pass: 'shipped' });
    await pass(readable, files, async (indexes, bytes) => {
      const { outcomes, fulls } = session.analyze(indexes.map((i) => files[i].name), bytes);
      await hashing.add(fulls, (hashes) => {
        hashes.forEach((hash, i) => hash && (outcomes[i].value.full_sha256 = hash));
        postMessage({ type: 'rows', pass: 'full', indexes, outcomes });
      });
    });
    await hashing.drain();
  } finally {
    session.free();
  }
  // Wasm memory never shrinks: its size now is the peak so far.
  postMessage({ type: 'done', memoryBytes: core.memory.buffer.byteLength });
}

// Calls `analyse(indexes, bytes)` batch by batch, reading the next batch
// while the current one is analysed.
async function pass(indexes, files, analyse) {
  // Big enough to keep every thread busy and many reads in flight.
  const batch = Math.max(32, 16 * core.wasm.threadCount());
  const batchAt = (first) => readAll(indexes.slice(first, first + batch).map((i) => files[i]));
  let next = batchAt(0);
  for (let first = 0; first < indexes.length; first += batch) {
    const bytes = await next;
    next = batchAt(first + batch);
    await analyse(indexes.slice(first, first + batch), bytes);
  }
}

// `base` and `module` are File objects; `key` comes back so the page can
// match answers to what it shows.
async function graph({ key, base, module, expand }) {
  const session = new core.wasm.Session(base ? await read(base) : undefined);
  try {
    const bytes = await read(module);
    const value = session.graph(bytes, expand ?? undefined);
    postMessage({ type: 'graph', key, expand: expand ?? null, graph: value });
    // The module's first graph comes with the explainer's findings, after it.
    if (expand === null && base) {
      try {
        postMessage({ type: 'explain', key, explanation: session.explain(bytes) });
      } catch (e) {
        postMessage({ type: 'explain', key, error: errorText(e) });
      }
    }
  } finally {
    session.free();
  }
}

// Would every module relocate onto the kernel in `target`? `modules` are
// { index, file }; each was built for `base` (File or null), the vmlinux
// of the run. Batch by batch, so the page shows progress.
async function compat({ base, target, modules }) {
  const session = new core.wasm.Session(base ? await read(base) : undefined);
  try {
    session.setTarget(await read(target));
    const files = modules.map((m) => m.file);
    await pass(files.map((_, i) => i), files, (positions, bytes) => {
      const outcomes = session.compat(positions.map((i) => files[i].name), bytes);
      postMessage({ type: 'compat-rows', indexes: positions.map((i) => modules[i].index), outcomes });
    });
  } finally {
    session.free();
  }
  postMessage({ type: 'compat-done' });
}

// DWARF → BTF of a debug ELF (vmlinux or module; `base` a File holding its
// base BTF, or null), read by slices as the core asks for them: a debug
// vmlinux is never one buffer. Each slice is dropped once handed over.
async function encode({ file, base, features }) {
  const elf = new core.wasm.DebugElf(file.size);
  let given = 0;
  try {
    for (let range = elf.wanted(); range; range = elf.wanted()) {
      const [offset, length] = range;
      elf.give(new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()));
      given += length;
      postMessage({ type: 'encode-progress', stage: 'reading', bytes: given });
    }
  } catch (e) {
    elf.free();
    throw e;
  }
  const baseBytes = base ? await read(base) : undefined;
  const result = elf.encode(baseBytes, features, (done, total) => postMessage({ type: 'encode-progress', stage: 'encoding', done, total }));
  postMessage({ type: 'encode-done', ...result, memoryBytes: core.memory.buffer.byteLength }, [result.btf.buffer]);
}

const handlers = { run, graph, compat, encode };
const errorText = (e) => String(e && e.message ? e.message : e);

async function drain() {
  if (!core || busy) return;
  busy = true;
  while (queue.length) {
    const request = queue.shift();
    try {
      await handlers[request.type](request);
    } catch (e) {
      postMessage({ type: 'error', request: request.type, message: errorText(e) });
    }
  }
  busy = false;
}

configured
  .then(load)
  .then((loaded) => {
    core = loaded;
    postMessage({ type: 'ready', threads: core.wasm.threadCount(), threaded: core.threaded });
    drain();
  })
  .catch((e) => postMessage({ type: 'error', request: 'load', message: errorText(e) }));
