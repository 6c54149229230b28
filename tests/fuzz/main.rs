//! Fuzzing on stable Rust: arbtest drives byte-level mutations of seed inputs (tests/fuzz/corpus/)
//! into two targets, and any input that panics is saved to tests/fuzz/regressions/ before the
//! test fails. Coverage-guided engines (cargo-fuzz, AFL) need nightly or a patched toolchain;
//! this is a mutation fuzzer with a fixed time budget.
//!
//! - `kubeconfig`: parse, edit (add, replace, remove, switch context), write, read back.
//! - `pem`: certificates, CSRs, private keys and CA pairs from arbitrary bytes.
//!
//! `cargo test --test fuzz` replays every seed and saved regression and a fixed set of
//! mutations (a few seconds). `scripts/fuzz.sh` runs the `#[ignore]`d budgeted searches
//! (`FUZZ_SECONDS` per target) and prints how many inputs each ran.

mod kubeconfig;
mod mutate;
mod pem;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz");

/// A fuzz target: must not panic, whatever the bytes.
pub type Target = fn(&[u8]);

/// Every file in `tests/fuzz/<dir>/<target>/`, sorted.
fn files(dir: &str, target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join(dir).join(target))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'));
    files.sort();
    files
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = files("corpus", target)
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    seeds.push(Vec::new());
    seeds
}

/// Run `target` on `input`; on a panic, keep the input as a regression, then fail.
fn run_one(name: &str, target: Target, input: &[u8]) {
    let outcome = std::panic::catch_unwind(|| target(input));
    if let Err(panic) = outcome {
        let dir = Path::new(ROOT).join("regressions").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let digest: String = openssl::sha::sha256(input)[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = dir.join(format!("crash-{digest}"));
        std::fs::write(&path, input).unwrap();
        eprintln!("{name}: a panic, input saved as {}", path.display());
        std::panic::resume_unwind(panic);
    }
}

/// Replay seeds and regressions as they are.
fn replay(name: &str, target: Target) -> usize {
    let mut inputs = seeds(name);
    inputs.extend(
        files("regressions", name)
            .iter()
            .map(|p| std::fs::read(p).unwrap()),
    );
    for input in &inputs {
        run_one(name, target, input);
    }
    inputs.len()
}

/// Mutated seeds for `budget`, or for the fixed `seeds` given (arbtest's seed format).
fn search(name: &str, target: Target, budget: Duration, fixed: &[u64]) -> u64 {
    let corpus = seeds(name);
    let mut runs = 0u64;
    let mut property = |u: &mut arbitrary::Unstructured<'_>| {
        let input = mutate::mutate(u, &corpus, mutate::dictionary(name))?;
        run_one(name, target, &input);
        runs += 1;
        Ok(())
    };
    if fixed.is_empty() {
        arbtest::arbtest(&mut property).budget(budget).run();
    } else {
        for &seed in fixed {
            arbtest::arbtest(&mut property).seed(seed).run();
        }
    }
    runs
}

/// 32 fixed seeds of growing size: the same mutations on every run of the default suite.
fn fixed_seeds() -> Vec<u64> {
    (0..32u64)
        .map(|i| ((i.wrapping_mul(0x9e37_79b9) | 1) << 32) | (64 + i * 64))
        .collect()
}

fn budget() -> Duration {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

fn fuzz_for_budget(name: &str, target: Target) {
    let started = Instant::now();
    let replayed = replay(name, target);
    let runs = search(name, target, budget(), &[]);
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "fuzz {name}: {runs} mutated inputs + {replayed} seeds/regressions in {elapsed:.1} s ({:.0}/s), no panic",
        runs as f64 / elapsed
    );
}

#[test]
fn kubeconfig_seeds_regressions_and_fixed_mutations() {
    replay("kubeconfig", kubeconfig::target);
    search(
        "kubeconfig",
        kubeconfig::target,
        Duration::ZERO,
        &fixed_seeds(),
    );
}

#[test]
fn pem_seeds_regressions_and_fixed_mutations() {
    replay("pem", pem::target);
    search("pem", pem::target, Duration::ZERO, &fixed_seeds());
}

#[test]
#[ignore = "long: run by scripts/fuzz.sh with FUZZ_SECONDS"]
fn fuzz_kubeconfig() {
    fuzz_for_budget("kubeconfig", kubeconfig::target);
}

#[test]
#[ignore = "long: run by scripts/fuzz.sh with FUZZ_SECONDS"]
fn fuzz_pem() {
    fuzz_for_budget("pem", pem::target);
}
