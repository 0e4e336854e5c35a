//! HTTPS (feature `tls`): apps served over TLS with a self-signed certificate (rcgen), to
//! rustls clients (futures-rustls over romio, and rustls' blocking stream) and curl; clients
//! that do not speak TLS, or never finish their handshake, are dropped without disturbing
//! the others; keep-alive, pipelining and large or streamed responses over TLS.
#![cfg(feature = "tls")]

mod support;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsConnector;
use support::{Client, JOIN_TIMEOUT, READ_TIMEOUT, TempDir, get};
use tide::server::ShutdownHandle;
use tide::tls::TlsConfig;
use tide::tls::rustls::pki_types::{CertificateDer, ServerName};
use tide::tls::rustls::{self, ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// A self-signed certificate for `localhost`: its DER and the PEM of it and of its key.
struct Cert {
    der: CertificateDer<'static>,
    cert_pem: String,
    key_pem: String,
}

fn cert() -> Cert {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    Cert {
        der: certified.cert.der().clone(),
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
    }
}

impl Cert {
    fn config(&self) -> TlsConfig {
        TlsConfig::from_pem(self.cert_pem.as_bytes(), self.key_pem.as_bytes()).unwrap()
    }

    /// A client config that trusts this certificate alone and offers ALPN `http/1.1`.
    fn client(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// A blocking TLS client connected to `addr`, as the support module's [`Client`].
    fn connect(&self, addr: SocketAddr) -> Client<StreamOwned<ClientConnection, TcpStream>> {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        tcp.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(self.client(), name).unwrap();
        Client::new(StreamOwned::new(conn, tcp))
    }
}

/// An app served over TLS on 127.0.0.1, on its own thread.
struct TlsServer {
    addr: SocketAddr,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl TlsServer {
    fn start(app: tide::App<()>, config: TlsConfig) -> TlsServer {
        let listening = tide::runtime::block_on(app.bind_tls("127.0.0.1:0", config)).unwrap();
        let addr = listening.local_addr().expect("a TCP address");
        let shutdown = listening.shutdown_handle();
        let thread = std::thread::spawn(move || tide::runtime::block_on(listening.serve()));
        TlsServer {
            addr,
            shutdown,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.shutdown.shutdown();
        let thread = self.thread.take().unwrap();
        let deadline = Instant::now() + JOIN_TIMEOUT;
        while !thread.is_finished() {
            assert!(Instant::now() < deadline, "serve did not return in time");
            std::thread::sleep(Duration::from_millis(5));
        }
        thread.join().unwrap().unwrap();
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// Size of each chunk of `/large-stream`, and how many there are.
const STREAM_CHUNK: usize = 64 * 1024;
const STREAM_CHUNKS: usize = 48;

/// The app of these tests: `/` says hello, `/peer` tells the client's address, `/path/...`
/// its path, `/large-stream` streams `STREAM_CHUNKS` chunks (pausing on a timer every few),
/// `/large` answers 3 MB from memory.
fn app() -> tide::App<()> {
    let mut app = tide::new();
    app.at("/").get(|_| async { Ok("Hello, world!") });
    app.at("/peer")
        .get(|request: tide::Request| async move { Ok(format!("{:?}", request.peer_addr())) });
    app.at("/path/*rest")
        .get(|request: tide::Request| async move { Ok(request.path().to_owned()) });
    app.at("/large")
        .get(|_| async { Ok(vec![b'l'; 3_000_000]) });
    app.at("/large-stream").get(|_| async {
        let chunks = futures::stream::iter(0..STREAM_CHUNKS).then(|i| async move {
            if i % 8 == 7 {
                romio::time::sleep(Duration::from_millis(2)).await;
            }
            Ok::<_, io::Error>(Bytes::from(vec![b'a' + (i % 26) as u8; STREAM_CHUNK]))
        });
        Ok(tide::Body::from_stream(chunks))
    });
    app
}

use futures::StreamExt;

#[test]
fn an_https_get_over_futures_rustls_succeeds_and_reports_the_peer_address() {
    let cert = cert();
    let server = TlsServer::start(app(), cert.config());
    let connector = TlsConnector::from(cert.client());
    let (reply, local, alpn) = tide::runtime::block_on(async {
        let tcp = romio::TcpStream::connect(server.addr).await?;
        let local = tcp.local_addr()?;
        let name = ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await?;
        let alpn = tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        tls.write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut reply = String::new();
        tls.read_to_string(&mut reply).await?;
        Ok::<_, io::Error>((reply, local, alpn))
    })
    .unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(
        reply.ends_with(&format!("\r\n\r\nSome({local})")),
        "{reply}"
    );
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));
    server.stop();
}

#[test]
fn curl_with_the_certificate_gets_hello_world() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("skipped: curl is not installed (.ci/run installs it)");
        return;
    }
    let cert = cert();
    let dir = TempDir::new("tls-curl");
    let cert_file = dir.write("cert.pem", &cert.cert_pem);
    let key_file = dir.write("key.pem", &cert.key_pem);
    let config = TlsConfig::from_pem_files(&cert_file, &key_file).unwrap();
    let server = TlsServer::start(app(), config);
    let output = std::process::Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10", "--cacert"])
        .arg(&cert_file)
        .arg(format!("https://localhost:{}/", server.addr.port()))
        .output()
        .unwrap();
    assert!(output.status.success(), "curl: {output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "Hello, world!");
    server.stop();
}

/// Reads until the peer closes (or fails the connection); the bytes read.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(error) if support::is_reset(&error) => return received,
            Err(error) => panic!("the server did not close the connection: {error}"),
        }
    }
}

