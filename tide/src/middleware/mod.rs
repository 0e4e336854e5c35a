//! Middleware: code that runs around the handlers, as `async fn(req, next)`.
//!
//! Middleware added with `app.with(..)` runs for every request, the first added outermost;
//! middleware added with `app.at(path).with(..)` runs, inside the app's, for the routes at and
//! below that path. A middleware may change the request, answer early without calling
//! `next`, or change the response `next` returned.
//!
//! Built in: [`Logger`], [`Cors`], [`Timeout`], and `Compression` (feature `compression`). Cookies need no middleware: requests parse theirs on
//! demand ([`Request::cookie`](crate::Request::cookie)) and responses set them
//! ([`Response::insert_cookie`](crate::Response::insert_cookie)); see [`Cookie`](crate::Cookie).

mod chain;
#[cfg(feature = "compression")]
mod compressed_body;
#[cfg(feature = "compression")]
mod compression;
mod cors;
mod logger;
mod timeout;

pub(crate) use chain::Chain;
pub use chain::Next;
#[cfg(feature = "compression")]
pub use compression::Compression;
pub use cors::Cors;
pub use logger::Logger;
pub use timeout::Timeout;

use std::future::Future;
use std::sync::Arc;

use crate::endpoint::BoxFuture;
use crate::layer_future::{LayerFuture, Spare};
use crate::{Request, Response, Result};

/// Code that runs around handlers.
///
/// Implemented for every `Fn(Request<State>, Next<State>) -> impl Future<Output =
/// tide::Result<Response>>`, so a middleware can be an async function:
///
/// ```
/// use tide::{Next, Request, Response};
///
/// async fn server_header(req: Request<()>, next: Next<()>) -> tide::Result<Response> {
///     let mut response = next.run(req).await;
///     response.insert_header("server", "tide");
///     Ok(response)
/// }
///
/// let mut app = tide::new();
/// app.with(server_header);
/// app.at("/").get(|_| async { Ok("hi") });
/// # tide::runtime::block_on(async {
/// let response = tide::testing::get(&app, "/").await;
/// assert_eq!(response.header("server").unwrap(), "tide");
/// # });
/// ```
pub trait Middleware<State>: Send + Sync + 'static {
    /// Handles a request, usually by calling `next.run(req)` somewhere inside. The
    /// middleware comes as an `Arc` (a clone of the app's), so that its future can own it.
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>>;

    /// What the chain calls (`this` is the app's `Arc` of this middleware):
    /// [`Middleware::handle`]'s future, in a box the layer keeps from request to request
    /// (every middleware is wrapped in such a layer when it is added: `into_layer`), or
    /// else in a box of its own.
    #[doc(hidden)]
    fn handle_in_layer<'a>(
        &'a self,
        this: &'a Arc<dyn Middleware<State>>,
        request: Request<State>,
        next: Next<State>,
    ) -> LayerFuture<'a>
    where
        State: 'static,
    {
        LayerFuture::unstored(Arc::clone(this).handle(request, next))
    }

    /// The middleware as the app stores it: in a layer that keeps a spare box for the
    /// futures [`handle`](Middleware::handle) returns.
    #[doc(hidden)]
    fn into_layer(self) -> Arc<dyn Middleware<State>>
    where
        Self: Sized,
        State: Send + Sync + 'static,
    {
        Arc::new(HandWritten {
            middleware: Arc::new(self),
            spare: Spare::new(),
        })
    }
}

/// A middleware implemented by hand, stored with the spare box its (boxed) futures are
/// kept in, so that its layer's future is a box like every other layer's: the one
/// allocation per request is the middleware's own `BoxFuture`.
struct HandWritten<M> {
    middleware: Arc<M>,
    spare: Spare<BoxFuture<'static, Result<Response>>>,
}

impl<State, M> Middleware<State> for HandWritten<M>
where
    State: Send + Sync + 'static,
    M: Middleware<State>,
{
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        Arc::clone(&self.middleware).handle(request, next)
    }

    fn handle_in_layer<'a>(
        &'a self,
        _this: &'a Arc<dyn Middleware<State>>,
        request: Request<State>,
        next: Next<State>,
    ) -> LayerFuture<'a> {
        self.spare
            .future(|| Arc::clone(&self.middleware).handle(request, next))
    }

    fn into_layer(self) -> Arc<dyn Middleware<State>> {
        Arc::new(self)
    }
}

impl<State, F, Fut> Middleware<State> for F
where
    State: Send + Sync + 'static,
    F: Fn(Request<State>, Next<State>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + Send + 'static,
{
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        Box::pin(self(request, next))
    }

    fn into_layer(self) -> Arc<dyn Middleware<State>> {
        Arc::new(FnMiddleware {
            function: self,
            spare: Spare::new(),
        })
    }
}

/// A middleware function, stored with the spare box its futures run in.
struct FnMiddleware<F, Fut> {
    function: F,
    spare: Spare<Fut>,
}

impl<State, F, Fut> Middleware<State> for FnMiddleware<F, Fut>
where
    State: Send + Sync + 'static,
    F: Fn(Request<State>, Next<State>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Response>> + Send + 'static,
{
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        Box::pin((self.function)(request, next))
    }

    fn handle_in_layer<'a>(
        &'a self,
        _this: &'a Arc<dyn Middleware<State>>,
        request: Request<State>,
        next: Next<State>,
    ) -> LayerFuture<'a> {
        self.spare.future(|| (self.function)(request, next))
    }
}
