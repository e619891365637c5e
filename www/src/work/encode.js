// The encode request: DWARF → BTF.

import { reply } from '../protocol.js';
import { read } from './io.js';

// DWARF → BTF of a debug ELF (vmlinux or module; `base` a File holding its
// base BTF, or null), read by slices as the core asks for them: a debug
// vmlinux is never one buffer. Each slice is dropped once handed over.
export default async function encode({ file, base, features }, core) {
  const elf = new core.wasm.DebugElf(file.size);
  let given = 0;
  try {
    for (let range = elf.wanted(); range; range = elf.wanted()) {
      const [offset, length] = range;
      elf.give(new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()));
      given += length;
      postMessage(reply.encodeReading(given));
    }
  } catch (e) {
    elf.free();
    throw e;
  }
  const baseBytes = base ? await read(base) : undefined;
  const result = elf.encode(baseBytes, features, (done, total) => postMessage(reply.encodeProgress(done, total)));
  postMessage(reply.encodeDone(result, core.memory.buffer.byteLength), [result.btf.buffer]);
}
