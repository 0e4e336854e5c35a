//! [`Cookie`]: HTTP cookies (RFC 6265), read from requests and set on responses.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::h1::date::format_imf_fixdate;

/// Latest `Expires` date the cookie formatter writes: the end of year 9999 (later times are
/// written as this one).
const MAX_EXPIRES_UNIX_SECONDS: u64 = 253_402_300_799;

/// An HTTP cookie: a name and value, and the attributes a `Set-Cookie` header carries.
///
/// Its [`Display`](fmt::Display) is the `Set-Cookie` value. Built with [`Cookie::new`] (or
/// [`Cookie::encoded`]) and the chained setters; read with the getters.
///
/// No middleware is needed: [`Request::cookie`](crate::Request::cookie) parses the request's
/// `Cookie` header when asked, and [`Response::insert_cookie`](crate::Response::insert_cookie)
/// and [`Response::remove_cookie`](crate::Response::remove_cookie) add `Set-Cookie` headers.
///
/// - A cookie the app builds is valid. Its value is made of cookie octets (visible ASCII
///   except `"`, `,`, `;` and `\`, optionally wrapped in double quotes): [`Cookie::new`]
///   percent-encodes any other value (a form value with a space is fine), as
///   [`Cookie::encoded`] always does, and [`Cookie::decoded_value`] reads it back;
///   [`Cookie::try_new`] refuses it with a [`CookieError`] instead. The name must be a token
///   and the path and domain hold no `;` or control characters: `new` and the setters panic
///   otherwise (a programming mistake), `try_new` answers an error.
/// - Reading a request's cookies never fails: a malformed pair (no `=`, an invalid name or
///   value) is skipped, and the others are still read. A cookie read from a request carries
///   only a name and a value (browsers send no attributes); its other fields are
///   [`Cookie::new`]'s defaults.
/// - `Path` defaults to `/` (the whole site), not to the directory of the request that set
///   the cookie, so that [`Response::remove_cookie`](crate::Response::remove_cookie), which
///   removes at `/`, finds it.
/// - `Secure`, `HttpOnly` and `SameSite` are off unless set: set all three on a session
///   cookie.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tide::{Cookie, SameSite};
///
/// let session = Cookie::new("session", "a3fWa")
///     .max_age(Duration::from_secs(3600))
///     .secure(true)
///     .http_only(true)
///     .same_site(SameSite::Lax);
/// assert_eq!(
///     session.to_string(),
///     "session=a3fWa; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"
/// );
///
/// // Arbitrary text is percent-encoded.
/// let greeting = Cookie::encoded("greeting", "hello, world");
/// assert_eq!(greeting.value(), "hello%2C%20world");
/// assert_eq!(greeting.decoded_value(), "hello, world");
///
/// // A handler reads a request's cookies and sets or removes the client's.
/// let mut app = tide::new();
/// app.at("/login").post(|_| async {
///     let mut response = tide::Response::new(tide::StatusCode::NO_CONTENT);
///     response.insert_cookie(Cookie::new("session", "a3fWa").http_only(true));
///     Ok(response)
/// });
/// app.at("/whoami").get(|req: tide::Request<()>| async move {
///     match req.cookie("session") {
///         Some(session) => Ok(format!("session {}", session.value())),
///         None => Err(tide::Error::from_str(tide::StatusCode::UNAUTHORIZED, "log in first")),
///     }
/// });
/// app.at("/logout").post(|_| async {
///     let mut response = tide::Response::new(tide::StatusCode::NO_CONTENT);
///     response.remove_cookie("session");
///     Ok(response)
/// });
/// # tide::runtime::block_on(async {
/// let response = tide::testing::request(&app, tide::Method::POST, "/login").await;
/// assert_eq!(response.header("set-cookie").unwrap(), "session=a3fWa; Path=/; HttpOnly");
///
/// let request = http::Request::get("/whoami")
///     .header("cookie", "theme=dark; session=a3fWa")
///     .body(tide::Body::empty())
///     .unwrap();
/// let mut response = tide::testing::send(&app, request).await;
/// assert_eq!(response.body_string().await, "session a3fWa");
///
/// let response = tide::testing::request(&app, tide::Method::POST, "/logout").await;
/// assert_eq!(response.header("set-cookie").unwrap(), "session=; Path=/; Max-Age=0");
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<Duration>,
    expires: Option<SystemTime>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

