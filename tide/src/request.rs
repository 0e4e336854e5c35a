//! [`Request`]: what a handler receives: the HTTP request, its route parameters, the app's
//! state, where it came from, and the limits in force.
//!
//! A request is built once, where it enters the framework: by the engine from the parsed head
//! (or by [`App::respond`](crate::App::respond) from an `http::Request`), carrying its
//! [`ConnInfo`] and the body limit of the server's settings. The app then only adds its state
//! and the route's parameters; it is never rebuilt in another form on its way to the handler.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::str::FromStr;
use std::thread::LocalKey;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Method, StatusCode, Uri, Version};
use serde::de::DeserializeOwned;

use crate::cookie::{self, Cookie};
use crate::h1::head::Head;
use crate::recycle::{Recycle, Recycled, Spares};
use crate::router::Params;
use crate::{Body, BodyError, Error, Result};

/// Where a request came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnInfo {
    /// The client's address (`None` over a Unix socket or in-process).
    pub peer_addr: Option<SocketAddr>,
    /// The server's address the client connected to (`None` over a Unix socket or
    /// in-process).
    pub local_addr: Option<SocketAddr>,
}

/// An HTTP request as a handler sees it.
///
/// # Examples
///
/// ```
/// use tide::Request;
///
/// async fn greet(req: Request<()>) -> tide::Result<String> {
///     let name = req.param("name")?;
///     Ok(format!("Hello, {name}!"))
/// }
///
/// let mut app = tide::new();
/// app.at("/hello/:name").get(greet);
/// # tide::runtime::block_on(async {
/// let mut response = tide::testing::get(&app, "/hello/ferris").await;
/// assert_eq!(response.body_string().await, "Hello, ferris!");
/// # });
/// ```
///
/// `Request<()>` (the default) is the request as the engine hands it to a
/// [`Service`](crate::server::Service), before an app gives it its state.
#[derive(Debug)]
pub struct Request<State = ()> {
    // One allocation holds all but the state, so that the request moves from layer to
    // layer as a pointer and the state; the allocation is reused (`recycle.rs`).
    parts: Recycled<Parts>,
    state: State,
}

#[derive(Debug)]
struct Parts {
    head: Head,
    extensions: Extensions,
    body: Body,
    params: Params,
    conn: ConnInfo,
    body_limit: u64,
}

thread_local! {
    static SPARE_REQUESTS: Spares<Parts> = const { RefCell::new(Vec::new()) };
}

impl Parts {
    fn new_empty() -> Parts {
        Parts {
            head: Head::empty(),
            extensions: Extensions::new(),
            body: Body::empty(),
            params: Params::default(),
            conn: ConnInfo {
                peer_addr: None,
                local_addr: None,
            },
            body_limit: 0,
        }
    }
}

impl Recycle for Parts {
    fn spares() -> &'static LocalKey<Spares<Parts>> {
        &SPARE_REQUESTS
    }

    fn empty() -> Parts {
        Parts::new_empty()
    }

    fn reset(&mut self) {
        self.head.release();
        self.extensions.clear();
        self.body.replace_with(Body::empty());
        if !self.params.is_empty() || self.params.has_raw_rest() {
            self.params = Params::default();
        }
    }
}

impl Request {
    /// A request with `head` and `body`, from the connection `conn`; reading its body whole
    /// is bounded by `body_limit`.
    pub(crate) fn new(head: Head, body: Body, conn: ConnInfo, body_limit: u64) -> Request {
        Request {
            // A reset value has no extensions and no parameters already.
            parts: Recycled::new_with(|parts: &mut Parts| {
                parts.head = head;
                parts.body.replace_with(body);
                parts.conn = conn;
                parts.body_limit = body_limit;
            }),
            state: (),
        }
    }

    /// A request whose head `receive` writes in place, into the recycled request's empty
    /// head ([`Head::receive`]), with `body` (`None`: an empty one), from the connection
    /// `conn`; reading its body whole is bounded by `body_limit`. What the engine builds for
    /// each request it reads.
    pub(crate) fn received(
        receive: impl FnOnce(&mut Head),
        body: Option<Body>,
        conn: &ConnInfo,
        body_limit: u64,
    ) -> Request {
        // The box first, then each field written straight into it: a closure handed to
        // `new_with` would carry every value to it first (measured: ~30 instructions of
        // copies). A reset value has no extensions and no parameters already, an empty
        // head and an empty body.
        let mut parts = Recycled::new_with(|_: &mut Parts| {});
        let fill = &mut *parts;
        receive(&mut fill.head);
        if let Some(body) = body {
            fill.body.replace_with(body);
        }
        fill.conn = *conn;
        fill.body_limit = body_limit;
        Request { parts, state: () }
    }

