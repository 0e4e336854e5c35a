//! [`Cors`]: Cross-Origin Resource Sharing, so that scripts on other origins may call the app.

use std::sync::Arc;
use std::time::Duration;

use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, HeaderMap, HeaderName,
    HeaderValue, ORIGIN, VARY,
};
use http::{Method, StatusCode};

use super::{Middleware, Next};
use crate::endpoint::BoxFuture;
use crate::{Error, Request, Response, Result};

/// What preflight responses vary on, besides `Origin`.
const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";

/// Middleware that answers CORS preflights and adds CORS headers to responses.
///
/// What it answers, for a request that carries an `Origin` header:
///
/// - A *preflight* (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
///   by the middleware itself; the handler (and the middleware further in) never runs. An
///   allowed origin gets `204 No Content` with the `Access-Control-Allow-*` headers; any other
///   origin gets `403 Forbidden` with no CORS headers, so the browser refuses the real request
///   and the refusal is visible in logs and developer tools.
/// - Any other request runs as usual; an allowed origin's response gets
///   `Access-Control-Allow-Origin` (plus `-Allow-Credentials` and `-Expose-Headers` when
///   configured), error responses included. A response to an origin that is not allowed gets
///   no CORS headers, and the browser hides it from the calling script. The middleware never
///   refuses such a request itself: CORS protects browsers' users, not the server.
/// - Unless any origin is allowed, every response says `Vary: Origin` (added to the
///   handler's `Vary`), so a cache never serves one origin's answer to another.
///
/// What it does not promise: it does not check a preflight's requested method or headers
/// against the configuration (the browser does, with the headers it is sent), and it does not
/// protect against cross-site request forgery: a request that needs no preflight still
/// reaches the handler. Add it with [`App::with`](crate::App::with) to cover every route (a
/// route-scoped `Cors` does not see requests for paths that have no route).
///
/// # Configuration
///
/// `Cors::new()` allows nothing: add the origins (exact `scheme://host[:port]` values, or `"*"`
/// for any), the methods and the request headers that cross-origin scripts may use. Every
/// list grows with each call. Mistakes in the configuration panic when it is built: an origin
/// with a path, an invalid header name, or credentials together with any origin (browsers
/// refuse `Access-Control-Allow-Origin: *` on a credentialed request, so that would only fail
/// later, in the browser).
///
/// With credentials, "any method" and "any header" are answered by echoing what the
/// preflight asked for, since browsers read `*` literally on credentialed requests.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tide::Method;
/// use tide::middleware::Cors;
///
/// let mut app = tide::new();
/// app.with(
///     Cors::new()
///         .allow_origin("https://app.example")
///         .allow_methods([Method::GET, Method::POST, Method::DELETE])
///         .allow_headers(["content-type", "authorization"])
///         .expose_headers(["x-request-id"])
///         .allow_credentials(true)
///         .max_age(Duration::from_secs(600)),
/// );
/// app.at("/todos").get(|_| async { Ok("[]") });
///
/// # tide::runtime::block_on(async {
/// // A preflight is answered without running the handler.
/// let preflight = http::Request::options("/todos")
///     .header("origin", "https://app.example")
///     .header("access-control-request-method", "DELETE")
///     .body(tide::Body::empty())
///     .unwrap();
/// let response = tide::testing::send(&app, preflight).await;
/// assert_eq!(response.status(), 204);
/// assert_eq!(response.header("access-control-allow-origin").unwrap(), "https://app.example");
/// assert_eq!(response.header("access-control-allow-methods").unwrap(), "GET, POST, DELETE");
/// assert_eq!(response.header("access-control-max-age").unwrap(), "600");
///
/// // The real request gets the CORS headers on its response.
/// let request = http::Request::get("/todos")
///     .header("origin", "https://app.example")
///     .body(tide::Body::empty())
///     .unwrap();
/// let response = tide::testing::send(&app, request).await;
/// assert_eq!(response.header("access-control-allow-origin").unwrap(), "https://app.example");
/// assert_eq!(response.header("access-control-allow-credentials").unwrap(), "true");
/// assert_eq!(response.header("vary").unwrap(), "Origin");
///
/// // Another origin gets no CORS headers.
/// let request = http::Request::get("/todos")
///     .header("origin", "https://evil.example")
///     .body(tide::Body::empty())
///     .unwrap();
/// let response = tide::testing::send(&app, request).await;
/// assert!(response.header("access-control-allow-origin").is_none());
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Allowed<HeaderValue>,
    methods: Allowed<Method>,
    headers: Allowed<HeaderName>,
    expose: Allowed<HeaderName>,
    credentials: bool,
    max_age: Option<Duration>,
    /// `methods` as the `Access-Control-Allow-Methods` value, kept up to date by the builder.
    methods_value: Option<HeaderValue>,
    /// `headers` as the `Access-Control-Allow-Headers` value.
    headers_value: Option<HeaderValue>,
    /// `expose` as the `Access-Control-Expose-Headers` value.
    expose_value: Option<HeaderValue>,
}

/// A list of allowed values, or any value.
#[derive(Debug, Clone)]
enum Allowed<T> {
    Only(Vec<T>),
    Any,
}

