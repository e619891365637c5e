// The page's analysis core (one worker, see core.js) and who listens to
// what it says: each reply type (protocol.js's REPLY) has one listener,
// and an error goes to the listener of the request that failed, else to
// the run's (which also hears the worker dying).

import { Core } from './core.js';
import { REPLY } from './protocol.js';

const listeners = new Map();
const errorListeners = new Map();
let otherErrors = null;

/** Calls `handler(message)` for every reply of `type`. */
export function listen(type, handler) {
  if (listeners.has(type)) throw new Error(`a listener for ${type} is already registered`);
  listeners.set(type, handler);
}

/** Calls `handler(error)` when a request of `type` fails; without `type`, for every other error. */
export function listenErrors(type, handler) {
  if (type === undefined) otherErrors = handler;
  else errorListeners.set(type, handler);
}

function dispatch(message) {
  if (message.type === REPLY.ERROR) {
    const handler = errorListeners.get(message.request) || otherErrors;
    if (handler) handler(message);
    return;
  }
  const handler = listeners.get(message.type);
  if (handler) handler(message);
}

/** The worker's thread pool size asked for in the URL (?threads=N); 0: as many as cores. */
export const threads = Number(new URLSearchParams(location.search).get('threads')) || 0;

export const core = new Core(threads, dispatch);