    /// A request built from an `http::Request` (for in-process requests).
    pub(crate) fn from_http(
        request: http::Request<Body>,
        conn: ConnInfo,
        body_limit: u64,
    ) -> Request {
        let (parts, body) = request.into_parts();
        let mut request = Request::new(
            Head::from_parts(parts.method, parts.uri, parts.version, parts.headers),
            body,
            conn,
            body_limit,
        );
        request.parts.extensions = parts.extensions;
        request
    }
}

impl<State> Request<State> {
    /// The request with an app's `state`, and the parameters its route captured added to
    /// those it had (an app nested in another adds its own to the outer app's); `None` when
    /// the route captured nothing.
    pub(crate) fn with_state<Other>(self, state: Other, params: Option<Params>) -> Request<Other> {
        let mut parts = self.parts;
        match params {
            // The usual route, all literals: nothing to move. A raw rest from an outer app's
            // wildcard is not this match's.
            None => parts.params.forget_raw_rest(),
            Some(params) if params.is_empty() && !params.has_raw_rest() => {
                parts.params.forget_raw_rest()
            }
            Some(params) if parts.params.is_empty() && !parts.params.has_raw_rest() => {
                parts.params = params
            }
            Some(params) => parts.params.append(&params),
        }
        Request { parts, state }
    }

    pub(crate) fn take_param(&mut self, name: &str) -> Option<String> {
        self.parts.params.remove(name)
    }

    /// Takes the text the route's wildcard matched, as sent (not percent-decoded).
    pub(crate) fn take_raw_rest(&mut self) -> Option<String> {
        self.parts.params.take_raw_rest()
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.parts.head.method
    }

    /// The request target as a `Uri` (built on first use; [`path`](Request::path) and
    /// [`query_str`](Request::query_str) read the target in place).
    pub fn uri(&self) -> &Uri {
        self.parts.head.uri()
    }

    /// The path of the request target, as sent (not percent-decoded).
    pub fn path(&self) -> &str {
        self.parts.head.path()
    }

    /// The query string of the request target (after `?`), as sent.
    pub fn query_str(&self) -> Option<&str> {
        self.parts.head.query()
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.parts.head.version
    }

    /// The first value of header `name` (any case) as text; `None` if the request has no
    /// such header, or if its value is not visible ASCII (see
    /// [`header_bytes`](Request::header_bytes)).
    ///
    /// The request's fields are read where they arrived: no map is built for a lookup.
    ///
    /// ```
    /// # tide::runtime::block_on(async {
    /// let mut app = tide::new();
    /// app.at("/").get(|req: tide::Request<()>| async move {
    ///     Ok(req.header("user-agent").unwrap_or("nobody").to_owned())
    /// });
    /// let request = http::Request::get("/")
    ///     .header("User-Agent", "curl")
    ///     .body(tide::Body::empty())
    ///     .unwrap();
    /// let mut response = tide::testing::send(&app, request).await;
    /// assert_eq!(response.body_string().await, "curl");
    /// # });
    /// ```
    pub fn header(&self, name: impl AsRef<str>) -> Option<&str> {
        self.header_bytes(name).and_then(text)
    }

    /// The first value of header `name` (any case) as bytes.
    pub fn header_bytes(&self, name: impl AsRef<str>) -> Option<&[u8]> {
        self.parts.head.values(name.as_ref()).next()
    }

    /// Every value of header `name` (any case), in order, as bytes.
    pub fn header_values<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n, State> {
        self.parts.head.values(name)
    }

    /// The headers as an `http::HeaderMap`, built on first use (its values share the
    /// request's bytes). [`header`](Request::header) needs no map.
    pub fn headers(&self) -> &HeaderMap {
        self.parts.head.headers()
    }

    /// The headers, mutably (for middleware); from then on lookups read this map.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.parts.head.headers_mut()
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// The route parameter `name` (`:name` or `*name` in the route).
    ///
    /// A missing parameter is a mistake in the app (the route has no such name): a 500.
    pub fn param(&self, name: &str) -> Result<&str> {
        self.parts.params.get(name).ok_or_else(|| {
            Error::from_str(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the route has no parameter named {name:?}"),
            )
        })
    }

    /// The route parameter `name` parsed as a `T`; a value that does not parse is a 400.
    pub fn param_as<T: FromStr>(&self, name: &str) -> Result<T> {
        let raw = self.param(name)?;
        raw.parse().map_err(|_| {
            Error::from_str(
                StatusCode::BAD_REQUEST,
                format!("invalid value {raw:?} for path parameter {name:?}"),
            )
        })
    }

    /// All route parameters.
    pub fn params(&self) -> &Params {
        &self.parts.params
    }

