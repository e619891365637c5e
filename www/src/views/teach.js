// The Dedup view (#view=teach): watch BTF deduplication step by step. A
// built-in case or a pasted spec (the text `btfscope dump` prints) is
// built and deduplicated by the core with the engine's trace on; each
// event of the trace is a step: the two type graphs under comparison with
// the pair highlighted, the hypothetical map so far, the candidates of the
// last lookup, and one sentence. Arrows step, Home/End jump; the
// presentation mode shows only the step, in large type. The URL holds the
// case and the step (#view=teach&case=NAME&step=N).
//
// "Why was this not merged?": a module and a type of the loaded kernel
// (#teach-module, #teach-type, #teach-extract; or the link
// #view=teach&from=MODULE&extract=TYPE, as the Types view gives it) are
// taken by the core as a case (the type, what it reaches, the base types
// dedup meets from it, on a tiny base: `btfscope teach-extract`), which
// fills both specs and runs.
//
// Contract for tests: #teach-spec, #teach-run, #teach-next, #teach-prev,
// #teach-end; #teach carries data-step, data-steps and, at the last step,
// data-output-sha256 (that of the BTF `btfscope dedup` writes).

import { core, listen, listenErrors } from '../analysis.js';
import { $, h, fill } from '../dom.js';
import { REPLY, REQUEST, request } from '../protocol.js';
import { state, ui, moduleRows } from '../state.js';
import { writeState } from '../url.js';
import { registerView } from './registry.js';

const t = { cases: null, run: null, step: 0, pendingStep: null, error: null, extracted: null, linkTaken: null };

// ---- types of the run, by id ----

let typesById = new Map();

function indexTypes(run) {
  typesById = new Map();
  for (const list of [run.base || [], run.input]) for (const ty of list) typesById.set(ty.id, ty);
}

function label(id) {
  if (id === 0) return '[0] void';
  const ty = typesById.get(id);
  if (!ty) return `[${id}]`;
  return ty.name === '(anon)' ? `[${id}] ${ty.kind}` : `[${id}] ${ty.kind} '${ty.name}'`;
}

/** The ids a type refers to, each with what refers (member name, "type"...). */
function refs(ty) {
  const out = [];
  for (const key of ['type_id', 'ret_type_id', 'index_type_id']) if (key in ty) out.push([key.replace('_id', ''), ty[key]]);
  for (const key of ['members', 'params', 'vars']) for (const e of ty[key] || []) out.push([e.name || key.slice(0, -1), e.type_id]);
  return out;
}

/** Types reachable from `root`, breadth first (at most `limit`). */
function reach(root, limit = 24) {
  const seen = [root];
  for (let i = 0; i < seen.length && seen.length < limit; i++) {
    const ty = typesById.get(seen[i]);
    if (!ty) continue;
    for (const [, id] of refs(ty)) if (id && !seen.includes(id) && seen.length < limit) seen.push(id);
  }
  return seen;
}

// ---- the state at a step, read from the events up to it ----

/** What the steps up to `step` built: last lookup, comparison roots, hypothetical map, pair. */
function stateAt(events, step) {
  const s = { lookup: null, compare: null, hypot: [], pair: null, cand: null, pass: null };
  for (let i = 0; i <= step; i++) {
    const e = events[i];
    switch (e.event) {
      case 'pass': s.pass = e.pass; s.lookup = null; s.compare = null; s.hypot = []; break;
      case 'lookup': s.lookup = e; s.compare = null; s.hypot = []; s.cand = null; break;
      case 'candidate': s.cand = e.cand; if (e.compare) { s.compare = e; s.hypot = []; } break;
      case 'pair': s.pair = e; if (e.hypot) s.hypot = [...s.hypot, e.hypot]; break;
      case 'equiv': s.hypot = e.hypot; break;
      default: break;
    }
  }
  s.pair = events[step].event === 'pair' ? events[step] : null;
  return s;
}

const PASSES = {
  strings: (e) => `Strings first: ${e.bytes_in} bytes of names in, ${e.bytes_out} out. From now on names compare by their text.`,
  primitives: () => 'Pass 1: primitive types (INT, FLOAT, ENUM, FWD) merge when their records are equal.',
  structs: () => 'Pass 2: structs, unions and typedefs. A candidate with the same hash is taken only if the type graphs behind both are equivalent.',
  fwds: () => 'Pass 3: a FWD still on its own takes the one struct or union of its name, if there is exactly one.',
  references: () => 'Pass 4: reference types (pointers, const, arrays, functions), their targets final now, merge when equal.',
  compaction: () => 'Compaction: the representatives are kept, in order, and every id they hold is renumbered.',
};

