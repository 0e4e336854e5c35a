//! [`Params`]: the values a route's `:name` and `*name` segments captured.

/// Parameters captured from the path, in pattern order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// The text a wildcard matched, as sent (not percent-decoded): what a nested app routes.
    raw_rest: Option<String>,
}

impl Params {
    /// The value captured for `name`, if the route has such a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every `(name, value)` pair, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Whether nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.pairs.push((name.to_owned(), value.to_owned()));
    }

    pub(crate) fn remove(&mut self, name: &str) -> Option<String> {
        let at = self.pairs.iter().position(|(n, _)| n == name)?;
        Some(self.pairs.remove(at).1)
    }

    pub(crate) fn set_raw_rest(&mut self, raw: &str) {
        self.raw_rest = Some(raw.to_owned());
    }

    pub(crate) fn has_raw_rest(&self) -> bool {
        self.raw_rest.is_some()
    }

    pub(crate) fn take_raw_rest(&mut self) -> Option<String> {
        self.raw_rest.take()
    }

    /// Keeps `other`'s raw rest (the later match's) in place of this one's.
    pub(crate) fn raw_rest_from(&mut self, other: &Params) {
        self.raw_rest.clone_from(&other.raw_rest);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.pairs.truncate(len);
    }

    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }
}
