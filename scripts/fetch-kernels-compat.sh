#!/bin/sh
# Fetches the kernels the relocation tests (tests/distill_kernel.rs) move
# Debian 6.1.0-55's modules onto: another bookworm 6.1 ABI and trixie's
# 6.12. Only each package's vmlinuz is kept (btfscope reads its BTF through
# the bzImage); the modules are not needed.
#
#   $CACHE/debs/                         the downloaded .deb packages
#   $CACHE/compat/vmlinuz-RELEASE        one per kernel
#
# CACHE is $BTFSCOPE_CACHE, or ~/.cache/btfscope. Safe to run again.
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
DEBS=$CACHE/debs
OUT=$CACHE/compat
mkdir -p "$DEBS" "$OUT"
. "$(dirname "$0")/kernel-apt.sh"

# Usage: fetch GLOB SOURCE PACKAGE — keeps the package's boot/vmlinuz-*.
fetch() {
    deb=$(cached_deb "$1")
    if [ -z "$deb" ]; then
        download amd64 "$2" "$3"
        deb=$(cached_deb "$1")
    fi
    [ -n "$deb" ] || { echo "no package matching $1 after download" >&2; exit 1; }
    have=$(dpkg-deb -c "$deb" | sed -n 's,.* \./boot/\(vmlinuz-.*\)$,\1,p' | head -n1)
    [ -f "$OUT/$have" ] && return
    echo "extracting $have from $(basename "$deb")" >&2
    rm -rf "$OUT/tmp"
    mkdir -p "$OUT/tmp"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$OUT/tmp" "./boot/$have"
    mv "$OUT/tmp/boot/$have" "$OUT/$have"
    rm -rf "$OUT/tmp"
}

# The oldest 6.1 ABI bookworm still carries: the most drift from 6.1.0-55.
fetch "linux-image-6.1.0-47-amd64-unsigned_*_amd64.deb" "debian bookworm main" \
    linux-image-6.1.0-47-amd64-unsigned
# Whatever 6.12 trixie carries when first fetched (the signed image: the
# vmlinuz is the same kernel).
fetch "linux-image-6.12.*-amd64_*_amd64.deb" "debian trixie main" linux-image-amd64

echo "cache: $OUT"
ls -l "$OUT"
