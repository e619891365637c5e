// Hand-written SVG charts: per-module sizes (shipped split BTF, and the
// stand-alone FULL size once the dedup analysis provides it), bytes per
// kind stacked per module, and a treemap of all modules' BTF sizes.

import { h, s } from './dom.js';
import { bytes, count } from './format.js';

// One colour per BTF kind, stable across charts and the detail view.
const KIND_COLOURS = {
  INT: '#4e79a7', PTR: '#f28e2b', ARRAY: '#e15759', STRUCT: '#76b7b2', UNION: '#59a14f',
  ENUM: '#edc948', FWD: '#b07aa1', TYPEDEF: '#ff9da7', VOLATILE: '#9c755f', CONST: '#bab0ac',
  RESTRICT: '#8cd17d', FUNC: '#7b4fa0', FUNC_PROTO: '#d37295', VAR: '#a0cbe8', DATASEC: '#fabfd2',
  FLOAT: '#b6992d', DECL_TAG: '#86bcb6', TYPE_TAG: '#d4a6c8', ENUM64: '#c49c0b',
};
export const kindColour = (kind) => KIND_COLOURS[kind] || '#888';

const LABEL_WIDTH = 190;
const BAR_HEIGHT = 18;
const GAP = 6;

const title = (text) => s('title', null, text);

const read = (rows) => rows.filter((r) => r.split);
const splitBytes = (r) => r.split.bytes;
/** Bytes of a module's type records: its kinds' bytes. */
const typeBytes = (r) => r.kinds.kinds.reduce((a, k) => a + k.bytes, 0);

/** Paired bars for the `top` modules with the largest FULL BTF: FULL and SPLIT. */
export function sizeBars(rows, top = 20) {
  const ranked = rows.filter((r) => r.full).sort((a, b) => b.full.bytes - a.full.bytes).slice(0, top);
  const max = Math.max(1, ...ranked.map((r) => r.full.bytes));
  const width = 1000;
  const scale = (v) => ((width - LABEL_WIDTH - 110) * v) / max;
  const per = 2 * BAR_HEIGHT + GAP;
  const svg = s('svg', { viewBox: `0 0 ${width} ${ranked.length * per + 10}`, class: 'chart', role: 'img' });
  ranked.forEach((r, i) => {
    const y = i * per;
    svg.append(s('text', { x: LABEL_WIDTH - 8, y: y + BAR_HEIGHT - 4, class: 'label', 'text-anchor': 'end' }, r.name));
    const bar = (value, dy, cls, what) =>
      svg.append(
        s('rect', { x: LABEL_WIDTH, y: y + dy, width: Math.max(1, scale(value)), height: BAR_HEIGHT - 2, class: cls },
          title(`${r.path}: ${what} ${count(value)} bytes`)),
        s('text', { x: LABEL_WIDTH + scale(value) + 6, y: y + dy + BAR_HEIGHT - 5, class: 'value' }, bytes(value)),
      );
    bar(r.full.bytes, 0, 'full', 'FULL (stand-alone, deduplicated)');
    bar(splitBytes(r), BAR_HEIGHT, 'split', 'SPLIT as shipped');
  });
  const legendY = ranked.length * per + 16;
  svg.setAttribute('viewBox', `0 0 ${width} ${legendY + 24}`);
  [['full', 'FULL: stand-alone, deduplicated'], ['split', 'SPLIT: as shipped, on vmlinux']].forEach(([cls, text], i) =>
    svg.append(s('rect', { x: LABEL_WIDTH + i * 300, y: legendY, width: 14, height: 14, class: cls }), s('text', { x: LABEL_WIDTH + i * 300 + 20, y: legendY + 12, class: 'label' }, text)));
  return svg;
}

/** Bytes per kind, stacked, for the `top` largest modules, with a legend. */
export function kindStacks(rows, top = 20) {
  const ranked = read(rows).sort((a, b) => typeBytes(b) - typeBytes(a)).slice(0, top);
  const kinds = [...new Set(ranked.flatMap((r) => r.kinds.kinds.map((k) => k.kind)))];
  const max = Math.max(1, ...ranked.map(typeBytes));
  const width = 1000;
  const scale = (v) => ((width - LABEL_WIDTH - 110) * v) / max;
  const per = BAR_HEIGHT + GAP;
  const legendY = ranked.length * per + 16;
  const svg = s('svg', { viewBox: `0 0 ${width} ${legendY + 24 * Math.ceil(kinds.length / 6) + 4}`, class: 'chart', role: 'img' });
  ranked.forEach((r, i) => {
    const y = i * per;
    svg.append(s('text', { x: LABEL_WIDTH - 8, y: y + BAR_HEIGHT - 4, class: 'label', 'text-anchor': 'end' }, r.name));
    let x = LABEL_WIDTH;
    for (const k of r.kinds.kinds) {
      const w = scale(k.bytes);
      svg.append(
        s('rect', { x, y, width: w, height: BAR_HEIGHT - 2, fill: kindColour(k.kind) },
          title(`${r.name} ${k.kind}: ${count(k.count)} types, ${count(k.bytes)} bytes`)),
      );
      x += w;
    }
    svg.append(s('text', { x: x + 6, y: y + BAR_HEIGHT - 5, class: 'value' }, bytes(typeBytes(r))));
  });
  kinds.forEach((kind, i) => {
    const x = LABEL_WIDTH + (i % 6) * 130;
    const y = legendY + Math.floor(i / 6) * 24;
    svg.append(
      s('rect', { x, y, width: 14, height: 14, fill: kindColour(kind) }),
      s('text', { x: x + 20, y: y + 12, class: 'label' }, kind),
    );
  });
  return svg;
}

