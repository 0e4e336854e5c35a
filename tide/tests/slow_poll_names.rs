//! juliex's watchdog names the tide connection a slow poll belongs to: each connection's
//! task is named for its client's address.

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn a_handler_that_blocks_its_worker_is_reported_with_the_client_it_serves() {
    let (reports, reported) = mpsc::channel::<juliex::SlowPoll>();
    let reports = std::sync::Mutex::new(reports);
    let driver = romio::reactor::Driver::attach();
    let waker = driver.clone();
    let pool = juliex::ThreadPool::builder()
        .worker_threads(2)
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .on_slow_poll(
            Duration::from_millis(100),
            move |slow: &juliex::SlowPoll| {
                let _ = reports.lock().unwrap().send(slow.clone());
            },
        )
        .build()
        .unwrap();

    let mut app = tide::new();
    app.at("/block").get(|_| async {
        // A bug on purpose: blocks the worker instead of awaiting.
        std::thread::sleep(Duration::from_millis(600));
        Ok("done")
    });
    let server = pool.block_on(app.bind("127.0.0.1:0")).unwrap();
    let addr = server.local_addr().unwrap();
    let serving = pool.spawn(server.serve());

    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    client
        .write_all(b"GET /block HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let report = reported
        .recv_timeout(Duration::from_secs(20))
        .expect("the watchdog reports the blocked worker");
    let name = report.name.as_deref().unwrap_or("(unnamed)");
    let client_addr = client.local_addr().unwrap();
    assert_eq!(name, format!("tide connection from {client_addr}"));

    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    assert!(response.ends_with("\r\n\r\ndone"), "{response}");
    serving.abort();
}
