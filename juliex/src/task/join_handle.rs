//! The owned handle to a spawned task's output.

use crate::task::error::JoinError;
use crate::task::raw::JoinRaw;
use futures_core::future::FusedFuture;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was
/// cancelled. Dropping it *detaches* the task: it keeps running and its output is dropped.
/// [`abort`](JoinHandle::abort) cancels it instead.
///
/// Panics in destructors are handled as tokio does: a future that panics while it is
/// dropped after returning `Ready` counts as a panicking task (its output is dropped and the
/// handle reports [`JoinError::is_panic`]); a panic while dropping an output that nobody
/// takes (the handle was dropped) is swallowed, so dropping a handle never panics.
///
/// ```
/// let pool = juliex::ThreadPool::new();
/// let handle = pool.spawn(async { 6 * 7 });
/// assert_eq!(pool.block_on(handle).unwrap(), 42);
/// ```
#[must_use = "dropping a JoinHandle detaches the task; use `let _ = ..` to do it on purpose"]
pub struct JoinHandle<T> {
    raw: JoinRaw<T>,
    /// Returned the output already (for `FusedFuture`).
    done: bool,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: JoinRaw<T>) -> Self {
        JoinHandle { raw, done: false }
    }

    /// Cancels the task: its future is dropped by a worker (at once if no worker is
    /// polling it; otherwise when the current poll returns) and awaiting this handle then
    /// gives a [`JoinError`] for which [`is_cancelled`](JoinError::is_cancelled) is true.
    /// Does nothing if the task already finished.
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// The task's id, as listed by [`ThreadPool::tasks`](crate::ThreadPool::tasks) and
    /// named in slow-poll reports.
    pub fn id(&self) -> crate::TaskId {
        self.raw.id()
    }

    /// True once the task has finished (returned, panicked or was cancelled), so that
    /// awaiting the handle will not wait.
    pub fn is_finished(&self) -> bool {
        self.raw.is_finished()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    /// # Panics
    /// If polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let out = this.raw.poll_join(cx);
        this.done = out.is_ready();
        out
    }
}

/// For `futures::select!` and friends: terminated once the output was returned.
impl<T> FusedFuture for JoinHandle<T> {
    fn is_terminated(&self) -> bool {
        self.done
    }
}

impl<T> Unpin for JoinHandle<T> {}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.raw.id())
            .field("state", &self.raw.snapshot())
            .finish()
    }
}
