//! Timer create+cancel cost: romio against tokio, in one run.
//!
//! One iteration creates a sleep with a deadline in the future, polls it once (so it
//! registers with the runtime's timer store and returns `Pending`), then drops it (which
//! removes the registration). Measured with no other timer alive and with 100 000 others
//! alive, their deadlines spread over 10 to 100 seconds from now.
//!
//! romio runs on a plain thread with a no-op waker (its reactor, on its background thread,
//! only waits for the nearest deadline); tokio runs inside `block_on` of a `current_thread`
//! runtime, also with a no-op waker, after its driver parked once (a driver that never
//! parked does not know its next wake-up, and so wakes itself, one `eventfd` write, for
//! every timer registered).
//!
//! Known difference, measured rather than hidden: with no other timer alive, tokio's driver
//! has no next wake-up either, so each registration still costs tokio that `eventfd` write;
//! romio's reactor records the deadline its turning thread waits for and skips the wake-up
//! when a new timer is due later.
//!
//! Run with `cargo bench -p benches --bench timers`.

use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

/// Timers kept alive in the loaded case.
const ALIVE: usize = 100_000;
/// Deadline of the measured timer: in the middle of the alive ones.
const MEASURED_DELAY: Duration = Duration::from_secs(55);

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");

    for alive in [0, ALIVE] {
        let mut group = c.benchmark_group(format!("timer_create_cancel/{alive}_alive"));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(1));

        let romio_alive = romio_alive(alive);
        group.bench_function("romio", |b| {
            b.iter_custom(|iters| {
                let mut cx = Context::from_waker(Waker::noop());
                let start = Instant::now();
                for _ in 0..iters {
                    let mut sleep = romio::time::sleep(black_box(MEASURED_DELAY));
                    assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
                    drop(sleep);
                }
                start.elapsed()
            })
        });
        drop(romio_alive);

        let tokio_alive = rt.block_on(tokio_alive(alive));
        group.bench_function("tokio", |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    // Let the driver park once, as it does between events in any real
                    // program: only then does it know its next wake-up, and skip waking
                    // itself for timers due after it.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let mut cx = Context::from_waker(Waker::noop());
                    let start = Instant::now();
                    for _ in 0..iters {
                        let mut sleep = pin!(tokio::time::sleep(black_box(MEASURED_DELAY)));
                        assert!(sleep.as_mut().poll(&mut cx).is_pending());
                        // The pinned sleep is dropped (cancelled) at the end of the body.
                    }
                    start.elapsed()
                })
            })
        });
        rt.block_on(async move { drop(tokio_alive) });

        group.finish();
    }

    c.final_summary();
}

/// `count` distinct delays between 10 and 100 seconds, in a scrambled order.
fn spread_delays(count: usize) -> impl Iterator<Item = Duration> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count).map(move |i| {
        // xorshift64: cheap and deterministic.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let span = 90_000_000_000u64; // 90 s in nanoseconds
        // `+ i` keeps them distinct even if the generator repeats.
        Duration::from_secs(10) + Duration::from_nanos(state % span + i as u64)
    })
}

/// `count` romio sleeps, each polled once so that it is registered.
fn romio_alive(count: usize) -> Vec<romio::time::Sleep> {
    let mut cx = Context::from_waker(Waker::noop());
    spread_delays(count)
        .map(|delay| {
            let mut sleep = romio::time::sleep(delay);
            assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
            sleep
        })
        .collect()
}

/// `count` tokio sleeps, each polled once so that it is registered. Runs in the runtime.
async fn tokio_alive(count: usize) -> Vec<Pin<Box<tokio::time::Sleep>>> {
    let mut cx = Context::from_waker(Waker::noop());
    spread_delays(count)
        .map(|delay| {
            let mut sleep = Box::pin(tokio::time::sleep(delay));
            assert!(sleep.as_mut().poll(&mut cx).is_pending());
            sleep
        })
        .collect()
}
