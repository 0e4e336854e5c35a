//! `tide::ws` over real sockets, with async-tungstenite as the client: text, binary,
//! fragmented messages, ping/pong, the closing handshake both ways, oversized messages
//! (close 1009), bad handshakes (400/426), subprotocols, and close 1001 at shutdown; then the
//! same exchange driven by Python's `websockets` package.
#![cfg(feature = "ws")]

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::protocol::frame::Frame;
use async_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use async_tungstenite::tungstenite::{self, Message as Raw};
use futures::{SinkExt, StreamExt};
use support::{READ_TIMEOUT, TestServer, serve_app};
use tide::Request;
use tide::ws::{Message, WebSocket, close_code};

/// Echoes text and binary messages; answers `"protocol?"` with the chosen subprotocol and
/// `"close?"` by closing with 4000.
async fn echo(_request: Request, mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        let answer = match message {
            Message::Text(text) if text == "protocol?" => {
                Message::text(socket.protocol().unwrap_or("none"))
            }
            Message::Text(text) if text == "close?" => {
                socket.close(4000, "asked to").await.unwrap();
                return;
            }
            Message::Text(_) | Message::Binary(_) => message,
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) => continue,
        };
        if socket.send(answer).await.is_err() {
            return;
        }
    }
}

fn server() -> TestServer {
    let mut app = tide::new();
    app.at("/echo")
        .get(tide::ws::endpoint(echo).protocols(["chat", "echo"]));
    app.at("/small")
        .get(tide::ws::endpoint(echo).max_message_size(1024));
    serve_app(app)
}

type Client = WebSocketStream<romio::TcpStream>;

async fn connect(addr: SocketAddr, path: &str, protocols: Option<&str>) -> Client {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    if let Some(protocols) = protocols {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols.parse().unwrap());
    }
    let stream = romio::TcpStream::connect(addr).await.unwrap();
    let (client, response) = async_tungstenite::client_async(request, stream)
        .await
        .expect("the handshake");
    assert_eq!(response.status(), 101);
    client
}

/// The next message, within [`READ_TIMEOUT`].
async fn next(client: &mut Client) -> Option<Raw> {
    romio::time::timeout(READ_TIMEOUT, client.next())
        .await
        .expect("a message in time")
        .map(|received| received.expect("a message, not an error"))
}

fn run<F: std::future::Future<Output = ()> + Send + 'static>(future: F) {
    tide::runtime::block_on(future);
}

fn close_code_of(message: Option<Raw>) -> u16 {
    match message {
        Some(Raw::Close(Some(frame))) => frame.code.into(),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[test]
fn text_and_binary_messages_are_echoed() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut client = connect(addr, "/echo", None).await;
        client.send(Raw::text("hello")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("hello")));
        let bytes: Vec<u8> = (0..=255).cycle().take(70_000).collect();
        client.send(Raw::binary(bytes.clone())).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::binary(bytes)));
        client.send(Raw::text("héllo, wörld")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("héllo, wörld")));
    });
}

#[test]
fn a_fragmented_message_arrives_whole() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut client = connect(addr, "/echo", None).await;
        // Raw frames: a text message in three fragments, with a ping between two of them
        // (control frames may come mid-message).
        let frames = [
            Frame::message("frag", OpCode::Data(Data::Text), false),
            Frame::message("men", OpCode::Data(Data::Continue), false),
            Frame::ping(b"mid".to_vec()),
            Frame::message("ted", OpCode::Data(Data::Continue), true),
        ];
        for frame in frames {
            client.feed(Raw::Frame(frame)).await.unwrap();
        }
        client.flush().await.unwrap();
        assert_eq!(
            next(&mut client).await,
            Some(Raw::Pong(b"mid".to_vec().into()))
        );
        assert_eq!(next(&mut client).await, Some(Raw::text("fragmented")));
    });
}

#[test]
fn pings_are_answered_with_pongs() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut client = connect(addr, "/echo", None).await;
        client
            .send(Raw::Ping(b"are you there".to_vec().into()))
            .await
            .unwrap();
        assert_eq!(
            next(&mut client).await,
            Some(Raw::Pong(b"are you there".to_vec().into()))
        );
        // The socket still works after.
        client.send(Raw::text("yes")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("yes")));
    });
}

