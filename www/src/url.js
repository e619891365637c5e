// Page state in the URL fragment (view, module, type in its graph, filter,
// sort), so a link reopens the same view. The fragment never leaves the
// browser.

const VIEWS = ['modules', 'charts', 'module', 'report', 'compat', 'encode'];

export function readState() {
  const p = new URLSearchParams(location.hash.slice(1));
  const view = p.get('view');
  const [sortKey, sortOrder] = (p.get('sort') || '').split(':');
  return {
    view: VIEWS.includes(view) ? view : 'modules',
    module: p.get('module') || null,
    type: Number(p.get('type')) || null,
    filter: p.get('filter') || '',
    sort: sortKey ? { key: sortKey, descending: sortOrder !== 'asc' } : null,
  };
}

export function writeState({ view, module, type, filter, sort }) {
  const p = new URLSearchParams();
  p.set('view', view);
  if (module) p.set('module', module);
  if (module && type) p.set('type', type);
  if (filter) p.set('filter', filter);
  if (sort) p.set('sort', `${sort.key}:${sort.descending ? 'desc' : 'asc'}`);
  const hash = `#${p}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}
