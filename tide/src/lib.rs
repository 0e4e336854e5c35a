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

#![deny(missing_docs)]

mod app;
mod body;
mod cookie;
mod endpoint;
mod error;
mod h1;
pub mod middleware;
mod panic;
mod percent;
mod recycle;
mod request;
mod response;
mod route;
mod router;
pub mod runtime;
pub mod server;
mod settings;
pub mod testing;

pub use app::{App, new, with_state};
pub use body::{Body, BodyError};
pub use cookie::{Cookie, SameSite};
pub use endpoint::{BoxFuture, Endpoint};
pub use error::{Error, Result, Status};
pub use http::{Method, StatusCode};
pub use middleware::{Middleware, Next};
pub use request::Request;
pub use response::{Json, Redirect, Response, ResponseBuilder};
pub use route::Route;
pub use router::Params;
