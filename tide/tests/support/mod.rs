//! What the engine tests share: a [`TestServer`] serving on a background thread, a raw
//! HTTP/1.1 [`Client`] over a blocking socket that parses responses strictly enough to check
//! framing, keep-alive and pipelining, [`assert_closed`], and [`app`], the service most tests
//! run.
//!
//! Every read has a generous timeout ([`READ_TIMEOUT`]): a server that hangs fails the test
//! instead of blocking the suite.

// Each test file is its own crate and uses a different part of this module.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use tide::Body;
use tide::server::{Listening, Server, Service, Settings, ShutdownHandle};

/// How long any read or write of a test client may block before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`TestServer::join`] waits for `serve` to return.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A server running `serve` on its own thread, inside `tide::runtime::block_on`.
///
/// Dropping it starts the graceful shutdown but does not wait for it; [`TestServer::join`]
/// does.
pub struct TestServer {
    addr: Option<SocketAddr>,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl TestServer {
    /// Serves `service` with `settings` on `127.0.0.1`, on a port the OS picks.
    pub fn start(settings: Settings, service: impl Service) -> TestServer {
        TestServer::bind("127.0.0.1:0", settings, service)
    }

    /// Serves `service` with `settings` on `addr` (`"[::1]:0"`, say).
    pub fn bind(addr: &str, settings: Settings, service: impl Service) -> TestServer {
        let server = Server::new(service).with_settings(settings);
        let listening = tide::runtime::block_on(server.bind(addr))
            .unwrap_or_else(|error| panic!("cannot bind {addr}: {error}"));
        TestServer::serve(listening)
    }

    /// Serves `service` with `settings` on a Unix socket at `path`.
    pub fn bind_unix(path: &Path, settings: Settings, service: impl Service) -> TestServer {
        let server = Server::new(service).with_settings(settings);
        let listening = tide::runtime::block_on(server.bind_unix(path))
            .unwrap_or_else(|error| panic!("cannot bind {}: {error}", path.display()));
        TestServer::serve(listening)
    }

    fn serve(listening: Listening) -> TestServer {
        let addr = listening.local_addr();
        let shutdown = listening.shutdown_handle();
        let thread = std::thread::spawn(move || tide::runtime::block_on(listening.serve()));
        TestServer {
            addr,
            shutdown,
            thread: Some(thread),
        }
    }

    /// The TCP address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr.expect("this server listens on a Unix socket")
    }

    /// A handle that starts the graceful shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Starts the graceful shutdown.
    pub fn shutdown(&self) {
        self.shutdown.shutdown();
    }

    /// Whether `serve` is still running.
    pub fn is_serving(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(|thread| !thread.is_finished())
    }

    /// A new client connected to the server.
    pub fn connect(&self) -> Client {
        Client::connect(self.addr())
    }

    /// Starts the graceful shutdown and waits for `serve` to return.
    pub fn stop(self) -> io::Result<()> {
        self.shutdown();
        self.join()
    }

    /// Waits (up to [`JOIN_TIMEOUT`]) for `serve` to return, and returns what it returned.
    pub fn join(mut self) -> io::Result<()> {
        let thread = self.thread.take().expect("joined once");
        let deadline = Instant::now() + JOIN_TIMEOUT;
        while !thread.is_finished() {
            assert!(
                Instant::now() < deadline,
                "serve did not return within {JOIN_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        thread.join().expect("the serving thread panicked")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// A response as it came off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The header fields, in order, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, with chunked framing removed.
    pub body: Vec<u8>,
    /// Whether the body was chunked.
    pub chunked: bool,
}

impl RawResponse {
    /// The value of the one field named `name`; panics if it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_all(name);
        assert!(values.len() <= 1, "{name} appears more than once: {self:?}");
        values.first().copied()
    }

    /// Every value of the fields named `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether the response says `Connection: close`.
    pub fn says_close(&self) -> bool {
        self.header_all("connection")
            .into_iter()
            .flat_map(|v| v.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case("close"))
    }

    /// The body as text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("the body is UTF-8")
    }

    /// Asserts the status and body, with the whole response in the message.
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(
            String::from_utf8_lossy(&self.body),
            body,
            "status {status}: {self:?}"
        );
    }
}

/// A stream a [`Client`] can talk over.
pub trait Socket: Read + Write {}
impl<S: Read + Write> Socket for S {}

/// A raw HTTP/1.1 client: writes whatever bytes it is given and parses what comes back.
///
/// Every final response it parses must carry a well-formed `Date` header (the engine adds one
/// to every response, errors included).
pub struct Client<S: Socket = TcpStream> {
    stream: S,
    /// Received bytes not yet parsed.
    buf: Vec<u8>,
}

