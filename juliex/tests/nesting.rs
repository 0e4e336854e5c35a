//! Calls into a pool from its own threads: `block_on` inside one of its tasks is refused,
//! and `spawn` inside its blocking closures goes to it.

mod common;

use common::within_deadline;
use std::sync::Arc;
use std::thread;

fn named_pool(name: &str) -> juliex::ThreadPool {
    juliex::ThreadPool::builder()
        .worker_threads(1)
        .thread_name(name)
        .build()
        .unwrap()
}

/// The name of the thread that runs a task spawned with `juliex::spawn` from here.
fn where_spawn_runs() -> String {
    juliex::block_on(juliex::spawn(async {
        thread::current().name().unwrap_or("").to_owned()
    }))
    .unwrap()
}

#[test]
fn pool_block_on_inside_a_task_of_the_pool_panics_instead_of_deadlocking() {
    let pool = Arc::new(named_pool("nested-block-on"));
    let inner = pool.clone();
    let p = pool.clone();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // With one worker, blocking it on a task of the same pool would wait forever.
    let result = within_deadline(move || {
        p.block_on(p.spawn(async move { inner.block_on(inner.spawn(async { 1 })) }))
    });
    std::panic::set_hook(quiet);
    let err = result.expect_err("block_on inside the pool's task must panic");
    assert!(err.is_panic(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("block_on called from inside a juliex task"),
        "{message}"
    );
    // The worker lives on.
    assert_eq!(pool.block_on(pool.spawn(async { 2 })).unwrap(), 2);
}

#[test]
fn spawn_inside_pool_spawn_blocking_goes_to_that_pool() {
    let pool = named_pool("blocking-owner");
    let ran_on = pool
        .block_on(pool.spawn_blocking(where_spawn_runs))
        .unwrap();
    assert_eq!(ran_on, "blocking-owner");
}

#[test]
fn spawn_inside_spawn_blocking_from_a_task_goes_to_the_same_pool() {
    let pool = named_pool("blocking-from-task");
    let ran_on = within_deadline(move || {
        pool.block_on(pool.spawn(async { juliex::spawn_blocking(where_spawn_runs).await }))
    });
    assert_eq!(ran_on.unwrap().unwrap(), "blocking-from-task");
}
