#!/usr/bin/env bash
# Builds the in-browser analyzer: the wasm core twice (threaded, for
# cross-origin-isolated pages, and single-threaded as the fallback) into
# pkg/, then the page into dist/ (a static site). Installs what it needs:
# the wasm target, the wasm-bindgen CLI matching Cargo.lock, npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# Memory the threaded build may grow to (shared memory needs a maximum).
max_memory=$((4 * 1024 * 1024 * 1024 - 65536))

rustup target add wasm32-unknown-unknown >/dev/null
rustup +nightly component add rust-src >/dev/null

# The version Cargo.lock resolved (cargo tree also brings the lock up to date).
bindgen_version=$(cargo tree --target wasm32-unknown-unknown -i wasm-bindgen -e normal --depth 0 | awk '{ sub(/^v/, "", $2); print $2 }')
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$bindgen_version" ]; then
  # Not --locked: the CLI's own lockfile names a webpki-roots version that is gone.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

npm ci --no-audit --no-fund

# Each flavour in its own target dir: their flags differ, sharing would rebuild everything.
bindgen() { # <flavour>
  rm -rf "pkg/$1"
  wasm-bindgen --target web --out-dir "pkg/$1" "$target/web-$1/wasm32-unknown-unknown/release/btfscope.wasm"
  # What wasm-pack would write: wasm-bindgen-rayon's worker imports the package root.
  printf '{ "name": "btfscope-%s", "type": "module", "main": "btfscope.js" }\n' "$1" >"pkg/$1/package.json"
  # npm's binaryen: Debian's wasm-opt 108 emits modules that fail to load.
  node_modules/.bin/wasm-opt -O2 "pkg/$1/btfscope_bg.wasm" -o "pkg/$1/btfscope_bg.wasm"
}

echo "build-web: single-threaded core (stable)"
CARGO_TARGET_DIR="$target/web-single" cargo build --lib --release --target wasm32-unknown-unknown
bindgen single

echo "build-web: threaded core (nightly, build-std)"
RUSTFLAGS="-C target-feature=+atomics,+bulk-memory,+mutable-globals \
-C link-arg=--shared-memory -C link-arg=--max-memory=$max_memory -C link-arg=--import-memory \
-C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base" \
  CARGO_TARGET_DIR="$target/web-threads" cargo +nightly build --lib --release --target wasm32-unknown-unknown --features threads \
  -Z build-std=panic_abort,std
bindgen threads

echo "build-web: page"
node_modules/.bin/webpack --mode production
echo "build-web: done, the site is in dist/"
