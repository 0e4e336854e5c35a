//! [`ResponseFields`]: the header fields of a response, kept as the lines they are written
//! as until someone asks for an `http::HeaderMap`.
//!
//! A handler's response usually carries a `Content-Type` and a few fields set by name and
//! text; kept as `name: value` CRLF lines (names lowercased, both checked as they are copied
//! in) they cost one buffer, no hashing, and are written to the wire with one copy. The
//! `Content-Type` of a response made from a value (text, JSON, bytes) has its own slot holding
//! a whole line known when compiled ([`ContentTypeLine`]), so that the common answers copy
//! nothing to set it and one constant to write it. The map form is built when asked for
//! ([`ResponseFields::map_mut`]) and is from then on what the response holds.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::fields::{Fields, is_named};
use super::response_head::lists_token;
use super::room::Room;
use super::scan::{is_token, is_value_byte};

/// The header fields of a response.
#[derive(Debug, Clone)]
pub(crate) enum ResponseFields {
    /// A constant `Content-Type` line and the other fields as lines.
    Lines(Lines),
    /// Every field, in a map.
    Map(HeaderMap),
}

/// A constant `Content-Type` line in its slot, the other fields as `name: value` CRLF lines
/// (a `Content-Type` set by name among them).
#[derive(Debug, Clone, Default)]
pub(crate) struct Lines {
    content_type: Option<ContentTypeLine>,
    lines: Vec<u8>,
    /// Some line is a field the engine writes itself or must read (`Date`, `Connection`,
    /// `Content-Length`, `Transfer-Encoding`).
    special: bool,
}

/// A whole `content-type: VALUE` CRLF line, checked when compiled ([`ContentTypeLine::new`]
/// in a constant): the `Content-Type` of the answers made from values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentTypeLine(&'static [u8]);

/// What every [`ContentTypeLine`] begins with.
const CONTENT_TYPE_PREFIX: &[u8] = b"content-type: ";

impl ContentTypeLine {
    /// The line `line`, which must be `content-type: VALUE` CRLF with `VALUE` field text.
    ///
    /// # Panics
    ///
    /// If `line` is not such a line: when compiled, since it is meant for constants.
    pub(crate) const fn new(line: &'static [u8]) -> ContentTypeLine {
        let prefix = CONTENT_TYPE_PREFIX.len();
        assert!(line.len() >= prefix + 2, "not a content-type line");
        let mut at = 0;
        while at < prefix {
            assert!(
                line[at] == CONTENT_TYPE_PREFIX[at],
                "not a content-type line"
            );
            at += 1;
        }
        while at < line.len() - 2 {
            assert!(is_text(line[at]), "not a content-type value");
            at += 1;
        }
        assert!(
            line[at] == b'\r' && line[at + 1] == b'\n',
            "a content-type line ends with CRLF"
        );
        ContentTypeLine(line)
    }

    /// The value, without the name and the line end.
    fn value(self) -> &'static [u8] {
        &self.0[CONTENT_TYPE_PREFIX.len()..self.0.len() - 2]
    }

    /// The value as a `HeaderValue` (no copy).
    fn header_value(self) -> Option<HeaderValue> {
        HeaderValue::from_maybe_shared(Bytes::from_static(self.value())).ok()
    }
}

/// Field text, as [`is_value_byte`] has it, for constants (`is_value_byte` is not `const`;
/// a test checks that both agree on every byte).
const fn is_text(b: u8) -> bool {
    b == b'\t' || (b >= b' ' && b != 0x7f)
}

