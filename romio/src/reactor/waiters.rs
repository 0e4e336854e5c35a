//! The tasks waiting on one direction of one source, kept so that a wait that is abandoned
//! takes its waker (and so its task) with it.
//!
//! # Contract
//!
//! A direction has two kinds of places for a waker, and its readiness event wakes both:
//!
//! - **Keyed slots, one per wait.** Every `async` operation of romio (`accept`, `recv_from`,
//!   `readable`, `read_with`, `connect`, ...) and every stream that owns its state
//!   (`Incoming`) holds a [`WaitKey`] for a slot of its own, through
//!   [`Waiter`](super::registration::Waiter). Dropping the future removes the slot at once,
//!   so a wait abandoned by a timeout or a `select` leaves nothing behind: the number of
//!   keyed slots is the number of waits in progress. Any number of tasks can wait at once
//!   (several tasks accepting on one listener are all woken).
//! - **One poller slot.** The `poll_*` methods (`AsyncRead::poll_read`, `poll_accept`,
//!   `poll_recv_from`, `Async::poll_read_ready`, ...) have no future to drop, so they share
//!   one slot per direction: it holds the waker of the *last* call that had to wait, and a
//!   call from another task replaces it. Only one task at a time should wait through the
//!   `poll_*` methods of one direction of one source; several tasks should use the `async`
//!   methods instead. An abandoned poller keeps its waker until the next event or the next
//!   poller: at most one per direction.
//!
//! An event takes every waker out of its direction: the keyed slots are emptied, so their
//! keys go stale (a generation tells a stale key from the slot's next owner), and a woken
//! task that must wait again stores its waker anew.
//!
//! No waker is cloned, dropped or woken here: wakers come in already cloned, and the ones
//! taken out (replaced, removed, or fired) are handed back to the caller, to be dropped or
//! woken after it releases the lock guarding this list.

use std::task::Waker;

use slab::Slab;

/// A wait's claim on a keyed slot: its slab index and the generation it was stored under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitKey {
    index: usize,
    generation: u64,
}

/// Where a caller's waker is kept while it waits.
#[derive(Debug)]
pub(crate) enum Slot<'k> {
    /// The direction's poller slot, shared by the `poll_*` methods.
    Poller,
    /// A slot of the caller's own; the key is `None` until one is stored.
    Keyed(&'k mut Option<WaitKey>),
}

impl Slot<'_> {
    /// A shorter-lived copy, so that a loop can hand the slot out more than once.
    pub(crate) fn reborrow(&mut self) -> Slot<'_> {
        match self {
            Slot::Poller => Slot::Poller,
            Slot::Keyed(key) => Slot::Keyed(key),
        }
    }
}

/// One stored keyed waker.
#[derive(Debug)]
struct Keyed {
    generation: u64,
    waker: Waker,
}

/// The waiters of one direction of one source.
#[derive(Debug, Default)]
pub(crate) struct WaitList {
    /// The last `poll_*` caller that had to wait.
    poller: Option<Waker>,
    /// One entry per wait in progress that holds a key.
    keyed: Slab<Keyed>,
    /// The generation of the next keyed entry; at one per wait it never wraps.
    next_generation: u64,
}

impl WaitList {
    /// Whether `slot` already holds a waker that wakes the same task as `waker`.
    pub(crate) fn holds(&self, slot: &Slot<'_>, waker: &Waker) -> bool {
        match slot {
            Slot::Poller => self.poller.as_ref().is_some_and(|w| w.will_wake(waker)),
            Slot::Keyed(key) => key
                .and_then(|key| self.live(key))
                .is_some_and(|entry| entry.waker.will_wake(waker)),
        }
    }

    /// Stores `waker` in `slot`, giving the slot a key if it has none (or a stale one).
    /// Returns the waker it replaces, for the caller to drop after unlocking.
    pub(crate) fn store(&mut self, slot: Slot<'_>, waker: Waker) -> Option<Waker> {
        match slot {
            Slot::Poller => self.poller.replace(waker),
            Slot::Keyed(key) => {
                if let Some(entry) = key.and_then(|k| self.live_mut(k)) {
                    return Some(std::mem::replace(&mut entry.waker, waker));
                }
                let generation = self.next_generation;
                self.next_generation += 1;
                let index = self.keyed.insert(Keyed { generation, waker });
                *key = Some(WaitKey { index, generation });
                None
            }
        }
    }

