// The page's Encode view on the Debian 6.1.0-55 debug vmlinux
// (scripts/fetch-dbg.sh; opt-in, it is big): the file given through the
// view's input in headless chromium with 1 and 2 worker threads, its BTF
// checked byte for byte against `btfscope encode` run natively in the same
// run. Reports wall time, the page's peak wasm memory (the worker's
// memory size once done: it never shrinks) and the CLI's wall and peak RSS.
// Prints a markdown table for docs/PERFORMANCE.md.
// Run: timeout -k 5 900 node bench/web-encode.js
// (after scripts/build-web.sh and cargo build --release).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLI, serve, launch } from '../tests/web/browser.js';

const VMLINUX = join(homedir(), '.cache/btfscope/dbg/vmlinux-6.1.0-55-amd64');
const MiB = 2 ** 20;

async function pageRun(context, url, threads) {
  const page = await context.newPage();
  await page.goto(`${url}?threads=${threads}#view=encode`);
  await page.waitForSelector('body[data-phase=done]'); // the sample, first
  const started = Date.now();
  await page.setInputFiles('#encode-file', VMLINUX);
  await page.waitForSelector('body:not([data-encode=running])[data-encode]', { timeout: 600000 });
  const wall = Date.now() - started;
  const phase = await page.getAttribute('body', 'data-encode');
  if (phase !== 'done') throw new Error(`the page's encode ${phase}: ${await page.textContent('#encode-result')}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#encode-download')]);
  const btf = readFileSync(await download.path());
  const result = await page.evaluate(() => ({
    ms: Number(document.body.dataset.encodeMs),
    memory: Number(document.body.dataset.encodeMemoryBytes),
  }));
  await page.close();
  return { threads, wall, btf, ...result };
}

/** `btfscope encode` on all cores: BTF, wall ms and peak RSS (GNU time). */
function nativeRun(dir) {
  const out = join(dir, 'vmlinux.btf');
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', CLI, 'encode', VMLINUX, '-o', out], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`btfscope encode failed: ${run.stderr}`);
  // GNU time's line (peak RSS in KiB) comes last on stderr.
  const rssKiB = Number(run.stderr.trim().split('\n').pop());
  return { wall, rss: rssKiB * 1024, btf: readFileSync(out) };
}

if (!existsSync(VMLINUX)) {
  console.error('bench/web-encode: run scripts/fetch-dbg.sh first');
  process.exit(1);
}
// Both sides read a warm file: the first reader would otherwise pay for the disk.
readFileSync(VMLINUX);
const dir = mkdtempSync(join(tmpdir(), 'btfscope-web-encode-'));
const server = await serve();
const browser = await launch();
const runs = [];
try {
  for (const threads of [1, 2]) {
    const run = await pageRun(browser.context, server.url, threads);
    console.error(`bench/web-encode: page, ${threads} thread(s): ${run.ms} ms (wall ${run.wall} ms), wasm memory ${(run.memory / MiB).toFixed(0)} MiB`);
    runs.push(run);
  }
} finally {
  await browser.close();
  server.stop();
}
const native = nativeRun(dir);
rmSync(dir, { recursive: true, force: true });
console.error(`bench/web-encode: native CLI: ${native.wall.toFixed(0)} ms, peak RSS ${(native.rss / MiB).toFixed(0)} MiB`);
for (const r of runs) {
  if (!r.btf.equals(native.btf)) throw new Error(`the page's BTF (${r.threads} threads) differs from the CLI's`);
}
console.error(`bench/web-encode: the page's BTF is byte-identical to the CLI's (${native.btf.length} bytes)`);

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
console.log('| what | wall | peak memory | vs native wall |');
console.log('|---|---|---|---|');
for (const r of runs) {
  console.log(`| page, ${r.threads} thread${r.threads > 1 ? 's' : ''} | ${seconds(r.ms)} | ${(r.memory / MiB).toFixed(0)} MiB wasm | ${(r.ms / native.wall).toFixed(2)}× |`);
}
console.log(`| native \`btfscope encode\`, all cores | ${seconds(native.wall)} | ${(native.rss / MiB).toFixed(0)} MiB RSS | 1× |`);
