//! [`Body`]: the body of a request or a response.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use http::StatusCode;

/// Where a request body still arriving comes from: the contract between the body and the
/// engine that reads the connection (the engine implements it; the body knows nothing else
/// of the engine).
///
/// A source serves one body at a time. Each body is made under a *generation* the source
/// gave it; once the source has moved on (the handler answered and the engine took back what
/// was left of the body), a body of an older generation must get an error, never the bytes
/// of a later request.
pub(crate) trait BodySource: Send + Sync + 'static {
    /// Polls the next chunk of the body made under `generation`: `Some(Ok(chunk))` (never
    /// empty), `None` at the end of the body, an error when it cannot be read (a body of an
    /// older generation included). After `None` or an error it is not polled again.
    fn poll_chunk(
        &self,
        cx: &mut Context<'_>,
        generation: u64,
    ) -> Poll<Option<Result<Bytes, BodyError>>>;
}

/// The body of a request or a response: empty, a buffer, a stream of chunks, or (for a
/// request) the bytes still arriving on the connection.
///
/// A request body is read lazily: nothing is read (and a client that sent
/// `Expect: 100-continue` is not told to go on) until the handler asks for it. Reading it whole
/// with [`Body::bytes`] is bounded by the server's body limit; a body over the limit fails
/// with [`BodyError::TooLarge`] (413), whether it was sent with a length or chunked.
///
/// A request body is readable while its handler runs, and while the response it returned is
/// written (a streamed response may read it). After that the server takes back what is left
/// of it, and a body kept elsewhere (moved into a spawned task, say) fails with
/// [`BodyError::Io`] instead of reading a later request's bytes.
///
/// # Examples
///
/// ```
/// use tide::Body;
///
/// let body = Body::from("Hello, World!");
/// assert_eq!(body.len(), Some(13));
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    Empty,
    /// Bytes that live for the whole program (a `&'static str`): nothing to drop, and
    /// nothing to build until something asks for `Bytes`.
    Static(&'static [u8]),
    Full(Bytes),
    /// A body in the buffer it was built in (serialized JSON, a `String`, a `Vec`): turning
    /// a `Vec` whose capacity is not its length into `Bytes` allocates, so it stays a `Vec`
    /// until something asks for `Bytes`.
    Owned(Vec<u8>),
    /// A stream of chunks, and its total length when the producer knows it.
    Stream(
        Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>,
        Option<u64>,
    ),
    Incoming(Incoming),
    /// The body of a response to `HEAD`: its length (if known) is announced, nothing is sent.
    Omitted(Option<u64>),
}

