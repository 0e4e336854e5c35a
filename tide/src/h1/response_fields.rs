//! [`ResponseFields`]: the header fields of a response, kept as the lines they are written
//! as until someone asks for an `http::HeaderMap`.
//!
//! A handler's response usually carries a `Content-Type` and a few fields set by name and
//! text; kept as `name: value` CRLF lines (names lowercased, both checked when set) they cost
//! one buffer, no hashing, and are written to the wire with one copy. `Content-Type` has its
//! own slot, so that the common answers (text, JSON, bytes) need no buffer at all. The map
//! form is built when asked for ([`ResponseFields::map_mut`]) and is from then on what the
//! response holds.

use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, DATE, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::fields::{Fields, is_named};
use super::response_head::lists_token;
use super::scan::{is_token, is_value_byte};

/// The header fields of a response.
#[derive(Debug, Clone)]
pub(crate) enum ResponseFields {
    /// `Content-Type` and the other fields as lines.
    Lines(Lines),
    /// Every field, in a map.
    Map(HeaderMap),
}

/// `Content-Type` in its slot, the other fields as `name: value` CRLF lines.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    content_type: Option<HeaderValue>,
    lines: Vec<u8>,
    /// Some line is a field the engine writes itself or must read (`Date`, `Connection`,
    /// `Content-Length`, `Transfer-Encoding`).
    special: bool,
}

impl Lines {
    fn append(&mut self, name: &str, value: &str) {
        if is_named(name.as_bytes(), b"content-type") && self.content_type.is_none() {
            self.content_type = HeaderValue::from_str(value).ok();
            return;
        }
        if self.lines.is_empty() {
            self.lines.reserve(64);
        }
        self.special |= is_special(name.as_bytes());
        push_lowercase_line(&mut self.lines, name.as_bytes(), value.as_bytes());
    }

    fn remove(&mut self, name: &str) {
        let wanted = name.as_bytes();
        if is_named(wanted, b"content-type") {
            self.content_type = None;
        }
        if Fields::lines(&self.lines).any(|(field, _)| is_named(field, wanted)) {
            let mut kept = Vec::with_capacity(self.lines.len());
            self.special = false;
            for (field, value) in Fields::lines(&self.lines) {
                if !is_named(field, wanted) {
                    self.special |= is_special(field);
                    push_line(&mut kept, field, value);
                }
            }
            self.lines = kept;
        }
    }
}

/// What the engine needs to know of a handler's response fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FieldFacts {
    /// The handler set its own `Date`.
    pub(crate) has_date: bool,
    /// A `Connection` field lists `close`.
    pub(crate) says_close: bool,
}

/// The fields the engine writes itself, or reads: never copied blindly.
fn is_special(name: &[u8]) -> bool {
    [
        DATE.as_str(),
        CONNECTION.as_str(),
        CONTENT_LENGTH.as_str(),
        TRANSFER_ENCODING.as_str(),
    ]
    .iter()
    .any(|special| is_named(name, special.as_bytes()))
}

/// Whether `name` is a field name (a token), as `HeaderName` has it.
pub(crate) fn is_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| is_token(b))
}

/// Whether `value` is field text, as `HeaderValue::from_str` has it (no control bytes but
/// tabs).
pub(crate) fn is_field_value(value: &[u8]) -> bool {
    value.iter().all(|&b| is_value_byte(b))
}

