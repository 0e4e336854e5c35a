//! A 100 MiB file served over a real socket with bounded memory: the process's resident set
//! (sampled while the file streams) grows by far less than the file. Alone in its file, so
//! that no other test's allocations move the figure. The file is sparse (a few marked bytes
//! in a hole), so making it costs no disk.
#![cfg(feature = "fs")]

mod support;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use support::{READ_TIMEOUT, TempDir, serve_app};

const FILE_BYTES: u64 = 100 * 1024 * 1024;
/// How much the resident set may grow while the file streams.
const MAX_GROWTH_BYTES: u64 = 40 * 1024 * 1024;

/// Bytes written into the hole, at these offsets.
const MARKS: [(u64, u8); 3] = [(0, b'A'), (FILE_BYTES / 2, b'M'), (FILE_BYTES - 1, b'Z')];

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn a_100_mib_file_streams_with_bounded_memory() {
    let dir = TempDir::new("large");
    let path = dir.path().join("big.bin");
    let mut file = File::create(&path).unwrap();
    file.set_len(FILE_BYTES).unwrap();
    for (at, byte) in MARKS {
        file.seek(SeekFrom::Start(at)).unwrap();
        file.write_all(&[byte]).unwrap();
    }
    drop(file);

    let mut app = tide::new();
    app.at("/files").serve_dir(dir.path());
    let server = serve_app(app);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();

    let baseline = resident_bytes();
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(resident_bytes(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };

    stream
        .write_all(b"GET /files/big.bin HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    // Read the head, then count the body as it arrives, keeping only the marked bytes.
    let mut head = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut received = 0u64;
    let mut marks = Vec::new();
    let mut in_head = true;
    while received < FILE_BYTES {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {received} body bytes");
        if in_head {
            head.extend_from_slice(&buf[..n]);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                in_head = false;
                let body = head.split_off(end + 4);
                count(&body, &mut received, &mut marks);
            }
        } else {
            count(&buf[..n], &mut received, &mut marks);
        }
    }
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();

    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {FILE_BYTES}\r\n")),
        "{head}"
    );
    assert_eq!(received, FILE_BYTES);
    assert_eq!(marks, MARKS);
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    assert!(
        growth < MAX_GROWTH_BYTES,
        "the resident set grew by {} MiB while serving a {} MiB file",
        growth >> 20,
        FILE_BYTES >> 20
    );
    eprintln!(
        "resident set growth while streaming 100 MiB: {} KiB",
        growth >> 10
    );
}

/// Counts `chunk` into `received`, noting the non-zero bytes and where they were.
fn count(chunk: &[u8], received: &mut u64, marks: &mut Vec<(u64, u8)>) {
    for (i, &byte) in chunk.iter().enumerate() {
        if byte != 0 {
            marks.push((*received + i as u64, byte));
        }
    }
    *received += chunk.len() as u64;
}
