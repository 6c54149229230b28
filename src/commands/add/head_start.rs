//! What `add` can start before the kubeconfig is read: the users' keys and, with a local CA, the
//! CA's load and checks, on other threads while the main one reads, locks and plans. An RSA key
//! (a third of a second, often more) then costs nothing on top of reading a big kubeconfig, and
//! the CSR API path connects while its key is made.
//!
//! Nothing here writes anything or talks to anyone: a command refused meanwhile drops its keys
//! (they were never written) and their generation is told to stop.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use super::keys;
use super::signer;
use crate::cli::AddArgs;
use crate::pki::{self, CertificateAuthority, KeyType, PrivateKey};

/// The keys of one `add`, being made on a thread of their own.
pub(super) struct KeysInMaking {
    kind: KeyType,
    count: usize,
    abandoned: Arc<AtomicBool>,
    /// None when no thread could be started: the keys are made in `wait` instead.
    thread: Option<JoinHandle<anyhow::Result<Vec<PrivateKey>>>>,
}

impl KeysInMaking {
    /// Start making `count` keys of `kind`: several across the cores, one alone raced on every
    /// idle core (see `pki::generate_unless_abandoned`).
    pub(super) fn start(kind: KeyType, count: usize) -> Self {
        let abandoned = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&abandoned);
        let thread = std::thread::Builder::new()
            .name("keys".into())
            .spawn(move || make(kind, count, &flag))
            .ok();
        KeysInMaking {
            kind,
            count,
            abandoned,
            thread,
        }
    }

    /// The keys, in user order, once all are made.
    pub(super) fn wait(mut self) -> anyhow::Result<Vec<PrivateKey>> {
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the key generation thread panicked"))),
            None => make(self.kind, self.count, &self.abandoned),
        }
    }
}

impl Drop for KeysInMaking {
    /// Not waited for: the command was refused. The thread stops at its next candidate prime.
    fn drop(&mut self) {
        self.abandoned.store(true, Ordering::Relaxed);
    }
}

fn make(kind: KeyType, count: usize, abandoned: &AtomicBool) -> anyhow::Result<Vec<PrivateKey>> {
    // One RSA key: every idle core races for it. Several: each core makes its share. The other
    // kinds take a millisecond or less: nothing to race for.
    let racers = if count == 1 && kind.is_rsa() {
        pki::idle_cores()
    } else {
        1
    };
    keys::in_parallel(count, keys::workers_for(count), |_| {
        pki::generate_unless_abandoned(kind, racers, abandoned)?
            .ok_or_else(|| anyhow::anyhow!("the key generation was abandoned"))
    })
}

/// The local CA being loaded and validated on a thread of its own.
pub(super) struct CaLoading(JoinHandle<anyhow::Result<CertificateAuthority>>);

impl CaLoading {
    /// Start loading the CA `--ca-cert/--ca-key` or `--kubeadm` name; None for the CSR API.
    pub(super) fn start(args: &AddArgs) -> Option<CaLoading> {
        let (cert, key): (PathBuf, PathBuf) = signer::local_ca_paths(&args.ca)?;
        let users = args.users.len();
        std::thread::Builder::new()
            .name("ca".into())
            .spawn(move || {
                // Counted here for the signing's threads, off the main thread's way. One user's
                // signing needs no count, and this thread's load is what main waits for.
                if users > 1 {
                    keys::cores();
                }
                signer::load_ca(&cert, &key)
            })
            .ok()
            .map(CaLoading)
    }

    /// The CA, or why it cannot sign.
    pub(super) fn wait(self) -> anyhow::Result<CertificateAuthority> {
        self.0
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("loading the CA panicked")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_asked_for_arrive_in_number_and_kind() {
        for (kind, count) in [(KeyType::EcdsaP256, 3), (KeyType::Rsa2048, 1)] {
            let keys = KeysInMaking::start(kind, count).wait().unwrap();
            assert_eq!(keys.len(), count);
            assert!(keys.iter().all(|k| KeyType::of(k.pkey()) == Some(kind)));
        }
    }

    /// What a refused command's drop does: the generation under way (RSA 4096, seconds) gives
    /// up instead of finishing a key nobody will use.
    #[test]
    fn abandoned_keys_stop_being_made() {
        let keys = KeysInMaking::start(KeyType::Rsa4096, 1);
        keys.abandoned.store(true, Ordering::Relaxed);
        let err = keys.wait().unwrap_err();
        assert!(err.to_string().contains("abandoned"), "{err}");
    }
}
