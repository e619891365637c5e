// The Module detail view (`#view=module&module=PATH&type=ID`): a module's
// figures and kinds, the explainer's findings against vmlinux, and its type
// graph (graph.js, loaded when first shown). The graph starts from type ID's
// neighbourhood, or the module's hub (the struct its own types use most):
// a whole module is thousands of nodes; a button draws them all.

import { core, listen, listenErrors } from '../analysis.js';
import { $, h, fill, fact } from '../dom.js';
import { count } from '../format.js';
import { kindTable } from '../kinds.js';
import { REPLY, REQUEST, request } from '../protocol.js';
import { state, ui, selectedRow, haveFiles } from '../state.js';
import { writeState } from '../url.js';
import { statusText } from './modules.js';
import { registerView } from './registry.js';

let graphView = null;
let graphKey = null;
let graphModule = null; // the file index of the module drawn (the session's key)
let graphType = null; // the type of the URL the drawing was last asked to start from or pick
let graphPart = null; // { root, own_types } of the drawing, if it is a part of the graph

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

function requestGraph(row) {
  const key = `${state.run ? state.run.id : 0}:${row.path}`;
  if (key === graphKey) {
    // A link to another type: picked if drawn, else the drawing starts again from it.
    if (ui.type && graphView && ui.type !== graphType) {
      graphType = ui.type;
      if (!graphView.pick(ui.type)) askGraph({ start: ui.type });
    }
    return;
  }
  if (!row.split || !haveFiles()) {
    // Not (yet) drawable: asked again once the module has been read.
    fill($('graph-note'), haveFiles() ? '' : 'The type graph needs the files themselves; an imported report has only the figures.');
    if (graphView) graphView.show({ nodes: [], edges: [] });
    return;
  }
  graphKey = key;
  graphModule = row.index;
  graphType = ui.type;
  fill($('detail-explain'), state.base ? h('p', { class: 'hint' }, 'Comparing the module\'s types with vmlinux…') : null);
  askGraph({ start: ui.type || null }, Boolean(state.base));
}

function askGraph(view, explain = false) {
  if (view === 'whole' || view.expand === undefined) fill($('graph-note'), 'Building the type graph…');
  core.send(request.graph(graphKey, graphModule, view, explain));
}

// cytoscape is most of the page's code: loaded when a graph is first shown.
let graphViewLoading = null;
function typeGraphView() {
  graphViewLoading ||= import(/* webpackChunkName: "graph" */ '../graph.js').then(({ TypeGraph }) => {
    graphView = new TypeGraph($('graph'), {
      onPick: (n) => {
        ui.type = Number(n.id);
        graphType = ui.type;
        writeState(ui);
        note(typeNote(n));
      },
      onExpand: (id) => askGraph({ expand: id }),
    });
    return graphView;
  });
  return graphViewLoading;
}

listen(REPLY.GRAPH, async ({ key, view, graph }) => {
  const shown = await typeGraphView();
  if (key !== graphKey) return;
  if (view === 'whole' || view.expand === undefined) {
    shown.show(graph);
    const root = graph.nodes.find((n) => n.id === graph.root);
    graphPart = root ? { root, own_types: graph.own_types } : null;
    const local = graph.nodes.filter((n) => !n.base).length;
    note(
      root ? `What ${typeName(root)} reaches in two references: ` : '',
      `${count(local)} module types (blue) and ${count(graph.nodes.length - local)} base types they use (orange), ${count(graph.edges.length)} references. Scroll to zoom, drag to pan, click a type to see its neighbours and add what it refers to.`,
    );
    if (ui.type) shown.pick(ui.type);
    // For tests: what the drawing shows.
    Object.assign(document.body.dataset, { graph: key, graphNodes: graph.nodes.length, graphRoot: root ? `${root.kind} ${root.name}` : '' });
  } else {
    const added = shown.expand(view.expand, graph);
    const node = graph.nodes.find((n) => n.id === view.expand);
    if (node) note(`${typeNote(node)} · expanded: ${count(added)} more types`);
  }
});

/** The graph's note: `text`, and while a part is drawn, the button that draws the whole graph. */
function note(...text) {
  fill($('graph-note'), text, graphPart && [' ', h('button', { type: 'button', id: 'graph-whole', onclick: () => askGraph('whole') }, `Draw all ${count(graphPart.own_types)} module types`)]);
}

const typeName = (n) => `${n.kind.toLowerCase()} ${n.name || '(anonymous)'} [${n.id}]`;

listen(REPLY.EXPLAIN, (message) => message.key === graphKey && renderExplain(message));

listenErrors(REQUEST.GRAPH, ({ message }) => fill($('graph-note'), `The type graph could not be built: ${message}`));

const typeNote = (n) => `[${n.id}] ${n.kind} ${n.name || '(anonymous)'} · ${n.base ? 'base (vmlinux) type' : 'module type'}`;

registerView({
  name: 'module',
  label: 'Module detail',
  render: renderDetail,
  shown: () => graphView && graphView.resize(),
});
