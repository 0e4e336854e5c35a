//! The task state word: lifecycle bits and the reference count, in one atomic.
//!
//! Every transition of a task is a single atomic read-modify-write on this word, so the
//! lifecycle needs no lock. The low bits are flags (below); the bits from [`REF_SHIFT`] up
//! count the references to the task allocation. References are held by: the run queue entry
//! (a `Notified`, at most one at a time, present iff [`SCHEDULED`] was set by the one who
//! created it), each `Waker`, the `JoinHandle`, and the pool's registry (from the task's
//! first `Pending` until it completes).
//!
//! Combinations that never happen: `RUNNING | COMPLETE`; `JOIN_WAKER` without
//! `JOIN_INTEREST`; a zero reference count on a task anyone can still reach.
//!
//! Who owns what:
//! - the future / output slot belongs to whoever set [`RUNNING`] until it clears it; after
//!   [`COMPLETE`] it belongs to the join handle if [`JOIN_INTEREST`] was still set when the
//!   task completed, otherwise the completer dropped the output at once;
//! - the join waker slot: see [`JOIN_WAKER`].

use crate::sync::{AtomicUsize, Ordering::*};
use std::fmt;

/// Set when a `Notified` for the task exists (in a run queue or about to be pushed), or when
/// the task was woken while [`RUNNING`], in which case the poller re-queues it.
/// Cleared by the worker when it starts polling. Never set after [`COMPLETE`]; it may stay
/// set when shutdown or cancellation took the task from under a queued `Notified`, which
/// then sees [`RUNNING`] or [`COMPLETE`] and only releases its reference.
pub(crate) const SCHEDULED: usize = 1 << 0;
/// Set while one thread has exclusive access to the future: polling it, or dropping it to
/// cancel. Never set together with [`COMPLETE`].
pub(crate) const RUNNING: usize = 1 << 1;
/// Set once the future is gone and the output (or a `JoinError`) is stored. Final: no other
/// flag but [`JOIN_INTEREST`] / [`JOIN_WAKER`] changes afterwards, except the ref count.
pub(crate) const COMPLETE: usize = 1 << 2;
/// Set by `abort` or pool shutdown: the next thread to own the future drops it instead of
/// polling it. May be set at any time before [`COMPLETE`], and stays.
pub(crate) const CANCELLED: usize = 1 << 3;
/// Set while a `JoinHandle` exists; cleared when it is dropped. If clear when the task
/// completes, the completer drops the output itself.
pub(crate) const JOIN_INTEREST: usize = 1 << 4;
/// Set when the join handle has published a waker in the header's awaiter slot.
/// `!COMPLETE && !JOIN_WAKER`: the handle may write the slot. `!COMPLETE && JOIN_WAKER`: the
/// slot is read-only for everyone. After `COMPLETE` the slot is never written again (the
/// completer reads it once if `JOIN_WAKER` was set); it is dropped with the allocation.
pub(crate) const JOIN_WAKER: usize = 1 << 5;
/// Position of the reference count.
pub(crate) const REF_SHIFT: usize = 6;
/// One reference.
pub(crate) const REF_ONE: usize = 1 << REF_SHIFT;
/// A freshly spawned task: queued once, with a join handle, and two references (the
/// `Notified` and the `JoinHandle`). The registry's reference is added when the task first
/// returns `Pending`.
pub(crate) const INITIAL: usize = SCHEDULED | JOIN_INTEREST | (2 * REF_ONE);

/// A copy of the state word, with accessors that name the bits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(pub(crate) usize);

impl Snapshot {
    fn has(self, bit: usize) -> bool {
        self.0 & bit != 0
    }
    /// See [`SCHEDULED`].
    pub(crate) fn is_scheduled(self) -> bool {
        self.has(SCHEDULED)
    }
    /// See [`RUNNING`].
    pub(crate) fn is_running(self) -> bool {
        self.has(RUNNING)
    }
    /// See [`COMPLETE`].
    pub(crate) fn is_complete(self) -> bool {
        self.has(COMPLETE)
    }
    /// See [`CANCELLED`].
    pub(crate) fn is_cancelled(self) -> bool {
        self.has(CANCELLED)
    }
    /// See [`JOIN_INTEREST`].
    pub(crate) fn has_join_interest(self) -> bool {
        self.has(JOIN_INTEREST)
    }
    /// See [`JOIN_WAKER`].
    pub(crate) fn has_join_waker(self) -> bool {
        self.has(JOIN_WAKER)
    }
    /// Number of references.
    pub(crate) fn refs(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("scheduled", &self.is_scheduled())
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.has_join_interest())
            .field("join_waker", &self.has_join_waker())
            .field("refs", &self.refs())
            .finish()
    }
}