/// A request body still arriving on the connection.
pub(crate) struct Incoming {
    source: Arc<dyn BodySource>,
    /// The source's generation when this body was made; once it moves on, this body is stale.
    generation: u64,
    /// The declared length, if the request had a `Content-Length`.
    length: Option<u64>,
    /// Most bytes [`Body::bytes`] accepts.
    limit: u64,
    finished: bool,
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body { kind: Kind::Empty }
    }

    /// Puts `body` in this one's place, dropping this one; an empty or static body (what a
    /// recycled request or response holds, the usual text answer) is dropped without
    /// calling into the drop glue.
    #[inline]
    pub(crate) fn replace_with(&mut self, body: Body) {
        if matches!(self.kind, Kind::Empty | Kind::Static(_)) {
            // Holds nothing to drop: overwritten, the old value never read.
            std::mem::forget(std::mem::replace(self, body));
        } else {
            *self = body;
        }
    }

    /// A body held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Body {
        Body {
            kind: Kind::Full(bytes.into()),
        }
    }

    /// A body produced chunk by chunk; it is sent with chunked coding.
    pub fn from_stream<S, B>(stream: S) -> Body
    where
        S: Stream<Item = io::Result<B>> + Send + 'static,
        B: Into<Bytes>,
    {
        Body {
            kind: Kind::Stream(Box::pin(stream.map(|chunk| chunk.map(Into::into))), None),
        }
    }

    /// A body produced chunk by chunk whose total is `length` bytes: it is sent with a
    /// `Content-Length` instead of chunked coding (a file, say). A stream that ends short of
    /// `length`, or runs past it, cannot be framed: the server closes the connection after it.
    ///
    /// ```
    /// use bytes::Bytes;
    ///
    /// let parts = [Ok::<_, std::io::Error>(Bytes::from("ab")), Ok(Bytes::from("cd"))];
    /// let body = tide::Body::from_stream_with_length(futures_util::stream::iter(parts), 4);
    /// assert_eq!(body.len(), Some(4));
    /// ```
    pub fn from_stream_with_length<S, B>(stream: S, length: u64) -> Body
    where
        S: Stream<Item = io::Result<B>> + Send + 'static,
        B: Into<Bytes>,
    {
        Body {
            kind: Kind::Stream(
                Box::pin(stream.map(|chunk| chunk.map(Into::into))),
                Some(length),
            ),
        }
    }

    /// A request body read from `source` under `generation`; [`Body::bytes`] accepts at most
    /// `limit` bytes of it.
    pub(crate) fn incoming(
        source: Arc<dyn BodySource>,
        generation: u64,
        length: Option<u64>,
        limit: u64,
    ) -> Body {
        Body {
            kind: Kind::Incoming(Incoming {
                source,
                generation,
                length,
                limit,
                finished: false,
            }),
        }
    }

    /// The length, when it is known without reading.
    pub fn len(&self) -> Option<u64> {
        match &self.kind {
            Kind::Empty => Some(0),
            Kind::Static(bytes) => Some(bytes.len() as u64),
            Kind::Full(bytes) => Some(bytes.len() as u64),
            Kind::Owned(bytes) => Some(bytes.len() as u64),
            Kind::Stream(_, length) => *length,
            Kind::Incoming(incoming) => incoming.length,
            Kind::Omitted(length) => *length,
        }
    }

    /// Whether the body is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The whole body in memory when it already is (no reading needed).
    pub(crate) fn as_full(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Empty | Kind::Omitted(_) => Some(&[]),
            Kind::Static(bytes) => Some(bytes),
            Kind::Full(bytes) => Some(bytes),
            Kind::Owned(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The bytes of a body held in memory (empty, static, `Bytes` or a `Vec`); `None` for
    /// any other (an omitted body among them: its length is not that of its bytes).
    pub(crate) fn held(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Empty => Some(&[]),
            Kind::Static(bytes) => Some(bytes),
            Kind::Full(bytes) => Some(bytes),
            Kind::Owned(bytes) => Some(bytes),
            Kind::Stream(..) | Kind::Incoming(_) | Kind::Omitted(_) => None,
        }
    }

    /// The buffer of a body kept as the `Vec` it was built in, taken (for reuse once the
    /// body is written), leaving this body empty; any other body is left as it is.
    pub(crate) fn take_buffer(&mut self) -> Option<Vec<u8>> {
        match &mut self.kind {
            Kind::Owned(buffer) => {
                let buffer = std::mem::take(buffer);
                self.kind = Kind::Empty;
                Some(buffer)
            }
            _ => None,
        }
    }

    /// This body as the body of an answer to `HEAD`: it keeps its length (if known) and
    /// sends nothing; a stream or a request body is dropped unread.
    pub(crate) fn into_omitted(self) -> Body {
        Body {
            kind: Kind::Omitted(self.len()),
        }
    }

    /// Reads the whole body, up to the server's body limit for a request body.
    pub async fn bytes(self) -> Result<Bytes, BodyError> {
        let limit = match &self.kind {
            Kind::Incoming(incoming) => incoming.limit,
            _ => u64::MAX,
        };
        self.bytes_limited(limit).await
    }

    /// Reads the whole body, failing with [`BodyError::TooLarge`] past `limit` bytes.
    pub async fn bytes_limited(mut self, limit: u64) -> Result<Bytes, BodyError> {
        if self.len().is_some_and(|len| len > limit) {
            return Err(BodyError::TooLarge { limit });
        }
        match self.kind {
            Kind::Empty | Kind::Omitted(_) => return Ok(Bytes::new()),
            Kind::Static(bytes) => return Ok(Bytes::from_static(bytes)),
            Kind::Full(bytes) => return Ok(bytes),
            Kind::Owned(bytes) => return Ok(bytes.into()),
            _ => {}
        }
        let mut all = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| self.poll_chunk(cx)).await {
            let chunk = chunk?;
            if (all.len() + chunk.len()) as u64 > limit {
                return Err(BodyError::TooLarge { limit });
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all.into())
    }

    /// Polls for the next chunk; `None` at the end.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        match &mut self.kind {
            Kind::Empty | Kind::Omitted(_) => Poll::Ready(None),
            Kind::Static(bytes) => {
                let bytes = *bytes;
                self.kind = Kind::Empty;
                Poll::Ready((!bytes.is_empty()).then(|| Ok(Bytes::from_static(bytes))))
            }
            Kind::Full(bytes) => {
                let bytes = std::mem::take(bytes);
                self.kind = Kind::Empty;
                Poll::Ready((!bytes.is_empty()).then_some(Ok(bytes)))
            }
            Kind::Owned(bytes) => {
                let bytes = std::mem::take(bytes);
                self.kind = Kind::Empty;
                Poll::Ready((!bytes.is_empty()).then(|| Ok(bytes.into())))
            }
            Kind::Stream(stream, _) => stream
                .as_mut()
                .poll_next(cx)
                .map(|item| item.map(|r| r.map_err(BodyError::Io))),
            Kind::Incoming(incoming) => incoming.poll_chunk(cx),
        }
    }
}

