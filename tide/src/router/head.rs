//! `HEAD`: answered like `GET` (by the `GET` endpoint when the route has no `HEAD` one, see
//! [`MethodTable::dispatch`](super::MethodTable::dispatch)), with the same head and no body.

use crate::Response;

/// Makes `response` (a `GET`'s, say) the answer to a `HEAD` request: the body is dropped,
/// keeping only its length (or that it had none), which the response head still announces.
pub(crate) fn omit_body(response: &mut Response) {
    let body = response.take_body();
    response.set_body(body.into_omitted());
}
