#!/usr/bin/env bash
# Refuse a Linux binary that needs a newer glibc than FLOOR: an older glibc's loader stops it
# before main ("version `GLIBC_2.34' not found"), whatever the binary does.
#
#   scripts/glibc-floor.sh FLOOR BINARY      # e.g. scripts/glibc-floor.sh 2.17 kubectl-certuser
#
# scripts/release.sh runs it on the binary of each Linux krew archive. What decides is the
# binary's version needs (.gnu.version_r), which are what the loader checks; the symbols that
# ask for the versions above the floor are listed to show where each need comes from. A need
# without a number (GLIBC_ABI_DT_RELR, GLIBC_PRIVATE) is refused too: no floor promises it.
set -euo pipefail
if (($# != 2)); then
    echo "usage: $0 FLOOR BINARY" >&2
    exit 2
fi
floor=$1 bin=$2
if [[ ! $floor =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
    echo "$0: '$floor' is not a glibc version such as 2.17" >&2
    exit 2
fi

info=$(readelf -W --version-info "$bin") || exit 2 # readelf has said why (no such file, not ELF)
symbols=$(readelf -W --dyn-syms "$bin") || exit 2
# readelf prints each section of the version info, then a blank line: keep the needs only.
needed=$(sed -n '/\.gnu\.version_r/,/^$/p' <<<"$info" | grep -o 'Name: GLIBC_[^ ]*' \
    | sed 's/^Name: GLIBC_//' | sort -uV || true)

too_new=()
for version in $needed; do
    if [[ ! $version =~ ^[0-9]+(\.[0-9]+)*$ ]] \
        || [[ $(printf '%s\n' "$floor" "$version" | sort -V | tail -n1) != "$floor" ]]; then
        too_new+=("$version")
    fi
done

if ((${#too_new[@]} == 0)); then
    if [[ -z $needed ]]; then
        echo "$bin needs no glibc symbol version; the floor is $floor"
    else
        echo "$bin needs glibc $(tail -n1 <<<"$needed") at most; the floor is $floor"
    fi
    exit 0
fi

# The undefined symbols bound to those versions ("pthread_create@GLIBC_2.34 (3)" in readelf's
# 8th column). A need no symbol names comes from the linker itself (-z pack-relative-relocs).
culprits=$(awk -v versions="${too_new[*]}" '
    BEGIN { n = split(versions, v, " "); for (i = 1; i <= n; i++) wanted["GLIBC_" v[i]] = 1 }
    $7 == "UND" && $8 ~ /@/ { version = $8; sub(/^[^@]*@+/, "", version); if (version in wanted) print "  " $8 }
' <<<"$symbols" | sort -u)
{
    echo "$bin needs a newer glibc than the floor of the Linux archives, glibc $floor:" \
        "${too_new[*]/#/GLIBC_}"
    echo "the loader of an older glibc refuses to start it (\"version \`GLIBC_${too_new[-1]}' not found\")."
    if [[ -n $culprits ]]; then
        echo "symbols that need them:"
        echo "$culprits"
    fi
    echo "hint: build it against glibc $floor's symbols: cargo zigbuild --target $(uname -m)-unknown-linux-gnu.$floor (scripts/release.sh does)"
} >&2
exit 1
