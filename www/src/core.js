// The page's handle on the analysis worker. Cancelling terminates the
// worker (a run is one long call into wasm) and starts a fresh one.

import { FAILED, request, reply } from './protocol.js';

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
      if (generation === this.generation) this.onMessage(reply.error(FAILED.WORKER, `the core panicked: ${message}`, true));
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
      worker === this.worker && this.onMessage(reply.error(FAILED.WORKER, event.message || 'the analysis worker failed', true));
    worker.postMessage(request.configure(this.threads, this.generation));
  }

  /** Sends `message` (made by protocol.js's `request`) to the worker; `transfer` as postMessage's. */
  send(message, transfer = []) {
    this.worker.postMessage(message, transfer);
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
