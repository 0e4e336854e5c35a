//! [`Response`]: what a handler answers, and the conversions that let it return plain values.

use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, SET_COOKIE};
use http::{HeaderMap, StatusCode};
use serde::Serialize;

use crate::Cookie;
use crate::{Body, Error};

/// An HTTP response: status, headers and body.
///
/// A handler may return anything that is `Into<Response>`: a `&'static str` or `String`
/// (text/plain), a `Vec<u8>` or `Body`, a [`Json`] value, a [`Redirect`], a `StatusCode`, or a
/// `Response` built by hand.
///
/// # Examples
///
/// ```
/// use tide::{Response, StatusCode};
///
/// let response = Response::builder(StatusCode::CREATED)
///     .header("location", "/todos/1")
///     .body("created")
///     .build();
/// assert_eq!(response.status(), StatusCode::CREATED);
/// assert_eq!(response.header("location").unwrap(), "/todos/1");
/// assert_eq!(response.content_type().unwrap(), "text/plain; charset=utf-8");
/// ```
#[derive(Debug)]
pub struct Response {
    inner: http::Response<Body>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: StatusCode) -> Response {
        let mut inner = http::Response::new(Body::empty());
        *inner.status_mut() = status;
        Response { inner }
    }

    /// A builder for a response with `status`.
    pub fn builder(status: StatusCode) -> ResponseBuilder {
        ResponseBuilder {
            response: Response::new(status),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: StatusCode) {
        *self.inner.status_mut() = status;
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The headers, mutably.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.inner.headers_mut()
    }

    /// The first value of header `name`.
    pub fn header(&self, name: impl http::header::AsHeaderName) -> Option<&HeaderValue> {
        self.inner.headers().get(name)
    }

    /// Sets header `name`, replacing its values.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value (a programming mistake).
    #[track_caller]
    pub fn insert_header(&mut self, name: &str, value: impl AsRef<str>) {
        let (name, value) = header_pair(name, value.as_ref());
        self.inner.headers_mut().insert(name, value);
    }

    /// Adds a value to header `name`.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value (a programming mistake).
    #[track_caller]
    pub fn append_header(&mut self, name: &str, value: impl AsRef<str>) {
        let (name, value) = header_pair(name, value.as_ref());
        self.inner.headers_mut().append(name, value);
    }

    /// Removes header `name`.
    pub fn remove_header(&mut self, name: impl http::header::AsHeaderName) {
        self.inner.headers_mut().remove(name);
    }

    /// Adds a `Set-Cookie` header for `cookie`. Setting the same cookie twice sends both;
    /// the browser keeps the last.
    pub fn insert_cookie(&mut self, cookie: Cookie) {
        let value = HeaderValue::try_from(cookie.to_string())
            .expect("a Cookie is checked to be valid header text when it is built");
        self.inner.headers_mut().append(SET_COOKIE, value);
    }

    /// Tells the client to drop cookie `name` (set at `Path=/`): adds `name=; Path=/;
    /// Max-Age=0`. For a cookie set with another path or a domain, insert
    /// [`Cookie::into_removal`] of a cookie with that path and domain.
    ///
    /// # Panics
    ///
    /// If `name` is not a valid cookie name.
    #[track_caller]
    pub fn remove_cookie(&mut self, name: &str) {
        self.insert_cookie(Cookie::removal(name));
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> Option<&str> {
        self.header(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// Sets the `Content-Type`.
    #[track_caller]
    pub fn set_content_type(&mut self, content_type: &str) {
        self.insert_header("content-type", content_type);
    }

    /// The body.
    pub fn body(&self) -> &Body {
        self.inner.body()
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Body>) {
        *self.inner.body_mut() = body.into();
    }

    /// Takes the body, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(self.inner.body_mut())
    }

    /// Sets the body to `value` as JSON, with its content type.
    pub fn set_body_json(&mut self, value: &impl Serialize) -> crate::Result<()> {
        let bytes = serde_json::to_vec(value)?;
        self.set_body(bytes);
        self.set_content_type("application/json");
        Ok(())
    }

    /// The underlying `http::Response`.
    pub fn into_http(self) -> http::Response<Body> {
        self.inner
    }

    /// Extensions: typed values middleware can attach.
    pub fn ext<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.inner.extensions().get()
    }

    /// Attaches a typed value.
    pub fn insert_ext<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.inner.extensions_mut().insert(value);
    }
}

#[track_caller]
fn header_pair(name: &str, value: &str) -> (HeaderName, HeaderValue) {
    let name = HeaderName::from_bytes(name.as_bytes())
        .unwrap_or_else(|_| panic!("{name:?} is not a valid header name"));
    let value = HeaderValue::from_str(value)
        .unwrap_or_else(|_| panic!("{value:?} is not a valid value for header {name}"));
    (name, value)
}

/// Builds a [`Response`]; see [`Response::builder`].
#[derive(Debug)]
#[must_use = "call .build() to get the response"]
pub struct ResponseBuilder {
    response: Response,
}

impl ResponseBuilder {
    /// Sets a header.
    #[track_caller]
    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> ResponseBuilder {
        self.response.insert_header(name, value);
        self
    }

    /// Adds a `Set-Cookie` header; see [`Response::insert_cookie`].
    pub fn cookie(mut self, cookie: Cookie) -> ResponseBuilder {
        self.response.insert_cookie(cookie);
        self
    }

    /// Sets the `Content-Type`.
    #[track_caller]
    pub fn content_type(mut self, content_type: &str) -> ResponseBuilder {
        self.response.set_content_type(content_type);
        self
    }

