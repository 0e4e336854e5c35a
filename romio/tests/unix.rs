//! Unix-domain sockets: `UnixListener`, `UnixStream` and `UnixDatagram` over real sockets,
//! bound in the temporary directory.
#![cfg(unix)]

use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::path::{Path, PathBuf};

use futures::executor::{ThreadPool, block_on};
use futures::task::SpawnExt;
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use romio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use romio::net::{UnixDatagram, UnixListener, UnixStream};

/// Runs `test` to completion on the calling thread, failing on any I/O error.
fn run(test: impl Future<Output = io::Result<()>>) {
    block_on(test).expect("the test's I/O succeeds");
}

/// A socket path in the temporary directory, unique to this process and `name`; the file
/// is removed when the value is dropped.
struct SocketPath(PathBuf);

impl SocketPath {
    fn new(name: &str) -> SocketPath {
        let path = std::env::temp_dir().join(format!("romio-{}-{name}.sock", std::process::id()));
        // A leftover of a crashed run with the same process id would make `bind` fail.
        let _ = std::fs::remove_file(&path);
        SocketPath(path)
    }
}

impl AsRef<Path> for SocketPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes `message` on `from`, shuts down its writing side, and checks that `to` reads
/// exactly `message` and then end of stream.
async fn check_transfer(
    mut from: impl AsyncWriteExt + Unpin,
    mut to: impl AsyncReadExt + Unpin,
    message: &[u8],
) -> io::Result<()> {
    let write = async {
        from.write_all(message).await?;
        from.close().await
    };
    let mut received = Vec::new();
    let (written, read) = futures::join!(write, to.read_to_end(&mut received));
    written?;
    assert_eq!(read?, message.len());
    assert!(received == message, "bytes arrive intact and in order");
    Ok(())
}

/// `len` bytes of a pattern that does not repeat every 256 bytes.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i ^ (i >> 8) ^ (i >> 16)) as u8).collect()
}

#[test]
fn sockets_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<UnixListener>();
    assert_send_sync::<UnixStream>();
    assert_send_sync::<UnixDatagram>();
    assert_send_sync::<OwnedReadHalf>();
    assert_send_sync::<OwnedWriteHalf>();
}

#[test]
fn listener_accepts_a_connection_and_echoes() {
    let path = SocketPath::new("echo");
    run(async {
        let listener = UnixListener::bind(&path)?;
        assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_ref()));

        let server = async {
            let (stream, peer) = listener.accept().await?;
            assert!(peer.is_unnamed(), "a connecting stream is not bound");
            let (mut reader, mut writer) = (&stream, &stream);
            futures::io::copy(&mut reader, &mut writer).await?;
            writer.close().await
        };
        let client = async {
            let mut stream = UnixStream::connect(&path).await?;
            assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_ref()));
            stream.write_all(b"echo me").await?;
            stream.close().await?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await?;
            assert_eq!(reply, b"echo me");
            io::Result::Ok(())
        };
        let (served, checked) = futures::join!(server, client);
        served.and(checked)
    });
}

#[test]
fn incoming_yields_each_connection() {
    let path = SocketPath::new("incoming");
    run(async {
        let listener = UnixListener::bind(&path)?;
        let mut incoming = listener.incoming();
        for message in [&b"one"[..], b"two"] {
            let client = UnixStream::connect(&path).await?;
            let server = incoming.next().await.expect("incoming never ends")?;
            check_transfer(client, server, message).await?;
        }
        Ok(())
    });
}

#[test]
fn connect_to_a_missing_path_fails() {
    let path = SocketPath::new("nobody-home");
    let error = block_on(UnixStream::connect(&path)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
}

#[test]
fn connect_to_a_closed_listener_is_refused() {
    let path = SocketPath::new("closed");
    drop(UnixListener::bind(&path).expect("bind"));
    assert!(path.0.exists(), "closing a listener leaves its file behind");
    let error = block_on(UnixStream::connect(&path)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn binding_a_path_in_use_fails() {
    let path = SocketPath::new("in-use");
    run(async {
        let _listener = UnixListener::bind(&path)?;
        let error = UnixListener::bind(&path).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        Ok(())
    });
}

#[test]
fn pair_carries_bytes_both_ways() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        assert!(a.local_addr()?.is_unnamed());
        assert!(a.peer_addr()?.is_unnamed());
        check_transfer(&a, &b, b"from a to b").await?;
        check_transfer(&b, &a, b"from b to a").await
    });
}

