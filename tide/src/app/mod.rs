//! [`App`]: the builder of a web application: routes, middleware, state and settings, served
//! over HTTP or answered in-process.
//!
//! The builder only records what it is given; [`resolved`] turns it, once, into the form that
//! answers requests (every route's middleware chain resolved), and [`nest`] mounts one app
//! under another. Routes are added through [`Route`](crate::Route) (`route.rs`, which builds
//! on this module).

pub(crate) mod nest;
pub(crate) mod resolved;

use std::io;
use std::net::ToSocketAddrs;
use std::sync::{Arc, OnceLock};

use crate::endpoint::Endpoint;
use crate::middleware::Middleware;
use crate::router::{MethodFilter, MethodTable, Pattern, Tree};
use crate::server::{ConnInfo, Listener, Listening, Server, Service, Settings};
use crate::{Body, Request, Response};
use resolved::{AppService, Built};

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
    pub(crate) state: State,
    pub(crate) routes: Tree<RouteEntry<State>>,
    pub(crate) middleware: Vec<Arc<dyn Middleware<State>>>,
    pub(crate) scoped: Vec<(Pattern, Arc<dyn Middleware<State>>)>,
    pub(crate) settings: Settings,
    built: OnceLock<Arc<Built<State>>>,
}

/// The endpoints registered at one pattern.
pub(crate) struct RouteEntry<State> {
    pub(crate) pattern: Pattern,
    pub(crate) table: MethodTable<Arc<dyn Endpoint<State>>>,
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

/// An app whose handlers share `state` (through [`Request::state`](crate::Request::state)).
/// The state is cloned for every request: wrap what should be shared, not copied, in an
/// `Arc`.
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
    /// Adds middleware that runs for every request (404s and 405s included); the first added
    /// runs outermost.
    pub fn with(&mut self, middleware: impl Middleware<State>) -> &mut App<State> {
        self.built.take();
        self.middleware.push(middleware.into_layer());
        self
    }

    /// The server settings (limits, timeouts) used by [`listen`](App::listen), and by
    /// [`respond`](App::respond) for the limits a request carries.
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

    /// Answers `request` in-process, through the whole app (middleware, routing, handlers,
    /// `HEAD`), with no socket: the way to test an app.
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
        let request = Request::from_http(request, conn, self.settings.get_max_body_bytes());
        self.build().handle(request).await
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

    /// Binds the app's server to a [`Listener`] of your own (see its docs): its connections
    /// get every rule of the sockets tide binds.
    pub fn bind_listener(self, listener: impl Listener) -> Listening {
        let settings = self.settings.clone();
        Server::new(self.into_service())
            .with_settings(settings)
            .bind_listener(listener)
    }

    /// Binds the app's server to `addrs` and serves HTTPS there with `config` (feature
    /// `tls`; see [`crate::tls`]).
    #[cfg(feature = "tls")]
    pub async fn bind_tls(
        self,
        addrs: impl ToSocketAddrs,
        config: crate::tls::TlsConfig,
    ) -> io::Result<Listening> {
        let settings = self.settings.clone();
        Server::new(self.into_service())
            .with_settings(settings)
            .bind_tls(addrs, config)
            .await
    }

    /// Serves the app on `addrs` until SIGINT or SIGTERM, then shuts down gracefully (see
    /// [`Settings::stop_on_signals`](crate::server::Settings::stop_on_signals) to turn that
    /// off); fails only if the server cannot bind. Run it on tide's runtime:
    /// [`run`](App::run) does that for you.
    pub async fn listen(self, addrs: impl ToSocketAddrs) -> io::Result<()> {
        let stop_on_signals = self.settings.stop_on_signals;
        let listening = self.bind(addrs).await?;
        if let Some(addr) = listening.local_addr() {
            eprintln!("tide: listening on http://{addr}");
        }
        #[cfg(unix)]
        if stop_on_signals {
            match crate::server::shutdown_signal() {
                Ok(signal) => return listening.serve_with_shutdown(signal).await,
                Err(error) => log::warn!(
                    "tide: cannot listen for SIGINT and SIGTERM ({error}); they will end the \
                     process without a graceful shutdown"
                ),
            }
        }
        #[cfg(not(unix))]
        let _ = stop_on_signals;
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

    /// The app resolved for answering requests, resolved once until the app changes.
    pub(crate) fn build(&self) -> Arc<Built<State>> {
        self.built
            .get_or_init(|| Arc::new(Built::resolve(self)))
            .clone()
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
