//! Timers: sleeps, timeouts and intervals.
//!
//! No test here attaches a `Driver`: romio's background thread turns the reactor, so a
//! deadline moved without waking it shows up as a stall.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use futures::executor::block_on;
use futures::stream::{FuturesUnordered, StreamExt};
use romio::time::{Sleep, interval, sleep, sleep_until, timeout};

/// Runs `f` on a thread of its own and fails if it has not returned within `limit`: a stalled
/// timer (or a deadlock) fails the test instead of hanging it. `progress` is reported.
fn finishes_within(
    limit: Duration,
    progress: &Arc<AtomicUsize>,
    f: impl FnOnce() + Send + 'static,
) {
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        f();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        Ok(()) => worker.join().expect("the test body panicked"),
        Err(_) if worker.is_finished() => {
            std::panic::resume_unwind(worker.join().expect_err("the body ended without sending"))
        }
        Err(_) => panic!(
            "stalled: not done within {limit:?}, after {} steps",
            progress.load(Ordering::SeqCst)
        ),
    }
}

#[test]
fn ten_thousand_sleeps_fire_in_order_and_none_early() {
    const SLEEPS: u64 = 10_000;
    let start = Instant::now() + Duration::from_millis(100);
    // Distinct deadlines spread over about 1.5 s, registered in a scrambled order.
    let deadlines: Vec<Instant> = (0..SLEEPS)
        .map(|i| (i * 7919) % SLEEPS)
        .map(|i| start + Duration::from_micros(i * 150))
        .collect();
    // Each sleep notes when it registered (its first poll), and when it fired.
    let fired: Vec<(Instant, Instant, Instant)> = block_on(
        deadlines
            .iter()
            .map(|&deadline| async move {
                let registered = Instant::now();
                sleep_until(deadline).await;
                (deadline, registered, Instant::now())
            })
            .collect::<FuturesUnordered<_>>()
            .collect(),
    );
    assert_eq!(fired.len() as u64, SLEEPS);
    for (deadline, _, at) in &fired {
        assert!(at >= deadline, "a sleep fired {:?} early", *deadline - *at);
    }
    // A deadline that passed before every sleep was registered may fire after a later one
    // registered earlier: the order is only promised among sleeps all waiting at once, and,
    // timers resolving to one millisecond, only between deadlines more than one apart.
    let registered_all = fired.iter().map(|&(_, registered, _)| registered).max();
    let registered_all = registered_all.expect("10k sleeps") + Duration::from_millis(1);
    let waiting: Vec<Instant> = fired
        .iter()
        .map(|&(deadline, _, _)| deadline)
        .filter(|&deadline| deadline > registered_all)
        .collect();
    for pair in waiting.windows(2) {
        let (earlier, later) = (pair[0], pair[1]);
        assert!(
            later + Duration::from_millis(1) >= earlier,
            "fired out of order: a deadline {:?} before its predecessor ({} of {SLEEPS} checked)",
            earlier - later,
            waiting.len()
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
        // Each tick schedules the next from the time it is taken. A thread stalled for more
        // than a period before that (a loaded machine) rightly skips a tick, so the exact
        // spacing is checked only when the tick was taken within its period.
        let first = ticks.tick().await;
        let first_taken = Instant::now();
        let second = ticks.tick().await;
        let second_taken = Instant::now();
        assert!(second_taken >= second);
        if first_taken < first + period {
            assert_eq!(second - first, period);
        }

        // Fall behind by several periods: the missed tick comes at once, then the interval
        // skips ahead to its next multiple of the period instead of bursting.
        std::thread::sleep(period * 5);
        let caught_up_at = Instant::now();
        let late = ticks.tick().await;
        assert!(late < caught_up_at, "the missed tick did not come at once");
        if second_taken < second + period {
            assert_eq!(late - second, period);
        }
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

/// Ticks of the stall tests, and their period: 100 ticks of 10 ms take about a second.
const TICKS: usize = 100;
const PERIOD: Duration = Duration::from_millis(10);
/// Generous: the ticks are due at fixed instants, so lateness does not add up.
const TICKS_WITHIN: Duration = Duration::from_millis(1500);

#[test]
fn interval_alone_under_block_on_keeps_ticking_at_its_period() {
    let ticked = Arc::new(AtomicUsize::new(0));
    let progress = ticked.clone();
    finishes_within(TICKS_WITHIN, &ticked, move || {
        block_on(async {
            let mut ticks = interval(PERIOD);
            let first = ticks.tick().await;
            for _ in 1..TICKS {
                let at = ticks.tick().await;
                assert!(Instant::now() >= at, "a tick came early");
                progress.fetch_add(1, Ordering::SeqCst);
            }
            assert!(first.elapsed() >= PERIOD * (TICKS as u32 - 1));
        });
    });
}

#[test]
fn a_sleep_reset_earlier_wakes_its_task_at_the_new_deadline_alone_under_block_on() {
    let ticked = Arc::new(AtomicUsize::new(0));
    let progress = ticked.clone();
    finishes_within(TICKS_WITHIN, &ticked, move || {
        let start = Instant::now();
        for tick in 1..=TICKS as u32 {
            let soon = start + PERIOD * tick;
            let mut sleep = sleep(Duration::from_secs(3600));
            let mut reset = false;
            // Register far away, move the deadline in, and wait without polling the sleep
            // again: the reset alone must bring the wakeup, from the background thread.
            block_on(poll_fn(|cx| {
                if reset {
                    return Pin::new(&mut sleep).poll(cx);
                }
                assert!(Pin::new(&mut sleep).poll(cx).is_pending());
                sleep.reset(soon);
                reset = true;
                Poll::Pending
            }));
            assert!(Instant::now() >= soon, "a reset sleep fired early");
            progress.fetch_add(1, Ordering::SeqCst);
        }
    });
}

#[test]
fn a_reused_sleep_reset_after_it_fired_keeps_its_period_alone_under_block_on() {
    let ticked = Arc::new(AtomicUsize::new(0));
    let progress = ticked.clone();
    finishes_within(TICKS_WITHIN, &ticked, move || {
        block_on(async {
            let start = Instant::now();
            let mut sleep = sleep_until(start + PERIOD);
            for tick in 1..=TICKS as u32 {
                (&mut sleep).await;
                assert!(Instant::now() >= start + PERIOD * tick);
                sleep.reset(start + PERIOD * (tick + 1));
                progress.fetch_add(1, Ordering::SeqCst);
            }
        });
    });
}

/// A waker whose last drop uses a romio timer: registers a sleep and drops it.
struct UsesATimerWhenDropped(Arc<AtomicBool>);

impl Wake for UsesATimerWhenDropped {
    fn wake(self: Arc<Self>) {}
}

impl Drop for UsesATimerWhenDropped {
    fn drop(&mut self) {
        let mut sleep = sleep(Duration::from_secs(3600));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
        drop(sleep);
        self.0.store(true, Ordering::SeqCst);
    }
}

fn waker_using_a_timer_when_dropped() -> (Waker, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let waker = Waker::from(Arc::new(UsesATimerWhenDropped(dropped.clone())));
    (waker, dropped)
}

#[test]
fn a_waker_dropped_by_a_timer_may_use_timers_itself() {
    let steps = Arc::new(AtomicUsize::new(0));
    let progress = steps.clone();
    finishes_within(Duration::from_secs(10), &steps, move || {
        // Replaced: a sleep polled by another task drops the waker it stored.
        let (first, dropped) = waker_using_a_timer_when_dropped();
        let mut waiting: Sleep = sleep(Duration::from_secs(3600));
        assert!(
            Pin::new(&mut waiting)
                .poll(&mut Context::from_waker(&first))
                .is_pending()
        );
        drop(first);
        let mut other = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut waiting).poll(&mut other).is_pending());
        assert!(
            dropped.load(Ordering::SeqCst),
            "the replaced waker was kept"
        );
        progress.fetch_add(1, Ordering::SeqCst);

        // Removed: a waiting sleep dropped drops its waker.
        let (waker, dropped) = waker_using_a_timer_when_dropped();
        assert!(
            Pin::new(&mut waiting)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        drop(waiting);
        assert!(dropped.load(Ordering::SeqCst), "the removed waker was kept");
        progress.fetch_add(1, Ordering::SeqCst);

        // Fired: the wheel hands the waker to the turning thread, which wakes (and so drops)
        // it after unlocking.
        let (waker, dropped) = waker_using_a_timer_when_dropped();
        let mut soon = sleep(Duration::from_millis(1));
        assert!(
            Pin::new(&mut soon)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        while !dropped.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
        block_on(soon);
        progress.fetch_add(1, Ordering::SeqCst);
    });
}
