#!/bin/sh
# What BTF for every global variable costs (pahole's global_var feature):
# the Debian 6.1 debug vmlinux and the debug modules scripts/fetch-dbg.sh
# caches, encoded without and with global variables, each module on
# either base, then measured with `btfscope report` and `btfscope compare`
# (docs/COMPARE.md has the table this printed). Only btfscope commands.
#
#   scripts/globals-experiment.sh [OUT]    (OUT: where the BTF and reports go)
#
# BTFSCOPE is the binary (default target/release/btfscope), CACHE is
# $BTFSCOPE_CACHE or ~/.cache/btfscope.
set -eu

CACHE=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
DBG=$CACHE/dbg
BTFSCOPE=${BTFSCOPE:-target/release/btfscope}
OUT=${1:-$(mktemp -d)}
VMLINUX=$DBG/vmlinux-6.1.0-55-amd64
[ -f "$VMLINUX" ] || { echo "no $VMLINUX: run scripts/fetch-dbg.sh" >&2; exit 1; }

# Four sets, each a folder: the modules without (novars) or with (vars)
# global variables, on the vmlinux without (base-novars) or with them.
enc() { "$BTFSCOPE" encode "$@" 2>/dev/null; }
mkdir -p "$OUT/vmlinux"
enc "$VMLINUX" --btf-features default -o "$OUT/vmlinux/novars.btf"
enc "$VMLINUX" --btf-features default,global_var -o "$OUT/vmlinux/vars.btf"
for base in novars vars; do
    for mods in novars vars; do
        set_dir=$OUT/modules-$mods-on-base-$base
        mkdir -p "$set_dir"
        features=default
        [ "$mods" = vars ] && features=default,global_var
        for ko in "$DBG"/modules/*.ko; do
            enc "$ko" -B "$OUT/vmlinux/$base.btf" --btf-features "$features" \
                -o "$set_dir/$(basename "$ko" .ko).btf"
        done
        "$BTFSCOPE" report -B "$OUT/vmlinux/$base.btf" "$set_dir"/*.btf \
            --json "$OUT/$mods-on-$base.json" > /dev/null
    done
done

# One line of a comparison's text: old, new and growth of ROW.
figures() {
    "$BTFSCOPE" compare "$OUT/$1.json" "$OUT/$2.json" |
        awk -v row="$3" '$0 ~ "^" row " +[0-9]" { print $(NF-3), $(NF-2), $NF; exit }'
}
set -- $(figures novars-on-novars vars-on-vars vmlinux)
vm_without=$1 vm_with=$2 vm_growth=$3
set -- $(figures novars-on-novars vars-on-novars "modules SPLIT")
mod_without=$1 mod_with=$2 mod_growth=$3
set -- $(figures novars-on-novars vars-on-vars "modules SPLIT")
mod_allvars=$2 mod_allvars_growth=$3
set -- $(figures novars-on-novars novars-on-vars "modules SPLIT")
mod_baseonly=$2 mod_baseonly_growth=$3
n=$(ls "$DBG"/modules/*.ko | wc -l)

cat <<TABLE
Global variables in BTF (--btf-features default vs default,global_var)
Debian 6.1.0-55 debug vmlinux and $n debug modules ($(ls "$DBG"/modules | sed 's/\.ko$//' | tr '\n' ' '| sed 's/ $//'))

| BTF | without | with | growth |
|---|---|---|---|
| vmlinux | $vm_without | $vm_with | $vm_growth |
| modules total (split, on the base without) | $mod_without | $mod_with | $mod_growth |
| modules total, with, on the all-vars base | $mod_without | $mod_allvars | $mod_allvars_growth |
| modules total, without, on the all-vars base | $mod_without | $mod_baseonly | $mod_baseonly_growth |

Reports and comparisons: $OUT (btfscope compare A.json B.json for the details)
TABLE
