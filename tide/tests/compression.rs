//! `middleware::Compression` over a real socket: gzip and brotli bodies that curl
//! (`--compressed`), Python's `gzip` (and `brotli`, where installed) and flate2/brotli decode
//! to the original; negotiation by q-value; `Vary`; what is left alone (small bodies, images,
//! encoded bodies, ranges, `no-transform`); streamed bodies; HEAD.
#![cfg(feature = "compression")]

mod support;

use std::io::{self, Write};
use std::process::Command;

use bytes::Bytes;
use support::{Client, RawResponse, TempDir, request_with, serve_app};
use tide::middleware::Compression;
use tide::{Body, Response, StatusCode};

/// About 60 KB of text that compresses well but not trivially.
fn page() -> String {
    (0..2000)
        .map(|i| format!("<p>line {i}: the quick brown fox {}</p>\n", i * 7919 % 1000))
        .collect()
}

fn app(dir: &TempDir) -> tide::App<()> {
    let mut app = tide::new();
    app.with(Compression::new());
    app.at("/page").get(|_| async {
        Ok(Response::builder(StatusCode::OK)
            .content_type("text/html; charset=utf-8")
            .header("etag", "\"v1\"")
            .body(page())
            .build())
    });
    app.at("/small").get(|_| async { Ok("short") });
    app.at("/png").get(|_| async {
        Ok(Response::builder(StatusCode::OK)
            .content_type("image/png")
            .body(vec![7u8; 10_000])
            .build())
    });
    app.at("/encoded").get(|_| async {
        Ok(Response::builder(StatusCode::OK)
            .content_type("text/plain")
            .header("content-encoding", "gzip")
            .body("x".repeat(5000))
            .build())
    });
    app.at("/no-transform").get(|_| async {
        Ok(Response::builder(StatusCode::OK)
            .header("cache-control", "no-transform")
            .body("x".repeat(5000))
            .build())
    });
    app.at("/stream").get(|_| async {
        let lines = (0..200).map(|i| Ok::<_, io::Error>(Bytes::from(format!("data: {i}\n\n"))));
        let mut response = Response::new(StatusCode::OK);
        response.set_content_type("text/event-stream");
        response.set_body(Body::from_stream(futures::stream::iter(lines)));
        Ok(response)
    });
    app.at("/static").serve_dir(dir.path());
    app
}

fn stream_text() -> String {
    (0..200).map(|i| format!("data: {i}\n\n")).collect()
}

fn get(client: &mut Client, path: &str, accept: &str) -> RawResponse {
    client.request(request_with(
        "GET",
        path,
        &[("accept-encoding", accept)],
        "",
    ))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = flate2::write::GzDecoder::new(&mut out);
    decoder.write_all(bytes).unwrap();
    decoder.finish().unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    out
}

#[test]
fn gzip_and_brotli_bodies_decode_to_the_original() {
    let dir = TempDir::new("compression");
    let server = serve_app(app(&dir));
    let mut client = server.connect();
    let original = page();

    let gzip = get(&mut client, "/page", "gzip");
    assert_eq!(gzip.status, 200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.header("vary"), Some("accept-encoding"));
    assert_eq!(gzip.header("etag"), Some("W/\"v1\""));
    assert_eq!(
        gzip.header("content-length"),
        Some(gzip.body.len().to_string().as_str())
    );
    assert!(
        gzip.body.len() < original.len() / 3,
        "{} bytes",
        gzip.body.len()
    );
    assert!(gunzip(&gzip.body) == original.as_bytes());

    let br = get(&mut client, "/page", "gzip, deflate, br");
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(unbrotli(&br.body) == original.as_bytes());

    // q-values decide; identity when nothing offered is accepted.
    let response = get(&mut client, "/page", "br;q=0.2, gzip;q=0.9");
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let response = get(&mut client, "/page", "deflate, zstd");
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.header("vary"), Some("accept-encoding"));
    assert!(response.body == original.as_bytes());
    let response = get(&mut client, "/page", "gzip;q=0, br;q=0");
    assert_eq!(response.header("content-encoding"), None);

    // A streamed body is compressed as it streams (chunked).
    for (accept, decode) in [("gzip", gunzip as fn(&[u8]) -> Vec<u8>), ("br", unbrotli)] {
        let response = get(&mut client, "/stream", accept);
        assert_eq!(response.header("content-encoding"), Some(accept));
        assert!(response.chunked);
        assert_eq!(
            String::from_utf8(decode(&response.body)).unwrap(),
            stream_text()
        );
    }
}

