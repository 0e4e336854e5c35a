//! The HTTP/1.1 wire format, with no I/O: request heads, body framing, response heads.

pub(crate) mod chunked;
pub(crate) mod date;
pub(crate) mod decoder;
pub(crate) mod fields;
pub(crate) mod head;
pub(crate) mod request_head;
pub(crate) mod response_fields;
pub(crate) mod response_head;
pub(crate) mod room;
pub(crate) mod scan;
