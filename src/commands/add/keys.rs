//! Keys and CSRs for every user of one `add`, made across the cores: an RSA 2048 key takes a
//! quarter of a second, an RSA 4096 key seconds, and one user's key does not wait on another's.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `make(i)` for every `i < count`, on up to `workers` threads; results in index order. After an
/// error no new job starts, and the first error by index is returned.
pub(crate) fn in_parallel<T: Send>(
    count: usize,
    workers: usize,
    make: impl Fn(usize) -> anyhow::Result<T> + Sync,
) -> anyhow::Result<Vec<T>> {
    let workers = workers.clamp(1, count.max(1));
    if workers == 1 {
        return (0..count).map(make).collect();
    }
    let next = AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let slots: Mutex<Vec<Option<anyhow::Result<T>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    // After a failure, start nothing new: the command stops anyway.
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let result = make(i);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    slots.lock().expect("no worker panics holding it")[i] = Some(result);
                }
            });
        }
    });
    let mut out = Vec::with_capacity(count);
    let mut first_error = None;
    for slot in slots.into_inner().expect("no worker panicked") {
        match slot {
            Some(Ok(value)) => out.push(value),
            Some(Err(err)) => {
                first_error.get_or_insert(err);
            }
            None => {} // not started after a failure
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(out),
    }
}

/// The threads worth using for `count` CPU-bound jobs: one job needs no count of the cores
/// (reading the cgroup's CPU quota files, on the way to a one-user `add`).
pub(crate) fn workers_for(count: usize) -> usize {
    if count > 1 { cores() } else { 1 }
}

/// The threads worth using for CPU-bound work here. Asked once: the answer reads the cgroup's
/// CPU quota from several files, and both the key thread and the signing ask.
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn one_job_takes_one_worker_and_several_take_the_cores() {
        assert_eq!(workers_for(0), 1);
        assert_eq!(workers_for(1), 1);
        assert_eq!(workers_for(2), cores());
    }

    #[test]
    fn jobs_run_at_the_same_time_and_results_keep_their_order() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let out = in_parallel(4, 2, |i| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            // Wait (bounded) for a second job to be running too: run one after another, none is.
            let deadline = Instant::now() + Duration::from_secs(20);
            while most.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                std::thread::yield_now();
            }
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(i * 10)
        })
        .unwrap();
        assert_eq!(out, [0, 10, 20, 30]);
        assert_eq!(
            most.load(Ordering::SeqCst),
            2,
            "two workers, two jobs at once"
        );
    }

    #[test]
    fn an_error_is_returned_and_stops_new_jobs() {
        let started = AtomicUsize::new(0);
        let err = in_parallel(1000, 2, |i| {
            started.fetch_add(1, Ordering::SeqCst);
            if i == 3 {
                anyhow::bail!("no entropy for job {i}")
            }
            // Jobs take time, as keys do: the other worker cannot run out the list (2 s of
            // jobs) before the failure is seen. With instant jobs it sometimes could.
            std::thread::sleep(std::time::Duration::from_millis(2));
            Ok(i)
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "no entropy for job 3");
        assert!(started.load(Ordering::SeqCst) < 1000);
        let err = in_parallel(3, 1, |i| {
            if i == 1 {
                anyhow::bail!("job {i}")
            } else {
                Ok(i)
            }
        });
        assert_eq!(err.unwrap_err().to_string(), "job 1");
    }
}
