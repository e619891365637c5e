// End to end: the built page (dist/) served on localhost, driven in headless
// chromium. Every number the table shows is compared with the CLI's --json
// output for the same files. Screenshots go to target/web-artifacts/.
// Run: scripts/test-web.sh (needs scripts/build-web.sh and the release CLI).

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { ROOT, CLI, pageSession, cliReport, cliSplit, modulesUnder, screenshotPath } from './browser.js';

const FIXTURES = join(ROOT, 'tests/fixtures');
const KERNEL = join(homedir(), '.cache/btfscope');
const VMLINUX = join(KERNEL, 'vmlinux-6.1.0-55');
const MODULES = join(KERNEL, 'k61/lib/modules/6.1.0-55-amd64/kernel');
const haveKernel = existsSync(VMLINUX) && existsSync(MODULES);
const needKernel = process.env.BTFSCOPE_REQUIRE_KERNEL === '1';

let server, browser, page, requests;
const problems = []; // console errors, page errors, CSP violations
pageSession(problems, {}, (s) => ({ server, browser, page, requests } = s));

const num = (text) => Number(text.replaceAll(',', ''));
// The table complete and, once the core has hashed the FULL BTFs, the report.
const done = (timeout = 60000) => page.waitForSelector('body[data-phase=done]:not([data-hashes=pending])', { timeout });

/** The rendered table rows: path (from the name cell's title) and cell texts. */
function tableRows() {
  return page.$$eval('.tbody .tr:not([hidden])', (trs) =>
    trs.map((tr) => ({ path: tr.children[0].title.split('\n')[0], cells: [...tr.children].map((td) => td.textContent) })),
  );
}

const STATUS = 10; // the table's last column

/**
 * Asserts that a table row shows exactly what `btfscope report --json`
 * (`cliRow`) and `btfscope split --json` (`cliSizes`) say.
 */
function assertRowMatchesCli(row, file, cliRow, cliSizes) {
  const [, fileBytes, splitBytes, splitTypes, dedupBytes, dedupSaved, fullBytes, fullTypes, saved, baseTypes, status] = row.cells;
  assert.equal(status, 'ok', row.path);
  assert.equal(num(fileBytes), statSync(file).size, `${row.path} file bytes`);
  assert.equal(num(splitBytes), cliRow.split.bytes, `${row.path} SPLIT bytes`);
  assert.equal(num(splitTypes), cliRow.split.types, `${row.path} SPLIT types`);
  assert.equal(num(splitBytes), cliSizes.shipped_bytes, `${row.path} shipped bytes`);
  assert.equal(num(dedupBytes), cliSizes.dedup_bytes, `${row.path} re-deduped bytes`);
  assert.equal(num(dedupSaved), cliSizes.saved_bytes, `${row.path} re-dedup saves`);
  assert.equal(num(fullBytes), cliRow.full.bytes, `${row.path} FULL bytes`);
  assert.equal(num(fullTypes), cliRow.full.types, `${row.path} FULL types`);
  assert.equal(num(saved), cliRow.full.bytes - cliRow.split.bytes, `${row.path} saved`);
  assert.equal(num(baseTypes), cliRow.base_types_reached, `${row.path} base types`);
}

const SAMPLE_BASE = join(FIXTURES, 'vmlinux.btf.xz');
const SAMPLE_MODULES = ['nfs.btf.xz', 'mlx5_core.btf.xz'].map((f) => join(FIXTURES, f));

test('the sample loads on first open, threaded, and matches the CLI', async () => {
  await page.goto(server.url);
  await done();
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  await page.waitForFunction(() => /threads/.test(document.getElementById('core-badge').textContent));
  const rows = await tableRows();
  assert.deepEqual(rows.map((r) => r.path).sort(), ['sample/mlx5_core.btf.xz', 'sample/nfs.btf.xz']);
  const expected = cliReport(SAMPLE_BASE, SAMPLE_MODULES);
  const sizes = cliSplit(SAMPLE_BASE, SAMPLE_MODULES);
  for (const row of rows) {
    const name = row.path.replace('sample/', '');
    assertRowMatchesCli(row, join(FIXTURES, name), expected.get(name), sizes.get(name));
  }
  assert.match(await page.textContent('#summary'), /vmlinuxbase · 100,799 types/);
  await page.screenshot({ path: screenshotPath('sample-table') });
});

