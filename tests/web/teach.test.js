// The Dedup view (#view=teach) in headless chromium: every built-in case
// is run and stepped to its end, where the sha256 the view shows must be
// that of the BTF `btfscope dedup` writes for the same spec (built by
// `btfscope build`); stepping, keys, a pasted spec, an error with its
// line, a deep link to a case and step, and screenshots of the view and
// its presentation mode. Run: scripts/test-web.sh.

import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, CLI, pageSession, screenshotPath } from './browser.js';

const CASES = join(ROOT, 'src/dedup/cases');
const caseNames = readdirSync(CASES).filter((f) => f.endsWith('.spec') && !f.endsWith('.base.spec')).map((f) => f.slice(0, -5));

let server, page, dir;
const problems = [];
pageSession(problems, { view: 'teach', scratch: 'teach' }, async (s) => {
  ({ server, page, dir } = s);
  await page.waitForSelector('#teach-case option[value=struct-cycle]', { state: 'attached', timeout: 60000 });
});

/** sha256 of what `btfscope dedup` writes for case `name` (built with `btfscope build`). */
function cliSha(name) {
  const spec = join(CASES, `${name}.spec`);
  const baseSpec = join(CASES, `${name}.base.spec`);
  const split = readdirSync(CASES).includes(`${name}.base.spec`);
  const btf = join(dir, `${name}.btf`);
  const base = join(dir, `${name}.base.btf`);
  const out = join(dir, `${name}.out.btf`);
  if (split) execFileSync(CLI, ['build', baseSpec, '-o', base]);
  execFileSync(CLI, ['build', spec, ...(split ? ['-B', base] : []), '-o', btf]);
  execFileSync(CLI, ['dedup', btf, ...(split ? ['-B', base] : []), '-o', out]);
  return createHash('sha256').update(readFileSync(out)).digest('hex');
}

const attr = (name) => page.getAttribute('#teach', name);

/** Runs case `name` and waits for its trace. */
async function runCase(name) {
  await page.selectOption('#teach-case', name);
  await page.waitForFunction((n) => location.hash.includes(`case=${n}`) && document.querySelector('#teach').dataset.phase === 'done', name);
}

test('there are a dozen built-in cases', () => {
  assert.ok(caseNames.length >= 12, caseNames.join(' '));
});

test('every built-in case steps to its end, where the output is the CLI dedup output', async () => {
  for (const name of caseNames) {
    await runCase(name);
    const steps = Number(await attr('data-steps'));
    assert.ok(steps > 5, `${name}: ${steps} steps`);
    assert.equal(await attr('data-step'), '0', name);
    assert.equal(await attr('data-output-sha256'), null, `${name}: no sha256 before the end`);
    // Every step, one by one, to the end.
    for (let i = 1; i < steps; i++) {
      await page.click('#teach-next');
      assert.equal(await attr('data-step'), String(i), `${name} step ${i}`);
      assert.ok((await page.textContent('#teach-sentence')).length > 10);
    }
    assert.ok(await page.isDisabled('#teach-next'));
    assert.equal(await attr('data-output-sha256'), cliSha(name), name);
    await page.click('#teach-prev');
    assert.equal(await attr('data-step'), String(steps - 2));
    assert.equal(await attr('data-output-sha256'), null);
  }
});

test('keys step, and End and Home jump', async () => {
  await runCase('fwd-in-graph');
  const steps = Number(await attr('data-steps'));
  await page.focus('#teach-next');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await attr('data-step'), '2');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await attr('data-step'), '1');
  await page.keyboard.press('End');
  assert.equal(await attr('data-step'), String(steps - 1));
  await page.keyboard.press('Home');
  assert.equal(await attr('data-step'), '0');
  await page.click('#teach-end');
  assert.equal(await attr('data-step'), String(steps - 1));
});

test('a comparison shows the pair, the hypothetical map and the candidates', async () => {
  await runCase('struct-cycle');
  // Step to the first pair of the graph comparison.
  for (;;) {
    await page.click('#teach-next');
    if ((await page.textContent('#teach-sentence')).includes('against')) break;
  }
  assert.equal(await page.locator('#teach-graphs .teach-hl').count(), 2);
  assert.match(await page.textContent('#teach-hypot'), /STRUCT 'node'/);
  assert.match(await page.textContent('#teach-cands'), /candidates of \[5\] STRUCT 'node'/);
  await page.screenshot({ path: screenshotPath('teach'), fullPage: true });
  await page.click('#teach-present');
  assert.equal(await page.isVisible('#teach-spec'), false);
  assert.equal(await page.isVisible('#teach-sentence'), true);
  await page.screenshot({ path: screenshotPath('teach-presentation') });
  await page.keyboard.press('Escape');
  assert.equal(await page.isVisible('#teach-spec'), true);
});

