//! HTTPS: `GET /` answers `Hello, world!` over TLS (tide's `tls` feature, rustls).
//!
//! ```text
//! cargo run --example https [ADDR [CERT.pem KEY.pem]]   # ADDR defaults to 127.0.0.1:8443
//! curl --cacert CERT.pem https://localhost:8443/
//! ```
//!
//! Without certificate and key files it makes a self-signed certificate for `localhost` and
//! `127.0.0.1` at start (rcgen), writes it to a temporary file, and prints that file's path
//! for `curl --cacert`. Ctrl-C (or SIGTERM) stops it gracefully.

use std::io;
use std::path::PathBuf;

use tide::tls::TlsConfig;

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8443".to_owned());
    let tls = match (args.next(), args.next()) {
        (Some(cert), Some(key)) => TlsConfig::from_pem_files(&cert, &key)?,
        (Some(_), None) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "usage: https [ADDR [CERT.pem KEY.pem]]",
            ));
        }
        _ => self_signed()?,
    };
    let mut app = tide::new();
    app.at("/").get(|_| async { Ok("Hello, world!") });
    tide::runtime::block_on(async {
        let server = app.bind_tls(addr, tls).await?;
        println!(
            "listening on https://{}",
            server.local_addr().expect("a TCP address")
        );
        server
            .serve_with_shutdown(tide::server::shutdown_signal()?)
            .await
    })
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, its PEM written to a fresh
/// temporary directory (path printed).
fn self_signed() -> io::Result<TlsConfig> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let cert = certified.cert.pem();
    let key = certified.signing_key.serialize_pem();
    let dir = std::env::temp_dir().join(format!("tide-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cert_file: PathBuf = dir.join("cert.pem");
    std::fs::write(&cert_file, &cert)?;
    println!("self-signed certificate: {}", cert_file.display());
    TlsConfig::from_pem(cert.as_bytes(), key.as_bytes())
}
