//! Configuring a [`ThreadPool`].

use crate::blocking::{self, BlockingPool};
use crate::park::Park;
use crate::pool::ThreadPool;
use crate::scheduler::{Shared, Signal, watchdog, worker};
use crate::slow_poll::SlowPoll;
use crate::threads::{Callback, ThreadConfig};
use crossbeam_deque::Worker as Deque;
use crossbeam_utils::sync::Parker;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

/// Builds a [`ThreadPool`] with custom settings.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let started = Arc::new(AtomicUsize::new(0));
/// let counter = started.clone();
/// let pool = juliex::ThreadPool::builder()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .on_thread_start(move || { counter.fetch_add(1, Ordering::SeqCst); })
///     .build()
///     .unwrap();
/// assert_eq!(pool.block_on(pool.spawn(async { 1 + 1 })).unwrap(), 2);
/// drop(pool);
/// assert_eq!(started.load(Ordering::SeqCst), 2);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder {
    worker_threads: usize,
    threads: ThreadConfig,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    park: Option<Box<dyn Park>>,
    slow_poll: Option<watchdog::Config>,
}

impl Builder {
    pub(crate) fn new() -> Self {
        Builder {
            worker_threads: num_cpus::get().max(1),
            threads: ThreadConfig {
                name: Arc::new(|| {
                    static N: AtomicUsize = AtomicUsize::new(0);
                    format!("juliex-{}", N.fetch_add(1, Relaxed))
                }),
                stack_size: None,
                on_start: None,
                on_stop: None,
            },
            max_blocking_threads: blocking::DEFAULT_MAX_THREADS,
            blocking_keep_alive: blocking::DEFAULT_KEEP_ALIVE,
            park: None,
            slow_poll: None,
        }
    }

    /// Number of worker threads (default: the number of CPUs).
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn worker_threads(mut self, n: usize) -> Self {
        assert!(
            n > 0,
            "a juliex pool needs at least one worker thread: pass 1 or more to `worker_threads`"
        );
        self.worker_threads = n;
        self
    }

    /// Names every thread of the pool (workers and blocking threads) `name`.
    pub fn thread_name(self, name: impl Into<String>) -> Self {
        let name: String = name.into();
        self.thread_name_fn(move || name.clone())
    }

    /// Names each new thread of the pool with what `f` returns.
    pub fn thread_name_fn(mut self, f: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.threads.name = Arc::new(f);
        self
    }

    /// Stack size in bytes of every thread of the pool (default: the platform's, see
    /// [`std::thread::Builder::stack_size`]).
    pub fn thread_stack_size(mut self, bytes: usize) -> Self {
        self.threads.stack_size = Some(bytes);
        self
    }

    /// Runs `f` on every thread of the pool (workers and blocking threads) when it starts.
    pub fn on_thread_start(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.threads.on_start = Some(Arc::new(f) as Callback);
        self
    }

    /// Runs `f` on every thread of the pool (workers and blocking threads) when it stops.
    pub fn on_thread_stop(mut self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.threads.on_stop = Some(Arc::new(f) as Callback);
        self
    }

    /// The most threads the blocking pool starts (default 512); further
    /// [`spawn_blocking`](ThreadPool::spawn_blocking) jobs wait for a free one.
    ///
    /// # Panics
    /// If `n` is 0.
    #[track_caller]
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        assert!(
            n > 0,
            "the blocking pool needs at least one thread: pass 1 or more to `max_blocking_threads`"
        );
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking thread waits for a job before it exits (default 10 s).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Self {
        self.blocking_keep_alive = keep_alive;
        self
    }

    /// Sets the park hook from two closures: `park(timeout)` waits in the hook for at most
    /// `timeout` (`None`: until `unpark`) and returns `true`, or returns `false` at once if
    /// another thread is in it; `unpark()` wakes the thread inside `park`. See [`Park`] for
    /// the contract.
    ///
    /// ```
    /// use std::sync::{Arc, Condvar, Mutex};
    /// use std::time::Duration;
    ///
    /// // A hook that just sleeps on a condvar (a reactor would wait for I/O instead).
    /// let state = Arc::new((Mutex::new(false), Condvar::new()));
    /// let (p, u) = (state.clone(), state.clone());
    /// let pool = juliex::ThreadPool::builder()
    ///     .worker_threads(1)
    ///     .park_hook(
    ///         move |timeout| {
    ///             let (lock, cvar) = &*p;
    ///             let mut woken = lock.lock().unwrap();
    ///             if !*woken {
    ///                 woken = match timeout {
    ///                     Some(t) => cvar.wait_timeout(woken, t).unwrap().0,
    ///                     None => cvar.wait(woken).unwrap(),
    ///                 };
    ///             }
    ///             *woken = false;
    ///             true
    ///         },
    ///         move || {
    ///             let (lock, cvar) = &*u;
    ///             *lock.lock().unwrap() = true;
    ///             cvar.notify_one();
    ///         },
    ///     )
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(pool.block_on(pool.spawn(async { 7 })).unwrap(), 7);
    /// ```
    pub fn park_hook(
        self,
        park: impl Fn(Option<Duration>) -> bool + Send + Sync + 'static,
        unpark: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        self.park((park, unpark))
    }

