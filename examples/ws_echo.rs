//! WebSockets: `GET /echo` echoes every message, `GET /chat` is a chat room (each text
//! message goes to everyone connected), and `GET /` is a page that uses both.
//!
//! ```text
//! cargo run --example ws_echo [ADDR]     # ADDR defaults to 127.0.0.1:8080; port 0 picks one
//! # then open http://127.0.0.1:8080/ in a browser, or:
//! python3 -m websockets ws://127.0.0.1:8080/echo
//! ```
//!
//! Ctrl-C (or SIGTERM) stops it gracefully: open sockets are closed with 1001 (going away).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use tide::ws::{Message, WebSocket};
use tide::{Request, Response};

/// The people in the chat room: where to send each one's messages.
#[derive(Clone, Default)]
pub struct Room {
    next_id: Arc<AtomicU64>,
    members: Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Message>>>>,
}

impl Room {
    fn join(&self) -> (u64, mpsc::UnboundedReceiver<Message>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = mpsc::unbounded();
        self.members.lock().unwrap().insert(id, sender);
        (id, receiver)
    }

    fn leave(&self, id: u64) {
        self.members.lock().unwrap().remove(&id);
    }

    fn broadcast(&self, text: &str) {
        // The senders are cloned out, so no message is sent while the lock is held.
        let members: Vec<_> = self.members.lock().unwrap().values().cloned().collect();
        for member in members {
            let _ = member.unbounded_send(Message::text(text));
        }
    }
}

/// Answers every text and binary message with itself.
async fn echo(_request: Request<Room>, mut socket: WebSocket) {
    while let Some(Ok(message)) = socket.recv().await {
        if matches!(message, Message::Text(_) | Message::Binary(_))
            && socket.send(message).await.is_err()
        {
            break;
        }
    }
}

/// Relays each text message to everyone in the room (the sender included).
async fn chat(request: Request<Room>, socket: WebSocket) {
    let room = request.state().clone();
    let (id, mut inbox) = room.join();
    let (mut outgoing, mut incoming) = socket.split();
    room.broadcast(&format!("#{id} joined"));
    let relay = async {
        while let Some(Ok(message)) = incoming.next().await {
            if let Message::Text(text) = message {
                room.broadcast(&format!("#{id}: {text}"));
            }
        }
        // Gone (or the server shuts down): no more messages for this one.
        room.leave(id);
    };
    let deliver = async {
        while let Some(message) = inbox.next().await {
            if outgoing.send(message).await.is_err() {
                break;
            }
        }
    };
    futures::join!(relay, deliver);
    room.broadcast(&format!("#{id} left"));
}

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>tide WebSockets</title>
<h1>Echo</h1>
<form id="echo-form"><input id="echo-input" autocomplete="off"> <button>send</button></form>
<pre id="echo-log"></pre>
<h1>Chat</h1>
<form id="chat-form"><input id="chat-input" autocomplete="off"> <button>say</button></form>
<pre id="chat-log"></pre>
<script>
function socket(path, form, input, log) {
  const ws = new WebSocket(`ws://${location.host}${path}`);
  const show = (line) => { document.getElementById(log).textContent += line + "\n"; };
  ws.onopen = () => show("(connected)");
  ws.onmessage = (event) => show(event.data);
  ws.onclose = (event) => show(`(closed: ${event.code})`);
  document.getElementById(form).onsubmit = (event) => {
    event.preventDefault();
    const field = document.getElementById(input);
    ws.send(field.value);
    field.value = "";
  };
}
socket("/echo", "echo-form", "echo-input", "echo-log");
socket("/chat", "chat-form", "chat-input", "chat-log");
</script>
"#;

/// The app: the page, the echo and the chat room.
pub fn app() -> tide::App<Room> {
    let mut app = tide::with_state(Room::default());
    app.at("/").get(|_| async {
        Ok(Response::builder(tide::StatusCode::OK)
            .content_type("text/html; charset=utf-8")
            .body(PAGE)
            .build())
    });
    app.at("/echo").get(tide::ws::endpoint(echo));
    app.at("/chat").get(tide::ws::endpoint(chat));
    app
}

#[allow(dead_code)]
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
