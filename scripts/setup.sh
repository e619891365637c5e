#!/usr/bin/env bash
# Installs what building and testing btfscope needs on a fresh Debian machine:
# C libraries for libbpf-sys (the test oracle), bpftool (the dump oracle) and
# the compressors the intake tests use. Safe to run again.
set -euo pipefail

packages=(bpftool libelf-dev zlib1g-dev pkg-config xz-utils zstd gzip gcc binutils)
# clang -target bpf: BPF test programs (CO-RE) and the check that a generated vmlinux.h compiles.
packages+=(clang llvm)
# The web page: Node and npm build it, headless chromium and its driver test it.
packages+=(chromium chromium-driver)
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