#[test]
fn vectored_writes_gather_and_vectored_reads_scatter() {
    run(async {
        let (mut a, mut b) = UnixStream::pair()?;
        let written = a
            .write_vectored(&[IoSlice::new(b"head"), IoSlice::new(b"-tail")])
            .await?;
        assert_eq!(written, 9, "a small vectored write goes out whole");

        let (mut first, mut second) = ([0; 4], [0; 8]);
        let read = b
            .read_vectored(&mut [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)])
            .await?;
        assert_eq!(read, 9);
        assert_eq!(&first, b"head");
        assert_eq!(&second[..5], b"-tail");
        Ok(())
    });
}

#[test]
fn half_close_lets_the_peer_read_to_the_end_and_still_reply() {
    run(async {
        let (mut client, mut server) = UnixStream::pair()?;
        client.write_all(b"request").await?;
        client.shutdown(Shutdown::Write)?;

        let mut request = Vec::new();
        server.read_to_end(&mut request).await?;
        assert_eq!(request, b"request");

        server.write_all(b"reply").await?;
        server.close().await?;
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await?;
        assert_eq!(reply, b"reply");
        Ok(())
    });
}

#[test]
fn four_mebibytes_arrive_intact_with_concurrent_writer_and_reader() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        check_transfer(a, b, &pattern(4 << 20)).await
    });
}

#[test]
fn owned_halves_carry_bytes_from_tasks_on_a_thread_pool() {
    let pool = ThreadPool::new().expect("a thread pool starts");
    let test = async {
        let (stream, peer) = UnixStream::pair()?;
        let (peer_read, peer_write) = peer.into_split();
        let (read_half, write_half) = stream.into_split();
        let (outgoing, incoming) = (pattern(1 << 20), pattern(3 << 19));

        let tasks = [
            pool.spawn_with_handle(async move {
                check_transfer(write_half, peer_read, &outgoing).await
            }),
            pool.spawn_with_handle(async move {
                check_transfer(peer_write, read_half, &incoming).await
            }),
        ];
        for task in tasks {
            task.expect("the pool accepts the task").await?;
        }
        io::Result::Ok(())
    };
    block_on(test).expect("the test's I/O succeeds");
}

#[test]
fn halves_of_different_streams_do_not_reunite() {
    run(async {
        let (first, _) = UnixStream::pair()?;
        let (second, _) = UnixStream::pair()?;
        let (first_read, first_write) = first.into_split();
        let (second_read, second_write) = second.into_split();

        let mismatch = first_read.reunite(second_write).unwrap_err();
        let (first_read, second_write) = (mismatch.0, mismatch.1);
        assert!(first_write.reunite(first_read).is_ok());
        assert!(second_read.reunite(second_write).is_ok());
        Ok(())
    });
}

#[test]
fn dropping_the_write_half_ends_the_peers_stream() {
    run(async {
        let (stream, mut peer) = UnixStream::pair()?;
        let (read_half, mut write_half) = stream.into_split();
        write_half.write_all(b"last words").await?;
        drop(write_half);

        let mut received = Vec::new();
        peer.read_to_end(&mut received).await?;
        assert_eq!(received, b"last words");
        check_transfer(peer, read_half, b"still readable").await
    });
}

#[test]
fn halves_of_one_stream_reunite() {
    run(async {
        let (stream, peer) = UnixStream::pair()?;
        let (read_half, write_half) = stream.into_split();
        let stream = write_half.reunite(read_half).expect("halves of one stream");
        check_transfer(&stream, &peer, b"whole again").await
    });
}

/// The effective user id of this process, from `/proc/self/status`
/// (`Uid:` real, effective, saved, filesystem).
#[cfg(target_os = "linux")]
fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs is mounted");
    let uids = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .expect("status has a Uid line");
    let effective = uids.split_whitespace().nth(1).expect("four user ids");
    effective.parse().expect("a user id is a number")
}

