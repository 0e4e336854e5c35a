//! Cookies: set by the server, sent back by the client, read by the server, removed.

mod support;

use std::time::Duration;

use support::{respond, serve_app};
use tide::{Cookie, SameSite};
use tide::{Request, Response, StatusCode};

/// `POST /login` sets a session and a theme, `GET /me` reads them, `POST /logout` removes the
/// session, `POST /note?text` stores text that needs encoding, `POST /user` stores a form
/// value as it is (`Cookie::new`), `POST /strict` refuses one (`Cookie::try_new`, 400).
fn app() -> tide::App<()> {
    let mut app = tide::new();
    app.at("/login").post(|_| async {
        Ok(Response::builder(StatusCode::NO_CONTENT)
            .cookie(
                Cookie::new("session", "s3cr3t")
                    .http_only(true)
                    .secure(true)
                    .same_site(SameSite::Lax)
                    .max_age(Duration::from_secs(3600)),
            )
            .cookie(Cookie::new("theme", "dark")))
    });
    app.at("/me").get(|req: Request<()>| async move {
        let session = req.cookie("session").map(|c| c.value().to_owned());
        let theme = req.cookie("theme").map(|c| c.value().to_owned());
        Ok(format!("session={session:?} theme={theme:?}"))
    });
    app.at("/logout").post(|_| async {
        let mut response = Response::new(StatusCode::NO_CONTENT);
        response.remove_cookie("session");
        Ok(response)
    });
    app.at("/user").post(|mut req: Request<()>| async move {
        let name = req.body_string().await?;
        let mut response = Response::new(StatusCode::NO_CONTENT);
        response.insert_cookie(Cookie::new("user", name));
        Ok(response)
    });
    app.at("/strict").post(|mut req: Request<()>| async move {
        let name = req.body_string().await?;
        let cookie = Cookie::try_new("user", name)
            .map_err(|error| tide::Error::from_str(StatusCode::BAD_REQUEST, error))?;
        let mut response = Response::new(StatusCode::NO_CONTENT);
        response.insert_cookie(cookie);
        Ok(response)
    });
    app.at("/note").post(|mut req: Request<()>| async move {
        let text = req.body_string().await?;
        let mut response = Response::new(StatusCode::NO_CONTENT);
        response.insert_cookie(Cookie::encoded("note", &text));
        Ok(response)
    });
    app.at("/note").get(|req: Request<()>| async move {
        Ok(req
            .cookie("note")
            .map_or(String::new(), |c| c.decoded_value().into_owned()))
    });
    app
}

/// The `Cookie` header a browser would send back for these `Set-Cookie` values (name and
/// value only; a `Max-Age=0` cookie is dropped).
fn cookie_header(set_cookies: &[&str]) -> String {
    set_cookies
        .iter()
        .filter(|set| !set.contains("Max-Age=0"))
        .map(|set| set.split(';').next().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

fn me(cookies: &str) -> String {
    respond(&app(), "GET", "/me", &[("cookie", cookies)], "").body
}

#[test]
fn set_cookie_carries_every_attribute() {
    let answer = respond(&app(), "POST", "/login", &[], "");
    assert_eq!(
        answer.header_all("set-cookie"),
        [
            "session=s3cr3t; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax",
            "theme=dark; Path=/",
        ]
    );
}

#[test]
fn a_request_s_cookies_are_read_by_name() {
    assert_eq!(
        me("theme=dark; session=abc"),
        r#"session=Some("abc") theme=Some("dark")"#
    );
    assert_eq!(me("theme=dark"), r#"session=None theme=Some("dark")"#);
    assert_eq!(
        respond(&app(), "GET", "/me", &[], "").body,
        "session=None theme=None"
    );
}

#[test]
fn malformed_pairs_are_skipped() {
    assert_eq!(
        me("junk; bad name=1; =x; session=abc;; theme=a b; theme=light"),
        r#"session=Some("abc") theme=Some("light")"#
    );
}

#[test]
fn the_first_of_two_cookies_with_one_name_wins() {
    assert_eq!(
        me("session=first; session=second"),
        r#"session=Some("first") theme=None"#
    );
}

#[test]
fn removing_a_cookie_expires_it_at_once() {
    let answer = respond(&app(), "POST", "/logout", &[], "");
    assert_eq!(
        answer.header_all("set-cookie"),
        ["session=; Path=/; Max-Age=0"]
    );
}

#[test]
fn any_text_survives_an_encoded_cookie() {
    let text = "a; b, \"c\" \\ café";
    let set = respond(&app(), "POST", "/note", &[], text);
    let cookies = cookie_header(&set.header_all("set-cookie"));
    respond(&app(), "GET", "/note", &[("cookie", &cookies)], "").assert(200, text);
}

#[test]
fn cookies_round_trip_over_a_socket() {
    let server = serve_app(app());
    let mut client = server.connect();

    let login = client.request(support::post("/login", ""));
    assert_eq!(login.status, 204);
    let sent = cookie_header(&login.header_all("set-cookie"));
    assert_eq!(sent, "session=s3cr3t; theme=dark");
    let me = client.request(support::request_with(
        "GET",
        "/me",
        &[("Cookie", &sent)],
        "",
    ));
    me.assert(200, r#"session=Some("s3cr3t") theme=Some("dark")"#);

    let logout = client.request(support::post("/logout", ""));
    assert_eq!(
        logout.header_all("set-cookie"),
        ["session=; Path=/; Max-Age=0"]
    );
    let me = client.request(support::request_with(
        "GET",
        "/me",
        &[("Cookie", "theme=dark")],
        "",
    ));
    me.assert(200, r#"session=None theme=Some("dark")"#);
}

#[test]
fn cookies_are_shareable_across_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Cookie>();
    shareable::<SameSite>();
}

#[test]
fn a_value_that_is_no_cookie_value_is_encoded_or_refused_never_a_500() {
    let server = serve_app(app());
    let mut client = server.connect();
    let response = client.request(support::post("/user", "ann lee"));
    assert_eq!(response.status, 204, "{response:?}");
    let set_cookie = response.header("set-cookie").unwrap();
    assert_eq!(set_cookie, "user=ann%20lee; Path=/");
    // Sent back, it reads as what the form held.
    let mut echo = tide::new();
    echo.at("/").get(|req: Request<()>| async move {
        Ok(req.cookie("user").unwrap().decoded_value().into_owned())
    });
    respond(&echo, "GET", "/", &[("cookie", "user=ann%20lee")], "").assert(200, "ann lee");

    let response = client.request(support::post("/strict", "ann lee"));
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response.text().contains("not a valid cookie value"),
        "{response:?}"
    );
    let response = client.request(support::post("/strict", "ann"));
    assert_eq!(response.header("set-cookie"), Some("user=ann; Path=/"));
}
