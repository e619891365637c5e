// The compat request: the modules relocated onto another kernel.

import { reply } from '../protocol.js';
import { read, analyseRead, pass } from './io.js';

// Would every module relocate onto the kernel in `target`? `modules` are
// { index, file }; each was built for `base` (File or null), the vmlinux
// of the run. Batch by batch, so the page shows progress.
export default async function compat({ base, target, modules }, core) {
  const session = new core.wasm.Session(base ? await read(base) : undefined);
  try {
    session.setTarget(await read(target));
    const files = modules.map((m) => m.file);
    await pass(core.wasm, files.map((_, i) => i), files, new Set(), (positions, read) => {
      const names = positions.map((i) => files[i].name);
      const outcomes = analyseRead(read, (bytes) => session.compat(names, bytes));
      postMessage(reply.compatRows(positions.map((i) => modules[i].index), outcomes));
    });
  } finally {
    session.free();
  }
  postMessage(reply.compatDone());
}
