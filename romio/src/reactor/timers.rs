//! The reactor's timers: the wheel behind its lock, the rule that keeps the turning thread
//! from sleeping past a deadline, and [`Timer`], the one handle through which timer futures
//! use them.
//!
//! # Contract
//!
//! - **The turning thread never sleeps past a deadline.** Before it waits, the turning thread
//!   records the tick it will wake at on its own (`turner_deadline`). Every change that can
//!   make a deadline earlier than that ([`Timer::insert`] and [`Timer::reset`], the only ones
//!   that file a deadline) compares under the wheel's lock and wakes the turning thread when
//!   it would wake too late. The rule lives in one function, [`Timers::file_deadline`].
//! - **No waker code under the lock.** A waker is cloned before the lock is taken; a waker
//!   the wheel gives back (replaced, removed, or fired) is dropped or woken after it is
//!   released. A waker may run anything, timers included, so it must never find the lock held.
//! - **One owner per timer.** A [`Timer`] owns its registration: dropping it removes it. It is
//!   the only way to reach the wheel outside the turning code (`with_wheel` is private here).
//!
//! Not promised: that a waker is woken only once per deadline (a reset of a timer that has
//! just fired leaves the old wakeup in flight), nor anything finer than one millisecond.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::Reactor;
use super::readiness::lock;
use crate::time::wheel::{Polled, TimerKey, Wheel};

/// `turner_deadline` while no thread waits (or one waits for no time at all).
const NOT_WAITING: u64 = 0;

/// The timers of one reactor: a wheel counting 1 ms ticks since `start`, and what the turning
/// thread waits for.
pub(crate) struct Timers {
    /// Pending timers, in ticks of one millisecond since `start`.
    wheel: Mutex<Wheel>,
    /// The instant of tick zero.
    start: Instant,
    /// The tick at which the turning thread will stop waiting on its own; [`NOT_WAITING`]
    /// while no thread waits. Written and read under the `wheel` lock, so a deadline filed
    /// while a thread computes its wait is always seen by one side.
    turner_deadline: AtomicU64,
}

impl Timers {
    pub(super) fn new() -> Timers {
        Timers {
            wheel: Mutex::new(Wheel::new()),
            start: Instant::now(),
            turner_deadline: AtomicU64::new(NOT_WAITING),
        }
    }

    /// Runs `f` on the wheel, under its lock. `f` must not clone, drop or wake a waker.
    fn with_wheel<R>(&self, f: impl FnOnce(&mut Wheel) -> R) -> R {
        f(&mut lock(&self.wheel))
    }

    /// The first tick at or after `deadline`: a timer due then never fires early.
    fn tick_at_or_after(&self, deadline: Instant) -> u64 {
        ticks_at_or_after(deadline.saturating_duration_since(self.start))
    }

    /// The last tick that has fully passed at `now`.
    fn tick_before(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_millis() as u64
    }

    /// The one rule for deadlines that move: called, under the wheel's lock (`_wheel` proves
    /// it), for every deadline filed. Returns whether the turning thread would sleep past
    /// `tick` and so must be woken by the caller, after unlocking.
    fn file_deadline(&self, _wheel: &mut Wheel, tick: u64) -> bool {
        let deadline = self.turner_deadline.load(Ordering::Relaxed);
        let interrupt = deadline != NOT_WAITING && tick < deadline;
        if interrupt {
            // One interruption is enough until the turner computes a new wait.
            self.turner_deadline.store(NOT_WAITING, Ordering::Relaxed);
        }
        interrupt
    }

