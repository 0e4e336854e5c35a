//! [`Tree`]: routes stored as a tree of segments, matched with backtracking.

use std::sync::Arc;

use super::params::Params;
use super::pattern::{Pattern, Segment};

/// A node: what matches at this depth, and the value of the route that ends here.
#[derive(Debug)]
struct Node<T> {
    /// The literal segments below this node, sorted by text: found by binary search, which
    /// for the few children a node has costs a comparison or two and no hashing.
    literals: Vec<(Box<str>, Node<T>)>,
    param: Option<(Arc<str>, Box<Node<T>>)>,
    wildcard: Option<(Arc<str>, T)>,
    value: Option<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Node<T> {
        Node {
            literals: Vec::new(),
            param: None,
            wildcard: None,
            value: None,
        }
    }
}

impl<T> Node<T> {
    /// The child for literal segment `text`, made if it is new.
    fn literal_entry(&mut self, text: &str) -> &mut Node<T> {
        let at = match self.find_literal(text) {
            Ok(at) => at,
            Err(at) => {
                self.literals.insert(at, (text.into(), Node::default()));
                at
            }
        };
        &mut self.literals[at].1
    }

    /// Where literal segment `text` is, or would be inserted.
    /// The literal child `text` names, for a lookup: a node has few literal children, and
    /// comparing lengths first rules most of them out without comparing bytes.
    fn lookup_literal(&self, text: &str) -> Option<&Node<T>> {
        if self.literals.len() > LINEAR_LOOKUP {
            return self.find_literal(text).ok().map(|at| &self.literals[at].1);
        }
        self.literals
            .iter()
            .find(|(literal, _)| same_text(literal, text))
            .map(|(_, child)| child)
    }

    fn find_literal(&self, text: &str) -> Result<usize, usize> {
        self.literals
            .binary_search_by(|(literal, _)| (**literal).cmp(text))
    }
}

/// Up to this many literal children are looked up by a linear scan, more by binary search.
const LINEAR_LOOKUP: usize = 8;

/// Whether `a` and `b` are the same text. Route segments and short paths are compared with
/// two overlapping loads of 4 or 8 bytes from each (the first and the last bytes: together
/// they cover a text of 4 to 16 bytes whole), not with a call to `memcmp`, which costs more
/// than the comparison itself for text this short; lengths are compared first, and most
/// candidates differ in length.
fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let len = a.len();
    if len != b.len() {
        return false;
    }
    fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
        bytes[at..at + N].try_into().expect("N bytes")
    }
    match len {
        4..=8 => {
            word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, len - 4) == word::<4>(b, len - 4)
        }
        9..=16 => {
            word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, len - 8) == word::<8>(b, len - 8)
        }
        _ => a == b,
    }
}

/// A set of routes, each pattern mapped to a value of `T`.
#[derive(Debug)]
pub(crate) struct Tree<T> {
    root: Node<T>,
    /// The routes made of literal segments only (`/`, `/users/me`), by their whole path
    /// (without the leading `/`), sorted, each with the literal child indices that lead to it
    /// from the root: such a path is matched by comparing it whole, not segment by segment.
    /// Built by [`Tree::map`] (the routes are final then; an insertion would move indices),
    /// empty before. The tree walk would find the same route: it tries literals first at
    /// every segment, so a route all of literals that spells the path wins.
    exact: Vec<(Box<str>, Box<[u32]>)>,
}

/// A successful match: the route's value and the captured parameters (`None` for a route
/// all of literals, found by its whole path: nothing to build, move or check).
#[derive(Debug)]
pub(crate) struct Match<'t, T> {
    pub(crate) value: &'t T,
    pub(crate) params: Option<Params>,
}

impl<T> Default for Tree<T> {
    fn default() -> Tree<T> {
        Tree {
            root: Node::default(),
            exact: Vec::new(),
        }
    }
}

