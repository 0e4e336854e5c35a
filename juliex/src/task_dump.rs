//! The task dump: [`ThreadPool::tasks`](crate::ThreadPool::tasks) lists a pool's live tasks.
//!
//! Which tasks it lists: every task that has returned `Pending` at least once and not
//! completed (the registry that shutdown cancels), every named task from its spawn on (see
//! [`TaskBuilder`](crate::TaskBuilder)), and every task a worker is polling at that moment.
//! Not listed: an unnamed task queued for its first poll (it costs nothing until it runs;
//! [`Metrics::tasks_alive`](crate::Metrics::tasks_alive) counts it), and a finished task
//! whose output waits for its `JoinHandle`. A task leaves the registry before its handle
//! is woken with the output, but may still be listed `Running` for the moment its worker
//! takes to return from the poll that finished it.
//!
//! Cost: the registry's shards are locked one at a time, briefly (each entry is copied);
//! the workers never stop, so a dump of a busy pool is a moving picture: a task may be
//! listed `Scheduled` and be running by the time the list is returned.

use crate::task::TaskId;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// What a listed task is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Woken (or spawned) and waiting in a run queue.
    Scheduled,
    /// Being polled by a worker ([`TaskInfo::worker`] says which, when known).
    Running,
    /// Waiting to be woken: its last poll returned `Pending`.
    Idle,
    /// Completed while the dump was taken (it leaves the list).
    Finished,
}

/// One live task, as listed by [`ThreadPool::tasks`](crate::ThreadPool::tasks).
///
/// ```
/// let pool = juliex::ThreadPool::builder().worker_threads(1).build().unwrap();
/// let (tx, rx) = futures::channel::oneshot::channel::<()>();
/// let handle = pool.spawn(async { rx.await.unwrap() }); // the line the dump names
/// # let line = line!() - 1;
/// // Once the task waits for the message, it is listed as idle, with its spawn site.
/// let task = loop {
///     let tasks = pool.tasks();
///     if let Some(t) = tasks.into_iter().find(|t| t.state == juliex::TaskState::Idle) {
///         break t;
///     }
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// };
/// assert_eq!(task.id, handle.id());
/// assert_eq!((task.location.file(), task.location.line()), (file!(), line));
/// assert_eq!(task.polls, 1);
/// tx.send(()).unwrap();
/// pool.block_on(handle).unwrap();
/// // It leaves the list once its worker is back from the poll that finished it.
/// # let start = std::time::Instant::now();
/// while !pool.tasks().is_empty() {
///     # assert!(start.elapsed() < std::time::Duration::from_secs(60));
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id (also [`JoinHandle::id`](crate::JoinHandle::id)).
    pub id: TaskId,
    /// The name given with [`TaskBuilder::name`](crate::TaskBuilder::name), if any.
    pub name: Option<Arc<str>>,
    /// Where the task was spawned.
    pub location: &'static Location<'static>,
    /// What the task is doing.
    pub state: TaskState,
    /// The worker polling it, for a task seen running on a worker.
    pub worker: Option<usize>,
    /// How many times its future was polled, counting a poll in progress.
    pub polls: u64,
    /// Time since it was spawned (to a few milliseconds: see the pool's coarse clock).
    pub age: Duration,
}

impl fmt::Display for TaskInfo {
    /// `#12 "name" Idle, spawned at src/main.rs:10:5, 3 polls, age 1.2s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        write!(f, " {:?}", self.state)?;
        if let Some(worker) = self.worker {
            write!(f, " on worker {worker}")?;
        }
        write!(
            f,
            ", spawned at {}, {} polls, age {:?}",
            self.location, self.polls, self.age
        )
    }
}
