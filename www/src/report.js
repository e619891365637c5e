// Reports: the page's results as JSON (export and import) and as text.
// Imported reports are untrusted: every field is checked and coerced, and
// the views render them as text only.

import { count } from './format.js';

const FORMAT = 'btfscope-web-report';
const VERSION = 2;
const MAX_MODULES = 100000;
const STATUSES = new Set(['ok', 'failed', 'pending', 'cancelled', 'shipped', 'partial']);
const FIELDS = ['path', 'file_bytes', 'file_sha256', 'status', 'error', 'split', 'dedup', 'kinds', 'full', 'base_types_reached', 'full_sha256'];

const exported = (row) => Object.fromEntries(FIELDS.filter((f) => row[f] !== undefined).map((f) => [f, row[f]]));

/** The results as a plain object (what "Export JSON" saves). */
export function toReport({ base, rows, run }) {
  return {
    format: FORMAT,
    version: VERSION,
    generated: new Date().toISOString(),
    base: base ? { path: base.path, types: base.types, file_bytes: base.file_bytes, file_sha256: base.file_sha256 } : null,
    elapsed_ms: run && run.ms !== undefined ? Math.round(run.ms) : null,
    modules: rows.map(exported),
  };
}

class ReportError extends Error {}

function number(value, what) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ReportError(`${what} is not a non-negative number`);
  return n;
}

function text(value, what, max = 4096) {
  if (typeof value !== 'string') throw new ReportError(`${what} is not text`);
  return value.slice(0, max);
}

const size = (value, what) => ({
  types: number(value && value.types, `${what}.types`),
  bytes: number(value && value.bytes, `${what}.bytes`),
});

function kinds(value, where) {
  if (!value || !Array.isArray(value.kinds)) throw new ReportError(`${where}: kinds.kinds is not a list`);
  return {
    kinds: value.kinds.map((k, i) => ({
      kind: text(k && k.kind, `${where}: kind ${i}`, 64),
      count: number(k.count, `${where}: kind ${i} count`),
      bytes: number(k.bytes, `${where}: kind ${i} bytes`),
    })),
    string_bytes: number(value.string_bytes, `${where}: string_bytes`),
  };
}

/** The figures of a module row (the page's, from src/analyze/report.rs), checked. */
function figures(m, where) {
  const out = {};
  if (m.split !== undefined) {
    out.split = size(m.split, `${where}: split`);
    out.kinds = kinds(m.kinds, where);
  }
  if (m.dedup !== undefined) out.dedup = size(m.dedup, `${where}: dedup`);
  if (m.full !== undefined) {
    out.full = size(m.full, `${where}: full`);
    out.base_types_reached = number(m.base_types_reached, `${where}: base_types_reached`);
    out.full_sha256 = text(m.full_sha256 ?? '', `${where}: full_sha256`, 64);
  }
  return out;
}

const optionalHash = (m, where) => (m.file_sha256 !== undefined && m.file_sha256 !== null ? { file_sha256: text(m.file_sha256, `${where}: file_sha256`, 64) } : {});

/** Reads a report; throws an Error saying what is wrong with it. */
export function fromReport(json) {
  let value;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new ReportError(`not JSON: ${e.message}`);
  }
  if (!value || value.format !== FORMAT) throw new ReportError(`not a btfscope report (format should be "${FORMAT}")`);
  if (value.version !== VERSION) throw new ReportError(`report version ${String(value.version)} is not supported (expected ${VERSION})`);
  if (!Array.isArray(value.modules) || value.modules.length > MAX_MODULES) throw new ReportError('modules is not a list of at most 100000 entries');
  const base = value.base
    ? {
        path: text(value.base.path, 'base.path'),
        types: number(value.base.types, 'base.types'),
        file_bytes: number(value.base.file_bytes ?? 0, 'base.file_bytes'),
        ...optionalHash(value.base, 'base'),
      }
    : null;
  const rows = value.modules.map((m, i) => {
    const where = `module ${i + 1}`;
    if (typeof m !== 'object' || m === null) throw new ReportError(`${where} is not an object`);
    const status = STATUSES.has(m.status) ? m.status : 'failed';
    return {
      path: text(m.path, `${where}: path`),
      file_bytes: number(m.file_bytes ?? 0, `${where}: file_bytes`),
      ...optionalHash(m, where),
      status,
      ...(m.error !== undefined ? { error: text(m.error, `${where}: error`) } : {}),
      ...figures(m, where),
    };
  });
  return { base, rows, ms: value.elapsed_ms === null || value.elapsed_ms === undefined ? undefined : number(value.elapsed_ms, 'elapsed_ms') };
}

