//! [`Interval`]: a stream of evenly spaced instants.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

use crate::reactor::Timer;

/// A stream that yields at once, then every `period`.
///
/// If the consumer falls behind by more than a period, the missed ticks are skipped: the
/// next tick is the first multiple of `period` (counted from the start) still in the future.
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # futures::executor::block_on(async {
/// let mut ticks = romio::time::interval(Duration::from_millis(2));
/// let first = ticks.tick().await;
/// let second = ticks.tick().await;
/// assert!(second - first >= Duration::from_millis(2));
/// # });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Like [`interval`], with the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "romio::time::interval: the period must be more than zero"
    );
    Interval {
        period,
        next: start,
        timer: Timer::new(),
    }
}

/// Ticks every period; see [`interval`]. Also a [`Stream`] of the scheduled instants.
///
/// It registers a timer for the next tick when polled before that tick, and removes it when
/// the tick is taken or the interval dropped.
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    /// The instant of the next tick.
    next: Instant,
    /// The registration for `next` in the reactor's timers, while one exists.
    timer: Timer,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.timer.is_registered() {
            if self.timer.poll_fired(cx.waker()).is_pending() {
                return Poll::Pending;
            }
        } else if Instant::now() < self.next {
            self.timer.insert(self.next, cx.waker());
            return Poll::Pending;
        }
        // The timer fired (and so is unregistered) or was never needed: the tick is due. The
        // next poll registers for the tick after, which wakes the turning thread if needed.
        let scheduled = self.next;
        self.next = self.following(scheduled, Instant::now());
        Poll::Ready(scheduled)
    }

    /// The tick after `scheduled`: one period later, or, when that has passed already, the
    /// first multiple of the period still in the future (missed ticks are skipped).
    fn following(&self, scheduled: Instant, now: Instant) -> Instant {
        let next = scheduled + self.period;
        if next > now {
            return next;
        }
        let behind = (now - scheduled).as_nanos();
        let periods = behind / self.period.as_nanos() + 1;
        scheduled
            + self
                .period
                .saturating_mul(periods.min(u128::from(u32::MAX)) as u32)
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the interval: the next tick is one period from now. A task waiting for a
    /// tick is woken then.
    pub fn reset(&mut self) {
        self.next = Instant::now() + self.period;
        self.timer.reset(self.next);
    }
}

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}
