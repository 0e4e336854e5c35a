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

pub(crate) mod context;
pub(crate) mod idle;
pub(crate) mod local;
pub(crate) mod registry;
pub(crate) mod worker;

use crate::blocking::BlockingPool;
use crate::park::Park;
use crate::task::{self, JoinHandle, Notified, Schedule, TaskRef};
use context::Context;
use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::Unparker;
use idle::Idle;
use registry::Registry;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*, fence};
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
    /// The park hook, taken out at shutdown: it typically holds a reactor's driver, which
    /// must detach when the pool is gone, however long its handles and wakers live. Workers
    /// keep their own clone (no lock on their paths); this one serves wake-ups from other
    /// threads, which clone it under the lock and call it after releasing the lock.
    park: Mutex<Option<Arc<dyn Park>>>,
    shutdown: AtomicBool,
    pub(crate) blocking: BlockingPool,
    pub(crate) threads: Mutex<Vec<thread::JoinHandle<()>>>,
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
            park: Mutex::new(park),
            shutdown: AtomicBool::new(false),
            blocking,
            threads: Mutex::new(Vec::new()),
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

    /// Spawns `future` on this pool.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, handle) = task::new_task(future, self.clone());
        if self.is_shutdown() {
            // The task never runs: dropping its only queue entry cancels it.
            drop(notified);
        } else {
            self.schedule(notified);
        }
        handle
    }

    /// Runs the blocking closure `f` on this pool's blocking threads, with this pool as the
    /// current one (so that `juliex::spawn` inside `f` spawns here).
    pub(crate) fn spawn_blocking<F, R>(self: &Arc<Self>, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // Weak: a queued job must not keep its own pool alive. The pool outlives every job
        // that runs (shutdown waits for them), so the upgrade fails only in a job that
        // outlives a shutdown called from inside it.
        let pool = Arc::downgrade(self);
        self.blocking.spawn(move || {
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
