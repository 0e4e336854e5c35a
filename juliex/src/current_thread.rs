//! Running a future to completion on the calling thread.

use crate::scheduler::context;
use std::future::Future;
use std::hint;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// How many times the thread checks for a wake-up before it parks: waking a parked thread
/// costs tens of microseconds on small VMs, and results often arrive within a few.
const SPINS_BEFORE_PARK: u32 = 64;

/// Wakes the thread in `block_on`.
struct ThreadNotify {
    thread: Thread,
    notified: AtomicBool,
}

impl Wake for ThreadNotify {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Only the waker that flips the flag unparks; later ones see it set.
        if !self.notified.swap(true, Release) {
            self.thread.unpark();
        }
    }
}

/// Panics if this thread is a juliex worker: blocking it would stall its queue, and
/// deadlock if the future waits for a task that only this worker would run.
#[track_caller]
pub(crate) fn assert_not_on_worker() {
    assert!(
        !context::is_worker_thread(),
        "juliex: block_on called from inside a juliex task: this would block a worker \
         thread (and wait forever for tasks queued behind it); `.await` the future instead, \
         or call block_on from a `spawn_blocking` closure"
    );
}

/// Polls `future` on this thread until it completes, sleeping while it is pending.
#[track_caller]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    assert_not_on_worker();
    let notify = Arc::new(ThreadNotify {
        thread: thread::current(),
        notified: AtomicBool::new(true),
    });
    let waker = Waker::from(notify.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if notify.notified.swap(false, Acquire) {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            continue;
        }
        for _ in 0..SPINS_BEFORE_PARK {
            if notify.notified.load(Relaxed) {
                break;
            }
            hint::spin_loop();
        }
        while !notify.notified.load(Acquire) {
            thread::park();
        }
    }
}
