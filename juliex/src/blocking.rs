//! The blocking pool: a growable set of threads for closures that block, so that they never
//! stall a worker.
//!
//! A closure becomes a task (so it gets a [`JoinHandle`] like any other) whose scheduler is
//! this pool. Jobs run in FIFO order.
//!
//! Wake-ups are chained: at most one thread is being woken (or started) at a time. The woken
//! thread takes a job and, if more are queued, wakes (or starts) the next thread before it
//! runs its job. A burst of short jobs is thus run by the few threads that are awake, not
//! by one new thread per job, while a burst of long, blocking jobs still gets one thread per
//! job within one wake-up latency per job. Threads idle for the keep-alive time exit.
//!
//! Shutdown cancels queued jobs and waits for running ones to return.

use crate::metrics::BlockingMetrics;
use crate::task::{self, JoinHandle, Notified, Schedule, TaskMeta, TaskRef};
use crate::threads::ThreadConfig;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

/// Default for [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads).
pub(crate) const DEFAULT_MAX_THREADS: usize = 512;
/// Default for [`Builder::blocking_keep_alive`](crate::Builder::blocking_keep_alive).
pub(crate) const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);

pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    condvar: Condvar,
    threads: ThreadConfig,
    max_threads: usize,
    keep_alive: Duration,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Notified>,
    /// Threads waiting on the condvar.
    idle: usize,
    /// A thread is being woken or started and has not taken the lock yet.
    wake_pending: bool,
    /// A condvar notification that no thread has consumed yet.
    notify_token: bool,
    /// Running threads.
    threads: usize,
    next_id: usize,
    handles: HashMap<usize, thread::JoinHandle<()>>,
    shutdown: bool,
}

/// What to do, after unlocking, to get a thread for the queued jobs.
enum Wake {
    Nothing,
    Notify,
    Start(usize),
}

/// The scheduler of blocking tasks: they run once, on a blocking thread.
#[derive(Clone)]
struct BlockingSchedule(Arc<Inner>);

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified) {
        self.0.push(task);
    }

    /// Never called: a blocking task finishes in its first poll.
    fn register(&self, task: TaskRef) -> Result<(), TaskRef> {
        Err(task)
    }

    fn release(&self, _key: usize) -> Option<TaskRef> {
        None
    }
}

/// Runs the closure on its first poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("a blocking task runs once");
        Poll::Ready(f())
    }
}

impl BlockingPool {
    pub(crate) fn new(threads: ThreadConfig, max_threads: usize, keep_alive: Duration) -> Self {
        let inner = Inner {
            state: Mutex::default(),
            condvar: Condvar::new(),
            threads,
            max_threads,
            keep_alive,
        };
        BlockingPool {
            inner: Arc::new(inner),
        }
    }

    pub(crate) fn spawn<F, R>(&self, meta: TaskMeta, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (notified, handle) = task::new_task(
            BlockingTask(Some(f)),
            BlockingSchedule(self.inner.clone()),
            meta,
        );
        self.inner.push(notified);
        handle
    }

    /// Busy and idle threads and queued jobs, read under the lock.
    pub(crate) fn metrics(&self) -> BlockingMetrics {
        let state = self.inner.lock();
        BlockingMetrics {
            busy_threads: state.threads - state.idle,
            idle_threads: state.idle,
            queue_depth: state.queue.len(),
        }
    }

    /// Cancels queued jobs, lets idle threads exit and joins every thread.
    pub(crate) fn shutdown(&self) {
        let (queued, handles) = {
            let mut state = self.inner.lock();
            state.shutdown = true;
            let queued = std::mem::take(&mut state.queue);
            let handles = std::mem::take(&mut state.handles);
            (queued, handles)
        };
        self.inner.condvar.notify_all();
        // Dropping the queue entries cancels the jobs.
        drop(queued);
        let me = thread::current().id();
        for (_, handle) in handles {
            if handle.thread().id() != me {
                let _ = handle.join();
            }
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(self: &Arc<Self>, task: Notified) {
        let mut state = self.lock();
        if state.shutdown {
            drop(state);
            // Cancels the job.
            drop(task);
            return;
        }
        state.queue.push_back(task);
        let wake = self.wake_more(&mut state);
        drop(state);
        self.do_wake(wake);
    }

    /// Decides how to get another thread for the queue, unless one is on its way already.
    fn wake_more(&self, state: &mut State) -> Wake {
        if state.wake_pending || state.queue.is_empty() {
            return Wake::Nothing;
        }
        if state.idle > 0 {
            state.wake_pending = true;
            state.notify_token = true;
            Wake::Notify
        } else if state.threads < self.max_threads {
            state.wake_pending = true;
            state.threads += 1;
            state.next_id += 1;
            Wake::Start(state.next_id)
        } else {
            // At the limit: a busy thread takes the job when it is done.
            Wake::Nothing
        }
    }

    fn do_wake(self: &Arc<Self>, wake: Wake) {
        match wake {
            Wake::Nothing => {}
            Wake::Notify => self.condvar.notify_one(),
            Wake::Start(id) => {
                let inner = self.clone();
                let started = self.threads.spawn(move || inner.run(id));
                let mut state = self.lock();
                match started {
                    // Shut down meanwhile: the thread exits at once; wait for it here.
                    Ok(handle) if state.shutdown => {
                        drop(state);
                        let _ = handle.join();
                    }
                    Ok(handle) => {
                        state.handles.insert(id, handle);
                    }
                    Err(_) => {
                        // Jobs stay queued for the threads that exist, or the next push.
                        state.threads -= 1;
                        state.wake_pending = false;
                    }
                }
            }
        }
    }

    fn run(self: &Arc<Self>, id: usize) {
        let mut state = self.lock();
        // We were the pending wake-up.
        state.wake_pending = false;
        loop {
            if let Some(task) = state.queue.pop_front() {
                let wake = self.wake_more(&mut state);
                drop(state);
                self.do_wake(wake);
                // A blocking task never asks to be polled again.
                let _ = task.run();
                state = self.lock();
                continue;
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            let (guard, timeout) = self
                .condvar
                .wait_timeout(state, self.keep_alive)
                .unwrap_or_else(PoisonError::into_inner);
            state = guard;
            state.idle -= 1;
            if std::mem::take(&mut state.notify_token) {
                state.wake_pending = false;
            } else if timeout.timed_out() && state.queue.is_empty() && !state.shutdown {
                // Idle for the whole keep-alive time: exit (detaching our own handle).
                drop(state.handles.remove(&id));
                break;
            }
        }
        state.threads -= 1;
    }
}