impl Incoming {
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        let poll = self.source.poll_chunk(cx, self.generation);
        if matches!(poll, Poll::Ready(None | Some(Err(_)))) {
            self.finished = true;
        }
        poll
    }
}

impl Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Empty => "empty",
            Kind::Static(_) | Kind::Full(_) | Kind::Owned(_) => "full",
            Kind::Stream(..) => "stream",
            Kind::Incoming(_) => "incoming",
            Kind::Omitted(_) => "omitted",
        };
        f.debug_struct("Body")
            .field("kind", &kind)
            .field("len", &self.len())
            .finish()
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body::from(text.as_bytes())
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Body {
        Body {
            kind: Kind::Static(bytes),
        }
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from(text.into_bytes())
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body {
            kind: Kind::Owned(bytes),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body::from_bytes(bytes)
    }
}

impl From<()> for Body {
    fn from((): ()) -> Body {
        Body::empty()
    }
}

/// Why a body could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum BodyError {
    /// The body is longer than the limit (413 Payload Too Large).
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The body's framing is malformed (400 Bad Request).
    Malformed(&'static str),
    /// The client closed the connection before the end of the body (400 Bad Request).
    UnexpectedEof,
    /// The client sent the body too slowly: no byte within the body read timeout, or below
    /// the minimum rate ([`Settings::body_read_timeout`](crate::server::Settings::body_read_timeout))
    /// (408 Request Timeout; the connection closes).
    TimedOut,
    /// The connection failed.
    Io(io::Error),
}

