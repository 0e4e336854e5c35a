//! Streamed responses ([`Body::from_stream`]): sent chunked to HTTP/1.1 clients, the bytes
//! intact; a stream that fails ends the connection without the last chunk.

mod support;

use std::io;

use bytes::Bytes;
use futures::StreamExt;
use http::{Request, Response};
use support::{TestServer, app, get, streamed_body};
use tide::Body;
use tide::server::Settings;

#[test]
fn a_streamed_response_arrives_chunked() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    let response = client.get("/stream?5");
    assert_eq!(response.status, 200);
    assert!(response.chunked, "{response:?}");
    assert_eq!(response.text(), streamed_body(5));
    assert!(!response.says_close(), "{response:?}");
    let empty = client.get("/stream?0");
    assert!(empty.chunked, "{empty:?}");
    assert_eq!(empty.text(), "");
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_long_stream_arrives_whole() {
    let server = TestServer::start(Settings::default(), app);
    let mut client = server.connect();
    // About 130 KB: several flushes of the write buffer.
    let response = client.get("/stream?12000");
    assert_eq!(response.text(), streamed_body(12000));
    client.get("/next").assert(200, "/next");
}

#[test]
fn a_failing_stream_ends_the_connection_without_the_last_chunk() {
    let service = |_: Request<Body>| async {
        let chunks = futures::stream::iter([
            Ok(Bytes::from_static(b"partial")),
            Err(io::Error::other("the source failed")),
        ]);
        Response::new(Body::from_stream(chunks))
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/"));
    let error = client
        .try_response()
        .expect_err("a chunked body cut short must not parse");
    assert!(
        error.kind() == io::ErrorKind::UnexpectedEof || support::is_reset(&error),
        "{error}"
    );
}

#[test]
fn a_response_streamed_from_the_request_body() {
    // The request body is read while the response is written.
    let service = |request: Request<Body>| async {
        let body = request
            .into_body()
            .map(|chunk| chunk.map_err(io::Error::other));
        Response::new(Body::from_stream(body))
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
         3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n\
         POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    );
    let first = client.response();
    assert_eq!(first.text(), "abcdefg");
    assert!(first.chunked);
    assert_eq!(client.response().text(), "hello");
}

#[test]
fn each_chunk_leaves_when_it_is_produced_not_when_the_buffer_fills() {
    // The test produces the chunks itself, one at a time, and reads each before it sends
    // the next: a server that held chunks back until its buffer filled (or the stream
    // ended) would leave the client waiting for the first one forever.
    let (chunks, produced) = futures::channel::mpsc::unbounded::<io::Result<Bytes>>();
    let produced = std::sync::Mutex::new(Some(produced));
    let service = move |_: Request<Body>| {
        let stream = produced.lock().unwrap().take().expect("one request");
        async move { Response::new(Body::from_stream(stream)) }
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/events"));
    let mut stream = client.stream().try_clone().unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut seen = Vec::new();
    for event in ["data: one\n\n", "data: two\n\n", "data: three\n\n"] {
        chunks.unbounded_send(Ok(Bytes::from(event))).unwrap();
        // Read until this event has arrived (the head comes with the first).
        while !String::from_utf8_lossy(&seen).contains(event) {
            let mut buf = [0u8; 1024];
            let n = std::io::Read::read(&mut stream, &mut buf)
                .unwrap_or_else(|error| panic!("{event:?} was not sent when produced: {error}"));
            assert!(n > 0, "the connection closed");
            seen.extend_from_slice(&buf[..n]);
        }
    }
    drop(chunks);
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
}

/// A stream that tells `dropped` when it is dropped (the engine let go of it).
struct DropTold<S> {
    inner: S,
    dropped: std::sync::mpsc::Sender<()>,
}

impl<S: futures::Stream + Unpin> futures::Stream for DropTold<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<S::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<S> Drop for DropTold<S> {
    fn drop(&mut self) {
        let _ = self.dropped.send(());
    }
}

/// A service answering every request with one chunk `first\n`, then a stream that stays
/// `Pending` forever; each stream says on the returned channel when it is dropped.
fn endless_service() -> (impl tide::server::Service, std::sync::mpsc::Receiver<()>) {
    let (dropped, drops) = std::sync::mpsc::channel();
    let dropped = std::sync::Mutex::new(dropped);
    let service = move |_: Request<Body>| {
        let dropped = dropped.lock().unwrap().clone();
        async move {
            let chunks = futures::stream::once(async { Ok(Bytes::from_static(b"first\n")) })
                .chain(futures::stream::pending::<io::Result<Bytes>>());
            let stream = DropTold {
                inner: Box::pin(chunks),
                dropped,
            };
            Response::new(Body::from_stream(stream))
        }
    };
    (service, drops)
}

/// Reads from `stream` into `seen` until `needle` has arrived.
fn read_until(stream: &mut impl std::io::Read, seen: &mut Vec<u8>, needle: &str) {
    while !String::from_utf8_lossy(seen).contains(needle) {
        let mut buf = [0u8; 4096];
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|error| panic!("waiting for {needle:?}: {error}"));
        assert!(n > 0, "the connection closed before {needle:?}: {seen:?}");
        seen.extend_from_slice(&buf[..n]);
    }
}

/// Generous: the drop happens as soon as the server reads the end of the stream.
const DROP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

#[test]
fn an_endless_stream_is_dropped_when_its_client_closes() {
    let (service, drops) = endless_service();
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/endless"));
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "first\n");
    // The stream now waits forever: no write will ever fail. Only the end of the client's
    // stream can tell the server that nobody listens any more.
    assert!(
        drops.try_recv().is_err(),
        "dropped while its client listens"
    );
    drop(client);
    drops
        .recv_timeout(DROP_TIMEOUT)
        .expect("the stream was not dropped after its client closed");
    // The server lives on.
    let mut other = server.connect();
    other.send(get("/again"));
    let mut seen = Vec::new();
    read_until(other.stream(), &mut seen, "first\n");
}

