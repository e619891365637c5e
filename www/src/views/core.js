// The CO-RE view: drop compiled BPF objects (.o) and any number of kernels
// (vmlinux, vmlinuz, raw BTF); every relocation of every object is resolved
// on every kernel with libbpf's rules, as `btfscope core` does. The matrix
// shows failing relocations first; a failing cell opens the program's type
// and the kernel's side by side, as C. Per kernel, the minimal BTF of all
// objects (`btfscope min-core`, bpftool's min_core_btf) can be downloaded.
// Each check runs in a worker of its own, ended when the answer is back.

import { threads } from '../analysis.js';
import { Core } from '../core.js';
import { $, h, fill } from '../dom.js';
import { count, duration } from '../format.js';
import { takeDrops } from '../page.js';
import { REPLY, request } from '../protocol.js';
import { registerView } from './registry.js';

const inputs = { programs: [], kernels: [] };
let job = null;
let selected = null; // { check, row, kernel }

// A dropped file is a BPF object when its name says so (.o), else a kernel.
const isProgram = (path) => /\.o$/.test(path);

function add(entries) {
  for (const e of entries) (isProgram(e.path) ? inputs.programs : inputs.kernels).push(e);
  check();
}

function clear() {
  stop();
  inputs.programs = [];
  inputs.kernels = [];
  job = null;
  selected = null;
  render();
}

function stop() {
  if (job && job.phase === 'running') {
    job.core.stop();
    job.phase = 'cancelled';
  }
}

function check() {
  stop();
  selected = null;
  if (inputs.programs.length === 0 || inputs.kernels.length === 0) {
    job = null;
    render();
    return;
  }
  const current = { phase: 'running', started: performance.now() };
  current.core = new Core(threads, (msg) => onMessage(current, msg));
  current.core.send(request.core(inputs.programs, inputs.kernels));
  job = current;
  render();
}

function onMessage(current, msg) {
  if (current !== job || job.phase !== 'running') return;
  if (msg.type === REPLY.CORE_DONE) finish({ phase: 'done', result: msg });
  else if (msg.type === REPLY.ERROR) finish({ phase: 'failed', error: msg.message });
}

function finish(fields) {
  Object.assign(job, fields, { ms: performance.now() - job.started });
  job.core.stop();
  if (job.result) {
    job.urls = job.result.min.map((m) => m.btf && URL.createObjectURL(new Blob([m.btf], { type: 'application/octet-stream' })));
    // Failing cells first: pick the first one of the first object.
    const first = job.result.checks.find((c) => c.explanations.length > 0);
    if (first) selected = { check: first, row: first.explanations[0].row, kernel: first.explanations[0].kernel };
  }
  render();
}

const failing = (row) => row.results.some((c) => !c.ok);
const cellText = (c) => (c.ok ? String(c.value) : c.fatal ? 'error' : 'poison');
const cellClass = (c) => (c.ok ? (c.reason ? 'absent' : 'ok') : 'bad');

function status() {
  const files = `${count(inputs.programs.length)} BPF objects, ${count(inputs.kernels.length)} kernels`;
  if (!job) return `${files}. Drop compiled BPF objects (.o) and kernels (vmlinux, vmlinuz, raw BTF) here.`;
  if (job.phase === 'running') return `${files} · resolving…`;
  if (job.phase !== 'done') return `${files} · ${job.phase}${job.error ? `: ${job.error}` : ''}`;
  const rows = job.result.checks.flatMap((c) => c.matrix.relocations);
  const bad = rows.filter(failing).length;
  return `${files} · ${count(rows.length)} relocations, ${count(bad)} fail on some kernel · ${duration(job.ms)}`;
}

