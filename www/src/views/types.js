// The Types view (`#view=types&type=NAME`): every type of the run's base
// and modules, searched by name as you type; for one type its C
// definition (as `btfscope dump --format c` writes it), its layout (as
// `btfscope layout -C` prints it, holes and padding marked), its size,
// where its name is defined and the named types that refer to it. The
// core keeps the index and the C headers (src/analyze/browse.rs); this
// module only asks and draws.

import { core, listen, listenErrors } from '../analysis.js';
import { $, h, fill, fact } from '../dom.js';
import { count, duration } from '../format.js';
import { REPLY, REQUEST, request } from '../protocol.js';
import { state, ui, haveFiles } from '../state.js';
import { writeState } from '../url.js';
import { registerView } from './registry.js';

const HITS_SHOWN = 200;

const types = {
  runId: null, // the run whose types the core indexed (or is indexing)
  ready: null, // { sources, types, entries, ms } once indexed
  searchSeq: 0,
  searched: null, // { seq, query, total, hits, ms }
  sent: new Map(), // search seq → performance.now() when asked
  detail: null, // the type shown (the core's TypeDetail)
  linked: null, // the URL's type last opened
  asked: null, // what the detail request asked for, to tell late answers apart
  downloads: new Map(), // source → { started } while a header is being made
};

// C keywords for bpftool's kind names, for titles and links.
const KEYWORD = { STRUCT: 'struct', UNION: 'union', ENUM: 'enum', ENUM64: 'enum', TYPEDEF: 'typedef', FWD: 'fwd', FUNC: 'func', VAR: 'var', DATASEC: 'datasec', INT: 'int', FLOAT: 'float', DECL_TAG: 'decl_tag' };
const keyword = (kind) => KEYWORD[kind] || kind.toLowerCase();
const typeTitle = (kind, name) => `${keyword(kind)} ${name || '(anonymous)'}`;

/** The run whose files the core still has: done (its rows are in), with files. */
const runReady = () => state.run && state.run.phase === 'done' && haveFiles();

function ensureIndexed() {
  if (!runReady() || types.runId === state.run.id) return;
  types.runId = state.run.id;
  types.ready = null;
  types.searched = null;
  types.detail = null;
  types.asked = null;
  types.linked = null;
  types.downloads.clear();
  core.send(request.types.open(state.run.id));
}

function render() {
  ensureIndexed();
  openLinked();
  renderStatus();
  renderHits();
  renderDetail();
}

function renderStatus() {
  const status = $('types-status');
  const download = $('types-download');
  download.disabled = !types.ready || !types.ready.sources.length;
  if (!haveFiles()) return fill(status, 'The Types view needs the files themselves; an imported report has only the figures.');
  if (!state.run) return fill(status, 'Load a vmlinux (and modules) to browse their types.');
  if (!runReady()) return fill(status, 'Waiting for the run to finish…');
  if (!types.ready) return fill(status, 'Indexing the types…');
  const { sources, entries, ms } = types.ready;
  const modules = sources.length - (sources[0] === 'vmlinux' ? 1 : 0);
  const parts = [`${count(types.ready.types)} types, ${count(entries)} names in ${sources[0] === 'vmlinux' ? 'vmlinux' : 'no base'}${modules ? ` and ${count(modules)} module${modules === 1 ? '' : 's'}` : ''} (indexed in ${duration(ms)})`];
  const s = types.searched;
  if (s) parts.push(`${count(s.total)} match${s.total === 1 ? '' : 'es'} for “${s.query}” in ${s.ms.toFixed(1)} ms`);
  fill(status, parts.join(' · '));
  download.textContent = types.downloads.has(0) ? 'Making vmlinux.h…' : sources[0] === 'vmlinux' ? 'Download vmlinux.h' : `Download ${sources[0]}.h`;
}

function renderHits() {
  const list = $('types-hits');
  const s = types.searched;
  if (!s) return fill(list, types.ready ? h('li', { class: 'hint' }, 'Type a name: task_struct, sk_buff, …') : null);
  const shown = types.detail && types.detail.entry ? types.detail.entry.entry : null;
  fill(
    list,
    s.hits.map((hit) =>
      h('li', null,
        h('button', { type: 'button', class: `hit${hit.entry === shown ? ' selected' : ''}`, 'data-entry': hit.entry, onclick: () => openEntry(hit) },
          h('span', { class: 'kind' }, keyword(hit.kind)),
          h('span', { class: 'name' }, hit.name),
          h('span', { class: 'where' }, where(hit))))),
    s.total > s.hits.length && h('li', { class: 'hint' }, `… and ${count(s.total - s.hits.length)} more: type more of the name`),
    s.total === 0 && h('li', { class: 'hint' }, 'No type has this in its name.'),
  );
}

