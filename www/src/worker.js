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

const read = async (file) => new Uint8Array(await file.arrayBuffer());
// A file that cannot be read (changed or removed since it was dropped)
// comes back as its Error: it fails alone, the others go on.
const readAll = (files) => Promise.all(files.map((file) => read(file).catch((e) => e)));
const EMPTY = new Uint8Array();

/** The buffers of `read` (see readAll), with `unread` for the files that could not be read. */
const buffersOf = (read, unread) => read.map((b) => (b instanceof Error ? unread : b));

/**
 * Calls `analyse(buffers)` with every unread file as no bytes; the
 * outcomes it returns then say why they were not read.
 */
function analyseRead(read, analyse) {
  const outcomes = analyse(buffersOf(read, EMPTY));
  read.forEach((b, i) => b instanceof Error && (outcomes[i] = { status: 'failed', error: `could not read the file: ${errorText(b)}` }));
  return outcomes;
}

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
    // Unreadable, it is not the base; the module passes report it.
    const types = core.wasm.baseTypes(await read(file).catch(() => EMPTY));
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

// Three passes over the modules: the quick one (sizes and kinds as
// shipped) fills the table in seconds; the full one (FULL sizes, the
// report's rows) follows on the modules the quick pass could read; the
// last builds their FULL BTFs for the report's hashes, which the table
// does not need. Each batch is announced before the core takes it: if the
// worker dies, the page knows which files it was working on (see
// `Core.run` for `resume`).
async function run({ files, base, resume }) {
  // Asking a File its size can take a round trip to the browser: done here,
  // not on the page's thread. A resumed run's page knows the sizes and base.
  if (!resume) postMessage({ type: 'sizes', sizes: files.map((f) => f.size) });
  const chosen = await chooseBase(files, base);
  const baseBytes = chosen ? await read(files[chosen.index]) : undefined;
  if (!resume) {
    postMessage({
      type: 'base',
      index: chosen ? chosen.index : null,
      types: chosen ? chosen.types : 0,
      sha256: baseBytes ? await sha256(baseBytes) : null,
    });
  }
  const session = new core.wasm.Session(baseBytes);
  try {
    await passes(session, files, chosen, resume);
  } catch (e) {
    if (!died(e)) {
      try {
        session.free();
      } catch {
        // Left borrowed: an exception went through the core mid-call.
        throw Object.assign(new Error(errorText(e)), { died: true });
      }
    }
    throw e;
  }
  session.free();
  // Wasm memory never shrinks: its size now is the peak so far.
  postMessage({ type: 'done', memoryBytes: core.memory.buffer.byteLength });
}

async function passes(session, files, chosen, resume) {
  const shipped = new Set(resume ? resume.shipped : []);
  const analysed = resume ? [...resume.analysed] : [];
  const alone = new Set(resume ? resume.isolate : []);
  const done = new Set([...shipped, ...analysed]);
  const modules = files.map((_, i) => i).filter((i) => (!chosen || i !== chosen.index) && !done.has(i));
  const readable = [...shipped];
  const hashing = new Hashing();
  // The later passes take the BTF the quick pass kept; a fresh worker's
  // session has none of what the dead one read.
  const reread = [...done].sort((a, b) => a - b);
  await pass(reread, files, alone, async (indexes, read) => {
    postMessage({ type: 'batch', pass: 'shipped', indexes });
    session.shipped(indexes, buffersOf(read, EMPTY));
  });
  await pass(modules, files, alone, async (indexes, read) => {
    postMessage({ type: 'batch', pass: 'shipped', indexes });
    const outcomes = analyseRead(read, (bytes) => session.shipped(indexes, bytes));
    indexes.forEach((index, i) => outcomes[i].status === 'ok' && readable.push(index));
    await hashing.add(buffersOf(read, undefined), (hashes) => postMessage({ type: 'rows', pass: 'shipped', indexes, outcomes, hashes }));
  });
  await hashing.drain();
  postMessage({ type: 'pass-done', pass: 'shipped' });
  readable.sort((a, b) => a - b);
  await pass(readable, null, alone, async (indexes) => {
    postMessage({ type: 'batch', pass: 'full', indexes });
    const outcomes = session.analyze(indexes.map((i) => files[i].name), indexes);
    indexes.forEach((index, i) => outcomes[i].status === 'ok' && analysed.push(index));
    postMessage({ type: 'rows', pass: 'full', indexes, outcomes });
  });
  postMessage({ type: 'pass-done', pass: 'full' });
  analysed.sort((a, b) => a - b);
  await pass(analysed, null, alone, async (indexes) => {
    await serveWaiting();
    postMessage({ type: 'batch', pass: 'hash', indexes });
    const fulls = session.fulls(indexes);
    await hashing.add(fulls, (hashes) => postMessage({ type: 'hashes', indexes, hashes }));
  });
  await hashing.drain();
}

// Calls `analyse(indexes, read)` batch by batch (`read`: see readAll),
// reading the next batch from `files` (unless null) while the current one
// is analysed. The files in `alone` get a batch each.
async function pass(indexes, files, alone, analyse) {
  // Big enough to keep every thread busy and many reads in flight.
  const size = Math.max(32, 16 * core.wasm.threadCount());
  const batches = [];
  for (const index of indexes) {
    const last = batches[batches.length - 1];
    if (last && last.length < size && !alone.has(index) && !alone.has(last[0])) last.push(index);
    else batches.push([index]);
  }
  const readBatch = (batch) => batch && files && readAll(batch.map((i) => files[i]));
  let next = readBatch(batches[0]);
  for (const [n, batch] of batches.entries()) {
    const read = await next;
    next = readBatch(batches[n + 1]);
    await analyse(batch, read);
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
    await pass(files.map((_, i) => i), files, new Set(), (positions, read) => {
      const names = positions.map((i) => files[i].name);
      const outcomes = analyseRead(read, (bytes) => session.compat(names, bytes));
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
// A trap (a panic ends in one), or an exception through the core, rather
// than an error the core returned: its state can no longer be trusted, and
// the page replaces this worker.
const died = (e) => e instanceof WebAssembly.RuntimeError || Boolean(e && e.died);

async function handle(request) {
  try {
    await handlers[request.type](request);
  } catch (e) {
    postMessage({ type: 'error', request: request.type, message: errorText(e), died: died(e) });
  }
}

async function drain() {
  if (!core || busy) return;
  busy = true;
  while (queue.length) await handle(queue.shift());
  busy = false;
}

// Type graphs the user asked for while a run hashes its FULL BTFs: they
// are quick, and the user is waiting for them.
async function serveWaiting() {
  for (let i = 0; i < queue.length; ) {
    if (queue[i].type === 'graph') await handle(queue.splice(i, 1)[0]);
    else i += 1;
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
