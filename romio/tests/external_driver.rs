//! The reactor turned by hand through the `Driver` seam, with no background thread.
//!
//! This file is its own test binary (its own process), so nothing else started romio's
//! background thread before the driver was attached.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::executor::block_on;
use futures::{AsyncReadExt, AsyncWriteExt};
use romio::reactor::Driver;
use romio::{TcpListener, TcpStream};

/// Names of this process's threads, from procfs.
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn a_thread_turning_the_reactor_by_hand_completes_io_without_a_background_thread() {
    let driver = Driver::attach();
    let stop = Arc::new(AtomicBool::new(false));
    let turns = Arc::new(AtomicUsize::new(0));
    let turner = {
        let (driver, stop, turns) = (driver.clone(), stop.clone(), turns.clone());
        std::thread::Builder::new()
            .name("hand-turner".into())
            .spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    if driver.turn(None) {
                        turns.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .unwrap()
    };

    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = async {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = [0; 4];
            stream.read_exact(&mut request).await.unwrap();
            romio::time::sleep(Duration::from_millis(5)).await;
            stream.write_all(b"pong").await.unwrap();
        };
        let client = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut reply = [0; 4];
            stream.read_exact(&mut reply).await.unwrap();
            reply
        };
        let ((), reply) = futures::join!(server, client);
        assert_eq!(&reply, b"pong");
    });

    assert!(
        turns.load(Ordering::Relaxed) > 0,
        "the hand turner never turned"
    );
    let names = thread_names();
    assert!(
        names.iter().any(|n| n == "hand-turner"),
        "procfs check is broken: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "romio-reactor"),
        "a background reactor thread was started: {names:?}"
    );

    // A second turner is told the reactor is busy rather than blocking. The hand turner
    // holds the turn for as long as it waits (forever: nothing is due), once it gets it;
    // on a loaded machine that may take a while, so try for long, pausing in between.
    let busy = {
        let driver = driver.clone();
        std::thread::spawn(move || {
            let give_up = std::time::Instant::now() + Duration::from_secs(10);
            while std::time::Instant::now() < give_up {
                if !driver.turn(Some(Duration::ZERO)) {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            false
        })
    };
    let told_busy = busy.join().unwrap();

    stop.store(true, Ordering::Release);
    driver.wake();
    turner.join().unwrap();
    assert!(told_busy, "turn never reported another thread turning");
}
