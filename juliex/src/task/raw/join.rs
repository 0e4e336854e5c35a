//! The join handle's typed reference to a task: reads the output, registers the awaiting
//! waker, aborts.

use super::{Header, header, release_refs};
use crate::task::error::JoinError;
use crate::task::state::Snapshot;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// Owns the join handle's reference and the `JOIN_INTEREST` bit of one task whose output
/// type is `T`.
pub(crate) struct JoinRaw<T> {
    ptr: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves a `T` out of the task (so `T: Send` is required), and all its
// accesses to shared task memory are arbitrated by the atomic state.
unsafe impl<T: Send> Send for JoinRaw<T> {}
// SAFETY: the `&self` methods (`abort`, `is_finished`) only touch the atomic state.
unsafe impl<T: Send> Sync for JoinRaw<T> {}

impl<T> JoinRaw<T> {
    /// Wraps the join handle's reference; only `new_task`, which fixes `T = F::Output`, calls this.
    pub(super) fn new(ptr: NonNull<Header>) -> Self {
        JoinRaw {
            ptr,
            _output: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: our reference keeps the task alive while `self` is borrowed.
        unsafe { header(self.ptr) }
    }

    /// Returns the output once the task is complete; until then registers `cx`'s waker.
    /// Panics if called again after it returned `Ready`.
    pub(crate) fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        if !self.register_or_complete(cx.waker()) {
            return Poll::Pending;
        }
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: the task is COMPLETE and we have join interest, so we own the output; `T`
        // is the task's output type (see `new`).
        unsafe { (self.header().vtable.read_output)(self.ptr, (&raw mut out).cast()) };
        out
    }

    /// True if the task is complete (the output can be read). Otherwise `waker` is set to be
    /// woken on completion.
    fn register_or_complete(&mut self, waker: &Waker) -> bool {
        let header = self.header();
        let snapshot = header.state.load();
        if snapshot.is_complete() {
            return true;
        }
        if snapshot.has_join_waker() {
            let same = header.awaiter.with(|slot| {
                // SAFETY: the slot is published (JOIN_WAKER set): read-only for everyone.
                unsafe { &*slot }
                    .as_ref()
                    .is_some_and(|w| w.will_wake(waker))
            });
            if same {
                return false;
            }
            if header.state.unset_join_waker().is_err() {
                return true;
            }
        }
        self.set_waker(waker)
    }

    /// Writes the waker into the slot (we own it: JOIN_WAKER is clear) and publishes it.
    /// Returns true if the task completed meanwhile.
    fn set_waker(&mut self, waker: &Waker) -> bool {
        let header = self.header();
        header.awaiter.with_mut(|slot| {
            // SAFETY: JOIN_WAKER is clear and the task is not complete: the handle owns the slot.
            unsafe { *slot = Some(waker.clone()) }
        });
        match header.state.set_join_waker() {
            Ok(()) => false,
            Err(_) => {
                header.awaiter.with_mut(|slot| {
                    // SAFETY: publishing failed because the task completed; the slot was not
                    // published, so the completer never reads it and it is still ours.
                    unsafe { *slot = None }
                });
                true
            }
        }
    }

    /// Asks for the task to be cancelled; a worker drops its future soon.
    pub(crate) fn abort(&self) {
        let header = self.header();
        if header.state.transition_to_cancelled_by_handle() {
            // SAFETY: the transition added a reference for the `Notified`; ours keeps the
            // task alive during the submission.
            unsafe { (header.vtable.schedule)(self.ptr) }
        }
    }

    /// True once the task's future is gone (finished, panicked or cancelled).
    pub(crate) fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub(crate) fn id(&self) -> crate::task::TaskId {
        self.header().meta.id
    }

    /// The task's state, for `Debug`.
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.header().state.load()
    }
}

impl<T> Drop for JoinRaw<T> {
    fn drop(&mut self) {
        let header = self.header();
        match header.state.unset_join_interest() {
            Ok(prev) => {
                if prev.has_join_waker() {
                    header.awaiter.with_mut(|slot| {
                        // SAFETY: clearing JOIN_WAKER before completion gave the slot back to
                        // us, and the completer will not read it (no join interest).
                        unsafe { *slot = None }
                    });
                }
            }
            Err(_) => {
                // Completed first: the output is ours to drop (a panic in its destructor
                // is swallowed there, so our reference is always released below).
                // SAFETY: COMPLETE with join interest: we own the output.
                unsafe { (header.vtable.drop_output)(self.ptr) }
            }
        }
        // SAFETY: we own one reference and do not use it again.
        unsafe { release_refs(self.ptr, 1) };
    }
}
