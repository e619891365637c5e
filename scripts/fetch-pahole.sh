#!/bin/sh
# Fetches pahole 1.30 from Debian 13 (trixie) into $CACHE/pahole-1.30/pahole
# (scripts/trixie-tool.sh). The encoder's differential tests, the layout tests
# and bench/encode.sh compare against it. Safe to run again.
set -eu
. "$(dirname "$0")/trixie-tool.sh"
# pahole and its run-time closure (Depends of pahole, libdw1t64, libelf1t64, libbpf1).
fetch_trixie_tool pahole-1.30 pahole usr/bin/pahole \
    pahole libbpf1 libdw1t64 libelf1t64 libc6 libgcc-s1 zlib1g libzstd1 liblzma5 libbz2-1.0
