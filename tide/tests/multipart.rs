//! `Request::multipart` over a real socket: a 5 MiB file streamed through (by the raw client
//! and by `curl -F`), a field over the limit answers 413 with a message, so do too many
//! fields; a body that is not multipart 415, a malformed one 400.
#![cfg(feature = "multipart")]

mod support;

use std::process::Command;

use support::{TempDir, serve_app};
use tide::Request;
use tide::multipart::MultipartLimits;

const FILE_BYTES: usize = 5 * 1024 * 1024;

/// FNV-1a, to compare a file's bytes without keeping them.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash = (*hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

fn file_content() -> Vec<u8> {
    (0..FILE_BYTES).map(|i| (i * 7 % 253) as u8).collect()
}

/// Reports each field: `name=value`, or `name: file NAME, N bytes, hash H, type T`; the
/// file streamed chunk by chunk. `/upload` has 6 MiB fields, `/small` 1 MiB, `/few` at most
/// two fields.
fn app() -> tide::App<()> {
    async fn report(mut req: Request<()>, limits: MultipartLimits) -> tide::Result<String> {
        let mut form = req.multipart_with(limits)?;
        let mut lines = Vec::new();
        while let Some(mut field) = form.next_field().await? {
            let name = field.name().unwrap_or("?").to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let content_type = field.content_type().unwrap_or_default();
                    let (mut size, mut hash) = (0, FNV_START);
                    while let Some(chunk) = field.chunk().await? {
                        size += chunk.len();
                        fnv(&mut hash, &chunk);
                    }
                    lines.push(format!(
                        "{name}: file {file_name}, {size} bytes, hash {hash:x}, type {content_type}"
                    ));
                }
                None => lines.push(format!("{name}={}", field.text().await?)),
            }
        }
        Ok(lines.join("\n"))
    }
    let limits = |max_field_bytes, max_fields| MultipartLimits {
        max_fields,
        max_field_bytes,
        max_total_bytes: 8 * 1024 * 1024,
    };
    let mut app = tide::new();
    app.at("/upload")
        .post(move |req| report(req, limits(6 * 1024 * 1024, 10)));
    app.at("/small")
        .post(move |req| report(req, limits(1024 * 1024, 10)));
    app.at("/few").post(move |req| report(req, limits(1024, 2)));
    app.at("/default").post(|mut req: Request<()>| async move {
        let mut form = req.multipart()?;
        let mut n = 0;
        while form.next_field().await?.is_some() {
            n += 1;
        }
        Ok(n.to_string())
    });
    app
}

/// A multipart body: text fields, then a file field.
fn form(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--BOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, file_name, content)) = file {
        body.extend_from_slice(
            format!(
                "--BOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--BOUNDARY--\r\n");
    body
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

const MULTIPART: &str = "multipart/form-data; boundary=BOUNDARY";

fn expected_file_line(name: &str, file_name: &str) -> String {
    let mut hash = FNV_START;
    fnv(&mut hash, &file_content());
    format!(
        "{name}: file {file_name}, {FILE_BYTES} bytes, hash {hash:x}, type application/octet-stream"
    )
}

#[test]
fn a_5_mib_file_streams_through_with_its_fields() {
    let server = serve_app(app());
    let mut client = server.connect();
    let content = file_content();
    let body = form(
        &[("title", "holiday"), ("note", "ann lee")],
        Some(("photo", "big.bin", &content)),
    );
    let response = client.request(post("/upload", MULTIPART, &body));
    response.assert(
        200,
        &format!(
            "title=holiday\nnote=ann lee\n{}",
            expected_file_line("photo", "big.bin")
        ),
    );
    // The connection goes on.
    let response = client.request(post("/upload", MULTIPART, &form(&[("a", "1")], None)));
    response.assert(200, "a=1");
}

#[test]
fn curl_uploads_a_5_mib_file() {
    let dir = TempDir::new("multipart");
    let path = dir.write("big.bin", file_content());
    let server = serve_app(app());
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20"])
        .args(["-F", "title=from curl", "-F"])
        .arg(format!(
            "photo=@{};type=application/octet-stream",
            path.display()
        ))
        .arg(format!("http://{}/upload", server.addr()))
        .output()
        .expect("curl must be installed to run this test (CI installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "title=from curl\n{}",
            expected_file_line("photo", "big.bin")
        )
    );
}

#[test]
fn past_a_limit_answers_413_with_a_message() {
    let server = serve_app(app());
    let content = file_content();
    let body = form(
        &[("title", "x")],
        Some(("photo", "big.bin", &content[..2 * 1024 * 1024])),
    );
    let response = server.connect().request(post("/small", MULTIPART, &body));
    assert_eq!(response.status, 413, "{response:?}");
    assert!(
        response
            .text()
            .contains("\"photo\" is larger than 1048576 bytes"),
        "{response:?}"
    );

    let body = form(&[("a", "1"), ("b", "2"), ("c", "3")], None);
    let response = server.connect().request(post("/few", MULTIPART, &body));
    assert_eq!(response.status, 413, "{response:?}");
    assert!(
        response.text().contains("more than 2 fields"),
        "{response:?}"
    );

    // The whole body over the total limit (8 MiB).
    let big = vec![b'x'; 9 * 1024 * 1024];
    let body = form(&[], Some(("photo", "huge.bin", &big)));
    let response = server.connect().request(post("/upload", MULTIPART, &body));
    assert_eq!(response.status, 413, "{response:?}");
}

#[test]
fn not_multipart_or_malformed_is_a_client_error() {
    let server = serve_app(app());
    let mut client = server.connect();
    let response = client.request(post("/default", "application/json", b"{}"));
    assert_eq!(response.status, 415, "{response:?}");
    assert!(
        response.text().contains("multipart/form-data"),
        "{response:?}"
    );
    let response = client.request(post("/default", "multipart/form-data", b"x"));
    assert_eq!(response.status, 415, "{response:?}");
    let truncated = b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end";
    let response = client.request(post("/default", MULTIPART, truncated));
    assert_eq!(response.status, 400, "{response:?}");
    assert!(
        response.text().contains("malformed multipart form"),
        "{response:?}"
    );
}