fn tcp_connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    stream
}

#[test]
fn plain_http_to_the_tls_port_fails_without_affecting_a_concurrent_good_client() {
    let cert = cert();
    let server = TlsServer::start(app(), cert.config());
    let mut good = cert.connect(server.addr);
    good.get("/path/before").assert(200, "/path/before");

    let mut plain = tcp_connect(server.addr);
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut plain);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    // The good client's connection lives on.
    good.get("/path/after").assert(200, "/path/after");
    server.stop();
}

#[test]
fn a_garbage_handshake_and_a_silent_client_do_not_delay_a_good_client() {
    let cert = cert();
    // Far longer than the good client's patience: it must not wait for either of them.
    let config = cert.config().handshake_timeout(Duration::from_secs(60));
    let server = TlsServer::start(app(), config);
    // Connected first, and never sends a byte.
    let mut silent = tcp_connect(server.addr);
    // A TLS record header announcing a handshake, then garbage.
    let mut garbage = tcp_connect(server.addr);
    let mut bytes = vec![0x16, 0x03, 0x01, 0x00, 0x40];
    bytes.extend((0..64u8).map(|i| i.wrapping_mul(37)));
    garbage.write_all(&bytes).unwrap();

    let mut good = cert.connect(server.addr);
    good.get("/path/good").assert(200, "/path/good");
    read_until_closed(&mut garbage);
    good.get("/path/still").assert(200, "/path/still");
    // The silent client is still in its handshake; shutdown drops it.
    silent
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let error = silent.read(&mut [0u8; 1]).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ),
        "{error}"
    );
    silent.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    server.stop();
    assert!(read_until_closed(&mut silent).is_empty());
}

#[test]
fn a_client_that_never_finishes_its_handshake_is_dropped_after_the_timeout() {
    let cert = cert();
    let config = cert.config().handshake_timeout(Duration::from_millis(300));
    let server = TlsServer::start(app(), config);
    let mut silent = tcp_connect(server.addr);
    // Half a ClientHello record, then nothing.
    let mut stalled = tcp_connect(server.addr);
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    // Both dropped well within the read timeout, while the server keeps serving.
    assert!(read_until_closed(&mut silent).is_empty());
    assert!(read_until_closed(&mut stalled).is_empty());
    cert.connect(server.addr)
        .get("/path/after")
        .assert(200, "/path/after");
    server.stop();
}

#[test]
fn keep_alive_and_pipelined_requests_over_tls() {
    let cert = cert();
    let server = TlsServer::start(app(), cert.config());
    let mut client = cert.connect(server.addr);
    for i in 0..3 {
        let path = format!("/path/{i}");
        let response = client.get(&path);
        response.assert(200, &path);
        assert!(!response.says_close(), "{response:?}");
    }
    let batch: String = (0..8).map(|i| get(&format!("/path/p{i}"))).collect();
    client.send(batch);
    for i in 0..8 {
        client.response().assert(200, &format!("/path/p{i}"));
    }
    client.get("/").assert(200, "Hello, world!");
    server.stop();
}

#[test]
fn large_and_streamed_responses_arrive_whole_over_tls() {
    let cert = cert();
    let server = TlsServer::start(app(), cert.config());
    let mut client = cert.connect(server.addr);
    let response = client.get("/large-stream");
    assert_eq!(response.status, 200);
    assert!(response.chunked, "{:?}", response.headers);
    assert_eq!(response.body.len(), STREAM_CHUNK * STREAM_CHUNKS);
    for (i, chunk) in response.body.chunks(STREAM_CHUNK).enumerate() {
        assert!(
            chunk.iter().all(|&b| b == b'a' + (i % 26) as u8),
            "chunk {i}"
        );
    }
    let response = client.get("/large");
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 3_000_000);
    assert!(response.body.iter().all(|&b| b == b'l'));
    // Both again, pipelined, and the connection still serves.
    client.send(format!("{}{}", get("/large-stream"), get("/large")));
    assert_eq!(client.response().body.len(), STREAM_CHUNK * STREAM_CHUNKS);
    assert_eq!(client.response().body.len(), 3_000_000);
    client.get("/").assert(200, "Hello, world!");
    server.stop();
}