impl<T> Default for Allowed<T> {
    fn default() -> Allowed<T> {
        Allowed::Only(Vec::new())
    }
}

impl<T: PartialEq> Allowed<T> {
    fn add(&mut self, value: T) {
        if let Allowed::Only(list) = self
            && !list.contains(&value)
        {
            list.push(value);
        }
    }

    fn is_any(&self) -> bool {
        matches!(self, Allowed::Any)
    }
}

impl Cors {
    /// A configuration that allows nothing yet: no origin gets CORS headers.
    pub fn new() -> Cors {
        Cors::default()
    }

    /// Any origin, any method and any request header, without credentials: for development,
    /// or for a public API that needs no cookies.
    pub fn permissive() -> Cors {
        Cors::new()
            .allow_origin("*")
            .allow_any_method()
            .allow_any_header()
    }

    /// Allows `origin`: an exact origin (`"https://app.example"`, `"http://localhost:3000"`)
    /// or `"*"` for any origin. Call it once per origin.
    ///
    /// # Panics
    ///
    /// If `origin` is not `scheme://host[:port]` (no path, no trailing slash) or `"*"`, or if
    /// `"*"` is combined with [`allow_credentials`](Cors::allow_credentials).
    #[track_caller]
    pub fn allow_origin(mut self, origin: &str) -> Cors {
        if origin == "*" {
            self.origins = Allowed::Any;
        } else {
            self.origins.add(parse_origin(origin));
        }
        self.check();
        self
    }

    /// Allows each of `origins`; see [`allow_origin`](Cors::allow_origin).
    ///
    /// # Panics
    ///
    /// As [`allow_origin`](Cors::allow_origin).
    #[track_caller]
    pub fn allow_origins<I>(mut self, origins: I) -> Cors
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for origin in origins {
            self = self.allow_origin(origin.as_ref());
        }
        self
    }

    /// Allows `methods` on cross-origin requests (`Access-Control-Allow-Methods`). With none,
    /// browsers only send the CORS-safelisted `GET`, `HEAD` and `POST`.
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Cors {
        for method in methods {
            self.methods.add(method);
        }
        self.methods_value = list_value(&self.methods, Method::as_str);
        self
    }

    /// Allows any method.
    pub fn allow_any_method(mut self) -> Cors {
        self.methods = Allowed::Any;
        self.methods_value = list_value(&self.methods, Method::as_str);
        self
    }

    /// Allows cross-origin requests to send `headers` (`Access-Control-Allow-Headers`);
    /// `"*"` allows any header.
    ///
    /// # Panics
    ///
    /// If a name is not a valid header name.
    #[track_caller]
    pub fn allow_headers<I>(mut self, headers: I) -> Cors
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for header in headers {
            match header.as_ref() {
                "*" => self.headers = Allowed::Any,
                name => self.headers.add(parse_header_name("allow_headers", name)),
            }
        }
        self.headers_value = list_value(&self.headers, HeaderName::as_str);
        self
    }

    /// Allows any request header.
    pub fn allow_any_header(mut self) -> Cors {
        self.headers = Allowed::Any;
        self.headers_value = list_value(&self.headers, HeaderName::as_str);
        self
    }

    /// Lets cross-origin scripts read these response headers besides the CORS-safelisted
    /// ones (`Access-Control-Expose-Headers`); `"*"` exposes all of them.
    ///
    /// # Panics
    ///
    /// If a name is not a valid header name, or if `"*"` is combined with
    /// [`allow_credentials`](Cors::allow_credentials) (browsers read it literally then).
    #[track_caller]
    pub fn expose_headers<I>(mut self, headers: I) -> Cors
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for header in headers {
            match header.as_ref() {
                "*" => self.expose = Allowed::Any,
                name => self.expose.add(parse_header_name("expose_headers", name)),
            }
        }
        self.expose_value = list_value(&self.expose, HeaderName::as_str);
        self.check();
        self
    }

    /// Lets cross-origin requests carry credentials (cookies, HTTP authentication) and their
    /// responses be read (`Access-Control-Allow-Credentials: true`).
    ///
    /// # Panics
    ///
    /// If any origin is allowed (`"*"`), or all response headers are exposed: list them.
    #[track_caller]
    pub fn allow_credentials(mut self, allow: bool) -> Cors {
        self.credentials = allow;
        self.check();
        self
    }

    /// How long browsers may cache a preflight's answer (`Access-Control-Max-Age`, whole
    /// seconds; browsers cap it, commonly at 2 hours).
    pub fn max_age(mut self, max_age: Duration) -> Cors {
        self.max_age = Some(max_age);
        self
    }

    /// Panics on a configuration browsers would refuse.
    #[track_caller]
    fn check(&self) {
        assert!(
            !(self.credentials && self.origins.is_any()),
            "Cors: credentials cannot be allowed for any origin (`*`); browsers refuse it. \
             List the origins instead, as in `.allow_origin(\"https://app.example\")`"
        );
        assert!(
            !(self.credentials && self.expose.is_any()),
            "Cors: `expose_headers([\"*\"])` means the literal header `*` on credentialed \
             requests; list the headers to expose instead"
        );
    }

    /// Whether `origin` may read responses.
    fn allows(&self, origin: &HeaderValue) -> bool {
        match &self.origins {
            Allowed::Any => true,
            Allowed::Only(origins) => origins
                .iter()
                .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes())),
        }
    }

    /// The `Access-Control-Allow-Origin` value for an allowed `origin`.
    fn allow_origin_value(&self, origin: &HeaderValue) -> HeaderValue {
        match self.origins {
            Allowed::Any => HeaderValue::from_static("*"),
            Allowed::Only(_) => origin.clone(),
        }
    }

    /// The answer to a preflight from `origin`.
    fn preflight(&self, request: &Request<impl Sized>, origin: &HeaderValue) -> Result<Response> {
        if !self.allows(origin) {
            return Err(Error::from_str(
                StatusCode::FORBIDDEN,
                "CORS preflight refused: the origin is not allowed",
            ));
        }
        let mut response = Response::new(StatusCode::NO_CONTENT);
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin_value(origin));
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        let echo = |name| {
            request
                .header_bytes(name)
                .and_then(|v| HeaderValue::from_bytes(v).ok())
        };
        let methods = match (&self.methods, self.credentials) {
            (Allowed::Any, true) => echo(ACCESS_CONTROL_REQUEST_METHOD),
            _ => self.methods_value.clone(),
        };
        if let Some(methods) = methods {
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        let allow_headers = match (&self.headers, self.credentials) {
            (Allowed::Any, true) => echo(ACCESS_CONTROL_REQUEST_HEADERS),
            _ => self.headers_value.clone(),
        };
        if let Some(allow_headers) = allow_headers {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, allow_headers);
        }
        if let Some(max_age) = self.max_age {
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(max_age.as_secs()));
        }
        Ok(response)
    }

    /// Adds the CORS headers for an allowed origin to a response that is not a preflight's.
    fn decorate(&self, headers: &mut HeaderMap, origin: &HeaderValue) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin_value(origin));
        if self.credentials {
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(expose) = &self.expose_value {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }
}

