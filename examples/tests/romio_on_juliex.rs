//! romio's sockets and timers on juliex, with the reactor turned by juliex's idle workers
//! through the park hook (the wiring of DESIGN.md's seam): no romio background thread.
//!
//! One pool serves every test of this binary, so the driver stays attached for the whole
//! process and the thread check at the end of each test is meaningful.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use romio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use romio::reactor::Driver;

/// The pool every test runs on: workers park in romio's reactor.
fn pool() -> &'static juliex::ThreadPool {
    static POOL: OnceLock<juliex::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let driver = Driver::attach();
        let waker = driver.clone();
        juliex::ThreadPool::builder()
            .worker_threads(2)
            .thread_name("wired-worker")
            .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
            .build()
            .expect("start the pool")
    })
}

/// Asserts no romio background thread exists: the workers turned the reactor.
fn assert_no_background_reactor() {
    let names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("wired-worker")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "romio-reactor"),
        "background reactor started: {names:?}"
    );
}

fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(131) ^ seed) as u8)
        .collect()
}

async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(juliex::spawn(async move {
        let mut incoming = listener.incoming();
        while let Some(stream) = incoming.next().await {
            let stream = stream.unwrap();
            drop(juliex::spawn(async move {
                let (mut reader, mut writer) = (&stream, &stream);
                let _ = futures::io::copy(&mut reader, &mut writer).await;
            }));
        }
    }));
    addr
}

#[test]
fn a_thousand_concurrent_tcp_connections_echo_their_own_bytes() {
    let results = pool().block_on(async {
        let addr = echo_server().await;
        let clients: Vec<_> = (0..1000)
            .map(|seed| {
                juliex::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await?;
                    let sent = payload(seed, 2048);
                    stream.write_all(&sent).await?;
                    let mut received = vec![0; sent.len()];
                    stream.read_exact(&mut received).await?;
                    std::io::Result::Ok(received == sent)
                })
            })
            .collect();
        futures::future::join_all(clients).await
    });
    assert_eq!(results.len(), 1000);
    assert!(results.into_iter().all(|r| r.unwrap().unwrap()));
    assert_no_background_reactor();
}

#[test]
fn sleeps_never_fire_early_and_timeouts_elapse() {
    // Firing order is romio's own test (tests/timers.rs); here, under other tests' load, the
    // order in which woken tasks *run* is the scheduler's business, so only "never early"
    // and completion are checked.
    let fired = pool().block_on(async {
        let start = Instant::now();
        let sleeps: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|ms| {
                juliex::spawn(async move {
                    romio::time::sleep(Duration::from_millis(ms)).await;
                    (start.elapsed(), ms)
                })
            })
            .collect();
        let fired: Vec<(Duration, u64)> = futures::future::join_all(sleeps)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let slow = romio::time::timeout(
            Duration::from_millis(10),
            romio::time::sleep(Duration::from_secs(60)),
        );
        assert!(slow.await.is_err());
        fired
    });
    assert_eq!(fired.len(), 3);
    for (elapsed, ms) in fired {
        assert!(
            elapsed >= Duration::from_millis(ms),
            "a {ms} ms sleep fired after {elapsed:?}"
        );
    }
    assert_no_background_reactor();
}

#[test]
fn udp_and_unix_round_trips() {
    pool().block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        // The receiver waits in a task of its own; the datagram wakes it through the reactor.
        let receiver = juliex::spawn(async move {
            let mut buf = [0; 16];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            b.send_to(&buf[..n], from).await.unwrap();
            (buf[..n].to_vec(), from)
        });
        a.send_to(b"datagram", b_addr).await.unwrap();
        let mut echoed = [0; 16];
        let (n, from) = a.recv_from(&mut echoed).await.unwrap();
        assert_eq!((&echoed[..n], from), (&b"datagram"[..], b_addr));
        assert_eq!(receiver.await.unwrap(), (b"datagram".to_vec(), a_addr));

        let (mut left, mut right) = UnixStream::pair().unwrap();
        let writer = juliex::spawn(async move {
            left.write_all(b"over unix").await.unwrap();
        });
        let mut got = [0; 9];
        right.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"over unix");
        writer.await.unwrap();
    });
    assert_no_background_reactor();
}
