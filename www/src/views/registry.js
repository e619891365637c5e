// The views: each registers itself here (see README.md in this folder),
// gets a tab in the nav and a panel, and is drawn when it is shown.

import { $, h } from '../dom.js';
import { state, ui } from '../state.js';
import { writeState } from '../url.js';

const views = [];

/**
 * Adds a view (its tab goes after the tabs of the views registered
 * before it):
 * - `name`: the view's `#view=NAME`, its tab's data-view, its panel's id `view-NAME`
 * - `label`: the tab's text
 * - `panel(section)`: optional, fills the panel once, when the page's markup has none
 * - `render()`: draws the view from the state; called while it is shown,
 *   after it is shown and whenever the data changes
 * - `whole`: `render` rebuilds the whole view, so while a run goes it is
 *   called at most once a second
 * - `changed()`: optional, called whenever the data changes, shown or not
 * - `shown()`: optional, called after the view has become visible
 * Returns the view's panel.
 */
export function registerView(view) {
  if (views.some((v) => v.name === view.name)) throw new Error(`view ${view.name} is registered twice`);
  let section = $(`view-${view.name}`);
  if (!section) {
    section = h('section', { id: `view-${view.name}`, class: 'view', role: 'tabpanel', hidden: true });
    document.querySelector('main').append(section);
    if (view.panel) view.panel(section);
  }
  const tab = h('button', { role: 'tab', type: 'button', 'data-view': view.name, onclick: () => setView(view.name) }, view.label);
  document.querySelector('.tabs').append(tab);
  views.push(view);
  return section;
}

const shownView = () => views.find((v) => v.name === ui.view);

/** Shows the view `name` (the first view's, for a name no view has) and writes the URL. */
export function setView(name) {
  const view = views.find((v) => v.name === name) || views[0];
  ui.view = view.name;
  for (const v of views) {
    const active = v === view;
    document.querySelector(`[role=tab][data-view="${v.name}"]`).setAttribute('aria-selected', String(active));
    $(`view-${v.name}`).hidden = !active;
  }
  writeState(ui);
  renderViews();
  if (view.shown) view.shown();
}

/** Shows the module of `row`, in the view `name` (or the one shown). */
export function selectModule(row, name) {
  if (ui.module !== row.path) ui.type = null;
  ui.module = row.path;
  setView(name || ui.view);
}

/** Draws the view `name` again, if it is the one shown. */
export function rerender(name) {
  const view = shownView();
  if (view && view.name === name) view.render();
}

// Whole views (charts, the text report) are rebuilt at most once a second
// while a run goes.
let wholeTimer = 0;
let wholeAt = 0;
function renderWhole(view) {
  const wait = state.run && state.run.phase === 'running' ? wholeAt + 1000 - performance.now() : 0;
  if (wait > 0) {
    wholeTimer ||= setTimeout(() => {
      wholeTimer = 0;
      const shown = shownView();
      if (shown && shown.whole) renderWhole(shown);
    }, wait);
    return;
  }
  wholeAt = performance.now();
  view.render();
}

/** Tells every view that the data changed, and draws the one shown. */
export function renderViews() {
  for (const view of views) {
    if (view.changed) view.changed();
    if (view.name !== ui.view || !view.render) continue;
    if (view.whole) renderWhole(view);
    else view.render();
  }
}
