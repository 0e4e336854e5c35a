//! [`Registration`]: one source's place in the reactor, held by the type that owns the source;
//! [`Waiter`]: one wait on it that removes its waker when dropped.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::Token;

use super::readiness::{Direction, ReadyEvent};
use super::waiters::{Slot, WaitKey};
use super::{Reactor, SourceEntry};

/// A source registered with the reactor. Dropping it frees the reactor's slot; the owner
/// must [`deregister`](Registration::deregister) the source first if it outlives this.
///
/// Its methods wait in the direction's shared poller slot (for the `poll_*` methods); a
/// [`Waiter`] waits in a slot of its own (for `async` operations and streams).
#[derive(Debug)]
pub(crate) struct Registration {
    token: Token,
    entry: Arc<SourceEntry>,
}

/// One wait on one direction of a [`Registration`], with a waker slot of its own: dropping
/// the `Waiter` (with the future or stream that holds it) removes its waker, so an abandoned
/// wait leaves nothing stored. Creating one costs nothing; the slot is taken on the first
/// poll that has to wait.
#[derive(Debug)]
pub(crate) struct Waiter<'r> {
    registration: &'r Registration,
    direction: Direction,
    /// The slot, once this wait has stored a waker.
    key: Option<WaitKey>,
}

impl Registration {
    /// Registers `source` for read and write readiness, edge-triggered.
    pub(crate) fn new(source: &mut impl mio::event::Source) -> io::Result<Registration> {
        let (token, entry) = Reactor::get().register(source)?;
        Ok(Registration { token, entry })
    }

    /// Removes `source` from the OS poller (it is about to be handed back to the caller).
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        Reactor::get().deregister(source)
    }

    /// A wait in `direction` with a slot of its own.
    pub(crate) fn waiter(&self, direction: Direction) -> Waiter<'_> {
        Waiter {
            registration: self,
            direction,
            key: None,
        }
    }

    /// Ready once the source may be ready in `direction`; waits in the poller slot.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        self.poll_ready_in(cx, direction, Slot::Poller)
    }

    fn poll_ready_in(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        slot: Slot<'_>,
    ) -> Poll<ReadyEvent> {
        let poll = self.entry.io.poll_ready(cx, direction, slot);
        if poll.is_pending() {
            Reactor::get().ensure_driven();
        }
        poll
    }

    /// Forgets the readiness of `event` (an operation returned `WouldBlock`).
    pub(crate) fn clear(&self, event: ReadyEvent) {
        self.entry.io.clear(event);
    }

    /// Runs `op` until it stops saying `WouldBlock`, waiting for readiness in `direction`
    /// in between (in the poller slot). With [`Waiter::poll_io`], the single chokepoint of
    /// every socket operation.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_in(cx, direction, Slot::Poller, op)
    }

    fn poll_io_in<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut slot: Slot<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let Poll::Ready(event) = self.poll_ready_in(cx, direction, slot.reborrow()) else {
                return Poll::Pending;
            };
            match op() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.clear(event),
                result => return Poll::Ready(result),
            }
        }
    }

    /// Like [`poll_io`](Registration::poll_io) for transfers: a transfer that moved fewer
    /// bytes than asked proves the socket drained (or full), so its readiness is forgotten
    /// at once and the next call waits instead of making a syscall that would say
    /// `WouldBlock`. Safe with edge triggering: any later event bumps the tick.
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        asked: usize,
        mut op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let Poll::Ready(event) = self.poll_ready(cx, direction) else {
                return Poll::Pending;
            };
            match op() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.clear(event),
                Ok(n) if n > 0 && n < asked => {
                    self.clear(event.data_only());
                    return Poll::Ready(Ok(n));
                }
                result => return Poll::Ready(result),
            }
        }
    }

    /// Wakers stored for `direction`, for tests: the poller's, if any, and one per waiter.
    #[cfg(test)]
    pub(crate) fn waiter_count(&self, direction: Direction) -> usize {
        self.entry.io.waiter_count(direction)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        Reactor::get().release(self.token);
    }
}

impl Waiter<'_> {
    /// Ready once the source may be ready in this wait's direction.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        self.registration
            .poll_ready_in(cx, self.direction, Slot::Keyed(&mut self.key))
    }

    /// [`Registration::poll_io`] in this wait's own slot.
    pub(crate) fn poll_io<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.registration
            .poll_io_in(cx, self.direction, Slot::Keyed(&mut self.key), op)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.registration
                .entry
                .io
                .remove_waiter(self.direction, key);
        }
    }
}
