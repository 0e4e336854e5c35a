//! [`ConnState`]: what one connection is waiting for, seen by the accept loop, so that a full
//! server can make room instead of locking newcomers out.
//!
//! The rule, when [`Settings::max_connections`](crate::server::Settings::max_connections)
//! connections are open and the accept loop has taken one more (held, not yet served, so the
//! server only makes room for a client that is really there): it closes the
//! connection that has waited on its client the longest, idle keep-alive connections first
//! (oldest first, closed quietly), then connections still sending their head or body that
//! have been waiting at least [`PRESSURE_MIN_WAIT`] in their current wait (answered `408`).
//! A connection whose handler runs, or whose response is being written, is never chosen.
//! So under pressure a slow sender's deadline shrinks from its timeout to about a second.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Under pressure, a connection sending its head or body may be closed once its current wait
/// for bytes has lasted this long.
pub const PRESSURE_MIN_WAIT: Duration = Duration::from_secs(1);

/// Not waiting on the client (handling, writing).
const BUSY: u8 = 0;
/// Waiting for the next request, nothing of it received.
const IDLE: u8 = 1;
/// Waiting for more of a request head or body.
const READING: u8 = 2;

/// What a connection is waiting for, and the accept loop's request that it close.
pub(crate) struct ConnState {
    /// [`BUSY`], [`IDLE`] or [`READING`].
    phase: AtomicU8,
    /// When the current wait began (meaningful while not [`BUSY`]).
    since: Mutex<Instant>,
    /// Set by the accept loop: close at the next wait.
    evicted: AtomicBool,
    /// The connection's task, while it waits.
    waker: Mutex<Option<Waker>>,
    /// The identity (data and vtable addresses, 0 for none) of the waker in `waker`,
    /// written under its lock: a poll with a waker of the same identity finds itself
    /// registered without the lock. (A stored waker keeps its task alive, so no other task
    /// can have the same identity while it is stored; `evict` sets `evicted` before it
    /// takes the waker.)
    stored_data: AtomicUsize,
    stored_vtable: AtomicUsize,
}

impl Default for ConnState {
    fn default() -> ConnState {
        ConnState {
            phase: AtomicU8::new(BUSY),
            since: Mutex::new(Instant::now()),
            evicted: AtomicBool::new(false),
            waker: Mutex::new(None),
            stored_data: AtomicUsize::new(0),
            stored_vtable: AtomicUsize::new(0),
        }
    }
}

impl ConnState {
    /// A wait for client bytes begins, at `now` (`idle`: nothing of a request received yet).
    pub(crate) fn begin_wait(&self, idle: bool, now: Instant) {
        *self.since.lock().unwrap_or_else(|p| p.into_inner()) = now;
        self.phase
            .store(if idle { IDLE } else { READING }, Ordering::Release);
    }

    /// The wait ended: bytes came.
    pub(crate) fn end_wait(&self) {
        self.phase.store(BUSY, Ordering::Release);
    }

    /// `Ready` once the accept loop asked this connection to close; registers the waker.
    pub(crate) fn poll_evicted(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.evicted.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        let (data, vtable) = (
            cx.waker().data() as usize,
            std::ptr::from_ref(cx.waker().vtable()) as usize,
        );
        let registered = self.stored_data.load(Ordering::Acquire) == data
            && self.stored_vtable.load(Ordering::Acquire) == vtable;
        let previous = if registered {
            None
        } else {
            let mut waker = self.waker.lock().unwrap_or_else(|p| p.into_inner());
            match &*waker {
                Some(w) if w.will_wake(cx.waker()) => None,
                _ => {
                    self.stored_data.store(data, Ordering::Release);
                    self.stored_vtable.store(vtable, Ordering::Release);
                    waker.replace(cx.waker().clone())
                }
            }
        };
        // A replaced waker is dropped outside the lock.
        drop(previous);
        if self.evicted.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// How long this connection has waited, and whether idly; `None` while busy.
    fn waiting(&self, now: Instant) -> Option<(bool, Duration)> {
        let phase = self.phase.load(Ordering::Acquire);
        if phase == BUSY || self.evicted.load(Ordering::Acquire) {
            return None;
        }
        let since = *self.since.lock().unwrap_or_else(|p| p.into_inner());
        Some((phase == IDLE, now.saturating_duration_since(since)))
    }

    /// Asks the connection to close; returns its waker, to be woken outside every lock.
    fn evict(&self) -> Option<Waker> {
        self.evicted.store(true, Ordering::Release);
        let mut waker = self.waker.lock().unwrap_or_else(|p| p.into_inner());
        self.stored_data.store(0, Ordering::Release);
        self.stored_vtable.store(0, Ordering::Release);
        waker.take()
    }
}

/// Picks the connection to close to make room (see the module docs) and asks it to close;
/// returns its waker, or `None` when no connection may be closed now.
pub(crate) fn evict_one<'a>(states: impl Iterator<Item = &'a ConnState>) -> Option<Option<Waker>> {
    let now = Instant::now();
    // Idle beats reading; among equals, the longest wait.
    let victim = states
        .filter_map(|state| state.waiting(now).map(|w| (w, state)))
        .filter(|((idle, waited), _)| *idle || *waited >= PRESSURE_MIN_WAIT)
        .max_by_key(|((idle, waited), _)| (*idle, *waited))?;
    Some(victim.1.evict())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct CountWakes(AtomicUsize);

    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn an_eviction_wakes_the_task_that_polled_last_however_often_it_polled() {
        let state = ConnState::default();
        state.begin_wait(true, Instant::now());
        let first = Arc::new(CountWakes(AtomicUsize::new(0)));
        let first_waker = Waker::from(first.clone());
        let second = Arc::new(CountWakes(AtomicUsize::new(0)));
        let second_waker = Waker::from(second.clone());
        for waker in [&first_waker, &first_waker, &second_waker, &second_waker] {
            assert!(
                state
                    .poll_evicted(&mut Context::from_waker(waker))
                    .is_pending()
            );
        }
        let evicted = evict_one(std::iter::once(&state)).expect("an idle connection is chosen");
        evicted.expect("the waker is handed over").wake();
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert!(
            state
                .poll_evicted(&mut Context::from_waker(&second_waker))
                .is_ready()
        );
    }
}