    /// For the turning thread, before it waits: fires the timers due at `now` into `fired`,
    /// then returns how long to wait (the nearer of `timeout` and the next deadline; zero if
    /// anything fired) and whether any timer is pending, and records the tick the wait ends.
    /// The clock arithmetic is one subtraction of instants (`now` from the wheel's start);
    /// the rest is done in durations and ticks.
    pub(super) fn before_wait(
        &self,
        now: Instant,
        timeout: Option<Duration>,
        fired: &mut Vec<Waker>,
    ) -> (Option<Duration>, bool) {
        let since = now.saturating_duration_since(self.start);
        let mut wheel = lock(&self.wheel);
        wheel.advance(since.as_millis() as u64, fired);
        let next_expiration = wheel.next_expiration();
        let mut wait = timeout;
        // The tick the wait ends at, when a timer ends it (its deadline is that tick exactly).
        let mut timer_tick = None;
        if !fired.is_empty() {
            wait = Some(Duration::ZERO);
        } else if let Some(tick) = next_expiration {
            let until = Duration::from_millis(tick).saturating_sub(since);
            if wait.is_none_or(|w| until <= w) {
                wait = Some(until);
                timer_tick = Some(tick);
            }
        }
        let deadline = match wait {
            None => u64::MAX,
            Some(w) if w.is_zero() => NOT_WAITING,
            Some(w) => timer_tick
                .unwrap_or_else(|| ticks_at_or_after(since.saturating_add(w)))
                .max(1),
        };
        self.turner_deadline.store(deadline, Ordering::Relaxed);
        (wait, next_expiration.is_some())
    }

    /// For the turning thread: it stopped waiting.
    pub(super) fn after_wait(&self) {
        self.turner_deadline.store(NOT_WAITING, Ordering::Relaxed);
    }

    /// Fires the timers due at `now` into `fired`.
    pub(super) fn fire_due(&self, now: Instant, fired: &mut Vec<Waker>) {
        self.with_wheel(|wheel| wheel.advance(self.tick_before(now), fired));
    }

    /// Timers stored, pending or fired.
    pub(super) fn len(&self) -> usize {
        self.with_wheel(|wheel| wheel.len())
    }
}

/// The first whole tick at or after `since` (the time since tick zero).
fn ticks_at_or_after(since: Duration) -> u64 {
    let ms = since.as_millis();
    let exact = Duration::from_millis(ms as u64) == since;
    u64::try_from(ms).unwrap_or(u64::MAX / 2).min(u64::MAX / 2) + u64::from(!exact)
}

/// One timer in the reactor, owned by one future: insert, poll, reset, remove.
///
/// Dropping it removes the registration. Every method that files a deadline wakes the turning
/// thread if it would sleep past it, and none runs waker code under the timers' lock.
#[derive(Debug, Default)]
pub(crate) struct Timer {
    /// The registration in the wheel, while one exists.
    key: Option<TimerKey>,
}

impl Timer {
    /// A timer that is not registered.
    pub(crate) const fn new() -> Timer {
        Timer { key: None }
    }

    /// Whether the timer is registered (pending, or fired and not yet polled).
    pub(crate) fn is_registered(&self) -> bool {
        self.key.is_some()
    }

