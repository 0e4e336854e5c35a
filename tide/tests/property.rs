//! A property test of the whole engine: generated requests (valid, then maybe one bad one,
//! sometimes a mutated byte), split at random points into the reads the server sees, served
//! through `tide::server::serve_connection`; every output must be well-framed responses,
//! one per valid request before the first bad one (which gets a 4xx and the close), nothing
//! after `Connection: close`, and no hang. Deterministic: a failure prints its seed.
//! The nightly, coverage-guided counterpart is `fuzz/` (target `connection`).

use std::time::Duration;

use http::{Request, Response};
use tide::__fuzz::{ScriptedIo, read_responses};
use tide::Body;
use tide::server::{ConnInfo, Settings, serve_connection};

/// Cases per run: about a second in a debug build.
const CASES: u64 = 2000;

/// xorshift64*: small, deterministic, good enough to pick cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"abcxyz019 \r\n\0\xff";
        (0..n)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
}

/// Echoes the request's method and body; a body that cannot be read gets its status.
async fn echo(request: Request<Body>) -> Response<Body> {
    let method = request.method().to_string();
    match request.into_body().bytes().await {
        Ok(bytes) => Response::new(Body::from([method.as_bytes(), b" ", &bytes].concat())),
        Err(error) => {
            let mut response = Response::new(Body::from(error.to_string()));
            *response.status_mut() = error.status();
            response
        }
    }
}

/// A valid request: its bytes, and what the server must do with it.
struct Valid {
    bytes: Vec<u8>,
    method: &'static str,
    body: Vec<u8>,
    /// The connection ends after it (`Connection: close`, or HTTP/1.0 without keep-alive).
    last: bool,
}

/// A valid request; `HEAD` only if `head_allowed`.
fn valid(rng: &mut Rng, head_allowed: bool) -> Valid {
    let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
    let method = rng.pick(&methods[usize::from(!head_allowed) * 2..]);
    let mut target = String::new();
    for _ in 0..=rng.below(3) {
        target.push('/');
        target.push_str(rng.pick(&["a", "todos", "%20x", "1", "caf%C3%A9", ""]));
    }
    if rng.chance(30) {
        target.push_str(rng.pick(&["?q=1", "?a=b&c", "?", "?x=%2F"]));
    }
    let http10 = rng.chance(10);
    let mut head = format!(
        "{method} {target} HTTP/1.{}\r\nHost: test\r\n",
        if http10 { 0 } else { 1 }
    );
    for i in 0..rng.below(5) {
        let name = rng.pick(&["X-Extra", "Accept", "User-Agent", "Cookie", "x-lower"]);
        head.push_str(&format!(
            "{name}: v{i} {}\r\n",
            rng.pick(&["", "a b", "\tt", "*/*"])
        ));
    }
    let mut last = false;
    if rng.chance(10) {
        head.push_str("Connection: close\r\n");
        last = true;
    } else if http10 {
        if rng.chance(50) {
            head.push_str("Connection: keep-alive\r\n");
        } else {
            last = true;
        }
    }
    let body = if rng.chance(50) {
        let n = rng.below(200);
        rng.bytes(n)
    } else {
        Vec::new()
    };
    let chunked = !http10 && rng.chance(40);
    let mut framed = Vec::new();
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        let mut rest = &body[..];
        while !rest.is_empty() {
            let n = (rng.below(64) + 1).min(rest.len());
            let ext = if rng.chance(20) { ";e=1" } else { "" };
            framed.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
            framed.extend_from_slice(&rest[..n]);
            framed.extend_from_slice(b"\r\n");
            rest = &rest[n..];
        }
        framed.extend_from_slice(if rng.chance(20) {
            b"0\r\nTrailer: t\r\n\r\n"
        } else {
            b"0\r\n\r\n"
        });
    } else {
        if !body.is_empty() || rng.chance(30) {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        framed.extend_from_slice(&body);
    }
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&framed);
    Valid {
        bytes,
        method,
        body,
        last,
    }
}

/// Requests the server must refuse (and then close).
const BAD: &[&[u8]] = &[
    b"GARBAGE\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
];

/// Serves `input` split at random points; the bytes the server wrote.
fn serve(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut pieces = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let most = if rng.chance(20) { 4 } else { 300 };
        let n = (rng.below(most) + 1).min(rest.len());
        pieces.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    let (io, written) = ScriptedIo::new(pieces);
    let settings = Settings::default();
    let info = ConnInfo {
        peer_addr: None,
        local_addr: None,
    };
    let served = futures::executor::block_on(romio::time::timeout(
        Duration::from_secs(10),
        serve_connection(io, &echo, &settings, info),
    ));
    assert!(served.is_ok(), "the connection hung on {input:?}");
    written.lock().unwrap().clone()
}

fn check_case(seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut input = Vec::new();
    let mut expected = Vec::new();
    let mut closed = false;
    // A mutated case has no HEAD: a refusal of a head that no longer parses has a body even
    // if it was a HEAD, and reading the output back needs to know.
    let mutated = rng.chance(15);
    for _ in 0..=rng.below(6) {
        let request = valid(&mut rng, !mutated);
        input.extend_from_slice(&request.bytes);
        if !closed {
            closed = request.last;
            expected.push(request);
        }
    }
    let bad = if rng.chance(30) {
        Some(BAD[rng.below(BAD.len())])
    } else {
        None
    };
    if let Some(bad) = bad {
        input.extend_from_slice(bad);
    }
    // Sometimes one byte changed anywhere: then only the framing is known.
    if mutated {
        let at = rng.below(input.len());
        input[at] = rng.bytes(1)[0];
    }

    let out = serve(&mut rng, &input);
    let is_head = |i: usize| expected.get(i).is_some_and(|r| r.method == "HEAD");
    let responses = read_responses(&out, &is_head).unwrap_or_else(|error| {
        panic!(
            "seed {seed}: {error}\ninput: {:?}\noutput: {:?}",
            String::from_utf8_lossy(&input),
            String::from_utf8_lossy(&out)
        )
    });
    if mutated {
        return;
    }
    let context = || {
        format!(
            "seed {seed}\ninput: {:?}\noutput: {:?}",
            String::from_utf8_lossy(&input),
            String::from_utf8_lossy(&out)
        )
    };
    let refused = usize::from(bad.is_some() && !closed);
    assert_eq!(responses.len(), expected.len() + refused, "{}", context());
    for (request, response) in expected.iter().zip(&responses) {
        assert_eq!(response.status, 200, "{}", context());
        if request.method != "HEAD" {
            let body = [request.method.as_bytes(), b" ", &request.body].concat();
            assert_eq!(response.body, body, "{}", context());
        }
    }
    if refused == 1 {
        let refusal = responses.last().unwrap();
        assert!((400..600).contains(&refusal.status), "{}", context());
        assert!(refusal.close, "{}", context());
    }
}

#[test]
fn generated_requests_split_at_random_points_get_well_framed_responses() {
    for seed in 0..CASES {
        check_case(seed);
    }
}
