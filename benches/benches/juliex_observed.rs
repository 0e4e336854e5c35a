//! What seeing inside juliex costs: juliex as it comes (per-worker counters and poll slots
//! are always on), juliex with the slow-poll watchdog on and a thread reading
//! `metrics()` and `tasks()` every 100 ms, and tokio (multi-thread) as the peer, all with 2
//! workers, in one run, on the workloads where per-poll costs show most.
//!
//! - `spawn_many_local`: a task spawns 10 000 empty tasks and awaits their handles.
//! - `yield_many`: 200 tasks each yield 1 000 times.
//! - `ping_pong`: 1 000 tasks each spawn a partner and exchange two oneshot messages with it.
//!
//! Run with `cargo bench -p benches --bench juliex_observed`; the juliex/tokio ratios of the
//! full comparison are in `--bench executor`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::channel::oneshot;

const WORKERS: usize = 2;
const TASKS: usize = 10_000;
const YIELDERS: usize = 200;
const YIELDS: usize = 1_000;
const PAIRS: usize = 1_000;
/// The watchdog's threshold (it samples every quarter of it).
const SLOW_POLL: Duration = Duration::from_millis(100);
/// How often the observer thread reads the metrics and the task dump.
const OBSERVE_EVERY: Duration = Duration::from_millis(100);

/// Spawning, awaiting and yielding, as each runtime does them.
trait Rt: Sync + 'static {
    fn spawn<F>(&'static self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    fn run<F: Future>(&'static self, f: F) -> F::Output;
    fn yield_now() -> impl Future<Output = ()> + Send;
}

struct Juliex(juliex::ThreadPool);

impl Rt for Juliex {
    fn spawn<F>(&'static self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.0.spawn(f);
        async move { handle.await.expect("task failed") }
    }
    fn run<F: Future>(&'static self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        juliex::yield_now()
    }
}

struct Tokio(tokio::runtime::Runtime);

impl Rt for Tokio {
    fn spawn<F>(&'static self, f: F) -> impl Future<Output = F::Output> + Send + 'static
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.0.spawn(f);
        async move { handle.await.expect("task failed") }
    }
    fn run<F: Future>(&'static self, f: F) -> F::Output {
        self.0.block_on(f)
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

fn spawn_many_local<R: Rt>(rt: &'static R) {
    rt.run(rt.spawn(async move {
        let handles: Vec<_> = (0..TASKS).map(|_| rt.spawn(async {})).collect();
        for h in handles {
            h.await;
        }
    }));
}

fn yield_many<R: Rt>(rt: &'static R) {
    rt.run(async move {
        let handles: Vec<_> = (0..YIELDERS)
            .map(|_| {
                rt.spawn(async {
                    for _ in 0..YIELDS {
                        R::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await;
        }
    });
}

fn ping_pong<R: Rt>(rt: &'static R) {
    rt.run(rt.spawn(async move {
        let pairs: Vec<_> = (0..PAIRS)
            .map(|_| {
                rt.spawn(async move {
                    let (ping, pinged) = oneshot::channel::<()>();
                    let (pong, ponged) = oneshot::channel::<()>();
                    let partner = rt.spawn(async move {
                        pinged.await.unwrap();
                        pong.send(()).unwrap();
                    });
                    ping.send(()).unwrap();
                    ponged.await.unwrap();
                    partner.await;
                })
            })
            .collect();
        for p in pairs {
            p.await;
        }
    }));
}

/// A juliex pool with the watchdog on, and a thread that reads its metrics and task dump
/// until the process ends.
fn observed_juliex() -> &'static Juliex {
    let pool: &'static Juliex = Box::leak(Box::new(Juliex(
        juliex::ThreadPool::builder()
            .worker_threads(WORKERS)
            .on_slow_poll(SLOW_POLL, juliex::SlowPoll::eprint)
            .build()
            .expect("juliex pool"),
    )));
    static SEEN: AtomicBool = AtomicBool::new(false);
    thread::spawn(move || {
        loop {
            thread::sleep(OBSERVE_EVERY);
            let metrics = pool.0.metrics();
            let tasks = pool.0.tasks();
            // Keep the reads from being optimized out.
            SEEN.store(metrics.tasks_spawned > 0 || !tasks.is_empty(), Relaxed);
        }
    });
    pool
}

fn observed(c: &mut Criterion) {
    // Leaked: tasks hold `&'static` references to their runtime.
    let plain: &'static Juliex = Box::leak(Box::new(Juliex(
        juliex::ThreadPool::builder()
            .worker_threads(WORKERS)
            .build()
            .expect("juliex pool"),
    )));
    let watched = observed_juliex();
    let tokio: &'static Tokio = Box::leak(Box::new(Tokio(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .build()
            .expect("tokio runtime"),
    )));
    macro_rules! group {
        ($name:literal, $workload:ident) => {{
            let mut group = c.benchmark_group($name);
            group
                .sample_size(20)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(2));
            group.bench_function("juliex", |b| b.iter(|| $workload(plain)));
            group.bench_function("juliex-watchdog", |b| b.iter(|| $workload(watched)));
            group.bench_function("tokio", |b| b.iter(|| $workload(tokio)));
            group.finish();
        }};
    }
    group!("spawn_many_local", spawn_many_local);
    group!("yield_many", yield_many);
    group!("ping_pong", ping_pong);
}

criterion_group!(benches, observed);
criterion_main!(benches);
