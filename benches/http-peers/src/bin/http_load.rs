//! `http-load`: a deterministic HTTP/1.1 client for counting a server's instructions per
//! request (benches/http-instructions.sh). It sends an exact number of `GET` requests over a
//! fixed set of keep-alive connections and reads back exactly as many responses, each framed
//! by its `Content-Length`; nothing it does depends on time, so every run asks the server for
//! the same work.
//!
//! ```text
//! http-load [--warmup N] [--hold] ADDR PATH REQUESTS [CONNECTIONS [DEPTH]]
//! ```
//!
//! CONNECTIONS (default 4) connections are opened first. Then, round after round, each
//! connection in turn gets DEPTH (default 1) requests in one write and has its DEPTH responses
//! read in full before the next connection's write. So the server never has two connections
//! ready at once: how many connections one of its wake-ups finds ready would otherwise depend
//! on timing (a server woken by the first of four writes may or may not see the other three),
//! and that alone moved instructions per request by 5% from run to run. REQUESTS (and
//! the warm-up's N) must be a multiple of CONNECTIONS x DEPTH. Every response must be `200`
//! with a `Content-Length` and no `Connection: close`; anything else, a closed connection, a
//! byte past the last response, or 60 s without a byte ends the run with an error and exit
//! status 1.
//!
//! `--warmup N` first sends N requests the same way on the same connections and prints
//! `warm N`. `--hold` makes the client wait for a line on standard input after the warm-up,
//! and for the end of standard input after the measured requests, before it closes the
//! connections: the caller can zero a profiler's counters while the server is idle, and dump
//! them before the server sees the connections close, so that connection set-up and
//! tear-down fall on the same side of the measurement in every run. After the measured
//! requests it prints `requests N responses N response_bytes B body_bytes B`.
//! std only: it must not perturb what it measures, and builds in seconds.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// How long a read may wait for the server before the run fails (a guard, not a measurement).
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The most header bytes one response may have.
const MAX_HEAD: usize = 64 * 1024;

/// What the command line asks for.
struct Plan {
    warmup: u64,
    hold: bool,
    addr: String,
    path: String,
    requests: u64,
    connections: usize,
    depth: usize,
}

/// Totals over the run.
#[derive(Default)]
struct Totals {
    responses: u64,
    response_bytes: u64,
    body_bytes: u64,
}

/// One keep-alive connection and the bytes read from it but not yet parsed.
struct Connection {
    stream: TcpStream,
    pending: Vec<u8>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn usage(message: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{message}\nusage: http-load [--warmup N] [--hold] ADDR PATH REQUESTS [CONNECTIONS [DEPTH]]"
        ),
    )
}

fn parse_plan() -> io::Result<Plan> {
    let mut args = std::env::args().skip(1).peekable();
    let mut warmup = None;
    let mut hold = false;
    while let Some(flag) = args.next_if(|arg| arg.starts_with("--")) {
        match flag.as_str() {
            "--warmup" => warmup = Some(args.next().ok_or_else(|| usage("--warmup needs N"))?),
            "--hold" => hold = true,
            _ => return Err(usage(&format!("unknown option {flag}"))),
        }
    }
    let addr = args.next().ok_or_else(|| usage("missing ADDR"))?;
    let path = args.next().ok_or_else(|| usage("missing PATH"))?;
    if !path.starts_with('/') || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(usage(&format!(
            "PATH must start with / and hold no spaces or controls, not {path:?}"
        )));
    }
    let number = |name: &str, text: Option<String>, default: u64| -> io::Result<u64> {
        match text {
            None => Ok(default),
            Some(text) => text.parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
                usage(&format!(
                    "{name} must be a number of 1 or more, not {text:?}"
                ))
            }),
        }
    };
    let requests = number("REQUESTS", args.next(), 0)?;
    if requests == 0 {
        return Err(usage("missing REQUESTS"));
    }
    let connections = number("CONNECTIONS", args.next(), 4)? as usize;
    let depth = number("DEPTH", args.next(), 1)? as usize;
    if args.next().is_some() {
        return Err(usage("too many arguments"));
    }
    let warmup = match warmup {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| usage(&format!("--warmup takes a number, not {text:?}")))?,
    };
    let per_round = (connections * depth) as u64;
    for (name, n) in [("REQUESTS", requests), ("--warmup", warmup)] {
        if n % per_round != 0 {
            return Err(usage(&format!(
                "{name} ({n}) must be a multiple of CONNECTIONS x DEPTH ({per_round})"
            )));
        }
    }
    Ok(Plan {
        warmup,
        hold,
        addr,
        path,
        requests,
        connections,
        depth,
    })
}

