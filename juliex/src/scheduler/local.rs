//! A worker's own run queue: a LIFO slot in front of a FIFO deque that other workers can
//! steal from.

use super::Shared;
use super::counters::WorkerCounters;
use crate::task::Notified;
use crossbeam_deque::Worker as Deque;
use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::sync::Arc;

/// The part of a worker that lives in its thread's context, so that wakers and `spawn` on
/// that thread can reach it.
pub(crate) struct WorkerLocal {
    /// This worker's index in the pool.
    pub(crate) index: usize,
    /// This worker's counters (also in `Shared::counters`), for spawns on this thread.
    pub(crate) counters: Arc<CachePadded<WorkerCounters>>,
    /// Tasks for this worker; the front is stealable.
    pub(crate) queue: Deque<Notified>,
    /// The task to run next: the most recently spawned or woken one, for message-passing
    /// latency (the receiver runs right after the sender, on a warm cache). Not stealable.
    pub(crate) lifo: Cell<Option<Notified>>,
    /// Set while the worker sleeps (in the park hook, which may wake tasks onto this queue).
    /// Pushes then wake nobody: the worker looks at its queue when it returns.
    pub(crate) parked: Cell<bool>,
}

impl WorkerLocal {
    pub(crate) fn new(
        index: usize,
        queue: Deque<Notified>,
        counters: Arc<CachePadded<WorkerCounters>>,
    ) -> Self {
        WorkerLocal {
            index,
            counters,
            queue,
            lifo: Cell::new(None),
            parked: Cell::new(false),
        }
    }

    /// Queues a woken or spawned task on this worker: into the LIFO slot, moving the task
    /// there to the back of the queue.
    #[inline]
    pub(crate) fn push(&self, task: Notified, shared: &Shared) {
        // The worker runs its LIFO slot next anyway: no other worker needs to hear of it.
        if let Some(prev) = self.lifo.replace(Some(task)) {
            self.queue.push(prev);
            // `prev` now waits behind the new LIFO task, and behind whatever this worker
            // runs now, which may take long (it is running user code): an idle worker
            // should steal it.
            self.announce(shared);
        }
    }

    /// Queues a task at the back of the queue (a task that woke itself while running).
    #[inline]
    pub(crate) fn push_back(&self, task: Notified, shared: &Shared) {
        self.queue.push(task);
        // Alone in the queue with an empty LIFO slot, it is this worker's next job: waking
        // another worker (tens of microseconds) would only move it.
        if self.queue.len() > 1 || self.lifo_is_occupied() {
            self.announce(shared);
        }
    }

    /// True if this worker holds tasks it will not get to next: queued behind its LIFO
    /// slot, or more than one queued.
    pub(crate) fn has_work_behind(&self) -> bool {
        let queued = self.queue.len();
        queued > 1 || (queued == 1 && self.lifo_is_occupied())
    }

    fn lifo_is_occupied(&self) -> bool {
        let task = self.lifo.take();
        let occupied = task.is_some();
        self.lifo.set(task);
        occupied
    }

    /// A task was queued behind other work of this worker: wake a sleeping worker to steal
    /// it, unless one is searching already (see `Shared::has_surplus` for the sleeper's
    /// side). The push that makes the queue non-empty pays for a fence, so that it and a
    /// worker going to sleep see each other (the sleeper re-checks every queue); later
    /// pushes find the queue non-empty already and take the cheap path.
    #[inline]
    fn announce(&self, shared: &Shared) {
        if self.parked.get() {
            // Pushed from inside the park hook: the worker shares its surplus when it
            // returns (see `Worker::park`).
            return;
        }
        if self.queue.len() <= 1 {
            shared.notify_one();
        } else {
            shared.notify_one_local();
        }
    }

    /// Drops every queued task reference (worker exit).
    pub(crate) fn clear(&self) {
        drop(self.lifo.take());
        while self.queue.pop().is_some() {}
    }
}
