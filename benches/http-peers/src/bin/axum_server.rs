//! axum on tokio, written the way an axum user would: a router and `axum::serve`, with
//! `TCP_NODELAY` set on accepted connections as axum's docs show (tide, hyper-server and
//! actix-web all set it; without it, pipelined responses stall on Nagle's algorithm).

use axum::Router;
use axum::http::header::{CONTENT_TYPE, HeaderValue, SERVER};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;

use http_peers::{APPLICATION_JSON, HELLO, TEXT_PLAIN, args, json_body, tokio_runtime};

async fn plaintext() -> impl IntoResponse {
    (
        [
            (SERVER, HeaderValue::from_static("axum")),
            (CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN)),
        ],
        HELLO,
    )
}

async fn json() -> impl IntoResponse {
    (
        [
            (SERVER, HeaderValue::from_static("axum")),
            (CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON)),
        ],
        json_body(),
    )
}

fn main() {
    let (addr, workers) = args();
    tokio_runtime(workers).block_on(async move {
        let app = Router::new()
            .route("/plaintext", get(plaintext))
            .route("/json", get(json));
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("local address")
        );
        let listener = listener.tap_io(|stream| {
            let _ = stream.set_nodelay(true);
        });
        axum::serve(listener, app).await.expect("serve");
    });
}
