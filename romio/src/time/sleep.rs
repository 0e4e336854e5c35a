//! [`Sleep`]: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::reactor::Reactor;
use crate::time::wheel::TimerKey;

/// Waits until `duration` has elapsed.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// # futures::executor::block_on(async {
/// let start = Instant::now();
/// romio::time::sleep(Duration::from_millis(10)).await;
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(super::deadline_after(duration))
}

/// Waits until `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        key: None,
    }
}

/// A future that completes at its deadline; see [`sleep`] and [`sleep_until`].
///
/// Creating a `Sleep` costs nothing; it registers with the reactor on its first poll
/// (unless the deadline has already passed), and dropping it removes the registration.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    deadline: Instant,
    /// The registration in the reactor's timers, while one exists.
    key: Option<TimerKey>,
}

impl Sleep {
    /// The instant at which this future completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline; the future may be polled again after it completed.
    pub fn reset(&mut self, deadline: Instant) {
        self.unregister();
        self.deadline = deadline;
    }

    fn unregister(&mut self) {
        if let Some(key) = self.key.take() {
            Reactor::get().with_timers(|timers| timers.remove(key));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let reactor = Reactor::get();
        match self.key {
            None => {
                if Instant::now() >= self.deadline {
                    return Poll::Ready(());
                }
                let tick = reactor.tick_at_or_after(self.deadline);
                self.key = Some(reactor.insert_timer(tick, cx.waker().clone()));
                Poll::Pending
            }
            Some(key) => {
                let fired = reactor.with_timers(|timers| {
                    let fired = timers.poll_fired(key, cx.waker());
                    if fired {
                        timers.remove(key);
                    }
                    fired
                });
                if fired {
                    self.key = None;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
