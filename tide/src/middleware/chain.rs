//! [`Next`]: the rest of the middleware chain and the endpoint at its end.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::StatusCode;

use super::Middleware;
use crate::endpoint::Endpoint;
use crate::layer_future::LayerFuture;
use crate::panic::log_panic;
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
                middleware.handle_in_layer(middleware, request, next)
            }
            None => chain.endpoint.call_in_layer(request),
        }));
        drop(chain);
        Run {
            state: match called {
                Ok(layer) => RunState::Layer(layer),
                Err(panic) => RunState::Panicked(panic),
            },
        }
    }
}

/// The future [`Next::run`] returns: the layer's future, a panic in any of its polls made
/// a 500 (a named future rather than an `async` block: no state machine around it).
struct Run {
    state: RunState,
}

enum RunState {
    Layer(LayerFuture),
    /// The layer panicked when it was called.
    Panicked(Box<dyn Any + Send>),
    Done,
}

impl Future for Run {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        let outcome = match &mut this.state {
            RunState::Layer(layer) => {
                // A layer that panicked is never polled again (it is dropped below), so its
                // state after the unwind cannot be observed: asserting unwind safety is sound.
                match catch_unwind(AssertUnwindSafe(|| Pin::new(layer).poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(result)) => Ok(result),
                    Err(panic) => Err(panic),
                }
            }
            RunState::Panicked(_) => match std::mem::replace(&mut this.state, RunState::Done) {
                RunState::Panicked(panic) => Err(panic),
                _ => unreachable!(),
            },
            RunState::Done => panic!("Next::run's future polled after it finished"),
        };
        // The layer's future is dropped (its box handed back) before the answer goes out.
        this.state = RunState::Done;
        Poll::Ready(match outcome {
            Ok(result) => result.unwrap_or_else(Response::from),
            Err(panic) => {
                log_panic(&*panic);
                Error::from_str(StatusCode::INTERNAL_SERVER_ERROR, "handler panicked").into()
            }
        })
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
