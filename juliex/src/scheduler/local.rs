//! A worker's own run queue: a LIFO slot in front of a FIFO deque that other workers can
//! steal from.

use super::Shared;
use crate::task::Notified;
use crossbeam_deque::Worker as Deque;
use std::cell::Cell;

/// The part of a worker that lives in its thread's context, so that wakers and `spawn` on
/// that thread can reach it.
pub(crate) struct WorkerLocal {
    /// This worker's index in the pool.
    pub(crate) index: usize,
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
    pub(crate) fn new(index: usize, queue: Deque<Notified>) -> Self {
        WorkerLocal {
            index,
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
            self.push_back(prev, shared);
        }
    }

    /// Queues a task at the back of the queue (yields, LIFO overflow).
    #[inline]
    pub(crate) fn push_back(&self, task: Notified, shared: &Shared) {
        self.queue.push(task);
        // One queued task is this worker's own next job; only a surplus is worth a wake-up
        // of another worker (which costs tens of microseconds).
        if self.queue.len() > 1 && !self.parked.get() {
            shared.notify_one_local();
        }
    }

    /// Drops every queued task reference (worker exit).
    pub(crate) fn clear(&self) {
        drop(self.lifo.take());
        while self.queue.pop().is_some() {}
    }
}
