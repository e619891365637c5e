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
echo "== btfscope report on the sample: FULL against SPLIT for nfs and mlx5_core on vmlinux"
"${CARGO_TARGET_DIR:-target}/release/btfscope" report -B tests/fixtures/vmlinux.btf.xz \
  tests/fixtures/nfs.btf.xz tests/fixtures/mlx5_core.btf.xz
echo
echo "== the in-browser analyzer (Ctrl-C to stop)"
exec node www/serve.js dist "${PORT:-8080}"
