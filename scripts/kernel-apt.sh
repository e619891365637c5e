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
# package it depends on. Usage: download ARCH SOURCE PACKAGE
download() {
    private_apt "$1" "$2" apt-get -qq update
    pkg=$(private_apt "$1" "$2" apt-cache depends "$3" |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
    (cd "$DEBS" && private_apt "$1" "$2" apt-get download "${pkg:-$3}")
}