#[test]
fn a_half_closed_client_ends_a_waiting_stream_unless_half_close_is_allowed() {
    use std::net::Shutdown;
    // Default: the end of the client's stream while the response waits means it is gone.
    let (service, drops) = endless_service();
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.send(get("/endless"));
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "first\n");
    client.stream().shutdown(Shutdown::Write).unwrap();
    drops
        .recv_timeout(DROP_TIMEOUT)
        .expect("the stream was not dropped after its client's end of stream");
    support::assert_closed(client.stream());

    // `half_close(true)`: the client only closed its sending side; it keeps its response,
    // and is noticed as gone when it really closes and a write fails (none here: the
    // stream still waits when the test ends).
    let (tx, chunks) = futures::channel::mpsc::unbounded::<io::Result<Bytes>>();
    let chunks = std::sync::Mutex::new(Some(chunks));
    let service = move |_: Request<Body>| {
        let chunks = chunks.lock().unwrap().take().expect("one request");
        async move { Response::new(Body::from_stream(chunks)) }
    };
    let server = TestServer::start(Settings::default().half_close(true), service);
    let mut client = server.connect();
    client.send(get("/half"));
    tx.unbounded_send(Ok(Bytes::from_static(b"one\n"))).unwrap();
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "one\n");
    client.stream().shutdown(Shutdown::Write).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    tx.unbounded_send(Ok(Bytes::from_static(b"two\n"))).unwrap();
    read_until(client.stream(), &mut seen, "two\n");
    drop(tx);
    read_until(client.stream(), &mut seen, "0\r\n\r\n");
}

/// A stream of `chunks` produced `gap` apart (a romio timer between them).
fn paced(chunks: &'static [&'static str], gap: std::time::Duration) -> Body {
    let stream = futures::stream::iter(chunks).then(move |chunk| async move {
        romio::time::sleep(gap).await;
        Ok::<_, io::Error>(Bytes::from_static(chunk.as_bytes()))
    });
    Body::from_stream(stream)
}

