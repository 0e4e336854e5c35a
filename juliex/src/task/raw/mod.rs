//! The raw task: one allocation holding a header, the scheduler handle and the future (later
//! its output), plus the typed handles that own references to it.
//!
//! This module (with its children `waker` and `join`) is the only place in juliex with
//! `unsafe` code. Its contract with the rest of the crate:
//!
//! - [`new_task`] returns two owning handles: a [`Notified`] (the right to poll, which the
//!   caller must hand to a run queue) and a [`JoinRaw`] (the join handle's reference).
//! - A [`Notified`] exists at most once per task at a time. [`Notified::run`] polls the
//!   future (or drops it if cancelled) and may hand the `Notified` back for re-queueing.
//!   *Dropping* a `Notified` instead means the task will never run: its future is dropped
//!   (cancelled) unless another thread owns it.
//! - The first time a task returns `Pending` it is registered with its scheduler
//!   ([`Schedule::register`]), which from then on holds a [`TaskRef`] until the task
//!   completes; so an idle task is always reachable for shutdown. A task that completes on
//!   its first poll never touches the registry.
//! - Every handle releases its reference on drop; the allocation is freed with the last one.
//! - The [`Schedule`] implementation decides where woken tasks go. It never runs a task inline.
//!
//! Layout: `Cell<F, S>` is `#[repr(C)]` with the [`Header`] first, so a pointer to the cell
//! is a pointer to the header. The header's `vtable` holds the functions monomorphized for
//! `F` and `S`, which is how type-erased handles and the waker reach the typed cell.

mod join;
mod waker;

pub(crate) use join::JoinRaw;

use crate::sync::UnsafeCell;
use crate::task::error::JoinError;
use crate::task::meta::TaskMeta;
use crate::task::state::{Snapshot, State, ToIdle, ToRunning};
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::mem::{self, ManuallyDrop, MaybeUninit};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, AtomicUsize as StdAtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};

/// Where a task goes when it is woken, and the registry of idle tasks.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queues a woken task. Must not poll it inline.
    fn schedule(&self, task: Notified);
    /// Keeps the registry's reference to a task that is about to become idle for the first
    /// time, recording the key with [`TaskRef::set_registry_key`]. Fails (handing the
    /// reference back) once the scheduler is shut down; the task is then cancelled.
    fn register(&self, task: TaskRef) -> Result<(), TaskRef>;
    /// The task completed: take it out of the registry, returning the registry's reference
    /// (if it was still registered under `key`).
    fn release(&self, key: usize) -> Option<TaskRef>;
}

/// Registry key of a task that was never registered.
pub(crate) const NO_KEY: usize = usize::MAX;

/// The type-independent start of every task allocation.
///
/// The state word, written on every transition, comes last: the fields before it are
/// written at most once or twice per task, so together with the tail padding of [`Cell`]
/// they keep the state of one task off the cache line of its neighbour's hot words.
#[repr(C)]
pub(crate) struct Header {
    /// Functions for the concrete future and scheduler types.
    vtable: &'static Vtable,
    /// The join handle's waker; access is arbitrated by the `JOIN_WAKER` bit.
    awaiter: UnsafeCell<Option<Waker>>,
    /// Where the registry keeps this task ([`NO_KEY`] if nowhere). Written once: by the
    /// worker whose poll first returns `Pending` (inside [`Schedule::register`], while it
    /// holds `RUNNING`), or for a named task at spawn, before its `Notified` is first
    /// queued. Read by that poller and by whoever completes the task, which holds `RUNNING`
    /// later. The state word's acquire/release transitions of `RUNNING` (and, for the write
    /// at spawn, the queue that hands the `Notified` over) order the write before those
    /// reads, so the field itself is relaxed.
    registry_key: StdAtomicUsize,
    /// Id, spawn location, name and spawn time: written at spawn, read-only afterwards.
    meta: TaskMeta,
    /// How many times the future was polled. Written only by the holder of `RUNNING` (a
    /// relaxed load and store, no read-modify-write); read, relaxed, by the task dump.
    polls: AtomicU64,
    /// Lifecycle bits and reference count.
    state: State,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("state", &self.state)
            .field("registry_key", &self.registry_key.load(Relaxed))
            .field("id", &self.meta.id)
            .field("polls", &self.polls.load(Relaxed))
            .finish_non_exhaustive()
    }
}

