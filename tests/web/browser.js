// Shared by the browser tests and the benchmark: serve dist/ on a free
// localhost port, drive /usr/bin/chromium through playwright-core with a
// fresh profile, record every request the page makes.

import test from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const ARTIFACTS = process.env.BTFSCOPE_ARTIFACTS || join(ROOT, 'target', 'web-artifacts');
export const CLI = process.env.BTFSCOPE_CLI || join(ROOT, 'target', 'release', 'btfscope');

/** Every kernel module file under `dir`, sorted. */
export function modulesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ko(\.(xz|gz|zst))?$/.test(e.name))
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** Starts www/serve.js on dist/ (`plain`: without its headers); resolves to { url, stop }. */
export function serve({ plain = false } = {}) {
  const args = [join(ROOT, 'www/serve.js'), join(ROOT, 'dist'), '0', ...(plain ? ['--plain'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    child.on('error', fail);
    child.stdout.on('data', (chunk) => {
      const match = /http:\/\/localhost:\d+\//.exec(String(chunk));
      if (match) ok({ url: match[0], stop: () => child.kill() });
    });
  });
}

/** A headless chromium with a fresh profile; `close()` removes the profile. */
export async function launch({ serviceWorkers = 'allow' } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'btfscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    serviceWorkers,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Collects every request of `context` (pages and their workers). */
function recordRequests(context) {
  const requests = [];
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
  return requests;
}

/** A new page of `context` whose console errors, page errors and CSP violations go into `problems`. */
async function watchedPage(context, problems) {
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
  );
  return page;
}

/**
 * The built page served, and a page of a fresh chromium to drive it: every
 * request it makes is recorded in `requests`, its console errors, page
 * errors and CSP violations go into `problems`. `close()` ends both.
 */
export async function openSession(problems) {
  const server = await serve();
  const browser = await launch();
  const requests = recordRequests(browser.context);
  const page = await watchedPage(browser.context, problems);
  const close = async () => {
    await browser.close();
    server.stop();
  };
  return { server, browser, page, requests, close };
}

/**
 * A test file's page session: opened before its tests, closed after them.
 * `opened(session)` gets openSession's { server, browser, page, requests }
 * and `dir`, a fresh scratch folder (removed after the tests) named after
 * `scratch`, once the page shows `view` (if given); it is awaited.
 */
export function pageSession(problems, { view, scratch } = {}, opened = () => {}) {
  let session = null;
  test.before(async () => {
    session = await openSession(problems);
    if (scratch) session.dir = mkdtempSync(join(tmpdir(), `btfscope-${scratch}-`));
    if (view) await session.page.goto(`${session.server.url}#view=${view}`);
    await opened(session);
  });
  test.after(async () => {
    await session?.close();
    if (session?.dir) rmSync(session.dir, { recursive: true, force: true });
  });
}

/** `btfscope report --json` over `modules` on `base`: its module rows by name. */
export function cliReport(base, modules) {
  const out = join(mkdtempSync(join(tmpdir(), 'btfscope-report-')), 'report.json');
  execFileSync(CLI, ['report', '-B', base, ...modules, '--json', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  const report = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(dirname(out), { recursive: true, force: true });
  return new Map(report.modules.map((m) => [m.name, m]));
}

/** `btfscope split --json` over `modules` on `base`: its sizes by file name. */
export function cliSplit(base, modules) {
  const out = execFileSync(CLI, ['split', '-B', base, ...modules, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return new Map(JSON.parse(out).modules.map((m) => [basename(m.path), m.sizes]));
}

export function screenshotPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}
