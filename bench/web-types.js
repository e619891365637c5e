// The page's Types view on the built-in sample (Debian 6.1 vmlinux, 100,799
// types, with nfs and mlx5_core): how long the index takes, how long a
// search takes in the core and from the keystroke's request to the list
// drawn (median of 25 per query, worst-case queries included), and how
// long vmlinux.h takes from the click to the file, against `btfscope dump
// --format c` and bpftool 7.5 on the same file in the same run.
// Prints a markdown table for docs/PERFORMANCE.md.
// Run: timeout -k 5 600 node bench/web-types.js
// (after scripts/build-web.sh and cargo build --release).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, CLI, serve, launch } from '../tests/web/browser.js';

const VMLINUX = join(ROOT, 'tests/fixtures/vmlinux.btf.xz');
const BPFTOOL = join(homedir(), '.cache/btfscope/bpftool-7.5/bpftool');
const QUERIES = ['e', '_', 'sk', 'task_struct', 'zzzz'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(command, args) {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const server = await serve();
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}#view=types`);
  await page.waitForSelector('body[data-phase=done][data-types=ready]', { timeout: 60000 });
  const indexed = await page.textContent('#types-status');
  const rows = [];
  for (const query of QUERIES) {
    const core = [];
    const drawn = [];
    for (let i = 0; i < 25; i += 1) {
      await page.fill('#types-search', '');
      await page.fill('#types-search', query);
      await page.waitForFunction((q) => document.body.dataset.typesSearch === q, query);
      const d = await page.evaluate(() => document.body.dataset);
      core.push(Number(d.typesSearchMs));
      drawn.push(Number(d.typesSearchPageMs));
      await page.evaluate(() => delete document.body.dataset.typesSearch);
    }
    const total = (await page.textContent('#types-status')).match(/([\d,]+) match/)[1];
    rows.push(`| \`${query}\` | ${total} | ${median(core).toFixed(2)} ms | ${median(drawn).toFixed(1)} ms |`);
  }
  const header = [];
  for (let i = 0; i < 3; i += 1) {
    // A fresh load each time (a change of the hash alone would not reload
    // the page, and the core keeps a header once made).
    await page.goto('about:blank');
    await page.goto(`${server.url}#view=types`);
    await page.waitForSelector('body[data-phase=done][data-types=ready]', { timeout: 60000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#types-download')]);
    await download.path();
    const d = await page.evaluate(() => document.body.dataset);
    header.push({ page: Number(d.typesHeaderMs), core: Number(d.typesHeaderCoreMs) });
  }
  const dir = mkdtempSync(join(tmpdir(), 'btfscope-bench-types-'));
  const raw = join(dir, 'vmlinux.btf');
  writeFileSync(raw, spawnSync('xz', ['-dc', VMLINUX], { maxBuffer: 1 << 30 }).stdout);
  const cli = median([0, 1, 2].map(() => timed(CLI, ['dump', raw, '--format', 'c'])));
  const bpftool = existsSync(BPFTOOL) ? median([0, 1, 2].map(() => timed(BPFTOOL, ['btf', 'dump', 'file', raw, 'format', 'c']))) : NaN;
  rmSync(dir, { recursive: true, force: true });
  console.log(`index: ${indexed}\n`);
  console.log('| query | matches | core | request to list drawn |\n|---|---|---|---|');
  console.log(rows.join('\n'));
  console.log(`\n| vmlinux.h | click to file | core |\n|---|---|---|`);
  console.log(header.map((h, i) => `| page, run ${i + 1} | ${h.page} ms | ${h.core} ms |`).join('\n'));
  console.log(`| native \`btfscope dump --format c\` | ${cli.toFixed(0)} ms | |\n| bpftool 7.5 \`format c\` | ${bpftool.toFixed(0)} ms | |`);
} finally {
  await browser.close();
  server.stop();
}
