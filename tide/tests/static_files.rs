//! `tide::fs` over a real socket: traversal attempts in every spelling refused, types and
//! validators, `304` on both validators, ranges (`206`, `416`), `HEAD`, directory indexes,
//! symlinks, precompressed siblings, and a file larger than a read chunk streamed whole.
#![cfg(feature = "fs")]

mod support;

use std::os::unix::fs::symlink;

use support::{Client, RawResponse, TempDir, request_with, serve_app};
use tide::fs::ServeDir;

const SECRET: &str = "top secret: outside the served directory";
const HELLO: &str = "Hello from disk\n";

/// `root/secret.txt` (outside), and `root/public/` (served): `hello.txt`, `index.html`,
/// `sub/a.txt`, `.env`, `style.css` with `.gz` and `.br` siblings, and symlinks: `link.txt`
/// (to `hello.txt`), `escape` (to `root/`), `escape.txt` (to `root/secret.txt`).
fn site() -> TempDir {
    let dir = TempDir::new("static");
    dir.write("secret.txt", SECRET);
    dir.write("public/hello.txt", HELLO);
    dir.write("public/index.html", "<h1>home</h1>");
    dir.write("public/sub/a.txt", "in sub");
    dir.write("public/.env", SECRET);
    dir.write("public/style.css", "body { color: red }");
    dir.write("public/style.css.gz", "pretend gzip");
    dir.write("public/style.css.br", "pretend brotli");
    dir.write("public/%2e%2e", "a file named %2e%2e");
    let public = dir.path().join("public");
    symlink(public.join("hello.txt"), public.join("link.txt")).unwrap();
    symlink(dir.path(), public.join("escape")).unwrap();
    symlink(dir.path().join("secret.txt"), public.join("escape.txt")).unwrap();
    dir
}

fn serve(dir: &TempDir, configure: impl FnOnce(ServeDir) -> ServeDir) -> support::TestServer {
    let mut app = tide::new();
    let public = dir.path().join("public");
    app.at("/static/*").get(configure(ServeDir::new(&public)));
    app.at("/default").serve_dir(&public);
    app.at("/one.css").serve_file(public.join("style.css"));
    serve_app(app)
}

fn get(client: &mut Client, path: &str, headers: &[(&str, &str)]) -> RawResponse {
    client.request(request_with("GET", path, headers, ""))
}

#[test]
fn traversal_attempts_are_all_refused() {
    let dir = site();
    let server = serve(&dir, |serve| serve);
    let attempts = [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/%2E%2E/secret.txt",
        "/static/.%2e/secret.txt",
        "/static/%2e./secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/%2e%2e%2F%2e%2e%2Fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/%2e%2e%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/sub/../../secret.txt",
        "/static/sub/%2e%2e/%2e%2e/secret.txt",
        "/static/./../secret.txt",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/%5cetc%5cpasswd",
        "/static/hello.txt%00.png",
        "/static/..%00/secret.txt",
        "/static/.%00./secret.txt",
        "/static/%c0%ae%c0%ae/secret.txt",
        "/static/..%c0%afsecret.txt",
        "/static/..%252fsecret.txt",
        "/static/%2e%2e%",
        "/static/.env",
        "/static/%2eenv",
        "/static/escape/secret.txt",
        "/static/escape.txt",
        "/default/%2e%2e/secret.txt",
        "/default/escape.txt",
    ];
    let mut client = server.connect();
    for attempt in attempts {
        // The engine may refuse a target outright (400, closing); reconnect when it did.
        let response = get(&mut client, attempt, &[]);
        assert!(
            response.status == 404 || response.status == 400,
            "{attempt}: {response:?}"
        );
        assert!(
            !String::from_utf8_lossy(&response.body).contains("top secret"),
            "{attempt} leaked the secret"
        );
        if response.says_close() {
            client = server.connect();
        }
    }
    // Decoded once, `%252e%252e` is an ordinary file name inside the root.
    get(&mut client, "/static/%252e%252e", &[]).assert(200, "a file named %2e%2e");
    // A symlink that stays inside is followed.
    get(&mut client, "/static/link.txt", &[]).assert(200, HELLO);
}

#[test]
fn symlinks_out_and_hidden_files_only_when_allowed() {
    let dir = site();
    let server = serve(&dir, |serve| serve.follow_symlinks(true).hidden(true));
    let mut client = server.connect();
    get(&mut client, "/static/escape.txt", &[]).assert(200, SECRET);
    get(&mut client, "/static/.env", &[]).assert(200, SECRET);
    // `..` stays refused whatever is allowed.
    assert_eq!(
        get(&mut client, "/static/%2e%2e/secret.txt", &[]).status,
        404
    );
}

