#!/usr/bin/env bash
# Fresh machine to running demo: installs what is needed, builds the CLI and
# the in-browser analyzer, shows the CLI on the built-in sample (real Debian
# 6.1 kernel BTF in tests/fixtures), then serves the page on localhost. The
# page loads the same sample on first open; drop your own vmlinux and
# modules on it. Nothing is uploaded anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release
scripts/build-web.sh

echo
echo "== btfscope stat on the sample module nfs (split BTF on vmlinux)"
target/release/btfscope stat -B tests/fixtures/vmlinux.btf.xz tests/fixtures/nfs.btf.xz
echo
echo "== the in-browser analyzer (Ctrl-C to stop)"
exec node www/serve.js dist "${PORT:-8080}"
