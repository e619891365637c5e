// The Compare view against `btfscope compare`: two CLI reports (Debian
// 6.1.0-55's modules as .ko, trixie 6.12's as .ko.xz; the subset
// scripts/fetch-kernels-compat.sh extracts) imported as A and B. The page's
// exported JSON and text are the CLI's bytes, every figure of its table is
// the CLI's, a module's type diff is the CLI's, and a bad report fails
// naming the file. Screenshot: target/web-artifacts/compare.png.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLI, openSession, modulesUnder, screenshotPath } from './browser.js';

const KERNEL = join(homedir(), '.cache/btfscope');
const VMLINUX = join(KERNEL, 'vmlinux-6.1.0-55');
const MODULES = join(KERNEL, 'k61/lib/modules/6.1.0-55-amd64/kernel');
const COMPAT = join(KERNEL, 'compat');
const release = existsSync(COMPAT) ? readdirSync(COMPAT).find((f) => /^modules-6\.12/.test(f)) : undefined;
const NEW_MODULES = release && join(COMPAT, release);
const NEW_VMLINUZ = release && join(COMPAT, release.replace(/^modules-/, 'vmlinuz-'));
const have = existsSync(VMLINUX) && existsSync(MODULES) && NEW_MODULES && existsSync(NEW_VMLINUZ);
const skip = !have && process.env.BTFSCOPE_REQUIRE_KERNEL !== '1' && 'no 6.1 and 6.12 kernels in ~/.cache/btfscope';
// Modules of 6.1 that 6.12 no longer builds as modules (as tests/compare.rs).
const REMOVED = ['fscache.ko', 'fuse.ko', 'ipt_CLUSTERIP.ko'];

let session;
let page;
const problems = [];
const dir = mkdtempSync(join(tmpdir(), 'btfscope-compare-web-'));
const cli = (...args) => execFileSync(CLI, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });

let files;
test.before(async () => {
  session = await openSession(problems);
  page = session.page;
  if (skip) return;
  const newModules = modulesUnder(NEW_MODULES);
  const oldAll = modulesUnder(MODULES);
  const oldOf = (name) => oldAll.find((p) => p.endsWith(`/${name}`));
  const oldModules = [...newModules.map((p) => oldOf(p.split('/').pop().replace(/\.xz$/, ''))).filter(Boolean), ...REMOVED.map(oldOf)];
  files = { old: join(dir, 'old.json'), new: join(dir, 'new.json'), compare: join(dir, 'compare.json'), oldModules, newModules };
  cli('report', '-B', VMLINUX, ...oldModules, '--json', files.old);
  cli('report', '-B', NEW_VMLINUZ, ...newModules, '--json', files.new);
  files.text = cli('compare', files.old, files.new, '--json', files.compare, '--text');
});

test.after(async () => {
  await session?.close();
});

const num = (text) => Number(text.replaceAll(',', '').replace('+', ''));

async function open() {
  await page.goto('about:blank'); // a fresh page: only the hash would change otherwise
  await page.goto(`${session.server.url}#view=compare`);
  await page.waitForSelector('body[data-compare=empty]');
}

async function download(selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return readFileSync(await file.path());
}

