// The page on plain static hosting (no COOP/COEP or CSP headers): its
// service worker adds them and the page reloads into cross-origin isolation
// (threads); with service workers unavailable it falls back to the
// single-threaded core. Either way the sample loads.

import test from 'node:test';
import assert from 'node:assert/strict';

import { serve, launch } from './browser.js';

async function openSample(serviceWorkers) {
  const server = await serve({ plain: true });
  const browser = await launch({ serviceWorkers });
  try {
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('body[data-phase=done]', { timeout: 60000 });
    await page.waitForFunction(() => !/starting/.test(document.getElementById('core-badge').textContent));
    return {
      isolated: await page.evaluate(() => self.crossOriginIsolated),
      badge: await page.textContent('#core-badge'),
      rows: await page.locator('.tbody .tr.ok').count(),
    };
  } finally {
    await browser.close();
    server.stop();
  }
}

test('the service worker makes a plainly hosted page cross-origin isolated', async () => {
  const { isolated, badge, rows } = await openSample('allow');
  assert.equal(isolated, true);
  assert.match(badge, /^\d+ threads?$/);
  assert.equal(rows, 2);
});

test('without service workers the single-threaded core takes over', async () => {
  const { isolated, badge, rows } = await openSample('block');
  assert.equal(isolated, false);
  assert.match(badge, /1 thread \(page not cross-origin isolated\)/);
  assert.equal(rows, 2);
});
