// The split type graph of one module, or a part of it, drawn with
// cytoscape (canvas, copes with thousands of nodes). Split types and the
// base types they use get different colours; clicking a type whose
// references are not drawn yet asks the core for them and adds them around it.

import cytoscape from 'cytoscape';

// The force layout runs on this (the UI) thread: only for small graphs.
const FORCE_LAYOUT_LIMIT = 150;
const SPACING = 34;
// Lanes left to right: how types refer to each other, roughly callers first.
const KIND_ORDER = ['FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'PTR', 'CONST', 'VOLATILE', 'RESTRICT', 'TYPE_TAG', 'DECL_TAG', 'ARRAY', 'INT', 'FLOAT'];
const kindRank = (kind) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);

/**
 * Positions for big graphs, computed at once: one lane per kind, module
 * types first, then base types; each lane a block of rows. Returns the
 * positions by node id and a label node per lane.
 */
function lanes(nodes) {
  const groups = new Map();
  for (const n of nodes) {
    const key = `${n.base ? 1 : 0}:${String(kindRank(n.kind)).padStart(2, '0')}:${n.kind}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(n);
  }
  const positions = {};
  const labels = [];
  let x = 0;
  let previousSide = 0;
  for (const key of [...groups.keys()].sort()) {
    const members = groups.get(key);
    const side = Number(key[0]);
    if (side !== previousSide) x += 3 * SPACING; // a gap between module and base types
    previousSide = side;
    const columns = Math.max(1, Math.ceil(Math.sqrt(members.length / 2)));
    members.forEach((n, i) => {
      positions[n.id] = { x: x + (i % columns) * SPACING, y: Math.floor(i / columns) * SPACING };
    });
    labels.push({ group: 'nodes', classes: 'lane', selectable: false, grabbable: false, data: { id: `lane:${key}`, label: `${side ? 'base ' : ''}${members[0].kind} (${members.length})` }, position: { x: x + ((columns - 1) * SPACING) / 2, y: -3 * SPACING } });
    x += columns * SPACING + 2 * SPACING;
  }
  return { positions, labels };
}

const STYLE = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      'text-valign': 'bottom',
      'text-margin-y': 3,
      color: '#222',
      'text-outline-color': '#fff',
      'text-outline-width': 2,
      'min-zoomed-font-size': 8,
      width: 14,
      height: 14,
    },
  },
  { selector: 'node[?base]', style: { 'background-color': '#e8833a', shape: 'round-rectangle' } },
  { selector: 'node[!base]', style: { 'background-color': '#3a6fb0' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#111' } },
  { selector: 'node.lane', style: { 'background-opacity': 0, 'font-size': 44, 'font-weight': 'bold', color: '#59636e', 'text-valign': 'center', 'min-zoomed-font-size': 0, events: 'no' } },
  { selector: '.faded', style: { opacity: 0.12 } },
  {
    selector: 'edge',
    style: { width: 1, 'line-color': '#b8c0cc', 'target-arrow-color': '#b8c0cc', 'target-arrow-shape': 'triangle', 'curve-style': 'haystack', 'arrow-scale': 0.6 },
  },
];

const label = (n) => n.name || `[${n.id}] ${n.kind}`;

function elements(graph, existing) {
  const nodes = graph.nodes
    .filter((n) => !existing || existing.getElementById(String(n.id)).empty())
    .map((n) => ({ group: 'nodes', data: { id: String(n.id), label: label(n), kind: n.kind, name: n.name, base: n.base } }));
  const edges = graph.edges
    .map(([from, to]) => ({ group: 'edges', data: { id: `${from}>${to}`, source: String(from), target: String(to) } }))
    .filter((e) => !existing || existing.getElementById(e.data.id).empty());
  return [...nodes, ...edges];
}

export class TypeGraph {
  /** onPick(node data) when a node is tapped; onExpand(id) for nodes whose references are not drawn. */
  constructor(container, { onPick, onExpand }) {
    this.cy = cytoscape({
      container,
      style: STYLE,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: false,
    });
    this.expanded = new Set(); // ids (text) whose references are drawn
    this.onPick = onPick;
    this.onExpand = onExpand;
    this.cy.on('tap', 'node', (event) => this.pick(event.target));
    this.cy.on('tap', (event) => {
      if (event.target === this.cy) this.cy.elements().removeClass('faded');
    });
  }

  /** Selects a node (or the type `id`): its neighbours stand out, its references are added. */
  pick(node) {
    const target = typeof node === 'number' ? this.cy.getElementById(String(node)) : node;
    if (target.empty()) return false;
    if (typeof node === 'number') this.cy.center(target); // picked from a link: bring it into view
    const data = target.data();
    this.cy.elements().unselect();
    target.select();
    this.highlight(target);
    this.onPick(data);
    if (!this.expanded.has(data.id)) {
      this.expanded.add(data.id);
      this.onExpand(Number(data.id));
    }
    return true;
  }

  /** Fades everything but `node` and its neighbours. */
  highlight(node) {
    this.cy.batch(() => {
      this.cy.elements().addClass('faded');
      node.closedNeighborhood().removeClass('faded');
    });
  }

  /** Whether type `id` is drawn. */
  has(id) {
    return !this.cy.getElementById(String(id)).empty();
  }

  /** Draws `graph`; a type with references in it has all of them there (the core's parts keep them whole). */
  show(graph) {
    this.expanded = new Set(graph.edges.map(([from]) => String(from)));
    this.cy.elements().remove();
    if (graph.nodes.length <= FORCE_LAYOUT_LIMIT) {
      this.cy.add(elements(graph));
      this.cy.layout({ name: 'cose', animate: false, randomize: false, nodeRepulsion: () => 8000, idealEdgeLength: () => 60, numIter: 400 }).run();
    } else {
      const { positions, labels } = lanes(graph.nodes);
      const added = this.cy.add([...elements(graph), ...labels]);
      added.nodes(':not(.lane)').forEach((n) => n.position(positions[n.id()]));
    }
    this.cy.fit(undefined, 20);
  }

  /** Adds what node `id` refers to, in a ring around it; returns how many types were new. */
  expand(id, graph) {
    const centre = this.cy.getElementById(String(id));
    const added = this.cy.add(elements(graph, this.cy));
    const fresh = added.nodes();
    const { x, y } = centre.position();
    const radius = 40 + 6 * fresh.length;
    fresh.forEach((n, i) => {
      const angle = (2 * Math.PI * i) / fresh.length;
      n.position({ x: x + radius * Math.cos(angle), y: y + radius * Math.sin(angle) });
    });
    this.highlight(centre);
    return fresh.length;
  }

  fit() {
    this.cy.fit(undefined, 20);
  }

  resize() {
    this.cy.resize();
  }
}
