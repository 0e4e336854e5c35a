//! The slow-poll watchdog: a thread that samples every worker's poll slot and reports a
//! poll that runs longer than a threshold (see [`crate::SlowPoll`] for the contract).
//!
//! The workers never read the clock for it: each poll costs them the few relaxed stores of
//! the poll slot ([`super::counters`]), whether a watchdog runs or not. The watchdog wakes
//! every [`interval`] and compares what it sees with what it saw: the same poll (same
//! per-worker poll number) still running for the threshold or longer is reported once, and
//! again when the worker has moved on. The callback runs on the watchdog's thread, with no
//! lock held; a panic in it is caught, and the watchdog lives on.

use super::Shared;
use super::counters::CurrentPoll;
use crate::slow_poll::SlowPoll;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// What the user asked for with `Builder::on_slow_poll`.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) threshold: Duration,
    pub(crate) callback: Arc<dyn Fn(&SlowPoll) + Send + Sync + 'static>,
}

/// The shortest sampling interval, whatever the threshold.
const MIN_INTERVAL: Duration = Duration::from_millis(1);
/// The longest sampling interval, whatever the threshold.
const MAX_INTERVAL: Duration = Duration::from_millis(100);

/// How often the watchdog samples: a quarter of the threshold, within the bounds above.
pub(crate) fn interval(threshold: Duration) -> Duration {
    (threshold / 4).clamp(MIN_INTERVAL, MAX_INTERVAL)
}

/// A poll the watchdog has seen running.
struct Watched {
    poll: CurrentPoll,
    first_seen: Instant,
    reported: bool,
}

/// Starts the watchdog thread of `shared`; it exits when the pool shuts down (which
/// unparks and joins it).
pub(crate) fn start(shared: Arc<Shared>, config: Config) -> io::Result<thread::JoinHandle<()>> {
    thread::Builder::new()
        .name("juliex-watchdog".into())
        .spawn(move || run(&shared, &config))
}

fn run(shared: &Shared, config: &Config) {
    let every = interval(config.threshold);
    let mut watched: Vec<Option<Watched>> = (0..shared.workers()).map(|_| None).collect();
    loop {
        thread::park_timeout(every);
        if shared.is_shutdown() {
            return;
        }
        let now = Instant::now();
        shared.clock.advance_to(now);
        for (worker, slot) in watched.iter_mut().enumerate() {
            let current = shared.counters[worker].current();
            if let Some(w) = slot.take_if(|w| current.map(|c| c.seq) != Some(w.poll.seq))
                && w.reported
            {
                report(shared, config, worker, &w, now, true);
            }
            let Some(current) = current else { continue };
            let w = slot.get_or_insert(Watched {
                poll: current,
                first_seen: now,
                reported: false,
            });
            if !w.reported && now - w.first_seen >= config.threshold {
                w.reported = true;
                report(shared, config, worker, w, now, false);
            }
        }
    }
}

fn report(
    shared: &Shared,
    config: &Config,
    worker: usize,
    w: &Watched,
    now: Instant,
    finished: bool,
) {
    let report = SlowPoll {
        task: w.poll.id,
        name: shared.task_name(w.poll.id),
        location: w.poll.location,
        worker,
        elapsed: now - w.first_seen,
        finished,
    };
    // User code: no lock is held here. A panicking callback must not end the watchdog.
    let _ = catch_unwind(AssertUnwindSafe(|| (config.callback)(&report)));
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn samples_a_quarter_of_the_threshold_within_bounds() {
        assert_eq!(
            interval(Duration::from_millis(200)),
            Duration::from_millis(50)
        );
        assert_eq!(interval(Duration::from_micros(100)), MIN_INTERVAL);
        assert_eq!(interval(Duration::from_secs(10)), MAX_INTERVAL);
    }
}
