# Helpers shared by the kernel fetch scripts (sourced, not run): finding
# cached .debs, and apt against private states so that no root is needed
# and the host's sources and lists stay untouched. Expects CACHE and DEBS.

# The first .deb in $DEBS matching a glob, or nothing.
cached_deb() {
    for f in "$DEBS"/$1; do
        if [ -f "$f" ]; then
            echo "$f"
            return
        fi
    done
}

# Runs an apt command against a private apt state in $CACHE/apt-ARCH whose
# only source is SOURCE, for that one architecture.
# Usage: private_apt ARCH SOURCE COMMAND...
private_apt() {
    state=$CACHE/apt-$1
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
    echo "deb [arch=$1 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/$2" \
        > "$state/sources.list"
    arch=$1
    shift 2
    "$@" -o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts=/dev/null \
        -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache" \
        -o APT::Architecture="$arch" -o APT::Architectures="$arch" -o Acquire::Languages=none
}

# Downloads PACKAGE into $DEBS; for a meta package, the versioned image
# package it depends on or, when the pool lacks that one, the newest other
# version of the same flavour that the index lists (the index can name an
# image the pool no longer has: trixie s390x 6.12.117, 2026-12).
# Usage: download ARCH SOURCE PACKAGE
download() {
    private_apt "$1" "$2" apt-get -qq update
    pkg=$(private_apt "$1" "$2" apt-cache depends "$3" |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    if [ -z "$pkg" ]; then
        (cd "$DEBS" && private_apt "$1" "$2" apt-get download "$3")
        return
    fi
    flavour=$(echo "$pkg" | sed 's/^linux-image-[^-]*-//')
    others=$(private_apt "$1" "$2" apt-cache search --names-only "^linux-image-[0-9][^-]*-$flavour\$" |
        cut -d' ' -f1 | grep -vxF "$pkg" | sort -rV)
    for candidate in $pkg $others; do
        (cd "$DEBS" && private_apt "$1" "$2" apt-get download "$candidate") && return
        echo "download: $candidate is not in the pool, trying an older version" >&2
    done
    return 1
}
