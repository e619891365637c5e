// The Encode view: a debug ELF (vmlinux or module, with DWARF) turned into
// BTF on the page, as `btfscope encode` does. Each file gets a worker of
// its own, ended once the BTF is back: wasm memory never shrinks, and the
// analysis worker carries on meanwhile. The worker reads the file by
// slices, only the sections the encoder needs, never as one buffer.

import { threads } from '../analysis.js';
import { Core } from '../core.js';
import { $, h, fill, fact } from '../dom.js';
import { bytes, count, duration, isModulePath } from '../format.js';
import { filesFromInput } from '../intake.js';
import { kindTable } from '../kinds.js';
import { takeDrops } from '../page.js';
import { REPLY, request } from '../protocol.js';
import { baseEntry } from '../state.js';
import { registerView } from './registry.js';

let job = null;

function start(entry) {
  stop('cancelled');
  const base = $('encode-on-base').checked && isModulePath(entry.path) ? baseEntry() : null;
  const features = $('encode-features').value.trim() || 'default';
  const current = { entry, base, features, phase: 'running', started: performance.now(), read: 0, done: 0, total: 0 };
  current.core = new Core(threads, (msg) => onMessage(current, msg));
  current.core.send(request.encode(entry.file, base && base.file, features));
  job = current;
  document.body.dataset.encode = 'running';
  render();
}

function stop(phase) {
  if (!job || job.phase !== 'running') return;
  finish({ phase });
}

function onMessage(current, msg) {
  if (current !== job || job.phase !== 'running') return;
  if (msg.type === REPLY.ENCODE_PROGRESS && msg.stage === 'reading') job.read = msg.bytes;
  else if (msg.type === REPLY.ENCODE_PROGRESS) Object.assign(job, { done: msg.done, total: msg.total });
  else if (msg.type === REPLY.ENCODE_DONE) finish({ phase: 'done', result: msg });
  else if (msg.type === REPLY.ERROR) finish({ phase: 'failed', error: msg.message });
  render();
}

function finish(fields) {
  Object.assign(job, fields, { ms: performance.now() - job.started });
  job.core.stop();
  if (job.result) {
    if (job.url) URL.revokeObjectURL(job.url);
    job.url = URL.createObjectURL(new Blob([job.result.btf], { type: 'application/octet-stream' }));
  }
  // For the benchmark and tests: the outcome, the wait and the core's peak memory.
  Object.assign(document.body.dataset, {
    encode: job.phase,
    encodeMs: Math.round(job.ms),
    encodeMemoryBytes: job.result ? job.result.memoryBytes : '',
  });
  render();
}

function status() {
  if (!job) return 'Pick or drop a debug vmlinux or module (built with -g, uncompressed).';
  const on = job.base ? `split on ${job.base.path}` : 'stand-alone';
  const parts = [`${job.entry.path} (${bytes(job.entry.file.size)}), ${on}, features ${job.features}`];
  if (job.phase === 'running') {
    if (!job.total) parts.push(`reading: ${bytes(job.read)}`);
    else if (job.done < job.total) parts.push(`${count(job.done)} / ${count(job.total)} CUs`);
    else parts.push(`all ${count(job.total)} CUs encoded; functions, variables and deduplication…`);
  } else {
    parts.push(`${job.phase} in ${duration(job.ms)}`);
  }
  return parts.join(' · ');
}

function render() {
  const running = job && job.phase === 'running';
  $('encode-status').textContent = status();
  $('encode-cancel').hidden = !running;
  const bar = $('encode-progress');
  bar.hidden = !running;
  bar.value = running && job.total ? job.done / job.total : 0;
  fill($('encode-result'), job && job.phase === 'failed' && h('p', { class: 'error-text' }, job.error), job && job.result && result(job));
}

function result({ entry, url, result: { btf, stat, report, memoryBytes } }) {
  const name = `${entry.path.split('/').pop()}.btf`;
  return [
    h('p', null, h('a', { class: 'button', id: 'encode-download', href: url, download: name }, `Download ${name} (${count(btf.byteLength)} bytes)`)),
    h('dl', { class: 'facts' },
      fact('BTF', `${count(stat.total_bytes)} bytes: ${count(stat.types)} types, ${count(stat.str_len)} bytes of strings`),
      fact('CUs', `${count(report.cus)} encoded, ${count(report.cus_skipped)} skipped`),
      fact('types', `${count(report.types_encoded)} before deduplication, ${count(stat.types)} after`),
      fact('functions', `${count(report.funcs)} (${count(report.funcs_skipped)} groups left out as inconsistent)`),
      fact('variables', count(report.vars)),
      fact('wasm memory', bytes(memoryBytes))),
    kindTable(stat.kinds),
    report.warnings.length > 0 && h('details', null,
      h('summary', null, `${count(report.warnings.length)} warnings`),
      h('ul', null, report.warnings.map((w) => h('li', null, w)))),
  ];
}

$('encode-file').addEventListener('change', (e) => {
  const [entry] = filesFromInput(e.target);
  if (entry) start(entry);
  e.target.value = '';
});
$('encode-cancel').addEventListener('click', () => stop('cancelled'));
// A file dropped on the view is encoded, not analysed.
takeDrops($('view-encode'), ([entry]) => start(entry));
render();

registerView({ name: 'encode', label: 'Encode' });
