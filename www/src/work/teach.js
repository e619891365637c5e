// The teach request: the Dedup view's built-in cases, and a spec built and
// deduplicated by the core with the engine's trace on.

import { reply } from '../protocol.js';

export default async function teach({ spec, base }, core) {
  const cases = core.wasm.teachCases();
  const result = spec === null ? null : core.wasm.teachRun(spec, base ?? undefined);
  postMessage(reply.teach(cases, result));
}
