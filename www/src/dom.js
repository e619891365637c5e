// Element builders. Text always goes in through textContent and attribute
// values through setAttribute, so names from untrusted files and imported
// reports can never become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  // Deeply: views pass lists of lists (a heading and a table per item).
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h('td', { class: 'num' }, 'text', otherNode). */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** An SVG element, built the same way. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/** Replaces all children of `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return build(parent, null, children);
}

/** The element with `id`. */
export const $ = (id) => document.getElementById(id);

/** A term and its value, for a <dl>. */
export const fact = (term, value) => [h('dt', null, term), h('dd', null, value)];