    /// Sets the park hook from an implementation of [`Park`].
    pub fn park(mut self, park: impl Park) -> Self {
        self.park = Some(Box::new(park));
        self
    }

    /// Starts a watchdog thread that reports every poll running longer than `threshold`
    /// to `callback`: once while it still runs (so a task stuck in a loop or a blocking
    /// call is named while it blocks its worker), and once when it returns, with the total
    /// time. Each report names the task (id, name, spawn location), the worker, and the
    /// time so far. Off by default; [`SlowPoll::eprint`] is a ready-made callback that
    /// writes to stderr.
    ///
    /// The workers pay nothing extra for it: every poll stores the task's id in a slot of
    /// the worker's own (also without a watchdog, for [`ThreadPool::tasks`]); the watchdog
    /// samples the slots every quarter of the threshold (at least every 100 ms), so times
    /// are accurate to about one sampling interval. See [`SlowPoll`].
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let reports = Arc::new(Mutex::new(Vec::new()));
    /// let seen = reports.clone();
    /// let pool = juliex::ThreadPool::builder()
    ///     .worker_threads(1)
    ///     .on_slow_poll(Duration::from_millis(50), move |slow: &juliex::SlowPoll| {
    ///         seen.lock().unwrap().push(slow.clone());
    ///     })
    ///     .build()
    ///     .unwrap();
    /// let line = line!() + 1;
    /// let blocker = pool.spawn(async { std::thread::sleep(Duration::from_millis(300)) });
    /// pool.block_on(blocker).unwrap();
    /// # let start = std::time::Instant::now();
    /// # while reports.lock().unwrap().len() < 2 && start.elapsed() < Duration::from_secs(60) {
    /// #     std::thread::sleep(Duration::from_millis(5));
    /// # }
    /// let reports = reports.lock().unwrap();
    /// assert_eq!(reports.len(), 2, "one report while it blocks, one when it returns");
    /// assert!(!reports[0].finished && reports[1].finished);
    /// assert_eq!(reports[0].location.line(), line);
    /// ```
    ///
    /// # Panics
    /// If `threshold` is zero.
    #[track_caller]
    pub fn on_slow_poll(
        mut self,
        threshold: Duration,
        callback: impl Fn(&SlowPoll) + Send + Sync + 'static,
    ) -> Self {
        assert!(
            !threshold.is_zero(),
            "a slow-poll threshold of zero would report every poll: pass a duration such as 100 ms"
        );
        self.slow_poll = Some(watchdog::Config {
            threshold,
            callback: Arc::new(callback),
        });
        self
    }

    /// Starts the pool's worker threads (and the watchdog, if asked for).
    ///
    /// # Errors
    /// If a thread cannot be started; the threads started so far are stopped.
    pub fn build(self) -> io::Result<ThreadPool> {
        let n = self.worker_threads;
        let queues: Vec<Deque<_>> = (0..n).map(|_| Deque::new_fifo()).collect();
        let parkers: Vec<Parker> = (0..n).map(|_| Parker::new()).collect();
        let signals = parkers
            .iter()
            .map(|p| Signal {
                unparker: p.unparker().clone(),
                in_hook: AtomicBool::new(false),
            })
            .collect();
        let blocking = BlockingPool::new(
            self.threads.clone(),
            self.max_blocking_threads,
            self.blocking_keep_alive,
        );
        let shared = Arc::new(Shared::new(
            queues.iter().map(Deque::stealer).collect(),
            signals,
            self.park.map(Arc::from),
            blocking,
        ));
        let pool = ThreadPool::from_shared(shared.clone());
        for (index, (queue, parker)) in queues.into_iter().zip(parkers).enumerate() {
            let s = shared.clone();
            let handle = self
                .threads
                .spawn(move || worker::run(s, index, queue, parker))?;
            shared
                .threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(handle);
        }
        if let Some(config) = self.slow_poll {
            let handle = watchdog::start(shared.clone(), config)?;
            *shared
                .watchdog
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(handle);
        }
        Ok(pool)
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_stack_size", &self.threads.stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("blocking_keep_alive", &self.blocking_keep_alive)
            .field("park_hook", &self.park.is_some())
            .field(
                "slow_poll_threshold",
                &self.slow_poll.as_ref().map(|c| c.threshold),
            )
            .finish_non_exhaustive()
    }
}
