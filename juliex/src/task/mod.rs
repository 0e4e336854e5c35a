//! Tasks: the one-allocation task cell, its state machine, its waker and its join handle.
//!
//! Everything `unsafe` is in [`raw`]; the rest of the crate deals in owned handles
//! ([`Notified`], [`TaskRef`], [`JoinHandle`]) that cannot be misused.

pub(crate) mod error;
pub(crate) mod join_handle;
pub(crate) mod meta;
#[allow(unsafe_code)]
pub(crate) mod raw;
pub(crate) mod state;

pub use error::JoinError;
pub use join_handle::JoinHandle;
pub use meta::TaskId;
pub(crate) use meta::TaskMeta;
pub(crate) use raw::{NO_KEY, Notified, Ran, Schedule, TaskRef};

use std::future::Future;

/// Allocates a task; see [`raw::new_task`].
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    meta: TaskMeta,
) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let (notified, join) = raw::new_task(future, scheduler, meta);
    (notified, JoinHandle::new(join))
}
