// The module table: sortable, filterable, virtualized (only the rows in
// view exist in the DOM, so 4000+ modules scroll smoothly).

import { h } from './dom.js';

const OVERSCAN = 8;

export class ModuleTable {
  /**
   * columns: [{ key, label, value(row) → number|string, text(row) → string, numeric }]
   * onSelect(row) is called when a row is clicked or chosen with Enter.
   */
  constructor(root, columns, { initialSort, rowHeight = 30, onSelect, onSort }) {
    this.columns = columns;
    this.rowHeight = rowHeight;
    this.onSelect = onSelect;
    this.onSort = onSort;
    this.rows = [];
    this.view = [];
    this.filter = '';
    this.sort = { key: initialSort, descending: true };
    this.selected = null;

    const template = columns.map((c) => c.width || '1fr').join(' ');
    root.style.setProperty('--columns', template);
    this.head = h('div', { class: 'thead', role: 'row' });
    this.viewport = h('div', { class: 'tbody', role: 'rowgroup', tabindex: 0 });
    this.spacer = h('div', { class: 'spacer' });
    this.window = h('div', { class: 'rows' });
    this.viewport.append(this.spacer, this.window);
    this.empty = h('div', { class: 'empty' });
    root.replaceChildren(this.head, this.viewport, this.empty);
    this.pool = [];
    this.viewport.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    this.viewport.addEventListener('click', (e) => {
      const row = e.target.closest('.tr');
      if (row && row.rowData) this.choose(row.rowData);
    });
    this.viewport.addEventListener('keydown', (e) => this.key(e));
    this.renderHead();
  }

  renderHead() {
    this.head.replaceChildren(
      ...this.columns.map((c) => {
        const active = this.sort.key === c.key;
        return h(
          'button',
          {
            class: `th${c.numeric ? ' num' : ''}${active ? ' sorted' : ''}`,
            role: 'columnheader',
            'aria-sort': active ? (this.sort.descending ? 'descending' : 'ascending') : 'none',
            title: c.title || `Sort by ${c.label}`,
            onclick: () => this.sortBy(c.key),
          },
          c.label,
          active ? (this.sort.descending ? ' ▼' : ' ▲') : '',
        );
      }),
    );
  }

  sortBy(key, descending) {
    const column = this.columns.find((c) => c.key === key);
    if (!column) return;
    this.sort = {
      key,
      descending: descending ?? (this.sort.key === key ? !this.sort.descending : column.numeric),
    };
    this.renderHead();
    this.refresh();
    if (this.onSort) this.onSort(this.sort);
  }

  setRows(rows) {
    this.rows = rows;
    this.refresh();
    this.flush();
  }

  /** Renders now what waits for the next frame: the page says a run is
   * done (data-phase, which tests and benchmarks wait for) only once its
   * rows show it. */
  flush() {
    if (!this.pending) return;
    cancelAnimationFrame(this.pending);
    this.pending = 0;
    this.renderRows();
  }

  setFilter(text) {
    this.filter = text.trim().toLowerCase();
    this.refresh();
  }

  /** Re-filters and re-sorts, e.g. after new results arrived. */
  refresh() {
    const column = this.columns.find((c) => c.key === this.sort.key);
    const sign = this.sort.descending ? -1 : 1;
    const words = this.filter.split(/\s+/).filter(Boolean);
    this.view = this.rows.filter((r) => words.every((w) => r.path.toLowerCase().includes(w)));
    this.view.sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      if (x === y) return a.path < b.path ? -1 : 1;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    });
    this.spacer.style.height = `${this.view.length * this.rowHeight}px`;
    this.empty.textContent = this.rows.length && !this.view.length ? 'No module matches the filter.' : '';
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.renderRows();
    });
  }

  renderRows() {
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.rowHeight) - OVERSCAN);
    const visible = Math.ceil(this.viewport.clientHeight / this.rowHeight) + 2 * OVERSCAN;
    const slice = this.view.slice(first, first + visible);
    while (this.pool.length < slice.length) {
      const cells = this.columns.map((c) => h('div', { class: `td${c.numeric ? ' num' : ''}`, role: 'cell' }));
      const tr = h('div', { class: 'tr', role: 'row' }, cells);
      this.pool.push(tr);
      this.window.append(tr);
    }
    this.window.style.transform = `translateY(${first * this.rowHeight}px)`;
    this.pool.forEach((tr, i) => {
      const row = slice[i];
      tr.hidden = !row;
      if (!row) return;
      tr.rowData = row;
      tr.className = `tr ${row.status}${row === this.selected ? ' selected' : ''}`;
      this.columns.forEach((c, j) => {
        const text = c.text(row);
        const cell = tr.children[j];
        if (cell.textContent !== text) cell.textContent = text;
        cell.title = c.key === 'name' ? row.path + (row.error ? `\n${row.error}` : '') : '';
      });
    });
  }

  choose(row) {
    this.selected = row;
    this.schedule();
    if (this.onSelect) this.onSelect(row);
  }

  key(e) {
    if (!['ArrowDown', 'ArrowUp', 'Enter'].includes(e.key) || !this.view.length) return;
    e.preventDefault();
    const at = this.view.indexOf(this.selected);
    if (e.key === 'Enter') {
      if (this.selected) this.choose(this.selected);
      return;
    }
    const next = Math.min(this.view.length - 1, Math.max(0, at + (e.key === 'ArrowDown' ? 1 : -1)));
    this.selected = this.view[next];
    const top = next * this.rowHeight;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + this.rowHeight > this.viewport.scrollTop + this.viewport.clientHeight)
      this.viewport.scrollTop = top + this.rowHeight - this.viewport.clientHeight;
    this.schedule();
  }
}
