//! Timers: [`sleep`], [`sleep_until`], [`timeout`], [`interval`].
//!
//! Timers live in the reactor, which wakes up for the nearest deadline. They never fire
//! early; their resolution is one millisecond (a deadline is rounded up to the next
//! millisecond), and timers due in the same millisecond fire together in no promised order.
//! Like all of romio, they work under any executor.

mod interval;
mod sleep;
mod timeout;
pub(crate) mod wheel;

pub use interval::{Interval, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};

use std::time::{Duration, Instant};

/// About thirty years: a deadline this far away is as good as never.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + duration`, saturating to a far-away instant instead of overflowing.
fn deadline_after(duration: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| now + FAR_FUTURE)
}
