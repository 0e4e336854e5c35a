//! [`Endpoint`]: what answers a route: any `async fn(Request<State>) -> tide::Result<impl
//! Into<Response>>`.

use std::future::Future;
use std::pin::Pin;

use crate::{Request, Response, Result};

/// The future an endpoint or middleware returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Answers the requests of a route.
///
/// Implemented for every `Fn(Request<State>) -> impl Future<Output = tide::Result<R>>` where
/// `R: Into<Response>`, so handlers are plain async functions or closures.
pub trait Endpoint<State>: Send + Sync + 'static {
    /// Answers one request.
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>>;
}

impl<State, F, Fut, R> Endpoint<State> for F
where
    State: Send + Sync + 'static,
    F: Fn(Request<State>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response>,
{
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        let future = self(request);
        Box::pin(async move { future.await.map(Into::into) })
    }
}
