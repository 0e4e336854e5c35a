//! [`Sleep`]: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::reactor::Timer;

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
        timer: Timer::new(),
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
    timer: Timer,
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

    /// Moves the deadline, earlier or later; the future may be polled again after it
    /// completed.
    ///
    /// A `Sleep` that is waiting keeps its registration: the task that last polled it is
    /// woken at the new deadline, even if it does not poll in between.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// # futures::executor::block_on(async {
    /// let mut sleep = romio::time::sleep(Duration::from_secs(60));
    /// let soon = Instant::now() + Duration::from_millis(5);
    /// sleep.reset(soon);
    /// (&mut sleep).await;
    /// assert!(Instant::now() >= soon);
    /// # });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        self.timer.reset(deadline);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.timer.is_registered() {
            return self.timer.poll_fired(cx.waker());
        }
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        self.timer.insert(deadline, cx.waker());
        Poll::Pending
    }
}
