//! Bring your own source: [`Async`] makes any `mio` source, or any raw file descriptor
//! through [`FdSource`], usable from async code.

mod async_source;
#[cfg(unix)]
mod fd_source;
#[cfg(target_os = "linux")]
pub(crate) mod stream_syscalls;

pub use async_source::Async;
#[cfg(unix)]
pub use fd_source::FdSource;
