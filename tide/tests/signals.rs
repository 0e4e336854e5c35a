//! SIGINT and SIGTERM stop `App::run` gracefully: the request in flight finishes, an idle
//! connection is closed, and the process exits with status 0; a second signal ends it at once.
//!
//! Each case runs the server in a child process (this test binary again, running the ignored
//! test `child_server`), so that the signal reaches only the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Tells the child which server to run: how long its `/slow` handler takes, in ms.
const CHILD_ENV: &str = "TIDE_SIGNALS_TEST_SLOW_MS";
/// Generous bound on anything that should happen "at once".
const PATIENCE: Duration = Duration::from_secs(20);

/// The server under test: `/slow` answers after `$TIDE_SIGNALS_TEST_SLOW_MS` ms and says
/// on stderr when it starts. Run only as the child of the tests below.
#[test]
#[ignore = "the child process of the signal tests, not a test of its own"]
fn child_server() {
    let slow = Duration::from_millis(std::env::var(CHILD_ENV).unwrap().parse().unwrap());
    let mut app = tide::new();
    app.at("/slow").get(move |_| async move {
        eprintln!("handling /slow");
        romio::time::sleep(slow).await;
        Ok("finished")
    });
    app.run("127.0.0.1:0").unwrap();
}

struct Server {
    child: Child,
    stderr: BufReader<ChildStderr>,
    addr: SocketAddr,
}

impl Server {
    fn start(slow: Duration) -> Server {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "child_server", "--nocapture"])
            .env(CHILD_ENV, slow.as_millis().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let line = read_line_with(&mut stderr, "listening on http://");
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Server {
            child,
            stderr,
            addr,
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: `kill` takes plain integers; the pid is our own child, not yet reaped.
        let result = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(result, 0, "kill failed");
    }

    fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the child's stderr until a line containing `needle`.
fn read_line_with(stderr: &mut BufReader<ChildStderr>, needle: &str) -> String {
    loop {
        let mut line = String::new();
        let n = stderr.read_line(&mut line).unwrap();
        assert!(n > 0, "the server's stderr ended before {needle:?}");
        if line.contains(needle) {
            return line;
        }
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

fn read_to_end(mut stream: TcpStream) -> String {
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

fn check_graceful_stop(signal: libc::c_int) {
    let mut server = Server::start(Duration::from_millis(300));
    let idle = connect(server.addr);
    let mut busy = connect(server.addr);
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    read_line_with(&mut server.stderr, "handling /slow");

    server.signal(signal);

    // The idle connection is closed without an answer; the request in flight finishes,
    // told that the connection closes after it.
    assert_eq!(read_to_end(idle), "");
    let response = read_to_end(busy);
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("connection: close\r\n"),
        "{response}"
    );
    assert!(response.ends_with("\r\n\r\nfinished"), "{response}");
    let status = server.wait_for_exit();
    assert!(status.success(), "the server exited with {status}");
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_and_the_process_exits_0() {
    check_graceful_stop(libc::SIGTERM);
}

#[test]
fn sigint_lets_the_request_in_flight_finish_and_the_process_exits_0() {
    check_graceful_stop(libc::SIGINT);
}

#[test]
fn a_second_signal_during_the_graceful_shutdown_ends_the_process_at_once() {
    // The request would hold the graceful shutdown for its whole timeout (30 s).
    let mut server = Server::start(Duration::from_secs(600));
    let mut busy = connect(server.addr);
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    read_line_with(&mut server.stderr, "handling /slow");

    server.signal(libc::SIGTERM);
    // Until the first signal is seen the second would be taken for it: wait until the
    // server stopped listening.
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect(server.addr).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server never stopped listening"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the first signal ended the process"
    );
    server.signal(libc::SIGTERM);
    let status = server.wait_for_exit();
    assert_eq!(status.signal(), Some(libc::SIGTERM), "exited with {status}");
}
