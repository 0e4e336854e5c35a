//! A strict real client: Python's standard `http.client` doing keep-alive requests, HEAD, a
//! chunked response and a chunked upload on one connection, checking statuses, headers and
//! bodies.

mod support;

use std::process::Command;

use support::{TestServer, app};
use tide::server::Settings;

const SCRIPT: &str = r#"
import email.utils, http.client, sys

conn = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)

def exchange(method, path, body=None, headers={}, **kw):
    conn.request(method, path, body=body, headers=headers, **kw)
    response = conn.getresponse()
    data = response.read()
    assert email.utils.parsedate_to_datetime(response.getheader("Date")), response.getheaders()
    return response, data

response, data = exchange("GET", "/first?x=1")
assert response.status == 200, response.status
assert response.version == 11, response.version
assert data == b"/first?x=1", data
assert response.getheader("Content-Length") == "10", response.getheaders()
sock = conn.sock

response, data = exchange("POST", "/echo", body=b"posted")
assert (response.status, data) == (200, b"posted"), (response.status, data)
assert conn.sock is sock, "a new connection after the POST"

response, data = exchange("HEAD", "/sized/path")
assert response.status == 200
assert response.getheader("Content-Length") == str(len("/sized/path")), response.getheaders()
assert data == b""
assert conn.sock is sock, "a new connection after HEAD"

response, data = exchange("GET", "/stream?6")
assert response.chunked, response.getheaders()
assert data == b"".join(b"chunk %d\n" % i for i in range(6)), data
assert conn.sock is sock, "a new connection after a chunked response"

response, data = exchange("POST", "/echo", body=iter([b"chunked ", b"upload"]), encode_chunked=True)
assert data == b"chunked upload", data
assert conn.sock is sock, "a new connection after a chunked upload"

response, data = exchange("GET", "/panic")
assert response.status == 500, response.status
assert conn.sock is sock, "a new connection after a 500"

response, data = exchange("GET", "/last", headers={"Connection": "close"})
assert data == b"/last"
assert response.will_close
print("ok")
"#;

#[test]
fn python_http_client_keep_alive_head_and_chunked() {
    let server = TestServer::start(Settings::default(), app);
    let addr = server.addr();
    let output = Command::new("python3")
        .args([
            "-c",
            SCRIPT,
            &addr.ip().to_string(),
            &addr.port().to_string(),
        ])
        .output()
        .expect("python3 must be installed to run this test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the script failed: {}\n{stdout}\n{stderr}",
        output.status
    );
    assert_eq!(stdout.trim(), "ok");
}