    /// Sets the body; text gets `text/plain; charset=utf-8` unless a content type is set.
    pub fn body(mut self, body: impl Into<Response>) -> ResponseBuilder {
        let mut from = body.into();
        if self.response.content_type().is_none()
            && let Some(content_type) = from.header(CONTENT_TYPE).cloned()
        {
            self.response
                .headers_mut()
                .insert(CONTENT_TYPE, content_type);
        }
        self.response.set_body(from.take_body());
        self
    }

    /// Sets the body to `value` as JSON.
    pub fn json(mut self, value: &impl Serialize) -> crate::Result<ResponseBuilder> {
        self.response.set_body_json(value)?;
        Ok(self)
    }

    /// The response.
    pub fn build(self) -> Response {
        self.response
    }
}

impl From<ResponseBuilder> for Response {
    fn from(builder: ResponseBuilder) -> Response {
        builder.build()
    }
}

/// `Content-Type` of text.
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
/// `Content-Type` of bytes.
const OCTET_STREAM: HeaderValue = HeaderValue::from_static("application/octet-stream");
/// `Content-Type` of JSON.
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A `200 OK` with `body` of `content_type` (a constant: checked when compiled, not per
/// response).
fn with_body(body: Body, content_type: HeaderValue) -> Response {
    let mut response = Response::new(StatusCode::OK);
    response.set_body(body);
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

impl From<&'static str> for Response {
    fn from(text: &'static str) -> Response {
        with_body(text.into(), TEXT_PLAIN)
    }
}

impl From<String> for Response {
    fn from(text: String) -> Response {
        with_body(text.into(), TEXT_PLAIN)
    }
}

impl From<Vec<u8>> for Response {
    fn from(bytes: Vec<u8>) -> Response {
        with_body(bytes.into(), OCTET_STREAM)
    }
}

impl From<Body> for Response {
    fn from(body: Body) -> Response {
        let mut response = Response::new(StatusCode::OK);
        response.set_body(body);
        response
    }
}

impl From<StatusCode> for Response {
    fn from(status: StatusCode) -> Response {
        Response::new(status)
    }
}

impl From<()> for Response {
    fn from((): ()) -> Response {
        Response::new(StatusCode::NO_CONTENT)
    }
}

impl From<http::Response<Body>> for Response {
    fn from(inner: http::Response<Body>) -> Response {
        Response { inner }
    }
}

impl From<Response> for http::Response<Body> {
    fn from(response: Response) -> http::Response<Body> {
        response.inner
    }
}

impl From<Error> for Response {
    /// A 4xx error's message becomes the body; a 5xx error's detail is logged, and the body
    /// only names the status.
    fn from(error: Error) -> Response {
        let status = error.status();
        let message = if error.is_public() {
            format!("{error}\n")
        } else {
            log::error!("{status}: {error}");
            format!("{}\n", status.canonical_reason().unwrap_or("Error"))
        };
        let mut response = Response::from(message);
        response.set_status(status);
        response
    }
}

/// A value answered as JSON (`application/json`).
///
/// ```
/// use tide::Json;
/// use serde_json::json;
///
/// let response: tide::Response = Json(json!({"message": "Hello, World!"})).into();
/// assert_eq!(response.content_type().unwrap(), "application/json");
/// ```
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T: Serialize> From<Json<T>> for Response {
    fn from(Json(value): Json<T>) -> Response {
        match serde_json::to_vec(&value) {
            Ok(bytes) => with_body(bytes.into(), APPLICATION_JSON),
            Err(error) => Error::new(StatusCode::INTERNAL_SERVER_ERROR, error).into(),
        }
    }
}

/// A redirect to another location.
///
/// ```
/// use tide::{Redirect, Response, StatusCode};
///
/// let response: Response = Redirect::see_other("/login").into();
/// assert_eq!(response.status(), StatusCode::SEE_OTHER);
/// assert_eq!(response.header("location").unwrap(), "/login");
/// ```
#[derive(Debug, Clone)]
pub struct Redirect {
    status: StatusCode,
    location: String,
}

impl Redirect {
    /// `302 Found`.
    pub fn found(location: impl Into<String>) -> Redirect {
        Redirect::with_status(StatusCode::FOUND, location)
    }

    /// `303 See Other`: the client follows with a GET (after a form POST, say).
    pub fn see_other(location: impl Into<String>) -> Redirect {
        Redirect::with_status(StatusCode::SEE_OTHER, location)
    }

    /// `307 Temporary Redirect`: the client repeats the same method and body.
    pub fn temporary(location: impl Into<String>) -> Redirect {
        Redirect::with_status(StatusCode::TEMPORARY_REDIRECT, location)
    }

    /// `308 Permanent Redirect`: like 307, for good.
    pub fn permanent(location: impl Into<String>) -> Redirect {
        Redirect::with_status(StatusCode::PERMANENT_REDIRECT, location)
    }

    fn with_status(status: StatusCode, location: impl Into<String>) -> Redirect {
        Redirect {
            status,
            location: location.into(),
        }
    }
}

impl From<Redirect> for Response {
    fn from(redirect: Redirect) -> Response {
        let mut response = Response::new(redirect.status);
        match HeaderValue::from_str(&redirect.location) {
            Ok(location) => {
                response.headers_mut().insert(LOCATION, location);
                response
            }
            Err(_) => Error::from_str(
                StatusCode::INTERNAL_SERVER_ERROR,
                "invalid redirect location",
            )
            .into(),
        }
    }
}
