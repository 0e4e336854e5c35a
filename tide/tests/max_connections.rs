//! `max_connections`: while the server is full it stops accepting; a waiting client is served
//! once a connection closes.

mod support;

use std::time::Duration;

use support::{TestServer, app};
use tide::server::Settings;

#[test]
fn a_second_client_waits_while_the_first_is_busy_and_is_served_once_it_is_idle() {
    let server = TestServer::start(Settings::default().max_connections(1), app);
    let mut first = server.connect();
    first.send(support::get("/sleep?800"));
    std::thread::sleep(Duration::from_millis(100));

    // The kernel completes the handshake, but the server does not accept, and a connection
    // whose handler runs is never closed to make room: no answer.
    let mut second = server.connect();
    second.send(support::get("/second"));
    second.assert_silent(Duration::from_millis(300));
    first.response().assert(200, "slept");

    // Now idle, the first connection is closed to make room (see `server::pressure`).
    second.response().assert(200, "/second");
    first.assert_closed();
    second.get("/again").assert(200, "/again");
}

#[test]
fn a_rejected_connection_frees_its_slot() {
    let server = TestServer::start(Settings::default().max_connections(1), app);
    for i in 0..5 {
        // Each is refused with 400 and closed; the next one gets the slot.
        let mut client = server.connect();
        assert_eq!(client.request("GET / HTTP/1.1\r\n\r\n").status, 400, "{i}");
        client.assert_closed();
    }
    server.connect().get("/ok").assert(200, "/ok");
}

/// A TCP connection to `to` from the loopback address `from` (any of 127.0.0.0/8).
fn connect_from(from: std::net::Ipv4Addr, to: std::net::SocketAddr) -> support::Client {
    use std::os::fd::FromRawFd;
    let std::net::SocketAddr::V4(to) = to else {
        panic!("the test server listens on IPv4")
    };
    let sockaddr = |ip: std::net::Ipv4Addr, port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain integer arguments.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: `fd` is a socket we own; it is owned by the `TcpStream` from here on.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    let local = sockaddr(from, 0);
    let remote = sockaddr(*to.ip(), to.port());
    // SAFETY: both addresses are valid `sockaddr_in`s that live across the calls, `len` is
    // their size, and `fd` is open.
    unsafe {
        assert_eq!(libc::bind(fd, (&raw const local).cast(), len), 0, "bind");
        assert_eq!(
            libc::connect(fd, (&raw const remote).cast(), len),
            0,
            "connect"
        );
    }
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    support::Client::new(stream)
}

#[test]
fn one_address_gets_its_share_and_others_are_still_served() {
    let server = TestServer::start(Settings::default().max_connections_per_ip(2), app);
    let one = std::net::Ipv4Addr::new(127, 0, 0, 1);
    let other = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let mut first = connect_from(one, server.addr());
    let mut second = connect_from(one, server.addr());
    first.get("/a").assert(200, "/a");
    second.get("/b").assert(200, "/b");

    // A third from the same address is closed unanswered; another address is served.
    let mut third = connect_from(one, server.addr());
    third.send(support::get("/c"));
    assert!(
        third.try_response().is_err(),
        "over its share, yet answered"
    );
    connect_from(other, server.addr())
        .get("/d")
        .assert(200, "/d");

    // Once one of the two closes, the address has room again.
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect_from(one, server.addr());
        again.send(support::get("/e"));
        if let Ok(response) = again.try_response() {
            response.assert(200, "/e");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the address never got room back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    second.get("/f").assert(200, "/f");
}