test('real files through the file input: base detected, a bad file reported, the rest analysed', { skip: !haveKernel && !needKernel && 'no kernel in ~/.cache/btfscope' }, async () => {
  const modules = ['fs/nfs/nfs.ko', 'net/key/af_key.ko', 'fs/btrfs/btrfs.ko', 'drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko', 'net/vmw_vsock/vsock_loopback.ko'].map((m) => join(MODULES, m));
  const bad = join(mkdtempSync(join(tmpdir(), 'btfscope-bad-')), 'broken.ko');
  writeFileSync(bad, Buffer.from('\x7fELF but not really an object file'));
  await page.setInputFiles('#pick-files', [modules[0], modules[1], bad, VMLINUX, modules[2], modules[3], modules[4]]);
  await done();
  assert.match(await page.textContent('#summary'), /vmlinux-6\.1\.0-55base · [\d,]+ types/);
  const rows = await tableRows();
  assert.equal(rows.length, 6);
  const broken = rows.find((r) => r.path === 'broken.ko');
  assert.match(broken.cells[STATUS], /^error: /);
  const expected = cliReport(VMLINUX, modules);
  const sizes = cliSplit(VMLINUX, modules);
  for (const row of rows.filter((r) => r !== broken)) {
    assertRowMatchesCli(row, modules.find((m) => m.endsWith(`/${row.path}`)), expected.get(row.path), sizes.get(row.path));
  }
  await page.screenshot({ path: screenshotPath('real-files-table') });
});

// Faults in every worker of the page, fresh ones too: copying the bytes
// of the file named `dies` into the core throws, inside the call into
// wasm, as a trap would; the bytes of `fails` are no Uint8Array to the
// core, which returns an error; reading the file named `unreadable` fails,
// as for a file removed since it was dropped.
function faultsInWorkers({ dies, fails, unreadable }) {
  const inject = (worker) =>
    worker
      .evaluate(({ dies, fails, unreadable }) => {
        const doomed = new WeakSet();
        const arrayBuffer = Blob.prototype.arrayBuffer;
        Blob.prototype.arrayBuffer = async function () {
          if (this.name === unreadable) throw new DOMException('the file could not be read', 'NotReadableError');
          const buffer = await arrayBuffer.call(this);
          if (this.name === dies) doomed.add(buffer);
          if (this.name === fails) buffer.fails = true;
          return buffer;
        };
        const set = Uint8Array.prototype.set;
        Uint8Array.prototype.set = function (source, offset) {
          if (source && doomed.has(source.buffer)) throw new WebAssembly.RuntimeError('unreachable');
          return set.call(this, source, offset);
        };
        // The core refuses what is not a Uint8Array, and says so.
        const isInstance = Function.prototype[Symbol.hasInstance];
        Object.defineProperty(Uint8Array, Symbol.hasInstance, { value: (x) => !(x && x.buffer && x.buffer.fails) && isInstance.call(Uint8Array, x) });
      }, { dies, fails, unreadable })
      // Pool threads wait inside wasm and never answer; closed workers neither.
      .catch(() => {});
  page.workers().forEach(inject);
  page.on('worker', inject);
  return () => page.off('worker', inject);
}

