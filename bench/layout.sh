#!/bin/sh
# Layout benchmark: `btfscope layout` against `pahole -F btf` (pahole 1.30)
# on the Debian 6.1.0-55 vmlinux (every struct and union) and on one module
# with its base, run alternately in the same script, whole processes, page
# cache warm. Prints each run, the medians and the ratios of wall and CPU
# (user + sys) time, with the load average at the start (the machine is
# shared: only same-run ratios mean anything); checks the outputs are
# byte-identical. Needs scripts/fetch-kernel.sh and scripts/fetch-pahole.sh.
#
#   bench/layout.sh [RUNS]   (default 7)
set -eu

RUNS=${1:-7}
CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
VMLINUX=$CACHE/vmlinux-6.1.0-55
MODULE=$CACHE/k61/lib/modules/6.1.0-55-amd64/kernel/fs/nfs/nfs.ko
PAHOLE=$CACHE/pahole-1.30/pahole
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

[ -f "$VMLINUX" ] || { echo "no $VMLINUX: run scripts/fetch-kernel.sh" >&2; exit 1; }
[ -x "$PAHOLE" ] || { echo "no $PAHOLE: run scripts/fetch-pahole.sh" >&2; exit 1; }
cargo build --release -j2 --bin btfscope >&2
BTFSCOPE=$TARGET/release/btfscope
cat "$VMLINUX" "$MODULE" > /dev/null

# time_one LABEL CMD...: one run, "wall cpu" in seconds appended to $OUT/LABEL
time_one() {
    label=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$OUT/t" "$@" > "$OUT/$label.txt"
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$OUT/t" >> "$OUT/$label"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for case in vmlinux module; do
    if [ "$case" = vmlinux ]; then
        set -- "$VMLINUX"
        pahole_args="-F btf --cacheline_size=64 $VMLINUX"
    else
        set -- -B "$VMLINUX" "$MODULE"
        pahole_args="-F btf --cacheline_size=64 --btf_base $VMLINUX $MODULE"
    fi
    : > "$OUT/ours"
    : > "$OUT/pahole"
    echo "$case (load average $(cut -d' ' -f1-3 /proc/loadavg) at start)"
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        # shellcheck disable=SC2086
        time_one pahole "$PAHOLE" $pahole_args
        time_one ours "$BTFSCOPE" layout "$@"
        i=$((i + 1))
    done
    cmp -s "$OUT/ours.txt" "$OUT/pahole.txt" || { echo "$case: outputs DIFFER" >&2; exit 1; }
    ow=$(cut -d' ' -f1 "$OUT/ours" | median)
    oc=$(cut -d' ' -f2 "$OUT/ours" | median)
    pw=$(cut -d' ' -f1 "$OUT/pahole" | median)
    pc=$(cut -d' ' -f2 "$OUT/pahole" | median)
    echo "  runs (wall cpu): btfscope $(tr '\n' ';' < "$OUT/ours")"
    echo "  runs (wall cpu): pahole   $(tr '\n' ';' < "$OUT/pahole")"
    echo "  median wall: btfscope ${ow}s, pahole ${pw}s, ratio $(echo "$ow $pw" | awk '{ printf "%.2f", $1 / $2 }')"
    echo "  median cpu:  btfscope ${oc}s, pahole ${pc}s, ratio $(echo "$oc $pc" | awk '{ printf "%.2f", $1 / $2 }')"
    echo "  output identical ($(wc -c < "$OUT/ours.txt") bytes)"
done
