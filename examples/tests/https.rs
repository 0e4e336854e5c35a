//! The `https` example as a process: it prints its self-signed certificate's path and its
//! address, and answers `GET /` over TLS to a client that trusts that certificate (rustls,
//! and curl when it is installed); a given certificate and key are used as they are.
//!
//! It runs the example binary that `cargo test -p examples` builds alongside; with a
//! `--test https` filter cargo does not rebuild examples, so build it first
//! (`cargo build -p examples --example https`) when running this file alone.

mod process;

use process::Running;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tide::tls::rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tide::tls::rustls::{self, ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// `GET /` over TLS to `addr` as `name`, trusting only the certificate in `cert_file`.
fn https_get(addr: SocketAddr, name: &str, cert_file: &Path) -> String {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert_file).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let conn = ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    tls.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn the_example_serves_hello_world_over_tls_with_its_self_signed_certificate() {
    let mut running = Running::start("https", &["127.0.0.1:0"]);
    let cert_file = PathBuf::from(running.printed("self-signed certificate: "));
    let addr: SocketAddr = running.printed("listening on https://").parse().unwrap();
    for name in ["localhost", "127.0.0.1"] {
        let reply = https_get(addr, name, &cert_file);
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("\r\n\r\nHello, world!"), "{reply}");
    }
    match Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20", "--cacert"])
        .arg(&cert_file)
        .arg(format!("https://localhost:{}/", addr.port()))
        .output()
    {
        Ok(output) => {
            assert!(output.status.success(), "curl: {output:?}");
            assert_eq!(String::from_utf8_lossy(&output.stdout), "Hello, world!");
        }
        Err(error) => println!("curl not run ({error}); .ci/run installs it"),
    }
}

#[test]
fn the_example_uses_the_certificate_and_key_files_it_is_given() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("tide-https-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert_file = dir.join("given-cert.pem");
    let key_file = dir.join("given-key.pem");
    std::fs::write(&cert_file, certified.cert.pem()).unwrap();
    std::fs::write(&key_file, certified.signing_key.serialize_pem()).unwrap();
    let mut running = Running::start(
        "https",
        &[
            "127.0.0.1:0",
            cert_file.to_str().unwrap(),
            key_file.to_str().unwrap(),
        ],
    );
    let addr: SocketAddr = running.printed("listening on https://").parse().unwrap();
    let reply = https_get(addr, "localhost", &cert_file);
    assert!(reply.ends_with("\r\n\r\nHello, world!"), "{reply}");
    let _ = std::fs::remove_dir_all(&dir);
}
