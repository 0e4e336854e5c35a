//! [`UdpSocket`]: sending and receiving UDP datagrams.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::task::{Context, Poll};

use crate::io::Async;
use crate::net::addr::each_addr;

/// A UDP socket.
///
/// Each receive takes exactly one datagram off the queue; if the buffer is shorter than the
/// datagram, the rest of it is discarded. Each send sends one datagram, whole or not at all.
/// Nothing is retried or reordered: UDP may drop, duplicate or reorder datagrams, and romio
/// does not hide that.
///
/// All methods take `&self`, so the socket can be shared (in an `Arc`, say) between a task
/// that receives and a task that sends. At most one task should wait to receive, and one to
/// send, at a time: the reactor keeps one waker per direction, and a second waiter in the
/// same direction replaces the first one's waker.
///
/// # Examples
///
/// ```
/// use romio::net::UdpSocket;
///
/// # futures::executor::block_on(async {
/// let server = UdpSocket::bind("127.0.0.1:0").await?;
/// let client = UdpSocket::bind("127.0.0.1:0").await?;
///
/// client.send_to(b"ping", server.local_addr()?).await?;
/// let mut buf = [0; 16];
/// let (n, from) = server.recv_from(&mut buf).await?;
/// assert_eq!(&buf[..n], b"ping");
/// assert_eq!(from, client.local_addr()?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: Async<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first address of `addrs` that works.
    pub async fn bind(addrs: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addrs, |addr| async move {
            Ok(UdpSocket {
                io: Async::new(mio::net::UdpSocket::bind(addr)?)?,
            })
        })
        .await
    }

    /// Sets the default destination to the first address of `addrs` that the OS accepts,
    /// and makes the socket receive datagrams from that address only.
    ///
    /// Nothing is sent: a UDP "connection" is only a filter, and it succeeds whether or not
    /// anyone listens there.
    pub async fn connect(&self, addrs: impl ToSocketAddrs) -> io::Result<()> {
        let socket = self.io.get_ref();
        each_addr(addrs, |addr| async move { socket.connect(addr) }).await
    }

    /// Sends `buf` as one datagram to the connected peer, waiting for room in the send
    /// buffer; returns the number of bytes sent.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Polls to send `buf` as one datagram to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write_with(cx, |socket| socket.send(buf))
    }

    /// Receives one datagram from the connected peer into `buf`, waiting until one arrives;
    /// returns its length (at most `buf.len()`).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(buf)).await
    }

    /// Polls to receive one datagram from the connected peer.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read_with(cx, |socket| socket.recv(buf))
    }

    /// Sends `buf` as one datagram to the first address `target` resolves to (as `std`
    /// does); returns the number of bytes sent.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let Some(target) = target.to_socket_addrs()?.next() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no addresses to send data to",
            ));
        };
        self.io
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Polls to send `buf` as one datagram to `target`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_write_with(cx, |socket| socket.send_to(buf, target))
    }

    /// Receives one datagram into `buf`, waiting until one arrives; returns its length and
    /// the address it came from.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.recv_from(buf)).await
    }

    /// Polls to receive one datagram and its sender's address.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_read_with(cx, |socket| socket.recv_from(buf))
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram in the queue: the next
    /// receive gets it again.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.peek(buf)).await
    }

    /// Polls to peek at the next datagram from the connected peer.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read_with(cx, |socket| socket.peek(buf))
    }

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram in the queue: the
    /// next receive gets it again.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|socket| socket.peek_from(buf)).await
    }

    /// Polls to peek at the next datagram and its sender's address.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_read_with(cx, |socket| socket.peek_from(buf))
    }

    /// The address this socket is bound to (with the real port when bound to port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer; fails with `NotConnected` if there is none.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The `SO_BROADCAST` option.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets `SO_BROADCAST`: `true` allows sending to a broadcast address.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// The `IP_MULTICAST_LOOP` option.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`: whether IPv4 multicast datagrams sent from this socket
    /// are looped back to the local host.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// The `IP_MULTICAST_TTL` option.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL`: how many hops IPv4 multicast datagrams may travel (`1`, the
    /// default, keeps them on the local network).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// The `IPV6_MULTICAST_LOOP` option.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether IPv6 multicast datagrams sent from this socket
    /// are looped back to the local host.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address
    /// `interface` (`&Ipv4Addr::UNSPECIFIED` lets the OS choose).
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(multiaddr, interface)
    }

    /// Leaves the IPv4 multicast group `multiaddr` on the interface with address `interface`.
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(multiaddr, interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with index `interface`
    /// (`0` lets the OS choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves the IPv6 multicast group `multiaddr` on the interface with index `interface`.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_TTL` for datagrams sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any: for example the ICMP "port
    /// unreachable" that answered an earlier datagram of a connected socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Deregisters the socket and turns it into a `std` socket, left non-blocking.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner()?.into())
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Registers a `std` socket, switching it to non-blocking mode.
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Async::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::executor::block_on;
    use futures::stream::{FuturesUnordered, StreamExt};

    use super::UdpSocket;
    use crate::reactor::readiness::Direction;
    use crate::time::timeout;

    /// Waits abandoned at once, in rounds of this many tasks, so that a leak would grow
    /// round after round.
    const ROUND: usize = 10_000;
    const ROUNDS: usize = 10;

    #[test]
    fn a_hundred_thousand_abandoned_waits_on_one_silent_socket_leave_no_waiter() {
        block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for round in 0..ROUNDS {
                // Each task (so each waker) is distinct: nothing dedupes them.
                let waits: FuturesUnordered<_> = (0..ROUND)
                    .map(|_| async {
                        let mut buf = [0; 16];
                        timeout(Duration::from_millis(1), socket.recv_from(&mut buf)).await
                    })
                    .collect();
                let timed_out = waits.filter(|result| futures::future::ready(result.is_err()));
                assert_eq!(timed_out.count().await, ROUND, "nothing was sent");
                assert_eq!(
                    socket.io.waiter_count(Direction::Read),
                    0,
                    "round {round} left abandoned waiters behind"
                );
            }

            // The socket still works: a datagram reaches a waiting receiver.
            let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let to = socket.local_addr().unwrap();
            let mut buf = [0; 16];
            let (received, sent) = futures::join!(socket.recv_from(&mut buf), async {
                sender.send_to(b"still here", to).await
            });
            assert_eq!(sent.unwrap(), 10);
            assert_eq!(&buf[..received.unwrap().0], b"still here");
            assert_eq!(socket.io.waiter_count(Direction::Read), 0);
        });
    }
}
