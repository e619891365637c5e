// The compare requests: two JSON reports side by side, and one module's
// type diff from the files the reports were made of. The core reads and
// checks the reports, so the page shows what `btfscope compare` prints.

import { reply } from '../protocol.js';
import { read } from './io.js';

export async function compare({ key, old, new: new_, top }, core) {
  const [a, b] = await Promise.all([read(old.file), read(new_.file)]);
  postMessage(reply.compared(key, core.wasm.compareReports(old.name, a, new_.name, b, top)));
}

const readSide = (side) => Promise.all([side.report, side.base, side.module].map((f) => read(f.file)));

export async function compareModule({ key, name, old, new: new_ }, core) {
  const [[oldReport, oldBase, oldModule], [newReport, newBase, newModule]] = await Promise.all([readSide(old), readSide(new_)]);
  const diff = core.wasm.compareModule(
    oldReport,
    newReport,
    [old.base.name, old.module.name],
    [oldBase, oldModule],
    [new_.base.name, new_.module.name],
    [newBase, newModule],
  );
  postMessage(reply.moduleDiff(key, name, diff));
}
