//! [`Registration`]: one source's place in the reactor, held by the type that owns the source.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::Token;

use super::readiness::{Direction, ReadyEvent};
use super::{Reactor, SourceEntry};

/// A source registered with the reactor. Dropping it frees the reactor's slot; the owner
/// must [`deregister`](Registration::deregister) the source first if it outlives this.
#[derive(Debug)]
pub(crate) struct Registration {
    token: Token,
    entry: Arc<SourceEntry>,
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

    /// Ready once the source may be ready in `direction`.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        let poll = self.entry.io.poll_ready(cx, direction);
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
    /// in between. The single chokepoint of every socket operation.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let Poll::Ready(event) = self.poll_ready(cx, direction) else {
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
}

impl Drop for Registration {
    fn drop(&mut self) {
        Reactor::get().release(self.token);
    }
}
