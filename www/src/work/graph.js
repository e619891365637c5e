// The graph request: a part of a module's type graph, and the explainer's
// findings, from the last run's session (see work/run.js): the base is
// parsed and indexed once per run and the module's BTF was kept by the
// quick pass; nothing is read or parsed again per request.

import { reply } from '../protocol.js';
import { errorText } from './io.js';

export default async function graph({ key, module, view, explain }, core) {
  if (!core.kept) throw new Error('no run to draw a type graph from');
  const { session } = core.kept;
  postMessage(reply.graph(key, view, session.graph(module, view)));
  // The explainer's findings come after the graph they go with.
  if (explain) {
    try {
      postMessage(reply.explain(key, session.explain(module)));
    } catch (e) {
      postMessage(reply.explain(key, undefined, errorText(e)));
    }
  }
}