/// Functions monomorphized for one `Cell<F, S>`. Each takes a pointer to a live task.
struct Vtable {
    /// Polls (or cancels) the task; consumes one `Notified` reference, or hands it back in
    /// [`Ran::Again`] if the task must be queued again.
    poll: unsafe fn(NonNull<Header>) -> Ran,
    /// Hands a `Notified` (whose reference is already counted) to the scheduler.
    schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; the reference count is zero.
    dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into a `*mut Poll<Result<F::Output, JoinError>>`; the caller saw
    /// `COMPLETE` with `JOIN_INTEREST` and owns the output.
    read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the output; same precondition as `read_output`.
    drop_output: unsafe fn(NonNull<Header>),
    /// Drops the future as cancelled and completes; the caller took `RUNNING` through
    /// `transition_to_shutdown` and keeps its own reference.
    shutdown: unsafe fn(NonNull<Header>),
}

/// What the task allocation holds besides its header.
enum Stage<F: Future> {
    /// Not finished yet.
    Running(F),
    /// Finished; the output waits for the join handle.
    Finished(Result<F::Output, JoinError>),
    /// The future and output are gone.
    Consumed,
}

/// Bytes of padding after each task, see [`Cell`].
const TAIL_PADDING: usize = 32;

/// The whole task allocation.
///
/// Tasks running on different workers are often allocated next to each other, and every
/// poll writes the header's state and the stage. If one task's stage and the next task's
/// state shared a cache line, two workers would fight over it on every poll (false sharing:
/// 200 tasks yielding on two workers ran slower than on one). The cold start of the header
/// (32 bytes), the allocator's chunk header (8) and this tail (32) put at least 64 bytes
/// between the hot words of neighbours. Aligning cells to cache lines would do the same,
/// but aligned allocations take a much slower path in common allocators, and bigger cells
/// cost page faults when many tasks are alive.
#[repr(C)]
struct Cell<F: Future, S> {
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
    _tail: [MaybeUninit<u8>; TAIL_PADDING],
}

/// What running a [`Notified`] did.
#[derive(Debug)]
pub(crate) enum Ran {
    /// The future returned `Pending` (the task is idle), or another thread owned or had
    /// finished the task and there was nothing to do.
    Idle,
    /// The task woke itself while running: queue it again.
    Again(Notified),
    /// The task completed here: its future returned, panicked or was dropped as cancelled.
    Completed,
}

/// Allocates a task for `future`, queued once, with a join handle.
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    meta: TaskMeta,
) -> (Notified, JoinRaw<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let cell = Box::new(Cell {
        header: Header {
            vtable: vtable::<F, S>(),
            awaiter: UnsafeCell::new(None),
            registry_key: StdAtomicUsize::new(NO_KEY),
            meta,
            polls: AtomicU64::new(0),
            state: State::new(),
        },
        scheduler,
        stage: UnsafeCell::new(Stage::Running(future)),
        _tail: [MaybeUninit::uninit(); TAIL_PADDING],
    });
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    // The state starts with two references, one for each handle made here.
    (Notified(ptr), JoinRaw::new(ptr))
}

fn vtable<F, S>() -> &'static Vtable
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        read_output: read_output::<F, S>,
        drop_output: drop_output::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// Shared access to the header of a live task.
///
/// # Safety
/// `ptr` must point to a task allocation that stays alive for `'a` (the caller holds a
/// reference).
unsafe fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.as_ref() }
}

/// Shared access to the cell of a live task of type `Cell<F, S>`.
///
/// # Safety
/// As [`header`], and the task must have been created by `new_task::<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the header is the first field of the `#[repr(C)]` cell, so the pointers are
    // equal; the type is guaranteed by the caller.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

/// Releases `n` references held by the caller, freeing the task with the last one.
///
/// # Safety
/// The caller owns `n` references to the live task at `ptr`, and does not use them again.
unsafe fn release_refs(ptr: NonNull<Header>, n: usize) {
    // SAFETY: the caller's references keep the task alive until the decrement.
    let header = unsafe { header(ptr) };
    if header.state.ref_dec(n) {
        // SAFETY: the count reached zero, so nobody else can reach the task.
        unsafe { (header.vtable.dealloc)(ptr) }
    }
}

