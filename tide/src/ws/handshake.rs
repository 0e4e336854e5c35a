//! The opening handshake (RFC 6455 §4.2): [`WebSocketUpgrade`] checks a request and answers
//! it with the `101` whose continuation opens the [`WebSocket`]; [`endpoint`] makes a route
//! of it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::StatusCode;
use sha1::{Digest, Sha1};

use super::WebSocket;
use crate::endpoint::BoxFuture;
use crate::upgrade::{lists_token, requested};
use crate::{Endpoint, Request, Response};

/// The largest message (and frame) a [`WebSocket`] accepts unless told otherwise: 16 MiB.
/// A longer one is refused with close `1009`. (axum allows 64 MiB; a server that holds a whole
/// message in memory per connection is safer with less.)
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// The key every `Sec-WebSocket-Accept` is derived with (RFC 6455 §1.3).
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A checked WebSocket handshake, to be answered with [`on_upgrade`](Self::on_upgrade).
///
/// # Examples
///
/// An echo, written as a plain handler:
///
/// ```
/// use tide::ws::{Message, WebSocketUpgrade};
///
/// let mut app = tide::new();
/// app.at("/echo").get(|request: tide::Request| async move {
///     let upgrade = match WebSocketUpgrade::from_request(&request) {
///         Ok(upgrade) => upgrade,
///         Err(refusal) => return Ok(refusal.into()),
///     };
///     Ok(upgrade.on_upgrade(|mut socket| async move {
///         while let Some(Ok(message)) = socket.recv().await {
///             if matches!(message, Message::Text(_) | Message::Binary(_))
///                 && socket.send(message).await.is_err()
///             {
///                 break;
///             }
///         }
///     }))
/// });
/// ```
pub struct WebSocketUpgrade {
    accept: String,
    /// The client's `Sec-WebSocket-Protocol` list, in its order of preference.
    offered: Vec<String>,
    protocol: Option<String>,
    max_message_size: usize,
}

impl WebSocketUpgrade {
    /// Checks that `request` opens a WebSocket: an HTTP/1.1 `GET` with `Connection: upgrade`,
    /// `Upgrade: websocket` and a `Sec-WebSocket-Key` of 16 bytes in base64 (else `400`), and
    /// `Sec-WebSocket-Version: 13` (else `426 Upgrade Required` with
    /// `Sec-WebSocket-Version: 13`). The refusal is a response to answer with.
    pub fn from_request<State>(request: &Request<State>) -> Result<WebSocketUpgrade, Refusal> {
        let asks =
            requested(request).is_some_and(|asked| lists_token(asked.as_bytes(), b"websocket"));
        if !asks {
            return Err(Refusal::bad(
                "not a WebSocket handshake: an HTTP/1.1 GET with `Connection: upgrade` and \
                 `Upgrade: websocket` is needed",
            ));
        }
        if request.header("sec-websocket-version").map(str::trim) != Some("13") {
            return Err(Refusal {
                status: StatusCode::UPGRADE_REQUIRED,
                reason: "only WebSocket version 13 is supported",
            });
        }
        let key = request
            .header("sec-websocket-key")
            .map(str::trim)
            .filter(|key| BASE64.decode(key).is_ok_and(|bytes| bytes.len() == 16))
            .ok_or(Refusal::bad(
                "`Sec-WebSocket-Key` must be 16 bytes in base64",
            ))?;
        let offered = request
            .header_values("sec-websocket-protocol")
            .filter_map(|value| std::str::from_utf8(value).ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|protocol| !protocol.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(WebSocketUpgrade {
            accept: accept_key(key.as_bytes()),
            offered,
            protocol: None,
            max_message_size: DEFAULT_MAX_MESSAGE_BYTES,
        })
    }

    /// The subprotocols the server speaks: the first one the client offers (in the client's
    /// order of preference, RFC 6455 §11.3.4) is chosen and answered in
    /// `Sec-WebSocket-Protocol`; if the client offers none of them, none is chosen and the
    /// handshake goes on without (the client decides whether to stay).
    pub fn protocols<I, P>(mut self, protocols: I) -> WebSocketUpgrade
    where
        I: IntoIterator<Item = P>,
        P: AsRef<str>,
    {
        let supported: Vec<P> = protocols.into_iter().collect();
        self.protocol = self
            .offered
            .iter()
            .find(|offered| supported.iter().any(|p| p.as_ref() == offered.as_str()))
            .cloned();
        self
    }

    /// The subprotocol chosen by [`protocols`](Self::protocols), if any.
    pub fn selected_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The largest message (and frame) the socket accepts, in bytes (default
    /// [`DEFAULT_MAX_MESSAGE_BYTES`]); a longer one gets close `1009`.
    pub fn max_message_size(mut self, bytes: usize) -> WebSocketUpgrade {
        self.max_message_size = bytes;
        self
    }

    /// The `101 Switching Protocols` answer; once it is written, `handler` runs with the open
    /// socket, in the connection's task (see [`tide::upgrade`](crate::upgrade) for what that
    /// means for the connection cap and shutdown). When `handler` returns, the connection
    /// closes.
    pub fn on_upgrade<F, Fut>(self, handler: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_message_size));
        let protocol = self.protocol.clone();
        let mut response = Response::upgrade("websocket", move |upgraded| async move {
            let stream =
                WebSocketStream::from_raw_socket(upgraded, Role::Server, Some(config)).await;
            handler(WebSocket::new(stream, protocol)).await;
        });
        response.insert_header("sec-websocket-accept", &self.accept);
        if let Some(protocol) = &self.protocol {
            response.insert_header("sec-websocket-protocol", protocol);
        }
        response
    }
}

