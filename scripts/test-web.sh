#!/usr/bin/env bash
# Browser-side tests, after scripts/build-web.sh: the wasm adapter's unit
# tests in node and in headless chromium (wasm-bindgen-test), then the
# end-to-end test of the built page against the release CLI. Every browser
# run has a hard timeout: a broken threaded build hangs instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
wasm_tests=(cargo test --release --target wasm32-unknown-unknown --lib wasm::)
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner

echo "test-web: lints for the wasm target"
CARGO_TARGET_DIR="$target/web-single" cargo clippy --release --target wasm32-unknown-unknown --lib -- -D warnings
CARGO_TARGET_DIR="$target/web-single" cargo clippy --profile test --target wasm32-unknown-unknown --lib -- -D warnings

echo "test-web: wasm unit tests in node"
CARGO_TARGET_DIR="$target/web-single" timeout -k 5 600 "${wasm_tests[@]}"

echo "test-web: wasm unit tests in headless chromium"
rm -rf /tmp/btfscope-wasm-test-profile
CARGO_TARGET_DIR="$target/web-single" WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  timeout -k 5 600 "${wasm_tests[@]}"

echo "test-web: end to end in headless chromium"
cargo build --release --bin btfscope
export BTFSCOPE_CLI="$target/release/btfscope"
timeout -k 5 900 node --test --test-concurrency=1 tests/web/
