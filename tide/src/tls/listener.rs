//! [`TlsListener`]: TLS over any [`Listener`].

use std::io;
use std::net::SocketAddr;

use futures_rustls::TlsAcceptor;
use futures_rustls::server::TlsStream;

use super::TlsConfig;
use crate::server::{Accepted, Listener};

/// A [`Listener`] whose connections are TLS over those of `inner`: each handshake runs in
/// its connection's task (see [`Accepted::with_handshake`]), within the config's handshake
/// timeout; requests report the addresses `inner` gave.
///
/// # Examples
///
/// HTTPS on a Unix socket:
///
/// ```no_run
/// use tide::tls::{TlsConfig, TlsListener};
///
/// # tide::runtime::block_on(async {
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// let unix = romio::UnixListener::bind("/tmp/app.sock")?;
/// app.bind_listener(TlsListener::new(unix, tls)).serve().await
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TlsListener<L> {
    inner: L,
    config: TlsConfig,
}

impl<L: Listener> TlsListener<L> {
    /// TLS with `config` over `inner`'s connections.
    pub fn new(inner: L, config: TlsConfig) -> TlsListener<L> {
        TlsListener { inner, config }
    }

    /// The listener underneath.
    pub fn get_ref(&self) -> &L {
        &self.inner
    }
}

impl<L: Listener> Listener for TlsListener<L> {
    type Io = TlsStream<L::Io>;

    async fn accept(&mut self) -> io::Result<Accepted<TlsStream<L::Io>>> {
        let accepted = self.inner.accept().await?;
        let acceptor = TlsAcceptor::from(self.config.server_config().clone());
        let timeout = self.config.get_handshake_timeout();
        Ok(accepted.and_then(move |io| async move {
            match romio::time::timeout(timeout, acceptor.accept(io)).await {
                Ok(Ok(stream)) => Ok(stream),
                Ok(Err(error)) => Err(io::Error::new(
                    error.kind(),
                    format!("TLS handshake failed: {error}"),
                )),
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("TLS handshake not finished within {timeout:?}"),
                )),
            }
        }))
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr()
    }
}
