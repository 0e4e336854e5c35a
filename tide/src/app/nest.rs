//! [`Nested`]: an app mounted under a path of another app, answering as one of its endpoints.

use std::sync::Arc;

use super::resolved::Built;
use crate::endpoint::{BoxFuture, Endpoint};
use crate::{Request, Response, Result};

/// Name of the wildcard a nested app is mounted under; never visible to handlers.
pub(crate) const NESTED_REST: &str = "__tide_nested_rest";

/// An app nested under another's path, answering as one endpoint of the parent.
pub(crate) struct Nested<Inner> {
    pub(crate) app: Arc<Built<Inner>>,
}

impl<Outer, Inner> Endpoint<Outer> for Nested<Inner>
where
    Outer: Send + Sync + 'static,
    Inner: Clone + Send + Sync + 'static,
{
    fn call(&self, mut request: Request<Outer>) -> BoxFuture<'static, Result<Response>> {
        let app = self.app.clone();
        Box::pin(async move {
            // Route what the client sent below the mount: the decoded capture would decode
            // twice, and turn an escaped `%2F` into a separator.
            request.take_param(NESTED_REST);
            let rest = request.take_raw_rest().unwrap_or_default();
            let path = format!("/{rest}");
            Ok(app.handle_nested(request, &path).await)
        })
    }
}
