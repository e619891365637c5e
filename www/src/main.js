// The page: wiring only. All analysis happens in the worker (worker.js,
// through analysis.js); this thread only renders, so it never blocks.
//
//   state.js     what the page knows (rows, base, run) and what the URL says (ui)
//   protocol.js  every message between the page and the worker
//   analysis.js  the page's core and who listens to its replies
//   run.js       a run's passes and crash recovery
//   page.js      the frame around the views (progress, summary, base, drops)
//   views/       one module per view; each registers itself with
//                views/registry.js, which gives it a tab and `#view=NAME`
//
// A new view: a module views/NAME.js that calls registerView({ name, label,
// render, ... }) and one import line below, where its tab should go (see
// views/README.md).

import { $ } from './dom.js';
import { filesFromInput } from './intake.js';
import { initDrop, renderAll, setPhase } from './page.js';
import { start, restart, cancel, loadSample } from './run.js';
import { state, ui } from './state.js';
import { readState } from './url.js';
import { setView } from './views/registry.js';

import './views/modules.js';
import './views/charts.js';
import './views/detail.js';
import './views/report.js';
import './views/compat.js';
import './views/compare.js';
import './views/types.js';
import './views/encode.js';
import './views/teach.js';
import './views/core.js';

for (const id of ['pick-files', 'pick-folder']) {
  $(id).addEventListener('change', (e) => {
    start(filesFromInput(e.target), 'files');
    e.target.value = '';
  });
}
$('load-sample').addEventListener('click', loadSample);
$('cancel').addEventListener('click', cancel);
$('base-choice').addEventListener('change', (e) => {
  const v = e.target.value;
  state.baseChoice = v === 'auto' || v === 'none' ? v : Number(v);
  restart();
});
initDrop((files) => start(files, 'files'));

window.addEventListener('hashchange', () => {
  Object.assign(ui, readState());
  setView(ui.view);
});

// Static hosting without COOP/COEP headers: the service worker adds them,
// after which a reload makes the page cross-origin isolated (threads).
if (!self.crossOriginIsolated && 'serviceWorker' in navigator && window.isSecureContext && !sessionStorage.getItem('coi-reloaded')) {
  navigator.serviceWorker
    .register('./sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      sessionStorage.setItem('coi-reloaded', '1');
      location.reload();
    }, () => {});
}

setView(ui.view);
renderAll();
setPhase('idle');
loadSample();
