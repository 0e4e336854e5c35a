//! A snapshot of a pool's counters: [`ThreadPool::metrics`](crate::ThreadPool::metrics).
//!
//! Every counter counts from the pool's start and only grows (wrapping at `u64::MAX`);
//! depths and gauges are read at the moment of the snapshot. Each worker writes its own
//! counters on a cache line of its own, with relaxed stores and no read-modify-write, so
//! counting costs a worker a few plain instructions per task and no cache-line traffic
//! between workers. The price: a snapshot reads each value at a slightly different moment,
//! so while tasks run, sums may disagree by the few tasks in flight (for example
//! `tasks_spawned` against the workers' `polls`), and a worker counts a poll when it
//! returns, which is a moment after the task's `JoinHandle` was woken with its output.
//! Once the pool is quiet (or shut down) they are exact.

use std::fmt;

/// A pool's counters, read by [`ThreadPool::metrics`](crate::ThreadPool::metrics).
///
/// ```
/// let pool = juliex::ThreadPool::builder().worker_threads(2).build().unwrap();
/// pool.block_on(async {
///     for _ in 0..10 {
///         juliex::spawn(async {}).await.unwrap();
///     }
/// });
/// assert_eq!(pool.metrics().tasks_spawned, 10);
/// // A handle can resolve a moment before its worker counts the poll that completed the
/// // task; once the workers are stopped, the counts are final.
/// pool.shutdown();
/// let m = pool.metrics();
/// assert_eq!(m.workers.len(), 2);
/// assert_eq!(m.workers.iter().map(|w| w.polls).sum::<u64>(), 10);
/// assert_eq!(m.workers.iter().map(|w| w.completed).sum::<u64>(), 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// One entry per worker thread, by index.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks spawned with [`spawn`](crate::ThreadPool::spawn) (and the free function, the
    /// [`TaskBuilder`](crate::TaskBuilder) and `futures::task::Spawn`), counting those
    /// spawned by workers (see [`WorkerMetrics::spawned`]) and from other threads. Tasks
    /// spawned after shutdown are not counted (they are cancelled at once).
    pub tasks_spawned: u64,
    /// Tasks spawned and not yet completed (returned, panicked or cancelled): queued,
    /// running or idle. 0 once the pool is shut down, which drops every task.
    pub tasks_alive: u64,
    /// Tasks that have returned `Pending` at least once and not completed: the registry
    /// that shutdown cancels and [`tasks`](crate::ThreadPool::tasks) lists.
    pub tasks_registered: usize,
    /// Tasks in the global queue (spawned or woken from outside the workers) now.
    pub injector_depth: usize,
    /// The blocking pool.
    pub blocking: BlockingMetrics,
}

/// One worker's counters (see [`Metrics`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Times this worker ran a task: polled its future, or dropped it as cancelled after
    /// an `abort`. Counted when the poll returns (a poll in progress is not yet counted).
    pub polls: u64,
    /// Tasks that completed in this worker's polls (returned, panicked or were cancelled).
    pub completed: u64,
    /// Tasks spawned by code running on this worker.
    pub spawned: u64,
    /// Tasks this worker took from other workers' queues.
    pub stolen: u64,
    /// Times this worker, looking for work, went through the other workers' queues
    /// (whether or not it found some).
    pub steal_attempts: u64,
    /// Tasks this worker took from the global queue.
    pub injector_pulls: u64,
    /// Times this worker went to sleep (on its parker or in the park hook).
    pub parks: u64,
    /// Times this worker called the park hook: to wait in it, or to turn it without
    /// waiting (every 61 tasks, and while searching for work).
    pub park_hook_turns: u64,
    /// Tasks in this worker's stealable queue now (not counting its LIFO slot).
    pub local_queue_depth: usize,
}

/// The blocking pool's state (see [`Metrics`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockingMetrics {
    /// Threads running a closure (or starting up to run one).
    pub busy_threads: usize,
    /// Threads waiting for a closure.
    pub idle_threads: usize,
    /// Closures waiting for a thread.
    pub queue_depth: usize,
}

impl fmt::Display for Metrics {
    /// One line for the pool, one per worker.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pool: {} workers, {} tasks spawned, {} alive ({} registered), injector {}, \
             blocking {} busy / {} idle / {} queued",
            self.workers.len(),
            self.tasks_spawned,
            self.tasks_alive,
            self.tasks_registered,
            self.injector_depth,
            self.blocking.busy_threads,
            self.blocking.idle_threads,
            self.blocking.queue_depth,
        )?;
        for (i, w) in self.workers.iter().enumerate() {
            writeln!(
                f,
                "worker {i}: {} polls, {} completed, {} spawned, {} stolen in {} attempts, \
                 {} from injector, {} parks, {} hook turns, queue {}",
                w.polls,
                w.completed,
                w.spawned,
                w.stolen,
                w.steal_attempts,
                w.injector_pulls,
                w.parks,
                w.park_hook_turns,
                w.local_queue_depth,
            )?;
        }
        Ok(())
    }
}