/// Replaces the stage, dropping the old one without letting a panic escape.
/// Returns the panic payload, if dropping the old stage panicked.
///
/// # Safety
/// `ptr` is a live `Cell<F, S>` and the caller owns the stage (it holds `RUNNING`, or the
/// output after `COMPLETE`).
unsafe fn replace_stage<F: Future, S>(
    ptr: NonNull<Header>,
    new: Stage<F>,
) -> Option<Box<dyn Any + Send>> {
    // SAFETY: the caller holds a reference to the live `Cell<F, S>` and owns the stage;
    // `ptr::replace` moves the old value out, so a panic while dropping it cannot leave the
    // slot half-dropped.
    let old = unsafe { cell::<F, S>(ptr) }
        .stage
        .with_mut(|stage| unsafe { ptr::replace(stage, new) });
    catch_unwind(AssertUnwindSafe(move || drop(old))).err()
}

unsafe fn poll<F, S>(ptr: NonNull<Header>) -> Ran
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: the caller's `Notified` reference keeps the task alive; the vtable belongs
    // to `Cell<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Skip => {
            // SAFETY: we own the `Notified` reference and drop it here.
            unsafe { release_refs(ptr, 1) };
            return Ran::Idle;
        }
        ToRunning::Cancel => {
            // SAFETY: we hold RUNNING and one reference.
            unsafe { cancel_and_complete::<F, S>(ptr, 1) };
            return Ran::Completed;
        }
        ToRunning::Poll => {}
    }
    // We hold RUNNING, so we are the only writer: no read-modify-write needed.
    let polls = &cell.header.polls;
    polls.store(polls.load(Relaxed) + 1, Relaxed);
    // The waker borrows our reference: no count change unless the future clones it.
    // SAFETY: `ptr` is a live task and the vtable's functions expect exactly such a pointer.
    let waker = ManuallyDrop::new(unsafe { waker::waker_ref(ptr) });
    let mut cx = Context::from_waker(&waker);
    let result = cell.stage.with_mut(|stage| {
        // SAFETY: we hold RUNNING, so the stage is ours; the future lives in the heap
        // allocation and is never moved until it is dropped in place (pinning holds).
        let Stage::Running(future) = (unsafe { &mut *stage }) else {
            unreachable!("a task is RUNNING only while its future exists")
        };
        // SAFETY: see above: the future is never moved out of the allocation.
        let future = unsafe { Pin::new_unchecked(future) };
        catch_unwind(AssertUnwindSafe(|| future.poll(&mut cx)))
    });
    let output = match result {
        Ok(Poll::Pending) => {
            if cell.header.registry_key.load(Relaxed) == NO_KEY {
                // First time idle: let the scheduler keep a reference for shutdown. We hold
                // RUNNING, so the task cannot complete (and leave the registry) before this.
                cell.header.state.ref_inc();
                if let Err(rejected) = cell.scheduler.register(TaskRef(ptr)) {
                    // Shut down: drop the future now. Our own reference keeps the task alive.
                    drop(rejected);
                    // SAFETY: we hold RUNNING and one reference.
                    unsafe { cancel_and_complete::<F, S>(ptr, 1) };
                    return Ran::Completed;
                }
            }
            return match cell.header.state.transition_to_idle() {
                ToIdle::Idle => Ran::Idle,
                ToIdle::Dealloc => {
                    // SAFETY: our reference was the last one.
                    unsafe { dealloc::<F, S>(ptr) };
                    Ran::Idle
                }
                // Our reference becomes the new `Notified`.
                ToIdle::Reschedule => Ran::Again(Notified(ptr)),
                ToIdle::Cancel => {
                    // SAFETY: we still hold RUNNING and one reference.
                    unsafe { cancel_and_complete::<F, S>(ptr, 1) };
                    Ran::Completed
                }
            };
        }
        Ok(Poll::Ready(output)) => {
            // Drop the future before storing the output, as tokio does: a future that
            // panics while dropped after returning `Ready` is reported as that panic, and
            // the output it returned is dropped instead (a panic there is swallowed).
            // SAFETY: we hold RUNNING.
            match unsafe { replace_stage::<F, S>(ptr, Stage::Consumed) } {
                None => Ok(output),
                Some(payload) => {
                    drop(catch_unwind(AssertUnwindSafe(move || drop(output))));
                    Err(JoinError::panic(payload))
                }
            }
        }
        Err(payload) => Err(JoinError::panic(payload)),
    };
    // SAFETY: we hold RUNNING. After `Ready` the slot holds `Consumed`; after a panic in
    // `poll` it still holds the future, and a second panic while dropping it is swallowed:
    // the task's result is already that first panic.
    drop(unsafe { replace_stage::<F, S>(ptr, Stage::Finished(output)) });
    // SAFETY: we hold RUNNING and one reference.
    unsafe { complete::<F, S>(ptr, 1) };
    Ran::Completed
}

