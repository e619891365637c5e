// The page's Content Security Policy, in one place: the dev server and the
// service worker send it as a header (which also covers the workers), the
// build writes it into index.html's <meta>. Scripts only from the page's
// own origin, no eval ('wasm-unsafe-eval' allows compiling WebAssembly and
// nothing else), and no request to any other origin.
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

// Cross-origin isolation, which SharedArrayBuffer (the wasm thread pool) needs.
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
