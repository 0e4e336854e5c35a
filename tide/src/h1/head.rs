//! [`Head`]: a request's method, target, version and header fields, kept as the bytes that
//! arrived and read in place; the `http` forms ([`Uri`], [`HeaderMap`]) are built only when
//! someone asks for them.
//!
//! The engine slices the head out of the connection's read buffer ([`Bytes`]: a reference
//! count, no copy), so a request costs no allocation for its target or its fields. A lookup
//! by name walks the fields ([`Fields`]); [`Head::headers`] builds the map once (its values
//! share the same bytes) for code that wants it, and from then on the map is what the request
//! holds: [`Head::headers_mut`] edits it.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, Version};

use super::fields::{Fields, is_named};

/// Where the request target lies in the head's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) start: u32,
    /// Where the path ends: at the `?` or at `end`.
    pub(crate) path_end: u32,
    pub(crate) end: u32,
}

/// A request head: as received, or built in-process from an `http::Request`.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) version: Version,
    /// The head as received (request line, fields, empty line); empty in-process.
    raw: Bytes,
    /// The target in `raw`, when it is plain origin-form text (the usual case); otherwise
    /// `uri` was parsed when the head was.
    target: Option<Target>,
    uri: OnceLock<Box<Uri>>,
    /// Once set, the fields: `raw`'s are no longer read.
    headers: OnceLock<Box<HeaderMap>>,
}

impl Head {
    /// A head received as `raw`; `target` locates a plain origin-form target in it, else
    /// `uri` is the target already parsed.
    #[cfg(test)]
    pub(crate) fn received(
        method: Method,
        version: Version,
        raw: Bytes,
        target: Result<Target, Box<Uri>>,
    ) -> Head {
        let mut head = Head::empty();
        head.receive(method, version, raw, target);
        head
    }

    /// Makes this head, which holds nothing ([`Head::empty`], or [`released`](Head::release)),
    /// the head received as `raw` (see [`Head::received`]), in place: a request's recycled
    /// head is written field by field instead of a new one being built and moved in.
    pub(crate) fn receive(
        &mut self,
        method: Method,
        version: Version,
        raw: Bytes,
        target: Result<Target, Box<Uri>>,
    ) {
        debug_assert!(self.raw.is_empty() && self.uri.get().is_none());
        debug_assert!(self.target.is_none() && self.headers.get().is_none());
        self.method = method;
        self.version = version;
        self.target = match target {
            // Kept only where `target_text` may read it as text (see there): in order, in
            // `raw`, ASCII. The parser located it so; checking costs a few instructions.
            Ok(target)
                if target.start <= target.path_end
                    && target.path_end <= target.end
                    && raw
                        .get(target.start as usize..target.end as usize)
                        .is_some_and(<[u8]>::is_ascii) =>
            {
                Some(target)
            }
            // Never from the parser; read as `/` rather than as text it is not.
            Ok(_) => {
                self.uri = OnceLock::from(Box::new(Uri::from_static("/")));
                None
            }
            Err(parsed) => {
                self.uri = OnceLock::from(parsed);
                None
            }
        };
        // The head held nothing: its `raw` is `Bytes::new()`, whose drop does nothing, so it
        // is forgotten rather than dropped through the vtable.
        std::mem::forget(std::mem::replace(&mut self.raw, raw));
    }

    /// A placeholder head holding nothing (what a recycled request holds between two
    /// requests); never read.
    pub(crate) fn empty() -> Head {
        Head {
            method: Method::GET,
            version: Version::HTTP_11,
            raw: Bytes::new(),
            target: None,
            uri: OnceLock::new(),
            headers: OnceLock::new(),
        }
    }

    /// Drops what the head refers to (the connection's read buffer, the parsed forms),
    /// leaving a head that is never read again.
    pub(crate) fn release(&mut self) {
        self.raw = Bytes::new();
        self.target = None;
        self.uri.take();
        self.headers.take();
    }

    /// A head made of parts already parsed (an in-process request).
    pub(crate) fn from_parts(
        method: Method,
        uri: Uri,
        version: Version,
        headers: HeaderMap,
    ) -> Head {
        Head {
            method,
            version,
            raw: Bytes::new(),
            target: None,
            uri: OnceLock::from(Box::new(uri)),
            headers: OnceLock::from(Box::new(headers)),
        }
    }

