//! tide: an HTTP/1.1 web framework (work in progress).
