//! Load: 10 000 requests over 100 keep-alive connections at once, every response checked.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{TestServer, app, post};
use tide::server::Settings;

const CONNECTIONS: usize = 100;
const REQUESTS_PER_CONNECTION: usize = 100;

#[test]
fn ten_thousand_requests_over_a_hundred_keep_alive_connections() {
    let server = TestServer::start(Settings::default(), app);
    let addr = server.addr();
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let answered = answered.clone();
            std::thread::spawn(move || {
                let mut client = support::Client::connect(addr);
                for r in 0..REQUESTS_PER_CONNECTION {
                    // Alternate bodiless GETs and echoed POSTs, each unique to this request.
                    let response = if r % 2 == 0 {
                        client.get(&format!("/c{c}/r{r}"))
                    } else {
                        client.request(post("/echo", &format!("body {c}.{r}")))
                    };
                    let expected = if r % 2 == 0 {
                        format!("/c{c}/r{r}")
                    } else {
                        format!("body {c}.{r}")
                    };
                    response.assert(200, &expected);
                    assert!(!response.says_close(), "{response:?}");
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
    assert_eq!(
        answered.load(Ordering::Relaxed),
        CONNECTIONS * REQUESTS_PER_CONNECTION
    );
    server.stop().unwrap();
}
