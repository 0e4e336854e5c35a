//! juliex: a work-stealing executor for futures.
//!
//! - [`spawn`] runs a future on a pool of worker threads and returns a [`JoinHandle`] to
//!   await its output; [`block_on`] runs a future on the current thread;
//!   [`spawn_blocking`] runs a blocking closure on a separate, growable set of threads;
//!   [`yield_now()`] lets other tasks run.
//! - The free functions use the current pool, or a global one started on first use.
//!   [`ThreadPool::builder`] makes a pool with custom settings, including a [`Park`] hook
//!   that lets idle workers wait for I/O in a reactor instead of sleeping.
//!
//! ```
//! let pool = juliex::ThreadPool::builder().worker_threads(2).build().unwrap();
//! let answer = pool.block_on(async {
//!     let handle = juliex::spawn(async { 40 });
//!     let more = juliex::spawn_blocking(|| 2);
//!     handle.await.unwrap() + more.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! # Design
//!
//! A task is one allocation: a header (atomic state word with the reference count, and a
//! vtable) followed by the future, later its output. Its [`Waker`](std::task::Waker) points
//! at the header. Each worker has a local run queue with a LIFO slot in front, and there is
//! one global queue for tasks spawned from other threads. Idle workers steal half of
//! another worker's queue; only half of the workers search at a time, and sleeping workers
//! are woken only when there is work they would find. Panics are caught per task. Dropping
//! a pool stops its workers, drops every unfinished task and lets go of the park hook.
//!
//! juliex never does I/O itself: it pairs with a reactor through the [`Park`] hook.
//!
//! # Seeing inside
//!
//! [`ThreadPool::metrics`] snapshots per-worker counters ([`Metrics`]);
//! [`ThreadPool::tasks`] lists live tasks with their spawn sites ([`TaskInfo`]);
//! [`Builder::on_slow_poll`] starts a watchdog that names a task blocking its worker while
//! it blocks ([`SlowPoll`]); [`TaskBuilder`] names a task.
#![deny(missing_docs)]
// `unsafe` is allowed in one module only: `task::raw`.
#![deny(unsafe_code)]

mod blocking;
mod builder;
mod current_thread;
mod global;
mod metrics;
mod park;
mod pool;
mod scheduler;
mod slow_poll;
mod sync;
mod task;
mod task_builder;
mod task_dump;
mod threads;
mod yield_now;

#[cfg(loom)]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod loom_harness;

pub use builder::Builder;
pub use global::{block_on, spawn, spawn_blocking};
pub use metrics::{BlockingMetrics, Metrics, WorkerMetrics};
pub use park::Park;
pub use pool::ThreadPool;
pub use slow_poll::SlowPoll;
pub use task::{JoinError, JoinHandle, TaskId};
pub use task_builder::TaskBuilder;
pub use task_dump::{TaskInfo, TaskState};
pub use yield_now::{YieldNow, yield_now};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
