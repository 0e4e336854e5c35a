//! [`Endpoint`]: what answers a route: any `async fn(Request<State>) -> tide::Result<impl
//! Into<Response>>`.

use std::future::Future;
use std::pin::Pin;

use std::sync::Arc;

use crate::layer_future::{LayerFuture, Spare};
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

    /// What the chain calls: [`Endpoint::call`]'s future, unless the endpoint keeps a box
    /// for its futures (an `async fn` does: no allocation per request).
    #[doc(hidden)]
    fn call_in_layer(&self, request: Request<State>) -> LayerFuture<'_> {
        LayerFuture::boxed(self.call(request))
    }

    /// The endpoint as the app stores it.
    #[doc(hidden)]
    fn into_layer(self) -> Arc<dyn Endpoint<State>>
    where
        Self: Sized,
    {
        Arc::new(self)
    }
}

impl<State, F, Fut, R> Endpoint<State> for F
where
    State: Send + Sync + 'static,
    F: Fn(Request<State>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        let future = self(request);
        Box::pin(async move { future.await.map(Into::into) })
    }

    fn into_layer(self) -> Arc<dyn Endpoint<State>> {
        Arc::new(FnEndpoint {
            function: self,
            spare: Spare::new(),
        })
    }
}

/// An endpoint function, stored with the spare box its futures run in (which makes their
/// answers a [`Response`]).
struct FnEndpoint<F, Fut> {
    function: F,
    spare: Spare<Fut>,
}

impl<State, F, Fut, R> Endpoint<State> for FnEndpoint<F, Fut>
where
    State: Send + Sync + 'static,
    F: Fn(Request<State>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        let future = (self.function)(request);
        Box::pin(async move { future.await.map(Into::into) })
    }

    fn call_in_layer(&self, request: Request<State>) -> LayerFuture<'_> {
        self.spare.future(|| (self.function)(request))
    }
}
