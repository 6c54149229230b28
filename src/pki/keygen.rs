//! Keys for a command that may still be refused: generation that can be stopped, and one RSA
//! key sooner by a race on the idle cores.
//!
//! The time to find an RSA key's primes is heavy-tailed (RSA 2048 here: median ~300 ms, from
//! 150 ms to nearly a second), so the first of two independent generations arrives much sooner
//! than one alone. The race stops its losers through OpenSSL's own progress callback: every
//! candidate prime calls it, and a callback that returns 0 makes the generation give up. No
//! loser outlives the race by more than one candidate test, so the function returns with every
//! thread it started joined, whether it is called by a short-lived `add` or by a test. The
//! primes are OpenSSL's: `RSA_generate_key_ex`, as `Rsa::generate` calls it, only with the
//! callback set.

use std::os::raw::{c_int, c_void};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use foreign_types::ForeignType;
use openssl::bn::BigNum;
use openssl::pkey::Private;
use openssl::rsa::Rsa;

use super::{KeyType, PkiError, PrivateKey};

/// A new key of `kind`, or `None` when `abandoned` is set before it is made (the command was
/// refused meanwhile: the key was never written anywhere). An RSA key is the first of `racers`
/// generations; the other kinds take a millisecond or less and are made as usual.
pub fn generate_unless_abandoned(
    kind: KeyType,
    racers: usize,
    abandoned: &AtomicBool,
) -> Result<Option<PrivateKey>, PkiError> {
    let bits = match kind {
        KeyType::Rsa2048 => 2048,
        KeyType::Rsa3072 => 3072,
        KeyType::Rsa4096 => 4096,
        KeyType::EcdsaP256 | KeyType::EcdsaP384 | KeyType::Ed25519 => {
            if abandoned.load(Ordering::Relaxed) {
                return Ok(None);
            }
            return PrivateKey::generate(kind).map(Some);
        }
    };
    let Some(rsa) = race(bits, racers, abandoned)? else {
        return Ok(None);
    };
    let key = openssl::pkey::PKey::from_rsa(rsa).map_err(PkiError::ssl("generating a key"))?;
    Ok(Some(PrivateKey::from_pkey(key)))
}

// In libcrypto since 1.1.0; openssl-sys declares the type but not these functions.
unsafe extern "C" {
    fn BN_GENCB_new() -> *mut openssl_sys::BN_GENCB;
    fn BN_GENCB_free(cb: *mut openssl_sys::BN_GENCB);
    fn BN_GENCB_set(
        cb: *mut openssl_sys::BN_GENCB,
        callback: extern "C" fn(c_int, c_int, *mut openssl_sys::BN_GENCB) -> c_int,
        arg: *mut c_void,
    );
    fn BN_GENCB_get_arg(cb: *mut openssl_sys::BN_GENCB) -> *mut c_void;
}

/// Why a generation gives up: either flag set.
struct Stop<'a> {
    /// Another racer won.
    won: &'a AtomicBool,
    /// Nobody wants the key any more (the command was refused).
    abandoned: &'a AtomicBool,
}

impl Stop<'_> {
    fn now(&self) -> bool {
        self.won.load(Ordering::Relaxed) || self.abandoned.load(Ordering::Relaxed)
    }
}

extern "C" fn keep_going(_stage: c_int, _n: c_int, cb: *mut openssl_sys::BN_GENCB) -> c_int {
    // SAFETY: the argument is the `Stop` that `generate` set and that outlives its call.
    let stop = unsafe { &*(BN_GENCB_get_arg(cb) as *const Stop<'_>) };
    c_int::from(!stop.now())
}

/// One RSA key of `bits` (exponent 65537), or `None` when `stop` says so before it is found.
fn generate(bits: u32, stop: &Stop<'_>) -> Result<Option<Rsa<Private>>, PkiError> {
    let ssl = PkiError::ssl("generating an RSA key");
    let e = BigNum::from_u32(65_537).map_err(ssl)?;
    // SAFETY: every pointer is checked before use and freed on every path; `stop` lives until
    // RSA_generate_key_ex returns, the only time the callback runs.
    unsafe {
        let cb = BN_GENCB_new();
        if cb.is_null() {
            return Err(PkiError::ssl("generating an RSA key")(
                openssl::error::ErrorStack::get(),
            ));
        }
        BN_GENCB_set(cb, keep_going, stop as *const Stop<'_> as *mut c_void);
        let raw = openssl_sys::RSA_new();
        let made = !raw.is_null()
            && openssl_sys::RSA_generate_key_ex(raw, bits as c_int, e.as_ptr(), cb) == 1;
        BN_GENCB_free(cb);
        let rsa = (!raw.is_null()).then(|| Rsa::from_ptr(raw));
        let errors = openssl::error::ErrorStack::get(); // taken either way: the queue is per thread
        match (made, rsa) {
            (true, Some(rsa)) => Ok(Some(rsa)),
            _ if stop.now() => Ok(None),
            _ => Err(PkiError::ssl("generating an RSA key")(errors)),
        }
    }
}

/// One RSA key, the first of `racers` generations run at once; `None` only when `abandoned` is
/// set before any finishes. Every racer has stopped when this returns.
fn race(
    bits: u32,
    racers: usize,
    abandoned: &AtomicBool,
) -> Result<Option<Rsa<Private>>, PkiError> {
    let won = AtomicBool::new(false);
    let stop = Stop {
        won: &won,
        abandoned,
    };
    if racers <= 1 {
        return generate(bits, &stop);
    }
    let first: Mutex<Option<Result<Rsa<Private>, PkiError>>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..racers {
            scope.spawn(|| {
                let result = generate(bits, &stop).transpose();
                let mut first = first.lock().expect("no racer panics holding it");
                if let Some(result) = result
                    && first.is_none()
                {
                    // An error counts as a finish only if nobody has won: one racer's bad luck
                    // with the RNG is an error for the key then, as it would be alone.
                    *first = Some(result);
                    won.store(true, Ordering::Relaxed);
                }
            });
        }
    });
    first.into_inner().expect("no racer panicked").transpose()
}

/// How many racers are worth starting: the cores nobody else is running on right now (the
/// kernel's count of runnable threads from /proc/loadavg, less this process's own threads: the
/// main one and the CA load run beside the key at this moment), at least one.
pub fn idle_cores() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let running = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| runnable_threads(&text));
    let ours = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| own_threads(&text))
        .unwrap_or(1);
    racers_for(
        cores,
        others_running(ours, running).map(|others| others + 1),
    )
}

