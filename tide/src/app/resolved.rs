//! [`Built`]: an app resolved for answering requests: every route's middleware chain built
//! once, the 404/405/`OPTIONS` answers in place; and [`AppService`], the built app as the
//! engine's [`Service`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::Method;
use http::header::HeaderValue;

use super::App;
use crate::endpoint::Endpoint;
use crate::layer_future::LayerFuture;
use crate::middleware::Chain;
use crate::router::fixed::Fixed;
use crate::router::{Dispatch, MethodTable, Params, Pattern, Tree, head};
use crate::server::Service;
use crate::{Request, Response};

/// An app ready to answer requests: every route's middleware chain resolved.
pub(crate) struct Built<State> {
    state: State,
    routes: Tree<BuiltRoute<State>>,
    not_found: Arc<Chain<State>>,
}

/// One path's chains, by method, and its answers to the methods it has no endpoint for.
struct BuiltRoute<State> {
    table: MethodTable<Arc<Chain<State>>>,
    not_allowed: Arc<Chain<State>>,
    options: Arc<Chain<State>>,
}

impl<State: Clone + Send + Sync + 'static> Built<State> {
    /// Resolves every route's chain: app middleware, then the scoped middleware whose path
    /// covers the route, then the endpoint.
    pub(crate) fn resolve(app: &App<State>) -> Built<State> {
        let chain = |pattern: Option<&Pattern>, endpoint: Arc<dyn Endpoint<State>>| {
            let mut middleware = app.middleware.clone();
            if let Some(pattern) = pattern {
                middleware.extend(
                    app.scoped
                        .iter()
                        .filter(|(prefix, _)| pattern.starts_with(prefix))
                        .map(|(_, m)| m.clone()),
                );
            }
            Arc::new(Chain {
                middleware,
                endpoint,
            })
        };
        let routes = app.routes.map(|entry| {
            let allow = HeaderValue::from_str(&entry.table.allow())
                .expect("method names are valid header text");
            BuiltRoute {
                table: entry
                    .table
                    .map(|endpoint| chain(Some(&entry.pattern), endpoint.clone())),
                not_allowed: chain(
                    Some(&entry.pattern),
                    Fixed::not_allowed(allow.clone()).into_layer(),
                ),
                options: chain(Some(&entry.pattern), Fixed::options(allow).into_layer()),
            }
        });
        Built {
            state: app.state.clone(),
            routes,
            not_found: chain(None, Fixed::not_found().into_layer()),
        }
    }

    /// Routes `path` and `method` to a chain and the parameters the path captured (`None`
    /// when it captured none: a route all of literals, or no route).
    fn route(&self, path: &str, method: &Method) -> (&Arc<Chain<State>>, Option<Params>) {
        let Some(found) = self.routes.find(path) else {
            return (&self.not_found, None);
        };
        let chain = match found.value.table.dispatch(method) {
            Dispatch::Found(chain) => chain,
            Dispatch::NotAllowed if method == Method::OPTIONS => &found.value.options,
            Dispatch::NotAllowed => &found.value.not_allowed,
        };
        (chain, found.params)
    }

    /// Answers a request arriving from the server or from [`App::respond`]: routes it, gives
    /// it the state and the route's parameters, runs the route's chain, and answers `HEAD`.
    ///
    /// Routing happens at once and the request moves into the chain's first layer, so the
    /// future holds only that layer's (a few words), not the request. The future borrows the
    /// app, which keeps the chain alive for it: no reference count is taken for the first
    /// layer.
    pub(crate) fn handle(&self, request: Request) -> Answer<'_> {
        let is_head = request.method() == Method::HEAD;
        let (chain, params) = self.route(request.path(), request.method());
        let request = request.with_state(self.state.clone(), params);
        Answer {
            future: chain.call(0, request),
            is_head,
        }
    }

    /// The chain of the app's first route (for measuring futures in tests).
    #[cfg(test)]
    pub(crate) fn chain_for_tests(&self) -> Arc<Chain<State>> {
        self.route("/", &Method::GET).0.clone()
    }

    /// Answers a request routed here from a parent app, on `path` (the rest after the mount).
    pub(crate) fn handle_nested<Outer>(
        &self,
        request: Request<Outer>,
        path: &str,
    ) -> LayerFuture<'_> {
        let (chain, params) = self.route(path, request.method());
        let request = request.with_state(self.state.clone(), params);
        chain.call(0, request)
    }
}

/// The future of [`Built::handle`]: the first layer's, and what `HEAD` asks of its answer
/// (a named future rather than an `async` block: no state machine around it).
pub(crate) struct Answer<'a> {
    future: LayerFuture<'a>,
    is_head: bool,
}

impl Future for Answer<'_> {
    type Output = Response;

    /// Inlined into the connection's future, which polls it.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.get_mut();
        let mut response = ready!(Pin::new(&mut this.future).poll(cx));
        if this.is_head {
            head::omit_body(&mut response);
        }
        Poll::Ready(response)
    }
}

/// The built app as the engine's service.
pub(crate) struct AppService<State>(pub(crate) Arc<Built<State>>);

impl<State: Clone + Send + Sync + 'static> Service for AppService<State> {
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send {
        self.0.handle(request)
    }
}