const sourceName = (source) => (types.ready ? types.ready.sources[source] : `source ${source}`);
const where = (hit) => (hit.count === 1 ? sourceName(hit.first.source) : `${sourceName(hit.first.source)} +${count(hit.count - 1)}`);

// The type the URL names (`type=NAME`, `in=MODULE`), once indexed: on
// opening the page from a link, or when the link changes.
function openLinked() {
  const linked = ui.params.type ? JSON.stringify({ spec: ui.params.type, in: ui.params.in || null }) : null;
  if (!types.ready || !linked || linked === types.linked) return;
  types.linked = linked;
  openType(JSON.parse(linked));
}

/** Asks for a type: `{ spec }` (a name, or kind and name), `{ entry }` or `{ source, id }`. */
function openType(what) {
  types.asked = JSON.stringify(what);
  core.send(request.types.detail(types.runId, what));
}

function openEntry(hit) {
  ui.params.type = specOf(hit.kind, hit.name);
  delete ui.params.in;
  followed();
  openType({ source: hit.first.source, id: hit.first.id });
}

function openAt(at, kind, name) {
  ui.params.type = specOf(kind, name);
  if (at.source === 0 || !types.ready) delete ui.params.in;
  else ui.params.in = sourceName(at.source);
  followed();
  openType(at);
}

/** The URL names the type being opened by a click: no need to open it again from the link. */
function followed() {
  writeState(ui);
  types.linked = JSON.stringify({ spec: ui.params.type, in: ui.params.in || null });
}

// A name alone opens the struct, union, enum or typedef of that name first:
// links keep the kind only for other kinds.
const specOf = (kind, name) => (['STRUCT', 'UNION', 'ENUM', 'ENUM64', 'TYPEDEF'].includes(kind) ? name : `${kind.toLowerCase()} ${name}`);

// Module types the Dedup view takes as a case (views/teach.js), by kind.
const TEACH_KINDS = { STRUCT: 'struct', UNION: 'union', ENUM: 'enum', ENUM64: 'enum', TYPEDEF: 'typedef', FWD: 'fwd' };

function renderDetail() {
  const box = $('types-detail');
  const d = types.detail;
  if (!d) return fill(box, types.ready ? h('p', { class: 'hint' }, 'Pick a type on the left, or link to one: #view=types&type=task_struct.') : null);
  if (d.error) return fill(box, h('p', { class: 'error-text' }, d.error));
  const defined = d.entry ? d.entry.defined : [d.at];
  fill(
    box,
    h('h2', null, typeTitle(d.kind, d.name), h('span', { class: 'path' }, `[${d.at.id}] ${d.kind} in ${d.source}`)),
    h('dl', { class: 'facts' },
      fact('size', d.size === null || d.size === undefined ? '—' : `${count(d.size)} bytes`),
      fact('defined in', h('span', { class: 'defined' }, defined.map((at, i) => [
        i > 0 && ', ',
        sameAt(at, d.at) ? h('strong', null, sourceName(at.source)) : h('a', { href: '#', onclick: (e) => (e.preventDefault(), openAt(at, d.kind, d.name)) }, sourceName(at.source)),
      ]))),
      fact('referred to by', `${count(d.referrers_total)} named types`)),
    d.at.source !== 0 && h('p', null,
      h('button', { type: 'button', id: 'types-download-module', onclick: () => download(d.at.source) }, types.downloads.has(d.at.source) ? `Making ${d.source}.h…` : `Download ${d.source}.h (on vmlinux)`),
      graphLink(d),
      TEACH_KINDS[d.kind] && [' ', h('a', { id: 'types-teach', href: `#view=teach&from=${encodeURIComponent(d.source)}&extract=${encodeURIComponent(`${TEACH_KINDS[d.kind]} ${d.name}`)}` }, 'Why was it not merged? (step through its dedup)')]),
    h('h3', null, 'C'),
    d.c ? h('pre', { class: 'code', id: 'types-c' }, d.c) : h('p', { class: 'hint' }, 'No C text of its own (it is written where it is used).'),
    d.layout && [h('h3', null, 'Layout'), h('pre', { class: 'code layout', id: 'types-layout' }, layoutLines(d.layout))],
    h('h3', null, `Referred to by${d.referrers_total > d.referrers.length ? ` (the first ${count(d.referrers.length)} of ${count(d.referrers_total)})` : ''}`),
    d.referrers.length
      ? h('ul', { class: 'referrers', id: 'types-referrers' }, d.referrers.map((r) =>
        h('li', null,
          h('a', { href: '#', onclick: (e) => (e.preventDefault(), openAt(r.at, r.kind, r.name)) }, typeTitle(r.kind, r.name)),
          r.path && h('span', { class: 'via' }, ` · ${r.path}`),
          r.at.source !== d.at.source && h('span', { class: 'via' }, ` · ${sourceName(r.at.source)}`))))
      : h('p', { class: 'hint' }, 'No named type refers to it.'),
  );
}