/// Runnable threads that are not ours (`ours` counts every thread of this process).
fn others_running(ours: usize, running: Option<usize>) -> Option<usize> {
    running.map(|r| r.saturating_sub(ours))
}

/// `Threads:\t3` in /proc/self/status.
fn own_threads(status: &str) -> Option<usize> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))?
        .trim()
        .parse()
        .ok()
}

/// `6.08 3.63 2.40 8/143 1208`: the fourth field's first number, runnable threads now.
fn runnable_threads(loadavg: &str) -> Option<usize> {
    loadavg
        .split_whitespace()
        .nth(3)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Of `cores`, those not taken by the other runnable threads (`running` counts this one).
fn racers_for(cores: usize, running: Option<usize>) -> usize {
    let others = running.map_or(cores - 1, |r| r.saturating_sub(1));
    cores.saturating_sub(others).clamp(1, cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raced_key_is_a_good_rsa_key_of_the_size_asked() {
        let never = AtomicBool::new(false);
        let rsa = race(2048, 2, &never).unwrap().unwrap();
        assert_eq!(rsa.size() * 8, 2048);
        assert!(rsa.check_key().unwrap());
        assert_eq!(rsa.e().to_dec_str().unwrap().to_string(), "65537");
    }

    /// Stopping works inside OpenSSL: an RSA 4096 generation (seconds) gives up at once when
    /// the key is no longer wanted, and a racer gives up when another wins.
    #[test]
    fn an_abandoned_generation_stops_instead_of_finishing_its_key() {
        let abandoned = AtomicBool::new(true);
        for racers in [1, 2] {
            assert!(race(4096, racers, &abandoned).unwrap().is_none());
        }

        let won = AtomicBool::new(true);
        let never = AtomicBool::new(false);
        let stop = Stop {
            won: &won,
            abandoned: &never,
        };
        assert!(generate(4096, &stop).unwrap().is_none());
        assert!(openssl::error::ErrorStack::get().errors().is_empty());
    }

    #[test]
    fn every_kind_is_made_unless_abandoned() {
        let (never, now) = (AtomicBool::new(false), AtomicBool::new(true));
        for kind in [KeyType::Rsa2048, KeyType::EcdsaP256, KeyType::Ed25519] {
            let key = generate_unless_abandoned(kind, 2, &never).unwrap().unwrap();
            assert_eq!(KeyType::of(key.pkey()), Some(kind));
            assert!(generate_unless_abandoned(kind, 2, &now).unwrap().is_none());
        }
    }

    #[test]
    fn racers_only_on_cores_nobody_else_runs_on() {
        assert_eq!(runnable_threads("6.08 3.63 2.40 8/143 1208"), Some(8));
        assert_eq!(runnable_threads("garbage"), None);
        assert_eq!(racers_for(2, Some(1)), 2, "only us: both cores");
        assert_eq!(racers_for(2, Some(2)), 1);
        assert_eq!(racers_for(2, Some(8)), 1, "a busy machine: no race");
        assert_eq!(racers_for(8, Some(3)), 6);
        assert_eq!(racers_for(4, None), 1, "unknown load: no race");
        assert_eq!(racers_for(1, Some(1)), 1);
    }

    /// Our own threads (the main one reading the kubeconfig, the CA load beside this one) are
    /// not somebody else's work: counted as others, they stopped every race on two cores.
    #[test]
    fn our_own_runnable_threads_do_not_stop_the_race() {
        assert_eq!(others_running(3, Some(3)), Some(0));
        assert_eq!(others_running(3, Some(5)), Some(2));
        assert_eq!(
            others_running(3, Some(1)),
            Some(0),
            "counts taken a moment apart"
        );
        assert_eq!(others_running(3, None), None);
        assert_eq!(racers_for(2, others_running(3, Some(3)).map(|o| o + 1)), 2);
        assert_eq!(own_threads("Name:\tx\nThreads:\t3\nSigQ:\t0/1\n"), Some(3));
        assert_eq!(own_threads("Name:\tx\n"), None);
    }
}