test('a worker that dies is restarted, the file it died on and an unreadable file are reported, the others analysed', { skip: !haveKernel && !needKernel && 'no kernel in ~/.cache/btfscope' }, async () => {
  const modules = ['fs/nfs/nfs.ko', 'net/key/af_key.ko', 'net/vmw_vsock/vsock_loopback.ko', 'fs/btrfs/btrfs.ko'].map((m) => join(MODULES, m));
  const dir = mkdtempSync(join(tmpdir(), 'btfscope-faults-'));
  const [victim, unreadable] = ['kills-the-worker.ko', 'unreadable.ko'].map((name) => join(dir, name));
  copyFileSync(join(MODULES, 'net/vmw_vsock/vmw_vsock_virtio_transport.ko'), victim);
  copyFileSync(join(MODULES, 'net/vmw_vsock/vmw_vsock_virtio_transport.ko'), unreadable);
  const healed = faultsInWorkers({ dies: basename(victim), unreadable: basename(unreadable) });
  try {
    await page.setInputFiles('#pick-files', [VMLINUX, modules[0], modules[1], victim, modules[2], unreadable, modules[3]]);
    await done();
  } finally {
    healed();
  }
  const rows = await tableRows();
  assert.equal(rows.length, 6);
  const died = rows.find((r) => r.path === basename(victim));
  assert.match(died.cells[STATUS], /^error: the analysis worker died on this file and was restarted for the others \(.*unreachable\)$/);
  const unread = rows.find((r) => r.path === basename(unreadable));
  assert.equal(unread.cells[STATUS], 'error: could not read the file: the file could not be read');
  const expected = cliReport(VMLINUX, modules);
  const sizes = cliSplit(VMLINUX, modules);
  for (const row of rows.filter((r) => r !== died && r !== unread)) {
    assertRowMatchesCli(row, modules.find((m) => m.endsWith(`/${row.path}`)), expected.get(row.path), sizes.get(row.path));
  }
  await page.screenshot({ path: screenshotPath('worker-died') });
});

test('an error the core returns fails the run, with no restart', { skip: !haveKernel && !needKernel && 'no kernel in ~/.cache/btfscope' }, async () => {
  const failing = join(mkdtempSync(join(tmpdir(), 'btfscope-faults-')), 'core-error.ko');
  copyFileSync(join(MODULES, 'net/vmw_vsock/vmw_vsock_virtio_transport.ko'), failing);
  const healed = faultsInWorkers({ fails: basename(failing) });
  try {
    await page.setInputFiles('#pick-files', [VMLINUX, join(MODULES, 'fs/nfs/nfs.ko'), failing]);
    await page.waitForSelector('body[data-phase=failed]');
  } finally {
    healed();
  }
  assert.match(await page.textContent('#error'), /^Analysis failed: expected an array of Uint8Array/);
  await page.click('#load-sample');
  await done();
});

test('files dropped on the page are analysed', async () => {
  await page.goto(`${server.url}#view=modules`);
  await done();
  // A synthetic drop: the sample's files, fetched from the page's own origin.
  await page.evaluate(async () => {
    const urls = [...new Set(performance.getEntriesByType('resource').map((e) => e.name).filter((u) => /\.xz$/.test(u)))];
    const transfer = new DataTransfer();
    for (const url of urls) {
      const name = new URL(url).pathname.split('/').pop().replace(/\.[0-9a-f]{8}\.xz$/, '.xz');
      transfer.items.add(new File([await (await fetch(url)).blob()], `dropped-${name}`));
    }
    document.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
  });
  await page.waitForFunction(() => document.querySelectorAll('.tbody .tr.ok:not([hidden])').length === 2 && document.body.dataset.phase === 'done');
  assert.deepEqual((await tableRows()).map((r) => r.path).sort(), ['dropped-mlx5_core.btf.xz', 'dropped-nfs.btf.xz']);
  assert.match(await page.textContent('#summary'), /dropped-vmlinux/);
});

