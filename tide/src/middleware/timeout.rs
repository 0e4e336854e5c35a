//! [`Timeout`]: a deadline for the app to answer a request.

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use super::{Middleware, Next};
use crate::endpoint::BoxFuture;
use crate::{Request, Response, Result};

/// Answers `503 Service Unavailable` when the rest of the chain has not answered within a
/// duration; the handler's future (and whatever it holds: a database call, a lock guard) is
/// dropped at the deadline, so it stops running.
///
/// Added with `app.with(..)`, it covers every request; with `app.at(path).with(..)`, the
/// routes at and below `path`, so a subtree can have its own deadline. Several deadlines
/// nest: the shortest in force wins. The deadline covers the app producing its response;
/// a streamed body is not cut off once the response has begun (the server's write
/// timeouts and the client's patience govern that).
///
/// ```
/// use std::time::Duration;
/// use tide::middleware::Timeout;
///
/// let mut app = tide::new();
/// app.with(Timeout::new(Duration::from_secs(30)));
/// app.at("/report").with(Timeout::new(Duration::from_millis(50))).get(|_| async {
///     romio::time::sleep(Duration::from_secs(3600)).await; // far too slow
///     Ok("never")
/// });
/// # tide::runtime::block_on(async {
/// let mut response = tide::testing::get(&app, "/report").await;
/// assert_eq!(response.status(), 503);
/// assert_eq!(response.body_string().await, "the request timed out after 50ms\n");
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Timeout {
    duration: Duration,
}

impl Timeout {
    /// A deadline of `duration` after the request reaches this middleware.
    pub fn new(duration: Duration) -> Timeout {
        Timeout { duration }
    }
}

impl<State: Send + Sync + 'static> Middleware<State> for Timeout {
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        let duration = self.duration;
        let running = next.run(request);
        Box::pin(async move {
            match romio::time::timeout(duration, running).await {
                Ok(response) => Ok(response),
                // The chain's future was dropped with the `Timeout` future that held it.
                Err(_elapsed) => Ok(timed_out(duration)),
            }
        })
    }
}

/// The `503` for a request that ran past `duration`.
fn timed_out(duration: Duration) -> Response {
    Response::builder(StatusCode::SERVICE_UNAVAILABLE)
        .body(format!("the request timed out after {duration:?}\n"))
        .build()
}
