//! A real client: `curl` (which CI installs) against the server: GET, POST with a body, a
//! chunked upload (with and without `Expect: 100-continue`), HEAD, a chunked response, and
//! several requests over one connection.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::{TestServer, app, streamed_body};
use tide::server::Settings;

/// Runs curl with `args` (and `stdin` on its standard input); returns its standard output.
fn curl(args: &[&str], stdin: &[u8]) -> String {
    let mut child = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("curl must be installed to run this test (CI installs it)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(status.success(), "curl {args:?} failed: {status}\n{stderr}");
    String::from_utf8(stdout).expect("curl printed UTF-8")
}

#[test]
fn curl_get_post_and_chunked_upload() {
    let server = TestServer::start(Settings::default(), app);
    let base = format!("http://{}", server.addr());

    assert_eq!(
        curl(&[&format!("{base}/hello?who=curl")], b""),
        "/hello?who=curl"
    );

    let posted = curl(
        &["--data-binary", "posted by curl", &format!("{base}/echo")],
        b"",
    );
    assert_eq!(posted, "posted by curl");

    // 200 KB from standard input, sent chunked.
    let upload: String = (0..20_000).map(|i| format!("{:09}\n", i)).collect();
    let echoed = curl(
        &[
            "-H",
            "Transfer-Encoding: chunked",
            "--data-binary",
            "@-",
            &format!("{base}/echo"),
        ],
        upload.as_bytes(),
    );
    assert_eq!(echoed.len(), upload.len());
    assert!(echoed == upload, "the chunked upload came back altered");

    // The same, waiting for `100 Continue` first.
    let echoed = curl(
        &[
            "-H",
            "Transfer-Encoding: chunked",
            "-H",
            "Expect: 100-continue",
            "--data-binary",
            "@-",
            &format!("{base}/echo"),
        ],
        upload.as_bytes(),
    );
    assert!(
        echoed == upload,
        "the chunked upload after 100 Continue came back altered"
    );
}

#[test]
fn curl_head_streams_and_connection_reuse() {
    let server = TestServer::start(Settings::default(), app);
    let base = format!("http://{}", server.addr());

    let head = curl(&["--head", &format!("{base}/abc")], b"");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("content-length: 4\r\n"), "{head}");
    assert!(head.contains("date: "), "{head}");

    assert_eq!(curl(&[&format!("{base}/stream?7")], b""), streamed_body(7));

    // Three URLs in one run: curl reuses the connection, and counts the connects it made.
    let out = curl(
        &[
            "--write-out",
            " [%{num_connects}]\n",
            &format!("{base}/one"),
            &format!("{base}/two"),
            &format!("{base}/three"),
        ],
        b"",
    );
    assert_eq!(out, "/one [1]\n/two [0]\n/three [0]\n");
}
