//! `Builder::on_slow_poll`: a poll that blocks its worker is reported while it blocks,
//! with its spawn site, and again when it returns.

mod common;

use common::{DEADLINE, DropCounter};
use juliex::{SlowPoll, ThreadPool};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// A pool of `workers` whose watchdog sends every report to the returned receiver.
fn watched(workers: usize, threshold: Duration) -> (ThreadPool, mpsc::Receiver<SlowPoll>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let pool = ThreadPool::builder()
        .worker_threads(workers)
        .on_slow_poll(threshold, move |slow: &SlowPoll| {
            let _ = tx.lock().unwrap().send(slow.clone());
        })
        .build()
        .unwrap();
    (pool, rx)
}

fn next(reports: &mpsc::Receiver<SlowPoll>) -> SlowPoll {
    reports
        .recv_timeout(DEADLINE)
        .expect("no slow-poll report within the deadline")
}

#[test]
fn a_task_blocking_its_worker_is_reported_during_the_block_with_its_spawn_site() {
    let (pool, reports) = watched(2, Duration::from_millis(100));
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let line = line!() + 1;
    let blocker = pool.spawn(async move {
        thread::sleep(Duration::from_millis(300));
        flag.store(true, SeqCst);
    });
    let during = next(&reports);
    // Read at once: the report came while the task still slept.
    let still_blocked = !done.load(SeqCst);
    assert!(still_blocked, "reported only after the block: {during}");
    assert!(!during.finished);
    assert_eq!(during.task, blocker.id());
    assert_eq!(
        (during.location.file(), during.location.line()),
        (file!(), line)
    );
    assert!(during.elapsed >= Duration::from_millis(100), "{during}");
    assert!(during.to_string().contains(&format!("{}:{line}", file!())));
    pool.block_on(blocker).unwrap();
    let after = next(&reports);
    assert!(after.finished, "{after}");
    assert_eq!((after.task, after.worker), (during.task, during.worker));
    assert!(after.elapsed >= during.elapsed);
}

#[test]
fn a_task_stuck_in_a_loop_is_reported_while_stuck() {
    let (pool, reports) = watched(1, Duration::from_millis(50));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let stuck = juliex::TaskBuilder::new()
        .name("spinner")
        .spawn_on(&pool, async move {
            while !flag.load(SeqCst) {
                std::hint::spin_loop();
            }
        });
    let report = next(&reports);
    assert!(!report.finished);
    assert_eq!(report.task, stuck.id());
    assert_eq!(report.name.as_deref(), Some("spinner"));
    assert_eq!(report.worker, 0);
    // Reported once per poll: nothing more while it keeps spinning.
    assert!(reports.recv_timeout(Duration::from_millis(300)).is_err());
    stop.store(true, SeqCst);
    pool.block_on(stuck).unwrap();
    assert!(next(&reports).finished);
}

#[test]
fn short_polls_are_not_reported() {
    let (pool, reports) = watched(2, Duration::from_secs(5));
    pool.block_on(async {
        let handles: Vec<_> = (0..200)
            .map(|_| {
                juliex::spawn(async {
                    for _ in 0..10 {
                        juliex::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    // The watchdog samples every 100 ms: give it a few looks at the idle pool.
    thread::sleep(Duration::from_millis(300));
    drop(pool);
    assert_eq!(reports.try_iter().count(), 0);
}

#[test]
fn a_panicking_callback_does_not_stop_the_watchdog() {
    let (tx, reports) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let pool = ThreadPool::builder()
        .worker_threads(1)
        .on_slow_poll(Duration::from_millis(30), move |slow: &SlowPoll| {
            let _ = tx.lock().unwrap().send(slow.finished);
            panic!("a callback that panics");
        })
        .build()
        .unwrap();
    pool.block_on(pool.spawn(async { thread::sleep(Duration::from_millis(200)) }))
        .unwrap();
    assert!(!reports.recv_timeout(DEADLINE).unwrap());
    assert!(
        reports.recv_timeout(DEADLINE).unwrap(),
        "reported the end too"
    );
}

#[test]
fn the_watchdog_stops_with_the_pool() {
    let drops = DropCounter::default();
    let token = drops.token();
    let pool = ThreadPool::builder()
        .worker_threads(1)
        .on_slow_poll(Duration::from_millis(10), move |_: &SlowPoll| {
            let _keep = &token;
        })
        .build()
        .unwrap();
    pool.block_on(pool.spawn(async {})).unwrap();
    drop(pool);
    // The callback (and what it holds) went with the joined watchdog thread.
    assert_eq!(drops.dropped(), 1);
}
