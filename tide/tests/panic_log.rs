//! A panic in a request's handler or middleware is logged once, through `log`, whichever
//! way it happens (its own test binary: the logger is global).

mod support;

use std::sync::{Arc, Mutex};

use support::respond;
use tide::{BoxFuture, Endpoint, Middleware, Next, Request, Response};

/// Keeps every record logged at `Error`.
struct Recorder {
    records: Mutex<Vec<String>>,
}

impl log::Log for Recorder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Error
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.records.lock().unwrap().push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

static RECORDER: Recorder = Recorder {
    records: Mutex::new(Vec::new()),
};

/// A hand-written middleware whose future panics.
struct PanicsInItsFuture;

impl Middleware<()> for PanicsInItsFuture {
    fn handle(
        self: Arc<Self>,
        _req: Request<()>,
        _next: Next<()>,
    ) -> BoxFuture<'static, tide::Result<Response>> {
        Box::pin(async {
            if true {
                panic!("boxed future panic");
            }
            Ok(Response::new(tide::StatusCode::OK))
        })
    }
}

/// A hand-written endpoint that panics when called.
struct PanicsWhenCalled;

impl Endpoint<()> for PanicsWhenCalled {
    fn call(&self, _req: Request<()>) -> BoxFuture<'static, tide::Result<Response>> {
        panic!("endpoint call panic")
    }
}

#[test]
fn a_panic_is_logged_once_with_its_message() {
    log::set_logger(&RECORDER).expect("no other logger in this binary");
    log::set_max_level(log::LevelFilter::Error);
    let mut app = tide::new();
    app.with(|req: Request<()>, next: Next<()>| async move { Ok(next.run(req).await) });
    app.at("/handler").get(|_| async {
        if true {
            panic!("handler future panic");
        }
        Ok("unreachable")
    });
    app.at("/boxed").with(PanicsInItsFuture);
    app.at("/boxed").get(|_| async { Ok("unreachable") });
    app.at("/called").get(PanicsWhenCalled);
    for (path, message) in [
        ("/handler", "handler future panic"),
        ("/boxed", "boxed future panic"),
        ("/called", "endpoint call panic"),
    ] {
        RECORDER.records.lock().unwrap().clear();
        respond(&app, "GET", path, &[], "").assert(500, "Internal Server Error\n");
        let records = RECORDER.records.lock().unwrap().clone();
        assert_eq!(records.len(), 1, "{path}: {records:?}");
        assert!(records[0].contains(message), "{path}: {records:?}");
    }
}
