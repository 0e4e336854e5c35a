//! TCP echo round trips over loopback: romio against tokio, in one run.
//!
//! Every case has the same shape for every runtime: one echo task per server-side connection
//! (set up once, outside the timed loop) and N client connections; in one iteration each
//! client writes a message and reads the echo back, all N concurrently. `TCP_NODELAY` is set
//! on both ends. Throughput is the bytes echoed per iteration (N × message size).
//!
//! Three setups, all single-threaded as far as the tasks are concerned:
//!
//! - `romio_driver`: romio's reactor turned by the benchmark thread itself, through a
//!   [`romio::reactor::Driver`] and the small executor in [`local`]: no thread hop.
//! - `romio`: tasks on `futures::executor::LocalPool`, romio's reactor on its background
//!   thread (romio's default under a foreign executor: one hop per readiness event).
//! - `tokio`: a `current_thread` runtime, its reactor driven by the same thread.
//!
//! And two multi-threaded setups, 2 workers each, the clients driven from the benchmark
//! thread (`block_on`) and the echo tasks on the workers:
//!
//! - `romio_juliex`: a juliex pool whose idle workers turn romio's reactor (the park hook).
//! - `tokio_mt`: tokio's multi-thread runtime.
//!
//! The reactor is process-wide and its background thread, once started, runs for good, so
//! every `romio_driver` case runs first (each followed by `tokio`, to compare runs close in
//! time), while the driver is the only one turning; the `romio` cases come last.
//!
//! Run with `cargo bench -p benches --bench echo`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use futures::executor::LocalPool;
use futures::future::join_all;
use futures::task::LocalSpawnExt;

/// Size of the server's read buffer, for every runtime.
const SERVER_BUFFER: usize = 16 * 1024;

/// The benchmarked cases: message size in bytes and number of concurrent connections.
const CASES: &[(usize, usize)] = &[(64, 1), (64, 32), (16 * 1024, 1), (16 * 1024, 32)];

fn main() {
    let mut c = Criterion::default().configure_from_args();

    // Phase 1: the driver is attached before any romio I/O, so the background thread is
    // never started while these run. tokio runs next to it, for a comparison close in time.
    {
        let driver = romio::reactor::Driver::attach();
        for &(size, conns) in CASES {
            let mut group = group(&mut c, size, conns);
            romio_driver(&mut group, &driver, size, conns);
            tokio(&mut group, size, conns);
            romio_juliex(&mut group, &driver, size, conns);
            tokio_multi_thread(&mut group, size, conns);
            group.finish();
        }
    }

    // Phase 2: romio under LocalPool, its reactor on the background thread.
    for &(size, conns) in CASES {
        let mut group = group(&mut c, size, conns);
        romio_local_pool(&mut group, size, conns);
        group.finish();
    }

    c.final_summary();
}

/// `romio_driver`: romio on [`local::Executor`], which turns the reactor itself.
fn romio_driver(
    group: &mut BenchmarkGroup<'_, WallTime>,
    driver: &romio::reactor::Driver,
    size: usize,
    conns: usize,
) {
    let mut exec = local::Executor::new(driver.clone());
    let pairs = exec.block_on(romio_side::connect(conns));
    let mut clients = romio_side::serve(pairs, |task| exec.spawn(task));
    let message = vec![7u8; size];
    group.bench_function("romio_driver", |b| {
        b.iter_custom(|iters| exec.block_on(romio_side::round_trips(&mut clients, iters, &message)))
    });
}

/// `romio_juliex`: romio on a 2-worker juliex pool whose idle workers turn the reactor.
fn romio_juliex(
    group: &mut BenchmarkGroup<'_, WallTime>,
    driver: &romio::reactor::Driver,
    size: usize,
    conns: usize,
) {
    let (turner, waker) = (driver.clone(), driver.clone());
    let pool = juliex::ThreadPool::builder()
        .worker_threads(2)
        .park_hook(move |timeout| turner.turn(timeout), move || waker.wake())
        .build()
        .expect("juliex pool");
    let pairs = pool.block_on(romio_side::connect(conns));
    let mut clients: Vec<_> = pairs
        .into_iter()
        .map(|(client, server)| {
            drop(pool.spawn(romio_side::echo(server)));
            Client {
                stream: client,
                buffer: Vec::new(),
            }
        })
        .collect();
    let message = vec![7u8; size];
    group.bench_function("romio_juliex", |b| {
        b.iter_custom(|iters| pool.block_on(romio_side::round_trips(&mut clients, iters, &message)))
    });
    drop(clients);
}

/// `tokio_mt`: tokio's multi-thread runtime with 2 workers.
fn tokio_multi_thread(group: &mut BenchmarkGroup<'_, WallTime>, size: usize, conns: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut clients = rt.block_on(tokio_side::setup(conns));
    let message = vec![7u8; size];
    group.bench_function("tokio_mt", |b| {
        b.iter_custom(|iters| rt.block_on(tokio_side::round_trips(&mut clients, iters, &message)))
    });
    drop(clients);
}

