//! Validators and conditional requests for a file (RFC 9110 §8.8, §13, §14): the `ETag` and
//! `Last-Modified` of a file, whether `If-None-Match` / `If-Modified-Since` make the answer a
//! `304`, and which part of the file a `Range` (checked against `If-Range`) asks for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What identifies one version of a file: its `ETag` and modification time.
#[derive(Debug, Clone)]
pub(crate) struct Validators {
    /// A strong entity tag, quotes included.
    pub(crate) etag: String,
    /// The modification time, to the second (what `Last-Modified` can say).
    pub(crate) modified: Option<SystemTime>,
}

impl Validators {
    /// The validators of a file of `len` bytes modified at `modified`; `variant` tells apart
    /// the encodings of one file (`"br"`, say), which must not share a tag.
    pub(crate) fn new(len: u64, modified: Option<SystemTime>, variant: Option<&str>) -> Validators {
        let since = modified.and_then(|at| at.duration_since(UNIX_EPOCH).ok());
        let nanos = since.map_or(0, |since| since.as_nanos());
        let etag = match variant {
            Some(variant) => format!("\"{nanos:x}-{len:x}-{variant}\""),
            None => format!("\"{nanos:x}-{len:x}\""),
        };
        let modified = since.map(|since| UNIX_EPOCH + Duration::from_secs(since.as_secs()));
        Validators { etag, modified }
    }

    /// The `Last-Modified` value.
    pub(crate) fn last_modified(&self) -> Option<String> {
        self.modified.map(httpdate::fmt_http_date)
    }

    /// Whether a `GET` with these `If-None-Match` and `If-Modified-Since` fields is answered
    /// `304 Not Modified`. `If-None-Match` wins when both are sent (RFC 9110 §13.1.3).
    pub(crate) fn not_modified(
        &self,
        if_none_match: Option<&str>,
        if_modified_since: Option<&str>,
    ) -> bool {
        if let Some(tags) = if_none_match {
            return tags.trim() == "*"
                || tags.split(',').any(|tag| weak_eq(tag.trim(), &self.etag));
        }
        match (if_modified_since.and_then(parse_date), self.modified) {
            (Some(since), Some(modified)) => modified <= since,
            _ => false,
        }
    }

    /// Whether a `Range` may be honoured given `If-Range`: absent, or naming this version (a
    /// strong tag match, or exactly the modification date).
    pub(crate) fn if_range_holds(&self, if_range: Option<&str>) -> bool {
        let Some(if_range) = if_range.map(str::trim) else {
            return true;
        };
        if if_range.starts_with('"') || if_range.starts_with("W/") {
            return if_range == self.etag;
        }
        matches!((parse_date(if_range), self.modified), (Some(date), Some(modified)) if date == modified)
    }
}

/// Weak comparison of entity tags: equal once any `W/` is dropped.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

fn parse_date(text: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(text.trim()).ok()
}

/// The part of a file a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Range {
    /// The whole file (no `Range`, or one tide does not honour: another unit, several
    /// ranges, bad syntax — which RFC 9110 §14.2 lets a server ignore).
    Full,
    /// Bytes `start..=end` (`206 Partial Content`).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, included.
        end: u64,
    },
    /// A range that starts past the end (`416 Range Not Satisfiable`).
    Unsatisfiable,
}

