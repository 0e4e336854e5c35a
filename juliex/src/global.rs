//! The free functions: they use the current pool (inside a pool's task or `block_on`) or
//! a global pool, started on first use with default settings and never shut down.

use crate::pool::ThreadPool;
use crate::scheduler::context;
use crate::task::JoinHandle;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, OnceLock};

fn global() -> &'static ThreadPool {
    static GLOBAL: OnceLock<ThreadPool> = OnceLock::new();
    GLOBAL.get_or_init(ThreadPool::new)
}

/// Spawns `future` on the current pool: the one whose task or
/// [`block_on`](ThreadPool::block_on) is running on this thread, otherwise the global pool.
///
/// The call site is recorded as the task's spawn location (see
/// [`ThreadPool::tasks`](crate::ThreadPool::tasks)); [`TaskBuilder`](crate::TaskBuilder)
/// also gives it a name.
///
/// ```
/// let handle = juliex::spawn(async { "hello" });
/// assert_eq!(juliex::block_on(handle).unwrap(), "hello");
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_at(future, Location::caller(), None)
}

/// [`spawn`] with the spawn location and name given.
pub(crate) fn spawn_at<F>(
    future: F,
    location: &'static Location<'static>,
    name: Option<Arc<str>>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::current_pool() {
        Some(shared) => shared.spawn(future, location, name),
        None => global().shared().spawn(future, location, name),
    }
}

/// Runs the blocking closure `f` on the current pool's blocking threads (see [`spawn`]
/// for which pool).
///
/// ```
/// let handle = juliex::spawn_blocking(|| std::fs::metadata(".").is_ok());
/// assert!(juliex::block_on(handle).unwrap());
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match context::current_pool() {
        Some(shared) => shared.spawn_blocking(f, Location::caller()),
        None => global().shared().spawn_blocking(f, Location::caller()),
    }
}

/// Runs `future` to completion on the current thread, sleeping while it waits. Tasks it
/// spawns with [`spawn`] go to the current pool or the global one; use
/// [`ThreadPool::block_on`] to pick a pool.
///
/// ```
/// let v = juliex::block_on(async {
///     let a = juliex::spawn(async { 20 });
///     let b = juliex::spawn(async { 22 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(v, 42);
/// ```
///
/// # Panics
/// If called from inside a juliex task (it would block a worker thread).
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    crate::current_thread::block_on(future)
}