/// Drops the future, stores "cancelled" (or the panic of the drop) and completes.
///
/// # Safety
/// `ptr` is a live `Cell<F, S>`; the caller holds RUNNING and `refs` references, which are
/// released.
unsafe fn cancel_and_complete<F: Future, S: Schedule>(ptr: NonNull<Header>, refs: usize) {
    // SAFETY: we hold RUNNING.
    let error = match unsafe { replace_stage::<F, S>(ptr, Stage::Consumed) } {
        None => JoinError::cancelled(),
        Some(payload) => JoinError::panic(payload),
    };
    // SAFETY: we hold RUNNING; the slot holds `Consumed`, nothing to drop.
    drop(unsafe { replace_stage::<F, S>(ptr, Stage::Finished(Err(error))) });
    // SAFETY: forwarded from the caller.
    unsafe { complete::<F, S>(ptr, refs) }
}

/// Marks the task complete, hands the output to the join handle (or drops it), leaves the
/// registry and releases `refs` references.
///
/// # Safety
/// `ptr` is a live `Cell<F, S>`; the caller holds RUNNING, has stored the output, and owns
/// `refs` references.
unsafe fn complete<F: Future, S: Schedule>(ptr: NonNull<Header>, refs: usize) {
    // SAFETY: the caller's references keep the cell alive until `release_refs` below; the
    // reference is not used after that.
    let cell = unsafe { cell::<F, S>(ptr) };
    let prev = cell.header.state.transition_to_complete();
    // Out of the registry before the join handle is woken: once a handle has the output,
    // the task dump no longer lists the task.
    let released = cell
        .scheduler
        .release(cell.header.registry_key.load(Relaxed));
    if !prev.has_join_interest() {
        // Nobody will read the output.
        // SAFETY: without join interest, the output is ours after COMPLETE.
        drop(unsafe { replace_stage::<F, S>(ptr, Stage::Consumed) });
    } else if prev.has_join_waker() {
        cell.header.awaiter.with(|awaiter| {
            // SAFETY: JOIN_WAKER was set when we completed, so the slot holds a waker and is
            // never written again; shared reads are fine.
            if let Some(waker) = unsafe { &*awaiter } {
                waker.wake_by_ref();
            }
        });
    }
    let refs = refs + usize::from(released.is_some());
    // The registry's reference is released in the same decrement as ours.
    mem::forget(released);
    // SAFETY: we own `refs` references and do not touch the task afterwards.
    unsafe { release_refs(ptr, refs) }
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller (a waker or join handle) holds a reference besides the new
    // `Notified`, so the cell outlives this call even if the task runs and completes at once.
    let cell = unsafe { cell::<F, S>(ptr) };
    cell.scheduler.schedule(Notified(ptr));
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the reference count is zero, so we are the only ones left; the allocation
    // was made by `Box::new` in `new_task` with this exact type.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) });
}

unsafe fn read_output<F: Future, S>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: the join handle holds a reference and owns the output (COMPLETE with join
    // interest); `dst` points to a `Poll<Result<F::Output, JoinError>>` (the handle's `T` is
    // `F::Output` by construction in `new_task`).
    unsafe {
        let cell = cell::<F, S>(ptr);
        let stage = cell
            .stage
            .with_mut(|stage| ptr::replace(stage, Stage::Consumed));
        let Stage::Finished(output) = stage else {
            panic!("JoinHandle polled after it returned the output")
        };
        *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(output);
    }
}

unsafe fn drop_output<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the join handle holds a reference and owns the output. A panic in the
    // output's destructor is swallowed, as when the completer drops an output nobody
    // awaits: whether `drop(handle)` panicked must not depend on which side came second.
    drop(unsafe { replace_stage::<F, S>(ptr, Stage::Consumed) });
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller holds a reference and took RUNNING via `transition_to_shutdown`;
    // it keeps (and later releases) its own reference.
    unsafe { cancel_and_complete::<F, S>(ptr, 0) }
}

