//! [`Fixed`]: the answers an app gives by itself: `404 Not Found`, `405 Method Not Allowed`
//! with `Allow`, and the automatic `OPTIONS` (`204` with `Allow`).

use http::StatusCode;
use http::header::{ALLOW, HeaderValue};

use crate::endpoint::{BoxFuture, Endpoint};
use crate::{Request, Response, Result};

/// An endpoint that always gives the same answer.
pub(crate) struct Fixed {
    status: StatusCode,
    allow: Option<HeaderValue>,
}

impl Fixed {
    /// `404 Not Found`: no route matches the path.
    pub(crate) fn not_found() -> Fixed {
        Fixed {
            status: StatusCode::NOT_FOUND,
            allow: None,
        }
    }

    /// `405 Method Not Allowed`: the path has no endpoint for the method; `allow` lists those
    /// it has.
    pub(crate) fn not_allowed(allow: HeaderValue) -> Fixed {
        Fixed {
            status: StatusCode::METHOD_NOT_ALLOWED,
            allow: Some(allow),
        }
    }

    /// The automatic answer to `OPTIONS`: `204 No Content` with `Allow`.
    pub(crate) fn options(allow: HeaderValue) -> Fixed {
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
