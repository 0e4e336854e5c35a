//! The `sse` example as a process, over a real socket: its clock sends one event per
//! second at `/events`, and `/` is a page with an `EventSource`.
//!
//! It runs the example binary that `cargo test -p examples` builds alongside; with a
//! `--test sse` filter cargo does not rebuild examples, so build it first
//! (`cargo build -p examples --example sse`) when running this file alone.

mod process;

use process::Running;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The example on a port the OS picks, and the address it printed.
fn start() -> (Running, String) {
    let mut running = Running::start("sse", &["127.0.0.1:0"]);
    let addr = running.printed("listening on http://");
    (running, addr)
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Reads until `seen` holds `needle` `count` times; returns when it did.
fn read_until(stream: &mut TcpStream, seen: &mut Vec<u8>, needle: &str, count: usize) -> Instant {
    while String::from_utf8_lossy(seen).matches(needle).count() < count {
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).expect("the next event");
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(seen));
        seen.extend_from_slice(&buf[..n]);
    }
    Instant::now()
}

#[test]
fn the_clock_sends_an_event_a_second_and_the_page_listens() {
    let (_running, addr) = start();
    let mut stream = connect(&addr);
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut seen = Vec::new();
    let first = read_until(&mut stream, &mut seen, "\ndata: ", 1);
    let second = read_until(&mut stream, &mut seen, "\ndata: ", 2);
    let gap = second - first;
    assert!(
        gap >= Duration::from_millis(500) && gap < Duration::from_secs(5),
        "{gap:?}"
    );
    let text = String::from_utf8_lossy(&seen);
    let lower = text.to_ascii_lowercase();
    assert!(lower.contains("content-type: text/event-stream"), "{text}");
    assert!(text.contains("id: 0\ndata: "), "{text}");
    assert!(text.contains("id: 1\ndata: "), "{text}");
    assert!(text.contains(" UTC\n\n"), "{text}");

    // A reconnecting browser resumes after its last id.
    let mut stream = connect(&addr);
    stream
        .write_all(b"GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 41\r\n\r\n")
        .unwrap();
    let mut seen = Vec::new();
    read_until(&mut stream, &mut seen, "id: 42\ndata: ", 1);

    let mut stream = connect(&addr);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut page = String::new();
    stream.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("new EventSource(\"/events\")"), "{page}");
}
