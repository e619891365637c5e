// The Types view on the built-in sample (vmlinux, nfs, mlx5_core from
// tests/fixtures), in headless chromium: search, a type's C text against
// `btfscope dump --format c`, its layout against `btfscope layout -C`,
// the vmlinux.h and module header downloads against the CLI's bytes,
// referrers, deep links; a module's type graph starting from a type's
// neighbourhood, against `btfscope graph --root --depth 2`. Screenshots go
// to target/web-artifacts/.
// Run: scripts/test-web.sh (needs scripts/build-web.sh and the release CLI).

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, CLI, pageSession, screenshotPath } from './browser.js';

const FIXTURES = join(ROOT, 'tests/fixtures');
const VMLINUX = join(FIXTURES, 'vmlinux.btf.xz');
const NFS = join(FIXTURES, 'nfs.btf.xz');

let server, page;
const problems = []; // console errors, page errors, CSP violations
pageSession(problems, {}, (s) => ({ server, page } = s));
test.after(() => assert.deepEqual(problems, []));

const cli = (...args) => execFileSync(CLI, args, { maxBuffer: 1 << 30 });
const cliText = (...args) => cli(...args).toString('utf8');

/** Opens `hash` on a fresh load of the sample; resolves once the types are indexed. */
async function openTypes(hash = '#view=types') {
  // From a blank page: a change of the hash alone would not reload it.
  await page.goto('about:blank');
  await page.goto(`${server.url}${hash}`);
  await page.waitForSelector('body[data-phase=done][data-types=ready]', { timeout: 60000 });
}

/** Types `query` into the search box; resolves to the hits shown for it. */
async function search(query) {
  await page.fill('#types-search', query);
  await page.waitForFunction((q) => document.body.dataset.typesSearch === q, query);
  return page.$$eval('#types-hits .hit', (hits) => hits.map((b) => ({ kind: b.querySelector('.kind').textContent, name: b.querySelector('.name').textContent, where: b.querySelector('.where').textContent })));
}

/** Waits for the detail of `kind name` (bpftool's kind name). */
const detailOf = (kind, name) => page.waitForFunction((k) => document.body.dataset.typesDetail === k, `${kind} ${name}`);

/** The top-level definition of `head` (e.g. `struct task_struct {`) in a C header. */
function definitionIn(header, head) {
  const start = header.indexOf(`\n${head}\n`);
  assert.notEqual(start, -1, `${head} is in the header`);
  const end = header.indexOf('\n};\n', start);
  return header.slice(start + 1, end + 4);
}

test('search finds types by any part of the name, exact match first', async () => {
  await openTypes();
  const hits = await search('task_struct');
  assert.deepEqual(hits[0], { kind: 'struct', name: 'task_struct', where: 'vmlinux' });
  assert.ok(hits.every((h) => h.name.includes('task_struct')));
  const upper = await search('TASK_STRUCT');
  assert.deepEqual(upper, hits, 'ASCII case is ignored');
  // struct module: in vmlinux, and a stale copy in nfs.
  const module = (await search('module')).find((h) => h.kind === 'struct' && h.name === 'module');
  assert.equal(module.where, 'vmlinux +1');
  assert.match(await page.textContent('#types-status'), /100,799 types|[\d,]+ types, [\d,]+ names in vmlinux and 2 modules/);
  // The core's answer, in the page (a figure for PERFORMANCE.md, not a test).
  console.log(`search 'module': core ${await page.evaluate(() => document.body.dataset.typesSearchMs)} ms, page ${await page.evaluate(() => document.body.dataset.typesSearchPageMs)} ms`);
});

test('a struct shows its C text as dump --format c writes it, its layout as layout -C prints it', async () => {
  await openTypes();
  await search('task_struct');
  await page.click('#types-hits .hit >> nth=0');
  await detailOf('STRUCT', 'task_struct');
  const header = cliText('dump', VMLINUX, '--format', 'c');
  assert.equal(await page.textContent('#types-c'), definitionIn(header, 'struct task_struct {'));
  const layout = cliText('layout', VMLINUX, '-C', 'task_struct');
  assert.equal(`${await page.textContent('#types-layout')}\n`, layout);
  // pahole's holes and padding are marked.
  assert.ok((await page.locator('#types-layout .hole').count()) > 0);
  assert.match(await page.textContent('#types-detail .facts'), /size[\d,]+ bytes/);
  assert.match(await page.textContent('#types-detail .facts'), /defined invmlinux/);
  assert.match(page.url(), /#view=types&type=task_struct$/);
  await page.screenshot({ path: screenshotPath('types-task-struct'), fullPage: false });
});

test('referrers name the member on the way and click through', async () => {
  await openTypes('#view=types&type=mm_struct');
  await detailOf('STRUCT', 'mm_struct');
  const referrers = await page.$$eval('#types-referrers li', (lis) => lis.map((li) => li.textContent));
  assert.ok(referrers.includes('struct task_struct · mm'), referrers.slice(0, 20).join('\n'));
  await page.click('#types-referrers a:text-is("struct task_struct")');
  await detailOf('STRUCT', 'task_struct');
  assert.match(page.url(), /type=task_struct/);
});

test('a deep link opens a type; a module type names its module', async () => {
  // struct nfs_inode: only nfs defines it (vmlinux has no such name).
  await openTypes('#view=types&type=nfs_inode');
  await detailOf('STRUCT', 'nfs_inode');
  assert.match(await page.textContent('#types-detail h2'), /in nfs$/);
  const header = cliText('dump', NFS, '-B', VMLINUX, '--format', 'c');
  assert.equal(await page.textContent('#types-c'), definitionIn(header, 'struct nfs_inode {'));
  const layout = cliText('layout', NFS, '-B', VMLINUX, '-C', 'nfs_inode');
  assert.equal(`${await page.textContent('#types-layout')}\n`, layout);
  // The stale copy of struct module in nfs, by a link to it: on a fresh
  // load, and by changing the link of an open page.
  await openTypes('#view=types&type=module&in=nfs');
  await detailOf('STRUCT', 'module');
  assert.match(await page.textContent('#types-detail h2'), /in nfs$/);
  assert.match(await page.textContent('#types-detail .facts'), /defined invmlinux, nfs/);
  await page.goto(`${server.url}#view=types&type=module`);
  await detailOf('STRUCT', 'module');
  await page.waitForFunction(() => /in vmlinux$/.test(document.querySelector('#types-detail h2').textContent));
  await page.goto(`${server.url}#view=types&type=module&in=nfs`);
  await page.waitForFunction(() => /in nfs$/.test(document.querySelector('#types-detail h2').textContent));
});

test('Download vmlinux.h gives the bytes of btfscope dump --format c', async () => {
  await openTypes();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#types-download')]);
  assert.equal(download.suggestedFilename(), 'vmlinux.h');
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.equals(cli('dump', VMLINUX, '--format', 'c')), 'vmlinux.h differs from the CLI');
  console.log(`vmlinux.h: ${bytes.length} bytes, ${await page.evaluate(() => document.body.dataset.typesHeaderMs)} ms from the click (core ${await page.evaluate(() => document.body.dataset.typesHeaderCoreMs)} ms)`);
});

