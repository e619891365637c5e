// The Charts view: FULL against SPLIT, bytes per kind and the treemap
// (drawn by ../charts.js), rebuilt whole.

import { $, fill } from '../dom.js';
import { chartsView } from '../charts.js';
import { moduleRows } from '../state.js';
import { registerView, selectModule } from './registry.js';

registerView({
  name: 'charts',
  label: 'Charts',
  whole: true,
  render: () => fill($('charts'), chartsView(moduleRows(), (row) => selectModule(row, 'module'))),
});
