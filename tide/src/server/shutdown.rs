//! [`Shutdown`]: a one-shot signal that tells a server and its connections to stop.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use slab::Slab;

/// A signal that can be triggered once and awaited by many.
#[derive(Clone, Default)]
pub(crate) struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    triggered: AtomicBool,
    waiters: Mutex<Slab<Waker>>,
}

impl Shutdown {
    pub(crate) fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Triggers the signal and wakes every waiter.
    pub(crate) fn trigger(&self) {
        self.inner.triggered.store(true, Ordering::Release);
        let waiters: Vec<Waker> = {
            let mut waiters = self.inner.waiters.lock().unwrap_or_else(|p| p.into_inner());
            waiters.drain().collect()
        };
        // Woken outside the lock.
        waiters.into_iter().for_each(Waker::wake);
    }

    /// Whether the signal was triggered.
    pub(crate) fn is_triggered(&self) -> bool {
        self.inner.triggered.load(Ordering::Acquire)
    }

    /// A future that completes once the signal is triggered.
    pub(crate) fn wait(&self) -> Triggered {
        Triggered {
            shutdown: self.clone(),
            key: None,
            stored: None,
        }
    }
}

/// Completes when its [`Shutdown`] is triggered; deregisters itself when dropped.
pub(crate) struct Triggered {
    shutdown: Shutdown,
    key: Option<usize>,
    /// The identity (data and vtable addresses) of the waker stored under `key`. Only this
    /// future stores there and only `trigger` removes entries (after setting the flag), so
    /// while the signal is not triggered the entry still holds that waker, which keeps its
    /// task alive: a poll with a waker of the same identity needs no lock.
    stored: Option<(usize, usize)>,
}

/// The identity `Waker::will_wake` compares.
fn waker_id(waker: &Waker) -> (usize, usize) {
    (
        waker.data() as usize,
        std::ptr::from_ref(waker.vtable()) as usize,
    )
}

impl Triggered {
    pub(crate) fn poll_triggered(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.shutdown.is_triggered() {
            return Poll::Ready(());
        }
        let id = waker_id(cx.waker());
        if self.key.is_some() && self.stored == Some(id) {
            // Still registered with this task's waker (see `stored`); a trigger since the
            // check above has set the flag before draining, so it is seen below or wakes us.
            return if self.shutdown.is_triggered() {
                Poll::Ready(())
            } else {
                Poll::Pending
            };
        }
        self.stored = Some(id);
        let mut waiters = self
            .shutdown
            .inner
            .waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match self.key {
            Some(key) if waiters.contains(key) => waiters[key].clone_from(cx.waker()),
            _ => self.key = Some(waiters.insert(cx.waker().clone())),
        }
        drop(waiters);
        // Checked again after registering: a trigger in between is not lost.
        if self.shutdown.is_triggered() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Future for Triggered {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_triggered(cx)
    }
}

impl Drop for Triggered {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let mut waiters = self
                .shutdown
                .inner
                .waiters
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if waiters.contains(key) {
                waiters.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_waiter_polled_again_by_its_task_stays_registered_and_is_woken_once() {
        let shutdown = Shutdown::new();
        let mut waiting = shutdown.wait();
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        for _ in 0..3 {
            assert!(waiting.poll_triggered(&mut cx).is_pending());
        }
        // Another task's waker replaces the first.
        let other = Arc::new(CountWakes(AtomicUsize::new(0)));
        let other_waker = Waker::from(other.clone());
        assert!(
            waiting
                .poll_triggered(&mut Context::from_waker(&other_waker))
                .is_pending()
        );
        assert!(waiting.poll_triggered(&mut cx).is_pending());
        shutdown.trigger();
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "the last task to poll is woken"
        );
        assert_eq!(other.0.load(Ordering::SeqCst), 0);
        assert!(waiting.poll_triggered(&mut cx).is_ready());
    }
}
