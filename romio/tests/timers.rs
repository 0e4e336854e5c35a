//! Timers: sleeps, timeouts and intervals.

use std::time::{Duration, Instant};

use futures::executor::block_on;
use futures::stream::{FuturesUnordered, StreamExt};
use romio::time::{interval, sleep, sleep_until, timeout};

#[test]
fn ten_thousand_sleeps_fire_in_order_and_none_early() {
    const SLEEPS: u64 = 10_000;
    let start = Instant::now() + Duration::from_millis(20);
    // Distinct deadlines spread over about 1.5 s, registered in a scrambled order.
    let deadlines: Vec<Instant> = (0..SLEEPS)
        .map(|i| (i * 7919) % SLEEPS)
        .map(|i| start + Duration::from_micros(i * 150))
        .collect();
    let fired: Vec<(Instant, Instant)> = block_on(
        deadlines
            .iter()
            .map(|&deadline| async move {
                sleep_until(deadline).await;
                (deadline, Instant::now())
            })
            .collect::<FuturesUnordered<_>>()
            .collect(),
    );
    assert_eq!(fired.len() as u64, SLEEPS);
    for (deadline, at) in &fired {
        assert!(at >= deadline, "a sleep fired {:?} early", *deadline - *at);
    }
    // Timers resolve to one millisecond: within one, the order is not promised.
    for pair in fired.windows(2) {
        let (earlier, later) = (pair[0].0, pair[1].0);
        assert!(
            later + Duration::from_millis(1) >= earlier,
            "fired out of order: a deadline {:?} before its predecessor",
            earlier - later
        );
    }
}

#[test]
fn timeout_elapses_when_the_future_is_too_slow() {
    let started = Instant::now();
    let result = block_on(timeout(
        Duration::from_millis(30),
        sleep(Duration::from_secs(60)),
    ));
    assert!(result.is_err());
    assert!(started.elapsed() >= Duration::from_millis(30));
    let error: std::io::Error = result.unwrap_err().into();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
}

#[test]
fn timeout_passes_the_output_through_when_in_time() {
    let result = block_on(timeout(Duration::from_secs(60), async {
        sleep(Duration::from_millis(5)).await;
        "done"
    }));
    assert_eq!(result, Ok("done"));
}

#[test]
fn a_sleep_in_the_past_is_ready_at_once() {
    block_on(sleep_until(Instant::now() - Duration::from_secs(1)));
    block_on(sleep(Duration::ZERO));
}

#[test]
fn a_huge_sleep_does_not_overflow_and_can_be_dropped() {
    let far = sleep(Duration::MAX);
    assert!(far.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
    let result = block_on(timeout(Duration::from_millis(5), far));
    assert!(result.is_err());
}

#[test]
fn dropped_sleeps_never_fire_and_cost_nothing_later() {
    // Register and drop many sleeps, then check a later one still fires normally.
    block_on(async {
        for _ in 0..1000 {
            let mut s = Box::pin(sleep(Duration::from_millis(10)));
            assert!(futures::poll!(&mut s).is_pending());
        }
        sleep(Duration::from_millis(15)).await;
    });
}

#[test]
fn interval_ticks_at_its_period_and_skips_missed_ticks() {
    block_on(async {
        let period = Duration::from_millis(10);
        let mut ticks = interval(period);
        let first = ticks.tick().await;
        let second = ticks.tick().await;
        assert_eq!(second - first, period);
        assert!(Instant::now() >= second);

        // Fall behind by several periods: the missed tick comes at once, then the interval
        // skips ahead to its next multiple of the period instead of bursting.
        std::thread::sleep(period * 5);
        let caught_up_at = Instant::now();
        let late = ticks.tick().await;
        assert_eq!(late - second, period);
        let next = ticks.tick().await;
        assert!(
            next >= caught_up_at,
            "a burst of missed ticks instead of a skip"
        );
        assert_eq!((next - first).as_nanos() % period.as_nanos(), 0);
    });
}

#[test]
fn interval_is_a_stream() {
    block_on(async {
        let ticks: Vec<Instant> = interval(Duration::from_millis(3)).take(4).collect().await;
        assert_eq!(ticks.len(), 4);
        assert!(ticks.windows(2).all(|w| w[1] > w[0]));
    });
}

#[test]
fn reset_moves_a_sleep() {
    block_on(async {
        let mut s = Box::pin(sleep(Duration::from_secs(60)));
        assert!(futures::poll!(&mut s).is_pending());
        let soon = Instant::now() + Duration::from_millis(5);
        s.as_mut().get_mut().reset(soon);
        s.await;
        assert!(Instant::now() >= soon);
    });
}