    /// The target's bytes in `raw`, in the plain case.
    fn target_text(&self, from: u32, to: u32) -> &str {
        let bytes = &self.raw[from as usize..to as usize];
        // SAFETY: `from..to` lies within `self.target`, which `received` kept only after
        // checking that its bytes are ASCII, hence UTF-8; `raw` is never changed while
        // `target` is set (`release` clears both). Validating again cost more than the
        // rest of a request's routing.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// The path of the target.
    pub(crate) fn path(&self) -> &str {
        match self.target {
            Some(target) => self.target_text(target.start, target.path_end),
            None => self.uri().path(),
        }
    }

    /// The query of the target (after `?`), if it has one.
    pub(crate) fn query(&self) -> Option<&str> {
        match self.target {
            Some(target) if target.path_end < target.end => {
                Some(self.target_text(target.path_end + 1, target.end))
            }
            Some(_) => None,
            None => self.uri().query(),
        }
    }

    /// The target as a `Uri` (parsed on first use, sharing the head's bytes).
    pub(crate) fn uri(&self) -> &Uri {
        self.uri.get_or_init(|| {
            let target = self
                .target
                .expect("a head without a parsed Uri has a plain target");
            let bytes = self.raw.slice(target.start as usize..target.end as usize);
            // A plain target is a valid origin-form URI (checked when parsed).
            Box::new(Uri::from_maybe_shared(bytes).unwrap_or_else(|_| Uri::from_static("/")))
        })
    }

    /// The values of field `name` (any case), in order.
    pub(crate) fn values<'a, 'n>(&'a self, name: &'n str) -> Values<'a, 'n> {
        match self.headers.get() {
            Some(map) => Values::Map(map.get_all(name).iter()),
            None => Values::Raw {
                fields: Fields::of(&self.raw),
                name: name.as_bytes(),
            },
        }
    }

    /// The fields as a `HeaderMap`, built on first use.
    pub(crate) fn headers(&self) -> &HeaderMap {
        self.headers.get_or_init(|| Box::new(self.build_map()))
    }

    /// The fields as a `HeaderMap`, to edit.
    pub(crate) fn headers_mut(&mut self) -> &mut HeaderMap {
        if self.headers.get().is_none() {
            let map = self.build_map();
            let _ = self.headers.set(Box::new(map));
        }
        self.headers.get_mut().expect("the map was just set")
    }

    /// Takes the parts an `http::Request` needs.
    pub(crate) fn into_parts(mut self) -> (Method, Uri, Version, HeaderMap) {
        self.headers();
        self.uri();
        let headers = self.headers.take().map(|map| *map).unwrap_or_default();
        let uri = self.uri.take().map(|uri| *uri).unwrap_or_default();
        (self.method, uri, self.version, headers)
    }

    fn build_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in Fields::of(&self.raw) {
            // `parse` accepted only token names and field-value text: the same bytes the
            // `http` types accept, so nothing is skipped here.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name),
                HeaderValue::from_maybe_shared(self.raw.slice_ref(value)),
            ) {
                map.append(name, value);
            }
        }
        map
    }
}

/// The values of one field, from the map or from the raw head.
#[derive(Debug)]
pub(crate) enum Values<'a, 'n> {
    Map(http::header::ValueIter<'a, HeaderValue>),
    Raw { fields: Fields<'a>, name: &'n [u8] },
}

impl<'a> Iterator for Values<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Values::Map(values) => values.next().map(HeaderValue::as_bytes),
            Values::Raw { fields, name } => fields
                .find(|(field, _)| is_named(field, name))
                .map(|(_, value)| value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_read_in_place_only_where_it_is_ascii_text_within_the_head() {
        let raw = Bytes::from_static(b"GET /a\xff?q HTTP/1.1\r\n\r\n");
        let located = |start, path_end, end| {
            Head::received(
                Method::GET,
                Version::HTTP_11,
                raw.clone(),
                Ok(Target {
                    start,
                    path_end,
                    end,
                }),
            )
        };
        assert_eq!(located(4, 6, 6).path(), "/a");
        assert_eq!(located(4, 6, 6).query(), None);
        for (start, path_end, end) in [(4, 7, 7), (4, 6, 100), (6, 4, 7), (4, 9, 8)] {
            let head = located(start, path_end, end);
            assert_eq!((head.path(), head.query()), ("/", None), "{start}..{end}");
        }
    }
}
