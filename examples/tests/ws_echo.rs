//! The `ws_echo` example as a process, over real sockets: the page, the echo, the chat room
//! between two clients, and a graceful stop on SIGTERM that closes the sockets with 1001.
//!
//! It runs the example binary that `cargo test -p examples` builds alongside; with a
//! `--test ws_echo` filter cargo does not rebuild examples, so build it first
//! (`cargo build -p examples --example ws_echo`) when running this file alone.

mod process;

use process::Running;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use futures::StreamExt;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The example on a port the OS picks, and the address it printed.
fn start() -> (Running, SocketAddr) {
    let mut running = Running::start("ws_echo", &["127.0.0.1:0"]);
    let addr = running.printed("listening on http://").parse().unwrap();
    (running, addr)
}

type Client = WebSocketStream<romio::TcpStream>;

async fn connect(addr: SocketAddr, path: &str) -> Client {
    let stream = romio::TcpStream::connect(addr).await.unwrap();
    async_tungstenite::client_async(format!("ws://{addr}{path}"), stream)
        .await
        .expect("the handshake")
        .0
}

async fn next(client: &mut Client) -> Message {
    romio::time::timeout(TIMEOUT, client.next())
        .await
        .expect("a message in time")
        .expect("the socket is open")
        .expect("a message")
}

#[test]
fn the_page_the_echo_the_chat_room_and_a_graceful_stop() {
    let (mut running, addr) = start();

    let mut page = TcpStream::connect(addr).unwrap();
    page.set_read_timeout(Some(TIMEOUT)).unwrap();
    page.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut html = String::new();
    page.read_to_string(&mut html).unwrap();
    assert!(html.starts_with("HTTP/1.1 200 OK\r\n"), "{html}");
    assert!(html.contains("text/html"), "{html}");
    assert!(
        html.contains("new WebSocket(") && html.contains("/chat"),
        "{html}"
    );

    tide::runtime::block_on(async move {
        let mut echo = connect(addr, "/echo").await;
        echo.send(Message::text("hello")).await.unwrap();
        assert_eq!(next(&mut echo).await, Message::text("hello"));
        echo.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        assert_eq!(next(&mut echo).await, Message::binary(vec![1, 2, 3]));

        let mut alice = connect(addr, "/chat").await;
        assert_eq!(next(&mut alice).await, Message::text("#0 joined"));
        let mut bob = connect(addr, "/chat").await;
        assert_eq!(next(&mut alice).await, Message::text("#1 joined"));
        assert_eq!(next(&mut bob).await, Message::text("#1 joined"));
        alice.send(Message::text("hi bob")).await.unwrap();
        assert_eq!(next(&mut alice).await, Message::text("#0: hi bob"));
        assert_eq!(next(&mut bob).await, Message::text("#0: hi bob"));

        // SIGTERM: every open socket is told the server goes away.
        let pid = running.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        for client in [&mut echo, &mut alice, &mut bob] {
            loop {
                match next(client).await {
                    Message::Close(Some(frame)) => {
                        assert_eq!(u16::from(frame.code), 1001);
                        // Reading on sends the answering close; then the stream ends.
                        let end = romio::time::timeout(TIMEOUT, client.next()).await;
                        assert!(matches!(end, Ok(None)), "{end:?}");
                        break;
                    }
                    // Bob may still hear that alice left first, or the other way round.
                    Message::Text(text) => assert!(text.ends_with(" left"), "{text}"),
                    other => panic!("expected a close, got {other:?}"),
                }
            }
        }
        let status = running.child.wait().unwrap();
        assert!(status.success(), "{status}");
    });
}
