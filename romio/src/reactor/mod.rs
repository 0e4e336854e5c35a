//! The reactor: one `mio::Poll`, the registered sources, and the timers.
//!
//! There is one reactor per process, created on first use. Someone must *turn* it (wait for
//! OS events, then wake the tasks they concern) for any I/O future or timer to make
//! progress. Two ways exist, and they can be mixed:
//!
//! - **In the background** (the default): the first time a future has to wait and no
//!   [`Driver`] is attached, romio starts one thread, `romio-reactor`, that turns the
//!   reactor forever. This is what makes romio work under any executor.
//! - **By an external driver**: an executor attaches a [`Driver`] *before* any I/O and turns
//!   the reactor from its idle worker threads ("turn once, waiting at most this long"),
//!   waking the turning thread when it has new work ("wake whoever is turning"). An I/O
//!   event then reaches its task on the thread that will run it, with no thread hop, and the
//!   background thread is never started.
//!
//! Only one thread turns at a time. [`Driver::turn`] returns `false` at once when another
//! thread is turning: the caller should then sleep the ordinary way.
//!
//! ## Guarantees
//! - Sources are registered edge-triggered; readiness is only forgotten after an operation
//!   returned `WouldBlock` (or proved the source drained), so no edge is lost.
//! - Tokens carry a generation: an event still queued for a source that was dropped never
//!   wakes the task of a new source that reused its slot.
//! - Wakers are always called after every reactor lock is released.
//! - Timers never fire early; their resolution is one millisecond.
//!
//! ## Not promised
//! - Spurious wakeups happen: a woken task must retry its operation and be ready to wait again.
//! - If the background thread was already running when a [`Driver`] is attached, it keeps
//!   running beside the driver (both turn, one at a time). Attach drivers before any I/O to
//!   avoid its thread hop.

mod driver;
pub(crate) mod readiness;
mod registration;
mod timers;
mod waiters;

pub use driver::Driver;
pub(crate) use registration::{Registration, Waiter};
pub(crate) use timers::Timer;

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Registry, Token};
use slab::Slab;

use readiness::{ScheduledIo, flags_of, lock};
use timers::Timers;

/// Token of the reactor's own waker (never a slab index: indices are smaller).
const WAKER_TOKEN: Token = Token(usize::MAX);
/// Low bits of a token: the slab index. High bits: the registration's generation.
const INDEX_BITS: u32 = usize::BITS / 2;
/// Mask of the slab index within a token.
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Bits of a token's generation: all the high bits but the top one, so that no token can
/// equal [`WAKER_TOKEN`] (`usize::MAX`).
const GENERATION_BITS: u32 = usize::BITS - INDEX_BITS - 1;
/// Mask of a generation, applied to the registration counter (which wraps at `u32`).
const GENERATION_MASK: u32 = ((1u64 << GENERATION_BITS) - 1) as u32;
/// Events fetched from the OS per turn at most; more wait for the next turn.
const EVENTS_PER_TURN: usize = 1024;
/// Name of the background thread.
pub(crate) const BACKGROUND_THREAD_NAME: &str = "romio-reactor";

/// The process-wide reactor.
pub(crate) struct Reactor {
    /// For (de)registering sources from any thread without the turn lock.
    registry: Registry,
    /// Interrupts the thread blocked in `epoll_wait`/`kevent`.
    waker: mio::Waker,
    /// The poller and its event buffer. Holding this lock *is* turning the reactor.
    turn: Mutex<TurnState>,
    /// Registered sources, indexed by the low bits of their token.
    sources: Mutex<Slab<Arc<SourceEntry>>>,
    /// Generation handed to the next registration.
    next_generation: AtomicU32,
    /// The timers, and the deadline the turning thread waits for; reached through [`Timer`].
    timers: Timers,
    /// Number of attached [`Driver`]s.
    drivers: AtomicUsize,
    /// Whether the background thread was started.
    background_started: AtomicBool,
    /// Lets the background thread be started at most once.
    background_gate: Mutex<bool>,
}

/// A registered source as the reactor sees it.
#[derive(Debug)]
pub(crate) struct SourceEntry {
    generation: u32,
    pub(crate) io: ScheduledIo,
}

/// What the turning thread owns.
struct TurnState {
    poll: Poll,
    events: Events,
}

thread_local! {
    /// Wakers collected during a turn, woken once every lock is released. Kept per thread
    /// so the buffer's capacity is reused across turns.
    static TO_WAKE: RefCell<Vec<Waker>> = const { RefCell::new(Vec::new()) };
}

