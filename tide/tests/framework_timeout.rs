//! `middleware::Timeout` over a real socket: a slow handler answers 503 with a message and
//! its future is dropped (a drop counter proves it); fast handlers and routes outside the
//! subtree are untouched, and the connection stays usable.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::serve_app;
use tide::Request;
use tide::middleware::Timeout;

/// Counts its drops.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// `/api/slow` sleeps an hour holding a [`DropCounter`]; `/api/fast` answers at once; both
/// under a 200 ms timeout. `/outside` sleeps 600 ms, under no timeout of its own but the
/// app-wide one of 30 s.
fn app(dropped: Arc<AtomicUsize>, finished: Arc<AtomicUsize>) -> tide::App<()> {
    let mut app = tide::new();
    app.with(Timeout::new(Duration::from_secs(30)));
    let mut api = app.at("/api");
    api.with(Timeout::new(Duration::from_millis(200)));
    api.at("slow").get(move |_: Request<()>| {
        let guard = DropCounter(dropped.clone());
        let finished = finished.clone();
        async move {
            let _guard = guard;
            romio::time::sleep(Duration::from_secs(3600)).await;
            finished.fetch_add(1, Ordering::SeqCst);
            Ok("slept an hour")
        }
    });
    api.at("fast").get(|_| async { Ok("fast") });
    app.at("/outside").get(|_| async {
        romio::time::sleep(Duration::from_millis(600)).await;
        Ok("took its time")
    });
    app
}

#[test]
fn a_slow_handler_answers_503_and_its_future_is_dropped() {
    let (dropped, finished) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let server = serve_app(app(dropped.clone(), finished.clone()));
    let mut client = server.connect();

    let started = Instant::now();
    let response = client.get("/api/slow");
    response.assert(503, "the request timed out after 200ms\n");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The handler's future was dropped at the deadline, before the answer was written.
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    assert_eq!(finished.load(Ordering::SeqCst), 0);

    // The same connection goes on.
    client.get("/api/fast").assert(200, "fast");
    client.get("/outside").assert(200, "took its time");
    client
        .get("/api/slow")
        .assert(503, "the request timed out after 200ms\n");
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
    assert_eq!(finished.load(Ordering::SeqCst), 0);
}
