//! [`App`]: routes, middleware and state, served over HTTP or answered in-process.

use std::io;
use std::net::ToSocketAddrs;
use std::sync::{Arc, OnceLock};

use http::header::{ALLOW, HeaderValue};
use http::{Method, StatusCode};

use crate::endpoint::{BoxFuture, Endpoint};
use crate::middleware::{Chain, Middleware, Next};
use crate::route::Route;
use crate::router::{Dispatch, MethodFilter, MethodTable, Params, Pattern, Tree};
use crate::server::{ConnInfo, Listening, ResponseFuture, Server, Service, Settings};
use crate::{Body, Request, Response, Result};

/// Name of the wildcard a nested app is mounted under; never visible to handlers.
pub(crate) const NESTED_REST: &str = "__tide_nested_rest";

/// A web application: routes, middleware, shared state and server settings.
///
/// # Examples
///
/// ```no_run
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// app.run("127.0.0.1:8080")?;
/// # std::io::Result::Ok(())
/// ```
pub struct App<State> {
    state: State,
    routes: Tree<RouteEntry<State>>,
    middleware: Vec<Arc<dyn Middleware<State>>>,
    scoped: Vec<(Pattern, Arc<dyn Middleware<State>>)>,
    settings: Settings,
    built: OnceLock<Arc<Built<State>>>,
}

/// The endpoints registered at one pattern.
pub(crate) struct RouteEntry<State> {
    pattern: Pattern,
    table: MethodTable<Arc<dyn Endpoint<State>>>,
}

/// An app ready to answer requests: every route's middleware chain resolved.
pub(crate) struct Built<State> {
    state: State,
    routes: Tree<BuiltRoute<State>>,
    not_found: Arc<Chain<State>>,
    settings: Settings,
}

struct BuiltRoute<State> {
    table: MethodTable<Arc<Chain<State>>>,
    not_allowed: Arc<Chain<State>>,
    options: Arc<Chain<State>>,
}

/// An app with no state.
///
/// ```
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// # tide::runtime::block_on(async {
/// let mut response = tide::testing::get(&app, "/").await;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.body_string().await, "Hello, world!");
/// # });
/// ```
pub fn new() -> App<()> {
    with_state(())
}

/// An app whose handlers share `state` (through [`Request::state`]). The state is cloned for
/// every request: wrap what should be shared, not copied, in an `Arc`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// let mut app = tide::with_state(Arc::new(AtomicU64::new(0)));
/// app.at("/hits").post(|req: tide::Request<Arc<AtomicU64>>| async move {
///     Ok(req.state().fetch_add(1, Ordering::Relaxed).to_string())
/// });
/// ```
pub fn with_state<State: Clone + Send + Sync + 'static>(state: State) -> App<State> {
    App {
        state,
        routes: Tree::default(),
        middleware: Vec::new(),
        scoped: Vec::new(),
        settings: Settings::default(),
        built: OnceLock::new(),
    }
}

