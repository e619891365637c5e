// Page state in the URL fragment (view, module, type in its graph, filter,
// sort, and any parameter a view adds), so a link reopens the same view:
// `#view=NAME&module=...`. The fragment never leaves the browser. Which
// views exist is the registry's business (views/registry.js): an unknown
// name here opens the first view.

const KNOWN = ['view', 'module', 'type', 'filter', 'sort'];

export function readState() {
  const p = new URLSearchParams(location.hash.slice(1));
  const [sortKey, sortOrder] = (p.get('sort') || '').split(':');
  return {
    view: p.get('view') || null,
    module: p.get('module') || null,
    type: Number(p.get('type')) || null,
    filter: p.get('filter') || '',
    sort: sortKey ? { key: sortKey, descending: sortOrder !== 'asc' } : null,
    // A view's own parameters, as text: see views/README.md.
    params: Object.fromEntries([...p].filter(([key]) => !KNOWN.includes(key))),
  };
}

export function writeState({ view, module, type, filter, sort, params }) {
  const p = new URLSearchParams();
  p.set('view', view);
  if (module) p.set('module', module);
  if (module && type) p.set('type', type);
  if (filter) p.set('filter', filter);
  if (sort) p.set('sort', `${sort.key}:${sort.descending ? 'desc' : 'asc'}`);
  for (const [key, value] of Object.entries(params || {})) {
    if (!KNOWN.includes(key) && value !== undefined && value !== null && value !== '') p.set(key, value);
  }
  const hash = `#${p}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
