//! TCP over real loopback sockets.

use std::io::{IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use futures::executor::{ThreadPool, block_on};
use futures::task::SpawnExt;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use romio::{TcpListener, TcpStream};

/// A listener on an ephemeral loopback port, and its address.
async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A connected (client, server) pair.
async fn pair() -> (TcpStream, TcpStream) {
    let (listener, addr) = listener().await;
    let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// Deterministic, connection-specific payload.
fn payload(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ seed.wrapping_mul(7)) as u8)
        .collect()
}

#[test]
fn a_thousand_concurrent_connections_each_echo_their_own_bytes() {
    const CONNECTIONS: usize = 1000;
    const LEN: usize = 4096;
    let pool = ThreadPool::builder().pool_size(2).create().unwrap();
    let (listener, addr) = block_on(listener());

    let server_pool = pool.clone();
    pool.spawn(async move {
        let mut incoming = listener.incoming();
        while let Some(stream) = incoming.next().await {
            let stream = stream.unwrap();
            server_pool
                .spawn(async move {
                    let (mut reader, mut writer) = (&stream, &stream);
                    futures::io::copy(&mut reader, &mut writer).await.unwrap();
                })
                .unwrap();
        }
    })
    .unwrap();

    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|seed| {
            pool.spawn_with_handle(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let sent = payload(seed, LEN);
                let mut received = vec![0; LEN];
                let (reader, writer) = (&stream, &stream);
                let write = async {
                    let mut writer = writer;
                    writer.write_all(&sent).await
                };
                let read = async {
                    let mut reader = reader;
                    reader.read_exact(&mut received).await
                };
                let (wrote, read) = futures::join!(write, read);
                wrote.unwrap();
                read.unwrap();
                stream.close().await.unwrap();
                received == sent
            })
            .unwrap()
        })
        .collect();
    let results = block_on(futures::future::join_all(clients));
    assert_eq!(results.len(), CONNECTIONS);
    assert!(
        results.iter().all(|ok| *ok),
        "some connection got bytes that were not its own"
    );
}

#[test]
fn one_socket_is_read_and_written_by_two_tasks_at_once() {
    const LEN: usize = 8 << 20;
    let pool = ThreadPool::builder().pool_size(2).create().unwrap();
    let (local, remote) = block_on(pair());
    let local = std::sync::Arc::new(local);

    // The remote end echoes; the local end writes from one task and reads from another,
    // with more in flight than the socket buffers hold, so both wait at the same time.
    pool.spawn(async move {
        let (mut reader, mut writer) = (&remote, &remote);
        futures::io::copy(&mut reader, &mut writer).await.unwrap();
        remote.shutdown(Shutdown::Write).unwrap();
    })
    .unwrap();
    let writer = {
        let local = local.clone();
        pool.spawn_with_handle(async move {
            let mut writer = &*local;
            writer.write_all(&payload(1, LEN)).await.unwrap();
            local.shutdown(Shutdown::Write).unwrap();
        })
        .unwrap()
    };
    let reader = pool
        .spawn_with_handle(async move {
            let mut reader = &*local;
            let mut received = Vec::new();
            reader.read_to_end(&mut received).await.unwrap();
            received
        })
        .unwrap();
    let (_, received) = block_on(futures::future::join(writer, reader));
    assert_eq!(received.len(), LEN);
    assert!(received == payload(1, LEN));
}

#[test]
fn half_close_lets_the_other_direction_go_on() {
    block_on(async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"request").await.unwrap();
        client.close().await.unwrap(); // shuts down the writing side only

        let mut request = Vec::new();
        server.read_to_end(&mut request).await.unwrap();
        assert_eq!(request, b"request");

        server.write_all(b"response after your FIN").await.unwrap();
        server.close().await.unwrap();
        let mut response = Vec::new();
        client.read_to_end(&mut response).await.unwrap();
        assert_eq!(response, b"response after your FIN");
    });
}

#[test]
fn connecting_to_a_closed_port_fails() {
    // Bind then drop a listener, so the port is known to be closed.
    let addr = block_on(listener()).1;
    let error = block_on(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused,
        "{error}"
    );
}

#[test]
fn connect_tries_each_address_in_turn() {
    block_on(async {
        let (listener, good) = listener().await;
        let closed = self::listener().await.1;
        let addrs = [closed, good];
        let (client, accepted) = futures::join!(TcpStream::connect(&addrs[..]), listener.accept());
        assert_eq!(client.unwrap().peer_addr().unwrap(), good);
        accepted.unwrap();
    });
}

#[test]
fn peek_leaves_the_bytes_for_the_next_read() {
    block_on(async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"peekaboo").await.unwrap();
        let mut peeked = [0; 8];
        let n = server.peek(&mut peeked).await.unwrap();
        assert!(n > 0);
        assert_eq!(&peeked[..n], &b"peekaboo"[..n]);
        let mut read = [0; 8];
        server.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"peekaboo");
    });
}

