//! The work-stealing scheduler: the state shared by a pool's workers and every handle to it.
//!
//! Where tasks go:
//! - spawned or woken **on a worker of the pool**: that worker's LIFO slot (the previous
//!   occupant moves to the back of its local queue);
//! - spawned or woken **anywhere else**: the global injector queue;
//! - a task that woke itself while running (a yield): the back of the local queue.
//!
//! Who is woken: see [`idle`]. Workers find work in this order: every 61st task the
//! injector (so remote spawns are never starved by a busy local queue), the LIFO slot (at
//! most 3 times in a row, so it cannot starve the queue behind it), the local queue, the
//! injector, then (as one of the bounded searchers) other workers' queues, half at a time.

pub(crate) mod clock;
pub(crate) mod context;
pub(crate) mod counters;
pub(crate) mod idle;
pub(crate) mod local;
pub(crate) mod registry;
pub(crate) mod watchdog;
pub(crate) mod worker;

use crate::blocking::BlockingPool;
use crate::metrics::{Metrics, WorkerMetrics};
use crate::park::Park;
use crate::task::{self, JoinHandle, Notified, Schedule, TaskMeta, TaskRef};
use crate::task_dump::{TaskInfo, TaskState};
use clock::Clock;
use context::Context;
use counters::WorkerCounters;
use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::Unparker;
use idle::Idle;
use registry::Registry;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*, fence};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

/// How a sleeping worker is woken.
pub(crate) struct Signal {
    pub(crate) unparker: Unparker,
    /// Set while the worker sleeps in (or is about to enter) the park hook.
    pub(crate) in_hook: AtomicBool,
}

