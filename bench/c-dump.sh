#!/bin/sh
# C output benchmark: `btfscope dump F --format c` against bpftool 7.5's
# `bpftool btf dump file F format c` on the Debian 6.1 vmlinux, as whole
# processes, runs interleaved (the machine is shared), for the raw .BTF
# (what /sys/kernel/btf/vmlinux is) and for the vmlinux ELF. Prints every
# run's wall and CPU (user + sys), the medians and their ratios, and checks
# the outputs are byte-identical. Needs scripts/fetch-kernel.sh and
# scripts/fetch-bpftool.sh.
#
#   bench/c-dump.sh [RUNS]   (default 15)
set -eu

RUNS=${1:-15}
CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
VMLINUX=$CACHE/vmlinux-6.1.0-55
BPFTOOL=$CACHE/bpftool-7.5/bpftool
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

[ -f "$VMLINUX" ] || { echo "no $VMLINUX: run scripts/fetch-kernel.sh" >&2; exit 1; }
[ -x "$BPFTOOL" ] || { echo "no $BPFTOOL: run scripts/fetch-bpftool.sh" >&2; exit 1; }
cargo build --release -j2 --bin btfscope >&2
BTFSCOPE=$TARGET/release/btfscope
# The raw .BTF section, as the kernel exposes it in /sys/kernel/btf/vmlinux.
objcopy -O binary --only-section=.BTF "$VMLINUX" "$OUT/vmlinux.btf"

# One run: "wall cpu" in seconds.
run() {
    /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$@" > "$OUT/out" 2> /dev/null
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$OUT/time"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for input in "$OUT/vmlinux.btf" "$VMLINUX"; do
    name=$(basename "$input")
    "$BTFSCOPE" dump "$input" --format c > "$OUT/ours.h"
    "$BPFTOOL" btf dump file "$input" format c > "$OUT/bpftool.h"
    cmp "$OUT/ours.h" "$OUT/bpftool.h" || { echo "$name: outputs differ" >&2; exit 1; }
    : > "$OUT/ours"; : > "$OUT/theirs"
    for i in $(seq "$RUNS"); do
        run "$BTFSCOPE" dump "$input" --format c >> "$OUT/ours"
        run "$BPFTOOL" btf dump file "$input" format c >> "$OUT/theirs"
    done
    ow=$(cut -d' ' -f1 "$OUT/ours" | median); oc=$(cut -d' ' -f2 "$OUT/ours" | median)
    tw=$(cut -d' ' -f1 "$OUT/theirs" | median); tc=$(cut -d' ' -f2 "$OUT/theirs" | median)
    echo "$name ($(wc -c < "$OUT/ours.h") bytes of C, identical), median of $RUNS, load average $(cut -d' ' -f1 /proc/loadavg):"
    echo "  btfscope  wall ${ow}s  cpu ${oc}s   (runs: $(cut -d' ' -f1 "$OUT/ours" | tr '\n' ' '))"
    echo "  bpftool   wall ${tw}s  cpu ${tc}s   (runs: $(cut -d' ' -f1 "$OUT/theirs" | tr '\n' ' '))"
    echo "  ratio     wall $(echo "$ow $tw" | awk '{ printf "%.2f", $1 / $2 }')x  cpu $(echo "$oc $tc" | awk '{ printf "%.2f", $1 / $2 }')x"
done
