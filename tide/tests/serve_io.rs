//! `tide::server::serve_connection`: one connection served over a stream the caller brings,
//! through the same connection loop as tide's own listeners.

mod support;

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use futures::{AsyncRead, AsyncWrite, StreamExt};
use support::{Client, app, get, post};
use tide::server::{ConnInfo, Settings, serve_connection};

const NO_ADDRESS: ConnInfo = ConnInfo {
    peer_addr: None,
    local_addr: None,
};

/// Serves `app` on the server half of a Unix socket pair, on its own thread; returns the
/// client half as a blocking test client, and the thread.
fn serve_pair() -> (
    Client<std::os::unix::net::UnixStream>,
    thread::JoinHandle<io::Result<()>>,
) {
    let (server_side, client_side) = romio::UnixStream::pair().unwrap();
    let serving = thread::spawn(move || {
        tide::runtime::block_on(serve_connection(
            server_side,
            &app,
            &Settings::default(),
            NO_ADDRESS,
        ))
    });
    let client_side = client_side.into_std().unwrap();
    client_side.set_nonblocking(false).unwrap();
    (Client::new(client_side), serving)
}

#[test]
fn a_socket_pair_is_served_with_keep_alive_pipelining_and_close() {
    let (mut client, serving) = serve_pair();
    client.get("/first").assert(200, "/first");
    client.get("/second").assert(200, "/second");

    let batch = format!("{}{}{}", get("/p1"), post("/echo", "body two"), get("/p3"));
    client.send(batch);
    client.response().assert(200, "/p1");
    client.response().assert(200, "body two");
    let third = client.response();
    third.assert(200, "/p3");
    assert!(!third.says_close(), "{third:?}");

    let last = client.request("GET /last HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    last.assert(200, "/last");
    assert!(last.says_close(), "{last:?}");
    client.assert_closed();
    serving.join().unwrap().unwrap();
}

#[test]
fn a_bad_request_over_a_socket_pair_gets_its_400_and_the_connection_ends() {
    let (mut client, serving) = serve_pair();
    let response = client.request("GARBAGE\r\n\r\n");
    assert_eq!(response.status, 400, "{response:?}");
    client.assert_closed();
    serving.join().unwrap().unwrap();
}

/// An in-memory stream that is not a `Transport`: reads hand out `input`, then wait
/// forever; writes are buffered until flushed, like a TLS stream's.
struct Buffered {
    input: Vec<u8>,
    read: usize,
    pending: Vec<u8>,
    flushed: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Buffered {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.read == this.input.len() {
            return Poll::Pending;
        }
        let n = buf.len().min(this.input.len() - this.read);
        buf[..n].copy_from_slice(&this.input[this.read..this.read + n]);
        this.read += n;
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Buffered {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let pending = std::mem::take(&mut self.pending);
        self.flushed.lock().unwrap().extend_from_slice(&pending);
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

#[test]
fn a_buffering_stream_is_flushed_before_the_engine_waits_for_the_client() {
    let flushed = Arc::new(Mutex::new(Vec::new()));
    let io = Buffered {
        input: format!("{}{}", get("/one"), get("/two")).into_bytes(),
        read: 0,
        pending: Vec::new(),
        flushed: flushed.clone(),
    };
    tide::runtime::block_on(async {
        let settings = Settings::default();
        let serving = serve_connection(io, &app, &settings, NO_ADDRESS);
        // The client never sends more: the connection is still open when this ends.
        let outcome = romio::time::timeout(Duration::from_millis(500), serving).await;
        assert!(outcome.is_err(), "the connection ended: {outcome:?}");
    });
    let flushed = String::from_utf8(flushed.lock().unwrap().clone()).unwrap();
    assert_eq!(
        flushed.matches("HTTP/1.1 200 OK\r\n").count(),
        2,
        "{flushed}"
    );
    assert!(flushed.ends_with("/two"), "{flushed}");
}

/// Serves `service` on the server half of a socket pair until `signal` fires.
fn serve_pair_until(
    service: impl tide::server::Service,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> (
    Client<std::os::unix::net::UnixStream>,
    thread::JoinHandle<io::Result<()>>,
) {
    let (server_side, client_side) = romio::UnixStream::pair().unwrap();
    let serving = thread::spawn(move || {
        tide::runtime::block_on(tide::server::serve_connection_with_shutdown(
            server_side,
            &service,
            &Settings::default(),
            NO_ADDRESS,
            signal,
        ))
    });
    let client_side = client_side.into_std().unwrap();
    client_side.set_nonblocking(false).unwrap();
    client_side
        .set_read_timeout(Some(support::READ_TIMEOUT))
        .unwrap();
    (Client::new(client_side), serving)
}

#[test]
fn with_shutdown_an_idle_connection_closes_when_the_signal_comes() {
    let (signal, stop) = futures::channel::oneshot::channel::<()>();
    let (mut client, serving) = serve_pair_until(app, async move {
        let _ = stop.await;
    });
    let response = client.get("/before");
    response.assert(200, "/before");
    assert!(!response.says_close(), "{response:?}");
    signal.send(()).unwrap();
    client.assert_closed();
    serving.join().unwrap().unwrap();
}

#[test]
fn with_shutdown_the_request_in_flight_is_answered_with_close_then_the_connection_ends() {
    let gate = Arc::new(support::Gate::default());
    let (signal, stop) = futures::channel::oneshot::channel::<()>();
    let (mut client, serving) = serve_pair_until(gate.service(), async move {
        let _ = stop.await;
    });
    // A request pipelined behind the one in flight is never answered.
    client.send(format!("{}{}", get("/slow"), get("/after")));
    gate.wait_started();
    signal.send(()).unwrap();
    thread::sleep(Duration::from_millis(50));
    assert!(!serving.is_finished(), "the request in flight was cut off");
    gate.release();
    let response = client.response();
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), support::SLOW_BODY_BYTES);
    assert!(response.says_close(), "{response:?}");
    client.assert_closed();
    serving.join().unwrap().unwrap();
}

#[test]
fn a_buffering_stream_is_flushed_while_a_streamed_response_waits_for_its_next_chunk() {
    let flushed = Arc::new(Mutex::new(Vec::new()));
    let io = Buffered {
        input: get("/stream").into_bytes(),
        read: 0,
        pending: Vec::new(),
        flushed: flushed.clone(),
    };
    // One chunk, then a stream that never ends.
    let service = |_: http::Request<tide::Body>| async {
        let first =
            futures::stream::once(async { Ok::<_, io::Error>(bytes::Bytes::from("first")) });
        let stream = first.chain(futures::stream::pending());
        http::Response::new(tide::Body::from_stream(stream))
    };
    tide::runtime::block_on(async {
        let settings = Settings::default();
        let serving = serve_connection(io, &service, &settings, NO_ADDRESS);
        let outcome = romio::time::timeout(Duration::from_millis(500), serving).await;
        assert!(outcome.is_err(), "the connection ended: {outcome:?}");
    });
    let flushed = String::from_utf8(flushed.lock().unwrap().clone()).unwrap();
    assert!(flushed.starts_with("HTTP/1.1 200 OK\r\n"), "{flushed}");
    assert!(flushed.ends_with("\r\n5\r\nfirst\r\n"), "{flushed}");
}