/// `romio`: romio on `LocalPool`, its reactor on the background thread.
fn romio_local_pool(group: &mut BenchmarkGroup<'_, WallTime>, size: usize, conns: usize) {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let pairs = pool.run_until(romio_side::connect(conns));
    let mut clients = romio_side::serve(pairs, |task| {
        spawner.spawn_local(task).expect("spawn on LocalPool")
    });
    let message = vec![7u8; size];
    group.bench_function("romio", |b| {
        b.iter_custom(|iters| {
            pool.run_until(romio_side::round_trips(&mut clients, iters, &message))
        })
    });
}

/// `tokio`: tokio on a `current_thread` runtime.
fn tokio(group: &mut BenchmarkGroup<'_, WallTime>, size: usize, conns: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut clients = rt.block_on(tokio_side::setup(conns));
    let message = vec![7u8; size];
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| rt.block_on(tokio_side::round_trips(&mut clients, iters, &message)))
    });
    // Close the clients first; dropping the runtime then drops the echo tasks.
    drop(clients);
}

/// A criterion group named like `echo_64B_x32`, sized to keep the whole file to a few
/// minutes.
fn group(c: &mut Criterion, size: usize, conns: usize) -> BenchmarkGroup<'_, WallTime> {
    let label = if size >= 1024 && size.is_multiple_of(1024) {
        format!("{}KiB", size / 1024)
    } else {
        format!("{size}B")
    };
    let mut group = c.benchmark_group(format!("echo_{label}_x{conns}"));
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes((size * conns) as u64));
    group
}

/// A client connection and the buffer it reads echoes into.
struct Client<S> {
    stream: S,
    buffer: Vec<u8>,
}

mod romio_side {
    //! The romio half, shared by the `romio_driver` and `romio` setups.

    use super::*;
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    use romio::{TcpListener, TcpStream};
    use std::future::Future;
    use std::pin::Pin;

    /// A spawnable task.
    pub type Task = Pin<Box<dyn Future<Output = ()>>>;

    /// Connects `conns` clients to a fresh listener: (client, accepted server side) pairs,
    /// both with `TCP_NODELAY`.
    pub async fn connect(conns: usize) -> Vec<(TcpStream, TcpStream)> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let mut pairs = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
            let (client, (server, _)) = (client.expect("connect"), accepted.expect("accept"));
            client.set_nodelay(true).expect("nodelay");
            server.set_nodelay(true).expect("nodelay");
            pairs.push((client, server));
        }
        pairs
    }

    /// Hands each server side to `spawn` as an echo task; returns the clients.
    pub fn serve(
        pairs: Vec<(TcpStream, TcpStream)>,
        mut spawn: impl FnMut(Task),
    ) -> Vec<Client<TcpStream>> {
        pairs
            .into_iter()
            .map(|(client, server)| {
                spawn(Box::pin(echo(server)));
                Client {
                    stream: client,
                    buffer: Vec::new(),
                }
            })
            .collect()
    }

    /// Echoes everything back until the peer closes.
    pub async fn echo(stream: TcpStream) {
        let mut buffer = vec![0u8; SERVER_BUFFER];
        let mut stream = &stream;
        loop {
            let n = match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if stream.write_all(&buffer[..n]).await.is_err() {
                return;
            }
        }
    }

    /// Every client does `iters` round trips of `message`, all concurrently; returns the
    /// time taken.
    pub async fn round_trips(
        clients: &mut [Client<TcpStream>],
        iters: u64,
        message: &[u8],
    ) -> Duration {
        let start = Instant::now();
        join_all(clients.iter_mut().map(|client| async move {
            client.buffer.resize(message.len(), 0);
            for _ in 0..iters {
                client.stream.write_all(message).await.expect("write");
                client
                    .stream
                    .read_exact(&mut client.buffer)
                    .await
                    .expect("read");
                black_box(&client.buffer);
            }
        }))
        .await;
        start.elapsed()
    }
}

mod tokio_side {
    //! The tokio half: the same shape as `romio_side`, on a `current_thread` runtime.

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// Connects `conns` clients to a fresh listener and spawns one echo task per accepted
    /// connection. Must run inside the runtime.
    pub async fn setup(conns: usize) -> Vec<Client<TcpStream>> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let mut clients = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
            let (client, (server, _)) = (client.expect("connect"), accepted.expect("accept"));
            client.set_nodelay(true).expect("nodelay");
            server.set_nodelay(true).expect("nodelay");
            tokio::spawn(echo(server));
            clients.push(Client {
                stream: client,
                buffer: Vec::new(),
            });
        }
        clients
    }

    /// Echoes everything back until the peer closes.
    async fn echo(mut stream: TcpStream) {
        let mut buffer = vec![0u8; SERVER_BUFFER];
        loop {
            let n = match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if stream.write_all(&buffer[..n]).await.is_err() {
                return;
            }
        }
    }

    /// Every client does `iters` round trips of `message`, all concurrently; returns the
    /// time taken.
    pub async fn round_trips(
        clients: &mut [Client<TcpStream>],
        iters: u64,
        message: &[u8],
    ) -> Duration {
        let start = Instant::now();
        join_all(clients.iter_mut().map(|client| async move {
            client.buffer.resize(message.len(), 0);
            for _ in 0..iters {
                client.stream.write_all(message).await.expect("write");
                client
                    .stream
                    .read_exact(&mut client.buffer)
                    .await
                    .expect("read");
                black_box(&client.buffer);
            }
        }))
        .await;
        start.elapsed()
    }
}

