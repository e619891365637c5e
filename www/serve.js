// A small static server for dist/ that sends the isolation headers and the
// CSP (python -m http.server cannot). Usage: node www/serve.js DIR [PORT]
// (PORT 0 picks a free one). Prints the URL once listening.

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

const root = resolve(process.argv[2] || 'dist');
const port = Number(process.argv[3] ?? process.env.PORT ?? 8080);

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
      'Content-Security-Policy': CSP,
      'Cache-Control': 'no-cache',
      ...ISOLATION_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`btfscope: serving ${root} at http://localhost:${server.address().port}/`);
});