const pad = (value, width, right) => (right ? String(value).padStart(width) : String(value).padEnd(width));

/** A fixed-width text table, for pasting into mail and bug threads. */
export function toText({ base, rows }, columns) {
  const header = columns.map((c) => c.label);
  const body = rows.map((r) => columns.map((c) => c.text(r)));
  const widths = header.map((label, i) => Math.max(label.length, ...body.map((cells) => cells[i].length)));
  const line = (cells) => cells.map((cell, i) => pad(cell, widths[i], columns[i].numeric)).join('  ').trimEnd();
  const ok = rows.filter((r) => r.full);
  const split = ok.reduce((a, r) => a + r.split.bytes, 0);
  const full = ok.reduce((a, r) => a + r.full.bytes, 0);
  return [
    `btfscope report: ${rows.length} modules, base ${base ? `${base.path} (${count(base.types)} types)` : 'none'}`,
    `${ok.length} modules with FULL: SPLIT ${count(split)} bytes as shipped, FULL ${count(full)} bytes, saved ${count(full - split)} bytes`,
    '',
    line(header),
    ...body.map(line),
    '',
  ].join('\n');
}

const fileName = (path) => path.slice(path.lastIndexOf('/') + 1);
const sameSize = (a, b) => (a === undefined && b === undefined) || (a !== undefined && b !== undefined && a.bytes === b.bytes && a.types === b.types);

// What must agree for a module to count as verified: the file itself, then
// every figure the report holds for it.
const CHECKS = [
  ['file sha256', (a, b) => a.file_sha256 === b.file_sha256],
  ['SPLIT', (a, b) => sameSize(a.split, b.split)],
  ['re-deduped', (a, b) => a.dedup === undefined || sameSize(a.dedup, b.dedup)],
  ['FULL', (a, b) => sameSize(a.full, b.full)],
  ['base types', (a, b) => a.base_types_reached === b.base_types_reached],
  ['FULL sha256', (a, b) => a.full_sha256 === b.full_sha256],
];

/**
 * Checks the rows of a run against an imported report, module by file
 * name: sets each row's `verdict` ('verified', or what differs, or 'not in
 * the report') and returns the counts, with the base's verdict and the
 * report's modules no file was given for.
 */
export function checkReport(imported, base, rows) {
  const byName = new Map(imported.rows.map((r) => [fileName(r.path), r]));
  const counts = { verified: 0, differ: 0, extra: 0, missing: 0, base: null };
  const seen = new Set();
  for (const row of rows) {
    const name = fileName(row.path);
    const recorded = byName.get(name);
    if (!recorded) {
      row.verdict = 'not in the report';
      counts.extra += 1;
      continue;
    }
    seen.add(name);
    const differs = CHECKS.filter(([, same]) => !same(recorded, row)).map(([what]) => what);
    row.verdict = differs.length ? `differs: ${differs.join(', ')}` : 'verified';
    counts[differs.length ? 'differ' : 'verified'] += 1;
  }
  counts.missing = [...byName.keys()].filter((name) => !seen.has(name)).length;
  if (imported.base) {
    counts.base = base && base.file_sha256 === imported.base.file_sha256 ? 'verified' : `differs from the report's ${imported.base.path}`;
  }
  return counts;
}
