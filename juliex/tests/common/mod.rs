//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

/// Generous limit for anything that should finish quickly: only deadlocks hit it.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A pool with `n` workers.
pub fn pool(n: usize) -> juliex::ThreadPool {
    juliex::ThreadPool::builder()
        .worker_threads(n)
        .build()
        .unwrap()
}

/// Runs `f` on another thread and fails the test if it does not return within [`DEADLINE`].
pub fn within_deadline<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(Ok(r)) => r,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("did not finish within {DEADLINE:?}: deadlock?"),
    }
}

/// Counts how many of its clones were dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }
    pub fn dropped(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// Bumps its counter when dropped.
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future that never completes and never keeps its waker.
pub fn pending_forever<T>() -> std::future::Pending<T> {
    std::future::pending()
}

/// Stores the waker of the task that polls it in `slot`, and stays pending.
pub struct StashWaker(pub Arc<std::sync::Mutex<Option<std::task::Waker>>>);

impl Future for StashWaker {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Polls until `cond` holds, or panics after [`DEADLINE`].
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}