const pairs = (list) => list.map(([a, b]) => `${label(a)} with ${label(b)}`).join(', ');

/** One plain sentence per step. */
function sentence(e, run) {
  switch (e.event) {
    case 'start':
      return `Deduplicating ${e.types} types, ids ${e.start_id} to ${e.start_id + e.types - 1}` +
        (e.base_types ? `, on a base of ${e.base_types} types that never changes.` : '.');
    case 'pass':
      return PASSES[e.pass] ? PASSES[e.pass](e) : `Pass: ${e.pass}.`;
    case 'lookup':
      return `${label(e.id)} hashes to ${e.hash}: ` +
        (e.candidates.length ? `earlier types with that hash are ${e.candidates.map(label).join(', ')}.` : 'no earlier type has that hash.');
    case 'candidate':
      return e.compare ? `Compare ${label(e.id)} with candidate ${label(e.cand)}: ${e.why}.`
        : `Candidate ${label(e.cand)} is passed over: ${e.why}.`;
    case 'pair':
      return `${e.ok ? '✓' : '✗'} ${label(e.cand)} against ${label(e.canon)}: ${e.why}` +
        (e.push.length ? `; next: ${pairs(e.push)}.` : '.');
    case 'equiv':
      return e.ok ? `The graphs are equivalent: ${label(e.id)} may merge into ${label(e.cand)}.`
        : `The graphs differ: ${label(e.id)} does not merge into ${label(e.cand)}.`;
    case 'map':
      return e.id === e.to ? `${label(e.id)} stays, its own representative: ${e.why}.`
        : `${label(e.id)} → ${label(e.to)}: ${e.why}.`;
    case 'keep':
      return `${label(e.id)} is kept as output type [${e.new_id}].`;
    case 'done':
      return `Done: ${run.input.length} types in, ${run.output.length} out.`;
    default:
      return e.event;
  }
}

// ---- drawing ----

function graph(title, root, mark, paired) {
  if (!root) return h('div', { class: 'teach-graph' }, h('h4', null, title), h('p', { class: 'muted' }, '—'));
  const lines = reach(root).map((id) => {
    const ty = typesById.get(id);
    const parts = ty ? refs(ty).map(([name, to]) => `${name}→[${to}]`).join(' ') : '';
    const cls = id === mark ? 'teach-hl' : paired.has(id) ? 'teach-paired' : null;
    return h('li', { class: cls, 'data-id': id }, label(id), parts ? h('span', { class: 'muted' }, ` ${parts}`) : null);
  });
  return h('div', { class: 'teach-graph' }, h('h4', null, title), h('ul', null, lines));
}

function render() {
  const box = $('teach');
  const run = t.run;
  $('teach-error').textContent = t.error || '';
  $('teach-error').hidden = !t.error;
  if (!run) {
    for (const key of ['step', 'steps', 'outputSha256']) delete box.dataset[key];
    fill($('teach-sentence'), t.cases ? 'Pick a case or paste a spec, then Run.' : 'Loading the cases…');
    return;
  }
  const events = run.events;
  const step = Math.max(0, Math.min(t.step, events.length - 1));
  t.step = step;
  const e = events[step];
  const s = stateAt(events, step);
  box.dataset.step = step;
  box.dataset.steps = events.length;
  if (step === events.length - 1) box.dataset.outputSha256 = run.sha256;
  else delete box.dataset.outputSha256;
  $('teach-count').textContent = `step ${step + 1} of ${events.length}${s.pass ? ` · pass: ${s.pass}` : ''}`;
  fill($('teach-sentence'), sentence(e, run));
  // The graphs: the comparison's two roots, or the type the step is about.
  const cmp = s.compare;
  const candSide = new Set(s.hypot.map(([, c]) => c));
  const canonSide = new Set(s.hypot.map(([c]) => c));
  const about = e.id ?? e.cand ?? null;
  fill($('teach-graphs'),
    graph(cmp ? 'this type' : 'type', cmp ? cmp.id : about, s.pair ? s.pair.cand : about, candSide),
    graph(cmp ? 'candidate' : 'representative', cmp ? cmp.cand : (e.event === 'map' ? e.to : null), s.pair ? s.pair.canon : (e.event === 'map' ? e.to : null), canonSide));
  fill($('teach-hypot'),
    h('caption', null, 'hypothetical map'),
    h('tr', null, h('th', null, "candidate's side"), h('th', null, "this type's side")),
    s.hypot.length ? s.hypot.map(([canon, cand]) => h('tr', null, h('td', null, label(canon)), h('td', null, label(cand))))
      : h('tr', null, h('td', { colspan: 2, class: 'muted' }, 'empty')));
  const l = s.lookup;
  fill($('teach-cands'),
    h('caption', null, l ? `candidates of ${label(l.id)} (hash ${l.hash})` : 'candidates'),
    l && l.candidates.length ? l.candidates.map((c) => h('tr', { class: c === s.cand ? 'teach-hl' : null }, h('td', null, label(c))))
      : h('tr', null, h('td', { class: 'muted' }, l ? 'none' : '—')));
  for (const id of ['teach-prev', 'teach-start']) $(id).disabled = step === 0;
  for (const id of ['teach-next', 'teach-end']) $(id).disabled = step === events.length - 1;
}

