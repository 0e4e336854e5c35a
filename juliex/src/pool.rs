//! The thread pool handle.

use crate::builder::Builder;
use crate::metrics::Metrics;
use crate::scheduler::Shared;
use crate::scheduler::context::{self, Context};
use crate::task::JoinHandle;
use crate::task_dump::TaskInfo;
use futures_task::{FutureObj, Spawn, SpawnError};
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;

/// A work-stealing pool of worker threads that run futures.
///
/// Each worker has its own run queue; idle workers steal from busy ones. Futures spawned
/// with [`spawn`](ThreadPool::spawn) run on the workers; closures that block go to
/// [`spawn_blocking`](ThreadPool::spawn_blocking)'s separate threads.
///
/// Dropping the pool (or calling [`shutdown`](ThreadPool::shutdown)) stops the workers,
/// waits for them, and drops every task that had not finished (their handles then report
/// [`JoinError::is_cancelled`](crate::JoinError::is_cancelled)).
///
/// ```
/// let pool = juliex::ThreadPool::new();
/// let sum = pool.block_on(async {
///     let handles: Vec<_> = (0..10u64).map(|i| juliex::spawn(async move { i * i })).collect();
///     let mut sum = 0;
///     for h in handles {
///         sum += h.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 285);
/// ```
pub struct ThreadPool {
    shared: Arc<Shared>,
}

impl ThreadPool {
    /// A pool with default settings: one worker per CPU.
    ///
    /// # Panics
    /// If the worker threads cannot be started; use [`ThreadPool::builder`] to handle that.
    #[track_caller]
    pub fn new() -> ThreadPool {
        Builder::new()
            .build()
            .unwrap_or_else(|e| panic!("juliex: cannot start the pool's threads: {e}"))
    }

    /// A builder to configure the pool.
    ///
    /// ```
    /// let pool = juliex::ThreadPool::builder()
    ///     .worker_threads(2)
    ///     .thread_name("app-worker")
    ///     .max_blocking_threads(64)
    ///     .build()
    ///     .expect("start the pool");
    /// assert_eq!(pool.num_workers(), 2);
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        ThreadPool { shared }
    }

    /// The shared state.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Runs `future` on the pool. On a worker of this pool it is queued locally (it runs
    /// next); from anywhere else it goes through the global queue. After shutdown the task
    /// is dropped and its handle reports it cancelled. The call site is recorded as the
    /// task's spawn location.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, Location::caller(), None)
    }

    /// Runs the blocking closure `f` on the pool's blocking threads.
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.spawn_blocking(f, Location::caller())
    }

    /// Runs `future` to completion on the current thread. While it runs,
    /// [`juliex::spawn`](crate::spawn) and [`juliex::spawn_blocking`](crate::spawn_blocking)
    /// use this pool.
    ///
    /// # Panics
    /// If called from inside a juliex task, of this pool or another: it would block a worker
    /// thread, and with one worker wait forever for a task that worker should run. Blocking
    /// closures ([`spawn_blocking`](ThreadPool::spawn_blocking)) may call it.
    ///
    /// ```
    /// let pool = std::sync::Arc::new(juliex::ThreadPool::builder().worker_threads(1).build().unwrap());
    /// let inner = pool.clone();
    /// let err = pool.block_on(pool.spawn(async move { inner.block_on(async { 1 }) }));
    /// assert!(err.unwrap_err().is_panic());
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Before entering our context, which would hide that this is a worker thread.
        crate::current_thread::assert_not_on_worker();
        let _guard = context::enter(Rc::new(Context {
            shared: self.shared.clone(),
            worker: None,
        }));
        crate::current_thread::block_on(future)
    }

    /// Stops the workers, waits for them to exit, drops every unfinished task, and waits
    /// for running blocking jobs. The park hook is dropped too, even while join handles or
    /// wakers of the pool's tasks live (a reactor driver in the hook detaches). Later spawns are cancelled at once. Calling it again does
    /// nothing. Called from one of the pool's own tasks, it cannot wait for that task's
    /// worker, which exits when the task's poll returns.
    pub fn shutdown(&self) {
        self.shared.shutdown();
    }

    /// Number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.shared.workers()
    }

    /// Number of tasks that are waiting to be woken: they returned `Pending` at least once
    /// and have not finished. (Queued and running tasks are not counted.)
    pub fn idle_tasks(&self) -> usize {
        self.shared.idle_tasks()
    }

    /// A snapshot of the pool's counters: per worker (polls, steals, injector pulls, parks,
    /// park-hook turns, queue depth) and for the pool (tasks spawned and alive, injector
    /// depth, blocking threads). Cheap: it reads a few words per worker and locks the
    /// registry's shards and the blocking pool's queue briefly. See [`Metrics`] for what
    /// each number means and how consistent a snapshot is.
    ///
    /// ```
    /// let pool = juliex::ThreadPool::builder().worker_threads(2).build().unwrap();
    /// pool.block_on(pool.spawn(async {})).unwrap();
    /// let m = pool.metrics();
    /// assert_eq!(m.tasks_spawned, 1);
    /// println!("{m}");
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }

    /// Lists the pool's live tasks: id, name, spawn location, state, polls and age. It
    /// locks the registry's shards one at a time, briefly, and never stops the workers. See
    /// [`TaskInfo`] for an example and [`crate::TaskState`] for the states; which tasks are
    /// listed: every task that has waited at least once, every named task, and every task
    /// being polled now (an unnamed task queued for its first poll is counted by
    /// [`Metrics::tasks_alive`] but not listed).
    pub fn tasks(&self) -> Vec<TaskInfo> {
        self.shared.tasks()
    }
}

impl Default for ThreadPool {
    fn default() -> Self {
        ThreadPool::new()
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.fmt(f)
    }
}

/// Spawns detached tasks (for code written against `futures::task::Spawn`). Also usable
/// through `&ThreadPool`.
impl Spawn for ThreadPool {
    #[track_caller]
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        self.status()?;
        drop(self.shared.spawn(future, Location::caller(), None));
        Ok(())
    }

    fn status(&self) -> Result<(), SpawnError> {
        if self.shared.is_shutdown() {
            Err(SpawnError::shutdown())
        } else {
            Ok(())
        }
    }
}
