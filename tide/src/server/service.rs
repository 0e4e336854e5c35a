//! [`Service`]: the one async function the engine calls per request.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use http::{Request, Response};

use crate::Body;

/// The future a [`Service`] returns.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send + 'static>>;

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnInfo {
    /// The client's address (`None` over a Unix socket).
    pub peer_addr: Option<SocketAddr>,
    /// The server's address the client connected to (`None` over a Unix socket).
    pub local_addr: Option<SocketAddr>,
}

/// Answers requests: the boundary between the HTTP/1.1 engine and what runs on it.
///
/// The engine knows nothing of routes: it parses a request, calls the service, and writes
/// the response back. Any `Fn(Request<Body>) -> impl Future<Output = Response<Body>>` is a
/// service.
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
    fn call(&self, request: Request<Body>, conn: &ConnInfo) -> ResponseFuture;
}

impl<F, Fut> Service for F
where
    F: Fn(Request<Body>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    fn call(&self, request: Request<Body>, _conn: &ConnInfo) -> ResponseFuture {
        Box::pin(self(request))
    }
}
