//! Calling tokio-only crates (reqwest, sqlx, `tokio::fs`, `tokio::time`) from tide handlers.
//!
//! ```text
//! cargo run --example tokio_compat [ADDR]     # ADDR defaults to 127.0.0.1:8080
//!
//! curl localhost:8080/sleep?ms=250     # slept 250 ms on tokio's timer (async-compat)
//! curl localhost:8080/file             # this example's Cargo.toml, read by tokio::fs
//! curl localhost:8080/side?ms=100      # the same sleep on a side tokio runtime
//! curl -i localhost:8080/broken        # 500: tokio called bare, "no reactor running"
//! ```
//!
//! tide runs on juliex and romio, not on tokio. A crate built on tokio's reactor or timers
//! panics when it is polled outside a tokio runtime ("there is no reactor running, must be
//! called from the context of a Tokio 1.x runtime"); in a handler that panic becomes a 500
//! (see `/broken`). Two ways out, both here:
//! - **`async_compat::Compat`** wraps the future, and polls it inside a tokio context
//!   (async-compat starts one small tokio runtime in the background for it): the least code.
//!   Wrap an `async` block that makes the tokio calls, not a tokio future made outside it:
//!   `tokio::time::sleep(..)` wants the context when it is called, not only when polled.
//! - **A side runtime** of the app's own: spawn the work on it and await its `JoinHandle`
//!   from the handler (a plain future, fine on juliex): the app decides how many tokio
//!   threads there are and what else they run.
//!
//! tokio stays out of tide itself: only this example depends on it.

use std::sync::OnceLock;
use std::time::Duration;

use async_compat::Compat;
use tide::{Error, Request, StatusCode};

/// The example's app: `/sleep`, `/file`, `/side` and `/broken`.
pub fn app() -> tide::App<()> {
    let mut app = tide::new();
    app.at("/sleep").get(|req: Request<()>| async move {
        let ms = millis(&req)?;
        // tokio's timer, inside a tokio context by Compat. Wrap the whole block:
        // `tokio::time::sleep` needs the context already when it is called.
        Compat::new(async move { tokio::time::sleep(Duration::from_millis(ms)).await }).await;
        Ok(format!("slept {ms} ms on tokio's timer\n"))
    });
    app.at("/file").get(|_| async {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let text = Compat::new(async move { tokio::fs::read_to_string(path).await }).await?;
        Ok(text)
    });
    app.at("/side").get(|req: Request<()>| async move {
        let ms = millis(&req)?;
        let slept = side_runtime().spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        });
        let ms = slept.await?;
        Ok(format!("slept {ms} ms on the side runtime\n"))
    });
    app.at("/broken").get(|_| async {
        // No tokio context here: this panics, and the panic becomes a 500.
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok("unreachable")
    });
    app
}

/// `?ms=N` (default 100, at most 10 s).
fn millis(req: &Request<()>) -> tide::Result<u64> {
    #[derive(serde::Deserialize)]
    struct Query {
        ms: Option<u64>,
    }
    let ms = req.query::<Query>()?.ms.unwrap_or(100);
    if ms > 10_000 {
        return Err(Error::from_str(
            StatusCode::BAD_REQUEST,
            "ms is at most 10000",
        ));
    }
    Ok(ms)
}

/// A tokio runtime of the app's own: one thread that drives tokio's timers and I/O.
fn side_runtime() -> &'static tokio::runtime::Handle {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("start the side tokio runtime");
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("side-tokio".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("start the side tokio thread");
        handle
    })
}

#[allow(dead_code)] // the integration test includes this file for `app` alone
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    app().run(addr)
}
