// A service worker for static hosting that cannot send headers: it adds
// the isolation headers and the CSP to the page's own responses, so the
// wasm thread pool works. It never touches other origins.

import { CSP, ISOLATION_HEADERS } from './csp.js';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
      if (!headers.has('Content-Security-Policy')) headers.set('Content-Security-Policy', CSP);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
