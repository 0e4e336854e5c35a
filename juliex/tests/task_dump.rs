//! `ThreadPool::tasks`: the live tasks, with their spawn sites and states.

mod common;

use common::{pool, wait_until};
use futures::channel::oneshot;
use juliex::{TaskBuilder, TaskState};
use std::sync::mpsc;

#[test]
fn lists_parked_tasks_with_their_spawn_sites_then_none_after_they_finish() {
    const N: usize = 20;
    let pool = pool(2);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..N).map(|_| oneshot::channel::<()>()).unzip();
    let line = line!() + 3;
    let handles: Vec<_> = receivers
        .into_iter()
        .map(|rx| pool.spawn(async move { rx.await.unwrap() }))
        .collect();
    wait_until("every task waits", || {
        let tasks = pool.tasks();
        tasks.len() == N && tasks.iter().all(|t| t.state == TaskState::Idle)
    });
    let tasks = pool.tasks();
    for (task, handle) in tasks.iter().zip({
        let mut ids: Vec<_> = handles.iter().map(|h| h.id()).collect();
        ids.sort();
        ids
    }) {
        assert_eq!(task.id, handle);
        assert_eq!(
            (task.location.file(), task.location.line()),
            (file!(), line)
        );
        assert_eq!(task.polls, 1, "{task}");
        assert_eq!(task.name, None);
        assert_eq!(task.worker, None);
    }
    for tx in senders {
        tx.send(()).unwrap();
    }
    for h in handles {
        pool.block_on(h).unwrap();
    }
    wait_until("no task is listed", || pool.tasks().is_empty());
}

#[test]
fn a_named_task_is_listed_from_its_spawn_and_a_running_one_with_its_worker() {
    let pool = pool(1);
    let (release, wait) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let busy_line = line!() + 1;
    let busy = pool.spawn(async move {
        started.send(()).unwrap();
        wait.recv().unwrap();
    });
    running.recv_timeout(common::DEADLINE).unwrap();
    // The only worker is busy: the named task waits in the queue, never polled.
    let queued = TaskBuilder::new().name("queued").spawn_on(&pool, async {});
    let tasks = pool.tasks();
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    let b = tasks.iter().find(|t| t.id == busy.id()).unwrap();
    assert_eq!(
        (b.state, b.worker, b.polls),
        (TaskState::Running, Some(0), 1)
    );
    assert_eq!(b.location.line(), busy_line);
    let q = tasks.iter().find(|t| t.id == queued.id()).unwrap();
    assert_eq!((q.state, q.polls), (TaskState::Scheduled, 0));
    assert_eq!(q.name.as_deref(), Some("queued"));
    assert!(q.to_string().contains("\"queued\" Scheduled"), "{q}");
    release.send(()).unwrap();
    pool.block_on(busy).unwrap();
    pool.block_on(queued).unwrap();
    wait_until("no task is listed", || pool.tasks().is_empty());
}

#[test]
fn a_named_task_is_cancelled_by_shutdown_before_its_first_poll() {
    use futures::task::Spawn;
    let pool = std::sync::Arc::new(pool(1));
    let drops = common::DropCounter::default();
    let (release, wait) = mpsc::channel::<()>();
    let (started, running) = mpsc::channel::<()>();
    let busy = pool.spawn(async move {
        started.send(()).unwrap();
        let _ = wait.recv();
    });
    running.recv_timeout(common::DEADLINE).unwrap();
    let token = drops.token();
    let named = TaskBuilder::new()
        .name("never runs")
        .spawn_on(&pool, async move { drop(token) });
    let watcher = pool.clone();
    let stopper = std::thread::spawn(move || {
        // Free the busy worker only once shutdown has begun, so the named task never runs.
        wait_until("shutdown begins", || watcher.status().is_err());
        release.send(()).unwrap();
    });
    pool.shutdown();
    stopper.join().unwrap();
    assert!(pool.block_on(named).unwrap_err().is_cancelled());
    assert_eq!(drops.dropped(), 1, "its future was dropped");
    pool.block_on(busy).unwrap();
}
