// One report for the page and the CLI (docs/REPORT.md): a report exported by
// the page is reproduced by `btfscope verify`, and a report written by
// `btfscope report` is imported by the page and checked against the files.
// Run: scripts/test-web.sh (needs scripts/build-web.sh and the release CLI).

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, CLI, pageSession, screenshotPath } from './browser.js';

const FIXTURES = join(ROOT, 'tests/fixtures');
const SAMPLE_BASE = join(FIXTURES, 'vmlinux.btf.xz');
const SAMPLE_MODULES = ['nfs.btf.xz', 'mlx5_core.btf.xz'].map((f) => join(FIXTURES, f));
const SAMPLE = [SAMPLE_BASE, ...SAMPLE_MODULES];

let server, page;
const problems = []; // console errors, page errors, CSP violations
pageSession(problems, {}, (s) => ({ server, page } = s));

const done = (timeout = 60000) => page.waitForSelector('body[data-phase=done]:not([data-hashes=pending])', { timeout });
const scratch = () => mkdtempSync(join(tmpdir(), 'btfscope-report-'));

/** `btfscope verify REPORT FILES...`: its exit status and output. */
function verify(report, files) {
  const run = spawnSync(CLI, ['verify', report, ...files], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

/** What the page exports once the run is done, saved to `dir`. */
async function exportReport(dir) {
  await page.click('[data-view=report]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const file = join(dir, 'page-report.json');
  writeFileSync(file, readFileSync(await download.path()));
  return file;
}

test('a report exported by the page is reproduced by btfscope verify', async () => {
  await page.goto(server.url);
  await done();
  const dir = scratch();
  const file = await exportReport(dir);
  const report = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(report.schema, 'btfscope-report/1');
  assert.deepEqual(report.modules.map((m) => m.name), ['mlx5_core.btf.xz', 'nfs.btf.xz']);
  const ok = verify(file, SAMPLE);
  assert.equal(ok.status, 0, ok.output);

  // A figure changed in the page's report: verify names it and fails.
  report.modules[1].full.bytes += 1;
  const tampered = join(dir, 'tampered.json');
  writeFileSync(tampered, JSON.stringify(report, null, 2));
  const bad = verify(tampered, SAMPLE);
  assert.notEqual(bad.status, 0);
  assert.match(bad.output, /modules\[1\]\.full\.bytes/);
});

test('a report written by btfscope report is imported by the page and verified against the files', async () => {
  const file = join(scratch(), 'cli-report.json');
  execFileSync(CLI, ['report', '-B', SAMPLE_BASE, ...SAMPLE_MODULES, '--json', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const cli = JSON.parse(readFileSync(file, 'utf8'));
  await page.goto(`${server.url}#view=report`);
  await done();
  await page.setInputFiles('#import-report', file);
  await done();
  // The table shows the report's figures.
  await page.click('[data-view=modules]');
  const rows = await page.$$eval('.tbody .tr:not([hidden])', (trs) => trs.map((tr) => [tr.children[0].title, [...tr.children].map((td) => td.textContent)]));
  const num = (text) => Number(text.replaceAll(',', ''));
  assert.deepEqual(rows.map(([path]) => path).sort(), ['mlx5_core.btf.xz', 'nfs.btf.xz']);
  for (const [path, cells] of rows) {
    const m = cli.modules.find((x) => x.name === path);
    assert.deepEqual([num(cells[2]), num(cells[3]), num(cells[6]), num(cells[7]), num(cells[9])], [m.split.bytes, m.split.types, m.full.bytes, m.full.types, m.base_types_reached], path);
  }

  // The same files given next: every hash and figure checks out.
  await page.setInputFiles('#pick-files', SAMPLE);
  await done();
  await page.click('[data-view=report]');
  assert.equal(await page.textContent('#verify-summary'), 'Checked against the imported report: 2 verified, 0 differ, base verified.');
  await page.screenshot({ path: screenshotPath('cli-report-verified') });

  // Another file under a module's name is caught.
  await page.setInputFiles('#import-report', file);
  await done();
  const impostor = join(scratch(), 'mlx5_core.btf.xz');
  writeFileSync(impostor, readFileSync(SAMPLE_MODULES[0]));
  await page.setInputFiles('#pick-files', [SAMPLE_BASE, SAMPLE_MODULES[0], impostor]);
  await done();
  assert.equal(await page.textContent('#verify-summary'), 'Checked against the imported report: 1 verified, 1 differ, base verified.');
});

test('nothing broke on the page', () => {
  assert.deepEqual(problems, []);
});