    /// Registers the timer to wake `waker` at `deadline` (never earlier), replacing any
    /// previous registration.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: &Waker) {
        let reactor = Reactor::get();
        let timers = &reactor.timers;
        let tick = timers.tick_at_or_after(deadline);
        let waker = waker.clone();
        let previous = self.key.take();
        let (key, interrupt, replaced) = timers.with_wheel(|wheel| {
            let replaced = previous.and_then(|key| wheel.remove(key));
            let key = wheel.insert(tick, waker);
            (key, timers.file_deadline(wheel, tick), replaced)
        });
        self.key = Some(key);
        drop(replaced);
        if interrupt {
            reactor.wake();
        }
        reactor.ensure_driven();
    }

    /// Ready once the timer fired; the registration is then gone. Otherwise stores `waker`
    /// (in place of the one stored, unless it wakes the same task) and is pending. A timer
    /// that is not registered is ready.
    pub(crate) fn poll_fired(&mut self, waker: &Waker) -> Poll<()> {
        let Some(key) = self.key else {
            return Poll::Ready(());
        };
        let timers = &Reactor::get().timers;
        let (polled, leftover) = timers.with_wheel(|wheel| match wheel.poll_fired(key, waker) {
            Polled::Fired => (Polled::Fired, wheel.remove(key)),
            other => (other, None),
        });
        drop(leftover);
        match polled {
            Polled::Pending => Poll::Pending,
            Polled::Fired => {
                self.key = None;
                Poll::Ready(())
            }
            Polled::WakerDiffers => {
                // Clone outside the lock, then swap; the timer may have fired in between.
                let fresh = waker.clone();
                match timers.with_wheel(|wheel| wheel.replace_waker(key, fresh)) {
                    Ok(old) => {
                        drop(old);
                        Poll::Pending
                    }
                    Err(fresh) => {
                        drop(fresh);
                        self.remove();
                        Poll::Ready(())
                    }
                }
            }
        }
    }

    /// Moves a pending timer to `deadline`, keeping the waker it stores: that task is woken
    /// then, without polling again. A timer that already fired is unregistered instead (its
    /// task was woken, and registers again when it polls); an unregistered one stays so.
    pub(crate) fn reset(&mut self, deadline: Instant) {
        let Some(key) = self.key else {
            return;
        };
        let reactor = Reactor::get();
        let timers = &reactor.timers;
        let tick = timers.tick_at_or_after(deadline);
        let moved = timers.with_wheel(|wheel| {
            wheel
                .reschedule(key, tick)
                .then(|| timers.file_deadline(wheel, tick))
        });
        match moved {
            Some(true) => reactor.wake(),
            Some(false) => {}
            None => self.remove(),
        }
    }

    /// Removes the registration, if any; the stored waker is dropped after unlocking.
    pub(crate) fn remove(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = Reactor::get().timers.with_wheel(|wheel| wheel.remove(key));
            drop(waker);
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_the_next_tick() {
        let timers = Timers::new();
        let start = timers.start;
        assert_eq!(timers.tick_at_or_after(start), 0);
        assert_eq!(timers.tick_at_or_after(start + Duration::from_millis(3)), 3);
        assert_eq!(
            timers.tick_at_or_after(start + Duration::from_micros(3001)),
            4
        );
        assert_eq!(timers.tick_before(start + Duration::from_micros(3999)), 3);
    }

    #[test]
    fn a_wait_ended_by_a_timer_ends_at_its_tick_and_a_shorter_timeout_wins() {
        let timers = Timers::new();
        let key = lock(&timers.wheel).insert(7, Waker::noop().clone());
        let mut fired = Vec::new();
        let now = timers.start + Duration::from_micros(2500);
        let (wait, pending) = timers.before_wait(now, None, &mut fired);
        assert_eq!((wait, pending), (Some(Duration::from_micros(4500)), true));
        assert_eq!(timers.turner_deadline.load(Ordering::Relaxed), 7);
        let (wait, _) = timers.before_wait(now, Some(Duration::from_micros(1200)), &mut fired);
        assert_eq!(wait, Some(Duration::from_micros(1200)));
        // 2.5 ms + 1.2 ms, rounded up to the next tick.
        assert_eq!(timers.turner_deadline.load(Ordering::Relaxed), 4);
        let (wait, _) =
            timers.before_wait(timers.start + Duration::from_millis(7), None, &mut fired);
        assert_eq!(
            (wait, fired.len()),
            (Some(Duration::ZERO), 1),
            "due: fired, no wait"
        );
        lock(&timers.wheel).remove(key);
    }

    #[test]
    fn a_deadline_before_the_turners_wakes_it_once_and_a_later_one_never() {
        let timers = Timers::new();
        let mut fired = Vec::new();
        let (wait, pending) =
            timers.before_wait(timers.start, Some(Duration::from_millis(50)), &mut fired);
        assert_eq!((wait, pending), (Some(Duration::from_millis(50)), false));
        let mut wheel = lock(&timers.wheel);
        assert!(
            !timers.file_deadline(&mut wheel, 50),
            "due when the wait ends"
        );
        assert!(
            !timers.file_deadline(&mut wheel, 70),
            "due after the wait ends"
        );
        assert!(
            timers.file_deadline(&mut wheel, 10),
            "due before the wait ends"
        );
        assert!(
            !timers.file_deadline(&mut wheel, 5),
            "one interruption is enough until the next wait is computed"
        );
        drop(wheel);
        timers.after_wait();
        assert!(
            !timers.file_deadline(&mut lock(&timers.wheel), 1),
            "nobody waits"
        );
    }
}