/// Why [`Cookie::try_new`] refused a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieError {
    /// The name is not a token.
    Name(String),
    /// The value holds something but cookie octets.
    Value {
        /// The cookie's name.
        name: String,
        /// The value refused.
        value: String,
    },
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CookieError::Name(name) => write!(
                f,
                "{name:?} is not a valid cookie name: use letters, digits and `!#$%&'*+-.^_`|~`"
            ),
            CookieError::Value { name, value } => write!(
                f,
                "cookie {name:?}: {value:?} is not a valid cookie value (visible ASCII other \
                 than `\"`, `,`, `;` and `\\`); use Cookie::new or Cookie::encoded to encode it"
            ),
        }
    }
}

impl std::error::Error for CookieError {}

/// The `SameSite` attribute: whether the browser sends the cookie on requests that other
/// sites start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Only on requests that this site starts.
    Strict,
    /// Also on top-level navigations from other sites (links), not on their subrequests.
    Lax,
    /// On every request; browsers require [`Cookie::secure`] with it.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

impl Cookie {
    /// A cookie `name=value` with `Path=/` and no other attribute (a session cookie: the
    /// browser drops it when it closes).
    ///
    /// A value that is not made of cookie octets (a space, `"`, `,`, `;`, `\`, a control
    /// character, non-ASCII), unless it is wrapped in double quotes with only cookie octets
    /// inside, is percent-encoded as [`Cookie::encoded`] does, never refused: a form value
    /// such as `"ann lee"` becomes `ann%20lee`, and [`decoded_value`](Cookie::decoded_value)
    /// gives it back. To refuse such a value instead, use [`Cookie::try_new`].
    ///
    /// ```
    /// let cookie = tide::Cookie::new("user", "ann lee");
    /// assert_eq!(cookie.value(), "ann%20lee");
    /// assert_eq!(cookie.decoded_value(), "ann lee");
    /// ```
    ///
    /// # Panics
    ///
    /// If `name` is not a token (names are the app's, not the client's; see
    /// [`Cookie::try_new`] for a name that comes from elsewhere).
    #[track_caller]
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Cookie {
        let (name, value) = (name.into(), value.into());
        assert_name(&name);
        match is_valid_value(&value) {
            true => Cookie::unchecked(name, value),
            false => Cookie::unchecked(name, percent_encode(&value)),
        }
    }