test('a module header is the module on its base, as dump -B --format c', async () => {
  await openTypes('#view=types&type=nfs_inode');
  await detailOf('STRUCT', 'nfs_inode');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#types-download-module')]);
  assert.equal(download.suggestedFilename(), 'nfs.h');
  const bytes = readFileSync(await download.path());
  assert.ok(bytes.equals(cli('dump', NFS, '-B', VMLINUX, '--format', 'c')), 'nfs.h differs from the CLI');
});

/** `btfscope graph` of nfs on vmlinux, as JSON: `root` and `depth`, or the whole graph. */
function cliGraph(root, depth) {
  const args = root === undefined ? [] : ['--root', String(root), '--depth', String(depth)];
  return JSON.parse(cliText('graph', NFS, '-B', VMLINUX, ...args, '--format', 'json'));
}

/** Waits for the module graph to show `root` (`KIND name`, '' for none) and resolves to its node count. */
async function graphFrom(root) {
  await page.waitForFunction((r) => document.body.dataset.graphRoot === r, root);
  return Number(await page.evaluate(() => document.body.dataset.graphNodes));
}

test('a module graph starts from its hub, two references deep; a type at the edge expands; all on request', async () => {
  await page.goto('about:blank');
  await page.goto(`${server.url}#view=module&module=sample%2Fnfs.btf.xz`);
  // nfs's hub: the named struct its own types use most (tests/session.rs).
  const start = cliGraph('nfs_page', 2);
  assert.equal(await graphFrom('STRUCT nfs_page'), start.nodes.length);
  assert.ok(start.nodes.length <= 150, `${start.nodes.length} nodes: a readable start`);
  assert.match(await page.textContent('#graph-note'), /^What struct nfs_page \[\d+\] reaches in two references: \d+ module types \(blue\)/);
  await page.screenshot({ path: screenshotPath('graph-start') });

  // A type drawn but not followed (no edge leaves it) that refers to others:
  // picked by a link, it adds what it refers to.
  const followed = new Set(start.edges.map(([from]) => from));
  const drawn = new Set(start.nodes.map((n) => n.id));
  const edge = start.nodes.find((n) => !followed.has(n.id) && cliGraph(n.id, 1).edges.length > 0);
  const added = cliGraph(edge.id, 1).nodes.filter((n) => !drawn.has(n.id)).length;
  await page.goto(`${server.url}#view=module&module=sample%2Fnfs.btf.xz&type=${edge.id}`);
  await page.waitForFunction((id) => document.getElementById('graph-note').textContent.startsWith(`[${id}] `) && /expanded/.test(document.getElementById('graph-note').textContent), edge.id);
  assert.match(await page.textContent('#graph-note'), new RegExp(`· expanded: ${added} more types`));

  await page.click('#graph-whole');
  assert.equal(await graphFrom(''), cliGraph().nodes.length);
  assert.equal(await page.locator('#graph-whole').count(), 0);
});

test('a module type in the Types view opens its neighbourhood in the module graph', async () => {
  await openTypes('#view=types&type=nfs_inode');
  await detailOf('STRUCT', 'nfs_inode');
  await page.click('#types-graph');
  const expected = cliGraph('nfs_inode', 2);
  assert.equal(await graphFrom('STRUCT nfs_inode'), expected.nodes.length);
  const id = expected.nodes.find((n) => n.name === 'nfs_inode' && !n.base).id;
  assert.match(page.url(), new RegExp(`#view=module&module=sample%2Fnfs\\.btf\\.xz&type=${id}$`));
  await page.screenshot({ path: screenshotPath('graph-from-types') });
});
