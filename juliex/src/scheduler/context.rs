//! Which pool the current thread belongs to (a worker of it, or inside its `block_on`).
//!
//! `juliex::spawn` and task wakers use this to pick the pool and, on a worker thread, the
//! worker's own run queue.

use super::Shared;
use super::local::WorkerLocal;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Context>>> = const { RefCell::new(None) };
}

/// The pool the current thread runs tasks for.
pub(crate) struct Context {
    /// The pool.
    pub(crate) shared: Arc<Shared>,
    /// Set on the pool's worker threads.
    pub(crate) worker: Option<WorkerLocal>,
}

/// Restores the previous context when dropped.
pub(crate) struct EnterGuard {
    prev: Option<Rc<Context>>,
}

/// Makes `context` current on this thread until the guard is dropped.
pub(crate) fn enter(context: Rc<Context>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(context));
    EnterGuard { prev }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // The old value is dropped outside the borrow: dropping a worker's queue can free
        // tasks, whose destructors may look at the context again.
        let old = CURRENT.try_with(|c| std::mem::replace(&mut *c.borrow_mut(), prev));
        drop(old);
    }
}

/// Calls `f` with the current context, if any. Returns `None` (without calling `f`) when
/// there is none or it cannot be reached (thread teardown).
pub(crate) fn with_current<R>(f: impl FnOnce(&Context) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| match c.try_borrow() {
            Ok(current) => current.as_deref().map(f),
            Err(_) => None,
        })
        .ok()
        .flatten()
}

/// Calls `f` with this thread's worker of `shared`, or with `None` if this thread is not
/// one of its workers.
#[inline]
pub(crate) fn with_worker<R>(shared: &Arc<Shared>, f: impl FnOnce(Option<&WorkerLocal>) -> R) -> R {
    let mut f = Some(f);
    let done = with_current(|ctx| match &ctx.worker {
        Some(local) if Arc::ptr_eq(&ctx.shared, shared) => Some((f.take().unwrap())(Some(local))),
        _ => None,
    })
    .flatten();
    match done {
        Some(out) => out,
        None => (f.take().unwrap())(None),
    }
}

/// The pool of the current thread, if it has one.
pub(crate) fn current_pool() -> Option<Arc<Shared>> {
    with_current(|ctx| ctx.shared.clone())
}

/// True on any juliex worker thread.
pub(crate) fn is_worker_thread() -> bool {
    with_current(|ctx| ctx.worker.is_some()).unwrap_or(false)
}