impl<T> Tree<T> {
    /// The value stored for `pattern`, created with `make` if the pattern is new.
    ///
    /// # Panics
    ///
    /// If two routes name the same parameter position differently (`/:id` and `/:name`):
    /// they would be the same route with two meanings.
    #[track_caller]
    pub(crate) fn entry(&mut self, pattern: &Pattern, make: impl FnOnce() -> T) -> &mut T {
        let mut node = &mut self.root;
        for segment in &pattern.segments {
            match segment {
                Segment::Literal(text) => node = node.literal_entry(text),
                Segment::Param(name) => {
                    let (existing, child) = node
                        .param
                        .get_or_insert_with(|| (name.as_str().into(), Box::default()));
                    assert!(
                        **existing == **name,
                        "conflicting parameter names :{existing} and :{name} at the same place; use one name"
                    );
                    node = child;
                }
                Segment::Wildcard(name) => {
                    let (existing, value) = node
                        .wildcard
                        .get_or_insert_with(|| (name.as_str().into(), make()));
                    assert!(
                        **existing == **name,
                        "conflicting wildcard names *{existing} and *{name} at the same place; use one name"
                    );
                    return value;
                }
            }
        }
        node.value.get_or_insert_with(make)
    }

    /// Finds the route for `path` (without its query), with precedence literal > parameter >
    /// wildcard at each segment, backtracking when a branch fails deeper down.
    pub(crate) fn find(&self, path: &str) -> Option<Match<'_, T>> {
        let path = path.strip_prefix('/').unwrap_or(path);
        if let Some(value) = self.find_exact(path) {
            return Some(Match {
                value,
                params: None,
            });
        }
        let mut params = Params::default();
        // "/" is the root itself; any other path starts with its first segment.
        let rest = (!path.is_empty()).then_some(path);
        let value = find_segments(&self.root, rest, &mut params)?;
        Some(Match {
            value,
            params: Some(params),
        })
    }

    /// The same routes with every value mapped by `f`.
    pub(crate) fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Tree<U> {
        fn walk<T, U>(node: &Node<T>, f: &mut impl FnMut(&T) -> U) -> Node<U> {
            Node {
                literals: node
                    .literals
                    .iter()
                    .map(|(k, child)| (k.clone(), walk(child, f)))
                    .collect(),
                param: node
                    .param
                    .as_ref()
                    .map(|(name, child)| (name.clone(), Box::new(walk(child, f)))),
                wildcard: node
                    .wildcard
                    .as_ref()
                    .map(|(name, value)| (name.clone(), f(value))),
                value: node.value.as_ref().map(&mut *f),
            }
        }
        let root = walk(&self.root, &mut f);
        let mut exact = Vec::new();
        collect_exact(&root, &mut String::new(), &mut Vec::new(), &mut exact);
        exact.sort_by(|(a, _), (b, _)| a.cmp(b));
        Tree { root, exact }
    }

    /// The route all of literal segments that spells `path` (without its leading `/`).
    fn find_exact(&self, path: &str) -> Option<&T> {
        let at = if self.exact.len() > LINEAR_LOOKUP {
            self.exact
                .binary_search_by(|(key, _)| (**key).cmp(path))
                .ok()?
        } else {
            self.exact
                .iter()
                .position(|(key, _)| same_text(key, path))?
        };
        let mut node = &self.root;
        for &child in &self.exact[at].1 {
            node = &node.literals[child as usize].1;
        }
        node.value.as_ref()
    }
}

/// Files under `path` every route below `node` made of literal segments only, with the
/// child indices leading to it (`trail`).
fn collect_exact<T>(
    node: &Node<T>,
    path: &mut String,
    trail: &mut Vec<u32>,
    exact: &mut Vec<(Box<str>, Box<[u32]>)>,
) {
    // A chain of one empty literal (`//`) spells the empty path, which the walk matches to
    // the root alone: it is left to the walk.
    if node.value.is_some() && (trail.is_empty() || !path.is_empty()) {
        exact.push((path.as_str().into(), trail.as_slice().into()));
    }
    for (at, (text, child)) in node.literals.iter().enumerate() {
        let Ok(at) = u32::try_from(at) else {
            return;
        };
        let len = path.len();
        if !trail.is_empty() {
            path.push('/');
        }
        path.push_str(text);
        trail.push(at);
        collect_exact(child, path, trail, exact);
        trail.pop();
        path.truncate(len);
    }
}

