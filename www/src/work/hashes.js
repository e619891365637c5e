// SHA-256 of the files and of the FULL BTFs, so that a report can later be
// checked against them: by the browser's own SHA-256 in a worker of their
// own (secure contexts), else by the core's, here.

import { hashing as hashMessage } from '../protocol.js';

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
/** The sha256 of `bytes`, by the browser's digest or else by `wasm` (the core). */
export const sha256 = async (bytes, wasm) =>
  self.crypto && self.crypto.subtle ? hex(await self.crypto.subtle.digest('SHA-256', bytes)) : wasm.sha256Hex(bytes);

const hasher = self.crypto && self.crypto.subtle ? new Worker(new URL('../hasher.js', import.meta.url), { type: 'module' }) : null;
const hashed = new Map();
let hashRequests = 0;
if (hasher) hasher.onmessage = ({ data: { id, hashes } }) => {
  hashed.get(id)(hashes);
  hashed.delete(id);
};

/** The hashes of `buffers` (undefined for undefined ones); hands the buffers over. */
function sha256All(buffers, wasm) {
  if (!hasher) return Promise.all(buffers.map((b) => b && sha256(b, wasm)));
  const id = ++hashRequests;
  const transfer = buffers.filter((b) => b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength).map((b) => b.buffer);
  return new Promise((resolve) => {
    hashed.set(id, resolve);
    hasher.postMessage(hashMessage.request(id, buffers), transfer);
  });
}

// Batches being hashed while the core works on the next ones; at most a
// few, so that buffers waiting for their hash cannot pile up.
export class Hashing {
  constructor(wasm, limit = 4) {
    this.wasm = wasm;
    this.limit = limit;
    this.pending = [];
  }

  /** Hashes `buffers` (undefined ones too: they hash to undefined), then calls `then(hashes)`. */
  async add(buffers, then) {
    this.pending.push(sha256All(buffers, this.wasm).then(then));
    if (this.pending.length > this.limit) await this.pending.shift();
  }

  async drain() {
    await Promise.all(this.pending.splice(0));
  }
}
