//! Fairness: no task, queue or slot can keep the others from running.

mod common;

use common::{pool, wait_until, within_deadline};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

#[test]
fn a_task_that_wakes_itself_forever_does_not_block_others() {
    let pool = pool(1);
    let spinner = pool.spawn(std::future::poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    let others: Vec<_> = (0..100).map(|i| pool.spawn(async move { i })).collect();
    let sum = within_deadline(move || {
        futures::executor::block_on(async {
            let mut sum = 0;
            for h in others {
                sum += h.await.unwrap();
            }
            sum
        })
    });
    assert_eq!(sum, (0..100).sum::<i32>());
    spinner.abort();
    assert!(pool.block_on(spinner).unwrap_err().is_cancelled());
}

#[test]
fn yield_now_goes_behind_the_queued_tasks() {
    let pool = pool(1);
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    pool.block_on(pool.spawn(async move {
        let children: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let l = l.clone();
                juliex::spawn(async move { l.lock().unwrap().push(name) })
            })
            .collect();
        juliex::yield_now().await;
        l.lock().unwrap().push("spawner");
        for c in children {
            c.await.unwrap();
        }
    }))
    .unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.last(), Some(&"spawner"), "{log:?}");
}

#[test]
fn yielding_tasks_take_turns() {
    let pool = pool(1);
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    pool.block_on(pool.spawn(async move {
        let players: Vec<_> = (0..2)
            .map(|id| {
                let l = l.clone();
                juliex::spawn(async move {
                    for _ in 0..20 {
                        l.lock().unwrap().push(id);
                        juliex::yield_now().await;
                    }
                })
            })
            .collect();
        for p in players {
            p.await.unwrap();
        }
    }))
    .unwrap();
    let log = log.lock().unwrap();
    let longest_run = log.chunk_by(|a, b| a == b).map(<[_]>::len).max().unwrap();
    assert!(
        longest_run <= 2,
        "a yielding task ran {longest_run} times in a row: {log:?}"
    );
}

#[test]
fn remote_spawns_are_not_starved_by_a_busy_local_queue() {
    let pool = pool(1);
    let stop = Arc::new(AtomicBool::new(false));
    // Keeps the worker's local queue non-empty forever: each task spawns its successor.
    fn churn(stop: Arc<AtomicBool>) {
        if !stop.load(SeqCst) {
            drop(juliex::spawn(async move {
                juliex::yield_now().await;
                churn(stop)
            }));
        }
    }
    let s = stop.clone();
    drop(pool.spawn(async move {
        for _ in 0..4 {
            churn(s.clone());
        }
    }));
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    drop(pool.spawn(async move { r.store(true, SeqCst) }));
    wait_until("the remote task ran", || ran.load(SeqCst));
    stop.store(true, SeqCst);
}

#[test]
fn the_lifo_slot_cannot_starve_the_queue() {
    let pool = pool(1);
    let slots: [Arc<Mutex<Option<Waker>>>; 2] = Default::default();
    let polls = Arc::new(AtomicUsize::new(0));
    let queued_ran = Arc::new(AtomicBool::new(false));
    // Two tasks that wake each other on every poll: each wake puts the partner in the LIFO
    // slot. Mid-game one of them spawns a task, which the next wake pushes into the queue.
    let player = |me: usize| {
        let (mine, theirs) = (slots[me].clone(), slots[1 - me].clone());
        let (polls, queued_ran) = (polls.clone(), queued_ran.clone());
        std::future::poll_fn(move |cx| {
            *mine.lock().unwrap() = Some(cx.waker().clone());
            if polls.fetch_add(1, SeqCst) == 4 {
                let flag = queued_ran.clone();
                drop(juliex::spawn(async move { flag.store(true, SeqCst) }));
            }
            if let Some(w) = theirs.lock().unwrap().take() {
                w.wake();
            }
            Poll::<()>::Pending
        })
    };
    let (a, b) = (player(0), player(1));
    let handles = pool
        .block_on(pool.spawn(async move { (juliex::spawn(a), juliex::spawn(b)) }))
        .unwrap();
    wait_until("the queued task ran", || queued_ran.load(SeqCst));
    assert!(polls.load(SeqCst) > 4);
    handles.0.abort();
    handles.1.abort();
}
