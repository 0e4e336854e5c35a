//! hyper 1.x (HTTP/1 only) on tokio, with a hand-written service: the lowest layer peer.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use http_peers::{APPLICATION_JSON, HELLO, TEXT_PLAIN, args, json_body, tokio_runtime};

async fn handle(
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (body, content_type) = match request.uri().path() {
        "/plaintext" => (Bytes::from_static(HELLO.as_bytes()), TEXT_PLAIN),
        "/json" => (Bytes::from(json_body()), APPLICATION_JSON),
        _ => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::NOT_FOUND;
            return Ok(response);
        }
    };
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(SERVER, HeaderValue::from_static("hyper"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

fn main() {
    let (addr, workers) = args();
    tokio_runtime(workers).block_on(async move {
        let listener = TcpListener::bind(addr).await.expect("bind");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("local address")
        );
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                // `pipeline_flush` batches the responses to pipelined requests into one write;
                // the timer enforces hyper's default header-read timeout, as tide does its own.
                let _ = http1::Builder::new()
                    .pipeline_flush(true)
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .await;
            });
        }
    });
}