impl Client<TcpStream> {
    /// Connects to `addr`, with [`READ_TIMEOUT`] on reads and writes.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr)
            .unwrap_or_else(|error| panic!("cannot connect to {addr}: {error}"));
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client::new(stream)
    }

    /// Changes the read timeout (restore it with [`READ_TIMEOUT`]).
    pub fn set_read_timeout(&self, timeout: Duration) {
        self.stream.set_read_timeout(Some(timeout)).unwrap();
    }
}

impl Client<UnixStream> {
    /// Connects to the Unix socket at `path`.
    pub fn connect_unix(path: &Path) -> Client<UnixStream> {
        let stream = UnixStream::connect(path)
            .unwrap_or_else(|error| panic!("cannot connect to {}: {error}", path.display()));
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        Client::new(stream)
    }
}

impl<S: Socket> Client<S> {
    /// A client over an already connected stream (its timeouts are the caller's).
    pub fn new(stream: S) -> Client<S> {
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// The underlying stream.
    pub fn stream(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Writes all of `bytes`.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.stream
            .write_all(bytes.as_ref())
            .expect("writing to the server");
    }

    /// Sends `raw` and reads one response (to a request that is not HEAD).
    pub fn request(&mut self, raw: impl AsRef<[u8]>) -> RawResponse {
        self.send(raw);
        self.response()
    }

    /// Sends `GET path` (HTTP/1.1, with a Host) and reads the response.
    pub fn get(&mut self, path: &str) -> RawResponse {
        self.request(get(path))
    }

    /// Reads one response to a request that is not HEAD.
    pub fn response(&mut self) -> RawResponse {
        self.read_response(false)
    }

    /// Reads one response to a HEAD request: a head, never a body.
    pub fn head_response(&mut self) -> RawResponse {
        self.read_response(true)
    }

    /// Reads one response, or says why none came: `Err` if the connection ended (closed or
    /// reset) before a whole head arrived.
    pub fn try_response(&mut self) -> io::Result<RawResponse> {
        self.try_read_response(false)
    }

    fn read_response(&mut self, to_head: bool) -> RawResponse {
        self.try_read_response(to_head)
            .unwrap_or_else(|error| panic!("no response: {error}"))
    }

    fn try_read_response(&mut self, to_head: bool) -> io::Result<RawResponse> {
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "closed before a whole response head; got {:?}",
                        String::from_utf8_lossy(&self.buf)
                    ),
                ));
            }
        };
        let head: Vec<u8> = self.buf.drain(..head_end).collect();
        let mut response = parse_head(&head);
        let status_has_body = !(100..200).contains(&response.status)
            && response.status != 204
            && response.status != 304;
        if let Some(coding) = response.header("transfer-encoding") {
            assert_eq!(coding, "chunked", "{response:?}");
            assert!(
                response.header("content-length").is_none(),
                "both Content-Length and chunked: {response:?}"
            );
            response.chunked = true;
        }
        if !(100..200).contains(&response.status) {
            let date = response
                .header("date")
                .unwrap_or_else(|| panic!("no Date header: {response:?}"));
            assert_date(date);
        }
        if to_head || !status_has_body {
            return Ok(response);
        }
        response.body = if response.chunked {
            self.read_chunked()?
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length.parse().expect("a numeric Content-Length");
            self.read_exact_bytes(length)?
        } else {
            self.read_to_close()?
        };
        Ok(response)
    }

    /// Reads more bytes into the buffer; `Ok(0)` at the end of the stream. A read that times
    /// out panics: the server hung.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(n)
            }
            Err(error) if is_timeout(&error) => panic!(
                "no answer within the read timeout; buffered: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Err(error) => Err(error),
        }
    }

    fn read_exact_bytes(&mut self, length: usize) -> io::Result<Vec<u8>> {
        while self.buf.len() < length {
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("closed after {} of {length} body bytes", self.buf.len()),
                ));
            }
        }
        Ok(self.buf.drain(..length).collect())
    }

    fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(at) = find(&self.buf, b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..at + 2).collect();
                return Ok(line[..at].to_vec());
            }
            if self.fill()? == 0 {
                return Err(ErrorKind::UnexpectedEof.into());
            }
        }
    }

    fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let line = String::from_utf8(line).expect("an ASCII chunk-size line");
            let size = line.split(';').next().unwrap();
            let size = usize::from_str_radix(size, 16)
                .unwrap_or_else(|_| panic!("bad chunk size line {line:?}"));
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.read_line()?.is_empty() {}
                return Ok(body);
            }
            let data = self.read_exact_bytes(size + 2)?;
            assert_eq!(&data[size..], b"\r\n", "chunk data not followed by CRLF");
            body.extend_from_slice(&data[..size]);
        }
    }

    fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        while self.fill()? != 0 {}
        Ok(std::mem::take(&mut self.buf))
    }

    /// Asserts that nothing more was received and the server closed the connection (the next
    /// read returns 0 or fails with a reset) within the read timeout.
    pub fn assert_closed(mut self) {
        assert!(
            self.buf.is_empty(),
            "unexpected bytes after the last response: {:?}",
            String::from_utf8_lossy(&self.buf)
        );
        assert_closed(&mut self.stream);
    }

    /// Asserts the server sends nothing for `wait` (the connection stays open and quiet).
    pub fn assert_silent(&mut self, wait: Duration)
    where
        S: SetReadTimeout,
    {
        assert!(self.buf.is_empty(), "bytes already buffered");
        self.stream.set_timeout(wait);
        let mut byte = [0u8; 1];
        let read = self.stream.read(&mut byte);
        self.stream.set_timeout(READ_TIMEOUT);
        match read {
            Err(error) if is_timeout(&error) => {}
            other => panic!("expected silence for {wait:?}, got {other:?}"),
        }
    }
}

