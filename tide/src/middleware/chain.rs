//! [`Next`]: the rest of the middleware chain and the endpoint at its end.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use http::StatusCode;

use super::Middleware;
use crate::endpoint::Endpoint;
use crate::panic::{CatchPanic, log_panic};
use crate::{Error, Request, Response};

/// A route's middleware, outermost first, and its endpoint; built once when the app is.
pub(crate) struct Chain<State> {
    pub(crate) middleware: Vec<Arc<dyn Middleware<State>>>,
    pub(crate) endpoint: Arc<dyn Endpoint<State>>,
}

/// The rest of the chain after the current middleware.
pub struct Next<State> {
    chain: Arc<Chain<State>>,
    index: usize,
}

impl<State: Send + Sync + 'static> Next<State> {
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
    /// returned here holds only that box: a few words, whatever the request's size.
    pub fn run(self, request: Request<State>) -> impl Future<Output = Response> + Send {
        let Next { chain, index } = self;
        let called = catch_unwind(AssertUnwindSafe(|| match chain.middleware.get(index) {
            Some(middleware) => {
                let next = Next {
                    chain: chain.clone(),
                    index: index + 1,
                };
                middleware.clone().handle_in_layer(request, next)
            }
            None => chain.endpoint.call_in_layer(request),
        }));
        drop(chain);
        async move {
            let outcome = match called {
                Ok(layer) => CatchPanic::new(layer).await,
                Err(panic) => Err(panic),
            };
            match outcome {
                Ok(result) => result.unwrap_or_else(Response::from),
                Err(panic) => {
                    log_panic(&*panic);
                    Error::from_str(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked").into()
                }
            }
        }
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
