//! A hierarchical timing wheel: the store behind every timer of one reactor.
//!
//! # Contract
//!
//! Time is counted in integer ticks (the reactor uses 1 tick = 1 ms since it started). The
//! wheel never reads a clock: it learns the time only through [`Wheel::advance`], and
//! [`Wheel::elapsed`] is the last tick it was advanced to.
//!
//! Guarantees:
//! - **Never early.** A timer due at tick `w` fires during the first `advance(now)` with
//!   `now >= w`, never before. A timer inserted (or rescheduled) with `w <= elapsed()` is due
//!   at once and fires during the next `advance`, whatever its `now`.
//! - **Exactly once.** Every pending timer fires exactly once unless it is removed first;
//!   `reschedule` moves a pending timer under the same key, and it then fires once, at its new
//!   deadline.
//! - **Deadline order.** Wakers of timers with distinct deadlines fired by one `advance` are
//!   pushed in deadline order.
//! - **Stale keys are harmless.** A [`TimerKey`] carries a generation, so a key kept after
//!   `remove` never touches a timer that later reuses the same slab slot.
//! - **No waker code under the caller's lock.** The wheel never wakes, clones or drops a
//!   waker it was given: `advance` collects the wakers it fires, `remove` and `replace_waker`
//!   hand back the ones they take out, and `poll_fired` only compares. The caller wakes or
//!   drops them after releasing the mutex that guards the wheel (see `reactor/timers.rs`).
//!
//! What callers must do: call `remove` exactly once per key (on completion or drop); a fired
//! timer stays stored, in state fired, until then, so that its owner can observe the firing.
//!
//! Not promised:
//! - any order among timers due at the same tick;
//! - that [`Wheel::next_expiration`] is a deadline: it may be earlier, when a higher level must
//!   cascade first (advancing there fires nothing, and the next call says more);
//! - anything finer than a tick, or any firing at all without `advance`.
//!
//! # Design
//!
//! Six levels of 64 slots, after Varghese & Lauck: a slot of level `L` covers `64^L` ticks, so
//! the whole wheel spans `64^6 = 2^36` ticks (about 795 days at 1 ms). A timer goes to the
//! level holding the highest bit in which its deadline differs from `elapsed`, in the slot that
//! its deadline's digit at that level names. Hence every occupied slot of a level lies strictly
//! ahead of the current position, inside the current block of that level: the next occupied
//! slot is the lowest set bit of the level's occupied mask (no rotation is needed, because no
//! slot wraps around), and every event of a lower level comes before every event of a higher
//! one. A slot's start is reached before any of its timers is due; `advance` then empties it
//! and re-files each timer on a lower level or fires it, so cascades always run before the slots
//! they feed. Deadlines in a later `2^36`-tick block than `elapsed` wait in an overflow list,
//! re-filed when `elapsed` reaches the earliest such block.
//!
//! Entries live in a [`Slab`]; each slot is an intrusive doubly linked list threaded through
//! slab indices, so insert and remove are O(1) and allocate nothing beyond slab growth.

use std::fmt;
use std::task::Waker;

use slab::Slab;

/// Bits of a tick that pick a slot within one level.
const SLOT_BITS: u32 = 6;
/// Slots per level: one bit each in a level's `u64` occupied mask.
const SLOTS_PER_LEVEL: usize = 1 << SLOT_BITS;
/// The lowest [`SLOT_BITS`] bits: a slot index out of a shifted tick.
const SLOT_MASK: u64 = SLOTS_PER_LEVEL as u64 - 1;
/// Number of levels; level `L` has slots of `64^L` ticks and spans `64^(L+1)` ticks.
const LEVELS: usize = 6;
/// Ticks spanned by the top level (`2^36`). A deadline in a later block of this size than
/// `elapsed` waits in the overflow list.
const WHEEL_RANGE: u64 = 1 << (SLOT_BITS * LEVELS as u32);
/// End of an intrusive list: a value no slab index can take.
const NIL: usize = usize::MAX;

/// A handle on one stored timer: its slab index and the generation it was inserted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    /// The entry's slot in the slab.
    index: usize,
    /// The insertion count at the entry's creation; a reused slot gets a fresh one.
    generation: u64,
}