    /// A cookie `name=value`, or a [`CookieError`] if `name` is not a token or `value` is
    /// not a valid cookie value (the error converts into a `500` with `?`, or the handler
    /// can answer it another way).
    ///
    /// ```
    /// use tide::Cookie;
    ///
    /// assert!(Cookie::try_new("user", "ann").is_ok());
    /// let error = Cookie::try_new("user", "ann lee").unwrap_err();
    /// assert!(error.to_string().contains("not a valid cookie value"));
    /// assert!(Cookie::try_new("bad name", "1").is_err());
    /// ```
    pub fn try_new(
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Cookie, CookieError> {
        let (name, value) = (name.into(), value.into());
        if !is_token(&name) {
            return Err(CookieError::Name(name));
        }
        if !is_valid_value(&value) {
            return Err(CookieError::Value { name, value });
        }
        Ok(Cookie::unchecked(name, value))
    }

    /// A cookie whose value is `text` percent-encoded: any text fits; read it back with
    /// [`decoded_value`](Cookie::decoded_value).
    ///
    /// # Panics
    ///
    /// If `name` is not a token.
    #[track_caller]
    pub fn encoded(name: impl Into<String>, text: &str) -> Cookie {
        let name = name.into();
        assert_name(&name);
        Cookie::unchecked(name, percent_encode(text))
    }

    /// A cookie that removes `name` from the client: empty, with `Max-Age=0`, at `Path=/`.
    /// A cookie set with another path or a domain is removed by one with the same path and
    /// domain: see [`into_removal`](Cookie::into_removal).
    ///
    /// # Panics
    ///
    /// If `name` is not a token.
    #[track_caller]
    pub fn removal(name: impl Into<String>) -> Cookie {
        Cookie::new(name, "").into_removal()
    }

    fn unchecked(name: String, value: String) -> Cookie {
        Cookie {
            name,
            value,
            path: Some("/".to_owned()),
            domain: None,
            max_age: None,
            expires: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }

    /// This cookie turned into one that removes it: same name, path and domain, an empty
    /// value, `Max-Age=0` and no `Expires`.
    pub fn into_removal(mut self) -> Cookie {
        self.value.clear();
        self.max_age = Some(Duration::ZERO);
        self.expires = None;
        self
    }

    /// Sets the `Path` the browser sends the cookie for (default `/`).
    ///
    /// # Panics
    ///
    /// If `path` holds `;` or a control character.
    #[track_caller]
    pub fn path(mut self, path: impl Into<String>) -> Cookie {
        let path = path.into();
        assert_attribute("path", &path);
        self.path = Some(path);
        self
    }

    /// Sets the `Domain`: the browser also sends the cookie to its subdomains. Without it,
    /// only the host that set the cookie gets it.
    ///
    /// # Panics
    ///
    /// If `domain` holds `;` or a control character.
    #[track_caller]
    pub fn domain(mut self, domain: impl Into<String>) -> Cookie {
        let domain = domain.into();
        assert_attribute("domain", &domain);
        self.domain = Some(domain);
        self
    }

    /// Sets `Max-Age` (whole seconds): the browser keeps the cookie this long; zero removes
    /// it at once.
    pub fn max_age(mut self, max_age: Duration) -> Cookie {
        self.max_age = Some(max_age);
        self
    }

    /// Sets `Expires`: the browser keeps the cookie until then. `Max-Age` wins where both
    /// are set; prefer it.
    pub fn expires(mut self, at: SystemTime) -> Cookie {
        self.expires = Some(at);
        self
    }

    /// Sets `Secure`: the browser sends the cookie over HTTPS only.
    pub fn secure(mut self, secure: bool) -> Cookie {
        self.secure = secure;
        self
    }

    /// Sets `HttpOnly`: scripts in the page cannot read the cookie.
    pub fn http_only(mut self, http_only: bool) -> Cookie {
        self.http_only = http_only;
        self
    }

    /// Sets `SameSite`.
    pub fn same_site(mut self, same_site: SameSite) -> Cookie {
        self.same_site = Some(same_site);
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value, as sent (double quotes included, if it has them).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value with `%XX` escapes decoded (see [`Cookie::encoded`]); the raw value when it
    /// holds none, or when decoding it would not give UTF-8.
    pub fn decoded_value(&self) -> Cow<'_, str> {
        crate::percent::decode(&self.value)
    }

    /// The `Path`.
    pub fn get_path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The `Domain`.
    pub fn get_domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The `Max-Age`.
    pub fn get_max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// The `Expires` time.
    pub fn get_expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// Whether `Secure` is set.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Whether `HttpOnly` is set.
    pub fn is_http_only(&self) -> bool {
        self.http_only
    }

    /// The `SameSite` attribute.
    pub fn get_same_site(&self) -> Option<SameSite> {
        self.same_site
    }
}

impl fmt::Display for Cookie {
    /// The `Set-Cookie` header value: `name=value` and the attributes that are set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)?;
        if let Some(path) = &self.path {
            write!(f, "; Path={path}")?;
        }
        if let Some(domain) = &self.domain {
            write!(f, "; Domain={domain}")?;
        }
        if let Some(max_age) = self.max_age {
            write!(f, "; Max-Age={}", max_age.as_secs())?;
        }
        if let Some(expires) = self.expires {
            let seconds = expires
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs())
                .min(MAX_EXPIRES_UNIX_SECONDS);
            let date = format_imf_fixdate(seconds);
            let date = std::str::from_utf8(&date).expect("an IMF-fixdate is ASCII");
            write!(f, "; Expires={date}")?;
        }
        if self.secure {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        if let Some(same_site) = self.same_site {
            write!(f, "; SameSite={}", same_site.as_str())?;
        }
        Ok(())
    }
}

/// The valid `name=value` pairs of a `Cookie` request header, in order; malformed pairs are
/// skipped.
pub(crate) fn parse_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header.split(';').filter_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        let (name, value) = (name.trim(), value.trim());
        (is_token(name) && is_valid_value(value)).then_some((name, value))
    })
}

/// A cookie read from a request: only its name and value are known.
pub(crate) fn from_request(name: &str, value: &str) -> Cookie {
    Cookie::unchecked(name.to_owned(), value.to_owned())
}

#[track_caller]
fn assert_name(name: &str) {
    assert!(
        is_token(name),
        "{name:?} is not a valid cookie name: use letters, digits and `!#$%&'*+-.^_`|~`"
    );
}

#[track_caller]
fn assert_attribute(attribute: &str, value: &str) {
    assert!(
        value.chars().all(|c| c != ';' && !c.is_control()),
        "the cookie {attribute} {value:?} may not hold `;` or control characters"
    );
}

/// An RFC 9110 token: the characters a cookie name may use.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A cookie octet (RFC 6265 §4.1.1): visible ASCII except `"`, `,`, `;` and `\`.
fn is_cookie_octet(b: u8) -> bool {
    b.is_ascii_graphic() && !b"\",;\\".contains(&b)
}

/// Cookie octets, possibly wrapped in double quotes.
fn is_valid_value(value: &str) -> bool {
    let inner = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(value);
    inner.bytes().all(is_cookie_octet)
}

