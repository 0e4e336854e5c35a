//! WebSocket over TLS (`wss://`, features `ws` and `tls`): the upgrade hands over the TLS
//! stream, and text and a 200 kB binary message (many TLS records) cross it both ways.
//! (futures-rustls writes its records through at once, so this passes with or without
//! `Upgraded`'s flush; `tests/listener.rs` proves flushing with a stream that buffers.)
#![cfg(all(feature = "ws", feature = "tls"))]

use std::sync::Arc;
use std::time::Duration;

use async_tungstenite::tungstenite::Message as Raw;
use futures::StreamExt;
use futures_rustls::TlsConnector;
use tide::tls::TlsConfig;
use tide::tls::rustls::pki_types::ServerName;
use tide::tls::rustls::{self, ClientConfig, RootCertStore};
use tide::ws::{Message, WebSocket};

async fn echo(_request: tide::Request, mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && socket.send(message).await.is_err()
        {
            return;
        }
    }
}

#[test]
fn text_and_binary_messages_are_echoed_over_wss() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let config = TlsConfig::from_pem(
        certified.cert.pem().as_bytes(),
        certified.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let client_config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();

    let mut app = tide::new();
    app.at("/echo").get(tide::ws::endpoint(echo));
    let listening = tide::runtime::block_on(app.bind_tls("127.0.0.1:0", config)).unwrap();
    let addr = listening.local_addr().unwrap();
    let shutdown = listening.shutdown_handle();
    let server = std::thread::spawn(move || tide::runtime::block_on(listening.serve()));

    let exchange = async {
        let tcp = romio::TcpStream::connect(addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        let tls = TlsConnector::from(Arc::new(client_config))
            .connect(name, tcp)
            .await?;
        let (mut client, response) =
            async_tungstenite::client_async(format!("wss://localhost:{}/echo", addr.port()), tls)
                .await
                .map_err(std::io::Error::other)?;
        assert_eq!(response.status(), 101);
        client.send(Raw::text("over tls")).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), Raw::text("over tls"));
        let big = vec![7u8; 200_000];
        client.send(Raw::binary(big.clone())).await.unwrap();
        assert_eq!(client.next().await.unwrap().unwrap(), Raw::binary(big));
        client.close(None).await.unwrap();
        Ok::<_, std::io::Error>(())
    };
    let outcome = tide::runtime::block_on(async {
        romio::time::timeout(Duration::from_secs(20), exchange).await
    });
    shutdown.shutdown();
    outcome
        .expect("the wss exchange did not finish in time")
        .unwrap();
    server.join().unwrap().unwrap();
}