#[test]
fn a_close_from_the_client_is_answered_and_the_connection_ends() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut client = connect(addr, "/echo", None).await;
        client.send(Raw::text("before")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("before")));
        client
            .close(Some(tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await
            .unwrap();
        assert_eq!(close_code_of(next(&mut client).await), close_code::NORMAL);
        // The closing handshake is over: the stream ends, cleanly.
        assert_eq!(next(&mut client).await, None);
    });
}

#[test]
fn a_close_from_the_server_carries_its_code_and_reason() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut client = connect(addr, "/echo", None).await;
        client.send(Raw::text("close?")).await.unwrap();
        match next(&mut client).await {
            Some(Raw::Close(Some(frame))) => {
                assert_eq!(u16::from(frame.code), 4000);
                assert_eq!(frame.reason.as_str(), "asked to");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
        // The client's answering close goes out as it reads; then the stream ends.
        assert_eq!(next(&mut client).await, None);
    });
}

#[test]
fn an_oversized_message_is_refused_with_close_1009() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut client = connect(addr, "/small", None).await;
        client.send(Raw::text("x".repeat(1024))).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("x".repeat(1024))));
        client.send(Raw::text("x".repeat(1025))).await.unwrap();
        assert_eq!(close_code_of(next(&mut client).await), close_code::SIZE);
    });
    // Fragments that are each small but together too big are refused too.
    run(async move {
        let mut client = connect(addr, "/small", None).await;
        let part = "y".repeat(600);
        client
            .feed(Raw::Frame(Frame::message(
                part.clone(),
                OpCode::Data(Data::Text),
                false,
            )))
            .await
            .unwrap();
        client
            .feed(Raw::Frame(Frame::message(
                part,
                OpCode::Data(Data::Continue),
                true,
            )))
            .await
            .unwrap();
        client.flush().await.unwrap();
        assert_eq!(close_code_of(next(&mut client).await), close_code::SIZE);
    });
}

#[test]
fn the_subprotocol_is_chosen_from_the_servers_list_in_the_clients_order() {
    let server = server();
    let addr = server.addr();
    run(async move {
        let mut request = format!("ws://{addr}/echo").into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "unknown, echo, chat".parse().unwrap(),
        );
        let stream = romio::TcpStream::connect(addr).await.unwrap();
        let (mut client, response) = async_tungstenite::client_async(request, stream)
            .await
            .unwrap();
        assert_eq!(response.headers()["sec-websocket-protocol"], "echo");
        client.send(Raw::text("protocol?")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("echo")));

        // Nothing offered: none chosen.
        let mut client = connect(addr, "/echo", None).await;
        client.send(Raw::text("protocol?")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("none")));
    });
}

/// Sends `request` over a plain socket and reads the whole answer (the server closes after a
/// refused handshake or keeps the connection: the answer is read by its length).
fn raw_exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "closed early: {text:?}");
        got.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn bad_handshakes_get_400_or_426_and_never_a_socket() {
    let server = server();
    let addr = server.addr();
    let handshake = |version: &str, fields: &str| {
        format!(
            "GET /echo {version}\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n{fields}\r\n"
        )
    };
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let v13 = "Sec-WebSocket-Version: 13\r\n";
    let cases = [
        // No key, a key that is not 16 bytes, one that is not base64.
        (handshake("HTTP/1.1", v13), 400),
        (
            handshake("HTTP/1.1", &format!("{v13}Sec-WebSocket-Key: c2hvcnQ=\r\n")),
            400,
        ),
        (
            handshake(
                "HTTP/1.1",
                &format!("{v13}Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!!!\r\n"),
            ),
            400,
        ),
        // No version, or another one: 426, naming 13.
        (handshake("HTTP/1.1", key), 426),
        (
            handshake("HTTP/1.1", &format!("{key}Sec-WebSocket-Version: 8\r\n")),
            426,
        ),
        // Not an upgrade at all: a plain GET, an HTTP/1.0 one, another protocol.
        ("GET /echo HTTP/1.1\r\nHost: t\r\n\r\n".to_owned(), 400),
        (handshake("HTTP/1.0", &format!("{key}{v13}")), 400),
        (
            format!(
                "GET /echo HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\nUpgrade: h2c\r\n{key}{v13}\r\n"
            ),
            400,
        ),
    ];
    for (request, status) in cases {
        let answer = raw_exchange(addr, &request);
        assert!(
            // An HTTP/1.0 request is answered in HTTP/1.0.
            answer.starts_with(&format!("HTTP/1.1 {status} "))
                || answer.starts_with(&format!("HTTP/1.0 {status} ")),
            "{request:?} -> {answer}"
        );
        if status == 426 {
            assert!(
                answer
                    .to_ascii_lowercase()
                    .contains("\r\nsec-websocket-version: 13\r\n"),
                "{answer}"
            );
        }
    }
    // The good one, by hand: the RFC's key gets the RFC's accept value.
    let answer = raw_exchange(addr, &handshake("HTTP/1.1", &format!("{key}{v13}")));
    assert!(
        answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{answer}"
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nsec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{answer}"
    );
}

