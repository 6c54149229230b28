#!/usr/bin/env bash
# Build this platform's krew archive and fill its version, uri and sha256 into a copy of plugin.yaml.
#
#   scripts/release.sh [OUT_DIR]            # builds with cargo --release
#   CERTUSER_BIN=path scripts/release.sh    # packs a binary built elsewhere (tests use this)
#
# The release workflow runs this once per os/arch and merges the platform entries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS $(uname -s)" >&2; exit 2 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 2 ;; esac

bin=${CERTUSER_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release --locked --manifest-path "$root/Cargo.toml"
    bin=$root/target/release/kubectl-certuser
fi

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/kubectl-certuser"
install -m 0644 "$root/LICENSE" "$root/README.md" "$stage/"
"$stage/kubectl-certuser" man > "$stage/kubectl-certuser.1"   # the man page, from the CLI definition

archive=kubectl-certuser_${version}_${os}_${arch}.tar.gz
# Reproducible: fixed order, owner and mtime; gzip without a timestamp.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf - kubectl-certuser kubectl-certuser.1 LICENSE README.md \
    | gzip -n -9 > "$out/$archive"
sha=$(sha256sum "$out/$archive" | cut -d' ' -f1)

# Fill this platform's entry (the one whose selector names our os and arch) and the version.
awk -v version="$version" -v os="$os" -v arch="$arch" -v sha="$sha" -v archive="$archive" '
    /^  version:/ { print "  version: " version; next }
    /^        os:/ { cur_os = $2 }
    /^        arch:/ { cur_arch = $2 }
    /^    uri:/ {
        sub(/download\/v[^\/]*\/.*/, "download/" version "/kubectl-certuser_" version "_" cur_os "_" cur_arch ".tar.gz")
        print; next
    }
    /^    sha256:/ && cur_os == os && cur_arch == arch { print "    sha256: \"" sha "\""; next }
    { print }
' "$root/plugin.yaml" > "$out/plugin.yaml"

echo "$out/$archive"
echo "$out/plugin.yaml ($os/$arch sha256 $sha)"