/// What [`Wheel::poll_fired`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Polled {
    /// The timer fired (or the key is stale).
    Fired,
    /// Pending, and its stored waker wakes the same task as the one given.
    Pending,
    /// Pending, with a waker of another task: [`Wheel::replace_waker`] should store the new one.
    WakerDiffers,
}

/// Where an entry is filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Pending with `when <= elapsed`: the next `advance` fires it.
    Due,
    /// Pending in slot `slot` of level `level`; the slot starts after `elapsed`.
    Slot {
        /// The level, below [`LEVELS`].
        level: u8,
        /// The slot, below [`SLOTS_PER_LEVEL`].
        slot: u8,
    },
    /// Pending, due in a later top-level block than `elapsed`.
    Overflow,
    /// Fired: in no list, its waker handed out; waits for its owner's `remove`.
    Fired,
}

/// One stored timer.
#[derive(Debug)]
struct Entry {
    /// The tick it is due at.
    when: u64,
    /// Matches the generation of the one live [`TimerKey`] naming it.
    generation: u64,
    /// The waker to hand out on firing; `Some` exactly while pending.
    waker: Option<Waker>,
    /// The list holding it, or [`Place::Fired`].
    place: Place,
    /// The previous entry in its list, or [`NIL`] at the head.
    prev: usize,
    /// The next entry in its list, or [`NIL`] at the tail.
    next: usize,
}

/// A hierarchical timing wheel; see the module docs for its contract.
pub(crate) struct Wheel {
    /// Every stored timer, pending or fired.
    entries: Slab<Entry>,
    /// The tick the wheel was last advanced to.
    elapsed: u64,
    /// The generation the next inserted timer gets; at one per insert it never wraps.
    next_generation: u64,
    /// The head of each slot's list, or [`NIL`].
    heads: [[usize; SLOTS_PER_LEVEL]; LEVELS],
    /// Per level, bit `s` is set exactly when slot `s` is non-empty.
    occupied: [u64; LEVELS],
    /// The head of the due list, or [`NIL`].
    due: usize,
    /// The head of the overflow list, or [`NIL`].
    overflow: usize,
    /// No later than the start of the earliest top-level block holding an overflow timer (it
    /// may be earlier after removals; re-filing then fixes it); `u64::MAX` when none.
    overflow_next: u64,
    /// Reused buffer for sorting the due list by deadline.
    scratch: Vec<(u64, usize)>,
}

impl Wheel {
    /// An empty wheel at tick 0.
    pub(crate) fn new() -> Wheel {
        Wheel {
            entries: Slab::new(),
            elapsed: 0,
            next_generation: 0,
            heads: [[NIL; SLOTS_PER_LEVEL]; LEVELS],
            occupied: [0; LEVELS],
            due: NIL,
            overflow: NIL,
            overflow_next: u64::MAX,
            scratch: Vec::new(),
        }
    }

