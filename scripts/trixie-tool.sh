# Fetches a tool from Debian 13 (trixie) with the libraries it needs and
# unpacks them, without installing anything (sourced, not run):
#
#   $CACHE/NAME/          the unpacked packages
#   $CACHE/NAME/TOOL      a wrapper running it with trixie's dynamic loader and
#                         libraries, so that nothing of the host's is mixed in
#   $CACHE/apt-trixie/    private apt state (the host's sources stay untouched)
#
# CACHE is $BTFSCOPE_CACHE, or ~/.cache/btfscope.
# Usage: fetch_trixie_tool NAME TOOL PATH_IN_PACKAGE PACKAGE...
# (the packages are the tool's and its whole run-time closure).

fetch_trixie_tool() {
    name=$1 tool=$2 path=$3
    shift 3
    cache=${BTFSCOPE_CACHE:-$HOME/.cache/btfscope}
    apt=$cache/apt-trixie
    out=$cache/$name
    if [ -x "$out/$tool" ] && "$out/$tool" --version >/dev/null 2>&1; then
        echo "$out/$tool: $("$out/$tool" --version | head -n1)"
        return
    fi
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
    echo "deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
        > "$apt/sources.list"
    # Word-split on purpose: no path here holds a space.
    opts="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
        -o APT::Architecture=amd64 -o APT::Architectures=amd64 -o Acquire::Languages=none"
    # shellcheck disable=SC2086
    apt-get $opts update
    # shellcheck disable=SC2086
    (cd "$apt/debs" && apt-get $opts download "$@")

    rm -rf "$out.tmp"
    mkdir -p "$out.tmp"
    for pkg in "$@"; do
        for deb in "$apt/debs/${pkg}"_*.deb; do
            dpkg-deb -x "$deb" "$out.tmp"
        done
    done
    # The host's loader and libc are older than trixie's: run the tool through
    # trixie's own loader.
    cat > "$out.tmp/$tool" <<WRAP
#!/bin/sh
root=\$(dirname "\$(readlink -f "\$0")")
libs=\$root/usr/lib/x86_64-linux-gnu:\$root/lib/x86_64-linux-gnu
exec "\$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$libs" "\$root/$path" "\$@"
WRAP
    chmod +x "$out.tmp/$tool"
    rm -rf "$out"
    mv "$out.tmp" "$out"
    echo "$out/$tool: $("$out/$tool" --version | head -n1)"
}
