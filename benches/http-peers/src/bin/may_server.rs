//! may_minihttp 0.1 on may's stackful coroutines: the TechEmpower plaintext leader among Rust
//! servers, as a floor for what a request can cost. `WORKERS` is may's worker-thread count
//! (`may::config().set_workers`); each worker runs its own event loop.
//!
//! may_minihttp writes its own `Server: M` and `Date` headers and `200 Ok` as the reason
//! phrase; the service adds the content type, as the other peers do. It binds the listener
//! itself and does not tell the port it got, so for `127.0.0.1:0` this server asks the kernel
//! for a free port first (bind, read the address, close) and starts on that address.

use std::io;
use std::net::TcpListener;

use may_minihttp::{HttpServer, HttpService, Request, Response};

use http_peers::{APPLICATION_JSON, HELLO, TEXT_PLAIN, args, json_body};

/// The header lines may_minihttp appends as given (`Name: value`, no line end).
const TEXT_PLAIN_HEADER: &str = "Content-Type: text/plain; charset=utf-8";
const APPLICATION_JSON_HEADER: &str = "Content-Type: application/json";

/// The two routes; anything else is a 404.
#[derive(Clone)]
struct Tfb;

impl HttpService for Tfb {
    fn call(&mut self, request: Request, response: &mut Response) -> io::Result<()> {
        match request.path() {
            "/plaintext" => response.header(TEXT_PLAIN_HEADER).body(HELLO),
            "/json" => response
                .header(APPLICATION_JSON_HEADER)
                .body_vec(json_body()),
            _ => {
                response.status_code(404, "Not Found");
            }
        }
        Ok(())
    }
}

fn main() -> io::Result<()> {
    // The header lines above must say what the shared constants say.
    assert!(TEXT_PLAIN_HEADER.ends_with(TEXT_PLAIN));
    assert!(APPLICATION_JSON_HEADER.ends_with(APPLICATION_JSON));

    let (addr, workers) = args();
    may::config().set_workers(workers);
    let addr = if addr.port() == 0 {
        TcpListener::bind(addr)?.local_addr()?
    } else {
        addr
    };
    let server = HttpServer(Tfb).start(addr)?;
    println!("listening on http://{addr}");
    server
        .join()
        .map_err(|_| io::Error::other("the may_minihttp server coroutine panicked"))
}
