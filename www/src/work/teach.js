// The teach request: the Dedup view's built-in cases, and a spec built and
// deduplicated by the core with the engine's trace on; or, with `extract`,
// one type of a module of the last run taken as a case first (the type,
// what it reaches, the base types dedup meets from it: teachExtract over
// the run's own session, see run.js).

import { reply } from '../protocol.js';

export default async function teach({ spec, base, extract }, core) {
  const cases = core.wasm.teachCases();
  let extracted = null;
  if (extract) {
    const kept = core.kept;
    if (!kept) throw new Error('no kernel loaded to take a module type from');
    const m = kept.modules.find((x) => x.name === extract.module);
    if (!m) throw new Error(`no module ${extract.module} in the run (${kept.modules.map((x) => x.name).join(', ') || 'none'})`);
    extracted = core.wasm.teachExtract(kept.session, m.key, extract.type);
    ({ spec, base_spec: base } = extracted);
  }
  const result = spec === null ? null : core.wasm.teachRun(spec, base ?? undefined);
  postMessage(reply.teach(cases, result, extracted));
}
