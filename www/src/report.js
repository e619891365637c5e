// Reports: the page's results as JSON (export and import) and as text.
// Imported reports are untrusted: every field is checked and coerced, and
// the views render them as text only.

import { count } from './format.js';

const FORMAT = 'btfscope-web-report';
const VERSION = 2;
const MAX_MODULES = 100000;
const STATUSES = new Set(['ok', 'failed', 'pending', 'cancelled', 'shipped', 'partial']);
const FIELDS = ['path', 'file_bytes', 'status', 'error', 'split', 'dedup', 'kinds', 'full', 'base_types_reached', 'full_sha256'];

const exported = (row) => Object.fromEntries(FIELDS.filter((f) => row[f] !== undefined).map((f) => [f, row[f]]));

/** The results as a plain object (what "Export JSON" saves). */
export function toReport({ base, rows, run }) {
  return {
    format: FORMAT,
    version: VERSION,
    generated: new Date().toISOString(),
    base: base ? { path: base.path, types: base.types, file_bytes: base.file_bytes } : null,
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
    ? { path: text(value.base.path, 'base.path'), types: number(value.base.types, 'base.types'), file_bytes: number(value.base.file_bytes ?? 0, 'base.file_bytes') }
    : null;
  const rows = value.modules.map((m, i) => {
    const where = `module ${i + 1}`;
    if (typeof m !== 'object' || m === null) throw new ReportError(`${where} is not an object`);
    const status = STATUSES.has(m.status) ? m.status : 'failed';
    return {
      path: text(m.path, `${where}: path`),
      file_bytes: number(m.file_bytes ?? 0, `${where}: file_bytes`),
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