impl Range {
    /// The range `header` asks for in a file of `len` bytes.
    pub(crate) fn parse(header: Option<&str>, len: u64) -> Range {
        let Some(header) = header else {
            return Range::Full;
        };
        let Some((unit, spec)) = header.trim().split_once('=') else {
            return Range::Full;
        };
        if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
            return Range::Full;
        }
        let Some((first, last)) = spec.trim().split_once('-') else {
            return Range::Full;
        };
        let number = |text: &str| -> Option<u64> {
            let text = text.trim();
            (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse().ok())
                .flatten()
        };
        let (first, last) = (first.trim(), last.trim());
        if first.is_empty() {
            // `-n`: the last n bytes.
            return match number(last) {
                None => Range::Full,
                Some(0) => Range::Unsatisfiable,
                Some(_) if len == 0 => Range::Unsatisfiable,
                Some(suffix) => Range::Partial {
                    start: len.saturating_sub(suffix),
                    end: len - 1,
                },
            };
        }
        // `a-` and `a-b`.
        let Some(start) = number(first) else {
            return Range::Full;
        };
        let last = match last.is_empty() {
            true => None,
            false => match number(last) {
                Some(last) if last >= start => Some(last),
                _ => return Range::Full,
            },
        };
        if start >= len {
            return Range::Unsatisfiable;
        }
        let end = last.map_or(len - 1, |last| last.min(len - 1));
        Range::Partial { start, end }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: &str, len: u64, expected: Range) {
        assert_eq!(
            Range::parse(Some(header), len),
            expected,
            "{header:?} of {len}"
        );
    }

    fn part(start: u64, end: u64) -> Range {
        Range::Partial { start, end }
    }

    #[test]
    fn single_ranges() {
        check("bytes=0-9", 100, part(0, 9));
        check("bytes=90-", 100, part(90, 99));
        check("bytes=-10", 100, part(90, 99));
        check("bytes=-1000", 100, part(0, 99));
        check("bytes=50-5000", 100, part(50, 99));
        check("bytes=99-99", 100, part(99, 99));
        check("BYTES = 1-2", 100, part(1, 2));
    }

    #[test]
    fn unsatisfiable_ranges() {
        check("bytes=100-", 100, Range::Unsatisfiable);
        check("bytes=100-200", 100, Range::Unsatisfiable);
        check("bytes=-0", 100, Range::Unsatisfiable);
        check("bytes=0-", 0, Range::Unsatisfiable);
        check("bytes=-5", 0, Range::Unsatisfiable);
    }

    #[test]
    fn ranges_tide_ignores() {
        assert_eq!(Range::parse(None, 10), Range::Full);
        for header in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
            "bytes 0-1",
            "bytes=99999999999999999999-",
        ] {
            check(header, 100, Range::Full);
        }
    }

    #[test]
    fn validators_answer_conditional_requests() {
        let modified = UNIX_EPOCH + Duration::from_millis(784_111_777_500);
        let v = Validators::new(42, Some(modified), None);
        assert_eq!(v.last_modified().unwrap(), "Sun, 06 Nov 1994 08:49:37 GMT");
        let etag = v.etag.clone();
        assert!(v.not_modified(Some(&etag), None));
        assert!(v.not_modified(Some(&format!("\"x\", W/{etag}")), None));
        assert!(v.not_modified(Some("*"), None));
        assert!(!v.not_modified(Some("\"other\""), None));
        // If-None-Match wins over a date that would match.
        assert!(!v.not_modified(Some("\"other\""), Some("Sun, 06 Nov 1994 08:49:37 GMT")));
        assert!(v.not_modified(None, Some("Sun, 06 Nov 1994 08:49:37 GMT")));
        assert!(v.not_modified(None, Some("Mon, 07 Nov 1994 00:00:00 GMT")));
        assert!(!v.not_modified(None, Some("Sun, 06 Nov 1994 08:49:36 GMT")));
        assert!(!v.not_modified(None, Some("not a date")));
        // If-Range: a strong match or the exact date.
        assert!(v.if_range_holds(None));
        assert!(v.if_range_holds(Some(&etag)));
        assert!(!v.if_range_holds(Some(&format!("W/{etag}"))));
        assert!(v.if_range_holds(Some("Sun, 06 Nov 1994 08:49:37 GMT")));
        assert!(!v.if_range_holds(Some("Mon, 07 Nov 1994 00:00:00 GMT")));
        // Variants of one file have their own tags.
        assert_ne!(Validators::new(42, Some(modified), Some("br")).etag, etag);
    }
}
