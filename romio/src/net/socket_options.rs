//! Socket options that neither `std` nor `mio` expose on stable: `SO_LINGER`, the peer's
//! credentials and a listener's backlog. Every syscall goes through [`check`].

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Turns a C return value into an `io::Result`.
fn check(result: libc::c_int) -> io::Result<()> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Reads a fixed-size socket option.
fn get_option<T: Copy>(
    socket: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    zeroed: T,
) -> io::Result<T> {
    let mut value = zeroed;
    let mut len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a valid, writable `T` and `len` is its exact size, so the kernel
    // writes at most `len` bytes into it; the descriptor is borrowed for the whole call.
    check(unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&raw mut value).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// Writes a fixed-size socket option.
fn set_option<T: Copy>(
    socket: &impl AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> io::Result<()> {
    // SAFETY: `value` is a valid `T` that lives across the call and the length passed is its
    // exact size; the descriptor is borrowed for the whole call.
    check(unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&raw const value).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
}

/// `SO_LINGER`: how long `close` blocks to send unsent data (`None`: it does not).
pub(crate) fn linger(socket: &impl AsRawFd) -> io::Result<Option<Duration>> {
    let zeroed = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let value = get_option(socket, libc::SOL_SOCKET, libc::SO_LINGER, zeroed)?;
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(value.l_linger.max(0) as u64)))
}

/// Sets `SO_LINGER`.
pub(crate) fn set_linger(socket: &impl AsRawFd, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: linger.is_some() as libc::c_int,
        l_linger: linger.map_or(0, |d| {
            d.as_secs().min(libc::c_int::MAX as u64) as libc::c_int
        }),
    };
    set_option(socket, libc::SOL_SOCKET, libc::SO_LINGER, value)
}

/// Sets the backlog of a socket that is listening already: `listen` called again on a
/// listening socket only changes the length of its queue of connections not yet accepted
/// (Linux, the BSDs and macOS). The kernel caps it at its own maximum (`somaxconn`).
pub(crate) fn set_backlog(socket: &impl AsRawFd, backlog: u32) -> io::Result<()> {
    let backlog = backlog.min(libc::c_int::MAX as u32) as libc::c_int;
    // SAFETY: plain integer arguments; the descriptor is borrowed for the whole call.
    check(unsafe { libc::listen(socket.as_raw_fd(), backlog) })
}

/// Credentials of the process at the other end of a Unix-domain socket.
#[cfg(unix)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UCred {
    /// The peer's process id, where the platform reports it.
    pub pid: Option<i32>,
    /// The peer's effective user id.
    pub uid: u32,
    /// The peer's effective group id.
    pub gid: u32,
}

/// The peer's credentials (`SO_PEERCRED`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn peer_cred(socket: &impl AsRawFd) -> io::Result<UCred> {
    let zeroed = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let cred = get_option(socket, libc::SOL_SOCKET, libc::SO_PEERCRED, zeroed)?;
    Ok(UCred {
        pid: Some(cred.pid),
        uid: cred.uid,
        gid: cred.gid,
    })
}

/// The peer's credentials (`getpeereid`).
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
pub(crate) fn peer_cred(socket: &impl AsRawFd) -> io::Result<UCred> {
    let (mut uid, mut gid) = (0, 0);
    // SAFETY: both out-pointers are valid, writable locals; the descriptor is borrowed.
    check(unsafe { libc::getpeereid(socket.as_raw_fd(), &mut uid, &mut gid) })?;
    Ok(UCred {
        pid: None,
        uid,
        gid,
    })
}