impl Connection {
    fn open(addr: &str) -> io::Result<Connection> {
        let target = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| invalid(format!("{addr} resolves to no address")))?;
        let stream = TcpStream::connect(target)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        Ok(Connection {
            stream,
            pending: Vec::with_capacity(64 * 1024),
        })
    }

    /// Reads more bytes into `pending`; a closed connection or a timeout is an error.
    fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection before the last response",
                    ));
                }
                Ok(n) => {
                    self.pending.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no byte from the server for {} s", READ_TIMEOUT.as_secs()),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one whole response; returns its size and its body's size.
    fn read_response(&mut self) -> io::Result<(usize, usize)> {
        let head_len = loop {
            if let Some(at) = find(&self.pending, b"\r\n\r\n") {
                break at + 4;
            }
            if self.pending.len() > MAX_HEAD {
                return Err(invalid(format!("a response head over {MAX_HEAD} bytes")));
            }
            self.fill()?;
        };
        let body_len = parse_head(&self.pending[..head_len])?;
        while self.pending.len() < head_len + body_len {
            self.fill()?;
        }
        self.pending.drain(..head_len + body_len);
        Ok((head_len + body_len, body_len))
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Checks a response head (status line and headers, ending in the empty line) and returns its
/// `Content-Length`.
fn parse_head(head: &[u8]) -> io::Result<usize> {
    let text = std::str::from_utf8(head)
        .map_err(|_| invalid("a response head that is not UTF-8".to_owned()))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, status) = (parts.next(), parts.next());
    if version != Some("HTTP/1.1") || status != Some("200") {
        return Err(invalid(format!(
            "expected an HTTP/1.1 200, got {status_line:?}"
        )));
    }
    let mut length = None;
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("a header line without a colon: {line:?}")))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n = value
                .parse::<usize>()
                .map_err(|_| invalid(format!("a Content-Length that is no number: {value:?}")))?;
            if length.replace(n).is_some_and(|m| m != n) {
                return Err(invalid("two different Content-Length headers".to_owned()));
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(invalid(format!(
                "Transfer-Encoding {value:?}: this client reads only Content-Length bodies"
            )));
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            return Err(invalid(
                "the server closes the connection (Connection: close)".to_owned(),
            ));
        }
    }
    length.ok_or_else(|| invalid("a response without Content-Length".to_owned()))
}

/// Sends `requests` requests, `batch` (`depth` of them) per write to each connection in turn,
/// reading a batch's responses before the next batch goes out: one connection at a time has
/// work for the server.
fn exchange(
    connections: &mut [Connection],
    batch: &[u8],
    depth: usize,
    requests: u64,
) -> io::Result<Totals> {
    let rounds = requests / (connections.len() * depth) as u64;
    let mut totals = Totals::default();
    for _ in 0..rounds {
        for connection in connections.iter_mut() {
            connection.stream.write_all(batch)?;
            for _ in 0..depth {
                let (size, body) = connection.read_response()?;
                totals.responses += 1;
                totals.response_bytes += size as u64;
                totals.body_bytes += body as u64;
            }
            if !connection.pending.is_empty() {
                return Err(invalid(format!(
                    "{} bytes past the last response asked for",
                    connection.pending.len()
                )));
            }
        }
    }
    Ok(totals)
}

/// Prints `line` at once (the caller may be waiting for it on a pipe).
fn announce(line: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()
}

fn run(plan: &Plan) -> io::Result<()> {
    let mut connections = (0..plan.connections)
        .map(|_| Connection::open(&plan.addr))
        .collect::<io::Result<Vec<_>>>()?;
    let request = format!("GET {} HTTP/1.1\r\nHost: {}\r\n\r\n", plan.path, plan.addr);
    let batch = request.repeat(plan.depth).into_bytes();
    if plan.warmup > 0 || plan.hold {
        exchange(&mut connections, &batch, plan.depth, plan.warmup)?;
        announce(&format!("warm {}", plan.warmup))?;
    }
    if plan.hold {
        io::stdin().lines().next().transpose()?;
    }
    let totals = exchange(&mut connections, &batch, plan.depth, plan.requests)?;
    announce(&format!(
        "requests {} responses {} response_bytes {} body_bytes {}",
        plan.requests, totals.responses, totals.response_bytes, totals.body_bytes
    ))?;
    if plan.hold {
        io::copy(&mut io::stdin().lock(), &mut io::sink())?;
    }
    for connection in &connections {
        let _ = connection.stream.shutdown(Shutdown::Both);
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_plan().and_then(|plan| run(&plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http-load: {e}");
            ExitCode::FAILURE
        }
    }
}