test('a module carrying its distilled base (.BTF.base) is analysed on it, with no vmlinux', async () => {
  // nfs distilled by the CLI, both sections put into an object file.
  const dir = mkdtempSync(join(tmpdir(), 'btfscope-distilled-'));
  execFileSync(CLI, ['distill', '-B', SAMPLE_BASE, SAMPLE_MODULES[0], '-o', join(dir, 'nfs')]);
  writeFileSync(join(dir, 'm.c'), 'int module_marker;\n');
  execFileSync('cc', ['-c', join(dir, 'm.c'), '-o', join(dir, 'm.o')]);
  const module = join(dir, 'nfs.ko');
  execFileSync('objcopy', [`--add-section=.BTF=${join(dir, 'nfs.btf')}`, `--add-section=.BTF.base=${join(dir, 'nfs.base.btf')}`, join(dir, 'm.o'), module]);
  await page.goto(`${server.url}#view=modules`);
  await done();
  await page.setInputFiles('#pick-files', [module]);
  await done();
  const [row] = await tableRows();
  const [, , splitBytes, splitTypes, dedupBytes, , fullBytes, , , , status] = row.cells;
  assert.equal(status, 'ok');
  // Its split BTF as distilled: what `btfscope stat` says of nfs.btf.
  const stat = JSON.parse(execFileSync(CLI, ['stat', '--json', '-B', join(dir, 'nfs.base.btf'), join(dir, 'nfs.btf')], { encoding: 'utf8' }));
  assert.equal(num(splitBytes), stat.total_bytes);
  assert.equal(num(splitTypes), stat.types);
  assert.ok(num(dedupBytes) <= num(splitBytes));
  assert.ok(num(fullBytes) > num(splitBytes));
});