/// A stream whose read timeout can be changed.
pub trait SetReadTimeout {
    /// Sets the read timeout.
    fn set_timeout(&self, timeout: Duration);
}

impl SetReadTimeout for TcpStream {
    fn set_timeout(&self, timeout: Duration) {
        self.set_read_timeout(Some(timeout)).unwrap();
    }
}

impl SetReadTimeout for UnixStream {
    fn set_timeout(&self, timeout: Duration) {
        self.set_read_timeout(Some(timeout)).unwrap();
    }
}

/// Asserts that the peer closed `stream`: a read returns 0, or fails with a reset, within the
/// stream's read timeout. Received data fails the assertion.
pub fn assert_closed(stream: &mut impl Read) {
    let mut buf = [0u8; 1024];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!(
            "expected the connection to be closed, received {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(error) if is_reset(&error) => {}
        Err(error) if is_timeout(&error) => {
            panic!("the connection is still open after the read timeout")
        }
        Err(error) => panic!("expected the connection to be closed, got {error}"),
    }
}

/// Whether `error` says the peer reset or aborted the connection.
pub fn is_reset(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Parses a status line and header fields (CRLF-terminated, as the engine must send them).
fn parse_head(head: &[u8]) -> RawResponse {
    let text = std::str::from_utf8(head).expect("an ASCII response head");
    let text = text.strip_suffix("\r\n\r\n").expect("ends with CRLF CRLF");
    assert!(
        text.split("\r\n").all(|line| !line.contains('\n')),
        "a bare LF in the response head: {text:?}"
    );
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap().to_owned();
    assert!(
        version == "HTTP/1.1" || version == "HTTP/1.0",
        "bad status line {status_line:?}"
    );
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .map(|line| {
            let (name, value) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("bad header line {line:?}"));
            assert!(
                !name.is_empty() && !name.contains(' '),
                "bad header name {line:?}"
            );
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    RawResponse {
        version,
        status,
        headers,
        body: Vec::new(),
        chunked: false,
    }
}

/// Asserts `date` is an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn assert_date(date: &str) {
    let bytes = date.as_bytes();
    let shaped = bytes.len() == 29
        && date.ends_with(" GMT")
        && bytes[3] == b','
        && bytes[19] == b':'
        && bytes[22] == b':'
        && ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&&date[..3]);
    assert!(shaped, "not an IMF-fixdate: {date:?}");
}

/// A `GET` of `path` over HTTP/1.1.
pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}

/// A `POST` of `body` to `path` with a `Content-Length`.
pub fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A response with `status` and a text body.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(Body::from(body.into()));
    *response.status_mut() = status;
    response
}

