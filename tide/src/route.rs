//! [`Route`]: a path of an app, to add endpoints, middleware and nested apps to. It builds on
//! the [`App`] builder (and adds [`App::at`] to it); the app knows nothing of it.

use http::Method;

use crate::app::App;
use crate::app::nest::{NESTED_REST, Nested};
use crate::endpoint::Endpoint;
use crate::middleware::Middleware;
use crate::router::{MethodFilter, Pattern, Segment};

/// A path of an [`App`], from [`App::at`].
///
/// Paths are made of literal segments, `:name` parameters (one segment) and a trailing
/// `*name` (or `*`) wildcard (the rest of the path). Whatever the order routes are added in, a
/// literal segment beats a parameter, which beats a wildcard. Trailing slashes count:
/// `/users` and `/users/` are different routes. A path with no endpoint for the request's
/// method answers `405 Method Not Allowed` with an `Allow` header; `HEAD` is answered by the
/// `GET` endpoint (without the body) and `OPTIONS` automatically, unless the route has its own.
///
/// # Examples
///
/// ```
/// let mut app = tide::new();
/// app.at("/users/:id")
///     .get(|req: tide::Request<()>| async move { Ok(format!("user {}", req.param("id")?)) })
///     .delete(|_| async { Ok(tide::StatusCode::NO_CONTENT) });
/// app.at("/files/*path").get(|req: tide::Request<()>| async move {
///     Ok(req.param("path")?.to_owned())
/// });
/// # tide::runtime::block_on(async {
/// let mut response = tide::testing::get(&app, "/users/7").await;
/// assert_eq!(response.body_string().await, "user 7");
/// let response = tide::testing::request(&app, http::Method::PUT, "/users/7").await;
/// assert_eq!(response.status(), 405);
/// assert_eq!(response.header("allow").unwrap(), "GET, DELETE, HEAD, OPTIONS");
/// # });
/// ```
pub struct Route<'a, State> {
    app: &'a mut App<State>,
    pattern: Pattern,
}

impl<State: Clone + Send + Sync + 'static> App<State> {
    /// The route at `path`; add endpoints and middleware to it. See [`Route`].
    #[track_caller]
    pub fn at<'a>(&'a mut self, path: &str) -> Route<'a, State> {
        Route {
            app: self,
            pattern: Pattern::parse(path),
        }
    }
}

impl<'a, State: Clone + Send + Sync + 'static> Route<'a, State> {
    /// A route below this one: `app.at("/api").at("users")` is `/api/users`.
    #[track_caller]
    pub fn at<'b>(&'b mut self, path: &str) -> Route<'b, State> {
        let pattern = self.pattern.join(&Pattern::parse(path));
        Route {
            app: self.app,
            pattern,
        }
    }

    /// Adds middleware for this route and every route below it; it runs inside the app's
    /// middleware, the first added outermost.
    pub fn with(&mut self, middleware: impl Middleware<State>) -> &mut Route<'a, State> {
        self.app.add_scoped(&self.pattern, middleware.into_layer());
        self
    }

    /// Mounts `app` here: requests for this path and below go to it, with the path after
    /// this route's. The nested app keeps its own state, middleware and 404; a wildcard of
    /// the outer app never shadows it.
    #[track_caller]
    pub fn nest<Inner: Clone + Send + Sync + 'static>(
        &mut self,
        app: App<Inner>,
    ) -> &mut Route<'a, State> {
        let mut pattern = self.pattern.clone();
        pattern
            .segments
            .push(Segment::Wildcard(NESTED_REST.to_owned()));
        let nested = Nested { app: app.build() };
        self.app
            .add_endpoint(&pattern, MethodFilter::Any, nested.into_layer());
        self
    }

    /// Sets the endpoint for `method`.
    pub fn method(
        &mut self,
        method: Method,
        endpoint: impl Endpoint<State>,
    ) -> &mut Route<'a, State> {
        self.app.add_endpoint(
            &self.pattern,
            MethodFilter::One(method),
            endpoint.into_layer(),
        );
        self
    }

    /// Sets the endpoint for every method that has no endpoint of its own.
    pub fn all(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.app
            .add_endpoint(&self.pattern, MethodFilter::Any, endpoint.into_layer());
        self
    }

    /// Sets the `GET` endpoint (which also answers `HEAD`).
    pub fn get(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::GET, endpoint)
    }

    /// Sets the `POST` endpoint.
    pub fn post(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::POST, endpoint)
    }

    /// Sets the `PUT` endpoint.
    pub fn put(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::PUT, endpoint)
    }

    /// Sets the `PATCH` endpoint.
    pub fn patch(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::PATCH, endpoint)
    }

    /// Sets the `DELETE` endpoint.
    pub fn delete(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::DELETE, endpoint)
    }

    /// Sets the `HEAD` endpoint (otherwise `GET`'s answers, without the body).
    pub fn head(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::HEAD, endpoint)
    }

    /// Sets the `OPTIONS` endpoint (otherwise answered with `204` and `Allow`).
    pub fn options(&mut self, endpoint: impl Endpoint<State>) -> &mut Route<'a, State> {
        self.method(Method::OPTIONS, endpoint)
    }
}

impl<State> std::fmt::Debug for Route<'_, State> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("pattern", &self.pattern)
            .finish()
    }
}
