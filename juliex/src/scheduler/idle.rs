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
//!   (`Worker::run_task` with `Shared::has_surplus`);
//! - a worker pushing onto its own queue wakes a sleeper only for a task it will not get
//!   to next: one queued behind its LIFO slot or behind other queued tasks
//!   (`WorkerLocal::announce`); a sleeper counts every queued task as work to stay up for;
//! - a searching worker spins for work only while another worker is awake
//!   ([`Idle::others_awake`]): only a worker can queue work for it to steal; work from other
//!   threads arrives in the injector with a wake-up of its own.
//!
//! No wake-up is lost: a worker going to sleep first unregisters as awake (and searching),
//! then re-checks every queue; a pusher first pushes, then reads the counts. Both sides use
//! sequentially consistent operations, so at least one sees the other.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed, Ordering::SeqCst, fence};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Position of the searching-worker count in the state word; the awake count is below it.
const SEARCHING_SHIFT: u32 = 16;
/// One searching worker, in the state word.
const SEARCHING_ONE: usize = 1 << SEARCHING_SHIFT;
/// The awake-worker count, in the state word.
const AWAKE_MASK: usize = SEARCHING_ONE - 1;

/// Number of searching workers in a state word.
#[inline]
fn searching(state: usize) -> usize {
    state >> SEARCHING_SHIFT
}

/// Number of awake workers (searching ones included) in a state word.
#[inline]
fn awake(state: usize) -> usize {
    state & AWAKE_MASK
}

pub(crate) struct Idle {
    /// `searching << SEARCHING_SHIFT | awake`.
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
        searching(state) == 0 && awake(state) < self.workers
    }

    /// Like [`Idle::should_wake`] without the fence: for callers that issued one already,
    /// and for pushes onto the pusher's own queue, where a stale answer can only cost
    /// parallelism, never a hang, since the pusher is awake and runs its own queue.
    #[inline]
    pub(crate) fn should_wake_relaxed(&self) -> bool {
        let state = self.state.load(Relaxed);
        searching(state) == 0 && awake(state) < self.workers
    }

    /// Asked by an awake worker that found nothing to do: is any *other* worker awake? Only
    /// a worker queues tasks onto a queue it could steal from (other threads push to the
    /// injector and wake a sleeper themselves), so with none awake, spinning for work
    /// burns CPU for nothing and the worker should go to sleep at once. A stale answer
    /// costs a short spin or an early sleep, never a lost wake-up: the sleep protocol
    /// re-checks every queue.
    #[inline]
    pub(crate) fn others_awake(&self) -> bool {
        awake(self.state.load(Relaxed)) > 1
    }

    /// True if every worker sleeps (a stale answer is harmless: callers only use it to
    /// decide whether to read the real clock).
    #[inline]
    pub(crate) fn none_awake(&self) -> bool {
        awake(self.state.load(Relaxed)) == 0
    }

    /// Picks a sleeper to wake and counts it as awake and searching. `prefer` says which
    /// sleepers are cheaper to wake (e.g. not the one waiting in the park hook).
    pub(crate) fn wake_one(&self, prefer: impl Fn(usize) -> bool) -> Option<usize> {
        let mut sleepers = self.sleepers();
        // Re-check under the lock: another pusher may have woken someone meanwhile.
        let state = self.state.load(SeqCst);
        if searching(state) != 0 {
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
            if searching(state) >= self.max_searching {
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
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
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

    #[test]
    fn a_lone_awake_worker_does_not_spin() {
        // One worker: nobody else can queue work for it to steal.
        assert!(!Idle::new(1).others_awake());
        let idle = Idle::new(3);
        assert!(idle.others_awake());
        idle.park(1, false);
        assert!(idle.others_awake(), "worker 2 is still awake");
        idle.park(2, false);
        assert!(!idle.others_awake(), "every other worker sleeps");
        assert_eq!(idle.wake_one(|_| true), Some(2));
        assert!(idle.others_awake(), "a woken worker may queue work");
    }
}
