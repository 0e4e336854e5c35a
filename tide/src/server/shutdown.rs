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
        }
    }
}

/// Completes when its [`Shutdown`] is triggered; deregisters itself when dropped.
pub(crate) struct Triggered {
    shutdown: Shutdown,
    key: Option<usize>,
}

impl Triggered {
    pub(crate) fn poll_triggered(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.shutdown.is_triggered() {
            return Poll::Ready(());
        }
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