function go(step) {
  if (!t.run) return;
  t.step = Math.max(0, Math.min(step, t.run.events.length - 1));
  ui.params.step = String(t.step);
  writeState(ui);
  render();
}

// ---- runs ----

function caseNamed(name) {
  return (t.cases || []).find((c) => c.name === name);
}

function showCase(name) {
  const c = caseNamed(name);
  if (!c) return;
  $('teach-case').value = name;
  $('teach-spec').value = c.spec;
  $('teach-base').value = c.base || '';
}

function run() {
  const spec = $('teach-spec').value;
  const base = $('teach-base').value.trim() ? $('teach-base').value : null;
  const c = caseNamed($('teach-case').value);
  const isCase = c && c.spec === spec && (c.base || null) === base;
  ui.params.case = isCase ? c.name : '';
  const x = t.extracted;
  if (!x || x.spec !== spec || x.base_spec !== base) {
    t.extracted = null;
    delete ui.params.from;
    delete ui.params.extract;
  }
  writeState(ui);
  t.error = null;
  $('teach').dataset.phase = 'running';
  core.send(request.teach(spec, base));
}

/** Whether the loaded kernel's run is over, so its modules can be asked about. */
const runDone = () => Boolean(state.run && state.run.phase === 'done');

/** Takes the module type in #teach-module / #teach-type of the loaded run as the case, and runs it. */
function extract() {
  const module = $('teach-module').value.trim();
  const type = $('teach-type').value.trim();
  if (!module || !type) return;
  Object.assign(ui.params, { from: module, extract: type, case: '' });
  writeState(ui);
  if (!runDone()) {
    fill($('teach-extracted'), 'Waiting for the kernel to load…');
    return;
  }
  t.linkTaken = `${module}\n${type}`;
  t.error = null;
  $('teach').dataset.phase = 'running';
  fill($('teach-extracted'), `Taking ${type} of ${module}…`);
  core.send(request.teach(null, null, { module, type }));
}

/** Follows a link (#view=teach&from=MODULE&extract=TYPE) once, when the run is over. */
function followLink() {
  const { from, extract: type } = ui.params;
  if (!from || !type || t.linkTaken === `${from}\n${type}`) return;
  $('teach-module').value = from;
  $('teach-type').value = type;
  extract();
}

function describeExtracted(x, module) {
  const cands = x.candidates.length ? x.candidates.map((id) => `[${id}]`).join(' ') : 'none';
  const reached = x.module_ids.length - 1;
  return `${x.title} of ${module} is [${x.root}], ${reached ? `with the ${reached} module types it reaches` : 'reaching no other module type'}, on ${x.base_ids.length} base types ` +
    `(${x.cut} cut down to name and size). Base types of its names (the candidates): ${cands}. Step to the end to see whether it merges, and where not, why.`;
}