    /// The query string parsed as a `T`; a query that does not fit is a 400.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T> {
        let query = self.query_str().unwrap_or("");
        serde_urlencoded::from_str(query).map_err(|error| {
            Error::from_str(
                StatusCode::BAD_REQUEST,
                format!("invalid query string: {error}"),
            )
        })
    }

    /// The cookie `name` the client sent, if any (the first, if it sent several); parsed from
    /// the `Cookie` header on each call. Malformed pairs in the header are skipped.
    ///
    /// ```
    /// # tide::runtime::block_on(async {
    /// let mut app = tide::new();
    /// app.at("/").get(|req: tide::Request<()>| async move {
    ///     let theme = req.cookie("theme");
    ///     Ok(theme.map_or("light".to_owned(), |c| c.value().to_owned()))
    /// });
    /// let request = http::Request::get("/")
    ///     .header("cookie", "theme=dark")
    ///     .body(tide::Body::empty())
    ///     .unwrap();
    /// let mut response = tide::testing::send(&app, request).await;
    /// assert_eq!(response.body_string().await, "dark");
    /// # });
    /// ```
    pub fn cookie(&self, name: &str) -> Option<Cookie> {
        self.cookies().find(|cookie| cookie.name() == name)
    }

    /// Every well-formed cookie the client sent, in order.
    pub fn cookies(&self) -> impl Iterator<Item = Cookie> + '_ {
        self.header_values("cookie")
            .filter_map(text)
            .flat_map(cookie::parse_pairs)
            .map(|(name, value)| cookie::from_request(name, value))
    }

    /// The app's state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The client's address (`None` over a Unix socket or in-process).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.parts.conn.peer_addr
    }

    /// The server's address the client connected to.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.parts.conn.local_addr
    }

    /// A typed value attached by middleware.
    pub fn ext<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.parts.extensions.get()
    }

    /// A typed value attached by middleware, mutably.
    pub fn ext_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.parts.extensions.get_mut()
    }

    /// Attaches a typed value for handlers further in.
    pub fn insert_ext<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.parts.extensions.insert(value);
    }

    /// Takes the body as a stream of chunks, leaving an empty one. Streaming is not bounded
    /// by the body limit: the handler decides how much to read.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.parts.body)
    }

    /// Reads the whole body, up to the body limit (413 beyond it).
    pub async fn body_bytes(&mut self) -> Result<Bytes> {
        let limit = self.parts.body_limit;
        self.take_body()
            .bytes_limited(limit)
            .await
            .map_err(body_error)
    }

    /// Reads the whole body as UTF-8 text (400 if it is not).
    pub async fn body_string(&mut self) -> Result<String> {
        let bytes = self.body_bytes().await?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            Error::from_str(StatusCode::BAD_REQUEST, "request body is not valid UTF-8")
        })
    }

    /// Reads the body as JSON: 400 if it is not JSON, 422 if it does not fit a `T`.
    pub async fn body_json<T: DeserializeOwned>(&mut self) -> Result<T> {
        let bytes = self.body_bytes().await?;
        serde_json::from_slice(&bytes).map_err(|error| {
            let status = match error.classify() {
                serde_json::error::Category::Data => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::BAD_REQUEST,
            };
            Error::from_str(status, format!("invalid JSON body: {error}"))
        })
    }

    /// Reads the body as a URL-encoded form: 422 if it does not fit a `T`.
    pub async fn body_form<T: DeserializeOwned>(&mut self) -> Result<T> {
        let bytes = self.body_bytes().await?;
        serde_urlencoded::from_bytes(&bytes).map_err(|error| {
            Error::from_str(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("invalid form body: {error}"),
            )
        })
    }

    /// Where the request came from.
    pub fn conn_info(&self) -> &ConnInfo {
        &self.parts.conn
    }

    /// The most bytes [`body_bytes`](Request::body_bytes) (and the `body_*` readers built on
    /// it) accept: the server's [`max_body_bytes`](crate::server::Settings::max_body_bytes).
    pub fn body_limit(&self) -> u64 {
        self.parts.body_limit
    }

    /// The request as an `http::Request` (its parameters, state and connection info are
    /// dropped).
    pub fn into_http(self) -> http::Request<Body> {
        let parts = self.parts.into_inner(Parts::new_empty());
        let (method, uri, version, headers) = parts.head.into_parts();
        let mut request = http::Request::new(parts.body);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        *request.version_mut() = version;
        *request.headers_mut() = headers;
        *request.extensions_mut() = parts.extensions;
        request
    }
}

/// A header value as text: visible ASCII (and tabs) only, as `HeaderValue::to_str` has it.
fn text(value: &[u8]) -> Option<&str> {
    if value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        std::str::from_utf8(value).ok()
    } else {
        None
    }
}

fn body_error(error: BodyError) -> Error {
    Error::new(error.status(), error)
}
