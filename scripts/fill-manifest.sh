#!/usr/bin/env bash
# Write DIST/plugin.yaml: plugin.yaml with this version, each platform's uri, and the sha256 of
# every platform archive found in DIST (kubectl-certuser_vX.Y.Z_OS_ARCH.tar.gz). A platform whose
# archive is absent keeps the placeholder sha256, so a partial build is visible, not hidden.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=${1:?usage: fill-manifest.sh DIST}
version=v$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)

shas=""
for archive in "$dist"/kubectl-certuser_"$version"_*.tar.gz; do
    [[ -e $archive ]] || continue
    platform=$(basename "$archive" .tar.gz)
    platform=${platform#kubectl-certuser_"$version"_}     # OS_ARCH
    shas+="$platform=$(sha256sum "$archive" | cut -d' ' -f1) "
done

awk -v version="$version" -v shas="$shas" '
    BEGIN { n = split(shas, pairs, " "); for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); sha[kv[1]] = kv[2] } }
    /^  version:/ { print "  version: " version; next }
    /^        os:/ { os = $2 }
    /^        arch:/ { arch = $2 }
    /^    uri:/ {
        sub(/download\/v[^\/]*\/.*/, "download/" version "/kubectl-certuser_" version "_" os "_" arch ".tar.gz")
        print; next
    }
    /^    sha256:/ && ((os "_" arch) in sha) { print "    sha256: \"" sha[os "_" arch] "\""; next }
    { print }
' "$root/plugin.yaml" > "$dist/plugin.yaml"
echo "$dist/plugin.yaml (filled: ${shas:-none})"
