// The types request: the Types view's questions about the last run's base
// and modules, answered by a TypeBrowser (src/wasm/types.rs) over the
// run's own session, which keeps the parsed base and every module's BTF
// (see run.js): nothing is read or parsed again.

import { reply, REQUEST } from '../protocol.js';

/** The browser of the last run's session, made on the view's first question. */
let browser = null;

/** Frees the browser: the session it reads is going away (a new run). */
export function dropBrowser() {
  if (browser) browser.free();
  browser = null;
}

export default async function types(req, core) {
  const kept = core.kept;
  if (!kept) throw new Error('no run to read types from');
  const { runId } = req;
  if (req.op === 'open') {
    dropBrowser();
    const started = performance.now();
    browser = new core.wasm.TypeBrowser(kept.session, kept.modules.map((m) => m.name), kept.modules.map((m) => m.key));
    postMessage(reply.types.ready(runId, browser.summary(), performance.now() - started));
    return;
  }
  if (!browser) throw new Error('the types are not indexed yet');
  if (req.op === 'search') {
    const started = performance.now();
    const found = browser.search(req.query, req.limit);
    postMessage(reply.types.hits(runId, req.seq, req.query, found, performance.now() - started));
  } else if (req.op === 'detail') {
    const { what } = req;
    const at = what.spec === undefined ? { source: what.source, id: what.id } : browser.find(what.spec, what.in ?? undefined);
    if (!at) {
      postMessage(reply.types.detail(runId, what, null, `no type named ${what.spec}${what.in ? ` in ${what.in}` : ''}`));
      return;
    }
    postMessage(reply.types.detail(runId, what, browser.detail(kept.session, at.source, at.id)));
  } else if (req.op === 'header') {
    const started = performance.now();
    const bytes = browser.header(kept.session, req.source);
    postMessage(reply.types.header(runId, req.source, bytes, performance.now() - started), [bytes.buffer]);
  } else {
    throw new Error(`unknown ${REQUEST.TYPES} request ${req.op}`);
  }
}