/// Drops the future of a task that nobody runs, on pool shutdown.
///
/// # Safety
/// The caller holds a reference to the live task at `ptr` for the duration.
unsafe fn shutdown_task(ptr: NonNull<Header>) {
    // SAFETY: forwarded from the caller.
    let header = unsafe { header(ptr) };
    if header.state.transition_to_shutdown() {
        // SAFETY: we now hold RUNNING, and the caller's reference.
        unsafe { (header.vtable.shutdown)(ptr) }
    }
}

/// The right to poll a task: it owns one reference and stands for the `SCHEDULED` bit.
/// Dropping it without running it cancels the task (see the module docs).
pub(crate) struct Notified(NonNull<Header>);

// SAFETY: a task's future and output are `Send` (required by `new_task`), its scheduler is
// `Send + Sync`, and the state machine gives the holder of RUNNING exclusive access, so a
// `Notified` may be run on any thread.
unsafe impl Send for Notified {}

impl Notified {
    /// Polls the task once (or drops its future if it was cancelled). Hands the task back
    /// in [`Ran::Again`] if it woke itself while running and must be queued again (behind
    /// other tasks: a yield).
    pub(crate) fn run(self) -> Ran {
        let ptr = ManuallyDrop::new(self).0;
        // SAFETY: we hand our reference to `poll`, which consumes it or gives it back.
        unsafe { (header(ptr).vtable.poll)(ptr) }
    }

    /// The task's header (for debugging and tests).
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: our reference keeps the task alive while `self` is borrowed.
        unsafe { header(self.0) }
    }

    /// The task's id, spawn location, name and spawn time.
    #[inline]
    pub(crate) fn meta(&self) -> &TaskMeta {
        &self.header().meta
    }

    /// A reference for the registry, taken before the task is first queued (a named task
    /// is registered at spawn, so the task dump lists it before it ever runs).
    pub(crate) fn task_ref(&self) -> TaskRef {
        self.header().state.ref_inc();
        TaskRef(self.0)
    }
}

impl Drop for Notified {
    /// The task will not run from this queue entry: drop its future as cancelled (unless
    /// someone else owns it), then release the reference.
    fn drop(&mut self) {
        // SAFETY: we own one reference, which keeps the task alive during the call, and we
        // never use it again.
        unsafe {
            shutdown_task(self.0);
            release_refs(self.0, 1);
        }
    }
}

impl fmt::Debug for Notified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Notified").field(self.header()).finish()
    }
}

/// The registry's reference to a live task, used to cancel it when the pool shuts down.
pub(crate) struct TaskRef(NonNull<Header>);

// SAFETY: as for `Notified`: the handle only touches the task through its atomic state, and
// `shutdown` takes RUNNING before it touches the future.
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Records where the registry keeps this task. Only [`Schedule::register`] calls it:
    /// on the thread that polls the task and holds `RUNNING`, or at spawn before the task
    /// is first queued.
    pub(crate) fn set_registry_key(&self, key: usize) {
        // SAFETY: our reference keeps the task alive. Relaxed is enough: the key reaches a
        // later completer through the state word, whose release when this poller clears
        // `RUNNING` is acquired by whoever takes `RUNNING` next.
        unsafe { header(self.0) }.registry_key.store(key, Relaxed);
    }

    /// The task's id, spawn location, name and spawn time.
    pub(crate) fn meta(&self) -> &TaskMeta {
        // SAFETY: our reference keeps the task alive while `self` is borrowed.
        &unsafe { header(self.0) }.meta
    }

    /// The task's state word and its number of polls so far, read (relaxed for the polls)
    /// while the task may be running on another thread.
    pub(crate) fn progress(&self) -> (Snapshot, u64) {
        // SAFETY: our reference keeps the task alive while `self` is borrowed.
        let header = unsafe { header(self.0) };
        (header.state.load(), header.polls.load(Relaxed))
    }

    /// Drops the task's future as cancelled unless someone is running it, then releases the
    /// registry's reference.
    pub(crate) fn shutdown(self) {
        // SAFETY: our reference keeps the task alive during the call; `self` is dropped
        // (releasing it) afterwards.
        unsafe { shutdown_task(self.0) }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: we own one reference and never use it again.
        unsafe { release_refs(self.0, 1) }
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: our reference keeps the task alive while `self` is borrowed.
        f.debug_tuple("TaskRef")
            .field(unsafe { header(self.0) })
            .finish()
    }
}
