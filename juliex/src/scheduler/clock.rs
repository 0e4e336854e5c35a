//! The pool's coarse clock: milliseconds since the pool started, advanced by the threads
//! that happen to read the real clock anyway, so that spawning a task (which records its
//! spawn time for the task dump) costs a relaxed load instead of a clock read.
//!
//! Who advances it: a worker every 61 tasks and whenever it starts searching (spinning),
//! the watchdog at every sample, a spawn from outside the pool while no worker is awake
//! (an idle pool advances nothing), the first spawn after a worker woke up (the worker
//! marks the clock stale instead of reading the real one at every wake-up), and every
//! reader of a dump or metrics. So a spawn's time lags the real time by at most the time a
//! busy worker takes for 61 tasks, or the length of a poll that blocks every worker; the
//! store is skipped when the value did not change, so its cache line is written at most
//! once per millisecond.

use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

pub(crate) struct Clock {
    start: Instant,
    /// Milliseconds since `start`, as last advanced. Written by many threads (the value
    /// only matters to a millisecond, and a racing writer stores a time as recent).
    now_ms: CachePadded<AtomicU64>,
    /// Set when a worker woke up from a sleep of unknown length without reading the real
    /// clock: the next spawn reads it. (On the same cache line as `now_ms`, which spawns
    /// read anyway.)
    stale: AtomicBool,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            start: Instant::now(),
            now_ms: CachePadded::new(AtomicU64::new(0)),
            stale: AtomicBool::new(false),
        }
    }

    /// The clock as last advanced.
    #[inline]
    pub(crate) fn coarse_ms(&self) -> u64 {
        self.now_ms.load(Relaxed)
    }

    /// Advances the clock to `now` (read by the caller for its own reasons) and returns it.
    #[inline]
    pub(crate) fn advance_to(&self, now: Instant) -> u64 {
        let ms = now.saturating_duration_since(self.start).as_millis() as u64;
        if ms > self.now_ms.load(Relaxed) {
            self.now_ms.store(ms, Relaxed);
        }
        ms
    }

    /// Reads the real clock, advances to it and returns it.
    pub(crate) fn advance(&self) -> u64 {
        self.advance_to(Instant::now())
    }

    /// Notes that time passed unseen (a worker woke up): the next [`Clock::spawn_ms`] reads
    /// the real clock. The store is skipped when the flag is set already.
    #[inline]
    pub(crate) fn mark_stale(&self) {
        if !self.stale.load(Relaxed) {
            self.stale.store(true, Relaxed);
        }
    }

    /// The time to record for a spawn: the coarse clock, advanced first if it is stale.
    #[inline]
    pub(crate) fn spawn_ms(&self) -> u64 {
        if self.stale.load(Relaxed) {
            self.stale.store(false, Relaxed);
            return self.advance();
        }
        self.coarse_ms()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn advances_only_forward() {
        let clock = Clock::new();
        let later = clock.start + Duration::from_millis(5);
        assert_eq!(clock.advance_to(later), 5);
        assert_eq!(clock.coarse_ms(), 5);
        clock.advance_to(clock.start + Duration::from_millis(2));
        assert_eq!(
            clock.coarse_ms(),
            5,
            "an older reading does not move it back"
        );
    }

    #[test]
    fn a_stale_clock_is_read_by_the_next_spawn_only() {
        let clock = Clock::new();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.spawn_ms(), 0, "not stale: the coarse value");
        clock.mark_stale();
        assert!(clock.spawn_ms() >= 5, "stale: the real clock");
        assert!(!clock.stale.load(Relaxed), "read once, then fresh again");
    }
}
