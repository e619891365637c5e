// The Modules view: every module's figures in a sortable, filterable table
// (table.js).

import { $ } from '../dom.js';
import { count } from '../format.js';
import { ModuleTable } from '../table.js';
import { ui, moduleRows } from '../state.js';
import { writeState } from '../url.js';
import { registerView, selectModule } from './registry.js';

const STATUS_TEXT = { pending: 'pending', shipped: 'FULL pending', partial: 'FULL cancelled', ok: 'ok', cancelled: 'cancelled' };

/** A row's status in words. */
export function statusText(r) {
  if (r.status === 'failed') return `error: ${r.error}`;
  // Checked against an imported report: its verdict says more than 'ok'.
  return r.verdict && r.status === 'ok' ? r.verdict : STATUS_TEXT[r.status];
}

function numeric(key, label, value, title) {
  return { key, label, title, numeric: true, width: 'minmax(80px, 1fr)', value, text: (r) => (value(r) === undefined ? '' : count(value(r))) };
}

const COLUMNS = [
  { key: 'name', label: 'Module', width: 'minmax(140px, 1.5fr)', value: (r) => r.name, text: (r) => r.name },
  numeric('file_bytes', 'File bytes', (r) => r.file_bytes, 'Size of the file as given (compressed if it is)'),
  numeric('split_bytes', 'SPLIT bytes', (r) => r.split && r.split.bytes, 'The module\'s .BTF as shipped: split BTF on vmlinux'),
  numeric('split_types', 'SPLIT types', (r) => r.split && r.split.types, 'Types the module\'s split BTF holds'),
  numeric('dedup_bytes', 'Re-deduped', (r) => r.dedup && r.dedup.bytes, 'The module\'s split BTF deduplicated again against vmlinux by current libbpf rules'),
  numeric('dedup_saved', 'Re-dedup saves', (r) => r.dedup && r.split.bytes - r.dedup.bytes, 'Bytes a current deduplication removes from the shipped split BTF (stale tools leave duplicates of base types)'),
  numeric('full_bytes', 'FULL bytes', (r) => r.full && r.full.bytes, 'The module\'s BTF made stand-alone (with the base types it reaches) and deduplicated'),
  numeric('full_types', 'FULL types', (r) => r.full && r.full.types, 'Types of the FULL BTF'),
  numeric('saved', 'Split saves', (r) => r.full && r.full.bytes - r.split.bytes, 'Bytes split BTF saves against FULL'),
  numeric('base_types', 'Base types', (r) => r.full && r.base_types_reached, 'vmlinux types the module\'s types reach'),
  {
    key: 'status',
    label: 'Status',
    width: 'minmax(110px, 1.5fr)',
    value: statusText,
    text: statusText,
  },
];

const table = new ModuleTable($('table'), COLUMNS, {
  initialSort: 'full_bytes',
  onSelect: (row) => selectModule(row, 'module'),
  onSort: (sort) => {
    ui.sort = sort;
    writeState(ui);
  },
});
if (ui.sort) table.sortBy(ui.sort.key, ui.sort.descending);
$('filter').value = ui.filter;
table.setFilter(ui.filter);
$('filter').addEventListener('input', (e) => {
  ui.filter = e.target.value;
  table.setFilter(ui.filter);
  writeState(ui);
});

registerView({
  name: 'modules',
  label: 'Modules',
  // The table draws only the rows in sight, and only once they are in sight.
  changed: () => table.setRows(moduleRows()),
});
