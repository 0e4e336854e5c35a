//! [`Connections`]: the open connections of one server, their cap, and their tasks (so that
//! shutdown can wait for them, and abort the ones that outlive the deadline).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use slab::Slab;

use super::pressure::{ConnState, evict_one};

/// The open connections of a server.
#[derive(Default)]
pub(crate) struct Connections {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Tasks of open connections, by slot, and what each waits for.
    open: Slab<(Option<juliex::JoinHandle<()>>, Arc<ConnState>)>,
    /// The client address of each open connection that has one, by slot.
    peers: HashMap<usize, IpAddr>,
    /// Open connections per client address (only addresses with at least one).
    per_ip: HashMap<IpAddr, usize>,
    /// The accept loop, waiting for a free slot.
    accept_waiter: Option<Waker>,
    /// Shutdown, waiting for the last connection to end.
    drain_waiter: Option<Waker>,
}

impl Connections {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ready once fewer than `max` connections are open.
    pub(crate) fn poll_room(&self, cx: &mut Context<'_>, max: usize) -> Poll<()> {
        let mut state = self.state();
        if state.open.len() < max {
            return Poll::Ready(());
        }
        state.accept_waiter = Some(cx.waker().clone());
        Poll::Pending
    }

    /// How many connections from `ip` are open.
    pub(crate) fn open_from(&self, ip: IpAddr) -> usize {
        self.state().per_ip.get(&ip).copied().unwrap_or(0)
    }

    /// Whether fewer than `max` connections are open.
    pub(crate) fn has_room(&self, max: usize) -> bool {
        self.state().open.len() < max
    }

    /// Reserves a slot for a new connection from `peer`; its task is attached with
    /// [`Connections::attach`]. `None` if `peer` already has `per_ip_limit` connections open.
    pub(crate) fn reserve(
        &self,
        peer: Option<IpAddr>,
        per_ip_limit: Option<usize>,
    ) -> Option<(usize, Arc<ConnState>)> {
        let mut guard = self.state();
        let state = &mut *guard;
        if let (Some(ip), Some(limit)) = (peer, per_ip_limit)
            && state.per_ip.get(&ip).is_some_and(|&open| open >= limit)
        {
            return None;
        }
        let conn = Arc::new(ConnState::default());
        let slot = state.open.insert((None, conn.clone()));
        if let Some(ip) = peer {
            *state.per_ip.entry(ip).or_insert(0) += 1;
            state.peers.insert(slot, ip);
        }
        Some((slot, conn))
    }

    /// The server is full: asks one connection to close (see [`super::pressure`]); returns
    /// whether one was asked.
    pub(crate) fn make_room(&self) -> bool {
        let evicted = evict_one(self.state().open.iter().map(|(_, (_, state))| &**state));
        match evicted {
            Some(waker) => {
                // Woken outside the lock.
                if let Some(waker) = waker {
                    waker.wake();
                }
                true
            }
            None => false,
        }
    }

    /// Records the task serving the connection in `slot`, unless it already ended.
    pub(crate) fn attach(&self, slot: usize, task: juliex::JoinHandle<()>) {
        if let Some(entry) = self.state().open.get_mut(slot) {
            entry.0 = Some(task);
        }
    }

    /// Frees `slot`: its connection ended.
    pub(crate) fn release(self: &Arc<Self>, slot: usize) {
        let wakers = {
            let mut state = self.state();
            // The handle is dropped here, detaching the (finishing) task.
            state.open.try_remove(slot);
            state.forget_peer(slot);
            let drained = state.open.is_empty();
            (
                state.accept_waiter.take(),
                drained.then(|| state.drain_waiter.take()).flatten(),
            )
        };
        // Woken outside the lock.
        wakers.0.into_iter().chain(wakers.1).for_each(Waker::wake);
    }

    /// Ready once no connection is open.
    pub(crate) fn poll_drained(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state();
        if state.open.is_empty() {
            return Poll::Ready(());
        }
        state.drain_waiter = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Aborts every connection still open (their tasks are cancelled).
    pub(crate) fn abort_all(&self) {
        let tasks: Vec<_> = {
            let mut state = self.state();
            state.peers.clear();
            state.per_ip.clear();
            state.open.drain().filter_map(|(task, _)| task).collect()
        };
        for task in &tasks {
            task.abort();
        }
    }
}

impl State {
    /// Stops counting the connection in `slot` against its client address.
    fn forget_peer(&mut self, slot: usize) {
        let Some(ip) = self.peers.remove(&slot) else {
            return;
        };
        if let Some(open) = self.per_ip.get_mut(&ip) {
            *open -= 1;
            if *open == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

/// Frees a connection's slot when the task serving it ends, however it ends.
pub(crate) struct SlotGuard {
    pub(crate) connections: Arc<Connections>,
    pub(crate) slot: usize,
    /// What the connection waits for, seen by the accept loop.
    pub(crate) state: Arc<ConnState>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.connections.release(self.slot);
    }
}
