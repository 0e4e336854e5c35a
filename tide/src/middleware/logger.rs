//! [`Logger`]: one log line per request on the `log` facade.

use std::sync::Arc;
use std::time::Instant;

use super::{Middleware, Next};
use crate::endpoint::BoxFuture;
use crate::{Request, Response, Result};

/// Logs every request at `info` level (at `warn` for 4xx and `error` for 5xx answers):
/// method, path, status and how long the app took.
///
/// ```
/// let mut app = tide::new();
/// app.with(tide::middleware::Logger::new());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Logger {
    _private: (),
}

impl Logger {
    /// A logger.
    pub fn new() -> Logger {
        Logger::default()
    }
}

impl<State: Send + Sync + 'static> Middleware<State> for Logger {
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        Box::pin(async move {
            let method = request.method().clone();
            let path = request.path().to_owned();
            let started = Instant::now();
            let response = next.run(request).await;
            let status = response.status();
            let elapsed = started.elapsed();
            let level = if status.is_server_error() {
                log::Level::Error
            } else if status.is_client_error() {
                log::Level::Warn
            } else {
                log::Level::Info
            };
            log::log!(level, "{method} {path} {} {elapsed:?}", status.as_u16());
            Ok(response)
        })
    }
}
