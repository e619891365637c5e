// Number and name formatting shared by the views and the text report.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** 1536 → "1.5 KiB"; exact figures stay available through `count`. */
export function bytes(n) {
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${BYTE_UNITS[unit]}`;
}

// One formatter: toLocaleString builds a new one per call, which is slow
// when charts label thousands of cells.
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export const count = (n) => grouped.format(n);

/** "12.3 s", "450 ms". */
export const duration = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

const MODULE_SUFFIX = /\.ko(\.(xz|gz|zst))?$/;
const NAME_SUFFIX = /\.(ko|btf)(\.(xz|gz|zst))?$/i;

/** A module's name from its path: "kernel/fs/nfs/nfs.ko.xz" → "nfs". */
export const moduleName = (path) => path.split('/').pop().replace(NAME_SUFFIX, '');

/** Whether a path names a kernel module (which never holds base BTF). */
export const isModulePath = (path) => MODULE_SUFFIX.test(path);
