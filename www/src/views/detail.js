// The Module detail view (`#view=module&module=PATH&type=ID`): a module's
// figures and kinds, the explainer's findings against vmlinux, and its type
// graph (graph.js, loaded when first shown).

import { core, listen, listenErrors } from '../analysis.js';
import { $, h, fill, fact } from '../dom.js';
import { count } from '../format.js';
import { kindTable } from '../kinds.js';
import { REPLY, REQUEST, request } from '../protocol.js';
import { state, ui, selectedRow, baseEntry, haveFiles } from '../state.js';
import { writeState } from '../url.js';
import { statusText } from './modules.js';
import { registerView } from './registry.js';

let graphView = null;
let graphKey = null;

function renderDetail() {
  const row = selectedRow();
  const title = $('detail-title');
  if (!row) {
    fill(title, 'No module selected');
    fill($('detail-body'), h('p', { class: 'hint' }, 'Pick a module in the table or the treemap.'));
    fill($('graph-note'));
    return;
  }
  fill(title, row.name, h('span', { class: 'path' }, row.path));
  const body = [];
  if (row.error) body.push(h('p', { class: 'error-text' }, row.error));
  if (row.split) {
    const { split, full } = row;
    body.push(
      h('dl', { class: 'facts' },
        fact('file', `${count(row.file_bytes)} bytes`),
        fact('SPLIT', `${count(split.bytes)} bytes, ${count(split.types)} types (as shipped)`),
        row.dedup && fact('re-deduped', `${count(row.dedup.bytes)} bytes, ${count(row.dedup.types)} types (${count(split.bytes - row.dedup.bytes)} bytes saved)`),
        fact('FULL', full ? `${count(full.bytes)} bytes, ${count(full.types)} types` : statusText(row)),
        full && fact('saved', `${count(full.bytes - split.bytes)} bytes (${((100 * (full.bytes - split.bytes)) / full.bytes).toFixed(1)}% of FULL)`),
        full && fact('base types', `${count(row.base_types_reached)} reached`),
        fact('strings', `${count(row.kinds.string_bytes)} bytes`),
        full && fact('FULL sha256', row.full_sha256 ? `${row.full_sha256.slice(0, 16)}…` : row.hash_error || 'being computed')),
      kindTable(row.kinds.kinds),
    );
  }
  fill($('detail-body'), body);
  requestGraph(row);
}

// The explainer's findings: the module's types that duplicate or almost
// duplicate a vmlinux type, with the verdict in words.
const VERDICT_LABEL = { identical: 'identical', different: 'different', unmergeable: 'not mergeable' };
function renderExplain({ explanation, error }) {
  if (error) return fill($('detail-explain'), h('p', { class: 'error-text' }, `The explainer failed: ${error}`));
  const { counts, redup_saved_bytes: saved, findings } = explanation;
  fill(
    $('detail-explain'),
    h('h3', null, 'Duplicates of vmlinux types'),
    h('p', { class: 'hint', id: 'explain-summary' },
      `${count(counts.identical)} identical (a current dedup saves ${count(saved)} bytes), ${count(counts.different)} different, ${count(counts.unmergeable)} equivalent but not mergeable`),
    findings.length
      ? h('table', { class: 'kinds findings' },
        h('thead', null, h('tr', null, h('th', null, 'type'), h('th', null, 'vmlinux'), h('th', null, 'verdict'))),
        h('tbody', null, findings.map((f) => {
          const verdict = f.verdict.verdict;
          return h('tr', { class: verdict }, h('td', { title: `[${f.split_id}] ${f.kind}` }, f.name), h('td', { class: 'num' }, `[${f.base_id}]`), h('td', null, VERDICT_LABEL[verdict] ?? verdict, h('div', { class: 'why' }, f.text)));
        })))
      : null,
  );
}

const baseFile = () => (baseEntry() ? baseEntry().file : null);

function requestGraph(row) {
  const key = `${state.run ? state.run.id : 0}:${row.path}`;
  if (key === graphKey) return;
  const entry = state.files[row.index];
  if (!row.split || !entry || !haveFiles()) {
    // Not (yet) drawable: asked again once the module has been read.
    fill($('graph-note'), haveFiles() ? '' : 'The type graph needs the files themselves; an imported report has only the figures.');
    if (graphView) graphView.show({ nodes: [], edges: [] });
    return;
  }
  graphKey = key;
  fill($('graph-note'), 'Building the type graph…');
  fill($('detail-explain'), state.base ? h('p', { class: 'hint' }, 'Comparing the module\'s types with vmlinux…') : null);
  core.send(request.graph(key, baseFile(), entry.file, null));
}

// cytoscape is most of the page's code: loaded when a graph is first shown.
let graphViewLoading = null;
function typeGraphView() {
  graphViewLoading ||= import(/* webpackChunkName: "graph" */ '../graph.js').then(({ TypeGraph }) => {
    graphView = new TypeGraph($('graph'), {
      onPick: (n) => {
        ui.type = Number(n.id);
        writeState(ui);
        fill($('graph-note'), typeNote(n));
      },
      onExpand: (id) => core.send(request.graph(graphKey, baseFile(), state.files[selectedRow().index].file, id)),
    });
    return graphView;
  });
  return graphViewLoading;
}

listen(REPLY.GRAPH, async ({ key, expand, graph }) => {
  const view = await typeGraphView();
  if (key !== graphKey) return;
  if (expand === null) {
    view.show(graph);
    const local = graph.nodes.filter((n) => !n.base).length;
    fill($('graph-note'), `${count(local)} module types (blue) and ${count(graph.nodes.length - local)} base types they use (orange), ${count(graph.edges.length)} references. Scroll to zoom, drag to pan, click a type to see its neighbours; clicking an orange one adds what it refers to.`);
    if (ui.type) view.pick(ui.type);
  } else {
    const added = view.expand(expand, graph);
    const node = graph.nodes.find((n) => n.id === expand);
    if (node) fill($('graph-note'), `${typeNote(node)} · expanded: ${count(added)} more types`);
  }
});

listen(REPLY.EXPLAIN, (message) => message.key === graphKey && renderExplain(message));

listenErrors(REQUEST.GRAPH, ({ message }) => fill($('graph-note'), `The type graph could not be built: ${message}`));

const typeNote = (n) => `[${n.id}] ${n.kind} ${n.name || '(anonymous)'} · ${n.base ? 'base (vmlinux) type' : 'module type'}`;

registerView({
  name: 'module',
  label: 'Module detail',
  render: renderDetail,
  shown: () => graphView && graphView.resize(),
});
