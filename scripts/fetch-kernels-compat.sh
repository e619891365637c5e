#!/bin/sh
# Fetches the kernels the relocation tests (tests/distill_kernel.rs) move
# Debian 6.1.0-55's modules onto: another bookworm 6.1 ABI and trixie's
# 6.12. Each package's vmlinuz is kept (btfscope reads its BTF through the
# bzImage), and of 6.12 a few compressed modules that tests/compare.rs
# compares with 6.1.0-55's.
#
#   $CACHE/debs/                         the downloaded .deb packages
#   $CACHE/compat/vmlinuz-RELEASE        one per kernel
#   $CACHE/compat/modules-RELEASE/*.ko.xz  the 6.12 modules below
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

# 6.12 modules for tests/compare.rs: 45 that 6.1.0-55 has too (small to
# big, file systems and networking) and two it has not.
COMPARE_MODULES="fs/autofs/autofs4 fs/cachefiles/cachefiles fs/ecryptfs/ecryptfs fs/ext4/ext4
fs/freevxfs/freevxfs fs/hpfs/hpfs fs/lockd/lockd fs/nfs/filelayout/nfs_layout_nfsv41_files
fs/nfs/nfsv4 fs/nfs/nfs fs/nls/mac-celtic fs/nls/mac-greek fs/nls/mac-turkish fs/nls/nls_cp437
fs/nls/nls_cp855 fs/nls/nls_cp863 fs/nls/nls_cp874 fs/nls/nls_euc-jp fs/nls/nls_iso8859-2
fs/nls/nls_iso8859-7 fs/nls/nls_utf8 fs/ocfs2/ocfs2_stack_o2cb fs/overlayfs/overlay fs/qnx6/qnx6
fs/romfs/romfs fs/squashfs/squashfs fs/vboxsf/vboxsf net/ipv4/esp4_offload net/ipv4/ip_tunnel
net/ipv4/netfilter/arpt_mangle net/ipv4/netfilter/ipt_SYNPROXY net/ipv4/netfilter/iptable_nat
net/ipv4/netfilter/nf_nat_h323 net/ipv4/netfilter/nf_tproxy_ipv4 net/ipv4/tcp_bbr
net/ipv4/tcp_highspeed net/ipv4/tcp_nv net/ipv4/tcp_yeah net/netfilter/nf_conncount
net/netfilter/nf_conntrack_h323 net/netfilter/nf_conntrack_sane net/netfilter/nf_flow_table
net/netfilter/nf_nat_ftp net/netfilter/nf_tables drivers/net/veth
fs/nls/nls_ucs2_utils fs/ntfs3/ntfs3"
deb=$(cached_deb "linux-image-6.12.*-amd64_*_amd64.deb")
release=$(dpkg-deb -c "$deb" | sed -n 's,.* \./boot/vmlinuz-\(.*\)$,\1,p' | head -n1)
MODS=$OUT/modules-$release
members=""
for m in $COMPARE_MODULES; do
    [ -f "$MODS/$(basename "$m").ko.xz" ] || members="$members ./usr/lib/modules/$release/kernel/$m.ko.xz"
done
if [ -n "$members" ]; then
    echo "extracting $(echo $members | wc -w) modules from $(basename "$deb")" >&2
    rm -rf "$OUT/tmp"
    mkdir -p "$OUT/tmp" "$MODS"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$OUT/tmp" $members
    find "$OUT/tmp" -name '*.ko.xz' -exec mv {} "$MODS/" \;
    rm -rf "$OUT/tmp"
fi

echo "cache: $OUT"
ls -l "$OUT"
