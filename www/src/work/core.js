// The core request: BPF objects' CO-RE relocations resolved against every
// kernel (one matrix per object, the failing cells explained), and the
// minimal BTF of all objects per kernel.

import { reply } from '../protocol.js';
import { read } from './io.js';

export default async function core({ programs, kernels }, { wasm, memory }) {
  const programBytes = await Promise.all(programs.map((p) => read(p.file)));
  const kernelBytes = await Promise.all(kernels.map((k) => read(k.file)));
  const result = wasm.coreCheck(programs.map((p) => p.path), programBytes, kernels.map((k) => k.path), kernelBytes);
  postMessage(reply.coreDone(result, memory.buffer.byteLength));
}
