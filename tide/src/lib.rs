//! tide: an HTTP/1.1 web framework (work in progress: the wire format is here, the server
//! and the framework land next).

#![deny(missing_docs)]

// The engine that uses these parsers lands with the server; until then only tests call them.
#[allow(dead_code)]
mod h1;

pub use h1::limits;
