// The page on a whole kernel: vmlinux and every module of Debian
// 6.1.0-55-amd64 (scripts/fetch-kernel.sh), given through the file input
// of the built page in headless chromium, with 1 and 2 worker threads; the
// native CLI (`btfscope report`, the same module rows) on the same files in
// the same run. Prints a markdown table for
// docs/PERFORMANCE.md. Run: timeout -k 5 900 node bench/web.js
// (after scripts/build-web.sh and cargo build --release).

import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { serve, launch, cliReport, cliSplit, modulesUnder } from '../tests/web/browser.js';

const KERNEL = join(homedir(), '.cache/btfscope');
const VMLINUX = join(KERNEL, 'vmlinux-6.1.0-55');
const MODULES = join(KERNEL, 'k61/lib/modules/6.1.0-55-amd64');

async function pageRun(context, url, threads, files) {
  const page = await context.newPage();
  await page.goto(`${url}?threads=${threads}#view=modules`);
  await page.waitForSelector('body[data-phase=done]'); // the sample, first
  await page.waitForFunction(() => /thread/.test(document.getElementById('core-badge').textContent));
  const badge = await page.textContent('#core-badge');
  const started = Date.now();
  await page.setInputFiles('#pick-files', files);
  await page.waitForSelector('body[data-phase=done]', { timeout: 600000 });
  await page.waitForSelector('body[data-hashes=done]', { timeout: 600000 });
  const wall = Date.now() - started;
  const result = await page.evaluate(() => ({
    shippedMs: Number(document.body.dataset.shippedMs),
    ms: Number(document.body.dataset.runMs),
    hashesMs: Number(document.body.dataset.hashesMs),
    memory: Number(document.body.dataset.wasmMemoryBytes),
    summary: document.getElementById('summary').textContent,
    failed: Number(document.getElementById('summary').dataset.failed),
  }));
  await page.close();
  return { threads, badge, wall, ...result };
}

// The same work natively: `btfscope report` computes the same module rows
// (SPLIT, FULL, kinds) and `btfscope split` the re-deduplicated sizes, on
// all cores.
function nativeRun(modules) {
  const started = process.hrtime.bigint();
  cliReport(VMLINUX, modules);
  cliSplit(VMLINUX, modules);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

if (!existsSync(VMLINUX) || !existsSync(MODULES)) {
  console.error('bench/web: run scripts/fetch-kernel.sh first');
  process.exit(1);
}
const modules = modulesUnder(MODULES);
const files = [VMLINUX, ...modules];
console.error(`bench/web: vmlinux + ${modules.length} modules`);

// Both sides read warm files: the first reader would otherwise pay for the disk.
for (const f of files) readFileSync(f);

const server = await serve();
const browser = await launch();
const runs = [];
try {
  for (const threads of [1, 2]) {
    const run = await pageRun(browser.context, server.url, threads, files);
    console.error(`bench/web: page, ${run.badge}: sizes as shipped ${run.shippedMs} ms, FULL ${run.ms} ms, report hashes ${run.hashesMs} ms (wall ${run.wall} ms), wasm memory ${(run.memory / 2 ** 20).toFixed(0)} MiB, ${run.failed} failed`);
    if (run.failed) throw new Error(`the page failed on ${run.failed} modules`);
    runs.push(run);
  }
} finally {
  await browser.close();
  server.stop();
}
const native = nativeRun(modules);
console.error(`bench/web: native CLI: ${native.toFixed(0)} ms`);

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log('| what | every module\'s sizes as shipped | table complete (FULL for every module) | report hashes too | peak wasm memory | table vs native | hashes vs native |');
console.log('|---|---|---|---|---|---|---|');
for (const r of runs) {
  console.log(`| page, ${r.badge} | ${seconds(r.shippedMs)} | ${seconds(r.ms)} | ${seconds(r.hashesMs)} | ${(r.memory / 2 ** 20).toFixed(0)} MiB | ${(r.ms / native).toFixed(2)}× | ${(r.hashesMs / native).toFixed(2)}× |`);
}
console.log(`| native \`btfscope report\` + \`split\`, same files, all cores | | | ${seconds(native)} | | | 1× |`);