impl BodyError {
    /// The status that answers this error.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Malformed(_) | BodyError::UnexpectedEof => StatusCode::BAD_REQUEST,
            BodyError::TimedOut => StatusCode::REQUEST_TIMEOUT,
            BodyError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge { limit } => write!(f, "request body larger than {limit} bytes"),
            BodyError::Malformed(reason) => write!(f, "malformed request body: {reason}"),
            BodyError::UnexpectedEof => {
                f.write_str("connection closed before the end of the request body")
            }
            BodyError::TimedOut => write!(f, "the request body did not arrive in time"),
            BodyError::Io(error) => write!(f, "reading the request body failed: {error}"),
        }
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BodyError::Io(error) => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: Body, limit: u64) -> Result<Bytes, BodyError> {
        futures::executor::block_on(body.bytes_limited(limit))
    }

    fn stream_of(parts: &'static [&'static str]) -> Body {
        Body::from_stream(futures::stream::iter(
            parts
                .iter()
                .map(|part| Ok::<_, io::Error>(Bytes::from_static(part.as_bytes()))),
        ))
    }

    #[test]
    fn lengths_are_known_without_reading_except_for_streams() {
        assert_eq!(Body::empty().len(), Some(0));
        assert!(Body::empty().is_empty());
        assert_eq!(Body::from("abc").len(), Some(3));
        assert_eq!(Body::from(String::from("abcd")).len(), Some(4));
        assert_eq!(Body::from(vec![0u8; 5]).len(), Some(5));
        assert_eq!(stream_of(&["a"]).len(), None);
        assert!(!stream_of(&[]).is_empty());
    }

    #[test]
    fn a_body_built_in_a_vec_reads_like_bytes() {
        let mut json = Vec::with_capacity(128);
        json.extend_from_slice(b"{\"a\":1}");
        assert_eq!(Body::from(json.clone()).as_full(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(read(Body::from(json.clone()), 7).unwrap(), "{\"a\":1}");
        assert!(read(Body::from(json.clone()), 6).is_err());
        let mut body = Body::from(json);
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let first = body.poll_chunk(&mut cx);
        assert!(matches!(first, Poll::Ready(Some(Ok(ref b))) if b.as_ref() == b"{\"a\":1}"));
        assert!(matches!(body.poll_chunk(&mut cx), Poll::Ready(None)));
        assert!(matches!(
            Body::from(Vec::new()).poll_chunk(&mut cx),
            Poll::Ready(None)
        ));
    }

    #[test]
    fn a_stream_is_read_whole() {
        assert_eq!(read(stream_of(&["ab", "", "cd"]), 4).unwrap(), "abcd");
        assert_eq!(read(stream_of(&[]), 0).unwrap(), "");
    }

    #[test]
    fn the_limit_is_checked_before_and_while_reading() {
        // A known length over the limit fails without reading.
        let error = read(Body::from("12345"), 4).unwrap_err();
        assert!(
            matches!(error, BodyError::TooLarge { limit: 4 }),
            "{error:?}"
        );
        assert_eq!(read(Body::from("1234"), 4).unwrap(), "1234");
        // A stream fails as soon as it passes the limit.
        let error = read(stream_of(&["12", "34", "5"]), 4).unwrap_err();
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn a_failing_stream_fails_the_read() {
        let failing = Body::from_stream(futures::stream::iter([
            Ok(Bytes::from_static(b"ab")),
            Err(io::Error::other("broken source")),
        ]));
        let error = read(failing, 100).unwrap_err();
        assert!(matches!(error, BodyError::Io(_)), "{error:?}");
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn each_error_has_its_status_and_a_message() {
        let cases = [
            (BodyError::TooLarge { limit: 9 }, 413, "larger than 9 bytes"),
            (BodyError::Malformed("bad chunk"), 400, "bad chunk"),
            (BodyError::UnexpectedEof, 400, "closed before the end"),
            (BodyError::TimedOut, 408, "did not arrive in time"),
            (
                BodyError::Io(io::ErrorKind::BrokenPipe.into()),
                500,
                "failed",
            ),
        ];
        for (error, status, message) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert!(error.to_string().contains(message), "{error}");
        }
    }

    #[test]
    fn a_full_body_is_one_chunk_then_the_end() {
        let mut body = Body::from("once");
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        match body.poll_chunk(&mut cx) {
            Poll::Ready(Some(Ok(chunk))) => assert_eq!(chunk, "once"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(body.poll_chunk(&mut cx), Poll::Ready(None)));
        // An empty buffer has no chunk at all: a chunked encoder must not end early.
        assert!(matches!(
            Body::from("").poll_chunk(&mut cx),
            Poll::Ready(None)
        ));
    }

    #[test]
    fn a_static_body_reads_like_the_same_bytes_held_in_bytes() {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        for text in ["", "static text"] {
            let static_body = || Body::from(text);
            let held = || Body::from(Bytes::copy_from_slice(text.as_bytes()));
            assert!(matches!(static_body().kind, Kind::Static(_)));
            assert_eq!(static_body().len(), held().len());
            assert_eq!(static_body().as_full(), held().as_full());
            assert_eq!(
                read(static_body(), 100).unwrap(),
                read(held(), 100).unwrap()
            );
            let (mut a, mut b) = (static_body(), held());
            loop {
                match (a.poll_chunk(&mut cx), b.poll_chunk(&mut cx)) {
                    (Poll::Ready(Some(Ok(x))), Poll::Ready(Some(Ok(y)))) => assert_eq!(x, y),
                    (Poll::Ready(None), Poll::Ready(None)) => break,
                    other => panic!("{text:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn only_a_body_built_in_a_vec_gives_its_buffer_back() {
        let mut owned = Body::from(b"{}".to_vec());
        assert_eq!(owned.take_buffer(), Some(b"{}".to_vec()));
        assert!(owned.is_empty(), "taken: the body is empty");
        let mut text = Body::from("text");
        assert_eq!(text.take_buffer(), None);
        assert_eq!(text.as_full(), Some(&b"text"[..]), "any other body stays");
        let mut replaced = Body::from("old");
        replaced.replace_with(Body::from(vec![1, 2]));
        assert_eq!(replaced.as_full(), Some(&[1, 2][..]));
    }
}
