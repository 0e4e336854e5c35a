//! Parsing a route pattern into segments, with build-time checks that panic with advice.

/// One segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Matches this exact text.
    Literal(String),
    /// `:name`: matches any one non-empty segment, captured as `name`.
    Param(String),
    /// `*` or `*name`: matches the rest of the path, captured as `name` (or `*`).
    Wildcard(String),
}

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub(crate) segments: Vec<Segment>,
}

impl Pattern {
    /// Parses `pattern`, panicking with a helpful message on a mistake (this runs while the
    /// app is built, never per request).
    #[track_caller]
    pub(crate) fn parse(pattern: &str) -> Pattern {
        let path = pattern.strip_prefix('/').unwrap_or(pattern);
        if path.is_empty() {
            return Pattern {
                segments: Vec::new(),
            };
        }
        let pieces: Vec<&str> = path.split('/').collect();
        let mut segments = Vec::with_capacity(pieces.len());
        let mut names = Vec::new();
        for (index, piece) in pieces.iter().enumerate() {
            let segment = if let Some(name) = piece.strip_prefix(':') {
                assert!(
                    !name.is_empty(),
                    "route {pattern:?}: a parameter needs a name, as in `/users/:id`"
                );
                Segment::Param(name.to_owned())
            } else if let Some(name) = piece.strip_prefix('*') {
                assert!(
                    index == pieces.len() - 1,
                    "route {pattern:?}: a wildcard must be the last segment, as in `/files/*path`"
                );
                Segment::Wildcard(if name.is_empty() {
                    "*".to_owned()
                } else {
                    name.to_owned()
                })
            } else {
                assert!(
                    !piece.contains([':', '*']),
                    "route {pattern:?}: `:` and `*` may only start a segment (found in {piece:?})"
                );
                Segment::Literal((*piece).to_owned())
            };
            if let Segment::Param(name) | Segment::Wildcard(name) = &segment {
                assert!(
                    !names.contains(name),
                    "route {pattern:?}: the name {name:?} is used twice; give each parameter its own name"
                );
                names.push(name.clone());
            }
            segments.push(segment);
        }
        Pattern { segments }
    }

    /// Whether every route below `self` is also below `prefix` (segment by segment).
    pub(crate) fn starts_with(&self, prefix: &Pattern) -> bool {
        self.segments.len() >= prefix.segments.len()
            && self
                .segments
                .iter()
                .zip(&prefix.segments)
                .all(|(a, b)| a == b)
    }

    /// The pattern with `suffix` appended (for `route.at("sub")`).
    pub(crate) fn join(&self, suffix: &Pattern) -> Pattern {
        assert!(
            !matches!(self.segments.last(), Some(Segment::Wildcard(_))),
            "cannot add a path below a wildcard"
        );
        let mut segments = self.segments.clone();
        segments.extend(suffix.segments.iter().cloned());
        Pattern { segments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.into())
    }

    #[test]
    fn parses_each_kind_of_segment() {
        assert_eq!(Pattern::parse("/").segments, vec![]);
        assert_eq!(Pattern::parse("").segments, vec![]);
        assert_eq!(
            Pattern::parse("/users/:id/files/*rest").segments,
            vec![
                lit("users"),
                Segment::Param("id".into()),
                lit("files"),
                Segment::Wildcard("rest".into())
            ]
        );
        assert_eq!(
            Pattern::parse("/static/*").segments,
            vec![lit("static"), Segment::Wildcard("*".into())]
        );
        assert_eq!(
            Pattern::parse("/users/").segments,
            vec![lit("users"), lit("")]
        );
    }

    #[test]
    #[should_panic(expected = "a wildcard must be the last segment")]
    fn a_wildcard_must_be_last() {
        Pattern::parse("/a/*rest/b");
    }

    #[test]
    #[should_panic(expected = "a parameter needs a name")]
    fn a_parameter_needs_a_name() {
        Pattern::parse("/a/:/b");
    }

    #[test]
    #[should_panic(expected = "used twice")]
    fn names_are_unique() {
        Pattern::parse("/a/:id/b/:id");
    }

    #[test]
    #[should_panic(expected = "may only start a segment")]
    fn markers_only_start_segments() {
        Pattern::parse("/a/b:c");
    }
}
