#!/usr/bin/env bash
# Build this platform's krew archive, then fill the version, uris and sha256s into a copy of plugin.yaml.
#
#   scripts/release.sh [OUT_DIR]            # builds with cargo --release, OpenSSL linked in
#   CERTUSER_BIN=path scripts/release.sh    # packs a binary built elsewhere (tests use this)
#
# The release workflow (.github/workflows/release.yml) runs this once per os/arch, gathers the
# archives and runs scripts/fill-manifest.sh over all of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS $(uname -s)" >&2; exit 2 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 2 ;; esac

bin=${CERTUSER_BIN:-}
if [[ -z $bin ]]; then
    # OpenSSL linked in: a krew user's machine may have another libssl, or none (macOS without
    # Homebrew's). Its own target folder, so that switching features rebuilds nothing else.
    cargo build --release --locked --features vendored-openssl --manifest-path "$root/Cargo.toml" \
        --target-dir "$root/target/vendored"
    bin=$root/target/vendored/release/kubectl-certuser
    # What the archive promises: no system OpenSSL needed.
    case $os in
        linux) needs=$(readelf -d "$bin" | grep NEEDED || true) ;;
        darwin) needs=$(otool -L "$bin") ;;
    esac
    if grep -Eq 'lib(ssl|crypto)' <<<"$needs"; then
        echo "$bin links the system's OpenSSL; a krew archive must carry its own:" >&2
        echo "$needs" >&2
        exit 1
    fi
fi

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/kubectl-certuser"
# A release build is stripped already (Cargo.toml); a binary from elsewhere (a debug build in the
# tests: 138 MB, most of the packing time in gzip) ships without its debug info too.
if command -v strip > /dev/null; then strip "$stage/kubectl-certuser"; fi
install -m 0644 "$root/LICENSE" "$root/README.md" "$stage/"
"$stage/kubectl-certuser" man > "$stage/kubectl-certuser.1"   # the man page, from the CLI definition

archive=kubectl-certuser_${version}_${os}_${arch}.tar.gz
# Reproducible: fixed order, owner and mtime; gzip without a timestamp.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - kubectl-certuser kubectl-certuser.1 LICENSE README.md \
    | gzip -n > "$out/$archive"
echo "$out/$archive"

# Fill the manifest from every archive in $out (on a release, the workflow gathers all platforms').
"$root/scripts/fill-manifest.sh" "$out"