/// Serves `/gated`: a first chunk of `first_len` bytes `f`, then (only once the client has
/// read all of it) `second`; reads it with a client that sleeps `pause` after each read.
/// If any of the first chunk stayed in the TLS stream's buffer while the stream waits,
/// neither side would move.
fn gated_stream(first_len: usize, pause: Duration) {
    let read_first = Arc::new(AtomicBool::new(false));
    let mut app = app();
    let flag = read_first.clone();
    app.at("/gated").get(move |_| {
        let flag = flag.clone();
        async move {
            let first = futures::stream::once(async move {
                Ok::<_, io::Error>(Bytes::from(vec![b'f'; first_len]))
            });
            let second = futures::stream::once(async move {
                while !flag.load(Ordering::SeqCst) {
                    romio::time::sleep(Duration::from_millis(5)).await;
                }
                Ok(Bytes::from("second"))
            });
            Ok(tide::Body::from_stream(first.chain(second)))
        }
    });
    let cert = cert();
    let server = TlsServer::start(app, cert.config());
    let mut client = cert.connect(server.addr);
    client.send(get("/gated"));
    // The head and the first chunk, read by hand.
    let first_chunk = format!("{first_len:x}\r\n");
    let mut seen = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let complete = |seen: &[u8]| {
        let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
            return false;
        };
        seen.len() - at - 4 == first_chunk.len() + first_len + 2
    };
    while !complete(&seen) {
        let n = client.stream().read(&mut buf).unwrap();
        assert!(n > 0, "closed after {} bytes", seen.len());
        seen.extend_from_slice(&buf[..n]);
        std::thread::sleep(pause);
    }
    assert!(
        seen.ends_with(b"f\r\n"),
        "{:?}",
        String::from_utf8_lossy(&seen[..200])
    );
    read_first.store(true, Ordering::SeqCst);
    let mut rest = Vec::new();
    while !rest.ends_with(b"0\r\n\r\n") {
        let n = client.stream().read(&mut buf).unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&rest));
        rest.extend_from_slice(&buf[..n]);
    }
    assert_eq!(rest, b"6\r\nsecond\r\n0\r\n\r\n");
    server.stop();
}

#[test]
fn a_streamed_chunk_reaches_the_client_while_the_stream_waits() {
    gated_stream(6, Duration::ZERO);
}

#[test]
fn a_large_streamed_chunk_leaves_whole_to_a_slow_reader_while_the_stream_waits() {
    // Larger than the socket buffers: the stream's last writes find the socket full, and
    // what TLS buffered then must still be flushed.
    gated_stream(16 * 1024 * 1024, Duration::from_millis(1));
}

#[test]
fn a_config_from_a_rustls_server_config_offers_http_1_1() {
    let cert = cert();
    let key = rustls::pki_types::PrivateKeyDer::try_from(
        rcgen::KeyPair::from_pem(&cert.key_pem)
            .unwrap()
            .serialize_der(),
    )
    .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der.clone()], key)
        .unwrap();
    let config = TlsConfig::from_server_config(server_config);
    assert_eq!(
        config.server_config().alpn_protocols,
        vec![b"http/1.1".to_vec()]
    );
    let server = TlsServer::start(app(), config);
    cert.connect(server.addr)
        .get("/")
        .assert(200, "Hello, world!");
    server.stop();
}

#[test]
fn bad_pem_is_a_clear_error() {
    let cert = cert();
    let error = TlsConfig::from_pem(b"not pem", cert.key_pem.as_bytes()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert!(error.to_string().contains("certificate"), "{error}");
    let error = TlsConfig::from_pem(cert.cert_pem.as_bytes(), b"").unwrap_err();
    assert!(error.to_string().contains("private key"), "{error}");
    let error =
        TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(
        error.to_string().contains("/nonexistent/cert.pem"),
        "{error}"
    );
    // A key that is not the certificate's.
    let other = self::cert();
    let error = TlsConfig::from_pem(cert.cert_pem.as_bytes(), other.key_pem.as_bytes());
    assert!(error.is_err(), "a mismatched key was accepted");
}

#[test]
fn a_tls_listener_over_a_unix_socket_serves_https() {
    let cert = cert();
    let path = support::unix_socket_path();
    let unix = romio::UnixListener::bind(&path).unwrap();
    let listening = app().bind_listener(tide::tls::TlsListener::new(unix, cert.config()));
    assert_eq!(listening.local_addr(), None);
    let shutdown = listening.shutdown_handle();
    let thread = std::thread::spawn(move || tide::runtime::block_on(listening.serve()));

    let socket = std::os::unix::net::UnixStream::connect(&path).unwrap();
    socket.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(cert.client(), name).unwrap();
    let mut client = Client::new(StreamOwned::new(conn, socket));
    client.get("/path/unix").assert(200, "/path/unix");
    // No address over a Unix socket.
    client.get("/peer").assert(200, "None");

    shutdown.shutdown();
    let deadline = Instant::now() + JOIN_TIMEOUT;
    while !thread.is_finished() {
        assert!(Instant::now() < deadline, "serve did not return in time");
        std::thread::sleep(Duration::from_millis(5));
    }
    thread.join().unwrap().unwrap();
    let _ = std::fs::remove_file(&path);
}