impl fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("offered", &self.offered)
            .field("protocol", &self.protocol)
            .field("max_message_size", &self.max_message_size)
            .finish_non_exhaustive()
    }
}

/// `Sec-WebSocket-Accept` for `key`: base64 of the SHA-1 of the key and the GUID.
fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID);
    BASE64.encode(sha1.finalize())
}

/// A request that does not open a WebSocket: `400`, or `426` with `Sec-WebSocket-Version: 13`
/// for a version other than 13. Answer with it (`Response::from`).
#[derive(Debug, Clone)]
pub struct Refusal {
    status: StatusCode,
    reason: &'static str,
}

impl Refusal {
    fn bad(reason: &'static str) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            reason,
        }
    }

    /// The status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for Response {
    fn from(refusal: Refusal) -> Response {
        let mut response = Response::from(format!("{}\n", refusal.reason));
        response.set_status(refusal.status);
        if refusal.status == StatusCode::UPGRADE_REQUIRED {
            response.insert_header("sec-websocket-version", "13");
            response.insert_header("upgrade", "websocket");
        }
        response
    }
}

/// A route that opens a WebSocket: the handshake is checked (a refusal answered `400`/`426`),
/// and `handler` gets the request and the open socket.
///
/// # Examples
///
/// ```
/// use tide::ws::{Message, WebSocket};
///
/// let mut app = tide::new();
/// app.at("/echo").get(
///     tide::ws::endpoint(|_request: tide::Request, mut socket: WebSocket| async move {
///         while let Some(Ok(message)) = socket.recv().await {
///             if let Message::Text(text) = message {
///                 if socket.send(Message::Text(text)).await.is_err() {
///                     break;
///                 }
///             }
///         }
///     })
///     .protocols(["echo"]),
/// );
/// ```
pub fn endpoint<State, F, Fut>(handler: F) -> WebSocketEndpoint<F>
where
    State: Clone + Send + Sync + 'static,
    F: Fn(Request<State>, WebSocket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    WebSocketEndpoint {
        handler: Arc::new(handler),
        protocols: Arc::from([]),
        max_message_size: DEFAULT_MAX_MESSAGE_BYTES,
    }
}

/// The endpoint [`endpoint`] makes.
pub struct WebSocketEndpoint<F> {
    handler: Arc<F>,
    protocols: Arc<[String]>,
    max_message_size: usize,
}

impl<F> WebSocketEndpoint<F> {
    /// The subprotocols the server speaks; see [`WebSocketUpgrade::protocols`].
    pub fn protocols<I, P>(mut self, protocols: I) -> WebSocketEndpoint<F>
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The largest message accepted; see [`WebSocketUpgrade::max_message_size`].
    pub fn max_message_size(mut self, bytes: usize) -> WebSocketEndpoint<F> {
        self.max_message_size = bytes;
        self
    }
}

impl<F> fmt::Debug for WebSocketEndpoint<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketEndpoint")
            .field("protocols", &self.protocols)
            .field("max_message_size", &self.max_message_size)
            .finish_non_exhaustive()
    }
}

impl<State, F, Fut> Endpoint<State> for WebSocketEndpoint<F>
where
    State: Clone + Send + Sync + 'static,
    F: Fn(Request<State>, WebSocket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, request: Request<State>) -> BoxFuture<'static, crate::Result<Response>> {
        let response = match WebSocketUpgrade::from_request(&request) {
            Ok(upgrade) => {
                let handler = self.handler.clone();
                upgrade
                    .protocols(self.protocols.iter())
                    .max_message_size(self.max_message_size)
                    .on_upgrade(move |socket| handler(request, socket))
            }
            Err(refusal) => refusal.into(),
        };
        Box::pin(std::future::ready(Ok(response)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_the_one_of_rfc_6455() {
        // RFC 6455 §1.3's example.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
