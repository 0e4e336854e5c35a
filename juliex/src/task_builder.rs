//! Spawning a task with a name: [`TaskBuilder`].

use crate::global;
use crate::pool::ThreadPool;
use crate::task::JoinHandle;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

/// Spawns a task with a name, shown by [`ThreadPool::tasks`] and in slow-poll reports
/// ([`SlowPoll`](crate::SlowPoll)).
///
/// Every task is known by its id and spawn location anyway (`spawn` records its call site
/// with `#[track_caller]`, at the cost of one word in the task); a name is for telling
/// apart tasks spawned at one place, e.g. one per connection. A named task costs a little
/// more to spawn than an unnamed one: its name is shared (an `Arc<str>`), and it is
/// entered in the pool's task registry at spawn (a briefly locked, per-worker shard), so
/// that the task dump lists it even before its first poll.
///
/// ```
/// let pool = juliex::ThreadPool::builder().worker_threads(1).build().unwrap();
/// let (tx, rx) = futures::channel::oneshot::channel::<()>();
/// let handle = juliex::TaskBuilder::new()
///     .name("waiter")
///     .spawn_on(&pool, async { rx.await.unwrap() });
/// let listed = pool.tasks();
/// assert_eq!(listed.len(), 1, "a named task is listed from its spawn on");
/// assert_eq!(listed[0].name.as_deref(), Some("waiter"));
/// assert_eq!(listed[0].id, handle.id());
/// tx.send(()).unwrap();
/// pool.block_on(handle).unwrap();
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a task builder does nothing until `spawn` or `spawn_on` is called"]
pub struct TaskBuilder {
    name: Option<Arc<str>>,
}

impl TaskBuilder {
    /// A builder for a task without a name.
    pub fn new() -> Self {
        TaskBuilder::default()
    }

    /// Names the task.
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Spawns `future` like [`juliex::spawn`](crate::spawn): on the current pool, or the
    /// global one.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        global::spawn_at(future, Location::caller(), self.name)
    }

    /// Spawns `future` on `pool`, like [`ThreadPool::spawn`].
    #[track_caller]
    pub fn spawn_on<F>(self, pool: &ThreadPool, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        pool.shared().spawn(future, Location::caller(), self.name)
    }
}
