//! [`Event`]: one Server-Sent Event, kept as the field lines it is sent as.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// One Server-Sent Event, built field by field and kept as the lines it is sent as
/// (`field: value\n`, then an empty line ending the event).
///
/// - [`data`](Event::data) may hold several lines: each line becomes a `data:` line of its
///   own (`\n`, `\r\n` and `\r` are line breaks, as for the browser), and the browser joins
///   them back with `\n`. Called twice, the second call adds lines.
/// - [`event`](Event::event) and [`id`](Event::id) are single-line values: a line break (or,
///   for `id`, a NUL, which makes browsers ignore the id) is refused with an
///   [`EventError`] rather than stripped, so a value from elsewhere can never smuggle a
///   field of its own into the stream, and an id is never silently changed.
/// - [`retry`](Event::retry) tells the browser how long to wait before reconnecting.
/// - [`comment`](Event::comment) lines are ignored by browsers (keep-alives are comments).
///
/// Fields are sent in the order they were added.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tide::sse::Event;
///
/// let event = Event::new()
///     .event("tick")?
///     .id("42")?
///     .retry(Duration::from_secs(3))
///     .data("line one\nline two");
/// assert_eq!(
///     event.to_string(),
///     "event: tick\nid: 42\nretry: 3000\ndata: line one\ndata: line two\n\n"
/// );
/// # Ok::<_, tide::sse::EventError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The field lines, each ending with `\n`; the empty line that ends the event is added
    /// when it is sent.
    lines: String,
}

impl Event {
    /// An event with no field yet.
    pub fn new() -> Event {
        Event::default()
    }

    /// Adds `data`, one `data:` line per line of it.
    pub fn data(mut self, data: impl AsRef<str>) -> Event {
        self.push_lines("data", data.as_ref());
        self
    }

    /// Adds `value` serialized as JSON (on one line: JSON escapes its line breaks) as the
    /// data.
    pub fn json_data(self, value: &impl Serialize) -> Result<Event, EventError> {
        let json = serde_json::to_string(value).map_err(EventError::Json)?;
        Ok(self.data(json))
    }

    /// Sets the event's type (`event:`; the browser dispatches it to listeners of that
    /// name, `message` when there is none). A line break in `name` is refused.
    pub fn event(mut self, name: impl AsRef<str>) -> Result<Event, EventError> {
        let name = name.as_ref();
        check_single_line("event", name)?;
        self.push_field("event", name);
        Ok(self)
    }

    /// Sets the event's id (`id:`), which a reconnecting browser sends back as
    /// `Last-Event-ID` ([`last_event_id`](super::last_event_id)). A line break or a NUL in
    /// `id` is refused.
    pub fn id(mut self, id: impl AsRef<str>) -> Result<Event, EventError> {
        let id = id.as_ref();
        check_single_line("id", id)?;
        if id.contains('\0') {
            return Err(EventError::Nul);
        }
        self.push_field("id", id);
        Ok(self)
    }

    /// Sets how long the browser waits before it reconnects once the stream ends
    /// (`retry:`, in whole milliseconds).
    pub fn retry(mut self, after: Duration) -> Event {
        self.push_field("retry", &after.as_millis().to_string());
        self
    }

    /// Adds a comment (`: text` lines, one per line of `text`), which browsers ignore.
    pub fn comment(mut self, text: impl AsRef<str>) -> Event {
        self.push_lines("", text.as_ref());
        self
    }

    /// The event as it is sent: its field lines and the empty line that ends it.
    pub fn into_bytes(self) -> Vec<u8> {
        let mut wire = self.lines.into_bytes();
        wire.push(b'\n');
        wire
    }

    fn push_lines(&mut self, field: &str, text: &str) {
        for line in lines(text) {
            self.push_field(field, line);
        }
    }

    fn push_field(&mut self, field: &str, value: &str) {
        self.lines.push_str(field);
        self.lines.push_str(": ");
        self.lines.push_str(value);
        self.lines.push('\n');
    }
}

/// The lines of `text`, split at `\r\n`, `\n` and `\r` (an empty text is one empty line; a
/// text ending with a line break ends with an empty line, so the browser gets it back
/// whole).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

fn check_single_line(field: &'static str, value: &str) -> Result<(), EventError> {
    if value.contains(['\r', '\n']) {
        return Err(EventError::LineBreak { field });
    }
    Ok(())
}