mod local {
    //! A minimal single-threaded executor that turns romio's reactor itself when idle.
    //!
    //! Tasks live in a `Vec`; a task's waker pushes its index onto a shared ready list (once
    //! until it is polled again) and, if the executor thread is blocked in the reactor and
    //! the wake comes from another thread, interrupts the turn with [`Driver::wake`]. Wakes
    //! from reactor events run on the executor thread inside `turn`, so they cost no
    //! syscall.

    use std::cell::Cell;
    use std::future::Future;
    use std::pin::{Pin, pin};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Wake, Waker};

    use romio::reactor::Driver;

    /// Index of the `block_on` future in the ready list (never a task index).
    const MAIN: usize = usize::MAX;

    thread_local! {
        /// Whether this thread is the one running an executor.
        static ON_EXECUTOR: Cell<bool> = const { Cell::new(false) };
    }

    /// What wakers share with the executor.
    struct Shared {
        driver: Driver,
        ready: Mutex<Vec<usize>>,
        /// Set while the executor thread is (about to be) blocked in `Driver::turn`.
        parked: AtomicBool,
    }

    /// The waker of one task.
    struct TaskWaker {
        id: usize,
        /// Whether the task is already in the ready list.
        queued: AtomicBool,
        shared: Arc<Shared>,
    }

    impl Wake for TaskWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            if self.queued.swap(true, Ordering::AcqRel) {
                return;
            }
            self.shared.ready.lock().unwrap().push(self.id);
            // Pairs with the executor's store of `parked` before it checks `ready`.
            if self.shared.parked.load(Ordering::SeqCst) && !ON_EXECUTOR.get() {
                self.shared.driver.wake();
            }
        }
    }

    type Slot = (Pin<Box<dyn Future<Output = ()>>>, Arc<TaskWaker>, Waker);

    /// The executor; see the module docs.
    pub struct Executor {
        shared: Arc<Shared>,
        tasks: Vec<Option<Slot>>,
        batch: Vec<usize>,
    }

    impl Executor {
        /// An executor that turns the reactor through `driver` when it has nothing to run.
        pub fn new(driver: Driver) -> Executor {
            let shared = Arc::new(Shared {
                driver,
                ready: Mutex::new(Vec::new()),
                parked: AtomicBool::new(false),
            });
            Executor {
                shared,
                tasks: Vec::new(),
                batch: Vec::new(),
            }
        }

        fn waker(&self, id: usize) -> (Arc<TaskWaker>, Waker) {
            let task_waker = Arc::new(TaskWaker {
                id,
                queued: AtomicBool::new(true),
                shared: self.shared.clone(),
            });
            (task_waker.clone(), Waker::from(task_waker))
        }

        /// Adds a task; it first runs in the next `block_on`.
        pub fn spawn(&mut self, task: Pin<Box<dyn Future<Output = ()>>>) {
            let id = self.tasks.len();
            let (task_waker, waker) = self.waker(id);
            self.tasks.push(Some((task, task_waker, waker)));
            self.shared.ready.lock().unwrap().push(id);
        }

        /// Runs `future` to completion, running the spawned tasks meanwhile.
        pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
            let mut future = pin!(future);
            let (main, main_waker) = self.waker(MAIN);
            self.shared.ready.lock().unwrap().push(MAIN);
            ON_EXECUTOR.set(true);
            loop {
                std::mem::swap(&mut self.batch, &mut *self.shared.ready.lock().unwrap());
                if self.batch.is_empty() {
                    self.shared.parked.store(true, Ordering::SeqCst);
                    if self.shared.ready.lock().unwrap().is_empty() {
                        let turned = self.shared.driver.turn(None);
                        assert!(turned, "another thread turns the reactor");
                    }
                    self.shared.parked.store(false, Ordering::SeqCst);
                    continue;
                }
                let mut main_woken = false;
                for id in self.batch.drain(..) {
                    if id == MAIN {
                        main_woken = true;
                        continue;
                    }
                    let Some((task, task_waker, waker)) = &mut self.tasks[id] else {
                        continue;
                    };
                    task_waker.queued.store(false, Ordering::Release);
                    if task
                        .as_mut()
                        .poll(&mut Context::from_waker(waker))
                        .is_ready()
                    {
                        self.tasks[id] = None;
                    }
                }
                if main_woken {
                    main.queued.store(false, Ordering::Release);
                    if let Poll::Ready(output) =
                        future.as_mut().poll(&mut Context::from_waker(&main_waker))
                    {
                        ON_EXECUTOR.set(false);
                        return output;
                    }
                }
            }
        }
    }
}
