//! [`MethodTable`]: the endpoints of one path, by method, and the answers a path gives to a
//! method it has no endpoint for (405 with `Allow`, automatic `OPTIONS`, `HEAD` by `GET`).

use http::Method;

/// Which methods an endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MethodFilter {
    /// Exactly this method.
    One(Method),
    /// Every method the path has no specific endpoint for.
    Any,
}

/// The values (endpoints, or chains once the app is built) of one path, by method.
#[derive(Debug)]
pub(crate) struct MethodTable<T> {
    by_method: Vec<(Method, T)>,
    /// Where `GET` is in `by_method`, if it is there: the usual method is found with one
    /// comparison of the request's method, not a scan comparing it with each.
    get: Option<usize>,
    any: Option<T>,
}

impl<T> Default for MethodTable<T> {
    fn default() -> MethodTable<T> {
        MethodTable {
            by_method: Vec::new(),
            get: None,
            any: None,
        }
    }
}

/// What a request's method found at a path.
#[derive(Debug)]
pub(crate) enum Dispatch<'t, T> {
    /// An endpoint answers it.
    Found(&'t T),
    /// No endpoint for the method: `405`, or the automatic `OPTIONS` answer.
    NotAllowed,
}

impl<T> MethodTable<T> {
    /// Sets the value for `filter`, replacing an earlier one.
    pub(crate) fn insert(&mut self, filter: MethodFilter, value: T) {
        match filter {
            MethodFilter::Any => self.any = Some(value),
            MethodFilter::One(method) => {
                match self.by_method.iter_mut().find(|(m, _)| *m == method) {
                    Some(slot) => slot.1 = value,
                    None => {
                        if method == Method::GET {
                            self.get = Some(self.by_method.len());
                        }
                        self.by_method.push((method, value));
                    }
                }
            }
        }
    }

    /// The same table with every value mapped.
    pub(crate) fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> MethodTable<U> {
        MethodTable {
            by_method: self
                .by_method
                .iter()
                .map(|(m, v)| (m.clone(), f(v)))
                .collect(),
            get: self.get,
            any: self.any.as_ref().map(f),
        }
    }

    /// Finds the value for `method`: the method's own, then `HEAD` answered by `GET`, then
    /// the catch-all.
    pub(crate) fn dispatch(&self, method: &Method) -> Dispatch<'_, T> {
        if *method == Method::GET
            && let Some(at) = self.get
        {
            return Dispatch::Found(&self.by_method[at].1);
        }
        let own = |m: &Method| {
            self.by_method
                .iter()
                .find(|(have, _)| have == m)
                .map(|(_, v)| v)
        };
        let found = own(method)
            .or_else(|| {
                (*method == Method::HEAD)
                    .then(|| own(&Method::GET))
                    .flatten()
            })
            .or(self.any.as_ref());
        match found {
            Some(value) => Dispatch::Found(value),
            None => Dispatch::NotAllowed,
        }
    }

    /// The `Allow` header value: the methods with endpoints, `HEAD` when `GET` is there, and
    /// `OPTIONS` (always answered).
    pub(crate) fn allow(&self) -> String {
        let mut methods: Vec<&str> = self.by_method.iter().map(|(m, _)| m.as_str()).collect();
        let has = |methods: &Vec<&str>, name: &str| methods.contains(&name);
        if has(&methods, "GET") && !has(&methods, "HEAD") {
            methods.push("HEAD");
        }
        if !has(&methods, "OPTIONS") {
            methods.push("OPTIONS");
        }
        methods.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(methods: &[Method]) -> MethodTable<&'static str> {
        let mut table = MethodTable::default();
        for method in methods {
            table.insert(MethodFilter::One(method.clone()), "endpoint");
        }
        table
    }

    #[test]
    fn head_is_answered_by_get() {
        let table = table(&[Method::GET]);
        assert!(matches!(table.dispatch(&Method::HEAD), Dispatch::Found(_)));
    }

    #[test]
    fn a_missing_method_lists_what_is_allowed() {
        let table = table(&[Method::GET, Method::POST]);
        assert!(matches!(
            table.dispatch(&Method::DELETE),
            Dispatch::NotAllowed
        ));
        assert_eq!(table.allow(), "GET, POST, HEAD, OPTIONS");
    }

    #[test]
    fn get_is_found_wherever_it_was_added_and_replaced_in_place() {
        let mut added = MethodTable::default();
        added.insert(MethodFilter::One(Method::POST), "post");
        added.insert(MethodFilter::One(Method::GET), "get");
        added.insert(MethodFilter::One(Method::PUT), "put");
        added.insert(MethodFilter::Any, "any");
        for mut table in [added.map(|v| *v), added] {
            let found = |method| match table.dispatch(&method) {
                Dispatch::Found(value) => *value,
                Dispatch::NotAllowed => "not allowed",
            };
            assert_eq!(found(Method::GET), "get");
            assert_eq!(found(Method::HEAD), "get");
            assert_eq!(found(Method::POST), "post");
            assert_eq!(found(Method::PUT), "put");
            assert_eq!(found(Method::DELETE), "any");
            table.insert(MethodFilter::One(Method::GET), "get again");
            assert!(matches!(
                table.dispatch(&Method::GET),
                Dispatch::Found(&"get again")
            ));
            assert_eq!(table.allow(), "POST, GET, PUT, HEAD, OPTIONS");
        }
        let no_get = table(&[Method::POST]);
        assert!(matches!(
            no_get.dispatch(&Method::GET),
            Dispatch::NotAllowed
        ));
    }

    #[test]
    fn the_catch_all_answers_the_rest() {
        let mut table = table(&[Method::GET]);
        table.insert(MethodFilter::Any, "any");
        assert!(matches!(
            table.dispatch(&Method::PATCH),
            Dispatch::Found(&"any")
        ));
        assert!(matches!(
            table.dispatch(&Method::GET),
            Dispatch::Found(&"endpoint")
        ));
    }
}
