//! `recv(2)` and `send(2)` on a connected stream socket, made as bare system calls.
//!
//! On Linux, glibc's `recv` and `send` are thread-cancellation points: in a process with more
//! than one thread, each call first switches the thread to asynchronous cancellation and back
//! afterwards, two atomic read-modify-writes around the system call. Rust never cancels a
//! thread, so a reactor whose every transfer is one of these calls pays for nothing it uses.
//! Measured with `benches/http-instructions.sh` (a plaintext HTTP request: one `recv`, one
//! `send`): 5098 -> 5003 user-space instructions per request, and the wrappers' atomics are
//! dearer than their count. The module is Linux-only; elsewhere streams read and write
//! through std.

use std::io;
use std::os::fd::RawFd;

/// Reads from `fd` into `buf` with `recvfrom(fd, buf, len, 0, NULL, NULL)`. (Every argument
/// goes to `syscall` as a full register: a C `int` passed to a variadic function leaves the
/// upper half undefined.)
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call, and the
    // address arguments are null, which `recvfrom` reads as "do not report the sender".
    let n = unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            libc::c_long::from(fd),
            buf.as_mut_ptr(),
            buf.len(),
            0 as libc::c_long,
            std::ptr::null_mut::<libc::sockaddr>(),
            std::ptr::null_mut::<libc::socklen_t>(),
        )
    };
    transferred(n)
}

/// Writes `buf` to `fd` with `sendto(fd, buf, len, MSG_NOSIGNAL, NULL, 0)`: a peer that has
/// gone away makes the call fail with `BrokenPipe` instead of raising `SIGPIPE`.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the whole call, and a null
    // address of length 0 means "the connected peer".
    let n = unsafe {
        libc::syscall(
            libc::SYS_sendto,
            libc::c_long::from(fd),
            buf.as_ptr(),
            buf.len(),
            libc::c_long::from(libc::MSG_NOSIGNAL),
            std::ptr::null::<libc::sockaddr>(),
            0 as libc::c_long,
        )
    };
    transferred(n)
}

/// A transfer's byte count, or the error `errno` holds.
fn transferred(n: libc::c_long) -> io::Result<usize> {
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn bytes_go_both_ways_and_errors_come_from_errno() {
        let (a, mut b) = UnixStream::pair().unwrap();
        assert_eq!(send(a.as_raw_fd(), b"ping").unwrap(), 4);
        let mut got = [0u8; 8];
        assert_eq!(b.read(&mut got).unwrap(), 4);
        assert_eq!(&got[..4], b"ping");

        b.write_all(b"pong!").unwrap();
        assert_eq!(recv(a.as_raw_fd(), &mut got).unwrap(), 5);
        assert_eq!(&got[..5], b"pong!");

        a.set_nonblocking(true).unwrap();
        let empty = recv(a.as_raw_fd(), &mut got).unwrap_err();
        assert_eq!(empty.kind(), io::ErrorKind::WouldBlock);

        drop(b);
        assert_eq!(recv(a.as_raw_fd(), &mut got).unwrap(), 0, "end of stream");
        let gone = send(a.as_raw_fd(), b"x").unwrap_err();
        assert_eq!(
            gone.kind(),
            io::ErrorKind::BrokenPipe,
            "no SIGPIPE, an error"
        );

        let bad = recv(-1, &mut got).unwrap_err();
        assert_eq!(bad.raw_os_error(), Some(libc::EBADF));
    }
}
