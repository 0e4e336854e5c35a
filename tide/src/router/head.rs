//! `HEAD`: answered like `GET` (by the `GET` endpoint when the route has no `HEAD` one, see
//! [`MethodTable::dispatch`](super::MethodTable::dispatch)), with the same head and no body.

use http::Method;

use crate::Response;

/// Makes `response` the answer to a request with `method`: for `HEAD`, the body is dropped,
/// keeping only its length (or that it had none), which the response head still announces.
/// Any other method's response is left as it is.
pub(crate) fn answer(method: &Method, response: &mut Response) {
    if method == Method::HEAD {
        let body = response.take_body();
        response.set_body(body.into_omitted());
    }
}
