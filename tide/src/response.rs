//! [`Response`]: what a handler answers, and the conversions that let it return plain values.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::thread::LocalKey;

use http::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use http::{Extensions, HeaderMap, StatusCode};
use serde::Serialize;

use crate::h1::response_fields::{ContentTypeLine, InvalidField, ResponseFields, is_field_value};

use crate::Cookie;
use crate::recycle::{Recycle, Recycled, Spares};
use crate::upgrade::OnUpgrade;
use crate::{Body, Error};

/// The mark [`Response::end_stream_at_shutdown`] leaves, for the engine.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EndsAtShutdown;

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
    // One allocation holds the whole response, so that it moves through the layers of
    // middleware as one pointer; the allocation is reused (`recycle.rs`).
    parts: Recycled<Parts>,
}

#[derive(Debug)]
struct Parts {
    status: StatusCode,
    fields: ResponseFields,
    /// The map [`Response::headers`] lends while the fields are lines; emptied by any edit.
    map: OnceLock<HeaderMap>,
    body: Body,
    extensions: Extensions,
    /// The continuation of a `101` ([`Response::upgrade`]): boxed, so that every other
    /// response pays one pointer for it.
    on_upgrade: Option<Box<OnUpgrade>>,
}

thread_local! {
    static SPARE_RESPONSES: Spares<Parts> = const { RefCell::new(Vec::new()) };
}

impl Parts {
    /// Drops the map [`Response::headers`] lent, if it was built (the usual response never
    /// builds it: then nothing is dropped or written).
    fn forget_map(&mut self) {
        if self.map.get().is_some() {
            self.map = OnceLock::new();
        }
    }

    /// Drops the extensions (keeping the map's memory) and the continuation of a `101`.
    #[cold]
    #[inline(never)]
    fn drop_extras(&mut self) {
        self.extensions.clear();
        self.on_upgrade = None;
    }

    fn new_empty() -> Parts {
        Parts {
            status: StatusCode::OK,
            fields: ResponseFields::default(),
            map: OnceLock::new(),
            body: Body::empty(),
            extensions: Extensions::new(),
            on_upgrade: None,
        }
    }
}

impl Recycle for Parts {
    fn spares() -> &'static LocalKey<Spares<Parts>> {
        &SPARE_RESPONSES
    }

    // Out of line: only a thread without a spare box calls it, and inlined it would make
    // every response's construction reserve the stack for a whole new `Parts`.
    #[inline(never)]
    fn empty() -> Parts {
        Parts::new_empty()
    }

    fn reset(&mut self) {
        self.fields.clear();
        self.forget_map();
        self.body.replace_with(Body::empty());
        // The usual response has neither: nothing to drop, and no call.
        if !self.extensions.is_empty() || self.on_upgrade.is_some() {
            self.drop_extras();
        }
    }
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: StatusCode) -> Response {
        Response::with_fields(status, ResponseFields::default(), Body::empty())
    }

    fn with_fields(status: StatusCode, fields: ResponseFields, body: Body) -> Response {
        Response {
            // A reset value has no map and no extensions already.
            parts: Recycled::new_with(|parts: &mut Parts| {
                parts.status = status;
                parts.fields.refill(fields);
                parts.body.replace_with(body);
            }),
        }
    }

    /// A builder for a response with `status`.
    pub fn builder(status: StatusCode) -> ResponseBuilder {
        ResponseBuilder {
            response: Response::new(status),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.parts.status
    }

    /// Sets the status.
    pub fn set_status(&mut self, status: StatusCode) {
        self.parts.status = status;
    }

    /// The headers as an `http::HeaderMap` (built on first use: a response keeps the fields
    /// set by [`insert_header`](Response::insert_header) as the lines it writes).
    pub fn headers(&self) -> &HeaderMap {
        match &self.parts.fields {
            ResponseFields::Map(map) => map,
            lines => self.parts.map.get_or_init(|| lines.to_map()),
        }
    }

    /// The headers, mutably; from then on the response keeps them in this map.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.parts.forget_map();
        self.parts.fields.map_mut()
    }

    /// The first value of header `name` (any case) as text; `None` if there is none or it
    /// is not text.
    pub fn header(&self, name: impl AsRef<str>) -> Option<&str> {
        self.parts
            .fields
            .get(name.as_ref())
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// Every value of header `name` (any case), in order, as bytes.
    pub fn header_values<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.parts.fields.values(name)
    }

    /// Sets header `name`, replacing its values.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value (a programming mistake).
    #[track_caller]
    pub fn insert_header(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        // Checked as it is copied in: nothing changes when the name or value is refused.
        if let Err(invalid) = self.parts.fields.insert(name, value) {
            refuse_field(name, value, invalid);
        }
        self.parts.forget_map();
    }

    /// Adds a value to header `name`.
    ///
    /// # Panics
    ///
    /// If `name` or `value` is not a valid header name or value (a programming mistake).
    #[track_caller]
    pub fn append_header(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        if let Err(invalid) = self.parts.fields.append(name, value) {
            refuse_field(name, value, invalid);
        }
        self.parts.forget_map();
    }

    /// Removes header `name`.
    pub fn remove_header(&mut self, name: impl AsRef<str>) {
        self.parts.forget_map();
        self.parts.fields.remove(name.as_ref());
    }

    /// Adds a `Set-Cookie` header for `cookie`. Setting the same cookie twice sends both;
    /// the browser keeps the last.
    pub fn insert_cookie(&mut self, cookie: Cookie) {
        self.append_header(SET_COOKIE, cookie.to_string());
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
        self.header(CONTENT_TYPE)
    }

    /// Sets the `Content-Type`.
    #[track_caller]
    pub fn set_content_type(&mut self, content_type: &str) {
        self.insert_header(CONTENT_TYPE, content_type);
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.parts.body
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Body>) {
        self.parts.body = body.into();
    }

    /// Takes the body, leaving an empty one.
    pub fn take_body(&mut self) -> Body {
        std::mem::take(&mut self.parts.body)
    }

    /// Takes the buffer of a body built in a `Vec` (once the engine has copied it), for
    /// reuse; any other body stays.
    pub(crate) fn take_body_buffer(&mut self) -> Option<Vec<u8>> {
        self.parts.body.take_buffer()
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
        let parts = self.parts.into_inner(Parts::new_empty());
        let mut response = http::Response::new(parts.body);
        *response.status_mut() = parts.status;
        *response.headers_mut() = parts.fields.into_map();
        *response.extensions_mut() = parts.extensions;
        response
    }

    /// Extensions: typed values middleware can attach.
    pub fn ext<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.parts.extensions.get()
    }

    /// Attaches a typed value.
    pub fn insert_ext<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.parts.extensions.insert(value);
    }

    /// Lets the server end this response's streamed body early, cleanly, when it shuts
    /// down: for a stream a client can pick up again on another connection (an event
    /// stream, a log tail, a long poll). When the graceful shutdown begins while the stream
    /// waits for its next chunk, the body ends there (with its last chunk, so the client
    /// sees a complete response), the stream is dropped and the connection closed, instead
    /// of the stream holding the shutdown up until
    /// [`Settings::shutdown_timeout`](crate::server::Settings::shutdown_timeout) cuts it off.
    /// A chunk being produced is waited for; a body in memory, or one that announced its
    /// length, is never cut short. [`sse::Sse`](crate::sse::Sse) responses do this.
    ///
    /// ```
    /// use futures::stream;
    /// use tide::{Body, Response, StatusCode};
    ///
    /// let lines = stream::pending::<std::io::Result<bytes::Bytes>>();
    /// let mut response = Response::new(StatusCode::OK);
    /// response.set_body(Body::from_stream(lines));
    /// response.end_stream_at_shutdown();
    /// ```
    pub fn end_stream_at_shutdown(&mut self) {
        self.parts.extensions.insert(EndsAtShutdown);
    }

    /// The fields, for the engine to write.
    pub(crate) fn fields(&self) -> &ResponseFields {
        &self.parts.fields
    }

    /// Sets the continuation run after this response's `101` head is written.
    pub(crate) fn set_on_upgrade(&mut self, on_upgrade: OnUpgrade) {
        self.parts.on_upgrade = Some(Box::new(on_upgrade));
    }

    /// Takes the continuation of a `101`, for the engine.
    pub(crate) fn take_on_upgrade(&mut self) -> Option<OnUpgrade> {
        self.parts.on_upgrade.take().map(|boxed| *boxed)
    }
}

