//! WebSocket (RFC 6455) endpoints, on [`tide::upgrade`](crate::upgrade) (feature `ws`).
//!
//! - [`endpoint`]: a route that opens a WebSocket and hands the handler the request and the
//!   [`WebSocket`]; or [`WebSocketUpgrade`] in a handler of your own, to decide per request.
//! - The handshake is checked: an HTTP/1.1 `GET` with `Connection: upgrade`,
//!   `Upgrade: websocket`, a `Sec-WebSocket-Key` of 16 bytes in base64 (else `400`) and
//!   `Sec-WebSocket-Version: 13` (else `426` with `Sec-WebSocket-Version: 13`); the answer
//!   carries `Sec-WebSocket-Accept` and the subprotocol chosen from the server's list
//!   ([`WebSocketUpgrade::protocols`]).
//! - [`Message`]s: text, binary (fragmented messages arrive whole), ping and pong (pings are
//!   answered by the socket), close with a [`CloseFrame`] (codes in [`close_code`]).
//! - Messages longer than [`DEFAULT_MAX_MESSAGE_BYTES`] (16 MiB, settable) are refused with
//!   close `1009`; malformed frames with `1002`, text that is not UTF-8 with `1007`.
//! - When the server shuts down, sockets send close `1001` (going away).
//!
//! The framing is async-tungstenite's (over futures-io, with no runtime of its own); the
//! handshake is tide's. The socket runs in the connection's task, so it counts against
//! `max_connections` until its handler returns, and it is aborted when the server's
//! `shutdown_timeout` passes.
//!
//! # Examples
//!
//! ```no_run
//! use tide::ws::{Message, WebSocket};
//!
//! let mut app = tide::new();
//! app.at("/echo").get(tide::ws::endpoint(
//!     |_request: tide::Request, mut socket: WebSocket| async move {
//!         while let Some(Ok(message)) = socket.recv().await {
//!             match message {
//!                 Message::Text(_) | Message::Binary(_) => {
//!                     if socket.send(message).await.is_err() {
//!                         break;
//!                     }
//!                 }
//!                 _ => {}
//!             }
//!         }
//!     },
//! ));
//! app.run("127.0.0.1:8080")?;
//! # std::io::Result::Ok(())
//! ```

mod handshake;
mod message;
mod socket;

pub use handshake::{
    DEFAULT_MAX_MESSAGE_BYTES, Refusal, WebSocketEndpoint, WebSocketUpgrade, endpoint,
};
pub use message::{CloseFrame, Error, Message, close_code};
pub use socket::WebSocket;
