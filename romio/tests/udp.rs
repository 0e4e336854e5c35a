//! `UdpSocket`: datagrams between real sockets on the loopback interface.

use std::io;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use futures::executor::{ThreadPool, block_on};
use futures::task::SpawnExt;
use romio::net::UdpSocket;

/// Runs `test` to completion on the calling thread, failing on any I/O error.
fn run(test: impl Future<Output = io::Result<()>>) {
    block_on(test).expect("the test's I/O succeeds");
}

/// A socket bound to an ephemeral loopback port.
async fn bound() -> io::Result<UdpSocket> {
    UdpSocket::bind("127.0.0.1:0").await
}

/// Two sockets connected to each other.
async fn connected_pair() -> io::Result<(UdpSocket, UdpSocket)> {
    let (a, b) = (bound().await?, bound().await?);
    a.connect(b.local_addr()?).await?;
    b.connect(a.local_addr()?).await?;
    Ok((a, b))
}

/// The datagram number `index` of a stream: its index, then bytes derived from it, with a
/// length that varies between 4 bytes and about 3 KiB.
fn datagram(index: u32) -> Vec<u8> {
    let len = 4 + (index as usize * 37) % 3000;
    let mut bytes = index.to_le_bytes().to_vec();
    bytes.extend((4..len).map(|k| (index as usize + k) as u8));
    bytes
}

#[test]
fn sockets_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<UdpSocket>();
}

#[test]
fn send_to_and_recv_from_round_trip() {
    run(async {
        let (a, b) = (bound().await?, bound().await?);
        let mut buf = [0; 64];

        assert_eq!(a.send_to(b"hello", b.local_addr()?).await?, 5);
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from, a.local_addr()?);

        b.send_to(b"hello back", from).await?;
        let (n, from) = a.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello back");
        assert_eq!(from, b.local_addr()?);
        Ok(())
    });
}

#[test]
fn send_to_takes_any_to_socket_addrs() {
    run(async {
        let (a, b) = (bound().await?, bound().await?);
        let port = b.local_addr()?.port();
        a.send_to(b"tuple", ("127.0.0.1", port)).await?;
        a.send_to(b"string", format!("127.0.0.1:{port}")).await?;
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"tuple");
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"string");
        Ok(())
    });
}

#[test]
fn send_to_no_address_is_invalid_input() {
    run(async {
        let a = bound().await?;
        let nowhere: &[SocketAddr] = &[];
        let error = a.send_to(b"lost", nowhere).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        Ok(())
    });
}

#[test]
fn connected_send_and_recv() {
    run(async {
        let (a, b) = connected_pair().await?;
        assert_eq!(a.peer_addr()?, b.local_addr()?);
        assert_eq!(b.peer_addr()?, a.local_addr()?);

        a.send(b"ping").await?;
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"ping");

        b.send(b"pong").await?;
        let n = a.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"pong");
        Ok(())
    });
}

#[test]
fn unconnected_socket_has_no_peer() {
    run(async {
        let a = bound().await?;
        assert_eq!(
            a.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        Ok(())
    });
}

#[test]
fn peek_leaves_the_datagram_in_place() {
    run(async {
        let (a, b) = connected_pair().await?;
        a.send(b"first").await?;
        a.send(b"second").await?;

        let mut buf = [0; 16];
        let n = b.peek(&mut buf).await?;
        assert_eq!(&buf[..n], b"first");
        let n = b.peek(&mut buf).await?;
        assert_eq!(&buf[..n], b"first", "peeking twice sees the same datagram");
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"first");
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"second");
        Ok(())
    });
}

#[test]
fn peek_from_leaves_the_datagram_in_place() {
    run(async {
        let (a, b) = (bound().await?, bound().await?);
        a.send_to(b"look", b.local_addr()?).await?;

        let mut buf = [0; 16];
        let (n, peeked_from) = b.peek_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"look");
        assert_eq!(peeked_from, a.local_addr()?);
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"look");
        assert_eq!(from, peeked_from);
        Ok(())
    });
}

#[test]
fn a_short_buffer_truncates_the_datagram() {
    run(async {
        let (a, b) = connected_pair().await?;
        a.send(b"truncated").await?;
        a.send(b"next").await?;
        let mut buf = [0; 4];
        assert_eq!(b.recv(&mut buf).await?, 4);
        assert_eq!(&buf, b"trun");
        let n = b.recv(&mut buf).await?;
        assert_eq!(
            &buf[..n],
            b"next",
            "the rest of a truncated datagram is gone"
        );
        Ok(())
    });
}

#[test]
fn broadcast_and_ttl_options_round_trip() {
    run(async {
        let socket = bound().await?;
        socket.set_broadcast(true)?;
        assert!(socket.broadcast()?);
        socket.set_broadcast(false)?;
        assert!(!socket.broadcast()?);

        socket.set_ttl(42)?;
        assert_eq!(socket.ttl()?, 42);
        socket.set_ttl(7)?;
        assert_eq!(socket.ttl()?, 7);
        assert!(socket.take_error()?.is_none());
        Ok(())
    });
}

