//! Spawning: results come back, from every kind of thread, into every pool.

mod common;

use common::{pool, within_deadline};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

#[test]
fn a_million_small_tasks_all_complete() {
    within_deadline(|| {
        let pool = pool(2);
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        let handles = pool.block_on(async move {
            let mut handles = Vec::with_capacity(1_000_000);
            for _ in 0..1_000_000 {
                let d = d.clone();
                handles.push(juliex::spawn(async move {
                    d.fetch_add(1, SeqCst);
                }));
            }
            for h in handles.drain(..) {
                h.await.unwrap();
            }
            handles
        });
        assert!(handles.is_empty());
        assert_eq!(done.load(SeqCst), 1_000_000);
        assert_eq!(pool.idle_tasks(), 0);
    });
}

#[test]
fn values_come_back_through_join_handles() {
    let pool = pool(2);
    let handles: Vec<_> = (0..100u64)
        .map(|i| pool.spawn(async move { i * 2 }))
        .collect();
    let got: Vec<u64> = pool.block_on(async {
        let mut v = Vec::new();
        for h in handles {
            v.push(h.await.unwrap());
        }
        v
    });
    assert_eq!(got, (0..100).map(|i| i * 2).collect::<Vec<_>>());
}

#[test]
fn spawn_from_inside_a_task_uses_the_same_pool() {
    let pool = pool(2);
    let inner = pool.block_on(pool.spawn(async {
        let name = || std::thread::current().name().map(str::to_owned);
        juliex::spawn(async move { name() }).await.unwrap()
    }));
    assert!(inner.unwrap().unwrap().starts_with("juliex-"));
}

#[test]
fn spawn_from_an_outside_thread() {
    let pool = Arc::new(pool(2));
    let p = pool.clone();
    let handle = std::thread::spawn(move || p.spawn(async { 5 }))
        .join()
        .unwrap();
    assert_eq!(pool.block_on(handle).unwrap(), 5);
}

#[test]
fn spawn_into_another_pool() {
    let a = pool(1);
    let b = Arc::new(
        juliex::ThreadPool::builder()
            .worker_threads(1)
            .thread_name("pool-b")
            .build()
            .unwrap(),
    );
    let b2 = b.clone();
    let name = a.block_on(a.spawn(async move {
        b2.spawn(async { std::thread::current().name().unwrap().to_owned() })
            .await
            .unwrap()
    }));
    assert_eq!(name.unwrap(), "pool-b");
}

#[test]
fn chains_of_spawns_finish() {
    fn chain(n: u32) -> juliex::JoinHandle<u32> {
        juliex::spawn(async move {
            if n == 0 {
                0
            } else {
                chain(n - 1).await.unwrap() + 1
            }
        })
    }
    let pool = pool(2);
    assert_eq!(pool.block_on(async { chain(1000).await.unwrap() }), 1000);
}

#[test]
fn spawn_blocking_results() {
    let pool = pool(2);
    let handles: Vec<_> = (0..50)
        .map(|i| pool.spawn_blocking(move || i + 1))
        .collect();
    let sum = pool.block_on(async {
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (1..=50).sum::<i32>());
    let from_task =
        pool.block_on(pool.spawn(async { juliex::spawn_blocking(|| "ok").await.unwrap() }));
    assert_eq!(from_task.unwrap(), "ok");
}

#[test]
fn spawn_blocking_jobs_run_side_by_side() {
    // Eight jobs that each wait for all the others can only finish on eight threads.
    let pool = juliex::ThreadPool::builder()
        .worker_threads(1)
        .max_blocking_threads(16)
        .build()
        .unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let b = barrier.clone();
            pool.spawn_blocking(move || b.wait().is_leader())
        })
        .collect();
    let leaders = within_deadline(move || {
        pool.block_on(async {
            let mut leaders = 0;
            for h in handles {
                leaders += usize::from(h.await.unwrap());
            }
            leaders
        })
    });
    assert_eq!(leaders, 1);
}

#[test]
fn global_pool_functions() {
    let v = juliex::block_on(async {
        juliex::spawn(async { 1 }).await.unwrap() + juliex::spawn_blocking(|| 2).await.unwrap()
    });
    assert_eq!(v, 3);
}

#[test]
fn futures_spawn_trait() {
    let pool = pool(2);
    use futures::task::SpawnExt;
    let handle = SpawnExt::spawn_with_handle(&pool, async { 9 }).unwrap();
    assert_eq!(pool.block_on(handle), 9);
    SpawnExt::spawn(&&pool, async {}).unwrap();
    pool.shutdown();
    assert!(SpawnExt::spawn(&pool, async {}).is_err());
}

#[test]
fn join_handle_is_finished() {
    let pool = pool(1);
    let h = pool.spawn(async { 1 });
    common::wait_until("the task finished", || h.is_finished());
    assert_eq!(pool.block_on(h).unwrap(), 1);
}

#[test]
fn dropped_join_handle_detaches() {
    let pool = pool(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    drop(pool.spawn(async move {
        juliex::yield_now().await;
        r.fetch_add(1, SeqCst);
    }));
    common::wait_until("the detached task ran", || ran.load(SeqCst) == 1);
}

#[test]
fn handles_and_pools_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<juliex::JoinHandle<u32>>();
    send_sync::<juliex::JoinHandle<std::cell::Cell<u32>>>();
    send_sync::<juliex::ThreadPool>();
    send_sync::<juliex::JoinError>();
    send_sync::<juliex::Builder>();
}

#[test]
fn join_handles_work_in_select() {
    use futures::FutureExt;
    let pool = pool(2);
    let (mut a, mut b) = (
        pool.spawn(async { 1 }),
        pool.spawn(std::future::pending::<i32>()),
    );
    let first = pool.block_on(async {
        futures::select! {
            x = a => x.unwrap(),
            y = b => y.unwrap(),
        }
    });
    assert_eq!(first, 1);
    assert!(futures::future::FusedFuture::is_terminated(&a));
    b.abort();
    assert!(pool.block_on((&mut b).fuse()).unwrap_err().is_cancelled());
}
