// The report requests: the core makes a report (docs/REPORT.md) of the
// page's rows, reads an imported one, or checks the run against it.

import { reply } from '../protocol.js';
import { errorText } from './io.js';

function answer({ op, run, recorded, name, bytes }, wasm) {
  if (op === 'read') return wasm.readReport(name, bytes);
  return recorded ? wasm.checkReport(recorded, run) : wasm.makeReport(run);
}

export default async function report(request, core) {
  try {
    postMessage(reply.report(request.key, answer(request, core.wasm)));
  } catch (e) {
    postMessage(reply.report(request.key, null, errorText(e)));
  }
}
