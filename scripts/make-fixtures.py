#!/usr/bin/env python3
"""Regenerates tests/fixtures/ from the kernels scripts/fetch-kernel.sh
fetched: raw .BTF blobs cut out of the real files, and bpftool's text dump
of each as the expected output. Needs bpftool, xz and zstd.
See tests/fixtures/README.md for what each fixture is."""

import glob
import os
import struct
import subprocess
import sys

CACHE = os.environ.get("BTFSCOPE_CACHE", os.path.expanduser("~/.cache/btfscope"))
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
BPFTOOL = os.environ.get("BPFTOOL", "/usr/sbin/bpftool")
VMLINUX = os.path.join(CACHE, "vmlinux-6.1.0-55")
MODULES = os.path.join(CACHE, "k61/lib/modules/6.1.0-55-amd64/kernel")
# A tiny module, one that ships its own (stale) copy of struct module, and
# one with many types.
AMD64_MODULES = ["crypto/cast_common.ko", "fs/nfs/nfs.ko",
                 "drivers/net/ethernet/mellanox/mlx5/core/mlx5_core.ko"]
# Blobs up to this size are committed uncompressed.
RAW_LIMIT = 16 << 10
# Most types the big-endian sample may have.
S390X_MAX_TYPES = 200


def elf_section(path, wanted):
    """The bytes of a section of a little-endian ELF64 file."""
    d = open(path, "rb").read()
    assert d[:4] == b"\x7fELF" and d[4] == 2 and d[5] == 1, path
    shoff, = struct.unpack_from("<Q", d, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
    sections = [struct.unpack_from("<IIQQQQ", d, shoff + i * shentsize) for i in range(shnum)]
    names = sections[shstrndx][4]
    for name, _, _, _, off, size in sections:
        if d[names + name:d.index(b"\0", names + name)] == wanted:
            return d[off:off + size]
    raise SystemExit(f"{path}: no {wanted.decode()} section")


def header(blob):
    endian = ">" if blob[:2] == b"\xeb\x9f" else "<"
    return endian, struct.unpack_from(endian + "5I", blob, 4)


def s390x_btf():
    """The BTF of the s390x kernel: its vmlinuz holds a zstd stream (after
    some false starts) whose output is the raw image, BTF blob inside."""
    vmlinuz, = glob.glob(os.path.join(CACHE, "s390x/boot/vmlinuz-*"))
    data = open(vmlinuz, "rb").read()
    at = data.find(b"\x28\xb5\x2f\xfd")
    while at >= 0:
        image = subprocess.run(["zstd", "-dcq"], input=data[at:], capture_output=True).stdout
        at = data.find(b"\x28\xb5\x2f\xfd", at + 1) if not image else -1
    at = image.find(b"\xeb\x9f\x01\x00")
    while at >= 0:
        _, (hdr_len, type_off, type_len, str_off, str_len) = header(image[at:at + 24])
        if at % 4 == 0 and hdr_len == 24 and type_off == 0 and str_off == type_len and type_len:
            return os.path.basename(vmlinuz), image[at:at + 24 + str_off + str_len]
        at = image.find(b"\xeb\x9f\x01\x00", at + 1)
    raise SystemExit(f"{vmlinuz}: no BTF found")


def closed_prefix(blob, max_types):
    """The longest prefix of at most max_types types that refers only to
    itself, as (types, type bytes, end of the last name used)."""
    e, (hdr_len, type_off, type_len, _, _) = header(blob)
    types = blob[hdr_len + type_off:hdr_len + type_off + type_len]
    word = lambda pos, k: struct.unpack_from(e + "I", types, pos + 4 * k)[0]
    pos, max_ref, max_name, best = 0, 0, 0, None
    for count in range(1, max_types + 1):
        info = word(pos, 1)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        # Per kind: extra words, words per member, member words holding a
        # type id, member words holding a name; and whether word 2 is a type id.
        extra, per, ref_at, name_at = {1: (1, 0, (), ()), 3: (3, 0, (), ()), 14: (1, 0, (), ()),
                                       17: (1, 0, (), ()), 4: (0, 3, (1,), (0,)), 5: (0, 3, (1,), (0,)),
                                       6: (0, 2, (), (0,)), 13: (0, 2, (1,), (0,)), 15: (0, 3, (0,), ()),
                                       19: (0, 3, (), (0,))}.get(kind, (0, 0, (), ()))
        refs = [word(pos, 2)] if kind in (2, 8, 9, 10, 11, 12, 13, 14, 17, 18) else []
        refs += [word(pos, 3), word(pos, 4)] if kind == 3 else []
        names = [word(pos, 0)]
        for i in range(vlen if per else 0):
            refs += [word(pos, 3 + extra + i * per + k) for k in ref_at]
            names += [word(pos, 3 + extra + i * per + k) for k in name_at]
        pos += 4 * (3 + extra + per * vlen)
        max_ref, max_name = max([max_ref] + refs), max([max_name] + names)
        if max_ref <= count:
            best = (count, pos, max_name)
    return best


def s390x_sample():
    """A closed prefix of the s390x BTF, its strings cut after the last name
    it uses: a small big-endian base BTF made only of the kernel's bytes."""
    name, blob = s390x_btf()
    count, type_len, max_name = closed_prefix(blob, S390X_MAX_TYPES)
    _, (_, _, _, str_off, _) = header(blob)
    strings = blob[24 + str_off:]
    strings = strings[:strings.index(b"\0", max_name) + 1]
    hdr = b"\xeb\x9f\x01\x00" + struct.pack(">5I", 24, 0, type_len, type_len, len(strings))
    print(f"s390x sample: first {count} types of {name}")
    return hdr + blob[24:24 + type_len] + strings


def write(name, data):
    path = os.path.join(OUT, name)
    if len(data) <= RAW_LIMIT:
        open(path, "wb").write(data)
    else:
        subprocess.run(["xz", "-9e", "-T1", "-c"], input=data, stdout=open(path + ".xz", "wb"), check=True)
        path += ".xz"
    return path


def expect(name, file, base=None):
    """bpftool's text dump of file, xz-compressed, as the expected output."""
    cmd = [BPFTOOL, "btf", "dump", "file", file] + (["-B", base] if base else [])
    text = subprocess.run(cmd, capture_output=True, check=True).stdout
    subprocess.run(["xz", "-9e", "-T1", "-c"], input=text,
                   stdout=open(os.path.join(OUT, name + ".txt.xz"), "wb"), check=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("vmlinux.btf", elf_section(VMLINUX, b".BTF"))
    expect("vmlinux", VMLINUX)
    for module in AMD64_MODULES:
        name = os.path.basename(module)[:-3]
        path = os.path.join(MODULES, module)
        write(name + ".btf", elf_section(path, b".BTF"))
        expect(name, path, VMLINUX)
    sample = write("s390x-sample.btf", s390x_sample())
    assert not sample.endswith(".xz"), "bpftool reads no .xz: raise RAW_LIMIT"
    expect("s390x-sample", sample)
    for f in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, f)):>9} {f}")


if __name__ == "__main__":
    sys.exit(main())
