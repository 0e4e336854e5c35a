//! A line-based chat room over TCP: every line a client sends goes to every other client,
//! prefixed with the sender's address; joins and leaves are announced.
//!
//! Try it, with the server in one terminal and a client in each of two others:
//!
//! ```text
//! cargo run -p examples --example chat -- 127.0.0.1:8080
//! nc 127.0.0.1 8080
//! nc 127.0.0.1 8080
//! ```
//!
//! The first argument is the address to listen on (default `127.0.0.1:8080`; port 0 picks
//! a free port, printed at start).
//!
//! Nothing a client does can make the server buffer without bound:
//! - a line is at most [`MAX_LINE`] bytes: a client that sends a longer one is told so and
//!   disconnected;
//! - each client's outgoing messages wait in a queue of [`QUEUE_LEN`]: a client that reads
//!   too slowly to keep up is disconnected rather than queued for.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::channel::{mpsc, oneshot};
use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use futures::{FutureExt, StreamExt, pin_mut, select};
use romio::TcpStream;
use romio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use romio::time::timeout;

/// Where to listen when no address is given.
const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Longest line a client may send, in bytes, newline included.
const MAX_LINE: usize = 8 * 1024;
/// Messages queued for one client at most; a client further behind is disconnected.
const QUEUE_LEN: usize = 64;
/// How long a leaving client's queue is flushed and its unread input discarded (closing with
/// unread input resets the connection, which could destroy the goodbye message in flight).
const LINGER: Duration = Duration::from_secs(2);
/// How long to back off after `accept` fails (for instance when out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A message on its way to clients: one allocation shared by every recipient.
type Message = Arc<str>;

/// The clients in the room, by connection id.
#[derive(Clone, Default)]
struct Room {
    clients: Arc<Mutex<HashMap<u64, Member>>>,
}

/// One client as the room sees it. Removing it from the room drops both channels: its
/// writer ends once the queue is flushed, and its task learns that it was kicked.
struct Member {
    peer: SocketAddr,
    /// The only sender of the client's queue (besides the welcome message).
    outbox: mpsc::Sender<Message>,
    /// Dropped when the room removes the client.
    _kick: oneshot::Sender<()>,
}

/// Why a client's reading side stopped.
enum ReadEnd {
    /// End of stream or a read error.
    Closed,
    /// The client sent a line longer than [`MAX_LINE`].
    TooLong,
}

impl Room {
    fn join(&self, id: u64, member: Member) {
        self.lock().insert(id, member);
    }

    /// Removes a client, giving back its entry if it was still there.
    fn leave(&self, id: u64) -> Option<Member> {
        self.lock().remove(&id)
    }

