//! [`TlsConfig`]: a server's certificate, key and TLS settings.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_rustls::rustls::pki_types::pem::{self, PemObject};
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use futures_rustls::rustls::{self, ServerConfig};

/// How long a client may take to finish its TLS handshake, from the moment it was accepted,
/// unless [`TlsConfig::handshake_timeout`] says otherwise: a client that has not finished by
/// then is dropped.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The ALPN protocol tide speaks.
const HTTP_1_1: &[u8] = b"http/1.1";

/// A server's TLS setup: a [`rustls::ServerConfig`] and the handshake timeout.
///
/// The configs built from PEM use rustls' safe defaults (TLS 1.2 and 1.3, the `ring`
/// provider, no client authentication) and offer ALPN `http/1.1`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tide::tls::TlsConfig;
///
/// let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
/// let config = TlsConfig::from_pem(key.cert.pem().as_bytes(), key.signing_key.serialize_pem().as_bytes())?
///     .handshake_timeout(Duration::from_secs(5));
/// assert_eq!(config.server_config().alpn_protocols, vec![b"http/1.1".to_vec()]);
/// # Ok::<_, std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    server: Arc<ServerConfig>,
    handshake_timeout: Duration,
}

impl TlsConfig {
    /// From a PEM file holding the certificate chain (the server's certificate first) and a
    /// PEM file holding its private key (PKCS#8, PKCS#1 or SEC1).
    ///
    /// Fails with the file's name when a file cannot be read or holds no certificate or key,
    /// and with `InvalidInput` when rustls refuses the pair.
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> io::Result<TlsConfig> {
        let (cert_chain, key) = (cert_chain.as_ref(), key.as_ref());
        let read = |path: &Path| {
            std::fs::read(path).map_err(|error| {
                io::Error::new(error.kind(), format!("{}: {error}", path.display()))
            })
        };
        let certs = parse_certs(&read(cert_chain)?).map_err(|error| named(cert_chain, error))?;
        let key = parse_key(&read(key)?).map_err(|error| named(key, error))?;
        TlsConfig::from_der(certs, key)
    }

    /// From PEM text: the certificate chain (the server's certificate first) and the
    /// private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> io::Result<TlsConfig> {
        TlsConfig::from_der(parse_certs(cert_chain)?, parse_key(key)?)
    }

    /// From a certificate chain and key already decoded.
    pub fn from_der(
        cert_chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> io::Result<TlsConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| {
                builder
                    .with_no_client_auth()
                    .with_single_cert(cert_chain, key)
            })
            .map_err(|error| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("TLS setup refused: {error}"),
                )
            })?;
        Ok(TlsConfig::from_server_config(server))
    }

    /// From a [`rustls::ServerConfig`] of your own (client authentication, other
    /// providers, session storage). ALPN `http/1.1` is set when it offers no protocol;
    /// a list of its own is kept as it is (include `http/1.1`: tide speaks nothing else).
    pub fn from_server_config(mut config: ServerConfig) -> TlsConfig {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = vec![HTTP_1_1.to_vec()];
        }
        TlsConfig {
            server: Arc::new(config),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// Sets how long a client may take to finish its handshake (default
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]).
    pub fn handshake_timeout(mut self, timeout: Duration) -> TlsConfig {
        self.handshake_timeout = timeout;
        self
    }

    /// The handshake timeout.
    pub fn get_handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The rustls config the handshakes use.
    pub fn server_config(&self) -> &Arc<ServerConfig> {
        &self.server
    }
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn_protocols", &self.server.alpn_protocols.len())
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

/// Every certificate in `pem`, in order; an error when there is none.
fn parse_certs(pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid("certificate chain", error))?;
    if certs.is_empty() {
        return Err(invalid("certificate chain", pem::Error::NoItemsFound));
    }
    Ok(certs)
}

/// The first private key in `pem`.
fn parse_key(pem: &[u8]) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|error| invalid("private key", error))
}

fn invalid(what: &str, error: pem::Error) -> io::Error {
    let message = match error {
        pem::Error::NoItemsFound => format!("no PEM {what} found"),
        error => format!("bad PEM {what}: {error}"),
    };
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// `error`, prefixed with the file it is about.
fn named(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}