impl<State: Clone + Send + Sync + 'static> App<State> {
    /// The route at `path`; add endpoints and middleware to it. See [`Route`].
    #[track_caller]
    pub fn at<'a>(&'a mut self, path: &str) -> Route<'a, State> {
        Route::new(self, Pattern::parse(path))
    }

    /// Adds middleware that runs for every request (404s and 405s included); the first added
    /// runs outermost.
    pub fn with(&mut self, middleware: impl Middleware<State>) -> &mut App<State> {
        self.built.take();
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// The server settings (limits, timeouts) used by [`listen`](App::listen).
    pub fn settings_mut(&mut self) -> &mut Settings {
        self.built.take();
        &mut self.settings
    }

    /// The app's state.
    pub fn state(&self) -> &State {
        &self.state
    }

    pub(crate) fn add_endpoint(
        &mut self,
        pattern: &Pattern,
        filter: MethodFilter,
        endpoint: Arc<dyn Endpoint<State>>,
    ) {
        self.built.take();
        let entry = self.routes.entry(pattern, || RouteEntry {
            pattern: pattern.clone(),
            table: MethodTable::default(),
        });
        entry.table.insert(filter, endpoint);
    }

    pub(crate) fn add_scoped(&mut self, pattern: &Pattern, middleware: Arc<dyn Middleware<State>>) {
        self.built.take();
        self.scoped.push((pattern.clone(), middleware));
    }

    /// Answers `request` in-process, through the whole app (middleware, routing, handlers),
    /// with no socket: the way to test an app.
    ///
    /// ```
    /// # tide::runtime::block_on(async {
    /// let mut app = tide::new();
    /// app.at("/").get(|_| async { Ok("hi") });
    /// let request = http::Request::get("/").body(tide::Body::empty()).unwrap();
    /// let response = app.respond(request).await;
    /// assert_eq!(response.status(), 200);
    /// # });
    /// ```
    pub async fn respond(&self, request: http::Request<Body>) -> Response {
        let conn = ConnInfo {
            peer_addr: None,
            local_addr: None,
        };
        self.build().handle(request, conn).await
    }

    /// Binds the app's server to `addrs` (port 0 picks a free port); the returned
    /// [`Listening`] tells its address, gives a shutdown handle, and serves.
    pub async fn bind(self, addrs: impl ToSocketAddrs) -> io::Result<Listening> {
        let settings = self.settings.clone();
        Server::new(self.into_service())
            .with_settings(settings)
            .bind(addrs)
            .await
    }

    /// Serves the app on `addrs` until the process ends (or the server fails to bind).
    /// Run it on tide's runtime: [`run`](App::run) does that for you.
    pub async fn listen(self, addrs: impl ToSocketAddrs) -> io::Result<()> {
        let listening = self.bind(addrs).await?;
        if let Some(addr) = listening.local_addr() {
            eprintln!("tide: listening on http://{addr}");
        }
        listening.serve().await
    }

    /// Serves the app on `addrs`, blocking this thread: starts the runtime (a juliex pool
    /// whose idle workers turn romio's reactor) and runs [`listen`](App::listen) on it.
    pub fn run(self, addrs: impl ToSocketAddrs) -> io::Result<()> {
        crate::runtime::block_on(self.listen(addrs))
    }

    /// The app as a [`Service`] for [`Server`], to set up the server by hand.
    pub fn into_service(self) -> impl Service {
        AppService(self.build())
    }

    pub(crate) fn build(&self) -> Arc<Built<State>> {
        self.built.get_or_init(|| Arc::new(self.resolve())).clone()
    }

    /// Resolves every route's chain: app middleware, then the scoped middleware whose path
    /// covers the route, then the endpoint.
    fn resolve(&self) -> Built<State> {
        let chain = |pattern: Option<&Pattern>, endpoint: Arc<dyn Endpoint<State>>| {
            let mut middleware = self.middleware.clone();
            if let Some(pattern) = pattern {
                middleware.extend(
                    self.scoped
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
        let routes = self.routes.map(|entry| {
            let allow = HeaderValue::from_str(&entry.table.allow())
                .expect("method names are valid header text");
            BuiltRoute {
                table: entry
                    .table
                    .map(|endpoint| chain(Some(&entry.pattern), endpoint.clone())),
                not_allowed: chain(
                    Some(&entry.pattern),
                    Arc::new(Fixed::not_allowed(allow.clone())),
                ),
                options: chain(Some(&entry.pattern), Arc::new(Fixed::options(allow))),
            }
        });
        Built {
            state: self.state.clone(),
            routes,
            not_found: chain(None, Arc::new(Fixed::not_found())),
            settings: self.settings.clone(),
        }
    }
}

impl<State: Clone + Send + Sync + 'static> Built<State> {
    /// Routes `path` and `method` to a chain and the parameters the path captured.
    fn route(&self, path: &str, method: &Method) -> (Arc<Chain<State>>, Params) {
        let Some(found) = self.routes.find(path) else {
            return (self.not_found.clone(), Params::default());
        };
        let chain = match found.value.table.dispatch(method) {
            Dispatch::Found(chain) => chain.clone(),
            Dispatch::NotAllowed if method == Method::OPTIONS => found.value.options.clone(),
            Dispatch::NotAllowed => found.value.not_allowed.clone(),
        };
        (chain, found.params)
    }

    /// Answers a request arriving from the server or from [`App::respond`].
    pub(crate) async fn handle(
        self: Arc<Self>,
        request: http::Request<Body>,
        conn: ConnInfo,
    ) -> Response {
        let (chain, params) = self.route(request.uri().path(), request.method());
        let request = Request::new(
            request,
            self.state.clone(),
            conn,
            self.settings.get_max_body_bytes(),
            params,
        );
        Next::new(chain).run(request).await
    }

    /// Answers a request routed here from a parent app, on `path` (the rest after the mount).
    pub(crate) async fn handle_nested<Outer>(
        self: Arc<Self>,
        request: Request<Outer>,
        path: &str,
    ) -> Response {
        let (chain, params) = self.route(path, request.method());
        let request = request.with_state(self.state.clone(), &params);
        Next::new(chain).run(request).await
    }
}

/// The built app as the engine's service.
struct AppService<State>(Arc<Built<State>>);

impl<State: Clone + Send + Sync + 'static> Service for AppService<State> {
    fn call(&self, request: http::Request<Body>, conn: &ConnInfo) -> ResponseFuture {
        let built = self.0.clone();
        let conn = *conn;
        Box::pin(async move { built.handle(request, conn).await.into_http() })
    }
}

/// An app nested under another's path, answering as one endpoint of the parent.
pub(crate) struct Nested<Inner> {
    pub(crate) app: Arc<Built<Inner>>,
}

impl<Outer, Inner> Endpoint<Outer> for Nested<Inner>
where
    Outer: Send + Sync + 'static,
    Inner: Clone + Send + Sync + 'static,
{
    fn call(&self, mut request: Request<Outer>) -> BoxFuture<'static, Result<Response>> {
        let app = self.app.clone();
        Box::pin(async move {
            // Route what the client sent below the mount: the decoded capture would decode
            // twice, and turn an escaped `%2F` into a separator.
            request.take_param(NESTED_REST);
            let rest = request.take_raw_rest().unwrap_or_default();
            let path = format!("/{rest}");
            Ok(app.handle_nested(request, &path).await)
        })
    }
}