test('two reports: the JSON, the text and every figure are the CLI\'s', { skip }, async () => {
  await open();
  await page.setInputFiles('#compare-report-a', files.old);
  await page.setInputFiles('#compare-report-b', files.new);
  await page.waitForSelector('body[data-compare=done]');
  const cliJson = readFileSync(files.compare);
  assert.ok((await download('#compare-export-json')).equals(cliJson), 'exported JSON is the CLI\'s bytes');
  assert.equal(String(await download('#compare-export-text')), files.text);

  const c = JSON.parse(cliJson);
  const rows = await page.$$eval('#compare-table tbody tr', (trs) => trs.map((tr) => ({ name: tr.dataset.name, cells: [...tr.children].map((td) => td.textContent) })));
  assert.equal(rows.length, c.modules.length);
  assert.equal(rows.length, 50);
  const byName = new Map(c.modules.map((m) => [m.name, m]));
  for (const { name, cells } of rows) {
    const m = byName.get(name);
    const [, where, splitA, splitB, splitDelta, fullA, fullB, fullDelta] = cells;
    assert.equal(where, m.old ? (m.new ? 'both' : 'A only') : 'B only', name);
    assert.equal(splitA === '' ? null : num(splitA), m.old ? m.old.split.bytes : null, `${name} SPLIT A`);
    assert.equal(splitB === '' ? null : num(splitB), m.new ? m.new.split.bytes : null, `${name} SPLIT B`);
    assert.equal(num(splitDelta), m.delta.split_bytes, `${name} Δ SPLIT`);
    assert.equal(fullA === '' ? null : num(fullA), m.old ? m.old.full.bytes : null, `${name} FULL A`);
    assert.equal(fullB === '' ? null : num(fullB), m.new ? m.new.full.bytes : null, `${name} FULL B`);
    assert.equal(num(fullDelta), m.delta.full_bytes, `${name} Δ FULL`);
  }
  // The table sorts by the size of the SPLIT change first.
  assert.equal(rows[0].name, [...c.modules].sort((x, y) => Math.abs(y.delta.split_bytes) - Math.abs(x.delta.split_bytes))[0].name);
  // Totals, vmlinux and the kinds.
  const figure = (caption, label) => page.$eval(`table:has(caption:text-is("${caption}")) tr[data-figure="${label}"]`, (tr) => [...tr.children].map((td) => td.textContent));
  const vmlinux = await figure('BTF bytes', 'vmlinux');
  assert.deepEqual(vmlinux.slice(1, 4).map(num), [c.base.old.size.bytes, c.base.new.size.bytes, c.base.delta.bytes]);
  const split = await figure('BTF bytes', 'modules SPLIT');
  assert.deepEqual(split.slice(1, 4).map(num), [c.totals.old.split.bytes, c.totals.new.split.bytes, c.totals.delta.split_bytes]);
  for (const k of c.base.delta.kinds.kinds) {
    assert.equal(num((await figure('vmlinux per kind (bytes)', k.kind))[3]), k.bytes, `vmlinux ${k.kind}`);
  }
  for (const k of c.totals.delta.kinds.kinds) {
    assert.equal(num((await figure('all modules per kind (SPLIT bytes)', k.kind))[3]), k.bytes, `modules ${k.kind}`);
  }
  // Added and removed, and a bar per changed module (at most 60).
  const listed = (title) => page.$$eval(`.compare-list:has(h3:text-matches("^${title}")) li`, (lis) => lis.map((li) => li.dataset.name).sort());
  assert.deepEqual(await listed('Added'), c.modules.filter((m) => !m.old).map((m) => m.name).sort());
  assert.deepEqual(await listed('Removed'), c.modules.filter((m) => !m.new).map((m) => m.name).sort());
  const bars = await page.$$eval('.compare-chart .bar', (gs) => gs.map((g) => g.dataset.name));
  assert.equal(bars.length, Math.min(60, c.modules.filter((m) => m.delta.split_bytes !== 0).length));

  // A module's type diff from the files, as `compare --module`.
  const lockdOld = files.oldModules.find((p) => p.endsWith('/lockd.ko'));
  const lockdNew = files.newModules.find((p) => p.endsWith('/lockd.ko.xz'));
  await page.setInputFiles('#compare-files-a', [VMLINUX, lockdOld]);
  await page.setInputFiles('#compare-files-b', [NEW_VMLINUZ, lockdNew]);
  await page.click('#compare-table tr[data-name=lockd]');
  await page.waitForSelector('body[data-compare-diff=done]');
  const shown = await page.textContent('#compare-diff-text');
  const expected = cli('compare', files.old, files.new, '--module', 'lockd', '--old-files', VMLINUX, '--old-files', lockdOld, '--new-files', NEW_VMLINUZ, '--new-files', lockdNew);
  assert.equal(shown, expected.slice(expected.indexOf('\n') + 1));
  await page.screenshot({ path: screenshotPath('compare'), fullPage: true });
  assert.deepEqual(problems, []);
});

test('a truncated report or one of another schema fails, naming the file', { skip }, async () => {
  await open();
  const truncated = join(dir, 'truncated.json');
  writeFileSync(truncated, readFileSync(files.old).subarray(0, 5000));
  await page.setInputFiles('#compare-report-a', truncated);
  await page.setInputFiles('#compare-report-b', files.new);
  await page.waitForSelector('body[data-compare=failed]');
  const status = await page.textContent('#compare-status');
  assert.match(status, /truncated\.json: not JSON: EOF while parsing .* at line \d+ column \d+/);
  await page.setInputFiles('#compare-report-a', files.compare);
  await page.waitForFunction(() => /compare\.json/.test(document.getElementById('compare-status').textContent));
  assert.match(await page.textContent('#compare-status'), /compare\.json: schema "btfscope-compare\/1" is not a report/);
  // A good pair again: done.
  await page.setInputFiles('#compare-report-a', files.old);
  await page.waitForSelector('body[data-compare=done]');
  assert.deepEqual(problems.filter((p) => !/Could not|failed/.test(p)), []);
});
