// The run request: a base and modules through three passes, resumable on
// a fresh worker after one died (see run.js on the page).

import { isModulePath, moduleName } from '../format.js';
import { PASS, reply } from '../protocol.js';
import { Hashing, sha256 } from './hashes.js';
import { read, EMPTY, buffersOf, analyseRead, pass, errorText, died } from './io.js';
import { dropBrowser } from './types.js';

/** Frees the last run's session (and the Types view's browser over it). */
function forgetRun(core) {
  dropBrowser();
  if (core.kept) core.kept.session.free();
  core.kept = null;
}

// The base is the file that holds a stand-alone BTF; with several, the one
// with the most types (vmlinux rather than a stray raw dump). Module files
// are not probed: a .ko never carries base BTF.
async function findBase(wasm, files) {
  let best = null;
  for (const [index, file] of files.entries()) {
    if (isModulePath(file.name)) continue;
    // Unreadable, it is not the base; the module passes report it.
    const types = wasm.baseTypes(await read(file).catch(() => EMPTY));
    if (types !== undefined && (!best || types > best.types)) best = { index, types };
  }
  return best;
}

async function chooseBase(wasm, files, base) {
  if (base === 'auto') return findBase(wasm, files);
  if (base === null) return null;
  const types = wasm.baseTypes(await read(files[base]));
  if (types === undefined) throw new Error(`${files[base].name} holds no stand-alone (base) BTF`);
  return { index: base, types };
}

// Three passes over the modules: the quick one (sizes and kinds as
// shipped) fills the table in seconds; the full one (FULL sizes, the
// report's rows) follows on the modules the quick pass could read; the
// last builds their FULL BTFs for the report's hashes, which the table
// does not need. Each batch is announced before the core takes it: if the
// worker dies, the page knows which files it was working on (see
// protocol.js's `request.run` for `resume`). `core`: see worker.js.
export default async function run({ files, base, resume }, core) {
  // Asking a File its size can take a round trip to the browser: done here,
  // not on the page's thread. A resumed run's page knows the sizes and base.
  if (!resume) postMessage(reply.sizes(files.map((f) => f.size)));
  const chosen = await chooseBase(core.wasm, files, base);
  const baseBytes = chosen ? await read(files[chosen.index]) : undefined;
  if (!resume) {
    postMessage(reply.base(chosen ? chosen.index : null, chosen ? chosen.types : 0, baseBytes ? await sha256(baseBytes, core.wasm) : null));
  }
  // The last run's session goes; this one stays after the run, for the
  // Types view (work/types.js), with the modules it kept.
  forgetRun(core);
  const session = new core.wasm.Session(baseBytes);
  if (chosen && !resume) postMessage(reply.baseResult(session.baseResult(files[chosen.index].name)));
  core.kept = { session, modules: [] };
  try {
    await passes(core, session, files, chosen, resume);
  } catch (e) {
    core.kept = null;
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
  // Wasm memory never shrinks: its size now is the peak so far.
  postMessage(reply.done(core.memory.buffer.byteLength));
}

async function passes(core, session, files, chosen, resume) {
  const shipped = new Set(resume ? resume.shipped : []);
  const analysed = resume ? [...resume.analysed] : [];
  const alone = new Set(resume ? resume.isolate : []);
  const done = new Set([...shipped, ...analysed]);
  const modules = files.map((_, i) => i).filter((i) => (!chosen || i !== chosen.index) && !done.has(i));
  const readable = [...shipped];
  const hashing = new Hashing(core.wasm);
  // The later passes take the BTF the quick pass kept; a fresh worker's
  // session has none of what the dead one read.
  const reread = [...done].sort((a, b) => a - b);
  await pass(core.wasm, reread, files, alone, async (indexes, read) => {
    postMessage(reply.batch(PASS.SHIPPED, indexes));
    session.shipped(indexes, buffersOf(read, EMPTY));
  });
  await pass(core.wasm, modules, files, alone, async (indexes, read) => {
    postMessage(reply.batch(PASS.SHIPPED, indexes));
    const outcomes = analyseRead(read, (bytes) => session.shipped(indexes, bytes));
    indexes.forEach((index, i) => outcomes[i].status === 'ok' && readable.push(index));
    await hashing.add(buffersOf(read, undefined), (hashes) => postMessage(reply.rows(PASS.SHIPPED, indexes, outcomes, hashes)));
  });
  await hashing.drain();
  postMessage(reply.passDone(PASS.SHIPPED));
  readable.sort((a, b) => a - b);
  core.kept.modules = readable.map((key) => ({ name: moduleName(files[key].name), key }));
  await pass(core.wasm, readable, null, alone, async (indexes) => {
    postMessage(reply.batch(PASS.FULL, indexes));
    const outcomes = session.analyze(indexes.map((i) => files[i].name), indexes);
    indexes.forEach((index, i) => outcomes[i].status === 'ok' && analysed.push(index));
    postMessage(reply.rows(PASS.FULL, indexes, outcomes));
  });
  postMessage(reply.passDone(PASS.FULL));
  analysed.sort((a, b) => a - b);
  await pass(core.wasm, analysed, null, alone, async (indexes) => {
    await core.serveWaiting();
    postMessage(reply.batch(PASS.HASH, indexes));
    const fulls = session.fulls(indexes);
    await hashing.add(fulls, (hashes) => postMessage(reply.hashes(indexes, hashes)));
  });
  await hashing.drain();
}