listen(REPLY.TEACH, ({ cases, result, extracted }) => {
  if (extracted) {
    t.extracted = extracted;
    $('teach-case').value = '';
    $('teach-spec').value = extracted.spec;
    $('teach-base').value = extracted.base_spec;
    fill($('teach-extracted'), describeExtracted(extracted, ui.params.from || $('teach-module').value));
  }
  const first = !t.cases;
  t.cases = cases;
  if (first) {
    fill($('teach-case'), h('option', { value: '' }, 'a built-in case…'), cases.map((c) => h('option', { value: c.name }, c.title)));
    const name = ui.params.case;
    if (name && caseNamed(name)) {
      showCase(name);
      t.pendingStep = Number(ui.params.step) || 0;
      run();
    }
  }
  if (result) {
    t.run = result;
    indexTypes(result);
    t.step = t.pendingStep ?? 0;
    t.pendingStep = null;
    $('teach').dataset.phase = 'done';
    go(t.step);
  }
  render();
});

listenErrors(REQUEST.TEACH, ({ message }) => {
  t.error = message;
  fill($('teach-extracted'), '');
  t.run = null;
  $('teach').dataset.phase = 'failed';
  render();
});

function present(on) {
  document.body.classList.toggle('teach-present', on);
  $('teach-present').setAttribute('aria-pressed', String(on));
}

function onKey(e) {
  if (ui.view !== 'teach' || e.target.closest('textarea, select, input')) return;
  const moves = { ArrowRight: t.step + 1, ArrowDown: t.step + 1, ArrowLeft: t.step - 1, ArrowUp: t.step - 1, Home: 0, End: Infinity };
  if (e.key in moves) {
    e.preventDefault();
    go(moves[e.key]);
  } else if (e.key === 'Escape') {
    present(false);
  }
}

registerView({
  name: 'teach',
  label: 'Dedup',
  panel(section) {
    section.append(
      h('div', { class: 'teach-input' },
        h('label', null, 'Case ', h('select', { id: 'teach-case', onchange: (e) => { showCase(e.target.value); run(); } })),
        h('label', { class: 'teach-text' }, 'Spec (the text btfscope dump prints; ids optional)',
          h('textarea', { id: 'teach-spec', rows: 10, spellcheck: 'false' })),
        h('label', { class: 'teach-text' }, 'Base spec (split BTF only)',
          h('textarea', { id: 'teach-base', rows: 4, spellcheck: 'false' })),
        h('button', { id: 'teach-run', type: 'button', onclick: run }, 'Run'),
        h('div', { class: 'teach-extract' },
          h('span', null, 'Or from the loaded kernel, why was this not merged? '),
          h('label', null, 'module ', h('input', { id: 'teach-module', list: 'teach-modules', size: 14, placeholder: 'nfs' })),
          h('datalist', { id: 'teach-modules' }),
          h('label', null, ' type ', h('input', { id: 'teach-type', size: 24, placeholder: 'struct module', onkeydown: (e) => { if (e.key === 'Enter') extract(); } })),
          h('button', { id: 'teach-extract', type: 'button', onclick: extract }, 'Take it as the case'),
          h('p', { id: 'teach-extracted', class: 'muted' }))),
      h('div', { id: 'teach', class: 'teach' },
        h('div', { class: 'teach-nav' },
          h('button', { id: 'teach-start', type: 'button', onclick: () => go(0) }, '|◀ first'),
          h('button', { id: 'teach-prev', type: 'button', onclick: () => go(t.step - 1) }, '◀ back'),
          h('button', { id: 'teach-next', type: 'button', onclick: () => go(t.step + 1) }, 'next ▶'),
          h('button', { id: 'teach-end', type: 'button', onclick: () => go(Infinity) }, 'last ▶|'),
          h('span', { id: 'teach-count', class: 'muted' }),
          h('button', { id: 'teach-present', type: 'button', 'aria-pressed': 'false', onclick: () => present(!document.body.classList.contains('teach-present')) }, 'presentation')),
        h('p', { id: 'teach-error', class: 'error' }),
        h('p', { id: 'teach-sentence', class: 'teach-sentence' }),
        h('div', { id: 'teach-graphs', class: 'teach-graphs' }),
        h('div', { class: 'teach-tables' }, h('table', { id: 'teach-hypot' }), h('table', { id: 'teach-cands' }))));
    document.addEventListener('keydown', onKey);
  },
  render,
  changed() {
    const names = moduleRows().map((r) => r.name);
    const list = $('teach-modules');
    if (list && list.childElementCount !== names.length) fill(list, names.map((n) => h('option', { value: n })));
    if (ui.view === 'teach') followLink();
  },
  shown() {
    if (!t.cases) core.send(request.teach(null, null));
    followLink();
  },
});
