//! Cooperative yielding.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the executor: the current task goes to the *back* of its worker's run
/// queue, so every task queued before it runs first.
///
/// ```
/// let pool = juliex::ThreadPool::new();
/// pool.block_on(async {
///     juliex::yield_now().await;
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking a running task marks it to be queued again when this poll returns; the
        // worker puts such tasks behind the others (never in the LIFO slot).
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