    /// Queues `message` for every client but `from`. Clients whose queue is full are
    /// removed from the room, which disconnects them.
    fn broadcast(&self, from: u64, message: &str) {
        let message: Message = message.into();
        let slow: Vec<Member> = {
            let mut clients = self.lock();
            // `try_send` on each member's own sender: a clone would get a slot of its own
            // and defeat the bound. It wakes the receiving task, which only queues that task
            // on the thread pool: nothing runs under this lock.
            let full: Vec<u64> = clients
                .iter_mut()
                .filter(|(id, _)| **id != from)
                .filter_map(
                    |(id, member)| match member.outbox.try_send(message.clone()) {
                        Err(error) if error.is_full() => Some(*id),
                        _ => None,
                    },
                )
                .collect();
            full.iter().filter_map(|id| clients.remove(id)).collect()
        };
        // Dropped (and their tasks woken) with the room unlocked.
        for member in slow {
            eprintln!("{}: too slow to keep up, disconnected", member.peer);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Member>> {
        // Nothing panics while holding the lock, but a poisoned room is still usable.
        self.clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    // A juliex pool whose idle workers turn romio's reactor.
    let driver = romio::reactor::Driver::attach();
    let waker = driver.clone();
    let pool = juliex::ThreadPool::builder()
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .build()?;
    pool.block_on(serve(&addr))
}

/// Accepts clients forever, one task each.
async fn serve(addr: &str) -> io::Result<()> {
    let listener = romio::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let room = Room::default();
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("accept failed: {error}");
                romio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        next_id += 1;
        // Detached: the task runs until the client leaves.
        drop(juliex::spawn(client(room.clone(), next_id, stream, peer)));
    }
}

/// Serves one client from join to leave.
async fn client(room: Room, id: u64, stream: TcpStream, peer: SocketAddr) {
    eprintln!("{peer}: joined");
    let (reader, writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let (mut outbox, inbox) = mpsc::channel(QUEUE_LEN);
    let (kick, kicked) = oneshot::channel();
    // Cannot fail: the queue is new and its receiver alive.
    let _ = outbox.try_send(format!("* welcome, you are {peer}\n").into());
    room.broadcast(id, &format!("* {peer} joined\n"));
    room.join(
        id,
        Member {
            peer,
            outbox,
            _kick: kick,
        },
    );

    let writing = write_messages(peer, writer, inbox).fuse();
    pin_mut!(writing);
    let ended = {
        let reading = read_lines(&room, id, peer, &mut reader).fuse();
        pin_mut!(reading);
        let mut kicked = kicked;
        select! {
            end = reading => Some(end),
            // A write failed, or the room removed the client: stop at once.
            () = writing => None,
            _ = kicked => None,
        }
    };

    let member = room.leave(id);
    room.broadcast(id, &format!("* {peer} left\n"));
    if let Some(end) = ended {
        if let (ReadEnd::TooLong, Some(mut member)) = (end, member) {
            eprintln!("{peer}: line longer than {MAX_LINE} bytes, disconnected");
            let notice = format!("* lines are limited to {MAX_LINE} bytes, goodbye\n");
            // Skipped if its queue is full: nobody reads it then.
            let _ = member.outbox.try_send(notice.into());
        }
        // Every sender is gone now: the writer flushes the queue and ends. Meanwhile the
        // client's unread input is discarded, since closing a socket with unread input
        // resets the connection, which could destroy the last messages in flight.
        let _ = timeout(LINGER, futures::future::join(writing, drain(&mut reader))).await;
    }
    eprintln!("{peer}: left");
}

/// Reads the client's lines and broadcasts them, until it closes, errs, or sends a line
/// that is too long.
async fn read_lines(
    room: &Room,
    id: u64,
    peer: SocketAddr,
    reader: &mut BufReader<OwnedReadHalf>,
) -> ReadEnd {
    let mut line = Vec::new();
    loop {
        line.clear();
        // One byte more than allowed tells a long line from a line of exactly `MAX_LINE`.
        let mut limited = (&mut *reader).take(MAX_LINE as u64 + 1);
        match limited.read_until(b'\n', &mut line).await {
            Ok(0) => return ReadEnd::Closed,
            Ok(_) if line.len() > MAX_LINE => return ReadEnd::TooLong,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end_matches(['\r', '\n']);
                room.broadcast(id, &format!("{peer}: {text}\n"));
            }
            Err(error) => {
                eprintln!("{peer}: read error: {error}");
                return ReadEnd::Closed;
            }
        }
    }
}

/// Discards what the client still sends, until it closes or errs.
async fn drain(reader: &mut BufReader<OwnedReadHalf>) {
    let mut sink = [0u8; 4096];
    while let Ok(1..) = reader.read(&mut sink).await {}
}

/// Writes queued messages to the client until every sender is gone or a write fails.
/// Dropping the writing half at the end shuts the connection down for writing.
async fn write_messages(
    peer: SocketAddr,
    mut writer: OwnedWriteHalf,
    mut inbox: mpsc::Receiver<Message>,
) {
    while let Some(message) = inbox.next().await {
        if let Err(error) = writer.write_all(message.as_bytes()).await {
            eprintln!("{peer}: write error: {error}");
            return;
        }
    }
}
