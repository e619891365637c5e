#!/bin/sh
# Encoder benchmark: btfscope encode vs pahole 1.30 -J -j2 on the Debian 6.1
# debug vmlinux, in one run: wall, CPU and peak RSS from /usr/bin/time -v,
# and the ratios. Needs scripts/fetch-dbg.sh and scripts/fetch-pahole.sh.
#
#   bench/encode.sh [RUNS]      (default 3; the best run of each is kept)
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
VMLINUX=$CACHE/dbg/vmlinux-6.1.0-55-amd64
PAHOLE=$CACHE/pahole-1.30/pahole
RUNS=${1:-3}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

[ -f "$VMLINUX" ] || { echo "no $VMLINUX: run scripts/fetch-dbg.sh" >&2; exit 1; }
[ -x "$PAHOLE" ] || { echo "no $PAHOLE: run scripts/fetch-pahole.sh" >&2; exit 1; }
cargo build --release -j2 --bin btfscope >&2
BTFSCOPE=$TARGET/release/btfscope
# Page cache warm for both.
cat "$VMLINUX" > /dev/null

# Runs "$@" RUNS times; prints the best "wall cpu rss_kb".
measure() {
    best=""
    i=0
    while [ $i -lt "$RUNS" ]; do
        /usr/bin/time -v "$@" > /dev/null 2> "$OUT/time"
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
        user=$(sed -n 's/.*User time (seconds): //p' "$OUT/time")
        sys=$(sed -n 's/.*System time (seconds): //p' "$OUT/time")
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/time")
        cpu=$(echo "$user $sys" | awk '{ print $1 + $2 }')
        line="$wall $cpu $rss"
        if [ -z "$best" ] || [ "$(echo "$wall $best" | awk '{ print ($1 < $2) }')" = 1 ]; then
            best=$line
        fi
        i=$((i + 1))
    done
    echo "$best"
}

ours=$(measure "$BTFSCOPE" encode "$VMLINUX" -j2 --lang-exclude rust -o "$OUT/ours.btf")
theirs=$(measure "$PAHOLE" -J -j2 --btf_features=default --lang_exclude=rust --btf_encode_detached="$OUT/pahole.btf" "$VMLINUX")

echo "$ours $theirs" | awk '{
    printf "%-22s %9s %9s %12s\n", "", "wall s", "CPU s", "peak RSS MB"
    printf "%-22s %9.2f %9.2f %12.0f\n", "btfscope encode -j2", $1, $2, $3 / 1024
    printf "%-22s %9.2f %9.2f %12.0f\n", "pahole 1.30 -J -j2", $4, $5, $6 / 1024
    printf "%-22s %9.2f %9.2f %12.2f\n", "ratio (ours/pahole)", $1 / $4, $2 / $5, $3 / $6
}'
"$BTFSCOPE" stat "$OUT/ours.btf" | sed -n 2p | sed 's/^/btfscope: /'
"$BTFSCOPE" stat "$OUT/pahole.btf" | sed -n 2p | sed 's/^/pahole:   /'
