//! [`Message`], [`CloseFrame`], the [`close_code`]s and the [`Error`] of a WebSocket: tide's
//! own small types, so that the framing crate's versions never show in tide's API.

use std::fmt;
use std::io;

use async_tungstenite::tungstenite;
use bytes::Bytes;
use tungstenite::error::CapacityError;
use tungstenite::protocol::CloseFrame as RawCloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;

/// A WebSocket message: what [`WebSocket::recv`](super::WebSocket::recv) hands over (a
/// fragmented message arrives whole) and [`WebSocket::send`](super::WebSocket::send) sends.
///
/// Pings are answered with a pong by the socket itself (the ping is still handed over);
/// a received `Close` has been answered too, and the next `recv` says the socket ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8, checked on receipt).
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping, with at most 125 bytes of payload.
    Ping(Bytes),
    /// A pong, with at most 125 bytes of payload.
    Pong(Bytes),
    /// The closing handshake: a close code and reason, or none.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Bytes>) -> Message {
        Message::Binary(bytes.into())
    }

    pub(crate) fn from_raw(raw: tungstenite::Message) -> Option<Message> {
        Some(match raw {
            tungstenite::Message::Text(text) => Message::Text(text.as_str().to_owned()),
            tungstenite::Message::Binary(bytes) => Message::Binary(bytes),
            tungstenite::Message::Ping(bytes) => Message::Ping(bytes),
            tungstenite::Message::Pong(bytes) => Message::Pong(bytes),
            tungstenite::Message::Close(frame) => Message::Close(frame.map(CloseFrame::from_raw)),
            // Raw frames are only ever sent, never read.
            tungstenite::Message::Frame(_) => return None,
        })
    }

    pub(crate) fn into_raw(self) -> tungstenite::Message {
        match self {
            Message::Text(text) => tungstenite::Message::Text(text.into()),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
            Message::Ping(bytes) => tungstenite::Message::Ping(bytes),
            Message::Pong(bytes) => tungstenite::Message::Pong(bytes),
            Message::Close(frame) => tungstenite::Message::Close(frame.map(CloseFrame::into_raw)),
        }
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Message {
        Message::Binary(bytes.into())
    }
}

/// Why a WebSocket is closed: a code (see [`close_code`]) and a reason of at most 123 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code.
    pub code: u16,
    /// The reason, for people.
    pub reason: String,
}

impl CloseFrame {
    /// A close frame with `code` and `reason`.
    pub fn new(code: u16, reason: impl Into<String>) -> CloseFrame {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }

    fn from_raw(raw: RawCloseFrame) -> CloseFrame {
        CloseFrame {
            code: raw.code.into(),
            reason: raw.reason.as_str().to_owned(),
        }
    }

    pub(crate) fn into_raw(self) -> RawCloseFrame {
        RawCloseFrame {
            code: CloseCode::from(self.code),
            reason: self.reason.into(),
        }
    }
}

/// The close codes of RFC 6455 §7.4.1 that a server sends or meets most.
pub mod close_code {
    /// The purpose of the connection was fulfilled.
    pub const NORMAL: u16 = 1000;
    /// Going away: the server shuts down (tide sends it then), or a browser leaves the page.
    pub const AWAY: u16 = 1001;
    /// The peer broke the protocol (tide sends it for a malformed frame).
    pub const PROTOCOL: u16 = 1002;
    /// A message of a type the endpoint does not accept.
    pub const UNSUPPORTED: u16 = 1003;
    /// A text message that is not UTF-8 (tide sends it).
    pub const INVALID: u16 = 1007;
    /// A message that breaks the endpoint's policy.
    pub const POLICY: u16 = 1008;
    /// A message too big to process (tide sends it past the maximum message size).
    pub const SIZE: u16 = 1009;
    /// The server met an unexpected condition.
    pub const ERROR: u16 = 1011;
}

/// Why a WebSocket could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The socket is closed: the closing handshake is over, or the connection ended.
    Closed,
    /// A received message (or one frame of it) is longer than the maximum message size
    /// ([`WebSocketUpgrade::max_message_size`](super::WebSocketUpgrade::max_message_size)):
    /// the socket has sent close `1009` and ends.
    TooBig {
        /// The size seen so far.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// The peer broke the protocol (a malformed frame, text that is not UTF-8): the socket
    /// has sent close `1002` (`1007` for the text) and ends.
    Protocol(String),
    /// The connection failed.
    Io(io::Error),
}

impl Error {
    /// The close code the socket answers this error with, if any.
    pub(crate) fn close_code(&self) -> Option<u16> {
        match self {
            Error::TooBig { .. } => Some(close_code::SIZE),
            Error::Protocol(reason) if reason.starts_with("invalid UTF-8") => {
                Some(close_code::INVALID)
            }
            Error::Protocol(_) => Some(close_code::PROTOCOL),
            Error::Closed | Error::Io(_) => None,
        }
    }
}

impl From<tungstenite::Error> for Error {
    fn from(error: tungstenite::Error) -> Error {
        match error {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                Error::Closed
            }
            tungstenite::Error::Io(error) => Error::Io(error),
            tungstenite::Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                Error::TooBig {
                    size,
                    max: max_size,
                }
            }
            tungstenite::Error::Utf8(detail) => Error::Protocol(format!("invalid UTF-8: {detail}")),
            other => Error::Protocol(other.to_string()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Closed => f.write_str("the WebSocket is closed"),
            Error::TooBig { size, max } => {
                write!(
                    f,
                    "a WebSocket message of {size} bytes passed the maximum of {max}"
                )
            }
            Error::Protocol(reason) => write!(f, "WebSocket protocol error: {reason}"),
            Error::Io(error) => write!(f, "WebSocket connection failed: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(error) => Some(error),
            _ => None,
        }
    }
}
