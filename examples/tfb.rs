//! The TechEmpower Framework Benchmarks app: `GET /plaintext` answers `Hello, World!` and
//! `GET /json` answers `{"message":"Hello, World!"}` (serialized afresh for every request),
//! both with a `server` header added by middleware and the `date` header tide adds itself.
//!
//! ```text
//! cargo run --release --example tfb -- [ADDR] [WORKERS]
//! ```
//!
//! `ADDR` defaults to `127.0.0.1:8080`. `WORKERS` (or the `TFB_WORKERS` environment variable)
//! is the number of juliex worker threads, one per CPU by default. The pool is wired to
//! romio's reactor the way [`tide::runtime::thread_pool`] does it, so an idle worker waits for
//! I/O itself. `benches/http-compare.sh` runs this app under `wrk` against hyper, axum and
//! actix-web.

use std::io;

use serde::Serialize;
use tide::{Json, Next, Request, Response};

/// The JSON answer.
#[derive(Serialize)]
struct Message {
    message: &'static str,
}

/// Adds `server: tide` to every response.
async fn server_header(request: Request<()>, next: Next<()>) -> tide::Result<Response> {
    let mut response = next.run(request).await;
    response.insert_header("server", "tide");
    Ok(response)
}

/// The app: two routes and the middleware.
fn app() -> tide::App<()> {
    let mut app = tide::new();
    app.with(server_header);
    app.at("/plaintext").get(|_| async { Ok("Hello, World!") });
    app.at("/json").get(|_| async {
        Ok(Json(Message {
            message: "Hello, World!",
        }))
    });
    app
}

/// A juliex pool of `workers` threads whose idle workers turn romio's reactor.
fn thread_pool(workers: Option<usize>) -> io::Result<juliex::ThreadPool> {
    let driver = romio::reactor::Driver::attach();
    let waker = driver.clone();
    let mut builder = juliex::ThreadPool::builder().thread_name("tfb-worker");
    if let Some(workers) = workers {
        builder = builder.worker_threads(workers);
    }
    builder
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .build()
}

/// The worker count from the second argument or `TFB_WORKERS`, if either is given.
fn workers(argument: Option<String>) -> io::Result<Option<usize>> {
    let Some(text) = argument.or_else(|| std::env::var("TFB_WORKERS").ok()) else {
        return Ok(None);
    };
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the worker count must be a number of 1 or more, not {text:?}"),
        )),
    }
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let pool = thread_pool(workers(args.next())?)?;
    pool.block_on(async {
        let listening = app().bind(addr.as_str()).await?;
        if let Some(addr) = listening.local_addr() {
            println!("listening on http://{addr}");
        }
        listening
            .serve_with_shutdown(tide::server::shutdown_signal()?)
            .await
    })
}
