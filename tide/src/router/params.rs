//! [`Params`]: the values a route's `:name` and `*name` segments captured.

use std::ops::Range;
use std::sync::Arc;

/// Parameters captured from the path, in pattern order.
///
/// The values live one after another in one buffer, each parameter a name (shared with the
/// route, not copied) and a range of that buffer: a match with any number of parameters
/// makes two allocations, and a `String` is made only for a value taken as owned.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// The captured values, percent-decoded, and the raw rest, one after another.
    text: String,
    /// Each parameter's name, and where its value is in `text`.
    pairs: Vec<(Arc<str>, Range<usize>)>,
    /// Where the text a wildcard matched is in `text`, as sent (not percent-decoded): what
    /// a nested app routes.
    raw_rest: Option<Range<usize>>,
}

impl Params {
    /// The value captured for `name`, if the route has such a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, range)| &self.text[range.clone()])
    }

    /// Every `(name, value)` pair, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(n, range)| (&**n, &self.text[range.clone()]))
    }

    /// Whether nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Appends `text` to the buffer; where it went.
    fn store(&mut self, text: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(text);
        start..self.text.len()
    }

    pub(crate) fn push(&mut self, name: &Arc<str>, value: &str) {
        let range = self.store(value);
        self.pairs.push((name.clone(), range));
    }

    /// Adds `other`'s parameters after these, and keeps its raw rest (the later match's) in
    /// place of this one's.
    pub(crate) fn append(&mut self, other: &Params) {
        for (name, range) in &other.pairs {
            let range = self.store(&other.text[range.clone()]);
            self.pairs.push((name.clone(), range));
        }
        self.raw_rest = other
            .raw_rest
            .clone()
            .map(|range| self.store(&other.text[range]));
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<String> {
        let at = self.pairs.iter().position(|(n, _)| &**n == name)?;
        let (_, range) = self.pairs.remove(at);
        Some(self.text[range].to_owned())
    }

    pub(crate) fn set_raw_rest(&mut self, raw: &str) {
        self.raw_rest = Some(self.store(raw));
    }

    /// Drops the raw rest (a later match had no wildcard); its text stays until a clear.
    pub(crate) fn forget_raw_rest(&mut self) {
        self.raw_rest = None;
    }

    pub(crate) fn has_raw_rest(&self) -> bool {
        self.raw_rest.is_some()
    }

    pub(crate) fn take_raw_rest(&mut self) -> Option<String> {
        self.raw_rest
            .take()
            .map(|range| self.text[range].to_owned())
    }

    /// Drops the parameters pushed after the first `len` (a branch of the route tree that
    /// did not match), with their text.
    pub(crate) fn truncate(&mut self, len: usize) {
        if let Some((_, range)) = self.pairs.get(len) {
            self.text.truncate(range.start);
        }
        self.pairs.truncate(len);
    }

    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }
}

/// Equal when they hold the same parameters, in the same order, and the same raw rest.
impl PartialEq for Params {
    fn eq(&self, other: &Params) -> bool {
        self.iter().eq(other.iter())
            && self.raw_rest.clone().map(|range| &self.text[range])
                == other.raw_rest.clone().map(|range| &other.text[range])
    }
}

impl Eq for Params {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_share_one_buffer_and_a_failed_branch_takes_its_text_back() {
        let id: Arc<str> = "id".into();
        let rest: Arc<str> = "rest".into();
        let mut params = Params::default();
        params.push(&id, "42");
        let mark = params.len();
        params.push(&rest, "a/b");
        params.truncate(mark);
        assert_eq!(params.text, "42");
        params.push(&rest, "c d");
        params.set_raw_rest("c%20d");
        assert_eq!(
            params.iter().collect::<Vec<_>>(),
            [("id", "42"), ("rest", "c d")]
        );
        assert_eq!(params.get("rest"), Some("c d"));
        assert_eq!(params.remove("id").as_deref(), Some("42"));
        assert_eq!(params.get("id"), None);
        assert_eq!(params.get("rest"), Some("c d"));
        assert_eq!(params.take_raw_rest().as_deref(), Some("c%20d"));
        assert!(!params.has_raw_rest());
    }

    #[test]
    fn appended_parameters_follow_and_the_later_raw_rest_wins() {
        let outer_name: Arc<str> = "user".into();
        let inner_name: Arc<str> = "file".into();
        let mut outer = Params::default();
        outer.push(&outer_name, "ann");
        outer.set_raw_rest("docs/a.txt");
        let mut inner = Params::default();
        inner.push(&inner_name, "a.txt");
        let mut joined = outer.clone();
        joined.append(&inner);
        assert_eq!(
            joined.iter().collect::<Vec<_>>(),
            [("user", "ann"), ("file", "a.txt")]
        );
        // The inner match had no wildcard: no raw rest is left.
        assert!(!joined.has_raw_rest());
        let mut expected = Params::default();
        expected.push(&outer_name, "ann");
        expected.push(&inner_name, "a.txt");
        assert_eq!(joined, expected);
    }
}
