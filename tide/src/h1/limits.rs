//! The limits the HTTP/1.1 engine enforces on what a client sends. Each is a setting of the
//! server; the constants are the defaults.

/// Default most bytes of a request head (request line and header fields): 16 KiB.
pub const DEFAULT_MAX_HEAD_BYTES: usize = 16 * 1024;
/// Default most header fields in a request head.
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// Default most bytes of a request target (the URI in the request line): 8 KiB.
pub const DEFAULT_MAX_URI_BYTES: usize = 8 * 1024;

/// Limits on a request head; a request over one is answered with 431 or 414.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Most bytes of the whole head.
    pub(crate) max_head_bytes: usize,
    /// Most header fields.
    pub(crate) max_headers: usize,
    /// Most bytes of the request target.
    pub(crate) max_uri_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            max_uri_bytes: DEFAULT_MAX_URI_BYTES,
        }
    }
}