#[test]
fn multicast_v4_options_round_trip() {
    run(async {
        let socket = bound().await?;
        socket.set_multicast_loop_v4(false)?;
        assert!(!socket.multicast_loop_v4()?);
        socket.set_multicast_loop_v4(true)?;
        assert!(socket.multicast_loop_v4()?);

        socket.set_multicast_ttl_v4(5)?;
        assert_eq!(socket.multicast_ttl_v4()?, 5);
        Ok(())
    });
}

#[test]
fn recv_waits_for_a_datagram_sent_later() {
    run(async {
        let socket = bound().await?;
        let target = socket.local_addr()?;
        // The sender is another thread, so only the reactor can wake this one.
        let sender = thread::spawn(move || -> io::Result<()> {
            thread::sleep(Duration::from_millis(50));
            StdUdpSocket::bind("127.0.0.1:0")?.send_to(b"late", target)?;
            Ok(())
        });

        let mut buf = [0; 16];
        let (n, _) = socket.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"late");
        sender.join().expect("the sender thread does not panic")
    });
}

#[test]
fn recv_after_a_refused_datagram_waits_instead_of_spinning() {
    let (done, finished) = mpsc::channel();
    // The test runs on its own thread so that a busy loop fails it instead of hanging it.
    thread::spawn(move || {
        run(async {
            let closed_port = StdUdpSocket::bind("127.0.0.1:0")?.local_addr()?;
            let socket = bound().await?;
            socket.connect(closed_port).await?;
            socket.send(b"anyone there?").await?;
            // The ICMP "port unreachable" comes back as a pending error on the socket; give
            // the reactor time to see its event too.
            romio::time::sleep(Duration::from_millis(50)).await;
            let mut buf = [0; 16];
            let refused = socket.recv(&mut buf).await.unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

            let waited = romio::time::timeout(Duration::from_millis(20), socket.recv(&mut buf));
            assert!(
                waited.await.is_err(),
                "nothing arrives, so the recv times out"
            );
            Ok(())
        });
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the recv after the error returned");
}

#[test]
fn a_thousand_datagrams_arrive_intact() {
    const COUNT: u32 = 1000;
    /// Datagrams sent before the sender waits for an acknowledgement: few enough that the
    /// receive buffer never overflows (UDP would drop the excess).
    const WINDOW: u32 = 16;

    run(async {
        let (sender, receiver) = connected_pair().await?;
        let send = async {
            let mut ack = [0; 4];
            for index in 0..COUNT {
                sender.send(&datagram(index)).await?;
                if (index + 1) % WINDOW == 0 || index + 1 == COUNT {
                    let n = sender.recv(&mut ack).await?;
                    assert_eq!(&ack[..n], &index.to_le_bytes());
                }
            }
            io::Result::Ok(())
        };
        let receive = async {
            let mut buf = vec![0; 4096];
            for index in 0..COUNT {
                let n = receiver.recv(&mut buf).await?;
                assert_eq!(buf[..n], datagram(index), "datagram {index}");
                if (index + 1) % WINDOW == 0 || index + 1 == COUNT {
                    receiver.send(&index.to_le_bytes()).await?;
                }
            }
            io::Result::Ok(())
        };
        let (sent, received) = futures::join!(send, receive);
        sent.and(received)
    });
}

#[test]
fn echo_under_a_thread_pool() {
    const ROUNDS: u32 = 200;

    let pool = ThreadPool::new().expect("a thread pool starts");
    let test = async {
        let server = bound().await?;
        let client = bound().await?;
        client.connect(server.local_addr()?).await?;

        let echo = pool
            .spawn_with_handle(async move {
                let mut buf = vec![0; 4096];
                for _ in 0..ROUNDS {
                    let (n, from) = server.recv_from(&mut buf).await?;
                    server.send_to(&buf[..n], from).await?;
                }
                io::Result::Ok(())
            })
            .expect("the pool accepts the server");
        let check = pool
            .spawn_with_handle(async move {
                let mut buf = vec![0; 4096];
                for index in 0..ROUNDS {
                    client.send(&datagram(index)).await?;
                    let n = client.recv(&mut buf).await?;
                    assert_eq!(buf[..n], datagram(index), "echo {index}");
                }
                io::Result::Ok(())
            })
            .expect("the pool accepts the client");
        echo.await?;
        check.await
    };
    block_on(test).expect("the test's I/O succeeds");
}

#[test]
fn converts_from_and_into_std() {
    run(async {
        let std_socket = StdUdpSocket::bind("127.0.0.1:0")?;
        let socket = UdpSocket::try_from(std_socket)?;
        let peer = bound().await?;

        peer.send_to(b"to romio", socket.local_addr()?).await?;
        let mut buf = [0; 16];
        let (n, _) = socket.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"to romio");

        let std_socket = socket.into_std()?;
        let error = std_socket.recv_from(&mut buf).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "left non-blocking");
        peer.send_to(b"to std", std_socket.local_addr()?).await?;
        std_socket.set_nonblocking(false)?;
        let (n, _) = std_socket.recv_from(&mut buf)?;
        assert_eq!(&buf[..n], b"to std");
        Ok(())
    });
}
