// Page state in the URL fragment (view, module, type in its graph, filter,
// sort, and any parameter a view adds), so a link reopens the same view:
// `#view=NAME&module=...`. The fragment never leaves the browser. Which
// views exist is the registry's business (views/registry.js): an unknown
// name here opens the first view.

const KNOWN = ['view', 'module', 'type', 'filter', 'sort'];
// Views whose `type` is a type's name, one of their own parameters
// (`#view=types&type=task_struct`), not the module graph's type id.
const TYPE_BY_NAME = ['types'];
const known = (key, view) => KNOWN.includes(key) && !(key === 'type' && TYPE_BY_NAME.includes(view));

export function readState() {
  const p = new URLSearchParams(location.hash.slice(1));
  const [sortKey, sortOrder] = (p.get('sort') || '').split(':');
  const view = p.get('view') || null;
  return {
    view,
    module: p.get('module') || null,
    type: known('type', view) ? Number(p.get('type')) || null : null,
    filter: p.get('filter') || '',
    sort: sortKey ? { key: sortKey, descending: sortOrder !== 'asc' } : null,
    // A view's own parameters, as text: see views/README.md.
    params: Object.fromEntries([...p].filter(([key]) => !known(key, view))),
  };
}

export function writeState({ view, module, type, filter, sort, params }) {
  const p = new URLSearchParams();
  p.set('view', view);
  if (module) p.set('module', module);
  if (module && type && known('type', view)) p.set('type', type);
  if (filter) p.set('filter', filter);
  if (sort) p.set('sort', `${sort.key}:${sort.descending ? 'desc' : 'asc'}`);
  for (const [key, value] of Object.entries(params || {})) {
    if (!known(key, view) && value !== undefined && value !== null && value !== '') p.set(key, value);
  }
  const hash = `#${p}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
