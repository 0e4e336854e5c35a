//! Server-Sent Events: a clock that sends one event per second.
//!
//! ```text
//! cargo run --example sse [ADDR]     # ADDR defaults to 127.0.0.1:8080; port 0 picks one
//! curl -N http://127.0.0.1:8080/events                          # id/data lines, 1 per second
//! curl -N -H 'Last-Event-ID: 41' http://127.0.0.1:8080/events   # resumes at 42
//! ```
//!
//! - `GET /events`: `text/event-stream`, one event per second: `id` counts from 0 (or from
//!   the `Last-Event-ID` a reconnecting browser sends, plus one), `data` is the UTC time.
//!   Each client has its own producer task, which stops as soon as the client leaves.
//! - `GET /`: a page whose `EventSource` shows the events as they come.
//!
//! Ctrl-C (or SIGTERM) stops it gracefully: an event stream never finishes on its own, so
//! at shutdown each open stream is ended cleanly where it waits (`Sse` responses ask for
//! that), and browsers reconnect by themselves to wherever the app comes back.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tide::Request;
use tide::sse::{self, Event};

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>tide SSE clock</title>
<h1>tide SSE clock</h1>
<p>Now: <output id="now">connecting…</output></p>
<ol id="log" reversed></ol>
<script>
  const events = new EventSource("/events");
  events.onmessage = (event) => {
    document.getElementById("now").textContent = event.data;
    const item = document.createElement("li");
    item.textContent = `#${event.lastEventId}: ${event.data}`;
    const log = document.getElementById("log");
    log.prepend(item);
    while (log.children.length > 10) log.lastChild.remove();
  };
  events.onerror = () => {
    document.getElementById("now").textContent = "reconnecting…";
  };
</script>
"#;

/// `HH:MM:SS UTC` now.
fn utc_time() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let day = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

/// The clock's events, one per second from `first`, until the client leaves.
async fn events(request: Request) -> tide::Result<impl Into<tide::Response>> {
    let first = sse::last_event_id(&request)
        .and_then(|id| id.parse::<u64>().ok())
        .map_or(0, |id| id.saturating_add(1));
    let (sender, response) = sse::channel();
    drop(juliex::spawn(async move {
        let start = Instant::now();
        for (n, id) in (first..).enumerate() {
            // On a fixed schedule: a slow send does not make the clock drift.
            romio::time::sleep_until(start + Duration::from_secs(n as u64)).await;
            // A number has no line break: `id` cannot refuse it.
            let Ok(event) = Event::new().id(id.to_string()) else {
                break;
            };
            if sender.send(event.data(utc_time())).await.is_err() {
                break; // the client is gone
            }
        }
    }));
    Ok(response)
}

/// The app: the page and the event stream.
fn app() -> tide::App<()> {
    let mut app = tide::new();
    app.at("/").get(|_| async {
        Ok(tide::Response::builder(tide::StatusCode::OK)
            .content_type("text/html; charset=utf-8")
            .body(PAGE))
    });
    app.at("/events").get(events);
    app
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    tide::runtime::block_on(async {
        let server = app().bind(addr).await?;
        println!(
            "listening on http://{}",
            server.local_addr().expect("a TCP address")
        );
        server
            .serve_with_shutdown(tide::server::shutdown_signal()?)
            .await
    })
}