#[test]
fn a_file_has_its_type_length_and_validators_and_head_matches_get() {
    let dir = site();
    let server = serve(&dir, |serve| serve);
    let mut client = server.connect();
    let response = get(&mut client, "/static/hello.txt", &[]);
    response.assert(200, HELLO);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.header("content-length"), Some("16"));
    assert_eq!(response.header("accept-ranges"), Some("bytes"));
    let etag = response.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    support::assert_date(response.header("last-modified").unwrap());

    client.send(request_with("HEAD", "/static/hello.txt", &[], ""));
    let head = client.head_response();
    assert_eq!(head.status, 200);
    for name in ["content-type", "content-length", "etag", "last-modified"] {
        assert_eq!(head.header(name), response.header(name), "{name}");
    }
    assert!(head.body.is_empty());
    // The connection is still in step after the HEAD.
    get(&mut client, "/static/sub/a.txt", &[]).assert(200, "in sub");
    get(&mut client, "/one.css", &[]).assert(200, "body { color: red }");
    assert_eq!(get(&mut client, "/static/missing.txt", &[]).status, 404);
    // A file named as a directory is not found.
    assert_eq!(get(&mut client, "/static/hello.txt/", &[]).status, 404);
    // Only GET and HEAD.
    let response = client.request(request_with("POST", "/static/hello.txt", &[], "x"));
    assert_eq!(response.status, 405, "{response:?}");
}

#[test]
fn not_modified_on_both_validators() {
    let dir = site();
    let server = serve(&dir, |serve| serve);
    let mut client = server.connect();
    let first = get(&mut client, "/static/hello.txt", &[]);
    let etag = first.header("etag").unwrap().to_owned();
    let modified = first.header("last-modified").unwrap().to_owned();

    let check = |client: &mut Client, headers: &[(&str, &str)], status: u16| {
        let response = get(client, "/static/hello.txt", headers);
        assert_eq!(response.status, status, "{headers:?}: {response:?}");
        if status == 304 {
            assert!(response.body.is_empty());
            assert_eq!(response.header("etag"), Some(etag.as_str()));
            assert_eq!(response.header("last-modified"), Some(modified.as_str()));
        } else {
            assert_eq!(response.text(), HELLO);
        }
    };
    check(&mut client, &[("if-none-match", &etag)], 304);
    check(
        &mut client,
        &[("if-none-match", &format!("\"x\", W/{etag}"))],
        304,
    );
    check(&mut client, &[("if-none-match", "*")], 304);
    check(&mut client, &[("if-none-match", "\"other\"")], 200);
    check(&mut client, &[("if-modified-since", &modified)], 304);
    check(
        &mut client,
        &[("if-modified-since", "Sat, 01 Jan 2000 00:00:00 GMT")],
        200,
    );
    check(&mut client, &[("if-modified-since", "garbage")], 200);
    // If-None-Match wins over a matching date.
    check(
        &mut client,
        &[
            ("if-none-match", "\"other\""),
            ("if-modified-since", &modified),
        ],
        200,
    );
    // A changed file has a new tag: the old one no longer matches.
    dir.write("public/hello.txt", "changed, and longer than before\n");
    let response = get(
        &mut client,
        "/static/hello.txt",
        &[("if-none-match", &etag)],
    );
    response.assert(200, "changed, and longer than before\n");
}

