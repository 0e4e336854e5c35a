//! A TCP echo server: everything a client sends comes back to it.
//!
//! Each connection is served by its own task on a juliex pool whose idle workers turn
//! romio's reactor (the three lines in `main`), so no romio background thread runs and an
//! I/O event wakes its task on the thread that runs it.
//!
//! Try it:
//!
//! ```text
//! cargo run -p examples --example echo -- 127.0.0.1:8080
//! nc 127.0.0.1 8080        # in another terminal: type lines, they come back
//! ```
//!
//! The first argument is the address to listen on (default `127.0.0.1:8080`; port 0 picks
//! a free port, printed at start). Connections, disconnections and errors are logged to
//! stderr; a failing connection never stops the server.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use romio::reactor::Driver;
use romio::{TcpListener, TcpStream};

/// Where to listen when no address is given.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// How long to back off after `accept` fails (for instance when out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let driver = Driver::attach();
    let waker = driver.clone();
    let pool = juliex::ThreadPool::builder()
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .build()?;
    pool.block_on(serve(&addr))
}

/// Accepts connections forever, one task each.
async fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("accept failed: {error}");
                romio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        eprintln!("{peer}: connected");
        // Detached: the task runs on until the client leaves.
        drop(juliex::spawn(echo(stream, peer)));
    }
}

/// Copies what `peer` sends back to it until it closes, then logs the outcome.
async fn echo(stream: TcpStream, peer: SocketAddr) {
    let (mut reader, mut writer) = (&stream, &stream);
    match futures::io::copy(&mut reader, &mut writer).await {
        Ok(bytes) => eprintln!("{peer}: disconnected after echoing {bytes} bytes"),
        Err(error) => eprintln!("{peer}: error: {error}"),
    }
}