/// Each byte of a field name as it is written (lowercased), or [`NOT_IN_NAMES`] for a byte
/// no name may hold (not a token byte, RFC 9110 §5.6.2): checking and lowercasing a name is
/// one look-up per byte. Built from [`is_token`], the scan's own rule.
const NAME_BYTES: [u8; 256] = {
    let mut table = [NOT_IN_NAMES; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if is_token(c) {
            table[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

/// What [`NAME_BYTES`] holds for a byte that is not a token byte: the one entry with the
/// high bit set (tokens are ASCII), so that a name's bytes, OR-ed together, say at once
/// whether one of them is not a token byte.
const NOT_IN_NAMES: u8 = 0x80;

/// Why a field could not be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidField {
    /// The name is not a token.
    Name,
    /// The value is not field text.
    Value,
}

impl Lines {
    /// Appends `name: value` CRLF, the name lowercased as it is copied and checked in the
    /// same pass; nothing is added when either is not valid (the name is checked first).
    fn append(&mut self, name: &[u8], value: &[u8]) -> Result<(), InvalidField> {
        let mut room = Room::new(&mut self.lines, name.len() + value.len() + 4);
        let mut seen = 0;
        room.put_mapped(name, |b| {
            let lower = NAME_BYTES[b as usize];
            seen |= lower;
            lower
        });
        let invalid = name.is_empty() || seen & NOT_IN_NAMES != 0;
        // The table and the scan's token class are one rule (checked in debug builds).
        debug_assert_eq!(invalid, !is_field_name(name));
        if invalid {
            return Err(InvalidField::Name);
        }
        if !is_field_value(value) {
            return Err(InvalidField::Value);
        }
        room.put(b": ");
        room.put(value);
        room.put(b"\r\n");
        room.done();
        self.special |= is_special(name);
        Ok(())
    }

    /// Sets `name` to `value`: appends it, then removes the earlier values of `name`.
    fn insert(&mut self, name: &[u8], value: &[u8]) -> Result<(), InvalidField> {
        let earlier = self.lines.len();
        self.append(name, value)?;
        if self.content_type.is_some() && is_named(name, b"content-type") {
            self.content_type = None;
        }
        // The usual case: the first field set by name, nothing to look through.
        if earlier > 0 {
            self.remove_before(name, earlier);
        }
        Ok(())
    }

    fn remove(&mut self, name: &[u8]) {
        if is_named(name, b"content-type") {
            self.content_type = None;
        }
        self.remove_before(name, self.lines.len());
    }

    /// Removes the lines of field `name` (any case) among the first `end` bytes of lines
    /// (a line boundary), in place.
    fn remove_before(&mut self, name: &[u8], end: usize) {
        if !Fields::lines(&self.lines[..end]).any(|(field, _)| is_named(field, name)) {
            return;
        }
        let mut kept = 0;
        let mut at = 0;
        while at < end {
            let length = line_length(&self.lines[at..end]);
            let field = field_name(&self.lines[at..at + length]);
            if !is_named(field, name) {
                self.lines.copy_within(at..at + length, kept);
                kept += length;
            }
            at += length;
        }
        self.lines.drain(kept..end);
        self.special = Fields::lines(&self.lines).any(|(field, _)| is_special(field));
    }
}

/// The length of the first line of `lines` (field lines, each ending in CRLF), its end
/// included.
fn line_length(lines: &[u8]) -> usize {
    lines
        .iter()
        .position(|&b| b == b'\n')
        .map_or(lines.len(), |end| end + 1)
}

/// The name of a field line.
fn field_name(line: &[u8]) -> &[u8] {
    let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
    &line[..colon]
}

/// What the engine needs to know of a handler's response fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FieldFacts {
    /// The handler set its own `Date`.
    pub(crate) has_date: bool,
    /// A `Connection` field lists `close`.
    pub(crate) says_close: bool,
}

/// The fields the engine writes itself, or reads: never copied blindly. Any case; the
/// length is looked at first, so that other names cost one comparison.
fn is_special(name: &[u8]) -> bool {
    let special: &[u8] = match name.len() {
        4 => b"date",
        10 => b"connection",
        14 => b"content-length",
        17 => b"transfer-encoding",
        _ => return false,
    };
    name.eq_ignore_ascii_case(special)
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

/// `name` and `value` for a map, checked.
fn map_field(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), InvalidField> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| InvalidField::Name)?;
    let value = HeaderValue::from_str(value).map_err(|_| InvalidField::Value)?;
    Ok((name, value))
}

/// [`ResponseFields::append`] on a map: out of line, so that the lines' path stays small.
#[inline(never)]
fn map_append(map: &mut HeaderMap, name: &str, value: &str) -> Result<(), InvalidField> {
    let (name, value) = map_field(name, value)?;
    map.append(name, value);
    Ok(())
}

/// [`ResponseFields::insert`] on a map.
#[inline(never)]
fn map_insert(map: &mut HeaderMap, name: &str, value: &str) -> Result<(), InvalidField> {
    let (name, value) = map_field(name, value)?;
    map.insert(name, value);
    Ok(())
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
    #[inline]
    pub(crate) fn clear(&mut self) {
        match self {
            ResponseFields::Lines(own) if own.lines.capacity() <= MAX_KEPT_LINES_BYTES => {
                own.content_type = None;
                own.lines.clear();
                own.special = false;
            }
            other => other.replace_with_default(),
        }
    }

    /// [`clear`](Self::clear) of a map or of a buffer grown too large: out of line.
    #[cold]
    #[inline(never)]
    fn replace_with_default(&mut self) {
        *self = ResponseFields::default();
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
    #[inline]
    pub(crate) fn put_content_type(&mut self, content_type: ContentTypeLine) {
        match self {
            ResponseFields::Lines(own) => own.content_type = Some(content_type),
            ResponseFields::Map(map) => {
                if let Some(value) = content_type.header_value() {
                    map.insert(CONTENT_TYPE, value);
                }
            }
        }
    }

    /// Fields with only a `Content-Type`.
    pub(crate) fn with_content_type(content_type: ContentTypeLine) -> ResponseFields {
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
            }) => (*content_type, Some(lines), None),
            ResponseFields::Map(map) => (None, None, Some(map)),
        };
        let wanted = name.as_bytes();
        let slot = content_type
            .filter(|_| is_named(wanted, b"content-type"))
            .map(ContentTypeLine::value);
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

    /// Adds a field, both `name` and `value` checked (as `HeaderName` and
    /// `HeaderValue::from_str` check them); nothing changes when either is not valid.
    pub(crate) fn append(&mut self, name: &str, value: &str) -> Result<(), InvalidField> {
        match self {
            ResponseFields::Lines(own) => own.append(name.as_bytes(), value.as_bytes()),
            ResponseFields::Map(map) => map_append(map, name, value),
        }
    }

    /// Sets field `name` to `value`, replacing its values; checked as by
    /// [`append`](Self::append), nothing changes when either is not valid.
    pub(crate) fn insert(&mut self, name: &str, value: &str) -> Result<(), InvalidField> {
        match self {
            ResponseFields::Lines(own) => own.insert(name.as_bytes(), value.as_bytes()),
            ResponseFields::Map(map) => map_insert(map, name, value),
        }
    }

    /// Removes every value of `name` (any case).
    pub(crate) fn remove(&mut self, name: &str) {
        match self {
            ResponseFields::Lines(own) => own.remove(name.as_bytes()),
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
                if let Some(value) = content_type.and_then(ContentTypeLine::header_value) {
                    map.insert(CONTENT_TYPE, value);
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

    /// The usual fields, that are written as they are kept: the `Content-Type` line (empty
    /// when there is none) and the other lines; `None` for fields the writer must look
    /// through ([`write`](Self::write)).
    #[inline]
    pub(crate) fn plain_lines(&self) -> Option<[&[u8]; 2]> {
        match self {
            ResponseFields::Lines(Lines {
                content_type,
                lines,
                special: false,
            }) => Some([content_type.map_or(&[][..], |line| line.0), lines]),
            _ => None,
        }
    }

    /// Appends the fields to a response head in `out`, leaving out `Content-Length` and
    /// `Transfer-Encoding` (the engine frames the body) and, unless `keep_connection`,
    /// `Connection` (the engine writes its own).
    #[inline]
    pub(crate) fn write(&self, out: &mut Vec<u8>, keep_connection: bool) {
        match self {
            ResponseFields::Lines(Lines {
                content_type,
                lines,
                special: false,
            }) => {
                if let Some(line) = content_type {
                    // Neither a framing field nor `Connection`: written as it is.
                    out.extend_from_slice(line.0);
                }
                out.extend_from_slice(lines);
            }
            _ => self.write_checked(out, keep_connection),
        }
    }

    /// [`write`](Self::write) for fields that may hold what the engine writes itself.
    #[inline(never)]
    fn write_checked(&self, out: &mut Vec<u8>, keep_connection: bool) {
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
                ..
            }) => {
                if let Some(content_type) = content_type {
                    out.extend_from_slice(content_type.0);
                }
                Fields::lines(lines).for_each(|(name, value)| line(out, name, value));
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
#[path = "response_fields_tests.rs"]
mod tests;
