#!/bin/sh
# Fetches the real kernels the real-kernel test tier (tests/real_kernel.rs)
# checks against bpftool, into a cache outside the repository:
#
#   $CACHE/debs/                      the downloaded .deb packages
#   $CACHE/k61/                       Debian 12 amd64 image package, extracted
#   $CACHE/vmlinux-6.1.0-55           its vmlinux ELF, taken out of the vmlinuz
#   $CACHE/s390x/                     Debian 13 s390x (big-endian) image package, extracted
#   $CACHE/apt-amd64/, apt-s390x/     private apt states the packages are found with
#
# CACHE is $BTFSCOPE_CACHE, or ~/.cache/btfscope. Safe to run again: what is
# already there is kept. Needs apt-get, dpkg-deb, xz and the Debian archive
# keyring (any Debian or Ubuntu host); no root.
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
DEBS=$CACHE/debs
AMD64_PKG=linux-image-6.1.0-55-amd64-unsigned
AMD64_RELEASE=6.1.0-55-amd64
AMD64_DIR=$CACHE/k61
VMLINUX=$CACHE/vmlinux-6.1.0-55
S390X_DIR=$CACHE/s390x
S390X_APT=$CACHE/apt-s390x

mkdir -p "$DEBS"
. "$(dirname "$0")/kernel-apt.sh"

# Extracts a .deb into a directory, atomically so an interrupted run redoes it.
extract() {
    [ -d "$2" ] && return
    echo "extracting $(basename "$1") into $2" >&2
    rm -rf "$2.tmp"
    dpkg-deb -x "$1" "$2.tmp"
    mv "$2.tmp" "$2"
}

# --- amd64, little-endian: Debian 12 (bookworm) --------------------------

deb=$(cached_deb "${AMD64_PKG}_*_amd64.deb")
if [ -z "$deb" ]; then
    download amd64 "debian-security bookworm-security main" "$AMD64_PKG"
    deb=$(cached_deb "${AMD64_PKG}_*_amd64.deb")
fi
extract "$deb" "$AMD64_DIR"

if [ ! -f "$VMLINUX" ]; then
    # As the kernel's scripts/extract-vmlinux does: the bzImage payload is
    # the first xz stream; xz stops at its end and complains about the
    # bytes after it, so check the result rather than xz's status.
    vmlinuz=$AMD64_DIR/boot/vmlinuz-$AMD64_RELEASE
    at=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
    tail -c "+$((at + 1))" "$vmlinuz" | xz -dc > "$VMLINUX.tmp" 2>/dev/null || true
    if [ "$(head -c4 "$VMLINUX.tmp" | od -An -tx1 | tr -d ' ')" != 7f454c46 ]; then
        echo "could not extract an ELF vmlinux from $vmlinuz" >&2
        exit 1
    fi
    mv "$VMLINUX.tmp" "$VMLINUX"
fi

# --- s390x, big-endian: Debian 13 (trixie), the first Debian s390x kernel
# built with BTF; whichever version is current when first fetched. -------

deb=$(cached_deb "linux-image-*-s390x_*_s390x.deb")
if [ -z "$deb" ]; then
    download s390x "debian trixie main" linux-image-s390x
    deb=$(cached_deb "linux-image-*-s390x_*_s390x.deb")
fi
extract "$deb" "$S390X_DIR"

# --- what we have --------------------------------------------------------

echo "cache: $CACHE"
for dir in "$AMD64_DIR" "$S390X_DIR"; do
    for vmlinuz in "$dir"/boot/vmlinuz-*; do
        echo "  $vmlinuz ($(wc -c < "$vmlinuz") bytes)"
    done
    for modules in "$dir"/lib/modules/* "$dir"/usr/lib/modules/*; do
        [ -d "$modules" ] || continue
        echo "  $modules: $(find "$modules" -name '*.ko*' | wc -l) modules"
    done
done
echo "  $VMLINUX ($(wc -c < "$VMLINUX") bytes, ELF)"
