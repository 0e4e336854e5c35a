//! A request body kept past its handler (moved into a spawned task, say) cannot read the
//! bytes of a later request on the same connection: once the handler has answered, what is
//! left of its body belongs to the engine, and the stale handle fails.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Request, Response, StatusCode};
use support::{READ_TIMEOUT, TestServer, post, text};
use tide::Body;
use tide::server::Settings;

#[derive(Default)]
struct Shared {
    /// Lets the spawned task read the body it kept.
    release: AtomicBool,
    /// What the kept body gave: `Ok(text)` or `Err(message)`.
    kept: Mutex<Option<Result<String, String>>>,
    /// The second request's handler has started.
    second_started: AtomicBool,
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + READ_TIMEOUT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_body_kept_past_its_handler_cannot_read_the_next_request() {
    let shared = Arc::new(Shared::default());
    let state = shared.clone();
    let service = move |request: Request<Body>| {
        let state = state.clone();
        async move {
            match request.uri().path() {
                "/keep" => {
                    let body = request.into_body();
                    // Dropping the handle detaches the task.
                    drop(juliex::spawn(async move {
                        while !state.release.load(Ordering::SeqCst) {
                            romio::time::sleep(Duration::from_millis(5)).await;
                        }
                        let read = body.bytes().await;
                        *state.kept.lock().unwrap() = Some(
                            read.map(|b| String::from_utf8_lossy(&b).into_owned())
                                .map_err(|e| e.to_string()),
                        );
                    }));
                    text(StatusCode::OK, "kept")
                }
                _ => {
                    state.second_started.store(true, Ordering::SeqCst);
                    match request.into_body().bytes().await {
                        Ok(bytes) => Response::new(Body::from(bytes)),
                        Err(error) => text(error.status(), error.to_string()),
                    }
                }
            }
        }
    };
    let server = TestServer::start(Settings::default(), service);
    let mut client = server.connect();
    client.request(post("/keep", "first")).assert(200, "kept");

    // The second request's body is not sent yet: its handler waits for it.
    client.send("POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\n");
    wait_until("the second handler never started", || {
        shared.second_started.load(Ordering::SeqCst)
    });
    // Now the kept body is read: it must fail at once, not wait for the second body.
    shared.release.store(true, Ordering::SeqCst);
    wait_until(
        "the kept body is still reading: it would take the next request's bytes",
        || shared.kept.lock().unwrap().is_some(),
    );
    let kept = shared.kept.lock().unwrap().clone().unwrap();
    assert!(kept.is_err(), "the kept body read {kept:?}");

    client.send("second");
    client.response().assert(200, "second");
}
