//! Which workers are awake, which are searching for work, and which sleep.
//!
//! Waking a sleeping thread costs tens of microseconds on small machines, so the policy is to
//! wake as few workers as possible:
//!
//! - a wake-up is skipped while any worker is *searching* (it will find the work), or when
//!   every worker is awake;
//! - at most [`Idle::max_searching`] workers search at once (half of them, at least one);
//! - a woken worker starts out searching, so a burst of pushes wakes one worker, not many;
//! - the last searcher to find work wakes another one only if it sees more work
//!   (see `Shared::transition_from_searching`).
//!
//! No wake-up is lost: a worker going to sleep first unregisters as awake (and searching),
//! then re-checks every queue; a pusher first pushes, then reads the counts. Both sides use
//! sequentially consistent operations, so at least one sees the other.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed, Ordering::SeqCst, fence};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// One searching worker, in the state word.
const SEARCHING_ONE: usize = 1 << 16;
/// The awake-worker count, in the state word.
const AWAKE_MASK: usize = SEARCHING_ONE - 1;

pub(crate) struct Idle {
    /// `searching << 16 | awake`.
    state: AtomicUsize,
    /// Indices of sleeping workers, most recent last. Locked only on park / wake-up.
    sleepers: Mutex<Vec<usize>>,
    workers: usize,
    max_searching: usize,
}

impl Idle {
    pub(crate) fn new(workers: usize) -> Self {
        assert!(workers < AWAKE_MASK, "too many worker threads");
        Idle {
            state: AtomicUsize::new(workers),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
            max_searching: workers.div_ceil(2),
        }
    }

    fn sleepers(&self) -> MutexGuard<'_, Vec<usize>> {
        self.sleepers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cheap check, after pushing work: is it worth waking a sleeper?
    #[inline]
    pub(crate) fn should_wake(&self) -> bool {
        // Orders the caller's push before the read of the counts (see module docs).
        fence(SeqCst);
        let state = self.state.load(SeqCst);
        state >> 16 == 0 && state & AWAKE_MASK < self.workers
    }

    /// Like [`Idle::should_wake`] without the fence: for callers that issued one already,
    /// and for pushes onto the pusher's own queue, where a stale answer can only cost
    /// parallelism, never a hang, since the pusher is awake and runs its own queue.
    #[inline]
    pub(crate) fn should_wake_relaxed(&self) -> bool {
        let state = self.state.load(Relaxed);
        state >> 16 == 0 && state & AWAKE_MASK < self.workers
    }

    /// Picks a sleeper to wake and counts it as awake and searching. `prefer` says which
    /// sleepers are cheaper to wake (e.g. not the one waiting in the park hook).
    pub(crate) fn wake_one(&self, prefer: impl Fn(usize) -> bool) -> Option<usize> {
        let mut sleepers = self.sleepers();
        // Re-check under the lock: another pusher may have woken someone meanwhile.
        let state = self.state.load(SeqCst);
        if state >> 16 != 0 {
            return None;
        }
        let at = sleepers
            .iter()
            .rposition(|&w| prefer(w))
            .or(sleepers.len().checked_sub(1))?;
        let worker = sleepers.swap_remove(at);
        self.state.fetch_add(SEARCHING_ONE + 1, SeqCst);
        Some(worker)
    }

    /// Removes and returns every sleeper, counting them as awake and searching, like
    /// [`Idle::wake_one`] does (shutdown, where the bound on searchers no longer matters).
    pub(crate) fn wake_all(&self) -> Vec<usize> {
        let mut sleepers = self.sleepers();
        self.state
            .fetch_add(sleepers.len() * (SEARCHING_ONE + 1), SeqCst);
        std::mem::take(&mut *sleepers)
    }

    /// An idle worker asks to search (steal). Refused if enough workers already search.
    pub(crate) fn try_start_searching(&self) -> bool {
        let mut state = self.state.load(SeqCst);
        loop {
            if state >> 16 >= self.max_searching {
                return false;
            }
            // CAS: the searcher count must stay within the bound.
            match self
                .state
                .compare_exchange_weak(state, state + SEARCHING_ONE, SeqCst, SeqCst)
            {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// A searching worker found work (or gives up). Returns true if it was the last searcher.
    pub(crate) fn stop_searching(&self) -> bool {
        let prev = self.state.fetch_sub(SEARCHING_ONE, SeqCst);
        debug_assert!(prev >> 16 > 0);
        prev >> 16 == 1
    }

    /// A worker is about to sleep: it stops counting as awake (and searching), and is listed
    /// as a sleeper. The caller must re-check the queues afterwards.
    pub(crate) fn park(&self, worker: usize, searching: bool) {
        let mut sleepers = self.sleepers();
        let dec = 1 + if searching { SEARCHING_ONE } else { 0 };
        self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
    }

    /// A worker is back from sleep (or decided not to sleep). Returns true if it was woken by
    /// [`Idle::wake_one`], which counted it as searching; otherwise it un-lists itself and
    /// counts as awake, not searching.
    pub(crate) fn unpark(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers();
        match sleepers.iter().position(|&w| w == worker) {
            Some(at) => {
                sleepers.swap_remove(at);
                self.state.fetch_add(1, SeqCst);
                false
            }
            None => true,
        }
    }

    /// True if `worker` is listed as sleeping (tests).
    #[cfg(test)]
    pub(crate) fn is_sleeping(&self, worker: usize) -> bool {
        self.sleepers().contains(&worker)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_searcher_of_two() {
        let idle = Idle::new(2);
        assert!(!idle.should_wake());
        assert!(idle.try_start_searching());
        assert!(!idle.try_start_searching());
        idle.park(1, true);
        assert!(idle.is_sleeping(1));
        assert!(idle.should_wake());
        assert_eq!(idle.wake_one(|_| true), Some(1));
        // The woken worker searches: no second wake-up.
        assert!(!idle.should_wake());
        assert!(idle.unpark(1));
        assert!(idle.stop_searching());
    }
}
