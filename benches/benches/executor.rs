//! Executor throughput: juliex against tokio (multi-thread), async-executor and futures'
//! `ThreadPool`, all with 2 worker threads, in one run. juliex runs twice: as it comes
//! (its per-worker metrics are always on) and as `juliex-watchdog`, with the slow-poll
//! watchdog on and a thread reading `metrics()` and `tasks()` every 100 ms, to show what
//! seeing inside the pool costs.
//!
//! Groups (each iteration does the whole workload):
//! - `spawn_many_local`: a task spawns 10 000 empty tasks and awaits their handles.
//! - `spawn_many_remote`: the thread in `block_on` does the same (spawning from outside).
//! - `yield_many`: 200 tasks, spawned from outside, each yield 1 000 times.
//! - `ping_pong`: 1 000 tasks each spawn a partner and exchange two oneshot messages with it.
//! - `chained_spawn`: each task spawns the next, 1 000 deep; the last one signals.
//! - `spawn_blocking`: 1 000 trivial closures on the blocking pool (juliex and tokio only).
//!
//! Every runtime spawns through its own handle (so tasks on a worker use its local queue
//! where the runtime has one) and yields with its own `yield_now` where it has one.
//! async-executor runs `ex.run(..)` in `block_on` on 2 threads; for it and for futures'
//! `ThreadPool` the measuring thread waits with `futures::executor::block_on`.
//!
//! Run with `cargo bench -p benches --bench executor`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};
use futures::channel::oneshot;
use futures::task::SpawnExt;

/// Worker threads of every runtime.
const WORKERS: usize = 2;
const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1_000;
const PING_PONGS: usize = 1_000;
const CHAIN: usize = 1_000;
const BLOCKING: usize = 1_000;
/// The watchdog's threshold for `juliex-watchdog` (it samples every quarter of it).
const SLOW_POLL: Duration = Duration::from_millis(100);
/// How often the observer thread of `juliex-watchdog` reads the metrics and the task dump.
const OBSERVE_EVERY: Duration = Duration::from_millis(100);

/// What the workloads need from a runtime.
trait Runtime: Send + Sync + 'static {
    /// The runtime's join handle, resolving to the output.
    type Handle<T: Send + 'static>: Future<Output = T> + Send + 'static;

    fn spawn<F>(&'static self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    fn spawn_detached<F>(&'static self, future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    fn block_on<F: Future>(&'static self, future: F) -> F::Output;

    fn yield_now(&'static self) -> impl Future<Output = ()> + Send;
}

/// Turns a `Result` handle into one resolving to the value (panicking on a join error).
struct Unwrapped<H>(H);

impl<H, T, E> Future for Unwrapped<H>
where
    H: Future<Output = Result<T, E>> + Unpin,
    E: std::fmt::Debug,
{
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.expect("task failed"))
    }
}

/// A yield for runtimes without one: wake ourselves and return `Pending` once.
#[derive(Default)]
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

struct Juliex(juliex::ThreadPool);

impl Runtime for Juliex {
    type Handle<T: Send + 'static> = Unwrapped<juliex::JoinHandle<T>>;

    fn spawn<F>(&'static self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrapped(self.0.spawn(future))
    }

    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&'static self, future: F) {
        drop(self.0.spawn(future));
    }

    fn block_on<F: Future>(&'static self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn yield_now(&'static self) -> impl Future<Output = ()> + Send {
        juliex::yield_now()
    }
}

struct Tokio(tokio::runtime::Runtime);

impl Runtime for Tokio {
    type Handle<T: Send + 'static> = Unwrapped<tokio::task::JoinHandle<T>>;

    fn spawn<F>(&'static self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Unwrapped(self.0.spawn(future))
    }

    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&'static self, future: F) {
        drop(self.0.spawn(future));
    }

    fn block_on<F: Future>(&'static self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn yield_now(&'static self) -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

struct AsyncExecutor(Arc<async_executor::Executor<'static>>);

impl AsyncExecutor {
    fn new() -> Self {
        let ex = Arc::new(async_executor::Executor::new());
        for _ in 0..WORKERS {
            let ex = ex.clone();
            std::thread::spawn(move || {
                futures::executor::block_on(ex.run(std::future::pending::<()>()))
            });
        }
        AsyncExecutor(ex)
    }
}

impl Runtime for AsyncExecutor {
    type Handle<T: Send + 'static> = async_executor::Task<T>;

    fn spawn<F>(&'static self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&'static self, future: F) {
        self.0.spawn(future).detach();
    }

    fn block_on<F: Future>(&'static self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    fn yield_now(&'static self) -> impl Future<Output = ()> + Send {
        YieldOnce::default()
    }
}

struct FuturesPool(futures::executor::ThreadPool);

impl Runtime for FuturesPool {
    type Handle<T: Send + 'static> = futures::future::RemoteHandle<T>;

    fn spawn<F>(&'static self, future: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0
            .spawn_with_handle(future)
            .expect("futures pool is running")
    }

    fn spawn_detached<F: Future<Output = ()> + Send + 'static>(&'static self, future: F) {
        self.0.spawn_ok(future);
    }

    fn block_on<F: Future>(&'static self, future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    fn yield_now(&'static self) -> impl Future<Output = ()> + Send {
        YieldOnce::default()
    }
}

fn spawn_many_local<R: Runtime>(rt: &'static R) {
    rt.block_on(rt.spawn(async move {
        let handles: Vec<_> = (0..SPAWN_MANY).map(|_| rt.spawn(async {})).collect();
        for h in handles {
            h.await;
        }
    }));
}

