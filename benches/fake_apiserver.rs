//! Not a benchmark: the fake API server of the tests as a process, so `scripts/bench.sh` can time
//! `kubectl certuser add` and the Kubernetes docs recipe (driven by the real kubectl) against the
//! same server. Built by `cargo bench --no-run` with the benchmarks.
//!
//! `fake_apiserver --serve KUBECONFIG`: writes an admin kubeconfig (cluster `kubernetes`), prints
//! the server's URL, and serves until stdin closes. Without `--serve` (as `cargo bench` runs every
//! bench target) it says so and exits.

#[path = "../tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::io::Read as _;

use support::fake_apiserver::{FakeApiServer, FakeOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(at) = args.iter().position(|a| a == "--serve") else {
        println!(
            "fake_apiserver: not a benchmark; scripts/bench.sh runs it with --serve KUBECONFIG"
        );
        return;
    };
    let kubeconfig = args.get(at + 1).expect("--serve KUBECONFIG");
    let server = FakeApiServer::start(FakeOptions::default());
    server.admin_kubeconfig(std::path::Path::new(kubeconfig), "kubernetes");
    println!("{}", server.url());
    // Serve until whoever started us closes our stdin (or exits).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
