// The graph request: a module's type graph, and the explainer's findings.

import { reply } from '../protocol.js';
import { read, errorText } from './io.js';

// `base` and `module` are File objects; `key` comes back so the page can
// match answers to what it shows.
export default async function graph({ key, base, module, expand }, core) {
  const session = new core.wasm.Session(base ? await read(base) : undefined);
  try {
    const bytes = await read(module);
    const value = session.graph(bytes, expand ?? undefined);
    postMessage(reply.graph(key, expand ?? null, value));
    // The module's first graph comes with the explainer's findings, after it.
    if (expand === null && base) {
      try {
        postMessage(reply.explain(key, session.explain(bytes)));
      } catch (e) {
        postMessage(reply.explain(key, undefined, errorText(e)));
      }
    }
  } finally {
    session.free();
  }
}
