#!/bin/sh
# Fetches the Debian 12 debug kernel (DWARF) that the encoder's real-kernel
# tier (tests/encode_real.rs, run by scripts/test.sh) and bench/encode.sh
# compare against pahole. Big: an 858 MB .deb (~10 s to download here, ~40 s
# to extract), 633 MB vmlinux.
#
#   $CACHE/debs/                               the downloaded -dbg .deb
#   $CACHE/dbg/vmlinux-6.1.0-55-amd64          the vmlinux with DWARF
#   $CACHE/dbg/modules/*.ko                    a few debug modules (ET_REL)
#
# CACHE is $BTFSCOPE_CACHE, or ~/.cache/btfscope. Safe to run again.
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
DEBS=$CACHE/debs
PKG=linux-image-6.1.0-55-amd64-dbg
RELEASE=6.1.0-55-amd64
OUT=$CACHE/dbg
# Small to large: veth is what CI-sized tests use, the others widen coverage.
MODULES="drivers/net/veth.ko drivers/net/ethernet/intel/e1000e/e1000e.ko net/netfilter/nf_tables.ko fs/ext4/ext4.ko arch/x86/kvm/kvm.ko"

mkdir -p "$DEBS" "$OUT/modules"

deb=$(ls "$DEBS"/${PKG}_*_amd64.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
    (cd "$DEBS" && { apt-get download "$PKG" || { apt-get update && apt-get download "$PKG"; }; })
    deb=$(ls "$DEBS"/${PKG}_*_amd64.deb | head -n1)
fi

# Takes the members still missing out of the package's data tarball in one
# pass (each pass decompresses the whole package), without unpacking the rest.
members=""
[ -f "$OUT/vmlinux-$RELEASE" ] || members="./usr/lib/debug/boot/vmlinux-$RELEASE"
for m in $MODULES; do
    [ -f "$OUT/modules/$(basename "$m")" ] || members="$members ./usr/lib/debug/lib/modules/$RELEASE/kernel/$m"
done
if [ -n "$members" ]; then
    echo "extracting:$members" >&2
    rm -rf "$OUT/tmp"
    mkdir -p "$OUT/tmp"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$OUT/tmp" $members
    [ -f "$OUT/tmp/usr/lib/debug/boot/vmlinux-$RELEASE" ] && mv "$OUT/tmp/usr/lib/debug/boot/vmlinux-$RELEASE" "$OUT/"
    find "$OUT/tmp" -name '*.ko' -exec mv {} "$OUT/modules/" \;
    rm -rf "$OUT/tmp"
fi

echo "cache: $OUT"
ls -l "$OUT" "$OUT/modules"
