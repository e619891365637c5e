// The page's handle on the analysis worker. Cancelling terminates the
// worker (a run is one long call into wasm) and starts a fresh one.

export class Core {
  constructor(threads, onMessage) {
    this.threads = threads;
    this.onMessage = onMessage;
    this.start();
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker.onmessage = (event) => this.onMessage(event.data);
    this.worker.onerror = (event) =>
      this.onMessage({ type: 'error', request: 'worker', message: event.message || 'the analysis worker failed' });
    this.worker.postMessage({ type: 'configure', threads: this.threads });
  }

  /** Analyses `files` (File objects); `base` is 'auto', null or an index. */
  run(files, base) {
    this.worker.postMessage({ type: 'run', files, base });
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
