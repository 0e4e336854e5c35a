//! The park hook: what an idle worker does instead of sleeping (see [`Park`]).

use std::sync::Arc;
use std::time::Duration;

/// What an idle worker does instead of sleeping, e.g. wait for I/O in a reactor.
///
/// Implemented for pairs of closures `(park, unpark)` (see
/// [`Builder::park_hook`](crate::Builder::park_hook)) and for `Arc<P>`.
///
/// An executor's idle threads sleep; a reactor needs a thread blocked in its OS wait
/// (`epoll_wait`, `kevent`, ...). Doing both on separate threads costs a thread hop on every
/// readiness event. With a park hook, an idle worker waits *in the hook* (for example, turns
/// a reactor) instead: a readiness event then wakes tasks on that worker's own thread and it
/// runs them at once.
///
/// The contract, for whoever implements [`Park`]:
///
/// - [`Park::park`] waits for at most `timeout` (`None`: until [`Park::unpark`]) and returns
///   `true`; or returns `false` at once, without waiting, if another thread is in the hook.
///   A worker that gets `false` sleeps the ordinary way. It may return early (spuriously).
/// - [`Park::unpark`] makes the thread currently in `park` return soon. It must not be lost
///   if it races with the start of `park`: if `unpark` is called just before a thread enters
///   `park`, that `park` returns promptly (like [`std::thread::Thread::unpark`]). Spurious
///   calls are allowed and only cost a spurious return.
/// - `park` may wake tasks (call `Waker::wake`) on the calling thread; juliex queues them on
///   that worker, which runs them as soon as `park` returns.
/// - Busy workers call `park(Some(Duration::ZERO))` every so often (every 61 tasks), so
///   events are collected even when no worker is idle.
/// - Neither method may call back into juliex in a way that blocks (e.g. `block_on`).
pub trait Park: Send + Sync + 'static {
    /// Wait in the hook for at most `timeout` (None: until `unpark`). Returns false at once
    /// if the hook is busy (another thread is in it); the worker then sleeps the ordinary way.
    fn park(&self, timeout: Option<Duration>) -> bool;
    /// Wake the thread that is currently inside `park`.
    fn unpark(&self);
}

impl<P, U> Park for (P, U)
where
    P: Fn(Option<Duration>) -> bool + Send + Sync + 'static,
    U: Fn() + Send + Sync + 'static,
{
    fn park(&self, timeout: Option<Duration>) -> bool {
        (self.0)(timeout)
    }

    fn unpark(&self) {
        (self.1)()
    }
}

impl<P: Park + ?Sized> Park for Arc<P> {
    fn park(&self, timeout: Option<Duration>) -> bool {
        (**self).park(timeout)
    }

    fn unpark(&self) {
        (**self).unpark()
    }
}