#[test]
fn responses_that_do_not_gain_are_left_alone() {
    let dir = TempDir::new("compression");
    dir.write("big.txt", page());
    let server = serve_app(app(&dir));
    let mut client = server.connect();
    let check = |client: &mut Client, request: String, vary: bool| {
        let response = client.request(request);
        assert_eq!(response.header("content-encoding"), None, "{response:?}");
        assert_eq!(response.header("vary").is_some(), vary, "{response:?}");
        response
    };
    let plain = |path: &str| request_with("GET", path, &[("accept-encoding", "gzip, br")], "");
    check(&mut client, plain("/small"), false).assert(200, "short");
    assert_eq!(check(&mut client, plain("/png"), false).body.len(), 10_000);
    assert_eq!(
        check(&mut client, plain("/no-transform"), false).body.len(),
        5000
    );
    let encoded = client.request(plain("/encoded"));
    assert_eq!(encoded.header("content-encoding"), Some("gzip"));
    assert_eq!(encoded.body.len(), 5000, "compressed twice");
    // A range of a file is sent as it is, with the file's own Content-Range.
    let ranged = request_with(
        "GET",
        "/static/big.txt",
        &[("accept-encoding", "gzip"), ("range", "bytes=0-99")],
        "",
    );
    let response = check(&mut client, ranged, false);
    assert_eq!(response.status, 206);
    assert!(response.body == page().as_bytes()[..100]);
    // The whole file is compressed.
    let response = get(&mut client, "/static/big.txt", "gzip");
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert!(gunzip(&response.body) == page().as_bytes());
    // HEAD: the headers of the compressed answer, no body.
    client.send(request_with(
        "HEAD",
        "/page",
        &[("accept-encoding", "br")],
        "",
    ));
    let head = client.head_response();
    assert_eq!(head.header("content-encoding"), Some("br"));
    assert_eq!(head.header("vary"), Some("accept-encoding"));
    get(&mut client, "/small", "gzip").assert(200, "short");
}

/// Runs curl with `args`; returns its standard output.
fn curl(args: &[&str]) -> Vec<u8> {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl must be installed to run this test (CI installs it)");
    assert!(
        output.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn curl_decodes_gzip_and_brotli() {
    let dir = TempDir::new("compression");
    let server = serve_app(app(&dir));
    let url = format!("http://{}/page", server.addr());
    for coding in ["gzip", "br"] {
        // `--compressed` decodes; `-w` shows the coding the server chose.
        let accept = format!("Accept-Encoding: {coding}");
        let out = curl(&[
            "--compressed",
            "-H",
            &accept,
            "-w",
            "\n%header{content-encoding}",
            &url,
        ]);
        let text = String::from_utf8(out).unwrap();
        let (body, encoding) = text.rsplit_once('\n').unwrap();
        assert_eq!(encoding, coding);
        assert!(body == page(), "curl decoded {coding} to something else");
    }
}

const PYTHON: &str = r#"
import gzip, http.client, sys
conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
expected = open(sys.argv[3], "rb").read()
conn.request("GET", "/page", headers={"Accept-Encoding": "gzip"})
response = conn.getresponse()
assert response.getheader("Content-Encoding") == "gzip", response.getheaders()
assert gzip.decompress(response.read()) == expected
try:
    import brotli
except ImportError:
    print("ok (gzip; no brotli module)")
    sys.exit(0)
conn.request("GET", "/page", headers={"Accept-Encoding": "br"})
response = conn.getresponse()
assert response.getheader("Content-Encoding") == "br", response.getheaders()
assert brotli.decompress(response.read()) == expected
print("ok (gzip, brotli)")
"#;

#[test]
fn python_decodes_gzip() {
    let dir = TempDir::new("compression");
    let expected = dir.write("expected.html", page());
    let server = serve_app(app(&dir));
    let addr = server.addr();
    let output = Command::new("python3")
        .args([
            "-c",
            PYTHON,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .arg(&expected)
        .output()
        .expect("python3 must be installed to run this test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
