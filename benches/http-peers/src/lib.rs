//! What the three peer servers share: the command line, the runtime they run on, and the
//! TechEmpower payloads.
//!
//! Every server takes `ADDR [WORKERS]` (defaults `127.0.0.1:8080` and the number of CPUs),
//! answers `GET /plaintext` with `Hello, World!` (`text/plain; charset=utf-8`) and `GET /json`
//! with `{"message":"Hello, World!"}` (`application/json`, serialized per request), and sends a
//! `server` header naming itself; `date` comes from the framework.

use std::net::SocketAddr;

use serde::Serialize;

/// The plaintext body.
pub const HELLO: &str = "Hello, World!";

/// The content type of the plaintext answer (what tide, axum and actix-web send for text).
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The content type of the JSON answer.
pub const APPLICATION_JSON: &str = "application/json";

/// The JSON answer, serialized afresh for every request.
#[derive(Serialize)]
pub struct Message {
    /// Always [`HELLO`].
    pub message: &'static str,
}

/// The JSON body, serialized with serde_json.
pub fn json_body() -> Vec<u8> {
    serde_json::to_vec(&Message { message: HELLO }).expect("a struct of one string serializes")
}

/// The listen address and worker count from the command line.
pub fn args() -> (SocketAddr, usize) {
    let mut args = std::env::args().skip(1);
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned())
        .parse()
        .expect("the first argument is a socket address, like 127.0.0.1:8080");
    let workers = args.next().map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| {
            n.parse()
                .ok()
                .filter(|&n: &usize| n > 0)
                .expect("the second argument is a worker count of 1 or more")
        },
    );
    (addr, workers)
}

/// A tokio runtime with `workers` threads running tasks: one worker is a current-thread
/// runtime (the thread that accepts also serves, with no cross-thread wake-ups: the fastest
/// tokio setup on one core, and what actix-web runs per worker), more is the multi-thread
/// scheduler with that many workers.
pub fn tokio_runtime(workers: usize) -> tokio::runtime::Runtime {
    let mut builder = if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(workers);
        builder
    };
    builder
        .enable_all()
        .build()
        .expect("start the tokio runtime")
}
