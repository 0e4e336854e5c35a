//! Testing an app without a socket: [`get`], [`request`], [`send`].
//!
//! Requests go through the whole app (middleware, routing, handlers, error conversion) in
//! the test's own task: no port, no server. A `HEAD` request is answered by the app's own
//! `HEAD` handling (the body dropped, its length kept), and the length it kept, when known, is
//! shown as the `content-length` header the server would write.

use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Method};

use crate::{App, Body, Response};

/// Sends `GET path` to `app`.
pub async fn get<State: Clone + Send + Sync + 'static>(
    app: &App<State>,
    path: &str,
) -> TestResponse {
    request(app, Method::GET, path).await
}

/// Sends a request with no body.
pub async fn request<State: Clone + Send + Sync + 'static>(
    app: &App<State>,
    method: Method,
    path: &str,
) -> TestResponse {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .expect("a valid method and path");
    send(app, request).await
}

/// Sends any request.
pub async fn send<State: Clone + Send + Sync + 'static>(
    app: &App<State>,
    request: http::Request<Body>,
) -> TestResponse {
    let is_head = request.method() == Method::HEAD;
    let mut response = app.respond(request).await;
    if is_head && let Some(length) = response.body().len() {
        response
            .headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    TestResponse { response }
}

/// A response received in a test, with helpers to read its body.
#[derive(Debug)]
pub struct TestResponse {
    response: Response,
}

impl TestResponse {
    /// The body as text (lossy UTF-8).
    pub async fn body_string(&mut self) -> String {
        String::from_utf8_lossy(&self.body_bytes().await).into_owned()
    }

    /// The body's bytes.
    pub async fn body_bytes(&mut self) -> Vec<u8> {
        self.response
            .take_body()
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default()
    }

    /// The body parsed as JSON.
    pub async fn body_json<T: serde::de::DeserializeOwned>(&mut self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body_bytes().await)
    }

    /// The response.
    pub fn into_response(self) -> Response {
        self.response
    }
}

impl std::ops::Deref for TestResponse {
    type Target = Response;

    fn deref(&self) -> &Response {
        &self.response
    }
}
