//! tide: a fast, safe-by-default HTTP/1.1 web framework.
//!
//! ```no_run
//! let mut app = tide::new();
//! app.at("/").get(|_| async { Ok("Hello, world!") });
//! app.run("127.0.0.1:8080")?;
//! # std::io::Result::Ok(())
//! ```
//!
//! - [`App`]: routes ([`App::at`] → [`Route`]), middleware ([`App::with`]), state
//!   ([`with_state`]), and serving ([`App::run`], [`App::listen`], [`App::bind`]).
//! - [`Request`] and [`Response`]: the request a handler gets and what it answers; a handler
//!   returns [`Result`] of anything `Into<Response>` (text, bytes, [`Json`], [`Redirect`], a
//!   status), and `?` works on any error ([`Error`] carries the status).
//! - [`middleware`]: `async fn(req, next)` middleware and the built-ins.
//! - [`testing`]: answer requests in-process, without a socket.
//! - [`server`]: the HTTP/1.1 engine itself, its [`Settings`](server::Settings) (limits and
//!   timeouts, all with safe defaults), and graceful shutdown.
//! - [`runtime`]: the juliex pool wired to romio's reactor that tide runs on.
//! - [`fs`] (feature `fs`, default): static files, safely ([`Route::serve_dir`]).
//! - [`session`] (feature `sessions`): signed session cookies and a pluggable store.
//! - [`multipart`] (feature `multipart`): streaming multipart forms ([`Request::multipart`]).
//! - [`upgrade`]: answer `101 Switching Protocols` and take the connection over
//!   ([`Response::upgrade`]).
//! - [`ws`] (feature `ws`): WebSocket endpoints ([`ws::endpoint`]).
//! - [`sse`]: Server-Sent Events: a response from a stream of events, or a sender handle.
//! - [`tls`] (feature `tls`): HTTPS with rustls ([`App::bind_tls`]), over any
//!   [`Listener`](server::Listener).
//! - [`middleware::Timeout`] and (feature `compression`) `middleware::Compression`.
//!
//! # Crates that need tokio
//!
//! tide runs on juliex and romio, not on tokio. A crate built on tokio's reactor or timers
//! (reqwest, sqlx with its tokio runtime, `tokio::fs`, `tokio::time`) panics when a tide
//! handler polls it: "there is no reactor running, must be called from the context of a
//! Tokio 1.x runtime", which tide catches and answers as a `500`. The way out is to give
//! that code a tokio context: wrap the `async` block that makes the tokio calls in
//! `async_compat::Compat::new(..)` (async-compat runs a small tokio runtime for it), or keep
//! a tokio runtime of your own beside tide and `spawn` the work on it, awaiting its
//! `JoinHandle` in the handler. The `tokio_compat` example does both
//! (`cargo run --example tokio_compat`); tide itself never depends on tokio.

#![deny(missing_docs)]

#[cfg(any(feature = "fs", feature = "compression"))]
#[doc(hidden)]
pub mod __fuzz;
mod accept_encoding;
mod app;
mod body;
mod cookie;
mod endpoint;
mod error;
#[cfg(feature = "fs")]
pub mod fs;
mod h1;
mod layer_future;
pub mod middleware;
#[cfg(feature = "multipart")]
pub mod multipart;
mod panic;
mod percent;
mod recycle;
mod request;
mod response;
mod route;
mod router;
pub mod runtime;
pub mod server;
#[cfg(feature = "sessions")]
pub mod session;
mod settings;
pub mod sse;
pub mod testing;
#[cfg(feature = "tls")]
pub mod tls;
pub mod upgrade;
#[cfg(feature = "ws")]
pub mod ws;

pub use app::{App, new, with_state};
pub use body::{Body, BodyError};
pub use cookie::{Cookie, CookieError, SameSite};
pub use endpoint::{BoxFuture, Endpoint};
pub use error::{Error, Result, Status};
pub use http::{Method, StatusCode};
pub use middleware::{Middleware, Next};
pub use request::Request;
pub use response::{Json, Redirect, Response, ResponseBuilder};
pub use route::Route;
pub use router::Params;
