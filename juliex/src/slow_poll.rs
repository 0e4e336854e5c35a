//! Reports of slow polls, made by the watchdog that
//! [`Builder::on_slow_poll`](crate::Builder::on_slow_poll) starts.
//!
//! How it works: a worker stores the id, spawn location and spawn time of the task it is
//! about to poll into a slot of its own (a few relaxed stores; no clock read), and bumps a
//! poll counter when the poll returns. The watchdog thread samples every worker's slot at a
//! fraction of the threshold. A poll seen in progress, with the same counter, for at least
//! the threshold is reported *while it still runs* (so an endless loop or a blocking call is
//! named, not only a poll that eventually returns), once; when the worker's counter moves
//! on, the same poll is reported again as finished, with its total time.
//!
//! Times are measured by sampling: `elapsed` is the time since the watchdog first saw the
//! poll, so it errs low by at most one sampling interval (a quarter of the threshold, at
//! most 100 ms), and a poll shorter than the threshold is never reported.

use crate::task::TaskId;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// A poll that ran, or still runs, longer than the watchdog's threshold.
///
/// ```no_run
/// use std::time::Duration;
///
/// let pool = juliex::ThreadPool::builder()
///     .on_slow_poll(Duration::from_millis(100), |slow: &juliex::SlowPoll| {
///         if !slow.finished {
///             eprintln!("worker {} is stuck in task {} spawned at {}", slow.worker, slow.task, slow.location);
///         }
///     })
///     .build()
///     .unwrap();
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SlowPoll {
    /// The task being polled.
    pub task: TaskId,
    /// Its name, if it was given one with [`TaskBuilder::name`](crate::TaskBuilder::name).
    pub name: Option<Arc<str>>,
    /// Where it was spawned.
    pub location: &'static Location<'static>,
    /// The worker that polls it.
    pub worker: usize,
    /// How long the poll has run (if `finished` is false) or ran in all.
    pub elapsed: Duration,
    /// False for the report made while the poll runs; true for the one made after it
    /// returned.
    pub finished: bool,
}

impl SlowPoll {
    /// A ready-made callback for [`Builder::on_slow_poll`](crate::Builder::on_slow_poll):
    /// writes the report to stderr, one line each.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = juliex::ThreadPool::builder()
    ///     .worker_threads(1)
    ///     .on_slow_poll(Duration::from_millis(500), juliex::SlowPoll::eprint)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(pool.block_on(pool.spawn(async { 1 })).unwrap(), 1);
    /// ```
    pub fn eprint(report: &SlowPoll) {
        eprintln!("{report}");
    }
}

impl fmt::Display for SlowPoll {
    /// `juliex: worker 0 has been polling task #5 (spawned at src/main.rs:9:5) for 1.1s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.finished {
            "finished a poll of"
        } else {
            "has been polling"
        };
        write!(
            f,
            "juliex: worker {} {verb} task {}",
            self.worker, self.task
        )?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        let took = if self.finished { "that took" } else { "for" };
        write!(
            f,
            " (spawned at {}) {took} {:?}",
            self.location, self.elapsed
        )
    }
}
