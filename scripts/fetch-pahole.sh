#!/bin/sh
# Fetches pahole 1.30 from Debian 13 (trixie) with the libraries it needs and
# unpacks them, without installing anything, into
#
#   $CACHE/pahole-1.30/                 the unpacked packages
#   $CACHE/pahole-1.30/pahole           a wrapper running it with trixie's
#                                       dynamic loader and libraries
#   $CACHE/apt-trixie/                  private apt state (the host's sources
#                                       stay untouched)
#
# The encoder's differential tests and bench/encode.sh compare against it.
# CACHE is $BTFSCOPE_CACHE, or ~/.cache/btfscope. Safe to run again.
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
APT=$CACHE/apt-trixie
OUT=$CACHE/pahole-1.30
DEBS=$APT/debs
# pahole and its run-time closure (Depends of pahole, libdw1t64, libelf1t64, libbpf1).
PKGS="pahole libbpf1 libdw1t64 libelf1t64 libc6 libgcc-s1 zlib1g libzstd1 liblzma5 libbz2-1.0"

if [ -x "$OUT/pahole" ] && "$OUT/pahole" --version >/dev/null 2>&1; then
    echo "$OUT/pahole: $("$OUT/pahole" --version)"
    exit 0
fi

mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$DEBS"
echo "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    > "$APT/sources.list"
apt_trixie() {
    "$@" -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
        -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Acquire::Languages=none
}
apt_trixie apt-get update
(cd "$DEBS" && apt_trixie apt-get download $PKGS)

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
for deb in "$DEBS"/*.deb; do
    dpkg-deb -x "$deb" "$OUT.tmp"
done
# The host's loader and libc are older than trixie's; run pahole through
# trixie's own loader so that nothing of the host's is mixed in.
cat > "$OUT.tmp/pahole" <<'WRAP'
#!/bin/sh
root=$(dirname "$(readlink -f "$0")")
libs=$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu
exec "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$libs" "$root/usr/bin/pahole" "$@"
WRAP
chmod +x "$OUT.tmp/pahole"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "$OUT/pahole: $("$OUT/pahole" --version)"