/// Matches `rest` (the path after this node's segment, without its leading `/`; `None` when
/// the path ends at this node) below `node`.
fn find_segments<'t, T>(
    node: &'t Node<T>,
    rest: Option<&str>,
    params: &mut Params,
) -> Option<&'t T> {
    let Some(rest) = rest else {
        // The path ends here; a wildcard also matches an empty rest.
        return node.value.as_ref().or_else(|| {
            node.wildcard.as_ref().map(|(name, value)| {
                params.push(name, "");
                params.set_raw_rest("");
                value
            })
        });
    };
    // A byte loop: segments are short, and `/` is ASCII, so `at` is a char boundary.
    let (segment, next) = match rest.bytes().position(|b| b == b'/') {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    if node.literals.is_empty() && node.param.is_none() && node.wildcard.is_none() {
        return None;
    }
    if let Some(child) = node.lookup_literal(segment)
        && let Some(found) = find_segments(child, next, params)
    {
        return Some(found);
    }
    if let Some((name, child)) = &node.param
        && !segment.is_empty()
    {
        let mark = params.len();
        params.push(name, &crate::percent::decode(segment));
        if let Some(found) = find_segments(child, next, params) {
            return Some(found);
        }
        params.truncate(mark);
    }
    node.wildcard.as_ref().map(|(name, value)| {
        params.push(name, &crate::percent::decode(rest));
        params.set_raw_rest(rest);
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(patterns: &[&str]) -> Tree<String> {
        let mut tree = Tree::default();
        for pattern in patterns {
            *tree.entry(&Pattern::parse(pattern), String::new) = (*pattern).to_owned();
        }
        tree
    }

    /// Asserts `path` matches `pattern` with `params`, in every insertion order of `routes`.
    fn check(routes: &[&str], path: &str, expected: Option<(&str, &[(&str, &str)])>) {
        let mut orders = vec![routes.to_vec()];
        orders.push(routes.iter().rev().copied().collect());
        for order in orders {
            let built = tree(&order);
            // `map` builds the table of routes all of literals: both forms must agree.
            for tree in [built.map(String::clone), built] {
                check_one(&tree, &order, path, expected);
            }
        }
    }

    fn check_one(
        tree: &Tree<String>,
        order: &[&str],
        path: &str,
        expected: Option<(&str, &[(&str, &str)])>,
    ) {
        {
            let found = tree.find(path);
            match (found, expected) {
                (None, None) => {}
                (Some(m), Some((pattern, params))) => {
                    assert_eq!(m.value, pattern, "{path} with routes {order:?}");
                    let captured = m.params.unwrap_or_default();
                    let got: Vec<_> = captured.iter().collect();
                    assert_eq!(got, params, "{path}");
                }
                (found, expected) => panic!(
                    "{path}: found {:?}, expected {expected:?}",
                    found.map(|m| m.value)
                ),
            }
        }
    }

    const ROUTES: &[&str] = &[
        "/",
        "/users",
        "/users/new",
        "/users/:id",
        "/users/:id/edit",
        "/users/*rest",
        "/files/*path",
        "/static/*",
    ];

    #[test]
    fn literal_children_are_found_by_scan_and_by_binary_search() {
        let few = ["/a", "/bb", "/cc", "/ccc"];
        let many = [
            "/a", "/bb", "/cc", "/ccc", "/d", "/e", "/f", "/g", "/h", "/i", "/j", "/k",
        ];
        for routes in [&few[..], &many[..]] {
            for route in routes {
                check(routes, route, Some((route, &[])));
            }
            check(routes, "/c", None);
            check(routes, "/cccc", None);
            check(routes, "/b", None);
        }
    }

    #[test]
    fn texts_compare_equal_exactly_when_their_bytes_do_at_every_length() {
        for len in 0..=20 {
            let text: String = (0..len).map(|i| char::from(b'a' + i as u8)).collect();
            assert!(same_text(&text, &text.clone()), "{text}");
            assert!(!same_text(&text, &format!("{text}x")), "{text}");
            for at in 0..len {
                let mut other = text.clone().into_bytes();
                other[at] = b'Z';
                let other = String::from_utf8(other).unwrap();
                assert!(!same_text(&text, &other), "{text} vs {other}");
            }
        }
    }

    #[test]
    fn long_literals_are_found_whole_and_segment_by_segment() {
        let routes = [
            "/plaintext",
            "/plaintexts",
            "/json",
            "/jsob",
            "/a-segment-past-16-bytes",
            "/a-segment-past-16-bytez/:id",
            "/twelve-bytes/:id/eight-by",
        ];
        for route in routes.iter().filter(|route| !route.contains(':')) {
            check(&routes, route, Some((route, &[])));
        }
        check(
            &routes,
            "/a-segment-past-16-bytez/7",
            Some(("/a-segment-past-16-bytez/:id", &[("id", "7")])),
        );
        check(
            &routes,
            "/twelve-bytes/7/eight-by",
            Some(("/twelve-bytes/:id/eight-by", &[("id", "7")])),
        );
        check(&routes, "/twelve-bytes/7/eight-bz", None);
        check(&routes, "/plaintexz", None);
        check(&routes, "/jso", None);
    }

    #[test]
    fn empty_segments_and_deep_literal_routes_match_as_in_the_walk() {
        let routes = ["/", "//", "/a//b", "/a/", "/a/b/c", "/a/:x/c", "/x/y"];
        for route in routes.iter().filter(|route| !route.contains(':')) {
            check(&routes, route, Some((route, &[])));
        }
        check(&routes, "/a/z/c", Some(("/a/:x/c", &[("x", "z")])));
        check(&routes, "/a/b", None);
        check(&routes, "/x", None);
        check(&routes, "/x/y/", None);
    }

    #[test]
    fn root_and_literals() {
        check(ROUTES, "/", Some(("/", &[])));
        check(ROUTES, "/users", Some(("/users", &[])));
    }

    #[test]
    fn literal_beats_parameter_beats_wildcard() {
        check(ROUTES, "/users/new", Some(("/users/new", &[])));
        check(ROUTES, "/users/42", Some(("/users/:id", &[("id", "42")])));
        check(
            ROUTES,
            "/users/42/edit",
            Some(("/users/:id/edit", &[("id", "42")])),
        );
        check(
            ROUTES,
            "/users/42/photos/1",
            Some(("/users/*rest", &[("rest", "42/photos/1")])),
        );
    }

    #[test]
    fn backtracks_from_a_literal_to_a_parameter() {
        check(
            &["/a/b/c", "/a/:x/d"],
            "/a/b/d",
            Some(("/a/:x/d", &[("x", "b")])),
        );
    }

    #[test]
    fn wildcards_capture_the_rest_even_empty() {
        check(
            ROUTES,
            "/files/a/b/c.txt",
            Some(("/files/*path", &[("path", "a/b/c.txt")])),
        );
        check(ROUTES, "/files/", Some(("/files/*path", &[("path", "")])));
        check(ROUTES, "/files", Some(("/files/*path", &[("path", "")])));
        check(
            ROUTES,
            "/static/css/x.css",
            Some(("/static/*", &[("*", "css/x.css")])),
        );
    }

    #[test]
    fn misses() {
        check(ROUTES, "/nope", None);
        check(&["/users/:id"], "/users/", None);
        check(&["/users/:id"], "/users", None);
        check(&["/a"], "/a/b", None);
    }

    #[test]
    fn trailing_slashes_are_significant() {
        check(&["/users"], "/users/", None);
        check(&["/users/"], "/users/", Some(("/users/", &[])));
        check(&["/users/"], "/users", None);
    }

    #[test]
    fn parameters_are_percent_decoded() {
        check(
            &["/tags/:tag"],
            "/tags/caf%C3%A9%20au%20lait",
            Some(("/tags/:tag", &[("tag", "café au lait")])),
        );
        check(
            &["/tags/:tag"],
            "/tags/100%",
            Some(("/tags/:tag", &[("tag", "100%")])),
        );
    }

    #[test]
    #[should_panic(expected = "conflicting parameter names")]
    fn one_name_per_parameter_position() {
        tree(&["/users/:id", "/users/:name/edit"]);
    }
}
