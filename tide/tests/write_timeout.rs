//! The write timeout: a client that accepts no bytes for the write timeout is dropped, with
//! the responses the server held for it.

mod support;

use std::io::Read;
use std::time::Duration;

use support::{TestServer, app, get};
use tide::server::Settings;

const WRITE_TIMEOUT: Duration = Duration::from_millis(300);
const RESPONSES: usize = 32;
const RESPONSE_BYTES: usize = 1024 * 1024;

#[test]
fn a_client_that_never_reads_is_dropped_at_the_write_timeout() {
    let server = TestServer::start(Settings::default().write_timeout(WRITE_TIMEOUT), app);
    let mut client = server.connect();
    // 32 MiB of responses: far more than the socket buffers of both ends hold.
    let path = format!("/bytes?{RESPONSE_BYTES}");
    client.send((0..RESPONSES).map(|_| get(&path)).collect::<String>());
    std::thread::sleep(WRITE_TIMEOUT * 5);
    // Reading now: a dropped connection ends (EOF or reset) short of everything; a held one
    // would stream all 32 MiB and then stay open, and the read would time out.
    let stream = client.stream();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut total = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    let ended = loop {
        match stream.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => total += n,
            Err(error) => break Err(error),
        }
    };
    match ended {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(error) => panic!("the connection was not dropped: {error} after {total} bytes"),
    }
    assert!(total < RESPONSES * RESPONSE_BYTES, "read {total} bytes");
    // The server serves others as before.
    server.connect().get("/after").assert(200, "/after");
}
