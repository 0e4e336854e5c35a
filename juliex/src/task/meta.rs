//! What a task is known by: its id, where it was spawned, its optional name and when.
//!
//! These are fixed at spawn and stored in the task's header, so that the task dump and the
//! slow-poll watchdog can name a task without any lookup table. Capturing them is cheap:
//! the spawn location is a `&'static Location` handed over by `#[track_caller]`, the id
//! comes from a per-thread block of ids (no shared counter is written per spawn), and the
//! spawn time is read from the pool's coarse clock (no clock read per spawn).

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How many ids a thread takes from the process-wide counter at a time.
const ID_BLOCK: u64 = 1024;

/// A task's id: unique in the process for as long as it runs (ids are never reused).
///
/// Ids grow in blocks per spawning thread, so they are not in spawn order across threads.
///
/// ```
/// let pool = juliex::ThreadPool::builder().worker_threads(1).build().unwrap();
/// let a = pool.spawn(async {});
/// let b = pool.spawn(async {});
/// assert_ne!(a.id(), b.id());
/// assert!(a.id().to_string().starts_with('#'));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// A fresh id, from this thread's block (taking a new block when it runs out).
    pub(crate) fn next() -> TaskId {
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            /// The next id of this thread's block, and the end of the block.
            static BLOCK: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        let take_block = || {
            let start = NEXT_BLOCK.fetch_add(ID_BLOCK, Relaxed);
            (start, start + ID_BLOCK)
        };
        let id = BLOCK
            .try_with(|block| {
                let (mut next, mut end) = block.get();
                if next == end {
                    (next, end) = take_block();
                }
                block.set((next + 1, end));
                next
            })
            // Thread teardown: a block of one.
            .unwrap_or_else(|_| take_block().0);
        TaskId(NonZeroU64::new(id).expect("task ids start at 1"))
    }

    /// The id as a number (never 0).
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The fixed facts about one task, stored in its header.
#[derive(Clone)]
pub(crate) struct TaskMeta {
    pub(crate) id: TaskId,
    /// Where `spawn` was called (through `#[track_caller]`).
    pub(crate) location: &'static Location<'static>,
    /// Given with [`TaskBuilder::name`](crate::TaskBuilder::name).
    pub(crate) name: Option<Arc<str>>,
    /// The pool's coarse clock (milliseconds since the pool started) at spawn.
    pub(crate) spawned_ms: u64,
}

impl TaskMeta {
    /// Facts for a task spawned at `location`, at `spawned_ms` on its pool's clock.
    pub(crate) fn new(
        location: &'static Location<'static>,
        name: Option<Arc<str>>,
        spawned_ms: u64,
    ) -> Self {
        TaskMeta {
            id: TaskId::next(),
            location,
            name,
            spawned_ms,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::thread;

    #[test]
    fn ids_are_unique_across_threads_and_blocks() {
        let per_thread = (ID_BLOCK * 2 + 7) as usize;
        let ids: Vec<Vec<TaskId>> = (0..4)
            .map(|_| thread::spawn(move || (0..per_thread).map(|_| TaskId::next()).collect()))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let all: HashSet<TaskId> = ids.iter().flatten().copied().collect();
        assert_eq!(all.len(), 4 * per_thread);
    }
}