test('charts, module detail with the type graph', async () => {
  await page.goto(server.url);
  await done();
  await page.click('[data-view=charts]');
  await page.waitForSelector('#charts svg.treemap');
  assert.equal(await page.locator('#charts svg').count(), 3);
  await page.screenshot({ path: screenshotPath('charts'), fullPage: true });

  await page.click('[data-view=modules]');
  await page.click('.tbody .tr:has-text("nfs")');
  await page.waitForSelector('#view-module:not([hidden])');
  await page.waitForFunction(() => /module types \(blue\)/.test(document.getElementById('graph-note').textContent));
  assert.match(await page.textContent('#detail-body'), /STRUCT/);
  assert.match(await page.textContent('#detail-body'), /FULL/);
  assert.match(page.url(), /#view=module&module=sample%2Fnfs\.btf\.xz/);
  // The explainer's verdicts, as `btfscope explain --json` gives them.
  const x = JSON.parse(execFileSync(CLI, ['explain', '-B', SAMPLE_BASE, SAMPLE_MODULES[0], '--json'], { encoding: 'utf8' }));
  await page.waitForSelector('#explain-summary');
  assert.equal(
    await page.textContent('#explain-summary'),
    `${x.counts.identical} identical (a current dedup saves ${x.redup_saved_bytes.toLocaleString('en-US')} bytes), ${x.counts.different} different, ${x.counts.unmergeable} equivalent but not mergeable`,
  );
  const findings = await page.$$eval('.findings tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.equal(findings.length, x.findings.length);
  // nfs's stale copy of `struct module`: identical, merged by a current dedup.
  const cli = x.findings.find((f) => f.name === 'struct module');
  assert.equal(cli.verdict.verdict, 'identical');
  const shown = findings.find(([name]) => name === 'struct module');
  assert.deepEqual(shown, ['struct module', `[${cli.base_id}]`, `identicalidentical: a current dedup merges it (${cli.verdict.saved_bytes} bytes)`]);
  await page.screenshot({ path: screenshotPath('module-detail') });
});

test('the URL reopens the same module view', async () => {
  const other = await browser.context.newPage();
  await other.goto(`${server.url}#view=module&module=sample%2Fmlx5_core.btf.xz`);
  await other.waitForSelector('body[data-phase=done]');
  await other.waitForFunction(() => /mlx5_core/.test(document.getElementById('detail-title').textContent));
  assert.equal(await other.isVisible('#view-module'), true);
  await other.close();
});

test('a type in the URL is where the graph starts, picked', async () => {
  // The first base type nfs's first type refers to, from the CLI's dump.
  const dump = execFileSync(CLI, ['dump', '-B', SAMPLE_BASE, SAMPLE_MODULES[0]], { encoding: 'utf8' });
  const id = Number(/type_id=(\d+)/.exec(dump)[1]);
  assert.ok(id > 0 && id < 100800);
  const other = await browser.context.newPage();
  await other.goto(`${server.url}#view=module&module=sample%2Fnfs.btf.xz&type=${id}`);
  await other.waitForFunction((id) => new RegExp(`^\\[${id}\\] .* base \\(vmlinux\\) type `).test(document.getElementById('graph-note').textContent), id);
  await other.screenshot({ path: screenshotPath('graph-expanded') });
  await other.close();
});

test('report: export JSON (the CLI\'s bytes), copy as text (the CLI\'s), import it back', async () => {
  await page.goto(`${server.url}#view=report`);
  await done();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  const exported = readFileSync(await download.path());
  const report = JSON.parse(exported);
  assert.equal(report.schema, 'btfscope-report/1');
  assert.equal(report.base.size.types, 100799);
  assert.equal(report.modules.length, 2);
  const nfs = report.modules.find((m) => m.name === 'nfs.btf.xz');
  const expected = cliReport(SAMPLE_BASE, SAMPLE_MODULES).get('nfs.btf.xz');
  for (const field of ['split', 'full', 'base_types_reached', 'full_sha256', 'kinds']) assert.deepEqual(nfs[field], expected[field], field);
  const sizes = cliSplit(SAMPLE_BASE, SAMPLE_MODULES).get('nfs.btf.xz');
  assert.deepEqual(nfs.redup, { types: sizes.dedup_types, bytes: sizes.dedup_bytes });
  // The whole report is the CLI's, byte for byte, with the re-deduped column.
  const dir = mkdtempSync(join(tmpdir(), 'btfscope-report-'));
  execFileSync(CLI, ['report', '-B', SAMPLE_BASE, ...SAMPLE_MODULES, '--redup', '--json', join(dir, 'cli.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  assert.ok(exported.equals(readFileSync(join(dir, 'cli.json'))), 'exported JSON is btfscope report --redup --json');

  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.click('#copy-text');
  const text = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(text, execFileSync(CLI, ['report', '-B', SAMPLE_BASE, ...SAMPLE_MODULES, '--text'], { encoding: 'utf8' }));
  assert.equal(text, await page.textContent('#report-text'));

  await page.setInputFiles('#import-report', await download.path());
  await done();
  await page.click('[data-view=modules]');
  assert.equal((await tableRows()).length, 2);
  await page.screenshot({ path: screenshotPath('report-imported') });

  // The same files dropped next: every hash and figure checks out.
  const files = [SAMPLE_BASE, ...SAMPLE_MODULES];
  const sha = (f) => execFileSync('sha256sum', [f], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(report.inputs.find((i) => i.name === 'nfs.btf.xz').sha256, sha(SAMPLE_MODULES[0]));
  assert.equal(report.inputs[0].sha256, sha(SAMPLE_BASE));
  await page.setInputFiles('#pick-files', files);
  await done();
  await page.click('[data-view=report]');
  assert.equal(await page.textContent('#verify-summary'), 'Checked against the imported report: 2 verified, 0 differ, base verified.');
  await page.click('[data-view=modules]');
  assert.deepEqual((await tableRows()).map((r) => r.cells[STATUS]), ['verified', 'verified']);

  // Another file under a module's name is caught, field by field.
  await page.setInputFiles('#import-report', await download.path());
  await done();
  const impostor = join(mkdtempSync(join(tmpdir(), 'btfscope-verify-')), 'mlx5_core.btf.xz');
  copyFileSync(SAMPLE_MODULES[0], impostor);
  await page.setInputFiles('#pick-files', [SAMPLE_BASE, SAMPLE_MODULES[0], impostor]);
  await done();
  const statuses = new Map((await tableRows()).map((r) => [r.path, r.cells[STATUS]]));
  assert.equal(statuses.get('nfs.btf.xz'), 'verified');
  assert.equal(statuses.get('mlx5_core.btf.xz'), 'differs: file sha256, SPLIT, re-deduped, FULL, base types, FULL sha256, kinds');
  await page.click('[data-view=report]');
  assert.equal(await page.textContent('#verify-summary'), 'Checked against the imported report: 1 verified, 1 differ, base verified.');
  await page.screenshot({ path: screenshotPath('report-verified') });
});

/** `btfscope compat --json`: the sample's modules, built for its vmlinux, onto `target`; by file name. */
function cliCompat(target) {
  const out = execFileSync(CLI, ['compat', '-B', target, '--from', SAMPLE_BASE, ...SAMPLE_MODULES, '--json'], { encoding: 'utf8' });
  return new Map(JSON.parse(out).modules.map((m) => [basename(m.module), m]));
}

/** Gives `target` to the compat panel; asserts every verdict and problem count is the CLI's. */
async function assertCompatMatchesCli(target) {
  await page.setInputFiles('#pick-target', target);
  await page.waitForFunction((name) => document.body.dataset.compat === 'done' && document.getElementById('compat-status').textContent.includes(name), basename(target));
  const rows = await page.$$eval('#compat-table tbody tr', (trs) => trs.map((tr) => ({ path: tr.dataset.path, cells: [...tr.children].map((td) => td.textContent) })));
  assert.deepEqual(rows.map((r) => r.path).sort(), ['sample/mlx5_core.btf.xz', 'sample/nfs.btf.xz']);
  const expected = cliCompat(target);
  for (const { path, cells } of rows) {
    const cli = expected.get(basename(path));
    assert.deepEqual(cells.slice(1), [cli.relocates ? 'yes' : 'no', String(cli.problems.length), cli.problems.length ? cli.problems[0].message : ''], path);
    // The selected module's per-type problems, one row each.
    await page.click(`#compat-table tr[data-path="${path}"]`);
    await page.waitForFunction((name) => document.querySelector('#compat-detail h3')?.textContent.startsWith(name), basename(path).replace('.btf.xz', ''));
    assert.deepEqual(await page.$$eval('#compat-detail tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent)), cli.problems.map((p) => p.message), path);
  }
  return expected;
}

const OTHER_KERNEL = join(KERNEL, 'compat/vmlinuz-6.12.107+deb13-amd64');

test('compat: the modules relocate onto their own vmlinux, and what stops them on another kernel', async () => {
  // Reloaded: a new fragment alone would keep the previous test's imported report.
  await page.goto(`${server.url}#view=compat`);
  await page.reload();
  await done();
  assert.match(await page.textContent('#compat-status'), /No target kernel/);
  const own = await assertCompatMatchesCli(SAMPLE_BASE);
  assert.ok([...own.values()].every((m) => m.relocates));
  await page.screenshot({ path: screenshotPath('compat-own-kernel'), fullPage: true });
  if (!existsSync(OTHER_KERNEL)) return; // scripts/fetch-kernels-compat.sh fetches it
  const other = await assertCompatMatchesCli(OTHER_KERNEL);
  assert.ok([...other.values()].some((m) => !m.relocates));
  await page.screenshot({ path: screenshotPath('compat-other-kernel'), fullPage: true });
});

test('a file of the page\'s old report format is refused, naming the schema it should have', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'btfscope-report-')), 'old.json');
  writeFileSync(file, JSON.stringify({ format: 'btfscope-web-report', version: 2, base: null, elapsed_ms: 1, modules: [] }));
  await page.goto(`${server.url}#view=report`);
  await done();
  await page.setInputFiles('#import-report', file);
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /^Could not import old\.json: .*not a btfscope report \(expected "btfscope-report\/1"\)/);
  await page.click('#error button');
});

test('names from an imported report are shown as text, never markup', async () => {
  const evil = '<img src=/evil onerror=alert(1)>.ko';
  const dir = mkdtempSync(join(tmpdir(), 'btfscope-report-'));
  const file = join(dir, 'evil.json');
  const size = { types: 0, bytes: 0 };
  const kinds = { kinds: [], string_bytes: 0, globals: { count: 0, bytes: 0, share_bp: 0 } };
  writeFileSync(file, JSON.stringify({
    schema: 'btfscope-report/1', tool: { name: 'btfscope', version: '0' }, options: { explain: false },
    inputs: [{ name: 'vmlinux', bytes: 1, sha256: '' }, { name: evil, bytes: 1, sha256: '' }],
    base: { name: 'vmlinux', size, kinds },
    modules: [],
    failed: [{ name: evil, error: '<b>bold</b><script>alert(2)</script>' }],
    totals: { modules: 0, split: size, full: size, kinds },
  }));
  await page.goto(`${server.url}#view=modules`);
  await done();
  await page.setInputFiles('#import-report', file);
  await page.waitForFunction(() => document.querySelectorAll('.tbody .tr:not([hidden])').length === 1);
  assert.equal(await page.locator('main img, main b, main script').count(), 0);
  const [row] = await tableRows();
  assert.equal(row.path, evil);
  assert.match(row.cells[STATUS], /<b>bold<\/b><script>/);
  await page.click('.tbody .tr');
  assert.equal(await page.locator('#view-module img, #view-module b').count(), 0);
  assert.match(await page.textContent('#detail-title'), /<img src=\/evil/);
});

test('cancel stops a large run and keeps what was done', { skip: !haveKernel && !needKernel && 'no kernel in ~/.cache/btfscope' }, async () => {
  await page.goto(`${server.url}#view=modules`);
  await done();
  await page.setInputFiles('#pick-files', [VMLINUX, ...modulesUnder(join(MODULES, 'drivers'))]);
  await page.waitForSelector('body[data-phase=running]');
  await page.waitForSelector('.tbody .tr.shipped, .tbody .tr.ok');
  await page.click('#cancel');
  await page.waitForSelector('body[data-phase=cancelled]');
  assert.match(await page.textContent('#progress-text'), /cancelled$/);
  // What was done stays; whatever pass it was in, some modules were left without figures.
  assert.match(await page.textContent('#summary'), /modules read/);
  assert.notEqual(await page.textContent('.stat:nth-child(2) .value'), '0 / 2,960');
  assert.ok((await page.locator('.tbody .tr.cancelled, .tbody .tr.partial').count()) > 0);
  await page.screenshot({ path: screenshotPath('cancelled') });
  // A fresh worker takes over: the next run completes.
  await page.click('#load-sample');
  await done();
  assert.equal((await tableRows()).length, 2);
});

test('a folder through the folder picker: its modules are listed, and without a vmlinux they say so', { skip: !haveKernel && !needKernel && 'no kernel in ~/.cache/btfscope' }, async () => {
  const dir = join(MODULES, 'net/vmw_vsock');
  await page.setInputFiles('#pick-folder', dir);
  await page.waitForSelector('body[data-phase=done]');
  const rows = await tableRows();
  assert.deepEqual(rows.map((r) => r.path.split('/').pop()).sort(), modulesUnder(dir).map((m) => m.split('/').pop()));
  for (const row of rows) assert.match(row.cells[STATUS], /give its base BTF/);
});

test('no request left the page and nothing was blocked or failed', () => {
  const origin = new URL(server.url).origin;
  const foreign = requests.filter((r) => !r.url.startsWith(`${origin}/`) && !r.url.startsWith('blob:'));
  assert.deepEqual(foreign, []);
  assert.deepEqual(requests.filter((r) => r.method !== 'GET'), []);
  assert.ok(requests.some((r) => r.url.endsWith('.wasm')));
  assert.deepEqual(problems, []);
});