#[test]
fn server_shutdown_closes_sockets_with_1001() {
    let server = server();
    let addr = server.addr();
    let handle = server.shutdown_handle();
    run(async move {
        let mut client = connect(addr, "/echo", None).await;
        client.send(Raw::text("here")).await.unwrap();
        assert_eq!(next(&mut client).await, Some(Raw::text("here")));
        handle.shutdown();
        assert_eq!(close_code_of(next(&mut client).await), close_code::AWAY);
        assert_eq!(next(&mut client).await, None);
    });
    // The handler ended with the closing handshake: serve returns.
    server.join().unwrap();
}

const PYTHON_CLIENT: &str = r#"
import asyncio, sys
import websockets
from websockets.exceptions import ConnectionClosed

async def main(url):
    async with websockets.connect(url, subprotocols=["chat"], max_size=None) as ws:
        assert ws.subprotocol == "chat", ws.subprotocol
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x00\x01binary")
        assert await ws.recv() == b"\x00\x01binary"
        # A fragmented message: an iterable is sent as fragments.
        await ws.send(["frag", "men", "ted"])
        assert await ws.recv() == "fragmented"
        pong = await ws.ping(b"ping!")
        await asyncio.wait_for(pong, 10)
        await ws.send("protocol?")
        assert await ws.recv() == "chat"
    assert ws.close_code == 1000, ws.close_code

    # Oversized: refused with 1009.
    async with websockets.connect(url.replace("/echo", "/small"), max_size=None) as ws:
        await ws.send("x" * 2000)
        try:
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("an oversized message was answered")
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            assert code == 1009, code
    print("ok")

asyncio.run(main(sys.argv[1]))
"#;

/// Whether `python3` can import `websockets`; why not, if not.
fn python_websockets() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import websockets"])
        .output()
    {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
        Err(error) => Err(format!("no python3: {error}")),
    }
}

#[test]
fn python_websockets_exchanges_every_kind_of_message() {
    if let Err(why) = python_websockets() {
        assert!(
            std::env::var("TIDE_REQUIRE_PYTHON_WS").as_deref() != Ok("1"),
            "TIDE_REQUIRE_PYTHON_WS=1 but Python's websockets is not importable: {why}"
        );
        println!("skipped: Python's websockets package is not importable ({why})");
        return;
    }
    let server = server();
    let output = Command::new("python3")
        .args(["-c", PYTHON_CLIENT, &format!("ws://{}/echo", server.addr())])
        .output()
        .expect("running python3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.trim() == "ok",
        "python failed:\n{stdout}\n{stderr}"
    );
}

#[test]
fn a_peer_that_never_answers_the_going_away_close_is_let_go() {
    let server = server();
    let addr = server.addr();
    let handle = server.shutdown_handle();
    let started = std::time::Instant::now();
    let client = std::thread::spawn(move || {
        run(async move {
            let mut client = connect(addr, "/echo", None).await;
            client.send(Raw::text("here")).await.unwrap();
            assert_eq!(next(&mut client).await, Some(Raw::text("here")));
            handle.shutdown();
            assert_eq!(close_code_of(next(&mut client).await), close_code::AWAY);
            // Never reads again, so never answers: the server stops waiting after 5 s, well
            // before its 30 s shutdown timeout would abort the handler.
            romio::time::sleep(std::time::Duration::from_secs(8)).await;
        })
    });
    server.join().unwrap();
    let waited = started.elapsed();
    assert!(waited < std::time::Duration::from_secs(8), "{waited:?}");
    client.join().unwrap();
}
