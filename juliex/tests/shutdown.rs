//! Cancellation and shutdown: abort, pool drop, and wakers that outlive everything.

mod common;

use common::{DropCounter, StashWaker, pool, wait_until, within_deadline};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

#[test]
fn abort_of_a_pending_task_runs_its_destructor() {
    let pool = pool(2);
    let drops = DropCounter::default();
    let token = drops.token();
    let waker = Arc::new(Mutex::new(None));
    let w = waker.clone();
    let handle = pool.spawn(async move {
        let _token = token;
        StashWaker(w).await
    });
    wait_until("the task was polled", || waker.lock().unwrap().is_some());
    handle.abort();
    let err = within_deadline(move || pool.block_on(handle).unwrap_err());
    assert!(err.is_cancelled() && !err.is_panic());
    assert_eq!(err.to_string(), "task was cancelled");
    assert_eq!(drops.dropped(), 1);
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let pool = pool(1);
    let handle = pool.spawn(async { 3 });
    wait_until("the task finished", || handle.is_finished());
    handle.abort();
    assert_eq!(pool.block_on(handle).unwrap(), 3);
}

#[test]
fn abort_of_a_running_task_takes_effect_when_it_yields() {
    let pool = pool(2);
    let drops = DropCounter::default();
    let token = drops.token();
    let handle = pool.spawn(async move {
        let _token = token;
        loop {
            juliex::yield_now().await;
        }
    });
    handle.abort();
    let err = within_deadline(move || pool.block_on(handle).unwrap_err());
    assert!(err.is_cancelled());
    assert_eq!(drops.dropped(), 1);
}

#[test]
fn dropping_the_pool_joins_threads_and_drops_unfinished_tasks() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (s1, s2) = (started.clone(), stopped.clone());
    let pool = juliex::ThreadPool::builder()
        .worker_threads(3)
        .on_thread_start(move || {
            s1.fetch_add(1, SeqCst);
        })
        .on_thread_stop(move || {
            s2.fetch_add(1, SeqCst);
        })
        .build()
        .unwrap();
    let drops = DropCounter::default();
    let mut handles = Vec::new();
    // Pending forever without keeping their waker...
    for _ in 0..100 {
        let token = drops.token();
        handles.push(pool.spawn(async move {
            let _token = token;
            common::pending_forever::<()>().await
        }));
    }
    // ...waiting on each other in a cycle of wakers...
    let slot = Arc::new(Mutex::new(None));
    for _ in 0..100 {
        let (token, slot) = (drops.token(), slot.clone());
        drop(pool.spawn(async move {
            let _token = token;
            StashWaker(slot).await
        }));
    }
    wait_until("all workers started", || started.load(SeqCst) == 3);
    wait_until("all tasks wait", || pool.idle_tasks() == 200);
    within_deadline(move || drop(pool));
    assert_eq!(stopped.load(SeqCst), 3);
    assert_eq!(drops.dropped(), 200);
    for h in handles {
        assert!(h.is_finished());
        assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
    }
    // The stashed waker outlives the pool; waking it does nothing.
    slot.lock().unwrap().take().unwrap().wake();
}

#[test]
fn queued_tasks_are_dropped_at_shutdown() {
    let pool = pool(1);
    let drops = DropCounter::default();
    let gate = Arc::new(std::sync::Barrier::new(2));
    let g = gate.clone();
    // Occupy the only worker, then queue tasks behind it.
    drop(pool.spawn(async move {
        g.wait();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }));
    gate.wait();
    let handles: Vec<_> = (0..10)
        .map(|_| {
            let token = drops.token();
            pool.spawn(async move {
                let _token = token;
                common::pending_forever::<()>().await
            })
        })
        .collect();
    pool.shutdown();
    assert_eq!(drops.dropped(), 10);
    for h in handles {
        assert!(futures::executor::block_on(h).unwrap_err().is_cancelled());
    }
    // Spawning after shutdown cancels at once.
    let late = pool.spawn(async { 1 });
    assert!(
        futures::executor::block_on(late)
            .unwrap_err()
            .is_cancelled()
    );
}

#[test]
fn waker_called_after_the_pool_is_dropped_is_harmless() {
    let slot = Arc::new(Mutex::new(None));
    let pool = pool(2);
    let s = slot.clone();
    let handle = pool.spawn(StashWaker(s));
    wait_until("the task was polled", || slot.lock().unwrap().is_some());
    let waker = slot.lock().unwrap().clone().unwrap();
    drop(pool);
    waker.wake_by_ref();
    let clone = waker.clone();
    clone.wake();
    assert!(
        futures::executor::block_on(handle)
            .unwrap_err()
            .is_cancelled()
    );
    waker.wake();
}

#[test]
fn waker_outliving_its_finished_task_is_harmless() {
    let pool = pool(2);
    let slot = Arc::new(Mutex::new(None));
    let s = slot.clone();
    pool.block_on(pool.spawn(async move {
        std::future::poll_fn(|cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            std::task::Poll::Ready(())
        })
        .await
    }))
    .unwrap();
    let waker = slot.lock().unwrap().take().unwrap();
    waker.wake_by_ref();
    waker.wake();
}

#[test]
fn shutdown_from_inside_a_task_does_not_deadlock() {
    let pool = Arc::new(pool(2));
    let p = pool.clone();
    let handle = pool.spawn(async move { p.shutdown() });
    within_deadline(move || {
        let _ = futures::executor::block_on(handle);
        drop(pool);
    });
}
