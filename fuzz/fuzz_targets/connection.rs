//! A whole connection from arbitrary bytes, over an in-memory transport through
//! `tide::server::serve_connection`: never a panic or a hang (each input has 10 s); what the
//! server writes is a sequence of well-framed responses with nothing after a
//! `Connection: close`, and at most one response per request head in the input, plus one
//! error answer to a request that is refused before its head is complete.
//!
//! The first byte picks where the rest is split into the reads the server sees. `HEAD` is
//! spelled `GEAD` before serving (a `HEAD` response announces a length it does not send,
//! which a reader only checks knowing the request; tests/property.rs covers it).
#![no_main]

use std::time::Duration;

use http::{Request, Response};
use libfuzzer_sys::fuzz_target;
use tide::Body;
use tide::__fuzz::{ScriptedIo, read_responses};
use tide::server::{ConnInfo, Settings, serve_connection};

/// Echoes the body; a body that cannot be read gets its status.
async fn echo(request: Request<Body>) -> Response<Body> {
    match request.into_body().bytes().await {
        Ok(bytes) => Response::new(Body::from(bytes)),
        Err(error) => {
            let mut response = Response::new(Body::from(error.to_string()));
            *response.status_mut() = error.status();
            response
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, input)) = data.split_first() else {
        return;
    };
    let mut input = input.to_vec();
    for at in 0..input.len().saturating_sub(3) {
        if &input[at..at + 4] == b"HEAD" {
            input[at] = b'G';
        }
    }
    let heads = input.windows(4).filter(|w| *w == b"\r\n\r\n" || w[2..] == *b"\n\n").count();
    // Split into reads of 1 to 8 * pick bytes.
    let mut pieces = Vec::new();
    let mut rest = &input[..];
    let mut step = usize::from(pick) | 1;
    while !rest.is_empty() {
        let n = step.min(rest.len());
        pieces.push(rest[..n].to_vec());
        rest = &rest[n..];
        step = step * 5 % 251 + 1;
    }
    let (io, written) = ScriptedIo::new(pieces);
    let settings = Settings::default();
    let info = ConnInfo { peer_addr: None, local_addr: None };
    let served = futures::executor::block_on(romio::time::timeout(
        Duration::from_secs(10),
        serve_connection(io, &echo, &settings, info),
    ));
    assert!(served.is_ok(), "the connection hung");
    let out = written.lock().unwrap().clone();
    let responses = match read_responses(&out, &|_| false) {
        Ok(responses) => responses,
        Err(error) => panic!("{error}\nfrom input {input:?}"),
    };
    let finals = responses.iter().filter(|r| r.status >= 200).count();
    // A request line the server refuses before the head is complete is answered (400) and
    // the connection closes: at most one answer more than there are complete heads.
    assert!(finals <= heads + 1, "{finals} responses to {heads} heads");
});