#[test]
fn ranges_answer_206_and_416_with_their_content_range() {
    let dir = site();
    let body: String = (0..1000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    dir.write("public/letters.txt", &body);
    let server = serve(&dir, |serve| serve);
    let mut client = server.connect();
    let check = |client: &mut Client, range: &str, content_range: &str, part: &str| {
        let response = get(client, "/static/letters.txt", &[("range", range)]);
        assert_eq!(response.status, 206, "{range}: {response:?}");
        assert_eq!(
            response.header("content-range"),
            Some(content_range),
            "{range}"
        );
        assert_eq!(
            response.header("content-length"),
            Some(part.len().to_string().as_str())
        );
        assert_eq!(response.text(), part, "{range}");
    };
    check(&mut client, "bytes=0-9", "bytes 0-9/1000", &body[..10]);
    check(
        &mut client,
        "bytes=990-",
        "bytes 990-999/1000",
        &body[990..],
    );
    check(&mut client, "bytes=-5", "bytes 995-999/1000", &body[995..]);
    check(
        &mut client,
        "bytes=500-500",
        "bytes 500-500/1000",
        &body[500..501],
    );
    check(
        &mut client,
        "bytes=900-5000",
        "bytes 900-999/1000",
        &body[900..],
    );

    for range in ["bytes=1000-", "bytes=2000-3000", "bytes=-0"] {
        let response = get(&mut client, "/static/letters.txt", &[("range", range)]);
        assert_eq!(response.status, 416, "{range}: {response:?}");
        assert_eq!(response.header("content-range"), Some("bytes */1000"));
    }
    // Several ranges, another unit, bad syntax: the whole file.
    for range in ["bytes=0-1,5-6", "lines=1-2", "bytes=9-1"] {
        get(&mut client, "/static/letters.txt", &[("range", range)]).assert(200, &body);
    }
    // If-Range: the range only for the version named.
    let etag = get(&mut client, "/static/letters.txt", &[])
        .header("etag")
        .unwrap()
        .to_owned();
    let response = get(
        &mut client,
        "/static/letters.txt",
        &[("range", "bytes=0-1"), ("if-range", &etag)],
    );
    response.assert(206, "ab");
    assert_eq!(response.header("content-range"), Some("bytes 0-1/1000"));
    let response = get(
        &mut client,
        "/static/letters.txt",
        &[("range", "bytes=0-1"), ("if-range", "\"stale\"")],
    );
    response.assert(200, &body);
}

#[test]
fn directories_use_their_index_and_redirect_to_their_slash() {
    let dir = site();
    let server = serve(&dir, |serve| serve.no_index());
    let mut client = server.connect();
    get(&mut client, "/default/", &[]).assert(200, "<h1>home</h1>");
    let response = get(&mut client, "/default", &[]);
    assert_eq!(response.status, 301);
    assert_eq!(response.header("location"), Some("/default/"));
    let response = get(&mut client, "/default/sub?x=1", &[]);
    assert_eq!(response.status, 301);
    assert_eq!(response.header("location"), Some("/default/sub/?x=1"));
    // `sub/` has no index.html.
    assert_eq!(get(&mut client, "/default/sub/", &[]).status, 404);
    // With no index, a directory is not found (never listed).
    assert_eq!(get(&mut client, "/static/", &[]).status, 404);
}

#[test]
fn precompressed_siblings_go_to_clients_that_accept_them() {
    let dir = site();
    let server = serve(&dir, |serve| serve.precompressed(true));
    let mut client = server.connect();
    let check = |client: &mut Client, accept: &str, encoding: Option<&str>, body: &str| {
        let response = get(client, "/static/style.css", &[("accept-encoding", accept)]);
        response.assert(200, body);
        assert_eq!(response.header("content-encoding"), encoding, "{accept}");
        assert_eq!(
            response.header("content-type"),
            Some("text/css; charset=utf-8")
        );
        assert_eq!(response.header("vary"), Some("accept-encoding"));
        response.header("etag").unwrap().to_owned()
    };
    let br = check(&mut client, "gzip, br", Some("br"), "pretend brotli");
    let gz = check(&mut client, "gzip", Some("gzip"), "pretend gzip");
    check(&mut client, "br;q=0.5, gzip", Some("gzip"), "pretend gzip");
    let plain = check(&mut client, "identity", None, "body { color: red }");
    assert!(br != gz && gz != plain && br != plain, "{br} {gz} {plain}");
    // A file with no sibling is sent as it is.
    get(
        &mut client,
        "/static/hello.txt",
        &[("accept-encoding", "br")],
    )
    .assert(200, HELLO);
}

#[test]
fn a_file_of_many_chunks_arrives_whole() {
    let dir = site();
    let data: Vec<u8> = (0..3_000_017u32)
        .map(|i| (i.wrapping_mul(31) >> 3) as u8)
        .collect();
    dir.write("public/data.bin", &data);
    let server = serve(&dir, |serve| serve);
    let mut client = server.connect();
    let response = get(&mut client, "/static/data.bin", &[]);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert!(!response.chunked);
    assert!(response.body == data, "the body differs");
    // A range deep inside it.
    let response = get(
        &mut client,
        "/static/data.bin",
        &[("range", "bytes=2000000-2300000")],
    );
    assert_eq!(response.status, 206);
    assert!(response.body == data[2_000_000..=2_300_000]);
}
