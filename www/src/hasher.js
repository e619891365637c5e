// SHA-256 of buffers, off the analysis worker: the browser computes a
// digest on the thread that asks for it, and the analysis worker's thread
// is the one that feeds the core its next batch.

import { hashing } from './protocol.js';

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');

self.onmessage = async ({ data: { id, buffers } }) => {
  const hashes = await Promise.all(buffers.map(async (b) => b && hex(await self.crypto.subtle.digest('SHA-256', b))));
  postMessage(hashing.reply(id, hashes));
};
