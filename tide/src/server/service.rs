//! [`Service`]: the one async function the engine calls per request: the boundary between the
//! HTTP/1.1 engine and what runs on it.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use http::StatusCode;

use crate::panic::{CatchPanic, log_panic};
use crate::{Body, Request, Response};

pub use crate::request::ConnInfo;

/// Answers requests: the boundary between the HTTP/1.1 engine and what runs on it.
///
/// The engine knows nothing of routes: it parses a request head, builds the [`Request`] once
/// (its [`ConnInfo`] and body limit inside), calls the service, and writes the [`Response`]
/// back. The service's future is stored inline in the connection's future: no allocation
/// per request at this boundary.
///
/// A service must not panic: [`App`](crate::App) turns a panic in a handler or middleware
/// into a `500` itself. A plain function of `http::Request<Body>` to `http::Response<Body>`
/// is a service too, and the engine catches its panics (turning them into a `500`, logged
/// once through `log`).
///
/// # Examples
///
/// ```
/// use http::{Request, Response};
/// use tide::Body;
///
/// async fn hello(_request: Request<Body>) -> Response<Body> {
///     Response::new(Body::from("Hello, World!"))
/// }
///
/// fn takes_a_service(_: impl tide::server::Service) {}
/// takes_a_service(hello);
/// ```
pub trait Service: Send + Sync + 'static {
    /// Answers one request.
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send;
}

/// A bare function as a service: the request is handed over as an `http::Request`, and a
/// panic, when it is called or while its future runs, becomes a `500`.
impl<F, Fut> Service for F
where
    F: Fn(http::Request<Body>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http::Response<Body>> + Send + 'static,
{
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send {
        let called = catch_unwind(AssertUnwindSafe(|| self(request.into_http())));
        async move {
            let outcome = match called {
                Ok(future) => CatchPanic::new(Box::pin(future)).await,
                Err(panic) => Err(panic),
            };
            match outcome {
                Ok(response) => Response::from(response),
                Err(panic) => {
                    log_panic(&*panic);
                    let mut response = Response::from("Internal Server Error\n");
                    response.set_status(StatusCode::INTERNAL_SERVER_ERROR);
                    response
                }
            }
        }
    }
}
