#!/usr/bin/env bash
# Fuzz the kubeconfig and PEM parsers for a fixed budget, on stable Rust.
#
#   FUZZ_SECONDS=60 scripts/fuzz.sh            # each target, in parallel (default 60 s)
#   FUZZ_PROFILE=release scripts/fuzz.sh       # faster inputs, after a longer build
#
# Seeds are tests/fuzz/corpus/<target>/; an input that panics is saved to
# tests/fuzz/regressions/<target>/ and replayed by every `cargo test` from then on: commit it
# with the fix. arbtest prints the failing seed; ARBTEST_SEED=0x... reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
profile=()
if [[ "${FUZZ_PROFILE:-}" == release ]]; then profile=(--release); fi
echo "fuzzing each target for ${FUZZ_SECONDS} s"
set +e
cargo test --locked "${profile[@]}" --test fuzz -- --ignored --nocapture --test-threads 2 2>&1 \
  | grep --line-buffered -E '^fuzz |panicked|saved as|Seed|test result|^error'
status=${PIPESTATUS[0]}
set -e
ls tests/fuzz/regressions/*/crash-* 2>/dev/null && echo "new regressions above: fix, then commit them"
exit "$status"
