#!/usr/bin/env bash
# Build this platform's krew archive, then fill the version, uris and sha256s into a copy of plugin.yaml.
#
#   scripts/release.sh [OUT_DIR]            # builds with cargo --release, OpenSSL linked in
#   CERTUSER_BIN=path scripts/release.sh    # packs a binary built elsewhere (tests use this)
#
# On Linux the build needs cargo-zigbuild and zig (`cargo install --locked cargo-zigbuild` and
# `pip install ziglang`: cargo-zigbuild runs `python3 -m ziglang` when no zig is on PATH).
#
# The release workflow (.github/workflows/release.yml) runs this once per os/arch, gathers the
# archives and runs scripts/fill-manifest.sh over all of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist}
version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)

case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "unsupported OS $(uname -s)" >&2; exit 2 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=amd64 rust_arch=x86_64 ;; aarch64|arm64) arch=arm64 rust_arch=aarch64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 2 ;; esac

# The oldest glibc the Linux archives start on. 2.17 is the oldest Rust itself supports for
# x86_64/aarch64-unknown-linux-gnu (and the first with aarch64), so it costs nothing that Rust
# would not: it covers RHEL/CentOS 7 (2.17), Amazon Linux 2 (2.26, EKS bastions), Ubuntu 18.04
# (2.27), RHEL/Rocky/Alma 8 (2.28, kubeadm control planes), Debian 11 and Ubuntu 20.04 (2.31).
# A plain build links against the build machine's glibc instead (2.35 on ubuntu-22.04).
glibc_floor=2.17

bin=${CERTUSER_BIN:-}
if [[ -z $bin ]]; then
    # OpenSSL linked in: a krew user's machine may have another libssl, or none (macOS without
    # Homebrew's). Own target folders, so that switching features or linkers rebuilds nothing else.
    build=(--release --locked --features vendored-openssl --manifest-path "$root/Cargo.toml")
    case $os in
        linux)
            # zig links against the symbols of glibc $glibc_floor (the ".2.17" of the target),
            # and builds OpenSSL's C with the same headers, whatever glibc this machine has.
            if ! cargo zigbuild --help > /dev/null 2>&1; then
                echo "scripts/release.sh builds the Linux binary with cargo-zigbuild, which is not installed" >&2
                echo "hint: cargo install --locked cargo-zigbuild && pip install ziglang" >&2
                exit 1
            fi
            target=$rust_arch-unknown-linux-gnu
            cargo zigbuild "${build[@]}" --target "$target.$glibc_floor" --target-dir "$root/target/zigbuild"
            bin=$root/target/zigbuild/$target/release/kubectl-certuser
            ;;
        darwin)
            cargo build "${build[@]}" --target-dir "$root/target/vendored"
            bin=$root/target/vendored/release/kubectl-certuser
            ;;
    esac
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
    # ... and no newer glibc than the floor (it names what it found, and the symbols asking).
    if [[ $os == linux ]]; then "$root/scripts/glibc-floor.sh" "$glibc_floor" "$bin"; fi
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
