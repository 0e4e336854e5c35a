//! Specification of the timing wheel: never early, exactly once, in deadline order.
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
    assert_eq!(h.wheel.poll_fired(key, &h.waker(7)), Polled::WakerDiffers);
    assert_eq!(h.advance(9), []);
    assert_eq!(h.advance(10), [7]);
    assert_eq!(h.advance(1_000), []);
    assert_eq!(h.wheel.len(), 1);
    assert_eq!(h.wheel.poll_fired(key, &h.waker(7)), Polled::Fired);
    assert!(
        h.wheel.remove(key).is_none(),
        "a fired timer holds no waker"
    );
    assert_eq!(h.wheel.len(), 0);
}

#[test]
fn a_removed_pending_timer_never_fires() {
    let mut h = Harness::at(0);
    let key = h.insert(1, 100);
    assert!(
        h.wheel.remove(key).is_some(),
        "a pending timer gives its waker back"
    );
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
fn poll_fired_compares_and_replace_waker_hands_the_old_one_back() {
    let mut h = Harness::at(0);
    let same = Arc::new(Tag {
        id: 1,
        log: h.log.clone(),
    });
    let key = h.wheel.insert(5, Waker::from(same.clone()));
    let waker = Waker::from(same.clone());
    assert_eq!(Arc::strong_count(&same), 3);
    assert_eq!(h.wheel.poll_fired(key, &waker), Polled::Pending);
    assert_eq!(Arc::strong_count(&same), 3, "poll_fired cloned a waker");
    assert_eq!(h.wheel.poll_fired(key, &h.waker(2)), Polled::WakerDiffers);
    let old = h.wheel.replace_waker(key, h.waker(2)).expect("pending");
    assert_eq!(
        Arc::strong_count(&same),
        3,
        "the wheel dropped the replaced waker"
    );
    drop(old);
    assert_eq!(Arc::strong_count(&same), 2, "the replaced waker was kept");
    assert_eq!(h.advance(5), [2]);
    let refused = h.wheel.replace_waker(key, h.waker(3));
    assert!(refused.is_err(), "a fired timer takes no waker");
}

#[test]
fn reschedule_moves_a_pending_timer_and_leaves_a_fired_one() {
    let mut h = Harness::at(0);
    let key = h.insert(1, 10);
    assert!(h.wheel.reschedule(key, 1 << 40));
    assert_eq!(h.advance(1 << 39), []);
    assert!(h.wheel.reschedule(key, (1 << 39) + 5), "moved earlier");
    assert_eq!(h.advance((1 << 39) + 5), [1]);
    assert!(
        !h.wheel.reschedule(key, 1 << 41),
        "a fired timer is not moved"
    );
    assert_eq!(h.wheel.poll_fired(key, &h.waker(1)), Polled::Fired);
    assert_eq!(h.advance(u64::MAX), []);
    assert!(h.wheel.remove(key).is_none());
}

#[test]
fn a_stale_key_touches_nothing_after_its_slot_is_reused() {
    let mut h = Harness::at(0);
    let stale = h.insert(1, 10);
    assert!(h.wheel.remove(stale).is_some());
    let fresh = h.insert(2, 10);
    assert_eq!(stale.index, fresh.index, "the slab slot should be reused");
    assert!(h.wheel.remove(stale).is_none());
    assert_eq!(h.wheel.poll_fired(stale, &h.waker(1)), Polled::Fired);
    assert!(h.wheel.replace_waker(stale, h.waker(1)).is_err());
    assert!(!h.wheel.reschedule(stale, 1_000));
    assert_eq!(h.wheel.len(), 1);
    assert_eq!(h.advance(10), [2]);
    assert!(h.wheel.remove(fresh).is_none());
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
fn matches_a_model_under_random_inserts_removes_reschedules_and_advances() {
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
                let waker = h.wheel.remove(timer.key);
                assert_eq!(waker.is_some(), timer.pending.is_some());
            }
            (6, Some(pick)) => {
                let when = random_deadline(&mut rng, elapsed);
                let timer = model.get_mut(&pick).unwrap();
                let moved = h.wheel.reschedule(timer.key, when);
                assert_eq!(moved, timer.pending.is_some());
                if moved {
                    timer.pending = Some(when);
                }
            }
            (7, Some(pick)) => {
                let timer = &model[&pick];
                let polled = h.wheel.poll_fired(timer.key, &h.waker(pick));
                assert_eq!(polled == Polled::Fired, timer.pending.is_none());
                if polled == Polled::WakerDiffers {
                    assert!(h.wheel.replace_waker(timer.key, h.waker(pick)).is_ok());
                }
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