/// Percent-encodes every byte that is not a cookie octet, and `%` itself.
fn percent_encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if is_cookie_octet(b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(header: &str) -> Vec<(&str, &str)> {
        parse_pairs(header).collect()
    }

    #[test]
    fn parses_pairs_and_skips_malformed_ones() {
        assert_eq!(pairs("a=1; b=2"), [("a", "1"), ("b", "2")]);
        assert_eq!(pairs("a=1;b=2"), [("a", "1"), ("b", "2")]);
        assert_eq!(pairs(" a = 1 ;"), [("a", "1")]);
        assert_eq!(pairs("a=\"quoted\""), [("a", "\"quoted\"")]);
        assert_eq!(pairs("a=x=y"), [("a", "x=y")]);
        assert_eq!(pairs("empty="), [("empty", "")]);
        assert_eq!(pairs("noequals; b=2"), [("b", "2")]);
        assert_eq!(pairs("bad name=1; b=2"), [("b", "2")]);
        assert_eq!(pairs("a=sp ace; b=2"), [("b", "2")]);
        assert_eq!(pairs("a=comma,; b=2"), [("b", "2")]);
        assert_eq!(pairs("=novalue; b=2"), [("b", "2")]);
        assert_eq!(pairs(""), []);
    }

    #[test]
    fn formats_every_attribute() {
        let cookie = Cookie::new("id", "42")
            .path("/app")
            .domain("example.com")
            .max_age(Duration::from_secs(60))
            .expires(UNIX_EPOCH + Duration::from_secs(784_111_777))
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict);
        assert_eq!(
            cookie.to_string(),
            "id=42; Path=/app; Domain=example.com; Max-Age=60; \
             Expires=Sun, 06 Nov 1994 08:49:37 GMT; Secure; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn removal_keeps_path_and_domain() {
        let cookie = Cookie::new("id", "42")
            .path("/app")
            .domain("example.com")
            .into_removal();
        assert_eq!(
            cookie.to_string(),
            "id=; Path=/app; Domain=example.com; Max-Age=0"
        );
        assert_eq!(Cookie::removal("id").to_string(), "id=; Path=/; Max-Age=0");
    }

    #[test]
    fn encoding_round_trips_any_text() {
        for text in ["plain", "a b", "x;y,z\"\\", "100%", "café ☕", ""] {
            let cookie = Cookie::encoded("c", text);
            assert!(is_valid_value(cookie.value()), "{:?}", cookie.value());
            assert_eq!(cookie.decoded_value(), text);
        }
        assert_eq!(Cookie::new("c", "100%").decoded_value(), "100%");
        assert_eq!(Cookie::new("c", "%ff").decoded_value(), "%ff");
    }

    #[test]
    fn quoted_values_are_accepted() {
        assert_eq!(Cookie::new("c", "\"abc\"").value(), "\"abc\"");
    }

    #[test]
    #[should_panic(expected = "is not a valid cookie name")]
    fn rejects_a_bad_name() {
        Cookie::new("my cookie", "1");
    }

    #[test]
    fn new_encodes_a_value_that_is_not_a_cookie_value() {
        for (value, sent) in [
            ("ann lee", "ann%20lee"),
            ("a;b", "a%3Bb"),
            ("\"a b\"", "%22a%20b%22"),
            ("café", "caf%C3%A9"),
            ("line\nbreak", "line%0Abreak"),
            ("100%", "100%"),
            ("\"quoted\"", "\"quoted\""),
        ] {
            let cookie = Cookie::new("c", value);
            assert_eq!(cookie.value(), sent, "{value:?}");
            assert!(is_valid_value(cookie.value()));
            assert_eq!(cookie.decoded_value(), value, "{value:?}");
        }
    }

    #[test]
    fn try_new_refuses_with_an_error() {
        assert_eq!(Cookie::try_new("c", "ok").unwrap().value(), "ok");
        let error = Cookie::try_new("c", "a;b").unwrap_err();
        assert!(matches!(&error, CookieError::Value { value, .. } if value == "a;b"));
        assert!(
            error
                .to_string()
                .contains("use Cookie::new or Cookie::encoded")
        );
        let error = Cookie::try_new("my cookie", "1").unwrap_err();
        assert_eq!(error, CookieError::Name("my cookie".to_owned()));
        let error: crate::Error = error.into();
        assert_eq!(error.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    #[should_panic(expected = "may not hold `;`")]
    fn rejects_a_path_with_a_semicolon() {
        let _ = Cookie::new("c", "1").path("/a; Domain=evil.example");
    }
}