fn spawn_many_remote<R: Runtime>(rt: &'static R) {
    rt.block_on(async move {
        let handles: Vec<_> = (0..SPAWN_MANY).map(|_| rt.spawn(async {})).collect();
        for h in handles {
            h.await;
        }
    });
}

fn yield_many<R: Runtime>(rt: &'static R) {
    rt.block_on(async move {
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                rt.spawn(async move {
                    for _ in 0..YIELDS {
                        rt.yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
}

fn ping_pong<R: Runtime>(rt: &'static R) {
    rt.block_on(rt.spawn(async move {
        let handles: Vec<_> = (0..PING_PONGS)
            .map(|_| {
                rt.spawn(async move {
                    let (tx1, rx1) = oneshot::channel::<()>();
                    let (tx2, rx2) = oneshot::channel::<()>();
                    rt.spawn_detached(async move {
                        rx1.await.unwrap();
                        tx2.send(()).unwrap();
                    });
                    tx1.send(()).unwrap();
                    rx2.await.unwrap();
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    }));
}

fn chained_spawn<R: Runtime>(rt: &'static R) {
    fn link<R: Runtime>(rt: &'static R, left: usize, done: oneshot::Sender<()>) {
        if left == 0 {
            done.send(()).unwrap();
        } else {
            rt.spawn_detached(async move { link(rt, left - 1, done) });
        }
    }
    rt.block_on(async move {
        let (tx, rx) = oneshot::channel();
        rt.spawn_detached(async move { link(rt, CHAIN, tx) });
        rx.await.unwrap();
    });
}

fn bench_all(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rts: &Runtimes,
    workload: fn(&'static Juliex),
    tokio: fn(&'static Tokio),
    async_executor: fn(&'static AsyncExecutor),
    futures_pool: fn(&'static FuturesPool),
) {
    group.bench_function("juliex", |b| b.iter(|| workload(rts.juliex)));
    group.bench_function("juliex-watchdog", |b| {
        b.iter(|| workload(rts.juliex_watched))
    });
    group.bench_function("tokio", |b| b.iter(|| tokio(rts.tokio)));
    group.bench_function("async-executor", |b| {
        b.iter(|| async_executor(rts.async_executor))
    });
    group.bench_function("futures-threadpool", |b| {
        b.iter(|| futures_pool(rts.futures_pool))
    });
}

struct Runtimes {
    juliex: &'static Juliex,
    juliex_watched: &'static Juliex,
    tokio: &'static Tokio,
    async_executor: &'static AsyncExecutor,
    futures_pool: &'static FuturesPool,
}

fn runtimes() -> Runtimes {
    // Leaked: tasks hold `&'static` references to their runtime, and the process ends
    // right after the benchmarks.
    Runtimes {
        juliex: Box::leak(Box::new(Juliex(
            juliex::ThreadPool::builder()
                .worker_threads(WORKERS)
                .build()
                .expect("juliex pool"),
        ))),
        juliex_watched: watched_juliex(),
        tokio: Box::leak(Box::new(Tokio(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(WORKERS)
                .build()
                .expect("tokio runtime"),
        ))),
        async_executor: Box::leak(Box::new(AsyncExecutor::new())),
        futures_pool: Box::leak(Box::new(FuturesPool(
            futures::executor::ThreadPool::builder()
                .pool_size(WORKERS)
                .create()
                .expect("futures pool"),
        ))),
    }
}

/// A juliex pool with the watchdog on, and a thread that reads its metrics and task dump
/// until the process ends.
fn watched_juliex() -> &'static Juliex {
    let pool: &'static Juliex = Box::leak(Box::new(Juliex(
        juliex::ThreadPool::builder()
            .worker_threads(WORKERS)
            .on_slow_poll(SLOW_POLL, juliex::SlowPoll::eprint)
            .build()
            .expect("juliex pool"),
    )));
    static SEEN: AtomicBool = AtomicBool::new(false);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(OBSERVE_EVERY);
            let metrics = pool.0.metrics();
            let tasks = pool.0.tasks();
            // Keep the reads from being optimized out.
            SEEN.store(metrics.tasks_spawned > 0 || !tasks.is_empty(), Relaxed);
        }
    });
    pool
}

fn executor(c: &mut Criterion) {
    let rts = runtimes();
    macro_rules! group {
        ($name:literal, $workload:ident) => {{
            let mut group = c.benchmark_group($name);
            group
                .sample_size(20)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(2));
            bench_all(&mut group, &rts, $workload, $workload, $workload, $workload);
            group.finish();
        }};
    }
    group!("spawn_many_local", spawn_many_local);
    group!("spawn_many_remote", spawn_many_remote);
    group!("yield_many", yield_many);
    group!("ping_pong", ping_pong);
    group!("chained_spawn", chained_spawn);

    let mut group = c.benchmark_group("spawn_blocking");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let (jx, tk) = (rts.juliex, rts.tokio);
    group.bench_function("juliex", |b| {
        b.iter(|| {
            jx.0.block_on(async {
                let handles: Vec<_> = (0..BLOCKING)
                    .map(|i| jx.0.spawn_blocking(move || i))
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            tk.0.block_on(async {
                let handles: Vec<_> = (0..BLOCKING)
                    .map(|i| tk.0.spawn_blocking(move || i))
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, executor);
criterion_main!(benches);
