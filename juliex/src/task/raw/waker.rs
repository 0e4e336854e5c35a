//! The task's `Waker`: a pointer to the task header and a static vtable. Each waker owns one
//! reference to the task; no other allocation is involved.

use super::{Header, release_refs};
use crate::task::state::ToNotified;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker that borrows the caller's reference instead of owning one: wrap it in
/// `ManuallyDrop` and never drop it.
///
/// # Safety
/// `ptr` is a live task and the caller holds a reference for as long as the waker is used.
pub(super) unsafe fn waker_ref(ptr: NonNull<Header>) -> Waker {
    let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE);
    // SAFETY: the vtable functions below uphold the `RawWaker` contract for task pointers.
    unsafe { Waker::from_raw(raw) }
}

/// # Safety
/// `data` came from a waker of this vtable, i.e. a live task that the waker holds a reference to.
unsafe fn task(data: *const ()) -> NonNull<Header> {
    // SAFETY: task pointers are never null.
    unsafe { NonNull::new_unchecked(data.cast_mut().cast()) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds a reference, so the task is alive.
    let header = unsafe { task(data).as_ref() };
    header.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: this waker owns a reference, so the task is alive until it is released.
    let ptr = unsafe { task(data) };
    // SAFETY: as above.
    let header = unsafe { ptr.as_ref() };
    match header.state.transition_to_notified_by_val() {
        ToNotified::Nothing => {}
        ToNotified::Submit => {
            // SAFETY: a reference was added for the `Notified`; ours keeps the task alive
            // during the submission and is released afterwards.
            unsafe {
                (header.vtable.schedule)(ptr);
                release_refs(ptr, 1);
            }
        }
        // SAFETY: our reference was the last one.
        ToNotified::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference, so the task is alive.
    let ptr = unsafe { task(data) };
    // SAFETY: as above.
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_notified_by_ref() == ToNotified::Submit {
        // SAFETY: a reference was added for the `Notified`; the waker's own keeps the task
        // alive during the submission.
        unsafe { (header.vtable.schedule)(ptr) }
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker owns a reference, released here.
    unsafe { release_refs(task(data), 1) }
}
