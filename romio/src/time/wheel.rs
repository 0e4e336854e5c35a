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
//!   `now >= w`, never before. A timer inserted (or reset) with `w <= elapsed()` is due at once
//!   and fires during the next `advance`, whatever its `now`.
//! - **Exactly once.** Every pending timer fires exactly once unless it is removed or reset
//!   first; `reset` makes a timer pending again under the same key, and it then fires once more.
//! - **Deadline order.** Wakers of timers with distinct deadlines fired by one `advance` are
//!   pushed in deadline order.
//! - **Stale keys are harmless.** A [`TimerKey`] carries a generation, so a key kept after
//!   `remove` never touches a timer that later reuses the same slab slot.
//! - **No waking under the caller's lock.** `advance` only collects wakers; the caller wakes
//!   them after releasing the mutex that guards the wheel.
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

    /// Replaces the stored waker of a pending timer (no clone when it `will_wake` the same
    /// task). Returns true if the timer has already fired; then nothing is stored. A stale key
    /// reads as fired, so that a confused owner completes instead of hanging.
    pub(crate) fn poll_fired(&mut self, key: TimerKey, waker: &Waker) -> bool {
        let Some(entry) = self.live_mut(key) else {
            return true;
        };
        match &mut entry.waker {
            None => true,
            Some(stored) => {
                if !stored.will_wake(waker) {
                    *stored = waker.clone();
                }
                false
            }
        }
    }

    /// Removes the timer whatever its state (pending or fired); a stale key is a no-op.
    /// Returns true if it had fired.
    pub(crate) fn remove(&mut self, key: TimerKey) -> bool {
        if self.live_mut(key).is_none() {
            return false;
        }
        self.unlink(key.index);
        self.entries.remove(key.index).place == Place::Fired
    }

    /// Moves a timer (pending or fired) to deadline `when` with `waker`, and makes it pending
    /// again; its key stays valid. A stale key is a no-op.
    pub(crate) fn reset(&mut self, key: TimerKey, when: u64, waker: &Waker) {
        if self.live_mut(key).is_none() {
            return;
        }
        self.unlink(key.index);
        let entry = &mut self.entries[key.index];
        entry.when = when;
        match &mut entry.waker {
            Some(stored) if stored.will_wake(waker) => {}
            stored => *stored = Some(waker.clone()),
        }
        self.file(key.index);
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
        let now = now.max(self.elapsed);
        // Due timers are due at or before `elapsed`, before anything filed in a slot.
        self.fire_due(fired);
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
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;

    use super::*;

    /// A waker that logs its timer's id when woken.
    struct Tag {
        id: usize,
        log: Arc<Mutex<Vec<usize>>>,
    }

    impl Wake for Tag {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.log.lock().unwrap().push(self.id);
        }
    }

    /// A wheel whose timers are named by ids, and the log their wakers write.
    struct Harness {
        wheel: Wheel,
        log: Arc<Mutex<Vec<usize>>>,
    }

    impl Harness {
        /// A harness whose wheel was advanced to `start`.
        fn at(start: u64) -> Harness {
            let mut harness = Harness {
                wheel: Wheel::new(),
                log: Arc::default(),
            };
            assert_eq!(harness.advance(start), []);
            harness
        }
        fn waker(&self, id: usize) -> Waker {
            Waker::from(Arc::new(Tag {
                id,
                log: self.log.clone(),
            }))
        }
        fn insert(&mut self, id: usize, when: u64) -> TimerKey {
            let waker = self.waker(id);
            self.wheel.insert(when, waker)
        }
        /// Advances to `now`, wakes what fired, and returns the ids in the order pushed.
        fn advance(&mut self, now: u64) -> Vec<usize> {
            let mut fired = Vec::new();
            self.wheel.advance(now, &mut fired);
            fired.into_iter().for_each(Waker::wake);
            std::mem::take(&mut *self.log.lock().unwrap())
        }
    }

    /// A xorshift64 generator: deterministic, good enough to shuffle tests.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound.max(1)
        }
    }

    #[test]
    fn a_timer_fires_at_its_deadline_and_stays_until_removed() {
        let mut h = Harness::at(0);
        let key = h.insert(7, 10);
        assert!(!h.wheel.poll_fired(key, &h.waker(7)));
        assert_eq!(h.advance(9), []);
        assert_eq!(h.advance(10), [7]);
        assert_eq!(h.advance(1_000), []);
        assert_eq!(h.wheel.len(), 1);
        assert!(h.wheel.poll_fired(key, &h.waker(7)));
        assert!(h.wheel.remove(key));
        assert_eq!(h.wheel.len(), 0);
    }

    #[test]
    fn a_removed_pending_timer_never_fires() {
        let mut h = Harness::at(0);
        let key = h.insert(1, 100);
        assert!(!h.wheel.remove(key));
        assert_eq!(h.wheel.next_expiration(), None);
        assert_eq!(h.advance(u64::MAX), []);
    }

    #[test]
    fn a_timer_due_at_insert_fires_on_the_next_advance_whatever_now() {
        let mut h = Harness::at(500);
        h.insert(1, 500);
        h.insert(2, 3);
        assert_eq!(h.wheel.next_expiration(), Some(500));
        assert_eq!(h.advance(0), [2, 1]);
        assert_eq!(h.wheel.elapsed(), 500);
    }

    /// Asserts that a timer due at `deadline`, inserted at `start`, is neither early nor late,
    /// whether the wheel jumps or walks along `next_expiration`.
    fn check_never_early(start: u64, deadline: u64) {
        let mut h = Harness::at(start);
        h.insert(1, deadline);
        assert_eq!(h.advance(deadline - 1), [], "early: {start} -> {deadline}");
        assert_eq!(h.advance(deadline), [1], "late: {start} -> {deadline}");

        let mut h = Harness::at(start);
        h.insert(1, deadline);
        for step in 1.. {
            let next = h.wheel.next_expiration().unwrap();
            assert!(next <= deadline, "next_expiration {next} after {deadline}");
            let fired = h.advance(next);
            if next == deadline {
                assert_eq!(fired, [1]);
                assert!(step <= LEVELS + 2, "{step} steps to reach {deadline}");
                break;
            }
            assert_eq!(fired, [], "early at {next}: {start} -> {deadline}");
        }
        assert_eq!(h.wheel.next_expiration(), None);
    }

    #[test]
    fn never_early_at_level_boundaries() {
        let deadlines = [
            1,
            63,
            64,
            65,
            4095,
            4096,
            4097,
            262_143,
            262_144,
            1 << 30,
            WHEEL_RANGE - 1,
            WHEEL_RANGE,
            (1 << 36) + 5,
            u64::MAX / 2,
            u64::MAX,
        ];
        for start in [0, 1, 63, 4095, 1_000_003, WHEEL_RANGE - 1, u64::MAX / 2] {
            for deadline in deadlines {
                if deadline > start {
                    check_never_early(start, deadline);
                }
                if let Some(deadline) = start.checked_add(deadline) {
                    check_never_early(start, deadline);
                }
            }
        }
    }

    #[test]
    fn distinct_deadlines_fire_in_deadline_order_within_one_advance() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let mut deadlines: Vec<u64> = (0..10_000u64).map(|i| 100 + i * i * 7 + i % 3).collect();
        deadlines.extend([3, 40, 99]); // already due at insert
        deadlines.sort_unstable();
        let mut ids: Vec<usize> = (0..deadlines.len()).collect();
        for i in (1..ids.len()).rev() {
            ids.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut h = Harness::at(99);
        for &id in &ids {
            h.insert(id, deadlines[id]);
        }
        let fired = h.advance(u64::MAX);
        assert!(fired.iter().copied().eq(0..deadlines.len()), "out of order");
    }

    #[test]
    fn a_jump_of_millions_of_ticks_skips_empty_ticks() {
        // Walking tick by tick would not finish.
        let mut h = Harness::at(0);
        h.insert(1, (1 << 50) - 1);
        h.insert(2, 3_000_000);
        assert_eq!(h.advance(1 << 49), [2]);
        assert_eq!(h.advance(1 << 50), [1]);
    }

    #[test]
    fn poll_fired_swaps_in_a_new_waker_and_keeps_no_stale_one() {
        let mut h = Harness::at(0);
        let same = Arc::new(Tag {
            id: 1,
            log: h.log.clone(),
        });
        let key = h.wheel.insert(5, Waker::from(same.clone()));
        let waker = Waker::from(same.clone());
        assert_eq!(Arc::strong_count(&same), 3);
        assert!(!h.wheel.poll_fired(key, &waker));
        assert_eq!(Arc::strong_count(&same), 3, "kept two copies of one waker");
        assert!(!h.wheel.poll_fired(key, &h.waker(2)));
        assert_eq!(Arc::strong_count(&same), 2, "kept the replaced waker");
        assert_eq!(h.advance(5), [2]);
    }

    #[test]
    fn reset_makes_a_fired_or_pending_timer_pending_again() {
        let mut h = Harness::at(0);
        let key = h.insert(1, 10);
        assert_eq!(h.advance(10), [1]);
        h.wheel.reset(key, 20, &h.waker(1));
        assert!(!h.wheel.poll_fired(key, &h.waker(1)));
        h.wheel.reset(key, 1 << 40, &h.waker(2));
        assert_eq!(h.advance(1 << 39), []);
        assert_eq!(h.advance(1 << 40), [2]);
        assert!(h.wheel.remove(key));
    }

    #[test]
    fn a_stale_key_touches_nothing_after_its_slot_is_reused() {
        let mut h = Harness::at(0);
        let stale = h.insert(1, 10);
        h.wheel.remove(stale);
        let fresh = h.insert(2, 10);
        assert_eq!(stale.index, fresh.index, "the slab slot should be reused");
        assert!(!h.wheel.remove(stale));
        assert!(h.wheel.poll_fired(stale, &h.waker(1)));
        h.wheel.reset(stale, 1_000, &h.waker(1));
        assert_eq!(h.wheel.len(), 1);
        assert_eq!(h.advance(10), [2]);
        assert!(h.wheel.remove(fresh));
    }

    #[test]
    fn a_hundred_thousand_timers_inserted_and_removed_leave_nothing() {
        let mut rng = XorShift(88_172_645_463_325_252);
        let mut h = Harness::at(12_345);
        let waker = h.waker(0);
        let mut keys: Vec<TimerKey> = (0..100_000)
            .map(|_| h.wheel.insert(rng.below(1 << 40), waker.clone()))
            .collect();
        assert_eq!(h.wheel.len(), 100_000);
        for i in (1..keys.len()).rev() {
            keys.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for key in keys {
            h.wheel.remove(key);
        }
        assert_eq!(h.wheel.len(), 0);
        assert_eq!(h.wheel.next_expiration(), None);
        assert_eq!(h.wheel.occupied, [0; LEVELS]);
        assert_eq!(h.advance(u64::MAX), []);
    }

    /// The model's view of one timer: its key, and its deadline while pending.
    struct Model {
        key: TimerKey,
        pending: Option<u64>,
    }

    /// A deadline around `elapsed`: past, near, far, beyond the wheel, or at a level boundary.
    fn random_deadline(rng: &mut XorShift, elapsed: u64) -> u64 {
        match rng.below(8) {
            0 => elapsed.saturating_sub(rng.below(100)),
            1..=3 => elapsed + rng.below(130),
            4 | 5 => elapsed + rng.below(1 << 20),
            6 => elapsed + rng.below(1 << 40),
            _ => {
                let level_bits = 6 * rng.below(LEVELS as u64 + 1);
                let boundary = (elapsed | ((1 << level_bits) - 1)) + 1;
                boundary + rng.below(3) - 1
            }
        }
    }

    #[test]
    fn matches_a_model_under_random_inserts_removes_resets_and_advances() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut h = Harness::at(0);
        let mut model: BTreeMap<usize, Model> = BTreeMap::new();
        for id in 0..20_000 {
            let elapsed = h.wheel.elapsed();
            let picked = match model.len() {
                0 => None,
                n => model.keys().nth(rng.below(n as u64) as usize).copied(),
            };
            match (rng.below(10), picked) {
                (0..=3, _) | (_, None) => {
                    let when = random_deadline(&mut rng, elapsed);
                    let key = h.insert(id, when);
                    model.insert(
                        id,
                        Model {
                            key,
                            pending: Some(when),
                        },
                    );
                }
                (4 | 5, Some(pick)) => {
                    let timer = model.remove(&pick).unwrap();
                    assert_eq!(h.wheel.remove(timer.key), timer.pending.is_none());
                }
                (6, Some(pick)) => {
                    let when = random_deadline(&mut rng, elapsed);
                    let timer = model.get_mut(&pick).unwrap();
                    h.wheel.reset(timer.key, when, &h.waker(pick));
                    timer.pending = Some(when);
                }
                (7, Some(pick)) => {
                    let timer = &model[&pick];
                    let fired = h.wheel.poll_fired(timer.key, &h.waker(pick));
                    assert_eq!(fired, timer.pending.is_none());
                }
                (_, Some(_)) => {
                    let now = match rng.below(6) {
                        0 => elapsed.saturating_sub(rng.below(50)),
                        1 => elapsed + rng.below(1 << 42),
                        2 => h.wheel.next_expiration().unwrap_or(elapsed),
                        _ => elapsed + rng.below(130),
                    };
                    let fired = h.advance(now);
                    let mut last = 0;
                    for id in &fired {
                        let timer = model.get_mut(id).unwrap();
                        let when = timer.pending.take().expect("fired twice");
                        assert!(
                            when <= now.max(elapsed),
                            "{id} due at {when} fired at {now}"
                        );
                        assert!(when >= last, "{id} due at {when} fired after {last}");
                        last = when;
                    }
                    let late = model.values().filter_map(|t| t.pending).find(|&w| w <= now);
                    assert_eq!(late, None, "a timer due by {now} did not fire");
                }
            }
            assert_eq!(h.wheel.len(), model.len());
            let earliest = model.values().filter_map(|t| t.pending).min();
            let elapsed = h.wheel.elapsed();
            match (h.wheel.next_expiration(), earliest) {
                (None, None) => {}
                (Some(next), Some(earliest)) => {
                    assert!(
                        next <= earliest.max(elapsed),
                        "{next} after earliest {earliest}"
                    );
                    assert!(next >= elapsed, "{next} before elapsed {elapsed}");
                }
                other => panic!("next_expiration and model disagree: {other:?}"),
            }
        }
        let pending = model.values().filter(|t| t.pending.is_some()).count();
        assert_eq!(h.advance(u64::MAX).len(), pending);
        assert!(format!("{:?}", h.wheel).starts_with("Wheel"));
    }
}
