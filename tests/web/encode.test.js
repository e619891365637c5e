// End to end: the Encode view of the built page (dist/) in headless
// chromium. A C file compiled with gcc -g during the test is given through
// the view's file input; the BTF the page offers for download must be
// byte-identical to `btfscope encode` on the same file, stand-alone and
// split on the loaded base. Run: scripts/test-web.sh.

import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

import { ROOT, CLI, pageSession, screenshotPath } from './browser.js';

const SAMPLE_C = join(ROOT, 'tests/encode/sample.c');
// The sample's vmlinux BTF: that of the Debian kernel whose debug modules
// scripts/fetch-dbg.sh fetches.
const SAMPLE_BASE = join(ROOT, 'tests/fixtures/vmlinux.btf.xz');
const DEBUG_MODULE = join(homedir(), '.cache/btfscope/dbg/modules/e1000e.ko');

let server, page, requests, dir;
const problems = []; // console errors, page errors, CSP violations
// The Encode view, with the built-in sample (whose vmlinux is the base) loaded.
pageSession(problems, { view: 'encode', scratch: 'encode' }, async (s) => {
  ({ server, page, requests, dir } = s);
  await page.waitForSelector('body[data-phase=done]', { timeout: 60000 });
});

/** sample.c compiled by gcc with debug info into `name` under the test's directory. */
function compile(name, flags) {
  const out = join(dir, name);
  execFileSync('gcc', [...flags, '-c', SAMPLE_C, '-o', out]);
  return out;
}

/** `btfscope encode` of `file`: the raw BTF. */
function cliEncode(file, args) {
  const out = join(dir, `${basename(file)}.cli.btf`);
  execFileSync(CLI, ['encode', file, ...args, '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(out);
}

/** Gives `file` to the Encode view; resolves to the downloaded BTF once done. */
async function pageEncode(file, features) {
  await page.fill('#encode-features', features);
  await page.setInputFiles('#encode-file', file);
  await page.waitForSelector('body:not([data-encode=running])[data-encode]', { timeout: 30000 });
  assert.equal(await page.getAttribute('body', 'data-encode'), 'done', await page.textContent('#encode-result'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#encode-download')]);
  return readFileSync(await download.path());
}

test('a gcc -g object encodes to the CLI\'s BTF, byte for byte', async () => {
  const object = compile('sample.o', ['-O2', '-gdwarf-5']);
  const btf = await pageEncode(object, 'default,global_var');
  assert.ok(btf.length > 1000);
  assert.ok(btf.equals(cliEncode(object, ['--btf-features', 'default,global_var'])), 'page and CLI BTF differ');
  // The kinds table shows what the BTF holds: its types add up.
  const counts = await page.$$eval('#encode-result .kinds tbody tr', (trs) => trs.map((tr) => Number(tr.children[1].textContent.replaceAll(',', ''))));
  assert.ok(counts.length > 5);
  assert.match(await page.textContent('#encode-status'), /sample\.o .* stand-alone, features default,global_var · done/);
  await page.screenshot({ path: screenshotPath('encode'), fullPage: true });
});

test('a module is split on the loaded base, as with -B', async () => {
  const module = compile('sample.ko', ['-O0', '-gdwarf-4']);
  const btf = await pageEncode(module, 'default');
  assert.ok(btf.equals(cliEncode(module, ['-B', SAMPLE_BASE])), 'page and CLI split BTF differ');
  assert.match(await page.textContent('#encode-status'), /split on \S*vmlinux\.btf\.xz/);
});

test('a Debian debug module, on the loaded vmlinux', { skip: !existsSync(DEBUG_MODULE) && 'no debug modules: scripts/fetch-dbg.sh' }, async () => {
  const btf = await pageEncode(DEBUG_MODULE, 'default');
  assert.ok(btf.equals(cliEncode(DEBUG_MODULE, ['-B', SAMPLE_BASE])), 'page and CLI split BTF differ');
});

test('a file dropped on the view is encoded, not analysed', async () => {
  const object = compile('dropped.o', ['-O1', '-g']);
  const rows = await page.$$eval('.tbody .tr', (trs) => trs.length);
  await page.evaluate((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.o'));
    const view = document.getElementById('view-encode');
    view.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true }));
    view.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
  }, [...readFileSync(object)]);
  await page.waitForFunction(() => /^dropped\.o .* done/.test(document.getElementById('encode-status').textContent));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#encode-download')]);
  assert.ok(readFileSync(await download.path()).equals(cliEncode(object, [])), 'page and CLI BTF differ');
  // The analysis saw nothing of it, and the drop overlay is gone.
  assert.equal(await page.$$eval('.tbody .tr', (trs) => trs.length), rows);
  assert.equal(await page.getAttribute('body', 'data-phase'), 'done');
  assert.equal(await page.evaluate(() => document.body.classList.contains('dragging')), false);
});

test('a file that is not a debug ELF is an error in the view', async () => {
  const junk = join(dir, 'junk.o');
  writeFileSync(junk, Buffer.alloc(4096, 7));
  await page.setInputFiles('#encode-file', junk);
  await page.waitForSelector('body[data-encode=failed]', { timeout: 30000 });
  assert.match(await page.textContent('#encode-result .error-text'), /not an ELF file .*at offset 0x0/);
  // An object built without -g has no DWARF to encode.
  await page.setInputFiles('#encode-file', compile('nodebug.o', ['-O2']));
  await page.waitForSelector('body[data-encode=failed]', { timeout: 30000 });
  assert.match(await page.textContent('#encode-status'), /nodebug\.o/);
  assert.match(await page.textContent('#encode-result .error-text'), /no DWARF/);
  // Unknown feature names are refused, as by the CLI.
  await page.fill('#encode-features', 'default,no_such_feature');
  await page.setInputFiles('#encode-file', compile('features.o', ['-g']));
  await page.waitForSelector('body[data-encode=failed]', { timeout: 30000 });
  assert.match(await page.textContent('#encode-result .error-text'), /unknown BTF feature 'no_such_feature'/);
});

test('nothing left the page and nothing broke', () => {
  const origin = new URL(server.url).origin;
  const outside = requests.filter((r) => !r.url.startsWith(origin) && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
  assert.deepEqual(outside, []);
  assert.deepEqual(problems, []);
});
