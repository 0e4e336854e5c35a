//! [`Next`]: the rest of the middleware chain and the endpoint at its end.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::Middleware;
use crate::endpoint::Endpoint;
use crate::layer_future::LayerFuture;
use crate::panic::panic_response;
use crate::{Request, Response};

/// A route's middleware, outermost first, and its endpoint; built once when the app is.
pub(crate) struct Chain<State> {
    pub(crate) middleware: Vec<Arc<dyn Middleware<State>>>,
    pub(crate) endpoint: Arc<dyn Endpoint<State>>,
}

impl<State: Send + Sync + 'static> Chain<State> {
    /// Calls layer `index` (a middleware, or the endpoint past the last one) with `request`;
    /// its future borrows the chain. A panic while the layer is called is answered `500`
    /// like a panic in its future.
    ///
    /// A middleware gets a [`Next`] of its own for the rest of the chain: the one reference
    /// count taken per middleware per request.
    pub(crate) fn call(self: &Arc<Self>, index: usize, request: Request<State>) -> LayerFuture<'_> {
        // A layer that panicked when called left no future behind: nothing of its state
        // can be observed after the unwind, so asserting unwind safety is sound.
        let called = catch_unwind(AssertUnwindSafe(|| match self.middleware.get(index) {
            Some(middleware) => {
                let next = Next {
                    chain: Arc::clone(self),
                    index: index + 1,
                };
                middleware.handle_in_layer(middleware, request, next)
            }
            None => self.endpoint.call_in_layer(request),
        }));
        called.unwrap_or_else(|panic| {
            let response = panic_response(&*panic);
            LayerFuture::unstored(std::future::ready(Ok(response)))
        })
    }
}

/// The rest of the chain after the current middleware.
pub struct Next<State> {
    chain: Arc<Chain<State>>,
    index: usize,
}

impl<State: Send + Sync + 'static> Next<State> {
    /// The whole of `chain` (for measuring futures in tests; requests start with
    /// [`Chain::call`]).
    #[cfg(test)]
    pub(crate) fn new(chain: Arc<Chain<State>>) -> Next<State> {
        Next { chain, index: 0 }
    }

    /// Runs the rest of the chain. An error further in has already become its response, and
    /// so has a panic: a middleware or handler that panics answers `500 Internal Server
    /// Error` (the panic message is logged, never sent), which every middleware further out
    /// sees like any other response.
    ///
    /// The layer is called at once and the request moves into its future, which lives in a
    /// box the layer keeps from request to request (`layer_future.rs`), so the future
    /// returned here holds only that box and this `Next`'s hold on the chain: a few words,
    /// whatever the request's size.
    pub fn run(self, request: Request<State>) -> impl Future<Output = Response> + Send {
        let Next { chain, index } = self;
        let future = chain.call(index, request);
        Run {
            // SAFETY: the layer lives in `chain`, behind an `Arc` (so it does not move),
            // and `Run` holds that `Arc` until the future is dropped: `future` is declared
            // first, so it is dropped first.
            future: unsafe { future.detach() },
            _chain: chain,
        }
    }
}

/// The future [`Next::run`] returns: the layer's future, and the chain it came from, kept
/// alive for it (a named future rather than an `async` block: no state machine around it).
struct Run<State> {
    /// Declared before `_chain`: dropped (its box handed back to its layer) before it.
    future: LayerFuture<'static>,
    _chain: Arc<Chain<State>>,
}

impl<State> Future for Run<State> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        Pin::new(&mut self.get_mut().future).poll(cx)
    }
}

impl<State> std::fmt::Debug for Next<State> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field(
                "remaining_middleware",
                &(self.chain.middleware.len() - self.index),
            )
            .finish()
    }
}