/// Appends `name: value` CRLF.
fn push_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.reserve(name.len() + value.len() + 4);
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends `name: value` CRLF, the name lowercased as it is copied (names are short: one
/// pass over them beats a copy and a second pass).
fn push_lowercase_line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.reserve(name.len() + value.len() + 4);
    out.extend(name.iter().map(u8::to_ascii_lowercase));
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

impl Default for ResponseFields {
    fn default() -> ResponseFields {
        ResponseFields::Lines(Lines::default())
    }
}

/// The most capacity of a lines buffer that [`ResponseFields::clear`] keeps.
const MAX_KEPT_LINES_BYTES: usize = 1024;

impl ResponseFields {
    /// Empties the fields, keeping the lines' buffer (up to [`MAX_KEPT_LINES_BYTES`]) for
    /// the next response.
    pub(crate) fn clear(&mut self) {
        match self {
            ResponseFields::Lines(own) if own.lines.capacity() <= MAX_KEPT_LINES_BYTES => {
                own.content_type = None;
                own.lines.clear();
                own.special = false;
            }
            other => *other = ResponseFields::default(),
        }
    }

    /// Replaces the fields with `fresh`, keeping this one's buffer when `fresh` has none.
    pub(crate) fn refill(&mut self, fresh: ResponseFields) {
        match (self, fresh) {
            (ResponseFields::Lines(own), ResponseFields::Lines(fresh))
                if fresh.lines.capacity() == 0 =>
            {
                own.content_type = fresh.content_type;
                own.lines.clear();
                own.special = false;
            }
            (this, fresh) => *this = fresh,
        }
    }

    /// Sets the `Content-Type` of fields that have none (a reset or new value): into its
    /// slot, with no other field touched.
    pub(crate) fn put_content_type(&mut self, content_type: HeaderValue) {
        match self {
            ResponseFields::Lines(own) => own.content_type = Some(content_type),
            ResponseFields::Map(map) => {
                map.insert(CONTENT_TYPE, content_type);
            }
        }
    }

    /// Fields with only a `Content-Type`.
    pub(crate) fn with_content_type(content_type: HeaderValue) -> ResponseFields {
        ResponseFields::Lines(Lines {
            content_type: Some(content_type),
            ..Lines::default()
        })
    }

    /// The first value of `name` (any case).
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.values(name).next()
    }

    /// Every value of `name` (any case), in order.
    pub(crate) fn values<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        let (content_type, lines, map) = match self {
            ResponseFields::Lines(Lines {
                content_type,
                lines,
                ..
            }) => (content_type.as_ref(), Some(lines), None),
            ResponseFields::Map(map) => (None, None, Some(map)),
        };
        let wanted = name.as_bytes();
        let slot = content_type
            .filter(|_| is_named(wanted, b"content-type"))
            .map(HeaderValue::as_bytes);
        let lines = lines
            .into_iter()
            .flat_map(|lines| Fields::lines(lines))
            .filter(move |(field, _)| is_named(field, wanted))
            .map(|(_, value)| value);
        let map = map
            .into_iter()
            .flat_map(move |map| map.get_all(name).iter().map(HeaderValue::as_bytes));
        slot.into_iter().chain(lines).chain(map)
    }

    /// Adds a field; `name` and `value` are checked ([`is_field_name`], [`is_field_value`]).
    pub(crate) fn append(&mut self, name: &str, value: &str) {
        match self {
            ResponseFields::Lines(own) => own.append(name, value),
            ResponseFields::Map(map) => {
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    map.append(name, value);
                }
            }
        }
    }

    /// Removes every value of `name` (any case).
    pub(crate) fn remove(&mut self, name: &str) {
        match self {
            ResponseFields::Lines(own) => own.remove(name),
            ResponseFields::Map(map) => {
                map.remove(name);
            }
        }
    }

    /// The fields as a map (built from the lines).
    pub(crate) fn to_map(&self) -> HeaderMap {
        match self {
            ResponseFields::Lines(Lines {
                content_type,
                lines,
                ..
            }) => {
                let mut map = HeaderMap::new();
                if let Some(content_type) = content_type {
                    map.insert(CONTENT_TYPE, content_type.clone());
                }
                for (name, value) in Fields::lines(lines) {
                    // Both were checked when the line was added.
                    if let (Ok(name), Ok(value)) =
                        (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
                    {
                        map.append(name, value);
                    }
                }
                map
            }
            ResponseFields::Map(map) => map.clone(),
        }
    }

    /// The fields as a map, to edit: from now on the map is what is kept.
    pub(crate) fn map_mut(&mut self) -> &mut HeaderMap {
        if let ResponseFields::Lines(_) = self {
            *self = ResponseFields::Map(self.to_map());
        }
        match self {
            ResponseFields::Map(map) => map,
            ResponseFields::Lines(_) => unreachable!("just made a map"),
        }
    }

    /// The fields as a map, taken.
    pub(crate) fn into_map(self) -> HeaderMap {
        match self {
            ResponseFields::Map(map) => map,
            lines => lines.to_map(),
        }
    }

    /// What the engine needs to know of the fields.
    #[inline]
    pub(crate) fn facts(&self) -> FieldFacts {
        match self {
            // The usual response: no field the engine cares about was set.
            ResponseFields::Lines(Lines { special: false, .. }) => FieldFacts::default(),
            _ => self.scan_facts(),
        }
    }

    /// [`facts`](Self::facts) for fields that may hold `Date` or `Connection`.
    #[inline(never)]
    fn scan_facts(&self) -> FieldFacts {
        let mut facts = FieldFacts::default();
        let mut note = |name: &[u8], value: &[u8]| {
            if is_named(name, b"date") {
                facts.has_date = true;
            } else if is_named(name, b"connection") && lists_token(value, b"close") {
                facts.says_close = true;
            }
        };
        match self {
            ResponseFields::Lines(Lines { lines, .. }) => {
                Fields::lines(lines).for_each(|(name, value)| note(name, value));
            }
            ResponseFields::Map(map) => {
                map.iter()
                    .for_each(|(name, value)| note(name.as_str().as_bytes(), value.as_bytes()));
            }
        }
        facts
    }

    /// Appends the fields to a response head in `out`, leaving out `Content-Length` and
    /// `Transfer-Encoding` (the engine frames the body) and, unless `keep_connection`,
    /// `Connection` (the engine writes its own).
    pub(crate) fn write(&self, out: &mut Vec<u8>, keep_connection: bool) {
        let line = |out: &mut Vec<u8>, name: &[u8], value: &[u8]| {
            let framing = is_named(name, b"content-length") || is_named(name, b"transfer-encoding");
            if !framing && (keep_connection || !is_named(name, b"connection")) {
                push_line(out, name, value);
            }
        };
        match self {
            ResponseFields::Lines(Lines {
                content_type,
                lines,
                special,
            }) => {
                if let Some(content_type) = content_type {
                    // Neither a framing field nor `Connection`: written as it is.
                    push_line(out, b"content-type", content_type.as_bytes());
                }
                if *special {
                    Fields::lines(lines).for_each(|(name, value)| line(out, name, value));
                } else {
                    out.extend_from_slice(lines);
                }
            }
            ResponseFields::Map(map) => {
                map.iter().for_each(|(name, value)| {
                    line(out, name.as_str().as_bytes(), value.as_bytes())
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(fields: &ResponseFields, keep_connection: bool) -> String {
        let mut out = Vec::new();
        fields.write(&mut out, keep_connection);
        String::from_utf8(out).unwrap()
    }

    fn lines() -> ResponseFields {
        let mut fields = ResponseFields::with_content_type(HeaderValue::from_static("text/plain"));
        fields.append("Server", "tide");
        fields.append("x-a", "1");
        fields.append("X-A", "2");
        fields
    }

    #[test]
    fn lines_are_read_back_by_any_case_and_written_in_order() {
        let fields = lines();
        assert_eq!(fields.get("SERVER"), Some(&b"tide"[..]));
        assert_eq!(fields.get("Content-Type"), Some(&b"text/plain"[..]));
        assert_eq!(fields.values("x-a").collect::<Vec<_>>(), [b"1", b"2"]);
        assert_eq!(
            written(&fields, false),
            "content-type: text/plain\r\nserver: tide\r\nx-a: 1\r\nx-a: 2\r\n"
        );
        assert_eq!(fields.facts(), FieldFacts::default());
    }

    #[test]
    fn removing_keeps_the_others() {
        let mut fields = lines();
        fields.remove("X-a");
        fields.remove("content-type");
        assert_eq!(fields.get("x-a"), None);
        assert_eq!(written(&fields, false), "server: tide\r\n");
    }

    #[test]
    fn framing_and_connection_fields_are_left_to_the_engine() {
        let mut fields = ResponseFields::default();
        fields.append("content-length", "3");
        fields.append("Transfer-Encoding", "chunked");
        fields.append("connection", "close");
        fields.append("date", "today");
        assert_eq!(
            fields.facts(),
            FieldFacts {
                has_date: true,
                says_close: true
            }
        );
        assert_eq!(written(&fields, false), "date: today\r\n");
        assert_eq!(
            written(&fields, true),
            "connection: close\r\ndate: today\r\n"
        );
    }

    #[test]
    fn the_map_holds_the_same_fields_and_is_then_what_is_kept() {
        let mut fields = lines();
        let map = fields.map_mut();
        assert_eq!(map.len(), 4);
        assert_eq!(map["server"], "tide");
        map.insert("x-b", HeaderValue::from_static("3"));
        assert_eq!(fields.get("x-b"), Some(&b"3"[..]));
        fields.append("x-c", "4");
        assert_eq!(
            written(&fields, false),
            "content-type: text/plain\r\nserver: tide\r\nx-a: 1\r\nx-a: 2\r\nx-b: 3\r\nx-c: 4\r\n"
        );
    }

    #[test]
    fn names_and_values_are_checked_as_http_checks_them() {
        for name in ["x-a", "X_A", "a!#$%&'*+-.^_`|~9"] {
            assert_eq!(
                is_field_name(name.as_bytes()),
                HeaderName::from_bytes(name.as_bytes()).is_ok(),
                "{name}"
            );
        }
        for name in ["", "a b", "a:b", "a\u{e9}", "(a)"] {
            assert!(!is_field_name(name.as_bytes()), "{name}");
        }
        for value in ["", "a b\tc", "~", "\u{e9}", "a\r\nb", "\u{7f}", "\0"] {
            assert_eq!(
                is_field_value(value.as_bytes()),
                HeaderValue::from_str(value).is_ok(),
                "{value:?}"
            );
        }
    }
}
