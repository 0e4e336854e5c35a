//! The registry of idle tasks, so that shutdown can drop every unfinished future even when
//! nothing else can reach it (a task waiting on a waker held by another waiting task), and
//! so that the task dump can list them.
//!
//! A task is registered the first time it returns `Pending` (before that it is always in a
//! run queue or running, where shutdown finds it), or at spawn if it has a name (so the
//! dump lists it from the start), and removed when it completes, so unnamed tasks that
//! finish in one poll never come here. It is a sharded slab of task references; each
//! shard is a `Mutex`, and workers register into their own shard, so the lock is almost
//! never contended.

use crate::task::TaskRef;
use crossbeam_utils::CachePadded;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Bits of a key that select the shard; the rest select the slot.
const SHARD_BITS: usize = 6;
/// The largest number of shards (`1 << SHARD_BITS`).
const MAX_SHARDS: usize = 1 << SHARD_BITS;

#[derive(Default)]
struct Shard {
    slots: Vec<Option<TaskRef>>,
    free: Vec<usize>,
    closed: bool,
}

pub(crate) struct Registry {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
}

impl Registry {
    /// A registry with enough shards for `workers` workers and some outside threads.
    pub(crate) fn new(workers: usize) -> Self {
        let n = (workers * 2).next_power_of_two().clamp(2, MAX_SHARDS);
        Registry {
            shards: (0..n).map(|_| CachePadded::new(Mutex::default())).collect(),
        }
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Shard> {
        // No user code runs under these locks, but never propagate poisoning.
        self.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `task` in shard `hint` (modulo the shard count). Fails once the registry
    /// is closed.
    pub(crate) fn insert(&self, hint: usize, task: TaskRef) -> Result<(), TaskRef> {
        let shard = hint & (self.shards.len() - 1);
        let mut guard = self.lock(shard);
        if guard.closed {
            return Err(task);
        }
        let slot = match guard.free.pop() {
            Some(slot) => slot,
            None => {
                guard.slots.push(None);
                guard.slots.len() - 1
            }
        };
        task.set_registry_key(slot << SHARD_BITS | shard);
        guard.slots[slot] = Some(task);
        Ok(())
    }

    /// Takes the task registered under `key` out, if it is still there.
    pub(crate) fn remove(&self, key: usize) -> Option<TaskRef> {
        if key == crate::task::NO_KEY {
            return None;
        }
        let (shard, slot) = (key & (MAX_SHARDS - 1), key >> SHARD_BITS);
        let mut guard = self.lock(shard);
        let task = guard.slots.get_mut(slot)?.take();
        if task.is_some() {
            guard.free.push(slot);
        }
        task
    }

    /// Refuses further registrations and returns every registered task.
    pub(crate) fn close(&self) -> Vec<TaskRef> {
        let mut tasks = Vec::new();
        for shard in 0..self.shards.len() {
            let mut guard = self.lock(shard);
            guard.closed = true;
            tasks.extend(guard.slots.drain(..).flatten());
            guard.free.clear();
        }
        tasks
    }

    /// Calls `f` with every registered task, one shard locked at a time. `f` runs under the
    /// shard's lock: it must only copy facts out of the task (no user code, no waking).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&TaskRef)) {
        for shard in 0..self.shards.len() {
            let guard = self.lock(shard);
            guard.slots.iter().flatten().for_each(&mut f);
        }
    }

    /// Number of registered tasks (tests, metrics and `Debug`).
    pub(crate) fn len(&self) -> usize {
        (0..self.shards.len())
            .map(|s| {
                let guard = self.lock(s);
                guard.slots.len() - guard.free.len()
            })
            .sum()
    }
}