/// The wire form: the field lines, then the empty line that ends the event.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines)?;
        f.write_str("\n")
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Event").field(&self.lines).finish()
    }
}

/// Why an [`Event`] field was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventError {
    /// A single-line field (`event`, `id`) held a line break.
    LineBreak {
        /// The field.
        field: &'static str,
    },
    /// An id held a NUL (browsers ignore such ids).
    Nul,
    /// The value given to [`Event::json_data`] could not be serialized.
    Json(serde_json::Error),
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::LineBreak { field } => {
                write!(
                    f,
                    "a server-sent event's `{field}` cannot hold a line break"
                )
            }
            EventError::Nul => f.write_str("a server-sent event's `id` cannot hold a NUL"),
            EventError::Json(error) => write!(f, "the event data is not serializable: {error}"),
        }
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventError::Json(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(event: Event) -> String {
        String::from_utf8(event.into_bytes()).unwrap()
    }

    #[test]
    fn data_is_one_data_line_per_line_whatever_the_line_break() {
        assert_eq!(wire(Event::new().data("one")), "data: one\n\n");
        for text in [
            "a\nb\nc",
            "a\r\nb\r\nc",
            "a\rb\rc",
            "a\r\nb\rc",
            "a\nb\r\nc",
        ] {
            assert_eq!(
                wire(Event::new().data(text)),
                "data: a\ndata: b\ndata: c\n\n",
                "{text:?}"
            );
        }
        // Empty lines are kept, and a trailing break ends with an empty line, so the
        // browser's join gives the text back.
        assert_eq!(
            wire(Event::new().data("a\n\nb\n")),
            "data: a\ndata: \ndata: b\ndata: \n\n"
        );
        assert_eq!(wire(Event::new().data("\r\n")), "data: \ndata: \n\n");
        assert_eq!(wire(Event::new().data("")), "data: \n\n");
        // `\n\r` is two breaks (LF, then a lone CR).
        assert_eq!(
            wire(Event::new().data("a\n\rb")),
            "data: a\ndata: \ndata: b\n\n"
        );
        // A leading space survives: the browser strips only the one after the colon.
        assert_eq!(wire(Event::new().data(" x")), "data:  x\n\n");
        // A second call adds lines.
        assert_eq!(
            wire(Event::new().data("a").data("b")),
            "data: a\ndata: b\n\n"
        );
    }

    #[test]
    fn event_id_retry_and_comment_fields() {
        let event = Event::new()
            .comment("hello\nthere")
            .event("update")
            .unwrap()
            .id("7")
            .unwrap()
            .retry(Duration::from_millis(1500))
            .data("x");
        assert_eq!(
            event.to_string(),
            ": hello\n: there\nevent: update\nid: 7\nretry: 1500\ndata: x\n\n"
        );
        assert_eq!(
            wire(Event::new().retry(Duration::from_micros(2500))),
            "retry: 2\n\n"
        );
        // An empty id is legal: it resets the browser's last event id.
        assert_eq!(wire(Event::new().id("").unwrap()), "id: \n\n");
    }

    #[test]
    fn line_breaks_in_single_line_fields_are_refused() {
        for bad in ["a\nb", "a\rb", "a\r\nb", "\n"] {
            let error = Event::new().event(bad).unwrap_err();
            assert!(
                matches!(error, EventError::LineBreak { field: "event" }),
                "{error:?}"
            );
            let error = Event::new().id(bad).unwrap_err();
            assert!(
                matches!(error, EventError::LineBreak { field: "id" }),
                "{error:?}"
            );
            assert!(error.to_string().contains("`id`"), "{error}");
        }
        assert!(matches!(Event::new().id("a\0b"), Err(EventError::Nul)));
    }

    #[test]
    fn json_data_is_one_line() {
        #[derive(Serialize)]
        struct Tick<'a> {
            n: u32,
            text: &'a str,
        }
        let event = Event::new()
            .json_data(&Tick {
                n: 1,
                text: "two\nlines",
            })
            .unwrap();
        assert_eq!(
            event.to_string(),
            "data: {\"n\":1,\"text\":\"two\\nlines\"}\n\n"
        );
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 2u8);
        let error = Event::new().json_data(&map).unwrap_err();
        assert!(matches!(error, EventError::Json(_)), "{error:?}");
        assert!(std::error::Error::source(&error).is_some());
    }
}