// Squarified treemap (Bruls, Huizing, van Wijk): rows of cells laid along
// the shorter side, each row grown while it improves its worst aspect ratio.
// One pass over the items, largest first.
function squarify(items, x, y, w, h) {
  const out = [];
  let i = 0;
  while (i < items.length) {
    const side = Math.min(w, h);
    let sum = 0;
    let min = Infinity;
    let max = 0;
    let best = Infinity;
    let end = i;
    for (; end < items.length; end += 1) {
      const area = items[end].area;
      const s2 = (sum + area) ** 2;
      const worst = Math.max((side * side * Math.max(max, area)) / s2, s2 / (side * side * Math.min(min, area)));
      if (worst > best) break;
      best = worst;
      sum += area;
      min = Math.min(min, area);
      max = Math.max(max, area);
    }
    const thickness = sum / side;
    let offset = 0;
    for (const it of items.slice(i, end)) {
      const length = (it.area / sum) * side;
      out.push(w >= h ? { item: it.item, x, y: y + offset, w: thickness, h: length } : { item: it.item, x: x + offset, y, w: length, h: thickness });
      offset += length;
    }
    if (w >= h) {
      x += thickness;
      w -= thickness;
    } else {
      y += thickness;
      h -= thickness;
    }
    i = end;
  }
  return out;
}

// Cells smaller than this (in the chart's units) are merged into one.
const MIN_CELL_AREA = 150;

/** A treemap of the modules' shipped BTF bytes; click a cell to open the module. */
export function treemap(rows, onSelect) {
  const width = 1000;
  const height = 520;
  const sized = read(rows).filter((r) => splitBytes(r) > 0).sort((a, b) => splitBytes(b) - splitBytes(a));
  const total = sized.reduce((a, r) => a + splitBytes(r), 0);
  const items = sized.map((r) => ({ item: r, area: (splitBytes(r) / total) * width * height }));
  // Thousands of specks would cost more to draw than they show: one cell for the rest.
  const small = items.filter((it) => it.area < MIN_CELL_AREA);
  const shown = items.filter((it) => it.area >= MIN_CELL_AREA);
  if (small.length) {
    const bytesOfSmall = small.reduce((a, it) => a + splitBytes(it.item), 0);
    shown.push({ item: { name: `${count(small.length)} smaller`, others: bytesOfSmall, path: `${count(small.length)} smaller modules` }, area: small.reduce((a, it) => a + it.area, 0) });
  }
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart treemap', role: 'img' });
  squarify(shown, 0, 0, width, height).forEach((c, i) => {
    const cellBytes = c.item.others ?? splitBytes(c.item);
    const g = s('g', { class: c.item.others ? 'cell others' : 'cell', onclick: c.item.others ? undefined : () => onSelect(c.item) },
      s('rect', { x: c.x, y: c.y, width: c.w, height: c.h, fill: c.item.others ? '#d6dbe1' : `hsl(${(i * 47) % 360} 45% 72%)` }),
      title(`${c.item.path}: ${count(cellBytes)} bytes`));
    if (c.w > 60 && c.h > 18) {
      g.append(s('text', { x: c.x + 4, y: c.y + 14, class: 'cell-label' }, c.item.name));
      if (c.h > 34) g.append(s('text', { x: c.x + 4, y: c.y + 29, class: 'cell-value' }, bytes(cellBytes)));
    }
    svg.append(g);
  });
  return svg;
}

/** All three charts with their headings. */
export function chartsView(rows, onSelect) {
  const done = read(rows);
  if (!done.length) return [h('p', { class: 'hint' }, 'No analysed modules yet.')];
  const full = rows.some((r) => r.full);
  return [
    h('section', { class: 'card' },
      h('h3', null, 'FULL vs SPLIT BTF, the modules with the largest FULL BTF'),
      full ? sizeBars(rows) : h('p', { class: 'hint' }, 'FULL sizes are still being computed.')),
    h('section', { class: 'card' }, h('h3', null, 'Type bytes per kind (SPLIT), largest modules'), kindStacks(rows)),
    h('section', { class: 'card' }, h('h3', null, `Treemap of module BTF sizes as shipped (${count(done.length)} modules)`), treemap(rows, onSelect)),
  ];
}