/// The endpoints the app answers with by itself: 404, 405 and automatic `OPTIONS`.
struct Fixed {
    status: StatusCode,
    allow: Option<HeaderValue>,
}

impl Fixed {
    fn not_found() -> Fixed {
        Fixed {
            status: StatusCode::NOT_FOUND,
            allow: None,
        }
    }

    fn not_allowed(allow: HeaderValue) -> Fixed {
        Fixed {
            status: StatusCode::METHOD_NOT_ALLOWED,
            allow: Some(allow),
        }
    }

    fn options(allow: HeaderValue) -> Fixed {
        Fixed {
            status: StatusCode::NO_CONTENT,
            allow: Some(allow),
        }
    }
}

impl<State: Send + Sync + 'static> Endpoint<State> for Fixed {
    fn call(&self, _request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        let mut response = if self.status == StatusCode::NO_CONTENT {
            Response::new(self.status)
        } else {
            let mut response = Response::from(format!(
                "{}\n",
                self.status.canonical_reason().unwrap_or("")
            ));
            response.set_status(self.status);
            response
        };
        if let Some(allow) = &self.allow {
            response.headers_mut().insert(ALLOW, allow.clone());
        }
        Box::pin(async move { Ok(response) })
    }
}

impl<State> std::fmt::Debug for App<State> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("middleware", &self.middleware.len())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