/// The service most tests run. By path:
/// - `/echo`: reads the whole body and sends it back; a body that cannot be read (too large,
///   malformed) is answered with [`BodyError::status`](tide::BodyError::status) and the
///   error's message;
/// - `/ignore`: answers `ignored` without reading the body;
/// - `/panic`: panics;
/// - `/stream?n`: answers `n` (default 3) chunks `chunk {i}\n` from a stream;
/// - `/sleep?ms`: sleeps `ms` milliseconds (a romio timer), then answers `slept`;
/// - `/bytes?n`: answers `n` bytes `b`;
/// - anything else: answers with the request's path and query.
pub async fn app(request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    match path.as_str() {
        "/echo" => match request.into_body().bytes().await {
            Ok(bytes) => Response::new(Body::from(bytes)),
            Err(error) => text(error.status(), format!("{error}\n")),
        },
        "/ignore" => text(StatusCode::OK, "ignored"),
        "/panic" => panic!("the /panic handler panics on purpose"),
        "/stream" => {
            let n: usize = query.parse().unwrap_or(3);
            let chunks = (0..n).map(|i| Ok::<_, io::Error>(Bytes::from(format!("chunk {i}\n"))));
            Response::new(Body::from_stream(futures::stream::iter(chunks)))
        }
        "/sleep" => {
            let ms = query.parse().expect("/sleep?MILLISECONDS");
            romio::time::sleep(Duration::from_millis(ms)).await;
            text(StatusCode::OK, "slept")
        }
        "/bytes" => {
            let n = query.parse().expect("/bytes?LENGTH");
            Response::new(Body::from(vec![b'b'; n]))
        }
        _ => text(
            StatusCode::OK,
            request
                .uri()
                .path_and_query()
                .map_or(String::new(), |pq| pq.as_str().to_owned()),
        ),
    }
}

/// Size of the body `/slow` answers with ([`Gate::service`]): larger than one write.
pub const SLOW_BODY_BYTES: usize = 256 * 1024;

/// Lets a test hold the `/slow` handler in flight for as long as it wants.
#[derive(Default)]
pub struct Gate {
    /// Set when `/slow` starts.
    pub started: AtomicBool,
    /// `/slow` answers once this is set.
    pub released: AtomicBool,
}

impl Gate {
    /// `/slow` waits (sleeping on romio timers) until the gate is released; anything else is
    /// [`app`].
    pub fn service(self: &Arc<Gate>) -> impl Service {
        let gate = self.clone();
        move |request: Request<Body>| {
            let gate = gate.clone();
            async move {
                if request.uri().path() != "/slow" {
                    return app(request).await;
                }
                gate.started.store(true, Ordering::SeqCst);
                while !gate.released.load(Ordering::SeqCst) {
                    romio::time::sleep(Duration::from_millis(10)).await;
                }
                Response::new(Body::from(vec![b's'; SLOW_BODY_BYTES]))
            }
        }
    }

    /// Waits (up to [`READ_TIMEOUT`]) until `/slow` has started.
    pub fn wait_started(&self) {
        let deadline = Instant::now() + READ_TIMEOUT;
        while !self.started.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "the slow handler never started");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Lets `/slow` answer.
    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
    }
}

/// What `/stream?n` answers.
pub fn streamed_body(n: usize) -> String {
    (0..n).map(|i| format!("chunk {i}\n")).collect()
}

/// A fresh path for a Unix socket in the temporary directory (removed if it exists).
pub fn unix_socket_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "tide-test-{}-{}.sock",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    path
}

// ---------------------------------------------------------------------------------------------
// Framework tests: apps answered in-process and served over a socket.

/// Serves `app`, with its own settings, on `127.0.0.1`, on a port the OS picks.
pub fn serve_app<State: Clone + Send + Sync + 'static>(mut app: tide::App<State>) -> TestServer {
    let settings = app.settings_mut().clone();
    TestServer::start(settings, app.into_service())
}

/// A request over HTTP/1.1 with a `Host`, the extra `headers`, and `body` with its
/// `Content-Length` (none for an empty body).
pub fn request_with(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    raw
}

/// A response an app gave in-process ([`respond`]), its body read whole.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

impl Answer {
    /// The value of the one field named `name`; panics if it appears more than once or is
    /// not text.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_all(name);
        assert!(values.len() <= 1, "{name} appears more than once: {self:?}");
        values.first().copied()
    }

    /// Every value of the fields named `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().expect("a text header value"))
            .collect()
    }

    /// Asserts the status and body, with the whole answer in the message.
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (status, body),
            "{self:?}"
        );
    }
}

/// Answers `method path` with the extra `headers` and `body` through `app`, in-process
/// (through [`tide::testing::send`], so `HEAD` answers lose their body as on the wire).
pub fn respond<State: Clone + Send + Sync + 'static>(
    app: &tide::App<State>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Body::from(body.to_owned()))
        .expect("a valid test request");
    tide::runtime::block_on(async {
        let mut response = tide::testing::send(app, request).await;
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.body_string().await,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Files on disk for the batteries' tests.

/// A fresh directory under the temporary directory, removed (with what it holds) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `tide-NAME-PID-N` in the temporary directory.
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "tide-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `relative` (creating its parent directories); returns its path.
    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Whether the server has sent something on `stream`, or closed it (nothing is consumed).
pub fn answered(stream: &mut TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let peeked = stream.peek(&mut [0]);
    stream.set_nonblocking(false).unwrap();
    !matches!(peeked, Err(error) if error.kind() == ErrorKind::WouldBlock)
}