#[cfg(target_os = "linux")]
#[test]
fn peer_cred_names_this_process() {
    let path = SocketPath::new("cred");
    run(async {
        let (a, _b) = UnixStream::pair()?;
        let cred = a.peer_cred()?;
        assert_eq!(cred.uid, effective_uid());
        assert_eq!(cred.pid, Some(std::process::id() as i32));

        let listener = UnixListener::bind(&path)?;
        let client = UnixStream::connect(&path).await?;
        let (server, _) = listener.accept().await?;
        assert_eq!(server.peer_cred()?, client.peer_cred()?);
        assert_eq!(server.peer_cred()?, cred);
        Ok(())
    });
}

#[test]
fn stream_converts_from_and_into_std() {
    run(async {
        let (std_a, std_b) = std::os::unix::net::UnixStream::pair()?;
        let a = UnixStream::try_from(std_a)?;
        let b = UnixStream::try_from(std_b)?;
        check_transfer(&a, &b, b"registered").await?;

        // `a` only shut down its writing side: nothing to read yet, and no end of stream.
        let mut std_a = a.into_std()?;
        let error = io::Read::read(&mut std_a, &mut [0; 8]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "left non-blocking");
        Ok(())
    });
}

#[test]
fn datagram_pair_carries_datagrams_both_ways() {
    run(async {
        let (a, b) = UnixDatagram::pair()?;
        let mut buf = [0; 32];

        assert_eq!(a.send(b"a to b").await?, 6);
        let n = b.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"a to b");

        b.send(b"b to a").await?;
        let (n, from) = a.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"b to a");
        assert!(from.is_unnamed());
        Ok(())
    });
}

#[test]
fn bound_datagram_recv_from_reports_the_senders_path() {
    let (a_path, b_path) = (SocketPath::new("dgram-a"), SocketPath::new("dgram-b"));
    run(async {
        let a = UnixDatagram::bind(&a_path)?;
        let b = UnixDatagram::bind(&b_path)?;
        assert_eq!(a.local_addr()?.as_pathname(), Some(a_path.as_ref()));

        a.send_to(b"hello", &b_path).await?;
        let mut buf = [0; 32];
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(a_path.as_ref()));

        b.send_to(b"hello back", from.as_pathname().expect("a is bound"))
            .await?;
        let (n, from) = a.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"hello back");
        assert_eq!(from.as_pathname(), Some(b_path.as_ref()));
        Ok(())
    });
}

#[test]
fn unbound_datagram_sends_to_a_bound_one() {
    let path = SocketPath::new("dgram-unbound");
    run(async {
        let receiver = UnixDatagram::bind(&path)?;
        let sender = UnixDatagram::unbound()?;
        sender.send_to(b"anonymous", &path).await?;

        let mut buf = [0; 32];
        let (n, from) = receiver.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"anonymous");
        assert!(from.is_unnamed(), "an unbound sender has no address");
        Ok(())
    });
}

#[test]
fn connected_datagram_sends_and_has_a_peer() {
    let path = SocketPath::new("dgram-connected");
    run(async {
        let receiver = UnixDatagram::bind(&path)?;
        let sender = UnixDatagram::unbound()?;
        assert_eq!(
            sender.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        sender.connect(&path)?;
        assert_eq!(sender.peer_addr()?.as_pathname(), Some(path.as_ref()));

        sender.send(b"connected").await?;
        let mut buf = [0; 32];
        let n = receiver.recv(&mut buf).await?;
        assert_eq!(&buf[..n], b"connected");
        Ok(())
    });
}

#[test]
fn datagram_sender_waits_while_the_receivers_queue_is_full() {
    const COUNT: usize = 2000;
    run(async {
        let (a, b) = UnixDatagram::pair()?;
        let send = async {
            for index in 0..COUNT {
                a.send(&pattern(1024 + index % 512)).await?;
            }
            a.shutdown(Shutdown::Write)
        };
        let receive = async {
            let mut buf = vec![0; 4096];
            for index in 0..COUNT {
                let n = b.recv(&mut buf).await?;
                assert!(buf[..n] == pattern(1024 + index % 512), "datagram {index}");
            }
            io::Result::Ok(())
        };
        let (sent, received) = futures::join!(send, receive);
        sent.and(received)
    });
}
