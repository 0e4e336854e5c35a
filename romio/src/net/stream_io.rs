//! The futures I/O traits for the byte-stream types (TCP and Unix streams and their
//! references), written once: each type names how it reaches its stream. The owned halves
//! (`net/split.rs`) delegate to the references.
//!
//! A stream type provides `poll_read_shared`, `poll_read_vectored_shared`,
//! `poll_write_shared`, `poll_write_vectored_shared` and `shutdown_write`, all on `&self`.

/// Implements `AsyncRead` for a type that reaches a byte stream (`&TcpStream`, `&UnixStream`) through
/// `$get`; the stream provides the `poll_*_shared` methods and `shutdown_write`.
macro_rules! impl_stream_read {
    ($ty:ty, |$this:ident| $get:expr) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $get.poll_read_shared(cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $get.poll_read_vectored_shared(cx, bufs)
            }
        }
    };
}

/// Implements `AsyncWrite` for a type that reaches a byte stream (`&TcpStream`, `&UnixStream`) through
/// `$get`; the stream provides the `poll_*_shared` methods and `shutdown_write`.
/// `poll_close` shuts down the writing side.
macro_rules! impl_stream_write {
    ($ty:ty, |$this:ident| $get:expr) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $get.poll_write_shared(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $get.poll_write_vectored_shared(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // Writes go straight to the kernel: nothing to flush.
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let $this = &*self;
                Poll::Ready($get.shutdown_write())
            }
        }
    };
}

pub(crate) use {impl_stream_read, impl_stream_write};
