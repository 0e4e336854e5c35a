//! The HTTP/1.1 wire format: request heads, body framing, response heads and the cached `Date`.
//! The connection engine that drives them lives in `server`.

pub(crate) mod chunked;
pub(crate) mod date;
pub(crate) mod decoder;
pub mod limits;
pub(crate) mod request_head;
pub(crate) mod response_head;
