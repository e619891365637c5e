// A small static server for dist/ that sends the isolation headers and the
// CSP (python -m http.server cannot). Usage: node www/serve.js DIR [PORT]
// [--plain] (PORT 0 picks a free one; --plain sends neither, as plain
// static hosting would, for testing the service worker and the fallback).
// Prints the URL once listening.

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

import { CSP, ISOLATION_HEADERS } from './csp.js';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

const [dir, portArg] = process.argv.slice(2).filter((a) => a !== '--plain');
const plain = process.argv.includes('--plain');
const root = resolve(dir || 'dist');
const port = Number(portArg ?? process.env.PORT ?? 8080);
const policyHeaders = plain ? {} : { 'Content-Security-Policy': CSP, ...ISOLATION_HEADERS };

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  let file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ...policyHeaders,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`btfscope: serving ${root} at http://localhost:${server.address().port}/`);
});