function matrixTable(check) {
  const m = check.matrix;
  const order = m.relocations.map((r, i) => i).sort((a, b) => failing(m.relocations[b]) - failing(m.relocations[a]) || a - b);
  return h('table', { class: 'core-matrix' },
    h('thead', null, h('tr', null,
      h('th', null, 'section'), h('th', { class: 'num' }, 'insn'), h('th', null, 'kind'), h('th', null, 'access'),
      m.kernels.map((k) => h('th', { class: 'num', title: k }, k.split('/').pop())))),
    h('tbody', null, order.map((i) => {
      const r = m.relocations[i];
      return h('tr', { class: failing(r) ? 'failing' : '' },
        h('td', null, r.section),
        h('td', { class: 'num' }, count(r.insn_off / 8)),
        h('td', null, r.kind),
        h('td', { title: r.spec }, r.access),
        r.results.map((c, k) => {
          const on = selected && selected.check === check && selected.row === i && selected.kernel === k;
          return h('td', {
            class: `num cell ${cellClass(c)}${on ? ' selected' : ''}`,
            title: c.reason || '',
            'data-row': i,
            'data-kernel': k,
            onclick: () => {
              selected = { check, row: i, kernel: k };
              render();
            },
          }, cellText(c));
        }));
    })));
}

function detail() {
  if (!selected) return null;
  const { check, row, kernel } = selected;
  const r = check.matrix.relocations[row];
  const c = r.results[kernel];
  const why = check.explanations.find((e) => e.row === row && e.kernel === kernel);
  return h('div', { id: 'core-detail' },
    h('h3', null, `${r.kind} ${r.access}`, h('span', { class: 'path' }, `${r.section}, insn ${r.insn_off / 8}, on ${check.matrix.kernels[kernel]}`)),
    h('p', { class: c.ok ? '' : 'error-text' }, c.ok ? `patched to ${c.value}${c.reason ? ` (${c.reason})` : ''}` : `${c.fatal ? 'the load fails' : 'poisoned'}: ${c.reason}`),
    why && h('div', { class: 'side-by-side' },
      h('div', null, h('h4', null, 'the program'), h('pre', { class: 'c-local' }, why.local)),
      h('div', null, h('h4', null, 'the kernel'), h('pre', { class: 'c-target' }, why.target || 'no type of that name and kind'))));
}

function downloads() {
  if (!job || !job.result) return null;
  return h('p', { class: 'core-min' }, 'Minimal BTF (min_core_btf) per kernel: ', job.result.min.map((m, i) => {
    const name = `${m.kernel.split('/').pop()}.min.btf`;
    return m.btf
      ? h('a', { class: 'button', href: job.urls[i], download: name, 'data-kernel': i }, `${name} (${count(m.btf.byteLength)} bytes)`)
      : h('span', { class: 'error-text' }, `${name}: ${m.error}`);
  }));
}

function render() {
  document.body.dataset.core = job ? job.phase : 'idle';
  $('core-status').textContent = status();
  fill($('core-result'),
    job && job.phase === 'failed' && h('p', { class: 'error-text' }, job.error),
    downloads(),
    job && job.result && job.result.checks.map((c) => [h('h3', null, c.matrix.program), matrixTable(c)]),
    detail());
}

registerView({
  name: 'core',
  label: 'CO-RE',
  panel(section) {
    const pick = (id, text) => h('label', { class: 'button' }, text, h('input', { id, type: 'file', multiple: true, hidden: true }));
    section.classList.add('core');
    section.append(
      h('div', { class: 'controls' },
        pick('core-programs', 'BPF objects…'),
        pick('core-kernels', 'Kernels…'),
        h('button', { id: 'core-clear', type: 'button' }, 'Clear')),
      h('p', { id: 'core-status' }),
      h('div', { id: 'core-result' }));
    const take = (id, list) => section.querySelector(`#${id}`).addEventListener('change', (e) => {
      inputs[list].push(...[...e.target.files].map((file) => ({ file, path: file.name })));
      e.target.value = '';
      check();
    });
    take('core-programs', 'programs');
    take('core-kernels', 'kernels');
    section.querySelector('#core-clear').addEventListener('click', clear);
    takeDrops(section, add);
  },
  render,
});
