//! [`shutdown_signal`]: a future that completes when the process is asked to stop.
//!
//! SIGINT (Ctrl-C) and SIGTERM (what `kill`, systemd and container runtimes send) normally
//! end a process at once: requests in flight are cut off and clients see reset connections.
//! While a [`ShutdownSignal`] waits, the first of those signals completes it instead, so a
//! server can stop gracefully ([`Listening::serve_with_shutdown`](super::Listening::serve_with_shutdown)).
//! A second signal while the graceful shutdown runs (an impatient Ctrl-C) ends the process
//! at once, with the signal's default action; so does every signal when no
//! `ShutdownSignal` waits, as if none had ever been created.
//!
//! Signal handling is [`signal_hook`]'s: its handler writes to a socket pair that romio
//! watches, so the future is woken like any other I/O, and nothing but that write runs in
//! the handler.

use std::future::Future;
use std::io;
use std::os::raw::c_int;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};

/// The signals that ask the process to stop.
const STOP_SIGNALS: [c_int; 2] = [SIGINT, SIGTERM];

/// Waits for SIGINT or SIGTERM (Ctrl-C; what `kill`, systemd and container runtimes send).
///
/// While the returned future waits, the first of those signals completes it instead of
/// ending the process; a second signal after that (an impatient Ctrl-C during the graceful
/// shutdown) ends the process at once with the signal's default action, and so does every
/// signal once no `ShutdownSignal` waits, as if none had been created. The handler only
/// writes to a socket pair that romio watches ([`signal_hook`]'s self-pipe).
///
/// # Errors
///
/// If the signal handlers cannot be installed (the OS refused, or no descriptor is left
/// for the socket pair).
///
/// # Examples
///
/// ```no_run
/// # tide::runtime::block_on(async {
/// let mut app = tide::new();
/// app.at("/").get(|_| async { Ok("Hello, world!") });
/// let server = app.bind("127.0.0.1:8080").await?;
/// // Serves until Ctrl-C or SIGTERM, then lets in-flight requests finish.
/// server
///     .serve_with_shutdown(tide::server::shutdown_signal()?)
///     .await
/// # }).unwrap();
/// ```
pub fn shutdown_signal() -> io::Result<ShutdownSignal> {
    let (reader, writer) = std::os::unix::net::UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    // The handler must never block on a full socket: a signal that finds it full is not
    // needed, one byte is enough to wake the reader.
    writer.set_nonblocking(true)?;
    let disposition = Disposition::get()?;
    let mut ids = Vec::with_capacity(STOP_SIGNALS.len());
    for signal in STOP_SIGNALS {
        match writer
            .try_clone()
            .and_then(|writer| signal_hook::low_level::pipe::register(signal, writer))
        {
            Ok(id) => ids.push(id),
            Err(error) => {
                ids.into_iter().for_each(|id| {
                    signal_hook::low_level::unregister(id);
                });
                return Err(error);
            }
        }
    }
    disposition.enter();
    Ok(ShutdownSignal {
        waiting: Some(Waiting {
            reader: romio::UnixStream::try_from(reader)?,
            ids,
        }),
    })
}

/// The future [`shutdown_signal`] returns: completes on the first SIGINT or SIGTERM after it
/// was created. Dropping it gives the signals back their default action (unless another
/// `ShutdownSignal` waits).
#[must_use = "futures do nothing unless polled"]
pub struct ShutdownSignal {
    /// `None` once the signal arrived.
    waiting: Option<Waiting>,
}

/// A live registration: the socket the handler writes to, and the handler actions.
struct Waiting {
    reader: romio::UnixStream,
    ids: Vec<SigId>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
        if let Some(disposition) = DISPOSITION.get() {
            disposition.leave();
        }
    }
}

impl Future for ShutdownSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(waiting) = &mut self.waiting else {
            return Poll::Ready(());
        };
        let mut byte = [0; 16];
        match Pin::new(&mut waiting.reader).poll_read(cx, &mut byte) {
            Poll::Ready(Ok(n)) if n > 0 => {
                // From now on a second signal ends the process: the graceful shutdown this
                // starts can be cut short by an impatient user.
                self.waiting = None;
                Poll::Ready(())
            }
            // The handler holds the other end for as long as it is registered, so neither an
            // end of stream nor an error can happen; should one, waiting on is the safe
            // choice (the default action still ends the process once this is dropped).
            Poll::Ready(_) | Poll::Pending => Poll::Pending,
        }
    }
}

impl std::fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownSignal")
            .field("signalled", &self.waiting.is_none())
            .finish()
    }
}

/// What SIGINT and SIGTERM do, process-wide: their default action (end the process) while
/// no [`ShutdownSignal`] waits, nothing but waking the waiters while some do.
struct Disposition {
    /// How many `ShutdownSignal`s wait.
    waiting: Mutex<usize>,
    /// `true` while none waits; read by the signal handler, which then runs the default
    /// action.
    default_action: Arc<AtomicBool>,
}

static DISPOSITION: OnceLock<Disposition> = OnceLock::new();

impl Disposition {
    /// The process-wide disposition, its handlers installed on first use.
    fn get() -> io::Result<&'static Disposition> {
        static INSTALLING: Mutex<()> = Mutex::new(());
        if let Some(disposition) = DISPOSITION.get() {
            return Ok(disposition);
        }
        // One thread installs the handlers: two installing at once would leave one flag that
        // no waiter ever clears, and the process would end on a signal it should survive.
        let _installing = INSTALLING.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(disposition) = DISPOSITION.get() {
            return Ok(disposition);
        }
        let default_action = Arc::new(AtomicBool::new(true));
        for signal in STOP_SIGNALS {
            signal_hook::flag::register_conditional_default(signal, default_action.clone())?;
        }
        Ok(DISPOSITION.get_or_init(|| Disposition {
            waiting: Mutex::new(0),
            default_action,
        }))
    }

    fn enter(&self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        *waiting += 1;
        self.default_action.store(false, Ordering::SeqCst);
    }

    fn leave(&self) {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        *waiting -= 1;
        if *waiting == 0 {
            self.default_action.store(true, Ordering::SeqCst);
        }
    }
}
