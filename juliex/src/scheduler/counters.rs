//! Per-worker counters and the "what is this worker polling now" slot.
//!
//! Each worker writes only its own [`WorkerCounters`], on a cache line of its own, with a
//! relaxed load and store (no read-modify-write, no shared line on the hot path); other
//! threads read them, relaxed, for [`ThreadPool::metrics`](crate::ThreadPool::metrics),
//! the task dump and the watchdog. A reader sees each counter as some recent value; the
//! counters of one snapshot are not read at one instant.
//!
//! The poll slot is a small seqlock: `poll_seq` is odd while a poll runs; the running
//! task's id, spawn location and spawn time are stored just before it turns odd. A reader
//! that sees the same odd `poll_seq` before and after reading them has a consistent copy of
//! one poll's task; `poll_seq / 2` is the number of polls finished. The slot holds copies,
//! never a pointer into the task, so a reader never touches memory a finished task freed.

use crate::task::{TaskId, TaskMeta};
use crossbeam_utils::atomic::AtomicCell;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering::*, fence};

/// A counter written by one thread only.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`. Only the owning worker calls this.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// Adds one. Only the owning worker calls this.
    #[inline]
    pub(crate) fn bump(&self) {
        self.add(1);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// What one worker counts (see [`WorkerMetrics`](crate::WorkerMetrics) for the meanings).
#[derive(Default)]
pub(crate) struct WorkerCounters {
    /// Twice the polls finished, plus one while a poll runs.
    poll_seq: AtomicU64,
    /// The id of the task being polled (valid while `poll_seq` is odd).
    task_id: AtomicCell<Option<TaskId>>,
    /// Its spawn location (pointer-sized, so the cell is a plain atomic word).
    location: AtomicCell<Option<&'static Location<'static>>>,
    /// Its spawn time on the pool's coarse clock.
    spawned_ms: AtomicU64,
    pub(crate) completed: Counter,
    pub(crate) spawned: Counter,
    pub(crate) stolen: Counter,
    pub(crate) steal_attempts: Counter,
    pub(crate) injector_pulls: Counter,
    pub(crate) parks: Counter,
    pub(crate) hook_turns: Counter,
}

/// A consistent copy of the poll a worker is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CurrentPoll {
    /// Number of polls this worker finished before this one: with the worker, names the
    /// poll.
    pub(crate) seq: u64,
    pub(crate) id: TaskId,
    pub(crate) location: &'static Location<'static>,
    pub(crate) spawned_ms: u64,
}

impl WorkerCounters {
    /// The worker starts polling the task described by `meta`.
    #[inline]
    pub(crate) fn begin_poll(&self, meta: &TaskMeta) {
        let seq = self.poll_seq.load(Relaxed);
        // A seqlock writer's fence (a compiler barrier on x86): a reader whose loads see
        // the stores below also sees the even `poll_seq` that ended the previous poll, so
        // it cannot take this poll's fields for the previous poll's.
        fence(Release);
        self.task_id.store(Some(meta.id));
        self.location.store(Some(meta.location));
        self.spawned_ms.store(meta.spawned_ms, Relaxed);
        // Release: a reader that sees the odd value sees the fields above.
        self.poll_seq.store(seq + 1, Release);
    }

    /// The poll started by [`WorkerCounters::begin_poll`] returned.
    #[inline]
    pub(crate) fn end_poll(&self) {
        // Relaxed: the fence in the next `begin_poll` orders this store before that
        // poll's fields.
        self.poll_seq
            .store(self.poll_seq.load(Relaxed) + 1, Relaxed);
    }

    /// Polls finished (including the cancellations of aborted tasks).
    pub(crate) fn polls(&self) -> u64 {
        self.poll_seq.load(Relaxed) / 2
    }

    /// The poll the worker is in, if any.
    pub(crate) fn current(&self) -> Option<CurrentPoll> {
        let before = self.poll_seq.load(Acquire);
        if before.is_multiple_of(2) {
            return None;
        }
        let id = self.task_id.load();
        let location = self.location.load();
        let spawned_ms = self.spawned_ms.load(Relaxed);
        // A seqlock reader's fence: the loads above happen before the re-check below.
        fence(Acquire);
        if self.poll_seq.load(Relaxed) != before {
            // The poll ended while we read: it is over.
            return None;
        }
        Some(CurrentPoll {
            seq: before / 2,
            id: id?,
            location: location?,
            spawned_ms,
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_slot_cells_are_plain_atomic_words() {
        assert!(AtomicCell::<Option<TaskId>>::is_lock_free());
        assert!(AtomicCell::<Option<&'static Location<'static>>>::is_lock_free());
    }

    #[test]
    fn the_slot_names_the_poll_in_progress() {
        let slot = WorkerCounters::default();
        assert_eq!(slot.current(), None);
        let meta = TaskMeta::new(Location::caller(), None, 7);
        slot.begin_poll(&meta);
        let now = slot.current().expect("a poll runs");
        assert_eq!((now.seq, now.id, now.spawned_ms), (0, meta.id, 7));
        assert_eq!(now.location.line(), meta.location.line());
        slot.end_poll();
        assert_eq!((slot.current(), slot.polls()), (None, 1));
    }
}
