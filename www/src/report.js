// Reports in the documented schema (docs/REPORT.md, `btfscope-report/1`,
// the CLI's): the core makes, reads and checks them (src/wasm/report.rs);
// this module only turns the page's rows into what the core takes and an
// imported report into rows. Imported reports are untrusted: the core
// checks them, and the views render them as text only.

const fileName = (path) => path.slice(path.lastIndexOf('/') + 1);

/** How a report names a file: its name, size and sha256. */
const input = (r) => ({ name: fileName(r.path), bytes: r.file_bytes ?? 0, sha256: r.file_sha256 ?? '' });

/** A module's entry in the report, as the core computed it (FULL hashed, re-deduped sizes as `redup`). */
const entry = (r) => ({
  name: fileName(r.path),
  split: r.split,
  full: r.full,
  base_types_reached: r.base_types_reached,
  kinds: r.kinds,
  full_sha256: r.full_sha256,
  redup: r.dedup,
});

/**
 * The run as the core's `makeReport` and `checkReport` take it: the base's
 * file and entry, and each module's file with its entry, or why it has none.
 */
export function pageRun(base, rows) {
  if (!base || !base.result) throw new Error('a report needs the vmlinux the modules were built for: give it with the modules');
  return {
    options: { explain: false, redup: true },
    base: { file: input(base), result: base.result },
    modules: rows.map((r) =>
      r.status === 'ok' && r.full_sha256
        ? { file: input(r), row: entry(r) }
        : { file: input(r), error: r.error || r.hash_error || `not analysed (${r.status})` },
    ),
  };
}

/** The base and rows of a report the core read (`readReport`). */
export function importedRows(report) {
  const inputs = new Map(report.inputs.map((i) => [i.name, i]));
  const file = (name) => ({ path: name, file_bytes: inputs.get(name)?.bytes ?? 0, file_sha256: inputs.get(name)?.sha256 });
  const base = { ...file(report.base.name), types: report.base.size.types, result: report.base };
  const rows = [
    ...report.modules.map((m) => ({
      ...file(m.name),
      status: 'ok',
      split: m.split,
      full: m.full,
      kinds: m.kinds,
      base_types_reached: m.base_types_reached,
      full_sha256: m.full_sha256,
      ...(m.redup ? { dedup: m.redup } : {}),
    })),
    ...(report.failed || []).map((f) => ({ ...file(f.name), status: 'failed', error: f.error })),
  ];
  return { base, rows };
}

// The report's fields as the table names them, in the table's order.
const FIELDS = [
  ['sha256', 'file sha256'],
  ['split', 'SPLIT'],
  ['redup', 're-deduped'],
  ['full', 'FULL'],
  ['base_types_reached', 'base types'],
  ['full_sha256', 'FULL sha256'],
  ['kinds', 'kinds'],
  ['explain', 'verdicts'],
  ['failed', 'failed'],
];
const named = (fields) => FIELDS.filter(([field]) => fields.includes(field)).map(([, label]) => label);

/**
 * Applies the core's check of the run against an imported report
 * (`analyze::report::ReportCheck`): sets each row's `verdict` ('verified',
 * what differs, or 'not in the report') and returns the counts, with the
 * base's verdict and the report's modules no file was given for.
 */
export function applyCheck(check, recordedBase, rows) {
  const byName = new Map(check.modules.map((m) => [m.name, m]));
  const counts = { verified: 0, differ: 0, extra: 0, missing: check.missing.length, base: null };
  for (const row of rows) {
    const m = byName.get(fileName(row.path));
    if (!m || !m.recorded) {
      row.verdict = 'not in the report';
      counts.extra += 1;
    } else if (m.differences.length) {
      row.verdict = `differs: ${named(m.differences).join(', ')}`;
      counts.differ += 1;
    } else {
      row.verdict = 'verified';
      counts.verified += 1;
    }
  }
  counts.base = check.base.length ? `differs from the report's ${recordedBase}` : 'verified';
  return counts;
}
