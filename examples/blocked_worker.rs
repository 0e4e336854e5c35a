//! A task that blocks its worker, named by the watchdog while it blocks.
//!
//! One task blocks its thread for a second (`std::thread::sleep`, then a blocking channel
//! receive until the report below is printed), which stalls the worker it runs on (a
//! bug: it should use `spawn_blocking` or an async timer). The pool's watchdog reports the
//! poll while it is still running, naming the task, its worker and the line that spawned
//! it; the other worker keeps running the rest. Then the example prints a metrics snapshot
//! and a task dump taken during the block, and exits 0.
//!
//! ```text
//! cargo run -p examples --example blocked_worker
//! ```

use std::sync::mpsc;
use std::time::Duration;

use juliex::{SlowPoll, TaskBuilder, ThreadPool};

fn main() {
    let (reports, reported) = mpsc::channel::<SlowPoll>();
    let reports = std::sync::Mutex::new(reports);
    let pool = ThreadPool::builder()
        .worker_threads(2)
        .on_slow_poll(Duration::from_millis(200), move |slow: &SlowPoll| {
            SlowPoll::eprint(slow);
            let _ = reports.lock().unwrap().send(slow.clone());
        })
        .build()
        .expect("start the pool");

    // Some well-behaved tasks that wait for a message, so the dump has more to show.
    let (senders, waiters): (Vec<_>, Vec<_>) = (0..3)
        .map(|i| {
            let (tx, rx) = futures::channel::oneshot::channel::<()>();
            let waiter = TaskBuilder::new()
                .name(format!("waiter {i}"))
                .spawn_on(&pool, async move { rx.await.unwrap() });
            (tx, waiter)
        })
        .collect();

    // Let them reach their wait, so the dump below shows them idle.
    while pool
        .tasks()
        .iter()
        .any(|t| t.state != juliex::TaskState::Idle)
    {
        std::thread::sleep(Duration::from_millis(1));
    }

    // The culprit: blocks its worker for a second, and on until the report and the dump
    // below are taken (a loaded machine may take longer than a second to get to them).
    let (release, released) = mpsc::channel::<()>();
    let blocker = pool.spawn(async move {
        std::thread::sleep(Duration::from_secs(1));
        let _ = released.recv_timeout(Duration::from_secs(30));
    });

    // The watchdog's first report comes while the blocker still sleeps.
    let during = reported
        .recv_timeout(Duration::from_secs(30))
        .expect("the watchdog reports the blocked worker");
    assert!(!during.finished && during.task == blocker.id());
    println!(
        "\nreported while blocked: task {} spawned at {}",
        during.task, during.location
    );

    println!("\nmetrics during the block:\n{}", pool.metrics());
    println!("tasks during the block:");
    for task in pool.tasks() {
        println!("  {task}");
    }

    let _ = release.send(());
    pool.block_on(blocker).expect("the blocker finishes");
    let after = reported
        .recv_timeout(Duration::from_secs(30))
        .expect("the watchdog reports the end of the poll");
    assert!(after.finished);
    for tx in senders {
        let _ = tx.send(());
    }
    for waiter in waiters {
        pool.block_on(waiter).expect("a waiter finishes");
    }
    // A task's join handle can resolve a moment before its worker has returned from that
    // last poll (the dump lists every poll in progress), so give the workers that moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !pool.tasks().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("\nafter: {} tasks listed", pool.tasks().len());
}
