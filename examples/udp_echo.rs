//! A UDP echo server: every datagram it receives goes back to its sender.
//!
//! ```text
//! cargo run --example udp_echo -- 127.0.0.1:8080
//! nc -u 127.0.0.1 8080        # in another terminal: each line you type comes back
//! ```
//!
//! The listen address is the first argument (default `127.0.0.1:8080`; use port 0 for any
//! free port). It runs on a juliex pool whose idle workers turn romio's reactor.

use romio::net::UdpSocket;

/// The largest datagram echoed whole; longer ones are truncated to this size.
const MAX_DATAGRAM: usize = 64 * 1024;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let driver = romio::reactor::Driver::attach();
    let waker = driver.clone();
    let pool = juliex::ThreadPool::builder()
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .build()?;
    pool.block_on(async {
        let socket = UdpSocket::bind(addr).await?;
        println!("listening on {}", socket.local_addr()?);
        let mut buf = vec![0; MAX_DATAGRAM];
        loop {
            let (len, peer) = socket.recv_from(&mut buf).await?;
            // A send can fail for one peer (no route to it, say): the server goes on.
            if let Err(error) = socket.send_to(&buf[..len], peer).await {
                eprintln!("could not echo to {peer}: {error}");
            }
        }
    })
}
