//! `tide::sse` over real sockets: events leave one by one as they are produced, a client
//! that goes away stops the producer, an idle stream gets keep-alive comments, and
//! `Last-Event-ID` reaches the handler.

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{TestServer, get};
use tide::server::Settings;
use tide::sse::{self, Event, KeepAlive, Sse};

/// Generous bound for anything that should happen "promptly".
const PROMPTLY: Duration = Duration::from_secs(5);

/// Serves `app` with the default settings.
fn serve(app: tide::App<()>) -> TestServer {
    TestServer::start(Settings::default(), app.into_service())
}

/// Reads from `stream` into `seen` until `needle` has arrived; returns when it did.
fn read_until(stream: &mut TcpStream, seen: &mut Vec<u8>, needle: &str) -> Instant {
    while !String::from_utf8_lossy(seen).contains(needle) {
        let mut buf = [0u8; 4096];
        let n = stream
            .read(&mut buf)
            .unwrap_or_else(|error| panic!("waiting for {needle:?}: {error}"));
        assert!(
            n > 0,
            "the connection closed before {needle:?}: {:?}",
            String::from_utf8_lossy(seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    Instant::now()
}

#[test]
fn events_arrive_one_by_one_as_they_are_produced() {
    const GAP: Duration = Duration::from_millis(300);
    let mut app = tide::new();
    app.at("/events").get(|_| async {
        let (sender, response) = sse::channel();
        drop(juliex::spawn(async move {
            for n in 0..4 {
                if n > 0 {
                    romio::time::sleep(GAP).await;
                }
                let event = Event::new().id(n.to_string())?.data(format!("tick {n}"));
                sender.send(event).await?;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
        Ok(response)
    });
    let server = serve(app);
    let mut client = server.connect();
    client.send(get("/events"));
    let stream = client.stream();
    let mut seen = Vec::new();
    let mut arrivals = Vec::new();
    for n in 0..4 {
        let event = format!("id: {n}\ndata: tick {n}\n\n");
        arrivals.push(read_until(stream, &mut seen, &event));
        // Each event arrives alone: the next one is not produced yet.
        let next = format!("data: tick {}", n + 1);
        assert!(
            !String::from_utf8_lossy(&seen).contains(&next),
            "event {} arrived with event {n}",
            n + 1
        );
    }
    // The stream ends once the producer drops its sender.
    read_until(stream, &mut seen, "\r\n0\r\n\r\n");
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= GAP / 2,
            "events held back and sent together: {gap:?}"
        );
    }
    let text = String::from_utf8_lossy(&seen);
    let head = &text[..text.find("\r\n\r\n").unwrap()].to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(
        head.contains("\r\ncontent-type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\ncache-control: no-cache\r\n"), "{head}");
    assert!(
        head.contains("\r\ntransfer-encoding: chunked\r\n"),
        "{head}"
    );
    assert!(!head.contains("content-length"), "{head}");
}

#[test]
fn a_client_that_goes_away_stops_the_producer() {
    // The producer sends rarely: the server notices the client is gone by reading the end
    // of its stream, not by a failed write; the producer's next send fails.
    let (stopped, stops) = mpsc::channel::<usize>();
    let stopped = Mutex::new(stopped);
    let mut app = tide::new();
    app.at("/events").get(move |_| {
        let stopped = stopped.lock().unwrap().clone();
        async move {
            let (sender, response) = sse::channel();
            drop(juliex::spawn(async move {
                let mut sent = 0;
                while sender.send(Event::new().data("tick")).await.is_ok() {
                    sent += 1;
                    romio::time::sleep(Duration::from_millis(200)).await;
                }
                assert!(sender.is_closed());
                let _ = stopped.send(sent);
            }));
            Ok(response.without_keep_alive())
        }
    });
    let server = serve(app);
    let mut client = server.connect();
    client.send(get("/events"));
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "data: tick\n\n");
    drop(client);
    let sent = stops
        .recv_timeout(PROMPTLY)
        .expect("the producer went on after its client left");
    assert!((1..20).contains(&sent), "{sent}");
}

#[test]
fn a_producer_waiting_on_closed_learns_at_once_that_its_client_left() {
    // No event after the first, no keep-alive: no write can fail, only the end of the
    // client's stream tells the server (and through it the producer).
    let (stopped, stops) = mpsc::channel::<()>();
    let stopped = Mutex::new(stopped);
    let mut app = tide::new();
    app.at("/events").get(move |_| {
        let stopped = stopped.lock().unwrap().clone();
        async move {
            let (sender, response) = sse::channel();
            drop(juliex::spawn(async move {
                if sender.send(Event::new().data("hello")).await.is_ok() {
                    sender.closed().await;
                    let _ = stopped.send(());
                }
            }));
            Ok(response.without_keep_alive())
        }
    });
    let server = serve(app);
    let mut client = server.connect();
    client.send(get("/events"));
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "data: hello\n\n");
    assert!(stops.try_recv().is_err(), "closed before the client left");
    drop(client);
    stops
        .recv_timeout(PROMPTLY)
        .expect("the producer was not told its client left");
}

#[test]
fn a_stream_of_events_is_dropped_when_its_client_goes_away() {
    // `Sse::new` over a stream that sends one event and then waits forever.
    struct Told(mpsc::Sender<()>);
    impl Drop for Told {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let (dropped, drops) = mpsc::channel::<()>();
    let dropped = Mutex::new(dropped);
    let mut app = tide::new();
    app.at("/events").get(move |_| {
        let told = Told(dropped.lock().unwrap().clone());
        async move {
            let first = futures::stream::once(async { Ok(Event::new().data("only")) });
            let forever = futures::stream::unfold(told, |told| async move {
                futures::future::pending::<()>().await;
                Some((Ok::<_, std::convert::Infallible>(Event::new()), told))
            });
            Ok(Sse::new(futures::StreamExt::chain(first, forever)))
        }
    });
    let server = serve(app);
    let mut client = server.connect();
    client.send(get("/events"));
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "data: only\n\n");
    assert!(drops.try_recv().is_err());
    drop(client);
    drops
        .recv_timeout(PROMPTLY)
        .expect("the stream was not dropped after its client left");
}

#[test]
fn an_idle_stream_gets_keep_alive_comments_and_events_still_pass() {
    let (go, went) = mpsc::channel::<()>();
    let went = Mutex::new(Some(went));
    let mut app = tide::new();
    app.at("/default").get(|_| async {
        let (sender, response) = sse::channel();
        drop(juliex::spawn(async move {
            romio::time::sleep(Duration::from_millis(350)).await;
            let _ = sender.send(Event::new().data("after the quiet")).await;
        }));
        Ok(response.keep_alive(KeepAlive::new().interval(Duration::from_millis(100))))
    });
    app.at("/text").get(move |_| {
        let went = went.lock().unwrap().take().expect("one request");
        async move {
            let (sender, response) = sse::channel();
            // Keep the sender alive (the stream open) until the test says so.
            std::thread::spawn(move || {
                let _ = went.recv();
                drop(sender);
            });
            Ok(response.keep_alive(
                KeepAlive::new()
                    .interval(Duration::from_millis(100))
                    .text("still here"),
            ))
        }
    });
    let server = serve(app);

    let mut client = server.connect();
    client.send(get("/default"));
    let mut seen = Vec::new();
    read_until(client.stream(), &mut seen, "data: after the quiet\n\n");
    let text = String::from_utf8_lossy(&seen);
    let comments = text.matches("\r\n:\n\n\r\n").count();
    assert!(comments >= 1, "no keep-alive before the event: {text:?}");
    // The comments came before the event, each its own chunk.
    assert!(text.find(":\n\n").unwrap() < text.find("data: after").unwrap());

    let mut client = server.connect();
    client.send(get("/text"));
    let mut seen = Vec::new();
    // Two comments, each in its own chunk (`e` = 14 bytes), while nothing else happens.
    let comment = "e\r\n: still here\n\n\r\n";
    while String::from_utf8_lossy(&seen).matches(comment).count() < 2 {
        let mut buf = [0u8; 1024];
        let n = client
            .stream()
            .read(&mut buf)
            .expect("a second keep-alive comment");
        assert!(n > 0, "the connection closed");
        seen.extend_from_slice(&buf[..n]);
    }
    go.send(()).unwrap();
    read_until(client.stream(), &mut seen, "\r\n0\r\n\r\n");
}

#[test]
fn last_event_id_reaches_the_handler() {
    let mut app = tide::new();
    app.at("/events").get(|request: tide::Request| async move {
        let resumed = match sse::last_event_id(&request) {
            Some(id) => format!("resumed after {id}"),
            None => "from the start".to_owned(),
        };
        let event = Event::new().data(resumed);
        Ok(Sse::new(futures::stream::iter([Ok::<
            _,
            std::convert::Infallible,
        >(event)])))
    });
    let server = serve(app);
    let mut client = server.connect();
    let response = client.request("GET /events HTTP/1.1\r\nHost: t\r\nLast-Event-ID: 41\r\n\r\n");
    assert_eq!(response.text(), "data: resumed after 41\n\n");
    assert_eq!(client.get("/events").text(), "data: from the start\n\n");
}

#[test]
fn a_failing_event_stream_ends_without_the_last_chunk() {
    let mut app = tide::new();
    app.at("/events").get(|_| async {
        let events = futures::stream::iter([
            Ok(Event::new().data("one")),
            Err(std::io::Error::other("the source failed")),
        ]);
        Ok(Sse::new(events))
    });
    let server = serve(app);
    let mut client = server.connect();
    client.send(get("/events"));
    let error = client
        .try_response()
        .expect_err("a chunked body cut short must not parse");
    assert!(
        error.kind() == std::io::ErrorKind::UnexpectedEof || support::is_reset(&error),
        "{error}"
    );
}

#[test]
fn each_event_moves_the_keep_alive_on() {
    // Events 100 ms apart for longer than the keep-alive interval: no comment between them,
    // since each event starts the interval again.
    let mut app = tide::new();
    app.at("/events").get(|_| async {
        let (sender, response) = sse::channel();
        drop(juliex::spawn(async move {
            for n in 0..10 {
                romio::time::sleep(Duration::from_millis(100)).await;
                if sender.send(Event::new().data(n.to_string())).await.is_err() {
                    return;
                }
            }
        }));
        Ok(response.keep_alive(KeepAlive::new().interval(Duration::from_millis(600))))
    });
    let server = serve(app);
    let mut client = server.connect();
    client.send(get("/events"));
    let mut seen = Vec::new();
    let started = Instant::now();
    read_until(client.stream(), &mut seen, "\r\n0\r\n\r\n");
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("data: 9\n\n"), "{text:?}");
    assert!(
        !text.contains(":\n\n"),
        "a keep-alive between events ({:?}): {text:?}",
        started.elapsed()
    );
}

#[test]
fn at_shutdown_a_waiting_event_stream_ends_cleanly_and_serve_returns() {
    let (gone_tx, gone_rx) = mpsc::channel();
    let gone_tx = Mutex::new(gone_tx);
    let mut app = tide::new();
    app.at("/events").get(move |_| {
        let gone_tx = gone_tx.lock().unwrap().clone();
        async move {
            let (sender, response) = sse::channel();
            drop(juliex::spawn(async move {
                let first = Event::new().data("first");
                if sender.send(first).await.is_ok() {
                    // Then nothing more: the stream waits until the client or the server goes.
                    sender.closed().await;
                }
                let _ = gone_tx.send(());
            }));
            Ok(response)
        }
    });
    // Far longer than the test may take: only a clean end at shutdown lets serve return.
    let settings = Settings::default().shutdown_timeout(Duration::from_secs(60));
    let server = TestServer::start(settings, app.into_service());
    let mut client = server.connect();
    client.send(get("/events"));
    let stream = client.stream();
    let mut seen = Vec::new();
    read_until(stream, &mut seen, "data: first\n\n");
    let shutdown = server.shutdown_handle();
    shutdown.shutdown();
    // The response ends with its last chunk, then the connection closes.
    read_until(stream, &mut seen, "\r\n0\r\n\r\n");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    gone_rx
        .recv_timeout(PROMPTLY)
        .expect("the producer learnt that the stream ended");
    server.join().unwrap();
}
