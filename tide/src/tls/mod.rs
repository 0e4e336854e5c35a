//! HTTPS: HTTP/1.1 over TLS with [rustls] (feature `tls`; futures-rustls 0.26, rustls 0.23
//! with its `ring` crypto provider).
//!
//! A [`TlsConfig`] holds the certificate and key (from PEM files, PEM bytes, or a
//! [`rustls::ServerConfig`] of your own), offers ALPN `http/1.1`, and bounds the handshake
//! ([`DEFAULT_HANDSHAKE_TIMEOUT`]). [`Server::bind_tls`](crate::server::Server::bind_tls) and
//! [`App::bind_tls`](crate::App::bind_tls) serve it on a TCP address; a [`TlsListener`] puts
//! TLS over any [`Listener`](crate::server::Listener).
//!
//! Each handshake runs in its connection's own task, so a client that is slow, silent, or
//! speaks something else (plain HTTP, garbage) delays no one: its handshake fails or times
//! out, the failure is logged at debug level, and the connection is dropped. Until the
//! handshake ends the connection counts against
//! [`max_connections`](crate::server::Settings::max_connections) and may be closed to make
//! room as a connection waiting on its client; requests report the client's address in
//! [`ConnInfo`](crate::server::ConnInfo) as over plain TCP.
//!
//! # Examples
//!
//! ```no_run
//! use tide::tls::TlsConfig;
//!
//! # tide::runtime::block_on(async {
//! let mut app = tide::new();
//! app.at("/").get(|_| async { Ok("Hello, world!") });
//! let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
//! let server = app.bind_tls("127.0.0.1:8443", tls).await?;
//! println!("listening on https://{}", server.local_addr().unwrap());
//! server.serve().await
//! # }).unwrap();
//! ```

mod config;
mod listener;

pub use config::{DEFAULT_HANDSHAKE_TIMEOUT, TlsConfig};
pub use futures_rustls::rustls;
pub use futures_rustls::server::TlsStream;
pub use listener::TlsListener;
