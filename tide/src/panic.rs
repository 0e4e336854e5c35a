//! [`CatchPanic`]: runs a handler's future, turning a panic into a value; the one place a
//! caught panic is logged, and the `500` it is answered with.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::StatusCode;

use crate::Response;

/// Polls `F` (already boxed or otherwise `Unpin`, so catching costs no allocation), catching
/// a panic in any poll.
pub(crate) struct CatchPanic<F> {
    future: F,
}

impl<F: Future + Unpin> CatchPanic<F> {
    pub(crate) fn new(future: F) -> CatchPanic<F> {
        CatchPanic { future }
    }
}

impl<F: Future + Unpin> Future for CatchPanic<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A future that panicked is never polled again (the caller drops it), so observing
        // its state after the unwind is not possible: asserting unwind safety is sound.
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut self.future).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// The message of a panic payload, when it has one.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Logs a caught panic, through `log`: the one log line a panicking request gets.
pub(crate) fn log_panic(panic: &(dyn Any + Send)) {
    log::error!("a request handler panicked: {}", panic_message(panic));
}

/// The answer to a request whose handler or middleware panicked: `500 Internal Server
/// Error`, naming only the status (the panic's message is logged, here, once, and never
/// sent).
#[cold]
pub(crate) fn panic_response(panic: &(dyn Any + Send)) -> Response {
    log_panic(panic);
    let mut response = Response::from("Internal Server Error\n");
    response.set_status(StatusCode::INTERNAL_SERVER_ERROR);
    response
}
