//! Per-source readiness: what the OS last reported for one registered source, and the
//! tasks waiting for it to change.
//!
//! The state is one atomic word: the low bits are readiness flags, the high bits a tick
//! that the reactor bumps on every event. Readiness is only cleared by a caller that saw an
//! operation fail with `WouldBlock`, and only if no event arrived since it read the
//! readiness (the tick still matches): an event that lands between the failed syscall and
//! the clear is never lost.
//!
//! The waiters of each direction live in a [`WaitList`]; see `waiters.rs` for which waits
//! get a slot of their own (every `async` operation) and which share one (`poll_*` methods).

use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use std::sync::atomic::{AtomicUsize, Ordering};

use super::waiters::{Slot, WaitKey, WaitList};

/// The source can be read without blocking (or a read reports an error or end of stream).
pub(crate) const READABLE: usize = 1 << 0;
/// The source can be written without blocking.
pub(crate) const WRITABLE: usize = 1 << 1;
/// The peer closed its writing side: on a stream, reads return end of stream from now on.
pub(crate) const READ_CLOSED: usize = 1 << 2;
/// The writing side is closed: on a stream, writes fail from now on.
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
/// The OS reported an error on the source; both directions are woken to observe it.
pub(crate) const ERROR: usize = 1 << 4;

/// Bits that count as "ready" for a reader.
const READ_MASK: usize = READABLE | READ_CLOSED | ERROR;
/// Bits that count as "ready" for a writer.
const WRITE_MASK: usize = WRITABLE | WRITE_CLOSED | ERROR;
// Every bit is cleared by a `WouldBlock` in its direction. On a stream the closed bits are in
// effect sticky (a closed stream never says `WouldBlock` again), but a datagram socket's error
// (an ICMP "port unreachable") is reported once, after which the socket waits again like any
// other: keeping the bit would make every wait return at once and the caller spin.

/// Number of low bits that hold readiness flags; the rest hold the event tick.
const TICK_SHIFT: u32 = 8;
/// Mask of the readiness flags.
const FLAGS: usize = (1 << TICK_SHIFT) - 1;

/// Which half of a source a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Waiting to read (or accept, or receive).
    Read,
    /// Waiting to write (or connect, or send).
    Write,
}

impl Direction {
    fn mask(self) -> usize {
        match self {
            Direction::Read => READ_MASK,
            Direction::Write => WRITE_MASK,
        }
    }
}

/// Readiness observed by a task: the flags it saw and the tick they belonged to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    flags: usize,
}

impl ReadyEvent {
    /// Only the "data may be there" part of the readiness: what a short transfer proves
    /// gone. The closed and error bits stay, so an end of stream that arrived with the last
    /// data is still seen by the next read.
    pub(crate) fn data_only(self) -> ReadyEvent {
        ReadyEvent {
            tick: self.tick,
            flags: self.flags & (READABLE | WRITABLE),
        }
    }
}

/// The tasks parked on one source, per direction: a reader and a writer can wait at the same
/// time, and so can several readers (tasks accepting on one listener, say); all of a
/// direction's waiters are woken by its event.
#[derive(Default)]
struct Waiters {
    readers: WaitList,
    writers: WaitList,
}

impl Waiters {
    fn of(&mut self, direction: Direction) -> &mut WaitList {
        match direction {
            Direction::Read => &mut self.readers,
            Direction::Write => &mut self.writers,
        }
    }
}

/// Readiness and waiters of one registered source, shared by the source and the reactor.
pub(crate) struct ScheduledIo {
    /// Readiness flags in the low bits, event tick in the high bits.
    state: AtomicUsize,
    waiters: Mutex<Waiters>,
}

impl ScheduledIo {
    /// A new source starts out optimistically ready both ways, so the first operation is
    /// attempted at once; a `WouldBlock` clears the guess.
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            state: AtomicUsize::new(READABLE | WRITABLE),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Records an event from the OS and moves the wakers it concerns into `wake`.
    /// The caller wakes them after releasing its locks.
    pub(crate) fn dispatch(&self, flags: usize, wake: &mut Vec<Waker>) {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let tick = (current >> TICK_SHIFT).wrapping_add(1);
            let next = (tick << TICK_SHIFT) | (current & FLAGS) | flags;
            // Publish the flags and a fresh tick in one step: whoever read the old tick can
            // no longer clear what this event reported.
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let mut waiters = lock(&self.waiters);
        // A stream's events usually report both directions (a socket with data to read is
        // also writable) while a task waits in one: the other's list is empty.
        if flags & READ_MASK != 0 && !waiters.readers.is_empty() {
            waiters.readers.take_all(wake);
        }
        if flags & WRITE_MASK != 0 && !waiters.writers.is_empty() {
            waiters.writers.take_all(wake);
        }
    }

