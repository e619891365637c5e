#!/usr/bin/env bash
# Runs every test: formatting and lints, unit and fixture tests, the
# malformed-input suite, the differential tests against libbpf and bpftool,
# and the real-kernel tier over a Debian kernel package (downloaded once
# into ~/.cache/btfscope).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/fetch-kernel.sh
scripts/fetch-kernels-compat.sh
scripts/fetch-dbg.sh
scripts/fetch-pahole.sh
scripts/fetch-bpftool.sh
export BTFSCOPE_REQUIRE_KERNEL=1 BTFSCOPE_REQUIRE_DBG=1

cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
cargo test --release -- --test-threads=2

# The in-browser analyzer: build it, then its wasm and end-to-end tests.
scripts/build-web.sh
scripts/test-web.sh
