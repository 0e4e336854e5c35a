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

    /// What the chain calls: [`Endpoint::call`]'s future, in a box the layer keeps from
    /// request to request (every endpoint is wrapped in such a layer when it is added:
    /// `into_layer`), or else in a box of its own.
    #[doc(hidden)]
    fn call_in_layer(&self, request: Request<State>) -> LayerFuture<'_> {
        LayerFuture::unstored(self.call(request))
    }

    /// The endpoint as the app stores it: in a layer that keeps a spare box for the
    /// futures [`call`](Endpoint::call) returns.
    #[doc(hidden)]
    fn into_layer(self) -> Arc<dyn Endpoint<State>>
    where
        Self: Sized,
        State: Send + Sync + 'static,
    {
        Arc::new(HandWritten {
            endpoint: self,
            spare: Spare::new(),
        })
    }
}

/// An endpoint implemented by hand, stored with the spare box its (boxed) futures are kept
/// in, so that its layer's future is a box like every other layer's: the one allocation
/// per request is the endpoint's own `BoxFuture`.
struct HandWritten<E> {
    endpoint: E,
    spare: Spare<BoxFuture<'static, Result<Response>>>,
}

impl<State, E> Endpoint<State> for HandWritten<E>
where
    State: Send + Sync + 'static,
    E: Endpoint<State>,
{
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        self.endpoint.call(request)
    }

    fn call_in_layer(&self, request: Request<State>) -> LayerFuture<'_> {
        self.spare.future(|| self.endpoint.call(request))
    }

    fn into_layer(self) -> Arc<dyn Endpoint<State>> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Body;
    use crate::request::ConnInfo;

    /// A hand-written endpoint answering its fixed status.
    struct Status(http::StatusCode);

    impl Endpoint<()> for Status {
        fn call(&self, _request: Request<()>) -> BoxFuture<'static, Result<Response>> {
            let status = self.0;
            Box::pin(async move { Ok(Response::new(status)) })
        }
    }

    fn request() -> Request<()> {
        let conn = ConnInfo {
            peer_addr: None,
            local_addr: None,
        };
        Request::from_http(http::Request::new(Body::empty()), conn, 0).with_state((), None)
    }

    #[test]
    fn every_layer_keeps_one_box_for_its_futures_hand_written_or_a_function() {
        let layers = [
            Status(http::StatusCode::CREATED).into_layer(),
            (|_: Request<()>| async { Ok(Response::new(http::StatusCode::CREATED)) }).into_layer(),
        ];
        for layer in layers {
            let first = layer.call_in_layer(request());
            let first_box = first.box_address();
            assert_eq!(futures::executor::block_on(first).status(), 201);
            let second = layer.call_in_layer(request());
            assert_eq!(second.box_address(), first_box, "the box is reused");
            // One alive beside it gets a box of its own.
            let third = layer.call_in_layer(request());
            assert_ne!(third.box_address(), first_box);
            assert_eq!(futures::executor::block_on(second).status(), 201);
            assert_eq!(futures::executor::block_on(third).status(), 201);
        }
    }
}
