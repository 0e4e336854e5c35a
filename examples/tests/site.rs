//! The `site` example over a real socket: its static files (compressed, validated, never
//! outside the directory), the login with a session, the upload, logout.

mod support;

#[path = "../site.rs"]
mod site;

use std::io::Write;

use support::{Reply, fetch, serve};

const SECRET: &[u8] = b"a secret for the site test, 32+ bytes";

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = flate2::write::GzDecoder::new(&mut out);
    decoder.write_all(bytes).unwrap();
    decoder.finish().unwrap();
    out
}

fn cookie_of(reply: &Reply) -> String {
    let set_cookie = reply
        .header("set-cookie")
        .unwrap_or_else(|| panic!("{reply:?}"));
    set_cookie.split(';').next().unwrap().to_owned()
}

#[test]
fn static_files_are_compressed_and_stay_inside_their_directory() {
    let served = serve(site::app(&site::default_dir(), SECRET));
    let original = std::fs::read(site::default_dir().join("style.css")).unwrap();
    let reply = fetch(
        served.addr,
        "GET",
        "/static/style.css",
        &[("accept-encoding", "gzip")],
        b"",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert_eq!(
        reply.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert!(gunzip(&reply.body) == original);
    let etag = reply.header("etag").unwrap().to_owned();
    let reply = fetch(
        served.addr,
        "GET",
        "/static/style.css",
        &[("if-none-match", &etag)],
        b"",
    );
    assert_eq!(reply.status, 304, "{reply:?}");
    for escape in [
        "/static/%2e%2e/site.rs",
        "/static/../site.rs",
        "/static/..%2fsite.rs",
    ] {
        let reply = fetch(served.addr, "GET", escape, &[], b"");
        assert_eq!(reply.status, 404, "{escape}: {reply:?}");
    }
}

#[test]
fn login_upload_and_logout() {
    let served = serve(site::app(&site::default_dir(), SECRET));
    let addr = served.addr;
    assert!(fetch(addr, "GET", "/", &[], b"").text().contains("Welcome"));

    let form = [("content-type", "application/x-www-form-urlencoded")];
    let reply = fetch(addr, "POST", "/login", &form, b"user=ann+%3Cb%3E");
    assert_eq!(reply.status, 303, "{reply:?}");
    let cookie = cookie_of(&reply);
    let page = fetch(addr, "GET", "/", &[("cookie", &cookie)], b"").text();
    assert!(page.contains("Hello, ann &lt;b&gt;"), "{page}");
    assert_eq!(fetch(addr, "POST", "/login", &form, b"user=").status, 400);

    let file = vec![b'z'; 2 * 1024 * 1024 + 3];
    let mut body =
        b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"z.bin\"\r\n\r\n"
            .to_vec();
    body.extend_from_slice(&file);
    body.extend_from_slice(b"\r\n--B--\r\n");
    let multipart = ("content-type", "multipart/form-data; boundary=B");
    let reply = fetch(
        addr,
        "POST",
        "/upload",
        &[multipart, ("cookie", &cookie)],
        &body,
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply.text().contains("Received z.bin (2097155 bytes)"),
        "{}",
        reply.text()
    );
    // Not logged in: 401; a forged cookie is no login either.
    assert_eq!(
        fetch(addr, "POST", "/upload", &[multipart], &body).status,
        401
    );
    let last = if cookie.ends_with('A') { 'B' } else { 'A' };
    let forged = format!("{}{last}", &cookie[..cookie.len() - 1]);
    assert_eq!(
        fetch(
            addr,
            "POST",
            "/upload",
            &[multipart, ("cookie", &forged)],
            &body
        )
        .status,
        401
    );

    let reply = fetch(addr, "POST", "/logout", &[("cookie", &cookie)], b"");
    assert_eq!(reply.status, 303);
    assert!(reply.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert!(
        fetch(addr, "GET", "/", &[("cookie", &cookie)], b"")
            .text()
            .contains("Welcome")
    );
}
