//! `tide::session` over a real socket: a session survives requests, a tampered or forged
//! cookie starts a new one (never an error), login rotates the id, logout ends it, empty
//! sessions are never stored, `Secure` follows TLS, and sessions expire.
#![cfg(feature = "sessions")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Client, RawResponse, request_with, serve_app};
use tide::Request;
use tide::session::{MemoryStore, SessionMiddleware};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

/// `/count` counts visits in the session; `/peek` reads without writing; `/login?NAME`
/// stores a user and rotates the id; `/whoami` names it; `/logout` ends the session.
fn app(store: Arc<MemoryStore>, ttl: Duration) -> tide::App<()> {
    let mut app = tide::new();
    app.with(SessionMiddleware::new(store, SECRET).ttl(ttl));
    app.at("/count").get(|mut req: Request<()>| async move {
        let count: u32 = req.session().get("count").unwrap_or(0) + 1;
        req.session_mut().insert("count", count)?;
        Ok(count.to_string())
    });
    app.at("/peek").get(|req: Request<()>| async move {
        Ok(format!("{:?}", req.session().get::<u32>("count")))
    });
    app.at("/login").post(|mut req: Request<()>| async move {
        let user = req.query_str().unwrap_or("nobody").to_owned();
        let session = req.session_mut();
        session.insert("user", &user)?;
        session.regenerate();
        Ok(format!("welcome {user}"))
    });
    app.at("/whoami").get(|req: Request<()>| async move {
        Ok(req
            .session()
            .get::<String>("user")
            .unwrap_or_else(|| "anonymous".into()))
    });
    app.at("/logout").post(|mut req: Request<()>| async move {
        req.session_mut().destroy();
        Ok("bye")
    });
    app
}

/// Sends `method path` with `cookie` (if any) and extra headers.
fn send(
    client: &mut Client,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    extra: &[(&str, &str)],
) -> RawResponse {
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    client.request(request_with(method, path, &headers, ""))
}

/// The `name=value` of the response's `Set-Cookie`.
fn cookie_of(response: &RawResponse) -> String {
    let set_cookie = response
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no Set-Cookie: {response:?}"));
    set_cookie.split(';').next().unwrap().to_owned()
}

#[test]
fn a_session_survives_requests_and_a_tampered_cookie_starts_a_new_one() {
    let store = Arc::new(MemoryStore::new());
    let server = serve_app(app(store.clone(), Duration::from_secs(3600)));
    let mut client = server.connect();

    let first = send(&mut client, "GET", "/count", None, &[]);
    first.assert(200, "1");
    let set_cookie = first.header("set-cookie").unwrap();
    assert!(set_cookie.starts_with("tide.sid="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(
            set_cookie.contains(attribute),
            "{set_cookie} lacks {attribute}"
        );
    }
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let cookie = cookie_of(&first);
    send(&mut client, "GET", "/count", Some(&cookie), &[]).assert(200, "2");
    let third = send(&mut client, "GET", "/count", Some(&cookie), &[]);
    third.assert(200, "3");
    assert_eq!(cookie_of(&third), cookie, "the id changed without a reason");
    assert_eq!(store.len(), 1);

    // Tampered: one character of the id, of the signature; forged; garbage.
    let (name, value) = cookie.split_once('=').unwrap();
    let flip = |at: usize| {
        let mut bytes = value.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
        format!("{name}={}", String::from_utf8(bytes).unwrap())
    };
    let (id, _) = value.split_once('.').unwrap();
    let forged = [
        flip(0),
        flip(value.len() - 1),
        format!("{name}={id}"),
        format!("{name}={id}.AAAA"),
        format!("{name}=garbage"),
        format!("{name}="),
    ];
    for tampered in &forged {
        let response = send(&mut client, "GET", "/count", Some(tampered), &[]);
        response.assert(200, "1");
        assert_ne!(cookie_of(&response), cookie, "{tampered}");
    }
    // The real session is untouched by the forgeries.
    send(&mut client, "GET", "/count", Some(&cookie), &[]).assert(200, "4");
}

#[test]
fn login_rotates_the_id_and_logout_ends_the_session() {
    let store = Arc::new(MemoryStore::new());
    let server = serve_app(app(store.clone(), Duration::from_secs(3600)));
    let mut client = server.connect();

    let before = cookie_of(&send(&mut client, "GET", "/count", None, &[]));
    let login = send(&mut client, "POST", "/login?ann", Some(&before), &[]);
    login.assert(200, "welcome ann");
    let after = cookie_of(&login);
    assert_ne!(after, before, "login kept the id");
    send(&mut client, "GET", "/whoami", Some(&after), &[]).assert(200, "ann");
    // The data came along; the old id is worth nothing now.
    send(&mut client, "GET", "/peek", Some(&after), &[]).assert(200, "Some(1)");
    send(&mut client, "GET", "/whoami", Some(&before), &[]).assert(200, "anonymous");
    assert_eq!(store.len(), 1);

    let logout = send(&mut client, "POST", "/logout", Some(&after), &[]);
    logout.assert(200, "bye");
    let removal = logout.header("set-cookie").unwrap();
    assert!(
        removal.starts_with("tide.sid=;") && removal.contains("Max-Age=0"),
        "{removal}"
    );
    send(&mut client, "GET", "/whoami", Some(&after), &[]).assert(200, "anonymous");
    assert!(store.is_empty());
}

#[test]
fn an_empty_session_is_neither_stored_nor_sent() {
    let store = Arc::new(MemoryStore::new());
    let server = serve_app(app(store.clone(), Duration::from_secs(3600)));
    let mut client = server.connect();
    let response = send(&mut client, "GET", "/peek", None, &[]);
    response.assert(200, "None");
    assert_eq!(response.header("set-cookie"), None);
    assert!(store.is_empty());
}

#[test]
fn the_cookie_is_secure_behind_tls() {
    let server = serve_app(app(Arc::new(MemoryStore::new()), Duration::from_secs(3600)));
    let mut client = server.connect();
    let response = send(
        &mut client,
        "GET",
        "/count",
        None,
        &[("x-forwarded-proto", "https")],
    );
    assert!(
        response.header("set-cookie").unwrap().contains("; Secure"),
        "{response:?}"
    );
}

#[test]
fn an_expired_session_starts_afresh() {
    let store = Arc::new(MemoryStore::new());
    let server = serve_app(app(store.clone(), Duration::from_millis(300)));
    let mut client = server.connect();
    let cookie = cookie_of(&send(&mut client, "GET", "/count", None, &[]));
    std::thread::sleep(Duration::from_millis(400));
    let response = send(&mut client, "GET", "/count", Some(&cookie), &[]);
    response.assert(200, "1");
    // Its record is gone from the store; only the new one is left.
    assert_eq!(store.len(), 1);
}