#[test]
fn pipelined_responses_keep_their_order_around_a_waiting_stream() {
    let service = |request: Request<Body>| async move {
        match request.uri().path() {
            "/stream" => Response::new(paced(
                &["s1 ", "s2 ", "s3"],
                std::time::Duration::from_millis(100),
            )),
            path => support::text(http::StatusCode::OK, path),
        }
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    // All in one write, and one more request sent while the stream waits (the server reads
    // it while watching the client, and must keep it for after the stream).
    client.send([get("/a"), get("/stream"), get("/b")].concat());
    client.response().assert(200, "/a");
    std::thread::sleep(std::time::Duration::from_millis(50));
    client.send(get("/c"));
    let streamed = client.response();
    assert!(streamed.chunked, "{streamed:?}");
    assert_eq!(streamed.text(), "s1 s2 s3");
    client.response().assert(200, "/b");
    client.response().assert(200, "/c");
    client.get("/d").assert(200, "/d");
}

#[test]
fn many_requests_pipelined_behind_a_waiting_stream_wait_their_turn_intact() {
    // A small head limit: the reader stops reading the client once a head's worth is
    // buffered (backpressure), and nothing it read, or left unread, is lost.
    let service = |request: Request<Body>| async move {
        match request.uri().path() {
            "/stream" => Response::new(paced(
                &["x", "y", "z"],
                std::time::Duration::from_millis(100),
            )),
            path => support::text(http::StatusCode::OK, path),
        }
    };
    let server = TestServer::start(Settings::default().max_head_bytes(1024), service);
    let mut client = server.connect();
    client.send(get("/stream"));
    let queued: String = (0..300).map(|i| get(&format!("/q{i}"))).collect();
    assert!(queued.len() > 8 * 1024);
    client.send(queued);
    assert_eq!(client.response().text(), "xyz");
    for i in 0..300 {
        client.response().assert(200, &format!("/q{i}"));
    }
}

/// A Unix socket that counts the writes made to it.
struct CountingIo {
    io: romio::UnixStream,
    writes: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl futures::AsyncRead for CountingIo {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl futures::AsyncWrite for CountingIo {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = std::pin::Pin::new(&mut this.io).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = poll {
            this.writes.lock().unwrap().push(buf[..n].to_vec());
        }
        poll
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_close(cx)
    }
}

#[test]
fn a_burst_of_ready_chunks_leaves_in_one_write() {
    // Five chunks ready at once, then the stream waits (and later ends): the head and the
    // five chunks leave together, in one write.
    let service = |_: Request<Body>| async {
        let burst = futures::stream::iter(
            ["b1 ", "b2 ", "b3 ", "b4 ", "b5"]
                .map(|chunk| Ok(Bytes::from_static(chunk.as_bytes()))),
        );
        let later = futures::stream::once(async {
            romio::time::sleep(std::time::Duration::from_millis(200)).await;
            Ok::<_, io::Error>(Bytes::from_static(b" later"))
        });
        Response::new(Body::from_stream(burst.chain(later)))
    };
    let (server_side, client_side) = romio::UnixStream::pair().unwrap();
    let writes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let io = CountingIo {
        io: server_side,
        writes: writes.clone(),
    };
    let serving = std::thread::spawn(move || {
        let info = tide::server::ConnInfo {
            peer_addr: None,
            local_addr: None,
        };
        tide::runtime::block_on(tide::server::serve_connection(
            io,
            &service,
            &Settings::default(),
            info,
        ))
    });
    let client_side = client_side.into_std().unwrap();
    client_side.set_nonblocking(false).unwrap();
    client_side
        .set_read_timeout(Some(support::READ_TIMEOUT))
        .unwrap();
    let mut client = support::Client::new(client_side);
    client.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(client.response().text(), "b1 b2 b3 b4 b5 later");
    serving.join().unwrap().unwrap();
    let writes = writes.lock().unwrap();
    let first = String::from_utf8_lossy(&writes[0]);
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
    assert!(
        first.ends_with("3\r\nb1 \r\n3\r\nb2 \r\n3\r\nb3 \r\n3\r\nb4 \r\n2\r\nb5\r\n"),
        "the burst did not leave in the first write: {writes:?}"
    );
}