// A module type's neighbourhood in the module's type graph (the Module
// detail view, starting from it).
function graphLink(d) {
  const row = state.rows.find((r) => r.name === d.source && r.split);
  if (!row) return null;
  const link = new URLSearchParams({ view: 'module', module: row.path, type: d.at.id });
  return [' ', h('a', { id: 'types-graph', href: `#${link}` }, `Show it in ${d.source}'s type graph`)];
}

const sameAt = (a, b) => a.source === b.source && a.id === b.id;

// pahole's comments name the wasted space: holes (`XXX`), padding, and the
// cache-line marks; those lines get a class of their own.
function layoutLines(text) {
  return text.split(/(?<=\n)/).map((line) => {
    if (/\/\* XXX /.test(line)) return h('span', { class: 'hole' }, line);
    if (/\/\* (bit_)?padding: /.test(line)) return h('span', { class: 'padding' }, line);
    if (/\/\* --- cacheline /.test(line)) return h('span', { class: 'cacheline' }, line);
    return line;
  });
}

function search(query) {
  if (!types.ready) return;
  const seq = ++types.searchSeq;
  types.sent.set(seq, performance.now());
  core.send(request.types.search(types.runId, seq, query, HITS_SHOWN));
}

function download(source) {
  if (types.downloads.has(source) || !types.ready) return;
  types.downloads.set(source, { started: performance.now() });
  core.send(request.types.header(types.runId, source));
  render();
}

listen(REPLY.TYPES_READY, (msg) => {
  if (msg.runId !== types.runId) return;
  types.ready = msg;
  // For tests and the benchmark.
  document.body.dataset.types = 'ready';
  if (ui.view === 'types') {
    const query = $('types-search').value;
    if (query) search(query);
    render();
  }
});

listen(REPLY.TYPES_HITS, (msg) => {
  if (msg.runId !== types.runId || msg.seq !== types.searchSeq) return;
  const asked = types.sent.get(msg.seq);
  types.sent.clear();
  types.searched = msg;
  renderHits();
  renderStatus();
  // For tests and the benchmark: the core's time, and the page's from asking to drawn.
  Object.assign(document.body.dataset, { typesSearch: msg.query, typesSearchMs: msg.ms.toFixed(2), typesSearchPageMs: (performance.now() - asked).toFixed(2) });
});

listen(REPLY.TYPES_DETAIL, (msg) => {
  if (msg.runId !== types.runId || JSON.stringify(msg.what) !== types.asked) return;
  types.asked = null;
  types.detail = msg.detail || { error: msg.error };
  renderDetail();
  renderHits();
  document.body.dataset.typesDetail = msg.detail ? `${msg.detail.kind} ${msg.detail.name}` : 'error';
});

listen(REPLY.TYPES_HEADER, (msg) => {
  if (msg.runId !== types.runId) return;
  const asked = types.downloads.get(msg.source);
  types.downloads.delete(msg.source);
  const name = `${msg.source === 0 && types.ready.sources[0] === 'vmlinux' ? 'vmlinux' : sourceName(msg.source)}.h`;
  const link = h('a', { href: URL.createObjectURL(new Blob([msg.bytes], { type: 'text/x-c' })), download: name });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  // For tests and the benchmark: from the click to the file, and the core's time.
  Object.assign(document.body.dataset, { typesHeader: name, typesHeaderMs: Math.round(performance.now() - asked.started), typesHeaderCoreMs: Math.round(msg.ms) });
  render();
});

// The core's error for any of the view's requests: shown where the
// answer was awaited.
listenErrors(REQUEST.TYPES, ({ message }) => {
  if (types.downloads.size) {
    types.downloads.clear();
    renderStatus();
  }
  if (types.asked) types.detail = { error: message };
  renderDetail();
  fill($('types-status'), `The core could not answer: ${message}`);
});

registerView({
  name: 'types',
  label: 'Types',
  panel(section) {
    section.classList.add('types');
    section.append(
      h('div', { class: 'toolbar' },
        h('input', { id: 'types-search', type: 'search', placeholder: 'Search every type by name…', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Search types by name', oninput: (e) => search(e.target.value) }),
        h('button', { type: 'button', id: 'types-download', disabled: true, onclick: () => download(0) }, 'Download vmlinux.h'),
        h('span', { id: 'types-status', class: 'hint' })),
      h('div', { class: 'types-body' },
        h('ul', { id: 'types-hits', class: 'hits' }),
        h('div', { id: 'types-detail', class: 'type-detail' })),
    );
  },
  render,
});