#[test]
fn vectored_writes_and_reads_keep_the_order_of_the_slices() {
    block_on(async {
        let (mut client, mut server) = pair().await;
        let parts: [&[u8]; 3] = [b"head|", b"body|", b"tail"];
        let slices = parts.map(IoSlice::new);
        let mut written = 0;
        while written < 14 {
            // A vectored write may be short; finish with plain writes.
            if written == 0 {
                written += client.write_vectored(&slices).await.unwrap();
            } else {
                let rest: Vec<u8> = parts.concat()[written..].to_vec();
                client.write_all(&rest).await.unwrap();
                written = 14;
            }
        }
        client.close().await.unwrap();

        let (mut a, mut b) = ([0u8; 5], [0u8; 9]);
        let mut got = 0;
        while got < 14 {
            let mut bufs = [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)];
            IoSliceMut::advance_slices(&mut &mut bufs[..], got);
            let n = server.read_vectored(&mut bufs).await.unwrap();
            assert!(n > 0, "unexpected end of stream");
            got += n;
        }
        assert_eq!(&a, b"head|");
        assert_eq!(&b, b"body|tail");
    });
}

#[test]
fn owned_halves_work_from_different_tasks_and_reunite() {
    let pool = ThreadPool::builder().pool_size(2).create().unwrap();
    let (client, mut server) = block_on(pair());
    let (mut read_half, mut write_half) = client.into_split();
    let reader = pool
        .spawn_with_handle(async move {
            let mut buf = [0; 5];
            read_half.read_exact(&mut buf).await.unwrap();
            (read_half, buf)
        })
        .unwrap();
    block_on(async {
        write_half.write_all(b"hello").await.unwrap();
        let mut buf = [0; 5];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        server.write_all(b"world").await.unwrap();
    });
    let (read_half, buf) = block_on(reader);
    assert_eq!(&buf, b"world");
    let stream = read_half.reunite(write_half).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), server.local_addr().unwrap());
}

#[test]
fn dropping_the_write_half_sends_end_of_stream() {
    block_on(async {
        let (client, mut server) = pair().await;
        let (_read_half, write_half) = client.into_split();
        drop(write_half);
        let mut rest = Vec::new();
        server.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    });
}

#[test]
fn socket_options_round_trip() {
    block_on(async {
        let (client, _server) = pair().await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_ttl(42).unwrap();
        assert_eq!(client.ttl().unwrap(), 42);
        assert_eq!(client.linger().unwrap(), None);
        client.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(3)));
        assert!(client.take_error().unwrap().is_none());

        let (listener, _) = listener().await;
        listener.set_ttl(7).unwrap();
        assert_eq!(listener.ttl().unwrap(), 7);
    });
}

#[test]
fn converts_from_and_into_std() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = TcpListener::try_from(std_listener).unwrap();
    let std_client = std::net::TcpStream::connect(addr).unwrap();
    block_on(async {
        let mut client = TcpStream::try_from(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"x").await.unwrap();

        let mut server = server.into_std().unwrap();
        server.set_nonblocking(false).unwrap();
        let mut byte = [0; 1];
        std::io::Read::read_exact(&mut server, &mut byte).unwrap();
        assert_eq!(&byte, b"x");
        let std_listener = listener.into_std().unwrap();
        assert_eq!(std_listener.local_addr().unwrap(), addr);
    });
}

#[test]
fn binding_a_taken_address_fails_with_addr_in_use() {
    block_on(async {
        let (_listener, addr) = listener().await;
        let error = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    });
}

#[test]
fn several_tasks_accepting_on_one_listener_all_get_a_connection() {
    const ACCEPTERS: usize = 8;
    let pool = ThreadPool::builder().pool_size(4).create().unwrap();
    block_on(async {
        let (listener, addr) = listener().await;
        let listener = std::sync::Arc::new(listener);
        let accepters: Vec<_> = (0..ACCEPTERS)
            .map(|_| {
                let listener = listener.clone();
                pool.spawn_with_handle(async move { listener.accept().await.map(|_| ()) })
                    .unwrap()
            })
            .collect();
        // Let every accepter wait first, so each connection has to wake one of them.
        romio::time::sleep(Duration::from_millis(20)).await;
        let mut clients = Vec::new();
        for _ in 0..ACCEPTERS {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let accepted = romio::time::timeout(
            Duration::from_secs(10),
            futures::future::join_all(accepters),
        )
        .await
        .expect("an accepter was never woken");
        assert!(accepted.iter().all(Result::is_ok));
    });
}

#[test]
fn an_abandoned_accept_leaves_the_listener_working() {
    block_on(async {
        let (listener, addr) = listener().await;
        for _ in 0..100 {
            let abandoned = romio::time::timeout(Duration::from_millis(1), listener.accept());
            assert!(abandoned.await.is_err(), "nobody connected");
        }
        let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
        let (mut client, (mut server, _)) = (client.unwrap(), accepted.unwrap());
        client.write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hi");
    });
}

/// A burst of clients that arrives before the server accepts any is queued by the kernel,
/// up to the listener's backlog: romio's default is well above the 128 of `std` and `mio`
/// (capped by the kernel's own maximum, which this test reads).
#[test]
fn the_default_backlog_queues_a_burst_of_more_than_128_clients() {
    let kernel_max = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok())
        .unwrap_or(romio::net::DEFAULT_BACKLOG as usize);
    let clients = 400
        .min(kernel_max)
        .min(romio::net::DEFAULT_BACKLOG as usize);
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Nobody accepts: a handshake completes only while the queue has room (a client
        // beyond it has its SYN dropped and retries after a second or more).
        let queued: Vec<_> = (0..clients)
            .map(|n| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                    .unwrap_or_else(|error| panic!("client {n} of {clients} not queued: {error}"))
            })
            .collect();
        // Every queued client is then accepted.
        for _ in 0..clients {
            listener.accept().await.unwrap();
        }
        drop(queued);
    });
}
