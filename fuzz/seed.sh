#!/bin/sh
# Builds the seed corpora under fuzz/corpus/<target>/ from real files:
# the test fixtures, a few small modules from the kernel cache (when
# present), their gzip/xz/zstd variants, and gcc -g objects.
set -eu
cd "$(dirname "$0")"
fixtures=../tests/fixtures
k61=${K61:-/root/.cache/btfscope/k61}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in btf_parse intake_open decompress vmlinuz split_parse report_verify encode compare spec_parse c_dump; do
    mkdir -p corpus/$t
done

# Raw BTF: the small fixtures as they are (vmlinux.btf is 4 MB, too big
# for a seed; the fuzzer's inputs stay under a few KB).
cp $fixtures/s390x-sample.btf $fixtures/cast_common.btf seeds/s390x-module.btf corpus/btf_parse/
cp $fixtures/s390x-sample.btf $fixtures/cast_common.btf corpus/c_dump/
cp $fixtures/cast_common.btf seeds/s390x-module.btf corpus/split_parse/
# Specs: the Dedup view's built-in cases.
cp ../src/dedup/cases/*.spec corpus/spec_parse/

# .BTF.ext: the sections of two CO-RE test programs (tests/bpf, little- and
# big-endian), dumped with llvm-objcopy.
cp seeds/*.btf.ext corpus/btf_ext/

# ELF: small real modules and gcc objects.
gcc -g -c -O1 -o "$tmp/encode-O1.o" seeds/encode.c
gcc -g -c -O0 -gdwarf-4 -o "$tmp/encode-O0-dwarf4.o" seeds/encode.c
# Three CUs in one object, so that chunked deduplication has chunks to merge.
gcc -g -c -O1 -Dglobal_var=global_var2 -Dget=get2 -o "$tmp/cu2.o" seeds/encode.c
gcc -g -c -O0 -Dglobal_var=global_var3 -Dget=get3 -o "$tmp/cu3.o" seeds/encode.c
ld -r -o "$tmp/encode-3cus.o" "$tmp/encode-O1.o" "$tmp/cu2.o" "$tmp/cu3.o"
cp "$tmp"/encode-*.o corpus/encode/
cp "$tmp"/encode-*.o corpus/intake_open/
if [ -d "$k61" ]; then
    find "$k61" -name '*.ko' -size -12k | sort | head -4 | while read -r ko; do
        cp "$ko" corpus/intake_open/
    done
fi

# Compressed: each codec over a raw BTF and an ELF object. The decompress
# target takes a codec byte first (0 gzip, 1 xz, 2 zstd); the vmlinuz target
# takes setup_sects and a 4-byte little-endian payload_offset, with the
# payload at (setup_sects + 1) * 512 + payload_offset in the image it builds
# from a 0x250-byte boot header.
i=0
for src in $fixtures/s390x-sample.btf "$tmp/encode-O1.o"; do
    gzip -9c "$src" > "$tmp/$i.gz"
    xz -9c "$src" > "$tmp/$i.xz"
    zstd -19 -qc "$src" > "$tmp/$i.zst"
    cp "$tmp/$i.gz" "$tmp/$i.xz" "$tmp/$i.zst" corpus/intake_open/
    n=0
    for ext in gz xz zst; do
        { printf "\\00$n"; cat "$tmp/$i.$ext"; } > corpus/decompress/$i.$ext
        # setup_sects 1, payload_offset 0: the payload at 1024, i.e. after
        # 1024 - 0x250 = 432 bytes of padding.
        { printf '\001\000\000\000\000'; head -c 432 /dev/zero; cat "$tmp/$i.$ext"; } \
            > corpus/vmlinuz/$i.$ext
        n=$((n + 1))
    done
    i=$((i + 1))
done

# Report import: a report made by the CLI over the inputs the target holds.
cargo run -q --release --manifest-path ../Cargo.toml -- report --json corpus/report_verify/report.json \
    -B $fixtures/s390x-sample.btf seeds/s390x-module.btf > /dev/null

# Comparison: that report alone (against itself) and as both halves.
cp corpus/report_verify/report.json corpus/compare/
{ cat corpus/report_verify/report.json; printf '\000'; cat corpus/report_verify/report.json; } \
    > corpus/compare/pair.json