    /// Registers a timer due at tick `when`. If `when <= elapsed()` it is due at once: the
    /// next `advance` (with any `now`) fires it.
    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let index = self.entries.insert(Entry {
            when,
            generation,
            waker: Some(waker),
            place: Place::Fired,
            prev: NIL,
            next: NIL,
        });
        self.file(index);
        TimerKey { index, generation }
    }

    /// Whether the timer has fired, and if not, whether it stores a waker that wakes the same
    /// task as `waker`. Clones and drops nothing, so it runs no waker code under the caller's
    /// lock. A stale key reads as fired, so that a confused owner completes instead of hanging.
    pub(crate) fn poll_fired(&self, key: TimerKey, waker: &Waker) -> Polled {
        match self.live(key).map(|entry| &entry.waker) {
            None | Some(None) => Polled::Fired,
            Some(Some(stored)) if stored.will_wake(waker) => Polled::Pending,
            Some(Some(_)) => Polled::WakerDiffers,
        }
    }

    /// Stores `waker` in a pending timer and hands back the waker it replaces, for the caller
    /// to drop after unlocking. A fired timer (or a stale key) stores nothing: `waker` comes
    /// back as the error.
    pub(crate) fn replace_waker(&mut self, key: TimerKey, waker: Waker) -> Result<Waker, Waker> {
        match self.live_mut(key).map(|entry| &mut entry.waker) {
            Some(Some(stored)) => Ok(std::mem::replace(stored, waker)),
            None | Some(None) => Err(waker),
        }
    }

    /// Removes the timer whatever its state (pending or fired); a stale key is a no-op.
    /// Returns the waker of a timer that was still pending, for the caller to drop after
    /// unlocking; `None` if it had fired or the key is stale.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        self.live_mut(key)?;
        self.unlink(key.index);
        self.entries.remove(key.index).waker
    }

    /// Moves a pending timer to deadline `when`, keeping its waker and its key. Returns
    /// false, changing nothing, if the timer has fired or the key is stale.
    pub(crate) fn reschedule(&mut self, key: TimerKey, when: u64) -> bool {
        if self.live_mut(key).is_none_or(|entry| entry.waker.is_none()) {
            return false;
        }
        self.unlink(key.index);
        self.entries[key.index].when = when;
        self.file(key.index);
        true
    }

    /// The tick at which `advance` next has something to do: `elapsed()` while a timer is
    /// already due, otherwise never later than the earliest pending deadline (it may be earlier
    /// when a higher level must cascade). `None` when no timer is pending.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.due != NIL {
            return Some(self.elapsed);
        }
        self.next_event().map(|(tick, _)| tick)
    }

    /// Advances `elapsed` to `now` (never backwards: a smaller `now` counts as `elapsed()`) and
    /// fires every pending timer due at or before it: marks it fired and pushes its waker into
    /// `fired`, in deadline order. It wakes nothing; the caller wakes after unlocking.
    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<Waker>) {
        // Due timers are due at or before `elapsed`, before anything filed in a slot.
        if self.due != NIL {
            self.fire_due(fired);
        }
        // Within the tick already reached nothing more can come due (every slot's events
        // start after `elapsed`): the usual case for a reactor turning many times a tick.
        if now <= self.elapsed {
            return;
        }
        // Jump from one occupied slot to the next; empty ticks cost nothing.
        while let Some((start, list)) = self.next_event()
            && start <= now
        {
            self.elapsed = start;
            self.refile(list, fired);
        }
        self.elapsed = now;
    }

    /// The tick the wheel was last advanced to.
    #[allow(dead_code, reason = "in the contract; the reactor counts ticks itself")]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Timers stored: pending ones plus fired ones not yet removed.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entry `key` names, unless the key is stale.
    fn live(&self, key: TimerKey) -> Option<&Entry> {
        self.entries
            .get(key.index)
            .filter(|entry| entry.generation == key.generation)
    }

    /// The entry `key` names, mutably, unless the key is stale.
    fn live_mut(&mut self, key: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(key.index)
            .filter(|entry| entry.generation == key.generation)
    }

    /// The earliest slot (or overflow block) to visit, with its start tick; due timers aside.
    fn next_event(&self) -> Option<(u64, Place)> {
        // Lower levels' events all come before higher levels' (module docs), so the first
        // non-empty level holds the next one, in its lowest occupied slot.
        let event = (0..LEVELS)
            .find(|&level| self.occupied[level] != 0)
            .map(|level| {
                let slot = self.occupied[level].trailing_zeros();
                let shift = SLOT_BITS * level as u32;
                let block = self.elapsed & !((1u64 << (shift + SLOT_BITS)) - 1);
                let start = block + (u64::from(slot) << shift);
                (
                    start,
                    Place::Slot {
                        level: level as u8,
                        slot: slot as u8,
                    },
                )
            });
        let event =
            event.or((self.overflow != NIL).then_some((self.overflow_next, Place::Overflow)));
        // Were an event at or behind `elapsed`, `advance` would loop or go back in time.
        debug_assert!(
            event.is_none_or(|(start, _)| start > self.elapsed),
            "{event:?} is behind"
        );
        event
    }

    /// Files a pending entry by its deadline, relative to `elapsed`.
    fn file(&mut self, index: usize) {
        let when = self.entries[index].when;
        let place = if when <= self.elapsed {
            Place::Due
        } else {
            // Or-ing in SLOT_MASK makes "differ only in the lowest slot bits" read as level 0.
            let top_bit = 63 - ((self.elapsed ^ when) | SLOT_MASK).leading_zeros();
            let level = top_bit / SLOT_BITS;
            if (level as usize) < LEVELS {
                let slot = (when >> (level * SLOT_BITS)) & SLOT_MASK;
                Place::Slot {
                    level: level as u8,
                    slot: slot as u8,
                }
            } else {
                self.overflow_next = self.overflow_next.min(when & !(WHEEL_RANGE - 1));
                Place::Overflow
            }
        };
        self.push(index, place);
    }

    /// The head of the list `place` names.
    fn head_mut(&mut self, place: Place) -> &mut usize {
        match place {
            Place::Due => &mut self.due,
            Place::Slot { level, slot } => &mut self.heads[level as usize][slot as usize],
            Place::Overflow => &mut self.overflow,
            Place::Fired => unreachable!("fired timers are in no list"),
        }
    }

    /// Pushes an entry, in no list yet, at the head of the list `place` names.
    fn push(&mut self, index: usize, place: Place) {
        let head = *self.head_mut(place);
        let entry = &mut self.entries[index];
        entry.place = place;
        entry.prev = NIL;
        entry.next = head;
        if head != NIL {
            self.entries[head].prev = index;
        }
        *self.head_mut(place) = index;
        if let Place::Slot { level, slot } = place {
            self.occupied[level as usize] |= 1 << slot;
        }
    }

    /// Takes an entry out of its list, if any; its `place` is left for the caller to set.
    fn unlink(&mut self, index: usize) {
        let Entry {
            place, prev, next, ..
        } = self.entries[index];
        if place == Place::Fired {
            return;
        }
        if prev == NIL {
            *self.head_mut(place) = next;
        } else {
            self.entries[prev].next = next;
        }
        if next != NIL {
            self.entries[next].prev = prev;
        }
        match place {
            Place::Slot { level, slot } if prev == NIL && next == NIL => {
                self.occupied[level as usize] &= !(1 << slot);
            }
            Place::Overflow if prev == NIL && next == NIL => self.overflow_next = u64::MAX,
            _ => {}
        }
    }

    /// Empties the slot or overflow list `list` once `elapsed` reached its start: fires the
    /// timers due now and files the others again, each on a lower level than before.
    fn refile(&mut self, list: Place, fired: &mut Vec<Waker>) {
        let mut index = std::mem::replace(self.head_mut(list), NIL);
        match list {
            Place::Slot { level, slot } => self.occupied[level as usize] &= !(1 << slot),
            _ => self.overflow_next = u64::MAX,
        }
        while index != NIL {
            let next = self.entries[index].next;
            if self.entries[index].when <= self.elapsed {
                self.fire(index, fired);
            } else {
                self.file(index);
            }
            index = next;
        }
    }

    /// Fires the whole due list, in deadline order.
    fn fire_due(&mut self, fired: &mut Vec<Waker>) {
        let mut order = std::mem::take(&mut self.scratch);
        let mut index = std::mem::replace(&mut self.due, NIL);
        while index != NIL {
            order.push((self.entries[index].when, index));
            index = self.entries[index].next;
        }
        order.sort_unstable();
        for &(_, index) in &order {
            self.fire(index, fired);
        }
        order.clear();
        self.scratch = order;
    }

    /// Marks an entry, already out of its list, fired, and hands out its waker.
    fn fire(&mut self, index: usize, fired: &mut Vec<Waker>) {
        let entry = &mut self.entries[index];
        entry.place = Place::Fired;
        debug_assert!(entry.waker.is_some(), "a pending timer holds a waker");
        fired.extend(entry.waker.take());
    }
}

impl fmt::Debug for Wheel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("elapsed", &self.elapsed)
            .field("len", &self.len())
            .field("next_expiration", &self.next_expiration())
            .field("occupied", &format_args!("{:x?}", self.occupied))
            .field("overflow", &(self.overflow != NIL))
            .finish_non_exhaustive()
    }
}

/// The reactor shares its wheel across threads behind a mutex.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Wheel>();
};

#[cfg(test)]
#[path = "wheel_tests.rs"]
mod tests;