test('a pasted spec runs; a bad one says which line and column', async () => {
  await page.fill('#teach-base', '');
  await page.fill('#teach-spec', "FLOAT 'double' size=8\nFLOAT 'double' size=8\n");
  await page.click('#teach-run');
  await page.waitForFunction(() => document.querySelector('#teach').dataset.phase === 'done' && !location.hash.includes('case='));
  await page.click('#teach-end');
  const spec = join(dir, 'pasted.spec');
  writeFileSync(spec, "FLOAT 'double' size=8\nFLOAT 'double' size=8\n");
  execFileSync(CLI, ['build', spec, '-o', join(dir, 'pasted.btf')]);
  execFileSync(CLI, ['dedup', join(dir, 'pasted.btf'), '-o', join(dir, 'pasted.out')]);
  assert.equal(await attr('data-output-sha256'), createHash('sha256').update(readFileSync(join(dir, 'pasted.out'))).digest('hex'));
  await page.fill('#teach-spec', "FLOAT 'double' size=8\nSTRUCTT 'x' size=4\n");
  await page.click('#teach-run');
  await page.waitForFunction(() => document.querySelector('#teach').dataset.phase === 'failed');
  assert.match(await page.textContent('#teach-error'), /line 2, column 1: unknown kind 'STRUCTT'/);
});

test('a deep link opens a case at a step', async () => {
  await page.goto(`${server.url}#view=teach&case=two-copies&step=7`);
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#teach').dataset.step === '7', null, { timeout: 60000 });
  assert.equal(await page.inputValue('#teach-case'), 'two-copies');
  assert.deepEqual(problems, []);
});

/** sha256 of `btfscope dedup` of what `btfscope teach-extract` writes for `type` of sample module `module`; and the specs. */
function cliExtractSha(module, type) {
  const fixtures = join(ROOT, 'tests/fixtures');
  const out = join(dir, `${module}-extract`);
  execFileSync(CLI, ['teach-extract', join(fixtures, `${module}.btf.xz`), '-B', join(fixtures, 'vmlinux.btf.xz'), '--type', type, '-o', out]);
  execFileSync(CLI, ['build', `${out}.base.spec`, '-o', `${out}.base.btf`]);
  execFileSync(CLI, ['build', `${out}.spec`, '-B', `${out}.base.btf`, '-o', `${out}.btf`]);
  execFileSync(CLI, ['dedup', `${out}.btf`, '-B', `${out}.base.btf`, '-o', `${out}.out.btf`]);
  return {
    sha: createHash('sha256').update(readFileSync(`${out}.out.btf`)).digest('hex'),
    spec: readFileSync(`${out}.spec`, 'utf8'),
    base: readFileSync(`${out}.base.spec`, 'utf8'),
  };
}

/** Waits for the case taken from `module`'s `type` to be run, steps to its end; resolves to the last sentence. */
async function runExtracted(module, type) {
  await page.waitForFunction(([m, ty]) => {
    const p = new URLSearchParams(location.hash.slice(1));
    return document.querySelector('#teach').dataset.phase === 'done' && p.get('from') === m && p.get('extract') === ty &&
      document.querySelector('#teach-spec').value.includes(ty);
  }, [module, type], { timeout: 120000 });
  await page.click('#teach-end');
  const cli = cliExtractSha(module, type);
  assert.equal(await page.inputValue('#teach-spec'), cli.spec);
  assert.equal(await page.inputValue('#teach-base'), cli.base);
  assert.equal(await attr('data-output-sha256'), cli.sha);
}

test('a module type of the loaded kernel, taken as a case, ends in the CLI dedup of teach-extract\'s specs', async () => {
  await page.goto('about:blank');
  await page.goto(`${server.url}#view=teach`);
  await page.waitForSelector('body[data-phase=done]', { timeout: 120000 });
  await page.fill('#teach-module', 'mlx5_core');
  await page.fill('#teach-type', 'struct mac_addr');
  await page.click('#teach-extract');
  await runExtracted('mlx5_core', 'struct mac_addr');
  assert.match(await page.textContent('#teach-extracted'), /struct mac_addr of mlx5_core is \[8\].*candidates\): \[7\]/);
  // A member's name differs, so the struct hashes apart from vmlinux's and
  // is never compared with it: the step that says so.
  const steps = Number(await attr('data-steps'));
  let lookup = null;
  for (let i = 0; i < steps && lookup === null; i++) {
    await page.keyboard.press(i === 0 ? 'Home' : 'ArrowRight');
    const text = await page.textContent('#teach-sentence');
    if (text.includes("[8] STRUCT 'mac_addr' hashes to")) lookup = text;
  }
  assert.match(lookup, /no earlier type has that hash/);
  await page.screenshot({ path: screenshotPath('teach-extract'), fullPage: true });
  // An unknown type says so.
  await page.fill('#teach-type', 'struct no_such_type');
  await page.click('#teach-extract');
  await page.waitForFunction(() => document.querySelector('#teach').dataset.phase === 'failed');
  assert.match(await page.textContent('#teach-error'), /no type named 'struct no_such_type'/);
});

test('the Types view links a module type to its dedup case', async () => {
  await page.goto('about:blank');
  await page.goto(`${server.url}#view=types&type=module&in=nfs`);
  await page.waitForSelector('body[data-phase=done][data-types=ready]', { timeout: 120000 });
  await page.waitForSelector('#types-teach', { timeout: 60000 });
  await page.click('#types-teach');
  await runExtracted('nfs', 'struct module');
  // nfs.ko's stale struct module merges into vmlinux's with a current dedup.
  assert.match(await page.textContent('#teach-sentence'), /Done/);
  assert.deepEqual(problems, []);
});