impl<State: Send + Sync + 'static> Middleware<State> for Cors {
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        Box::pin(async move {
            let origin = request
                .header_bytes(ORIGIN)
                .and_then(|v| HeaderValue::from_bytes(v).ok());
            let is_preflight = request.method() == Method::OPTIONS
                && request
                    .headers()
                    .contains_key(ACCESS_CONTROL_REQUEST_METHOD);
            let mut response = match &origin {
                Some(origin) if is_preflight => self
                    .preflight(&request, origin)
                    .unwrap_or_else(Response::from),
                _ => next.run(request).await,
            };
            let headers = response.headers_mut();
            if is_preflight && origin.is_some() {
                add_vary(headers, PREFLIGHT_VARY);
            } else if !self.origins.is_any() {
                add_vary(headers, "Origin");
            }
            if let Some(origin) = &origin
                && !is_preflight
                && self.allows(origin)
            {
                self.decorate(headers, origin);
            }
            Ok(response)
        })
    }
}

/// Checks and normalizes (lowercases) an origin from the configuration.
#[track_caller]
fn parse_origin(origin: &str) -> HeaderValue {
    let well_formed = origin.split_once("://").is_some_and(|(scheme, host)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            && !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"/?#@\\".contains(&b))
    });
    assert!(
        well_formed,
        "Cors::allow_origin({origin:?}): an origin is `scheme://host[:port]` with no path or \
         trailing slash, as in \"https://app.example\"; use \"*\" for any origin"
    );
    HeaderValue::from_str(&origin.to_ascii_lowercase()).expect("checked to be visible ASCII")
}

#[track_caller]
fn parse_header_name(method: &str, name: &str) -> HeaderName {
    HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|_| {
        panic!("Cors::{method}: {name:?} is not a valid header name, as in \"content-type\"")
    })
}

/// The comma-separated value of `allowed` (`*` for any); `None` for an empty list.
fn list_value<T>(allowed: &Allowed<T>, as_str: impl Fn(&T) -> &str) -> Option<HeaderValue> {
    match allowed {
        Allowed::Any => Some(HeaderValue::from_static("*")),
        Allowed::Only(list) if list.is_empty() => None,
        Allowed::Only(list) => {
            let joined = list.iter().map(as_str).collect::<Vec<_>>().join(", ");
            Some(HeaderValue::from_str(&joined).expect("methods and header names are valid text"))
        }
    }
}

/// Adds `names` (a comma-separated list) to the response's `Vary`, keeping one `Vary` field
/// and leaving `Vary: *` alone.
fn add_vary(headers: &mut HeaderMap, names: &str) {
    let mut all: Vec<String> = headers
        .get_all(VARY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    if all.iter().any(|name| name == "*") {
        return;
    }
    let before = all.len();
    for name in names.split(", ") {
        if !all.iter().any(|have| have.eq_ignore_ascii_case(name)) {
            all.push(name.to_owned());
        }
    }
    if all.len() > before {
        let value = HeaderValue::from_str(&all.join(", ")).expect("header names are valid text");
        headers.insert(VARY, value);
    }
}
