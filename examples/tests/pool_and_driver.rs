//! A juliex pool wired to romio's reactor (as the README shows) lets go of its `Driver`
//! when it is dropped, even while a `JoinHandle` of one of its tasks lives: romio's
//! background thread then takes over, and timers under `futures::executor::block_on` fire.
//!
//! The driver is process-wide, so this binary holds this one test: a wired pool alive in
//! another test would keep a driver attached.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use romio::reactor::Driver;

/// Generous: a 10 ms sleep that has not fired by then never will.
const WATCHDOG: Duration = Duration::from_secs(10);

#[test]
fn a_dropped_pool_detaches_its_driver_while_a_join_handle_lives() {
    let driver = Driver::attach();
    let waker = driver.clone();
    let pool = juliex::ThreadPool::builder()
        .worker_threads(2)
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .build()
        .expect("start the pool");
    let kept = pool.spawn(async {
        romio::time::sleep(Duration::from_millis(1)).await;
        7
    });
    let waiting = pool.spawn(std::future::pending::<()>());
    let start = std::time::Instant::now();
    while !kept.is_finished() {
        assert!(
            start.elapsed() < WATCHDOG,
            "the wired pool never ran its task"
        );
        thread::sleep(Duration::from_millis(1));
    }
    drop(pool);

    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        futures::executor::block_on(romio::time::sleep(Duration::from_millis(10)));
        let _ = tx.send(());
    });
    rx.recv_timeout(WATCHDOG).unwrap_or_else(|_| {
        panic!(
            "a romio sleep under block_on did not fire within {WATCHDOG:?}: the dropped \
             pool's driver is still attached, so nobody turns the reactor"
        )
    });
    assert_eq!(futures::executor::block_on(kept).unwrap(), 7);
    assert!(
        futures::executor::block_on(waiting)
            .unwrap_err()
            .is_cancelled()
    );
}
