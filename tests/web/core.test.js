// End to end: the CO-RE view of the built page (dist/) in headless
// chromium. The BPF test programs (tests/bpf/*.c, compiled here with
// clang against Debian 6.1's vmlinux.h) and two kernels are given through
// the view's file inputs; every cell of the page's matrix must say what
// `btfscope core --json` says, the minimal BTF offered for download must be
// `btfscope min-core`'s bytes, and a failing cell shows both types as C.
// Run: scripts/test-web.sh.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { ROOT, CLI, pageSession, screenshotPath } from './browser.js';

const CACHE = join(homedir(), '.cache/btfscope');
const BPFTOOL = join(CACHE, 'bpftool-7.5/bpftool');
const K61 = join(CACHE, 'vmlinux-6.1.0-55');
const COMPAT = join(CACHE, 'compat');

let server, page, dir;
const problems = [];
pageSession(problems, { view: 'core', scratch: 'core' }, (s) => ({ server, page, dir } = s));

function programs() {
  writeFileSync(join(dir, 'vmlinux.h'), execFileSync(BPFTOOL, ['btf', 'dump', 'file', K61, 'format', 'c'], { maxBuffer: 1 << 28 }));
  const src = join(ROOT, 'tests/bpf');
  return ['core_fields', 'core_types'].map((stem) => {
    const out = join(dir, `${stem}.o`);
    execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-c', '-I', dir, '-I', src, join(src, `${stem}.c`), '-o', out]);
    return out;
  });
}

test('the matrix is the CLI\'s, failing cells explained, min BTF downloadable', { skip: !existsSync(BPFTOOL) || !existsSync(K61) }, async () => {
  const objects = programs();
  const newer = existsSync(COMPAT) ? readdirSync(COMPAT).filter((f) => f.startsWith('vmlinuz-6.12')).map((f) => join(COMPAT, f)) : [];
  const kernels = [K61, ...newer.slice(0, 1)];
  await page.setInputFiles('#core-programs', objects);
  await page.setInputFiles('#core-kernels', kernels);
  await page.waitForSelector('body:not([data-core=running])[data-core]', { timeout: 120000 });
  assert.equal(await page.getAttribute('body', 'data-core'), 'done', await page.textContent('#core-result'));

  const tables = await page.$$eval('#core-result table.core-matrix', (ts) => ts.map((t) => [...t.querySelectorAll('td.cell')].map((td) => ({
    row: Number(td.dataset.row), kernel: Number(td.dataset.kernel), text: td.textContent,
  }))));
  assert.equal(tables.length, objects.length);
  objects.forEach((object, i) => {
    const args = ['core', object, ...kernels.flatMap((k) => ['-B', k]), '--json', '-'];
    const cli = JSON.parse(execFileSync(CLI, args, { maxBuffer: 1 << 28 }));
    const cells = tables[i];
    assert.equal(cells.length, cli.relocations.length * kernels.length);
    for (const { row, kernel, text } of cells) {
      const c = cli.relocations[row].results[kernel];
      assert.equal(text, c.ok ? String(c.value) : c.fatal ? 'error' : 'poison', `${object} row ${row} kernel ${kernel}`);
    }
    // Failing relocations come first.
    const failing = cli.relocations.map((r) => r.results.some((c) => !c.ok));
    const shownOrder = [...new Set(cells.map((c) => c.row))];
    const firstPass = shownOrder.findIndex((r) => !failing[r]);
    assert.ok(firstPass === -1 || shownOrder.slice(firstPass).every((r) => !failing[r]), 'failing rows first');
  });

  // A poisoned cell: task_struct___old.state; both sides as C.
  await page.click('#core-result table.core-matrix td.cell.bad');
  const local = await page.textContent('#core-detail pre.c-local');
  const target = await page.textContent('#core-detail pre.c-target');
  assert.match(local, /^struct \w+ \{/);
  assert.match(target, /^struct \w+ \{|no type of that name/);

  // The minimal BTF of kernel 0 is btfscope min-core's.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.core-min a[data-kernel="0"]')]);
  const pageMin = readFileSync(await download.path());
  const cliMin = join(dir, 'min.btf');
  execFileSync(CLI, ['min-core', K61, cliMin, ...objects]);
  assert.ok(pageMin.equals(readFileSync(cliMin)), 'page and CLI min-core differ');
  await page.screenshot({ path: screenshotPath('core'), fullPage: true });
  assert.deepEqual(problems, []);
});
