#!/bin/sh
# Report benchmark: `btfscope report` over every module of Debian
# 6.1.0-55-amd64 (4023 modules) on its vmlinux: wall time, CPU and peak
# RSS from /usr/bin/time -v, for -j1 and -j2, with the load average of the
# machine at the start (it is shared); then checks the two JSON reports
# are byte-identical. Needs scripts/fetch-kernel.sh.
#
#   bench/report.sh [EXTRA REPORT OPTIONS, e.g. --explain]
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
VMLINUX=$CACHE/vmlinux-6.1.0-55
MODULES=$CACHE/k61/lib/modules/6.1.0-55-amd64/kernel
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

[ -f "$VMLINUX" ] || { echo "no $VMLINUX: run scripts/fetch-kernel.sh" >&2; exit 1; }
cargo build --release -j2 --bin btfscope >&2
BTFSCOPE=$TARGET/release/btfscope
find "$MODULES" -name '*.ko' | sort > "$OUT/modules"
echo "$(wc -l < "$OUT/modules") modules"
# Page cache warm.
xargs cat < "$OUT/modules" > /dev/null
cat "$VMLINUX" > /dev/null

# Three runs per thread count (the machine is shared): each is printed,
# the median is the figure.
for jobs in 1 2; do
    walls=""
    for run in 1 2 3; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        # shellcheck disable=SC2046
        /usr/bin/time -v "$BTFSCOPE" report -j "$jobs" "$@" --json "$OUT/report-$jobs.json" \
            -B "$VMLINUX" $(cat "$OUT/modules") > /dev/null 2> "$OUT/time"
        wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time")
        user=$(sed -n 's/.*User time (seconds): //p' "$OUT/time")
        sys=$(sed -n 's/.*System time (seconds): //p' "$OUT/time")
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/time")
        echo "-j$jobs run $run: wall $wall, user ${user}s, sys ${sys}s, peak RSS $((rss / 1024)) MiB (load average $load at start)"
        walls="$walls $wall"
    done
    echo "-j$jobs median wall: $(echo $walls | tr ' ' '\n' | sort | sed -n 2p)"
done
if cmp -s "$OUT/report-1.json" "$OUT/report-2.json"; then
    echo "reports for -j1 and -j2 are byte-identical ($(wc -c < "$OUT/report-1.json") bytes)"
else
    echo "reports for -j1 and -j2 DIFFER" >&2
    exit 1
fi
