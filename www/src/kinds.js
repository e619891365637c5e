// Types and bytes per BTF kind as a table with bars: a module's detail and
// an encoded BTF show the same one.

import { h } from './dom.js';
import { count } from './format.js';
import { kindColour } from './charts.js';

/** A table of `kinds` ([{ kind, count, bytes }], as the core's stat gives them). */
export function kindTable(kinds) {
  const max = Math.max(1, ...kinds.map((k) => k.bytes));
  return h('table', { class: 'kinds' },
    h('thead', null, h('tr', null, h('th', null, 'kind'), h('th', { class: 'num' }, 'types'), h('th', { class: 'num' }, 'bytes'), h('th', null, ''))),
    h('tbody', null, kinds.map((k) => h('tr', null,
      h('td', null, k.kind),
      h('td', { class: 'num' }, count(k.count)),
      h('td', { class: 'num' }, count(k.bytes)),
      h('td', { class: 'bar-cell' }, kindBar(k, max))))));
}

// Width and colour through the CSSOM: style attributes would need a looser CSP.
function kindBar(k, max) {
  const bar = h('div', { class: 'kind-bar' });
  bar.style.width = `${(100 * k.bytes) / max}%`;
  bar.style.background = kindColour(k.kind);
  return bar;
}