impl Reactor {
    /// The process-wide reactor, created on first use.
    pub(crate) fn get() -> &'static Reactor {
        static REACTOR: OnceLock<Reactor> = OnceLock::new();
        REACTOR.get_or_init(|| Reactor::new().expect("romio: cannot create the OS poller"))
    }

    fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        Ok(Reactor {
            registry,
            waker,
            turn: Mutex::new(TurnState {
                poll,
                events: Events::with_capacity(EVENTS_PER_TURN),
            }),
            sources: Mutex::new(Slab::new()),
            next_generation: AtomicU32::new(0),
            timers: Timers::new(),
            drivers: AtomicUsize::new(0),
            background_started: AtomicBool::new(false),
            background_gate: Mutex::new(false),
        })
    }

    // ----- sources -----

    /// Adds a source to the poller, edge-triggered for reading and writing.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
    ) -> io::Result<(Token, Arc<SourceEntry>)> {
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed) & GENERATION_MASK;
        let entry = Arc::new(SourceEntry {
            generation,
            io: ScheduledIo::new(),
        });
        let index = lock(&self.sources).insert(entry.clone());
        if index > INDEX_MASK {
            lock(&self.sources).remove(index);
            return Err(io::Error::other("romio: too many registered sources"));
        }
        let token = Token(index | (generation as usize) << INDEX_BITS);
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(error) = self.registry.register(source, token, interest) {
            lock(&self.sources).remove(index);
            return Err(error);
        }
        Ok((token, entry))
    }

    /// Removes a source from the poller. The slab slot is freed by [`Reactor::release`].
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.registry.deregister(source)
    }

    /// Frees the slab slot of a registration whose source is gone.
    pub(crate) fn release(&self, token: Token) {
        let index = token.0 & INDEX_MASK;
        let mut sources = lock(&self.sources);
        // Only remove the entry of this very registration, never a successor's.
        if sources
            .get(index)
            .is_some_and(|entry| entry.generation as usize == token.0 >> INDEX_BITS)
        {
            let entry = sources.remove(index);
            drop(sources);
            entry.io.clear_waiters();
        }
    }

    // ----- turning -----

    /// Wakes the thread that is turning (or makes the next turn return at once).
    pub(crate) fn wake(&self) {
        // An error here means the eventfd/pipe is gone: nothing left to wake.
        let _ = self.waker.wake();
    }

    /// Turns once unless another thread is turning; returns whether this thread turned.
    pub(crate) fn try_turn(&self, timeout: Option<Duration>) -> bool {
        let state = match self.turn.try_lock() {
            Ok(state) => state,
            Err(std::sync::TryLockError::WouldBlock) => return false,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        };
        self.turn_locked(state, timeout);
        true
    }

    /// Turns once, waiting for the turn lock if another thread holds it.
    fn turn_blocking(&self, timeout: Option<Duration>) {
        self.turn_locked(lock(&self.turn), timeout);
    }

    fn turn_locked(
        &self,
        mut state: std::sync::MutexGuard<'_, TurnState>,
        timeout: Option<Duration>,
    ) {
        TO_WAKE.with(|to_wake| {
            let mut to_wake = to_wake.borrow_mut();
            // Timers first: a due timer means no waiting for I/O.
            let (wait, timers_pending) =
                self.timers
                    .before_wait(Instant::now(), timeout, &mut to_wake);

            let TurnState { poll, events } = &mut *state;
            if let Err(error) = poll.poll(events, wait) {
                // EINTR just ends this turn early; anything else is unexpected but not
                // fatal to the tasks: they will be retried on the next turn.
                debug_assert_eq!(error.kind(), io::ErrorKind::Interrupted, "{error}");
                events.clear();
            }
            self.timers.after_wait();

            if !events.is_empty() {
                let sources = lock(&self.sources);
                for event in events.iter() {
                    dispatch(&sources, event.token(), flags_of(event), &mut to_wake);
                }
            }

            // A wait that ended with no event ended at its deadline (or was woken): fire what
            // came due meanwhile. After events, timers due meanwhile fire at the start of the
            // next turn (never early, a little late), which saves a clock read per turn.
            // Timers inserted during the wait are not due yet (an earlier one interrupts the
            // wait and is seen next turn), so with none pending before, there is nothing to fire.
            if timers_pending && events.is_empty() && wait.is_some_and(|w| !w.is_zero()) {
                self.timers.fire_due(Instant::now(), &mut to_wake);
            }
        });
        // Release the turn before running any waker: a waker may run user code.
        drop(state);
        TO_WAKE.with(|to_wake| {
            let mut wakers = std::mem::take(&mut *to_wake.borrow_mut());
            wakers.drain(..).for_each(Waker::wake);
            // Keep the capacity for the next turn on this thread.
            let mut slot = to_wake.borrow_mut();
            if slot.capacity() < wakers.capacity() {
                *slot = wakers;
            }
        });
    }

    // ----- drivers and the background thread -----

    /// Called whenever a future is about to wait on the reactor: makes sure someone turns it.
    pub(crate) fn ensure_driven(&self) {
        if self.drivers.load(Ordering::Acquire) == 0
            && !self.background_started.load(Ordering::Acquire)
        {
            self.start_background();
        }
    }

    fn start_background(&self) {
        let mut started = lock(&self.background_gate);
        if *started {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name(BACKGROUND_THREAD_NAME.into())
            .spawn(|| {
                let reactor = Reactor::get();
                loop {
                    reactor.turn_blocking(None);
                }
            });
        // Out of threads: the next waiting future tries again.
        if spawned.is_ok() {
            *started = true;
            self.background_started.store(true, Ordering::Release);
        }
    }

    /// Whether anything is registered that needs the reactor turned.
    fn has_waiters(&self) -> bool {
        !lock(&self.sources).is_empty() || self.timers.len() > 0
    }

    pub(crate) fn attach_driver(&self) {
        self.drivers.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn detach_driver(&self) {
        if self.drivers.fetch_sub(1, Ordering::AcqRel) == 1 && self.has_waiters() {
            // Futures registered while the driver ran may still wait: hand them to the
            // background thread.
            self.start_background();
        }
    }
}

/// Hands one event to the source its token names, unless the token is the reactor's own
/// waker or is stale: a source that was dropped, whose slot may now hold another source.
fn dispatch(sources: &Slab<Arc<SourceEntry>>, token: Token, flags: usize, wake: &mut Vec<Waker>) {
    if token == WAKER_TOKEN {
        return;
    }
    let Some(entry) = sources.get(token.0 & INDEX_MASK) else {
        return;
    };
    if entry.generation as usize != token.0 >> INDEX_BITS {
        return;
    }
    entry.io.dispatch(flags, wake);
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("drivers", &self.drivers.load(Ordering::Relaxed))
            .field(
                "background_started",
                &self.background_started.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::readiness::{Direction, READABLE};
    use super::waiters::Slot;
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::{Context, Poll, Wake};

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_stale_token_never_reaches_the_source_that_reused_its_slot() {
        let reactor = Reactor::get();
        let (mut old, _old_peer) = mio::net::UnixStream::pair().unwrap();
        let (old_token, _) = reactor.register(&mut old).unwrap();
        reactor.deregister(&mut old).unwrap();
        reactor.release(old_token);
        drop(old);

        // Register new sources until one takes the freed slot (at once, unless another
        // test registered in between).
        let mut held = Vec::new();
        let (new_token, new_entry) = loop {
            let (mut source, peer) = mio::net::UnixStream::pair().unwrap();
            let (token, entry) = reactor.register(&mut source).unwrap();
            held.push((source, peer, token));
            if token.0 & INDEX_MASK == old_token.0 & INDEX_MASK {
                break (token, entry);
            }
            assert!(held.len() < 10_000, "the freed slot was never reused");
        };
        assert_ne!(
            new_token, old_token,
            "same slot, so the generation must differ"
        );

        // The new source's task waits to read.
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(optimistic) =
            new_entry
                .io
                .poll_ready(&mut cx, Direction::Read, Slot::Poller)
        else {
            panic!("a new source starts out readable");
        };
        new_entry.io.clear(optimistic);
        assert!(
            new_entry
                .io
                .poll_ready(&mut cx, Direction::Read, Slot::Poller)
                .is_pending()
        );

        let mut to_wake = Vec::new();
        dispatch(&lock(&reactor.sources), old_token, READABLE, &mut to_wake);
        assert!(to_wake.is_empty(), "the old token reached the new source");
        assert!(
            new_entry
                .io
                .poll_ready(&mut cx, Direction::Read, Slot::Poller)
                .is_pending()
        );

        dispatch(&lock(&reactor.sources), new_token, READABLE, &mut to_wake);
        to_wake.drain(..).for_each(Waker::wake);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);

        for (mut source, _, token) in held {
            reactor.deregister(&mut source).unwrap();
            reactor.release(token);
        }
    }
}
