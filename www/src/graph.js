// The split type graph of one module, drawn with cytoscape (canvas, copes
// with thousands of nodes). Split types and the base types they use get
// different colours; clicking a base type asks the core for what it refers
// to and adds that around it.

import cytoscape from 'cytoscape';

// Above this many nodes the force layout takes seconds; rings are instant.
const FORCE_LAYOUT_LIMIT = 400;

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
  /** onPick(node data) when a node is tapped; onExpand(id) for base nodes. */
  constructor(container, { onPick, onExpand }) {
    this.cy = cytoscape({
      container,
      style: STYLE,
      wheelSensitivity: 0.3,
      minZoom: 0.05,
      maxZoom: 4,
      boxSelectionEnabled: false,
    });
    this.expanded = new Set();
    this.cy.on('tap', 'node', (event) => {
      const data = event.target.data();
      onPick(data);
      if (data.base && !this.expanded.has(data.id)) {
        this.expanded.add(data.id);
        onExpand(Number(data.id));
      }
    });
  }

  show(graph) {
    this.expanded.clear();
    this.cy.elements().remove();
    this.cy.add(elements(graph));
    const big = graph.nodes.length > FORCE_LAYOUT_LIMIT;
    this.cy
      .layout(big
        ? { name: 'concentric', concentric: (n) => (n.data('base') ? 1 : 2), levelWidth: () => 1, minNodeSpacing: 4, animate: false }
        : { name: 'cose', animate: false, randomize: false, nodeRepulsion: () => 8000, idealEdgeLength: () => 60, numIter: 600 })
      .run();
    this.cy.fit(undefined, 20);
  }

  /** Adds what node `id` refers to, in a ring around it. */
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
  }

  fit() {
    this.cy.fit(undefined, 20);
  }

  resize() {
    this.cy.resize();
  }
}