    /// Removes the keyed slot `key` names, unless it is stale (emptied by an event, maybe
    /// reused since); returns its waker, for the caller to drop after unlocking.
    pub(crate) fn remove(&mut self, key: WaitKey) -> Option<Waker> {
        self.live(key)?;
        Some(self.keyed.remove(key.index).waker)
    }

    /// Whether no waker is stored.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.poller.is_none() && self.keyed.is_empty()
    }

    /// Moves every waker into `wake`: the direction's event happened.
    pub(crate) fn take_all(&mut self, wake: &mut Vec<Waker>) {
        wake.extend(self.poller.take());
        // Most sources have no keyed waiter (streams wait through the poller slot): an empty
        // slab's drain still costs more than the rest of the dispatch.
        if !self.keyed.is_empty() {
            wake.extend(self.keyed.drain().map(|entry| entry.waker));
        }
    }

    /// Wakers stored: the poller's, if any, and one per keyed slot.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.poller.is_some()) + self.keyed.len()
    }

    fn live(&self, key: WaitKey) -> Option<&Keyed> {
        self.keyed
            .get(key.index)
            .filter(|entry| entry.generation == key.generation)
    }

    fn live_mut(&mut self, key: WaitKey) -> Option<&mut Keyed> {
        self.keyed
            .get_mut(key.index)
            .filter(|entry| entry.generation == key.generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn waker() -> (Arc<Noop>, Waker) {
        let task = Arc::new(Noop);
        (task.clone(), Waker::from(task))
    }

    #[test]
    fn a_keyed_slot_is_kept_per_wait_and_removed_by_its_key() {
        let mut list = WaitList::default();
        let (a, wa) = waker();
        let (b, wb) = waker();
        let (mut ka, mut kb) = (None, None);
        assert!(list.store(Slot::Keyed(&mut ka), wa.clone()).is_none());
        assert!(list.store(Slot::Keyed(&mut kb), wb.clone()).is_none());
        assert!(list.holds(&Slot::Keyed(&mut ka), &wa));
        assert!(!list.holds(&Slot::Keyed(&mut ka), &wb));
        assert_eq!(list.len(), 2);
        drop(list.remove(ka.unwrap()));
        assert_eq!(Arc::strong_count(&a), 2, "the removed waker was kept");
        assert!(list.remove(ka.unwrap()).is_none(), "removed twice");
        assert_eq!(list.len(), 1);
        let mut woken = Vec::new();
        list.take_all(&mut woken);
        assert_eq!((woken.len(), list.len()), (1, 0));
        assert!(
            list.remove(kb.unwrap()).is_none(),
            "a key outlives its event"
        );
        drop(woken);
        assert_eq!(Arc::strong_count(&b), 2);
    }

    #[test]
    fn a_stale_key_never_touches_the_slot_that_reused_its_index() {
        let mut list = WaitList::default();
        let (_, first) = waker();
        let (_, second) = waker();
        let mut stale = None;
        list.store(Slot::Keyed(&mut stale), first.clone());
        list.take_all(&mut Vec::new());
        let mut fresh = None;
        list.store(Slot::Keyed(&mut fresh), second.clone());
        assert_eq!(stale.unwrap().index, fresh.unwrap().index);
        assert!(list.remove(stale.unwrap()).is_none());
        assert_eq!(list.len(), 1);
        // The stale holder stores anew, in a slot of its own.
        let mut again = stale;
        assert!(list.store(Slot::Keyed(&mut again), first).is_none());
        assert_ne!(again, stale);
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn the_poller_slot_keeps_only_the_last_poller() {
        let mut list = WaitList::default();
        let (_, first) = waker();
        let (_, second) = waker();
        assert!(list.store(Slot::Poller, first.clone()).is_none());
        let replaced = list.store(Slot::Poller, second.clone());
        assert!(replaced.is_some_and(|w| w.will_wake(&first)));
        assert!(list.holds(&Slot::Poller, &second));
        assert_eq!(list.len(), 1);
    }
}
