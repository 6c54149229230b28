//! `cargo bench --bench keygen`: key generation alone, per key type, in process: the floor under
//! any `add`, whatever else it does. Medians of `BENCH_ROUNDS` (default 30).

use std::time::{Duration, Instant};

use kubectl_certuser::pki::{KeyType, PrivateKey};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` asks every target for its tests
    }
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    println!("key generation alone, median of {rounds} (min .. max):");
    for kind in KeyType::ALL {
        // RSA 4096 takes seconds a key: fewer rounds keep the suite within minutes.
        let rounds = if kind == KeyType::Rsa4096 {
            rounds.min(5)
        } else {
            rounds
        };
        let mut times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(PrivateKey::generate(kind).expect("a key"));
                start.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "  {:<11} {:>10.3} ms   ({:.3} .. {:.3}, {rounds} rounds)",
            kind.name(),
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1]),
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
