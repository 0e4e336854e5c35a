//! Memory held for clients that never read: 100 connections each pipeline 50 requests for a
//! 64 KiB response and read nothing. tide buffers what the sockets cannot take; the write
//! timeout must drop those connections and give the memory back.
//!
//! ```text
//! cargo bench -p benches --bench slow_readers
//! ```
//!
//! Prints the process's resident memory (VmRSS) before, while the clients hold their
//! connections, and after the write timeout (2 s here, 60 s by default) has dropped them,
//! with how many connections the server ended. Not a criterion bench: it measures memory,
//! once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const CLIENTS: usize = 100;
const REQUESTS_PER_CLIENT: usize = 50;
const RESPONSE_BYTES: usize = 64 * 1024;
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The process's resident memory in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

fn main() {
    // Under `cargo test --benches` the bench is only checked to build and start.
    if std::env::args().any(|arg| arg == "--test") {
        return;
    }
    let payload = "x".repeat(RESPONSE_BYTES);
    let mut app = tide::new();
    app.at("/big").get(move |_| {
        let payload = payload.clone();
        async move { Ok(payload) }
    });
    let settings = tide::server::Settings::default().write_timeout(WRITE_TIMEOUT);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tide::runtime::block_on(async move {
            let server = tide::server::Server::new(app.into_service())
                .with_settings(settings)
                .bind("127.0.0.1:0")
                .await
                .unwrap();
            addr_tx.send(server.local_addr().unwrap()).unwrap();
            server.serve().await.unwrap();
        })
    });
    let addr = addr_rx.recv().unwrap();

    // Warm up the allocator and the pool with honest clients.
    for _ in 0..10 {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /big HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
            .unwrap();
        std::io::copy(&mut stream, &mut std::io::sink()).unwrap();
    }
    let before = rss_kib();

    let request = "GET /big HTTP/1.1\r\nHost: b\r\n\r\n".repeat(REQUESTS_PER_CLIENT);
    println!(
        "slow_readers: {CLIENTS} clients x {REQUESTS_PER_CLIENT} pipelined {} KiB responses, \
         write timeout {WRITE_TIMEOUT:?}; RSS before: {before} KiB",
        RESPONSE_BYTES / 1024
    );
    // Three rounds: freed memory stays in the allocator (RSS need not fall), but a
    // connection's buffers that were really given back are reused, so later rounds do not
    // grow the process.
    for round in 1..=3 {
        let clients: Vec<TcpStream> = (0..CLIENTS)
            .map(|_| {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream.write_all(request.as_bytes()).unwrap();
                stream
            })
            .collect();
        std::thread::sleep(WRITE_TIMEOUT / 2);
        let holding = rss_kib();
        // Past the write timeout every connection should be gone: each client's read ends
        // (EOF or reset) once it has drained what the kernel had buffered.
        std::thread::sleep(WRITE_TIMEOUT * 2);
        let after = rss_kib();
        let started = Instant::now();
        let mut ended = 0;
        for mut client in clients {
            client
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = vec![0u8; 256 * 1024];
            let finished = loop {
                match client.read(&mut buf) {
                    Ok(0) | Err(_) => break true,
                    Ok(_) if started.elapsed() > Duration::from_secs(30) => break false,
                    Ok(_) => {}
                }
            };
            ended += usize::from(finished);
        }
        println!(
            "  round {round}: RSS while held +{} KiB, after the timeout +{} KiB; \
             connections the server ended: {ended} of {CLIENTS}",
            holding.saturating_sub(before),
            after.saturating_sub(before)
        );
    }
}
