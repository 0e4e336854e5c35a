//! `ThreadPool::metrics`: the counters after known workloads.

mod common;

use common::{pool, wait_until};
use futures::channel::oneshot;
use juliex::Metrics;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

fn sum(m: &Metrics, f: impl Fn(&juliex::WorkerMetrics) -> u64) -> u64 {
    m.workers.iter().map(f).sum()
}

/// Runs `work` on a fresh pool of `workers`, shuts it down (so every poll is counted) and
/// returns the final counters.
fn after(workers: usize, work: impl FnOnce(&juliex::ThreadPool)) -> Metrics {
    let pool = pool(workers);
    work(&pool);
    pool.shutdown();
    pool.metrics()
}

#[test]
fn remote_spawns_of_single_poll_tasks_count_exactly() {
    const N: u64 = 1000;
    let m = after(1, |pool| {
        let handles: Vec<_> = (0..N).map(|i| pool.spawn(async move { i })).collect();
        for h in handles {
            pool.block_on(h).unwrap();
        }
    });
    assert_eq!(m.tasks_spawned, N);
    assert_eq!(sum(&m, |w| w.polls), N, "{m}");
    assert_eq!(sum(&m, |w| w.completed), N, "{m}");
    assert_eq!(sum(&m, |w| w.spawned), 0, "all came from outside: {m}");
    assert_eq!(sum(&m, |w| w.injector_pulls), N, "{m}");
    assert_eq!(
        sum(&m, |w| w.stolen),
        0,
        "one worker steals from nobody: {m}"
    );
}

#[test]
fn spawns_from_a_task_count_on_its_worker() {
    const N: u64 = 500;
    let m = after(1, |pool| {
        let (tx, rx) = mpsc::channel();
        drop(pool.spawn(async move {
            for _ in 0..N {
                let tx = tx.clone();
                drop(juliex::spawn(async move { tx.send(()).unwrap() }));
            }
        }));
        for _ in 0..N {
            rx.recv_timeout(common::DEADLINE).unwrap();
        }
    });
    assert_eq!(m.tasks_spawned, N + 1);
    assert_eq!(m.workers[0].spawned, N);
    assert_eq!(m.workers[0].polls, N + 1, "{m}");
    assert_eq!(m.workers[0].completed, N + 1, "{m}");
    assert_eq!(
        m.workers[0].injector_pulls, 1,
        "only the parent came from outside: {m}"
    );
}

#[test]
fn an_idle_worker_steals_from_a_loaded_one() {
    let pool = pool(2);
    pool.block_on(async {
        // One task queues 100 short blocking jobs on its own worker; the other worker must
        // take some of them.
        let parent = juliex::spawn(async {
            let children: Vec<_> = (0..100)
                .map(|_| juliex::spawn(async { thread::sleep(Duration::from_millis(1)) }))
                .collect();
            for c in children {
                c.await.unwrap();
            }
        });
        parent.await.unwrap();
    });
    pool.shutdown();
    let m = pool.metrics();
    assert!(sum(&m, |w| w.stolen) > 0, "{m}");
    assert!(sum(&m, |w| w.steal_attempts) > 0, "{m}");
    assert_eq!(m.tasks_spawned, 101);
    assert_eq!(sum(&m, |w| w.completed), 101, "{m}");
}

#[test]
fn waiting_tasks_are_alive_and_registered_until_they_finish() {
    let pool = pool(2);
    let (senders, handles): (Vec<_>, Vec<_>) = (0..5)
        .map(|_| {
            let (tx, rx) = oneshot::channel::<()>();
            (tx, pool.spawn(async move { rx.await.unwrap() }))
        })
        .unzip();
    wait_until("5 tasks wait", || pool.metrics().tasks_registered == 5);
    assert_eq!(pool.metrics().tasks_alive, 5);
    for tx in senders {
        tx.send(()).unwrap();
    }
    for h in handles {
        pool.block_on(h).unwrap();
    }
    wait_until("no task is alive", || pool.metrics().tasks_alive == 0);
    assert_eq!(pool.metrics().tasks_registered, 0);
}

#[test]
fn the_local_queue_depth_shows_tasks_behind_a_busy_poll() {
    let pool = pool(1);
    let (release, wait) = mpsc::channel::<()>();
    let (queued, ready) = mpsc::channel::<()>();
    let parent = pool.spawn(async move {
        // Ten children: one in the LIFO slot, nine in the stealable queue.
        let children: Vec<_> = (0..10).map(|_| juliex::spawn(async {})).collect();
        queued.send(()).unwrap();
        wait.recv().unwrap();
        children
    });
    ready.recv_timeout(common::DEADLINE).unwrap();
    let m = pool.metrics();
    assert_eq!(m.workers[0].local_queue_depth, 9, "{m}");
    assert_eq!(m.tasks_alive, 11, "{m}");
    release.send(()).unwrap();
    for child in pool.block_on(parent).unwrap() {
        pool.block_on(child).unwrap();
    }
}

#[test]
fn parks_are_counted() {
    let pool = pool(1);
    pool.block_on(pool.spawn(async {})).unwrap();
    wait_until("the worker sleeps", || pool.metrics().workers[0].parks > 0);
}

#[test]
fn park_hook_turns_are_counted() {
    let pool = juliex::ThreadPool::builder()
        .worker_threads(1)
        .park_hook(
            |timeout| {
                thread::sleep(timeout.unwrap_or(Duration::from_millis(1)));
                true
            },
            || {},
        )
        .build()
        .unwrap();
    pool.block_on(pool.spawn(async {})).unwrap();
    wait_until("the hook is turned", || {
        pool.metrics().workers[0].park_hook_turns > 0
    });
}

#[test]
fn blocking_threads_and_their_queue_are_shown() {
    let pool = juliex::ThreadPool::builder()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .unwrap();
    let (release, wait) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let first = pool.spawn_blocking(move || {
        started.send(()).unwrap();
        wait.recv().unwrap();
    });
    running.recv_timeout(common::DEADLINE).unwrap();
    let second = pool.spawn_blocking(|| ());
    let b = pool.metrics().blocking;
    assert_eq!((b.busy_threads, b.idle_threads, b.queue_depth), (1, 0, 1));
    release.send(()).unwrap();
    pool.block_on(first).unwrap();
    pool.block_on(second).unwrap();
    wait_until("the blocking thread idles", || {
        let b = pool.metrics().blocking;
        (b.busy_threads, b.idle_threads, b.queue_depth) == (0, 1, 0)
    });
}

#[test]
fn after_shutdown_nothing_is_alive() {
    let pool = pool(1);
    let handle = pool.spawn(std::future::pending::<()>());
    wait_until("the task waits", || pool.metrics().tasks_registered == 1);
    pool.shutdown();
    assert_eq!(pool.metrics().tasks_alive, 0);
    assert!(pool.block_on(handle).unwrap_err().is_cancelled());
}