/// What a worker holding a `Notified` may do with the task.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToRunning {
    /// We own the future: poll it.
    Poll,
    /// We own the future and it was cancelled: drop it.
    Cancel,
    /// Someone else owns or finished it: just drop our reference.
    Skip,
}

/// What the poller does after the future returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToIdle {
    /// The task is idle; our reference was released (and it was not the last).
    Idle,
    /// Our reference was released and it was the last: free the task.
    Dealloc,
    /// Woken while running: we keep our reference and queue the task again.
    Reschedule,
    /// Cancelled while running: we still own the future and must drop it.
    Cancel,
}

/// What a waker must do after marking the task woken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToNotified {
    /// Nothing: the task is queued, running (it will be re-queued), or done.
    Nothing,
    /// A `Notified` reference now exists: hand it to the scheduler.
    Submit,
    /// (by value only) our reference was the last: free the task.
    Dealloc,
}

/// The atomic state word of a task.
pub(crate) struct State(AtomicUsize);

impl State {
    /// A freshly spawned task, see [`INITIAL`].
    pub(crate) fn new() -> Self {
        State(AtomicUsize::new(INITIAL))
    }

    /// Current value, with acquire ordering.
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    fn update<T>(&self, mut f: impl FnMut(Snapshot) -> (Option<usize>, T)) -> T {
        let mut cur = self.0.load(Acquire);
        loop {
            let (next, out) = f(Snapshot(cur));
            let Some(next) = next else { return out };
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return out,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A worker holding the task's `Notified` wants to poll it.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        // CAS: whoever sets RUNNING owns the future; SCHEDULED is cleared at the same time so
        // wakes during the poll are recorded as a fresh SCHEDULED bit. If another thread owns
        // the future (shutdown or cancel), or it is complete, we only hold a stale reference.
        self.update(|s| {
            if s.is_running() || s.is_complete() {
                return (None, ToRunning::Skip);
            }
            let next = (s.0 & !SCHEDULED) | RUNNING;
            let out = if s.is_cancelled() {
                ToRunning::Cancel
            } else {
                ToRunning::Poll
            };
            (Some(next), out)
        })
    }

    /// The poll returned `Pending`; the poller holds `RUNNING` and one reference.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        // CAS: clearing RUNNING hands the future back to the wakers. If a wake came in while
        // running (SCHEDULED), we keep our reference for the re-queue instead of releasing it
        // and the task never becomes idle. If it was cancelled, we keep RUNNING and drop it.
        self.update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, ToIdle::Cancel);
            }
            if s.is_scheduled() {
                return (Some(s.0 & !RUNNING), ToIdle::Reschedule);
            }
            let next = (s.0 & !RUNNING) - REF_ONE;
            let out = if next >> REF_SHIFT == 0 {
                ToIdle::Dealloc
            } else {
                ToIdle::Idle
            };
            (Some(next), out)
        })
    }

    /// The owner of the future has stored the output: mark the task complete.
    /// Returns the state before, so the caller knows about the join handle and its waker.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        // One atomic flip: RUNNING off, COMPLETE on. From here the join handle (if
        // JOIN_INTEREST is set in the returned snapshot) owns the output; the completer
        // owns the right to read the join waker if JOIN_WAKER is set in it.
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// `wake_by_ref`: mark the task woken, adding a reference for the `Notified` if one is
    /// created.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotified {
        // CAS: only the waker that sets SCHEDULED on an idle task creates a `Notified`; a
        // running task gets SCHEDULED and its poller re-queues it.
        self.update(|s| {
            if s.is_complete() || s.is_scheduled() {
                (None, ToNotified::Nothing)
            } else if s.is_running() {
                (Some(s.0 | SCHEDULED), ToNotified::Nothing)
            } else {
                (Some((s.0 | SCHEDULED) + REF_ONE), ToNotified::Submit)
            }
        })
    }

    /// `wake`: like [`State::transition_to_notified_by_ref`], but consumes the waker's
    /// reference. On `Submit` a reference was added for the `Notified` and the caller still
    /// owns its own, which it releases after submitting (the task may run, complete and lose
    /// every other reference while the submission is still in progress).
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotified {
        // CAS: as by_ref; when no `Notified` is created our reference is released in the
        // same step, and if it was the last one the caller frees the task.
        self.update(|s| {
            if !s.is_complete() && !s.is_scheduled() && !s.is_running() {
                return (Some((s.0 | SCHEDULED) + REF_ONE), ToNotified::Submit);
            }
            let mut next = s.0 - REF_ONE;
            if s.is_running() && !s.is_complete() {
                next |= SCHEDULED;
            }
            let out = if next >> REF_SHIFT == 0 {
                ToNotified::Dealloc
            } else {
                ToNotified::Nothing
            };
            (Some(next), out)
        })
    }

    /// `JoinHandle::abort`: returns true if the caller must submit a new `Notified` (a
    /// reference was added for it) so that a worker drops the future.
    pub(crate) fn transition_to_cancelled_by_handle(&self) -> bool {
        // CAS: CANCELLED is sticky. An idle task is also marked SCHEDULED (with a reference)
        // so that a worker picks it up and drops it; a queued or running task is dropped by
        // the worker that owns it next.
        self.update(|s| {
            if s.is_complete() || s.is_cancelled() {
                (None, false)
            } else if s.is_running() || s.is_scheduled() {
                (Some(s.0 | CANCELLED), false)
            } else {
                (Some((s.0 | CANCELLED | SCHEDULED) + REF_ONE), true)
            }
        })
    }

    /// Pool shutdown: returns true if the caller now owns the future and must drop it.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        // CAS: if nobody runs the task, take RUNNING to drop the future here; a queued
        // `Notified` left behind sees RUNNING/COMPLETE and skips. If someone runs it, they see
        // CANCELLED when they are done with the poll.
        self.update(|s| {
            if s.is_complete() {
                (None, false)
            } else if s.is_running() {
                (Some(s.0 | CANCELLED), false)
            } else {
                (Some(s.0 | CANCELLED | RUNNING), true)
            }
        })
    }

    /// The join handle publishes its waker (already written to the slot).
    /// Fails (returns the snapshot) if the task completed meanwhile.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        // CAS: publishing requires !COMPLETE; on failure the handle still owns the slot.
        self.update(|s| {
            debug_assert!(s.has_join_interest() && !s.has_join_waker());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 | JOIN_WAKER), Ok(()))
            }
        })
    }

    /// The join handle takes its published waker back to replace it.
    /// Fails if the task completed meanwhile (then the slot is frozen).
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        // CAS: clearing JOIN_WAKER while !COMPLETE gives the slot back to the handle.
        self.update(|s| {
            debug_assert!(s.has_join_interest() && s.has_join_waker());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 & !JOIN_WAKER), Ok(()))
            }
        })
    }

    /// The join handle is dropped before completion: clear its interest (and its waker).
    /// Returns the previous snapshot on success; fails if the task completed first, in which
    /// case the handle owns the output and must drop it.
    pub(crate) fn unset_join_interest(&self) -> Result<Snapshot, Snapshot> {
        // CAS: after this the completer drops the output itself; if JOIN_WAKER was set the
        // slot is ours again and we drop the waker.
        self.update(|s| {
            debug_assert!(s.has_join_interest());
            if s.is_complete() {
                (None, Err(s))
            } else {
                (Some(s.0 & !(JOIN_INTEREST | JOIN_WAKER)), Ok(s))
            }
        })
    }

    /// Adds a reference (a waker clone).
    pub(crate) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Relaxed);
        // Like `Arc`: a count this large means references are being leaked in a loop.
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Releases `n` references; returns true if they were the last.
    pub(crate) fn ref_dec(&self, n: usize) -> bool {
        let prev = Snapshot(self.0.fetch_sub(n * REF_ONE, AcqRel));
        debug_assert!(prev.refs() >= n, "{prev:?} - {n}");
        prev.refs() == n
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Snapshot(self.0.load(Relaxed)).fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn debug_decodes_bits() {
        let s = format!("{:?}", Snapshot(INITIAL));
        assert_eq!(
            s,
            "State { scheduled: true, running: false, complete: false, cancelled: false, \
             join_interest: true, join_waker: false, refs: 2 }"
        );
    }

    #[test]
    fn wake_while_running_reschedules() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), ToRunning::Poll);
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::Nothing);
        assert_eq!(s.transition_to_idle(), ToIdle::Reschedule);
        assert_eq!(s.transition_to_running(), ToRunning::Poll);
        assert_eq!(s.transition_to_idle(), ToIdle::Idle);
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::Submit);
        assert_eq!(s.transition_to_notified_by_ref(), ToNotified::Nothing);
        assert_eq!(s.load().refs(), 2);
    }

    #[test]
    fn abort_idle_task_submits_it() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), ToRunning::Poll);
        assert_eq!(s.transition_to_idle(), ToIdle::Idle);
        assert!(s.transition_to_cancelled_by_handle());
        assert!(!s.transition_to_cancelled_by_handle());
        assert_eq!(s.transition_to_running(), ToRunning::Cancel);
    }
}
