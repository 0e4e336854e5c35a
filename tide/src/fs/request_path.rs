//! The part of a request path below a served directory, turned into a relative file path, or
//! refused: the one place that decides what a URL may name on disk.
//!
//! Works on the path *as sent* (still percent-encoded), one segment at a time, so that an
//! escape can never make a separator or a `..`: each segment is decoded on its own, and a
//! segment is refused if, decoded, it is empty (`a//b`, a leading `/`), `.` or `..`, holds a
//! `/`, a `\`, a NUL or another control character (or a `:` on Windows, where it names a
//! drive or a stream), is not UTF-8, or has a malformed escape. A segment starting with `.`
//! (a dotfile: `.git`, `.env`) is refused too unless hidden files are allowed. What is left
//! is a path of plain names, which [`Path::join`] cannot lift above the root.

use std::path::{Component, Path, PathBuf};

/// A path below the root, made only of plain names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RelativePath {
    /// The file path, relative to the root (empty for the root itself).
    pub(crate) path: PathBuf,
    /// Whether the request path ended with `/` (it names a directory).
    pub(crate) trailing_slash: bool,
}

/// Turns `raw` (the request path below the root, as sent, without a leading `/`) into a
/// relative path; `None` if it is refused.
pub(crate) fn resolve(raw: &str, allow_hidden: bool) -> Option<RelativePath> {
    let mut path = PathBuf::new();
    if raw.is_empty() {
        return Some(RelativePath {
            path,
            trailing_slash: true,
        });
    }
    let (body, trailing_slash) = match raw.strip_suffix('/') {
        Some(body) => (body, true),
        None => (raw, false),
    };
    for segment in body.split('/') {
        let name = decode_segment(segment)?;
        if !is_plain_name(&name, allow_hidden) {
            return None;
        }
        path.push(name);
    }
    // A backstop: whatever the checks above missed, only plain names get through.
    if !path
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
    {
        return None;
    }
    Some(RelativePath {
        path,
        trailing_slash,
    })
}

/// Decodes the `%XX` escapes of one segment; `None` for a malformed escape or a result that
/// is not UTF-8.
fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = bytes.get(at + 1..at + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether a decoded segment is a plain file name that cannot climb or name a root.
fn is_plain_name(name: &str, allow_hidden: bool) -> bool {
    let forbidden =
        |c: char| c == '/' || c == '\\' || c.is_control() || (cfg!(windows) && c == ':');
    !name.is_empty()
        && name != "."
        && name != ".."
        && (allow_hidden || !name.starts_with('.'))
        && !name.chars().any(forbidden)
        && Path::new(name).is_relative()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Option<&str>) {
        let resolved = resolve(raw, false).map(|r| r.path);
        assert_eq!(resolved.as_deref(), expected.map(Path::new), "{raw:?}");
    }

    #[test]
    fn plain_paths_resolve() {
        check("", Some(""));
        check("a.txt", Some("a.txt"));
        check("docs/guide.html", Some("docs/guide.html"));
        check("docs/", Some("docs"));
        check("caf%C3%A9.txt", Some("café.txt"));
        check("a%20b", Some("a b"));
        // Decoded once: `%252e` is a file named `%2e`, never `.`.
        check("%252e%252e", Some("%2e%2e"));
        check("..a", None); // a dotfile
        assert!(resolve("docs/", false).unwrap().trailing_slash);
        assert!(!resolve("docs", false).unwrap().trailing_slash);
    }

    #[test]
    fn climbing_and_absolute_paths_are_refused() {
        for raw in [
            "..",
            "../secret",
            "%2e%2e/secret",
            "%2E%2E/secret",
            ".%2e/secret",
            "%2e./secret",
            "a/../../secret",
            "..%2fsecret",
            "%2e%2e%2fsecret",
            "..%5csecret",
            "..\\secret",
            "/etc/passwd",
            "%2fetc%2fpasswd",
            "%5cetc%5cpasswd",
            "a//b",
            ".",
            "./a",
            "a/./b",
            "a%00b",
            "..%00",
            "%c0%ae%c0%ae/secret",
            "..%c0%afsecret",
            "a%",
            "a%2",
            "a%zz",
            "a%0d%0ab",
        ] {
            check(raw, None);
        }
    }

    #[test]
    fn hidden_files_only_when_allowed() {
        check(".env", None);
        check("a/.git/config", None);
        assert_eq!(
            resolve(".well-known/x", true).map(|r| r.path),
            Some(PathBuf::from(".well-known/x"))
        );
        assert_eq!(resolve("..", true), None);
    }
}
