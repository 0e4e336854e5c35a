//! The HTTP/1.1 wire format: request heads, body framing, and (soon) the connection engine.

pub(crate) mod chunked;
pub(crate) mod date;
pub(crate) mod decoder;
pub mod limits;
pub(crate) mod request_head;
pub(crate) mod response_head;
