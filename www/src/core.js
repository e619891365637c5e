// The page's handle on the analysis worker. Cancelling terminates the
// worker (a run is one long call into wasm) and starts a fresh one.

// Workers of every Core on the page are numbered apart: a panic announced
// on the channel names its worker's number.
let workersStarted = 0;
const panics = new BroadcastChannel('btfscope-panic');
const listeners = new Set();
panics.onmessage = ({ data }) => listeners.forEach((listener) => listener(data));

export class Core {
  constructor(threads, onMessage) {
    this.threads = threads;
    this.onMessage = onMessage;
    // A panic in one of the core's pool threads leaves the worker waiting
    // for it forever; the core announces it on a channel the page hears.
    listeners.add(({ generation, message }) => {
      if (generation === this.generation) this.onMessage({ type: 'error', request: 'worker', message: `the core panicked: ${message}` });
    });
    this.start();
  }

  start() {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker = worker;
    this.generation = ++workersStarted;
    // Messages of a worker already replaced (it was cancelled or died) are stale.
    worker.onmessage = (event) => worker === this.worker && this.onMessage(event.data);
    worker.onerror = (event) =>
      worker === this.worker && this.onMessage({ type: 'error', request: 'worker', message: event.message || 'the analysis worker failed' });
    worker.postMessage({ type: 'configure', threads: this.threads, generation: this.generation });
  }

  /**
   * Analyses `files` (File objects); `base` is 'auto', null or an index.
   * `resume` continues a run on a fresh worker: { shipped, isolate },
   * indexes of the files the quick pass already read and of those to
   * analyse one at a time.
   */
  run(files, base, resume = null) {
    this.worker.postMessage({ type: 'run', files, base, resume });
  }

  graph(key, base, module, expand) {
    this.worker.postMessage({ type: 'graph', key, base, module, expand });
  }

  /** Relocates `modules` ({ index, file }) built for `base` onto `target` (Files). */
  compat(base, target, modules) {
    this.worker.postMessage({ type: 'compat', base, target, modules });
  }

  /** Encodes the debug ELF `file` to BTF, split on `base` (Files; base may be null). */
  encode(file, base, features) {
    this.worker.postMessage({ type: 'encode', file, base, features });
  }

  /** Ends the worker for good. */
  stop() {
    this.worker.terminate();
  }

  cancel() {
    this.stop();
    this.start();
  }
}