/// Panics, at the caller, on a header name or value `http` would refuse.
#[cold]
#[track_caller]
fn refuse_field(name: &str, value: &str, invalid: InvalidField) -> ! {
    match invalid {
        InvalidField::Name => panic!("{name:?} is not a valid header name"),
        InvalidField::Value => panic!("{value:?} is not a valid value for header {name}"),
    }
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
            && let Some(content_type) = from.content_type()
        {
            let content_type = content_type.to_owned();
            self.response.set_content_type(&content_type);
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
pub(crate) const TEXT_PLAIN: ContentTypeLine =
    ContentTypeLine::new(b"content-type: text/plain; charset=utf-8\r\n");
/// `Content-Type` of bytes.
const OCTET_STREAM: ContentTypeLine =
    ContentTypeLine::new(b"content-type: application/octet-stream\r\n");
/// `Content-Type` of JSON.
const APPLICATION_JSON: ContentTypeLine =
    ContentTypeLine::new(b"content-type: application/json\r\n");

/// A `200 OK` with `body` of `content_type` (a constant: checked when compiled, not per
/// response). Inlined, so that the body is written into the box where it is made (a static
/// text is three words) instead of built on the stack and moved.
#[inline]
fn with_body(body: Body, content_type: ContentTypeLine) -> Response {
    Response {
        // A reset value has no map, no extensions and no fields already.
        parts: Recycled::new_with(|parts: &mut Parts| {
            parts.status = StatusCode::OK;
            parts.fields.put_content_type(content_type);
            parts.body.replace_with(body);
        }),
    }
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
    fn from(response: http::Response<Body>) -> Response {
        let (parts, body) = response.into_parts();
        let mut response =
            Response::with_fields(parts.status, ResponseFields::Map(parts.headers), body);
        response.parts.extensions = parts.extensions;
        response
    }
}

impl From<Response> for http::Response<Body> {
    fn from(response: Response) -> http::Response<Body> {
        response.into_http()
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
        // Serialized into a buffer the engine gave back after writing an earlier body.
        let mut bytes = crate::recycle::body_buffer();
        match serde_json::to_writer(&mut bytes, &value) {
            Ok(()) => with_body(bytes.into(), APPLICATION_JSON),
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
        match is_field_value(redirect.location.as_bytes()) {
            true => {
                response.insert_header(LOCATION, &redirect.location);
                response
            }
            false => Error::from_str(
                StatusCode::INTERNAL_SERVER_ERROR,
                "invalid redirect location",
            )
            .into(),
        }
    }
}
