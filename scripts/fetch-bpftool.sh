#!/bin/sh
# Fetches bpftool 7.5 from Debian 13 (trixie) into $CACHE/bpftool-7.5/bpftool
# (scripts/trixie-tool.sh): the byte-for-byte oracle of `dump --format c` and
# `min-core` (bookworm's 7.1 prints C unsorted and without the kfunc block).
# Safe to run again.
set -eu
. "$(dirname "$0")/trixie-tool.sh"
# bpftool and its run-time closure (Depends of bpftool, libelf1t64, libcap2).
fetch_trixie_tool bpftool-7.5 bpftool usr/sbin/bpftool \
    bpftool libc6 libcap2 libelf1t64 zlib1g libzstd1