/// Everything a pool's threads and handles share. Tasks hold an `Arc` to it (their
/// scheduler), so it lives as long as any task, waker or handle of the pool; what must not
/// live that long (the park hook) is let go at shutdown.
pub(crate) struct Shared {
    pub(crate) injector: Injector<Notified>,
    pub(crate) stealers: Box<[Stealer<Notified>]>,
    pub(crate) signals: Box<[Signal]>,
    /// Written whenever workers park or start/stop searching: kept off the cache line of the
    /// read-mostly fields around it.
    pub(crate) idle: CachePadded<Idle>,
    registry: Registry,
    /// One per worker, each on a cache line of its own, written only by its worker (which
    /// holds a clone, to reach its own without indexing).
    pub(crate) counters: Box<[Arc<CachePadded<WorkerCounters>>]>,
    /// Tasks spawned from threads that are not workers (already a shared path: the
    /// injector).
    remote_spawns: CachePadded<AtomicU64>,
    /// Milliseconds since the pool started, to date spawns and polls.
    pub(crate) clock: Clock,
    /// The park hook, taken out at shutdown: it typically holds a reactor's driver, which
    /// must detach when the pool is gone, however long its handles and wakers live. Workers
    /// keep their own clone (no lock on their paths); this one serves wake-ups from other
    /// threads, which clone it under the lock and call it after releasing the lock.
    park: Mutex<Option<Arc<dyn Park>>>,
    shutdown: AtomicBool,
    pub(crate) blocking: BlockingPool,
    pub(crate) threads: Mutex<Vec<thread::JoinHandle<()>>>,
    /// The slow-poll watchdog's thread, if one was asked for; joined at shutdown.
    pub(crate) watchdog: Mutex<Option<thread::JoinHandle<()>>>,
    /// Rounds that searching workers spun without finding work (unit tests count them).
    #[cfg(test)]
    pub(crate) spin_rounds: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        stealers: Vec<Stealer<Notified>>,
        signals: Vec<Signal>,
        park: Option<Arc<dyn Park>>,
        blocking: BlockingPool,
    ) -> Self {
        let workers = stealers.len();
        Shared {
            injector: Injector::new(),
            stealers: stealers.into(),
            signals: signals.into(),
            idle: CachePadded::new(Idle::new(workers)),
            registry: Registry::new(workers),
            counters: (0..workers).map(|_| Arc::default()).collect(),
            remote_spawns: CachePadded::new(AtomicU64::new(0)),
            clock: Clock::new(),
            park: Mutex::new(park),
            shutdown: AtomicBool::new(false),
            blocking,
            threads: Mutex::new(Vec::new()),
            watchdog: Mutex::new(None),
            #[cfg(test)]
            spin_rounds: AtomicUsize::new(0),
        }
    }

    pub(crate) fn workers(&self) -> usize {
        self.stealers.len()
    }

    #[inline]
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    /// Spawns `future` on this pool; `location` is where the user called spawn.
    pub(crate) fn spawn<F>(
        self: &Arc<Self>,
        future: F,
        location: &'static Location<'static>,
        name: Option<Arc<str>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Nobody advances the clock of an idle pool: then read the real one.
        let spawned_ms = if self.idle.none_awake() {
            self.clock.advance()
        } else {
            self.clock.spawn_ms()
        };
        let named = name.is_some();
        let meta = TaskMeta::new(location, name, spawned_ms);
        let (notified, handle) = task::new_task(future, self.clone(), meta);
        if self.is_shutdown() {
            // The task never runs: dropping its only queue entry cancels it.
            drop(notified);
            return handle;
        }
        // A named task is listed from its spawn on.
        if named && let Err(rejected) = self.register(notified.task_ref()) {
            drop(rejected);
            drop(notified);
            return handle;
        }
        let remote = context::with_worker(self, |local| match local {
            Some(local) => {
                local.counters.spawned.bump();
                local.push(notified, self);
                None
            }
            None => Some(notified),
        });
        if let Some(notified) = remote {
            self.remote_spawns.fetch_add(1, Relaxed);
            self.push_remote(notified);
        }
        handle
    }

    /// Runs the blocking closure `f` on this pool's blocking threads, with this pool as the
    /// current one (so that `juliex::spawn` inside `f` spawns here).
    pub(crate) fn spawn_blocking<F, R>(
        self: &Arc<Self>,
        f: F,
        location: &'static Location<'static>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // Weak: a queued job must not keep its own pool alive. The pool outlives every job
        // that runs (shutdown waits for them), so the upgrade fails only in a job that
        // outlives a shutdown called from inside it.
        let pool = Arc::downgrade(self);
        let meta = TaskMeta::new(location, None, self.clock.coarse_ms());
        self.blocking.spawn(meta, move || {
            let _guard = pool.upgrade().map(|shared| {
                context::enter(Rc::new(Context {
                    shared,
                    worker: None,
                }))
            });
            f()
        })
    }

    /// The park hook, if there is one and the pool is not shut down.
    pub(crate) fn hook(&self) -> Option<Arc<dyn Park>> {
        self.park
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Queues a task from a thread that is not one of our workers.
    pub(crate) fn push_remote(&self, task: Notified) {
        if self.is_shutdown() {
            // Cancels the task.
            drop(task);
            return;
        }
        self.injector.push(task);
        // Either shutdown's drain sees our push, or we see its flag and drain ourselves.
        fence(SeqCst);
        if self.shutdown.load(SeqCst) {
            self.drain_injector();
            return;
        }
        // The fence above also orders the push before this read of the counts.
        if self.idle.should_wake_relaxed() {
            self.wake_sleeper();
        }
    }

    /// Wakes a sleeping worker, unless one is searching already or none sleeps.
    #[inline]
    pub(crate) fn notify_one(&self) {
        if self.idle.should_wake() {
            self.wake_sleeper();
        }
    }

    /// Wakes a sleeping worker (the caller saw that one should be woken).
    fn wake_sleeper(&self) {
        // Prefer a worker that is not in the park hook: the hook's thread keeps waiting for
        // I/O, and an ordinary sleeper is as good for running tasks.
        let in_hook = |w: usize| !self.signals[w].in_hook.load(Relaxed);
        if let Some(worker) = self.idle.wake_one(in_hook) {
            self.unpark(worker);
        }
    }

    /// [`Shared::notify_one`] without the fence, for a worker that pushed onto its own
    /// queue when the queue was non-empty already (the push that made it non-empty was
    /// fenced). A skipped wake-up could only cost latency, never a hang: the worker runs
    /// its own queue.
    #[inline]
    pub(crate) fn notify_one_local(&self) {
        if self.idle.should_wake_relaxed() {
            self.wake_sleeper();
        }
    }

    fn unpark(&self, worker: usize) {
        let signal = &self.signals[worker];
        if signal.in_hook.load(SeqCst)
            && let Some(park) = self.hook()
        {
            park.unpark();
        }
        // Also when it was in the hook: it may have been refused by a busy hook and be
        // about to sleep on its parker instead.
        signal.unparker.unpark();
    }

    /// Is there work that a worker going to sleep should stay up for? The injector, or
    /// any task in another worker's stealable queue: it waits behind at least the task that
    /// worker runs now (which may compute for long) and usually its LIFO slot. At worst a
    /// queued task that was its owner's next job moves to the thief.
    pub(crate) fn has_surplus(&self, except: usize) -> bool {
        !self.injector.is_empty()
            || self
                .stealers
                .iter()
                .enumerate()
                .any(|(i, s)| i != except && !s.is_empty())
    }

    fn drain_injector(&self) {
        while !self.injector.is_empty() {
            drop(self.injector.steal().success());
        }
    }

    /// Stops the workers and drops every unfinished task. Idempotent.
    pub(crate) fn shutdown(&self) {
        if self.shutdown.swap(true, SeqCst) {
            return;
        }
        for worker in self.idle.wake_all() {
            self.unpark(worker);
        }
        for worker in 0..self.workers() {
            self.unpark(worker);
        }
        let threads =
            std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        let me = thread::current().id();
        for handle in threads {
            // A pool dropped from one of its own tasks cannot wait for that worker; it exits
            // once the task's poll returns.
            if handle.thread().id() != me {
                let _ = handle.join();
            }
        }
        // Dropping queue entries cancels their tasks.
        self.drain_injector();
        for stealer in self.stealers.iter() {
            while !stealer.is_empty() {
                drop(stealer.steal().success());
            }
        }
        for task in self.registry.close() {
            task.shutdown();
        }
        self.blocking.shutdown();
        let watchdog = self
            .watchdog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(watchdog) = watchdog {
            // It sees the shutdown flag when it wakes.
            watchdog.thread().unpark();
            if watchdog.thread().id() != me {
                let _ = watchdog.join();
            }
        }
        // The workers have exited, dropping their clones (except one that runs this
        // shutdown, which drops its clone when it exits); a wake-up racing with us may hold
        // another for the length of its `unpark` call. Dropped outside the lock: it is user
        // code.
        let hook = self
            .park
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(hook);
    }

    /// Number of tasks waiting to be woken (registered).
    pub(crate) fn idle_tasks(&self) -> usize {
        self.registry.len()
    }

    /// A snapshot of the counters (see [`Metrics`]).
    pub(crate) fn metrics(&self) -> Metrics {
        let workers: Vec<WorkerMetrics> = self
            .counters
            .iter()
            .zip(self.stealers.iter())
            .map(|(c, stealer)| WorkerMetrics {
                polls: c.polls(),
                completed: c.completed.get(),
                spawned: c.spawned.get(),
                stolen: c.stolen.get(),
                steal_attempts: c.steal_attempts.get(),
                injector_pulls: c.injector_pulls.get(),
                parks: c.parks.get(),
                park_hook_turns: c.hook_turns.get(),
                local_queue_depth: stealer.len(),
            })
            .collect();
        let spawned =
            self.remote_spawns.load(Relaxed) + workers.iter().map(|w| w.spawned).sum::<u64>();
        let completed: u64 = workers.iter().map(|w| w.completed).sum();
        Metrics {
            workers,
            tasks_spawned: spawned,
            // Before shutdown every task completes on a worker; shutdown drops the rest.
            tasks_alive: if self.is_shutdown() {
                0
            } else {
                spawned.saturating_sub(completed)
            },
            tasks_registered: self.registry.len(),
            injector_depth: self.injector.len(),
            blocking: self.blocking.metrics(),
        }
    }

    /// The live tasks (see [`crate::task_dump`]).
    pub(crate) fn tasks(&self) -> Vec<TaskInfo> {
        // The polls in progress first: a task seen running is listed with its worker.
        let now_ms = self.clock.advance();
        let running: Vec<(usize, counters::CurrentPoll)> = self
            .counters
            .iter()
            .enumerate()
            .filter_map(|(w, c)| Some((w, c.current()?)))
            .collect();
        let age =
            |spawned_ms: u64| std::time::Duration::from_millis(now_ms.saturating_sub(spawned_ms));
        let mut tasks = Vec::new();
        self.registry.for_each(|task| {
            let meta = task.meta();
            let (state, polls) = task.progress();
            let state = if state.is_complete() {
                TaskState::Finished
            } else if state.is_running() {
                TaskState::Running
            } else if state.is_scheduled() {
                TaskState::Scheduled
            } else {
                TaskState::Idle
            };
            let worker = running
                .iter()
                .find(|(_, p)| p.id == meta.id)
                .map(|(w, _)| *w);
            tasks.push(TaskInfo {
                id: meta.id,
                name: meta.name.clone(),
                location: meta.location,
                state,
                worker,
                polls,
                age: age(meta.spawned_ms),
            });
        });
        // Polls of tasks the registry does not hold yet: unnamed tasks in their first poll.
        for (worker, poll) in running {
            if !tasks.iter().any(|t| t.id == poll.id) {
                tasks.push(TaskInfo {
                    id: poll.id,
                    name: None,
                    location: poll.location,
                    state: TaskState::Running,
                    worker: Some(worker),
                    polls: 1,
                    age: age(poll.spawned_ms),
                });
            }
        }
        tasks.sort_by_key(|t| t.id);
        tasks
    }

    /// The name of task `id`, if it is registered (every named task is, while it lives).
    pub(crate) fn task_name(&self, id: task::TaskId) -> Option<Arc<str>> {
        let mut name = None;
        self.registry.for_each(|task| {
            if task.meta().id == id {
                name = task.meta().name.clone();
            }
        });
        name
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        let remote = context::with_worker(self, |local| match local {
            Some(local) => {
                local.push(task, self);
                None
            }
            None => Some(task),
        });
        if let Some(task) = remote {
            self.push_remote(task);
        }
    }

    fn register(&self, task: TaskRef) -> Result<(), TaskRef> {
        // Tasks are polled (and so registered) on workers: each uses its own shard.
        let hint = context::with_worker(self, |local| {
            local.map_or_else(|| self.workers() + outside_hint(), |l| l.index)
        });
        self.registry.insert(hint, task)
    }

    fn release(&self, key: usize) -> Option<TaskRef> {
        self.registry.remove(key)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers())
            .field("injector_len", &self.injector.len())
            .field("idle_tasks", &self.idle_tasks())
            .field("shutdown", &self.is_shutdown())
            .finish_non_exhaustive()
    }
}

/// Spreads threads that are not workers over the registry's shards (after the workers' own).
fn outside_hint() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static HINT: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    HINT.try_with(|h| {
        if h.get() == usize::MAX {
            h.set(NEXT.fetch_add(1, Relaxed));
        }
        h.get()
    })
    .unwrap_or(0)
}