    /// Ready if the source is ready in `direction`; otherwise stores the task's waker in
    /// `slot` (see `waiters.rs`).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut slot: Slot<'_>,
    ) -> Poll<ReadyEvent> {
        if let Some(event) = self.ready(direction) {
            return Poll::Ready(event);
        }
        let waker = cx.waker();
        // A waker is cloned only outside the lock (a clone may run any code). It is cloned
        // before looking: an event takes the stored wakers out, so a task that waits again
        // after being woken (the usual wait) finds its slot empty and needs the clone; one
        // that polls again without an event in between drops the spare clone instead of
        // taking the lock twice.
        let fresh = waker.clone();
        let (ready, unused) = {
            let mut waiters = lock(&self.waiters);
            let list = waiters.of(direction);
            let unused = if list.holds(&slot, waker) {
                Some(fresh)
            } else {
                list.store(slot.reborrow(), fresh)
            };
            // The reactor sets readiness before it takes the waiters' lock: checking again
            // while holding the lock closes the window between the first check and storing
            // the waker.
            (self.ready(direction), unused)
        };
        drop(unused);
        match ready {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// Removes the keyed waiter `key` (its wait was dropped), unless an event already took it.
    pub(crate) fn remove_waiter(&self, direction: Direction, key: WaitKey) {
        let waker = lock(&self.waiters).of(direction).remove(key);
        drop(waker);
    }

    /// Wakers stored for `direction`: the poller's, if any, and one per keyed waiter.
    #[cfg(test)]
    pub(crate) fn waiter_count(&self, direction: Direction) -> usize {
        lock(&self.waiters).of(direction).len()
    }

    /// The current readiness in `direction`, if any.
    fn ready(&self, direction: Direction) -> Option<ReadyEvent> {
        let current = self.state.load(Ordering::Acquire);
        let flags = current & direction.mask();
        (flags != 0).then_some(ReadyEvent {
            tick: current >> TICK_SHIFT,
            flags,
        })
    }

    /// Forgets the readiness of `event`, because an operation returned `WouldBlock`
    /// (or proved the source drained). Does nothing if an event arrived since.
    pub(crate) fn clear(&self, event: ReadyEvent) {
        let clear = event.flags;
        let mut current = self.state.load(Ordering::Acquire);
        // Only clear what was observed, and only if no event came since: the tick check.
        while current >> TICK_SHIFT == event.tick && current & clear != 0 {
            match self.state.compare_exchange_weak(
                current,
                current & !clear,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Drops the stored wakers (the source is going away), after unlocking.
    pub(crate) fn clear_waiters(&self) {
        let waiters = std::mem::take(&mut *lock(&self.waiters));
        drop(waiters);
    }
}

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.load(Ordering::Relaxed);
        f.debug_struct("ScheduledIo")
            .field("readable", &(state & READABLE != 0))
            .field("writable", &(state & WRITABLE != 0))
            .field("read_closed", &(state & READ_CLOSED != 0))
            .field("write_closed", &(state & WRITE_CLOSED != 0))
            .field("error", &(state & ERROR != 0))
            .field("tick", &(state >> TICK_SHIFT))
            .finish()
    }
}

/// Locks a mutex, ignoring poisoning: no code holding these locks can panic halfway
/// through an update (they only move wakers and compare them).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Converts a mio event into readiness flags.
pub(crate) fn flags_of(event: &mio::event::Event) -> usize {
    let mut flags = 0;
    if event.is_readable() {
        flags |= READABLE;
    }
    if event.is_writable() {
        flags |= WRITABLE;
    }
    if event.is_read_closed() {
        flags |= READ_CLOSED;
    }
    if event.is_write_closed() {
        flags |= WRITE_CLOSED;
    }
    if event.is_error() {
        flags |= ERROR;
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    fn wake_all(wakers: &mut Vec<Waker>) {
        wakers.drain(..).for_each(Waker::wake);
    }

    #[test]
    fn starts_ready_and_clears_on_would_block() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(event) = io.poll_ready(&mut cx, Direction::Read, Slot::Poller) else {
            panic!("a new source is optimistically readable");
        };
        io.clear(event);
        assert!(
            io.poll_ready(&mut cx, Direction::Read, Slot::Poller)
                .is_pending()
        );
        assert!(
            io.poll_ready(&mut cx, Direction::Write, Slot::Poller)
                .is_ready()
        );
    }

    #[test]
    fn event_after_observation_survives_a_stale_clear() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let Poll::Ready(stale) = io.poll_ready(&mut cx, Direction::Read, Slot::Poller) else {
            panic!("ready");
        };
        let mut wake = Vec::new();
        io.dispatch(READABLE, &mut wake);
        io.clear(stale);
        assert!(
            io.poll_ready(&mut cx, Direction::Read, Slot::Poller)
                .is_ready()
        );
    }

    #[test]
    fn reader_and_writer_wait_and_wake_separately() {
        let io = ScheduledIo::new();
        let (reads, rw) = waker();
        let (writes, ww) = waker();
        for (w, dir) in [(&rw, Direction::Read), (&ww, Direction::Write)] {
            let mut cx = Context::from_waker(w);
            let Poll::Ready(event) = io.poll_ready(&mut cx, dir, Slot::Poller) else {
                panic!("ready");
            };
            io.clear(event);
            assert!(io.poll_ready(&mut cx, dir, Slot::Poller).is_pending());
        }
        let mut wake = Vec::new();
        io.dispatch(WRITABLE, &mut wake);
        wake_all(&mut wake);
        assert_eq!(reads.0.load(Ordering::SeqCst), 0);
        assert_eq!(writes.0.load(Ordering::SeqCst), 1);
        io.dispatch(READ_CLOSED, &mut wake);
        wake_all(&mut wake);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_error_is_cleared_by_would_block_so_waiting_resumes() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut wake = Vec::new();
        io.dispatch(ERROR, &mut wake);
        let Poll::Ready(event) = io.poll_ready(&mut cx, Direction::Read, Slot::Poller) else {
            panic!("an error wakes readers");
        };
        io.clear(event);
        assert!(
            io.poll_ready(&mut cx, Direction::Read, Slot::Poller)
                .is_pending()
        );
    }

    #[test]
    fn a_short_read_keeps_the_end_of_stream() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let mut cx = Context::from_waker(&w);
        let mut wake = Vec::new();
        io.dispatch(READABLE | READ_CLOSED, &mut wake);
        let Poll::Ready(event) = io.poll_ready(&mut cx, Direction::Read, Slot::Poller) else {
            panic!("ready");
        };
        io.clear(event.data_only());
        assert!(
            io.poll_ready(&mut cx, Direction::Read, Slot::Poller)
                .is_ready(),
            "end of stream lost"
        );
    }

    #[test]
    fn several_readers_with_keys_all_wake_and_a_dropped_one_leaves_nothing() {
        let io = ScheduledIo::new();
        let (first, w1) = waker();
        let (second, w2) = waker();
        let (third, w3) = waker();
        let (mut k1, mut k2, mut k3) = (None, None, None);
        let Poll::Ready(event) =
            io.poll_ready(&mut Context::from_waker(&w1), Direction::Read, Slot::Poller)
        else {
            panic!("ready");
        };
        io.clear(event);
        for (w, key) in [(&w1, &mut k1), (&w2, &mut k2), (&w3, &mut k3)] {
            let mut cx = Context::from_waker(w);
            assert!(
                io.poll_ready(&mut cx, Direction::Read, Slot::Keyed(key))
                    .is_pending()
            );
            // Polling again with the same task stores nothing more.
            assert!(
                io.poll_ready(&mut cx, Direction::Read, Slot::Keyed(key))
                    .is_pending()
            );
        }
        assert_eq!(io.waiter_count(Direction::Read), 3);
        io.remove_waiter(Direction::Read, k3.unwrap());
        assert_eq!(io.waiter_count(Direction::Read), 2);
        drop(w3);
        assert_eq!(
            Arc::strong_count(&third),
            1,
            "the dropped wait kept its waker"
        );

        let mut wake = Vec::new();
        io.dispatch(READABLE, &mut wake);
        assert_eq!(io.waiter_count(Direction::Read), 0);
        wake_all(&mut wake);
        assert_eq!(first.0.load(Ordering::SeqCst), 1);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert_eq!(third.0.load(Ordering::SeqCst), 0);
        // The woken waits' keys are stale now: removing them touches nothing.
        io.remove_waiter(Direction::Read, k1.unwrap());
        assert_eq!(io.waiter_count(Direction::Read), 0);
    }

    #[test]
    fn pollers_share_one_slot_per_direction() {
        let io = ScheduledIo::new();
        let (_, w) = waker();
        let Poll::Ready(event) =
            io.poll_ready(&mut Context::from_waker(&w), Direction::Read, Slot::Poller)
        else {
            panic!("ready");
        };
        io.clear(event);
        for _ in 0..1000 {
            let (_, other) = waker();
            let mut cx = Context::from_waker(&other);
            assert!(
                io.poll_ready(&mut cx, Direction::Read, Slot::Poller)
                    .is_pending()
            );
        }
        assert_eq!(io.waiter_count(Direction::Read), 1);
    }
}
