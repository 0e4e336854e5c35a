//! The park hook: idle workers wait in it, wake-ups reach them there, tasks woken inside it
//! run, and busy workers turn it with a zero timeout.

mod common;

use common::{DropCounter, StashWaker, wait_until, within_deadline};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A stand-in for a reactor: one thread at a time may wait in it; "events" fired by a
/// timer thread wake the registered tasks from inside `park`, on the parked worker.
#[derive(Default)]
struct FakeReactor {
    state: Mutex<ReactorState>,
    condvar: Condvar,
    parks: AtomicUsize,
    zero_parks: AtomicUsize,
    refused: AtomicUsize,
    unparks: AtomicUsize,
    woken_inside: AtomicUsize,
}

#[derive(Default)]
struct ReactorState {
    inside: bool,
    token: bool,
    fired: usize,
    waiting: Vec<(usize, Waker)>,
}

impl FakeReactor {
    fn park(&self, timeout: Option<Duration>) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.inside {
            self.refused.fetch_add(1, SeqCst);
            return false;
        }
        state.inside = true;
        self.parks.fetch_add(1, SeqCst);
        if timeout == Some(Duration::ZERO) {
            self.zero_parks.fetch_add(1, SeqCst);
        }
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let ready = loop {
            let fired = state.fired;
            let (ready, waiting): (Vec<_>, Vec<_>) =
                state.waiting.drain(..).partition(|(n, _)| *n <= fired);
            state.waiting = waiting;
            if !ready.is_empty() || state.token {
                break ready;
            }
            state = match deadline {
                None => self.condvar.wait(state).unwrap(),
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break ready;
                    }
                    self.condvar.wait_timeout(state, left).unwrap().0
                }
            };
        };
        state.token = false;
        state.inside = false;
        drop(state);
        // Wake outside the lock, on this (the worker's) thread.
        self.woken_inside.fetch_add(ready.len(), SeqCst);
        for (_, waker) in ready {
            waker.wake();
        }
        true
    }

    fn unpark(&self) {
        self.unparks.fetch_add(1, SeqCst);
        self.state.lock().unwrap().token = true;
        self.condvar.notify_all();
    }

    /// Fires the next event (from the timer thread).
    fn fire(&self) {
        self.state.lock().unwrap().fired += 1;
        self.condvar.notify_all();
    }

    /// Resolves once event number `n` has fired.
    fn event(self: &Arc<Self>, n: usize) -> Event {
        Event {
            reactor: self.clone(),
            n,
        }
    }
}

struct Event {
    reactor: Arc<FakeReactor>,
    n: usize,
}

impl Future for Event {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.reactor.state.lock().unwrap();
        if state.fired >= self.n {
            return Poll::Ready(());
        }
        state.waiting.push((self.n, cx.waker().clone()));
        Poll::Pending
    }
}

fn pool_with(reactor: &Arc<FakeReactor>, workers: usize) -> juliex::ThreadPool {
    let (p, u) = (reactor.clone(), reactor.clone());
    juliex::ThreadPool::builder()
        .worker_threads(workers)
        .park_hook(move |t| p.park(t), move || u.unpark())
        .build()
        .unwrap()
}

#[test]
fn an_idle_worker_waits_in_the_hook_and_unpark_wakes_it_for_a_spawn() {
    let reactor = Arc::new(FakeReactor::default());
    let pool = pool_with(&reactor, 1);
    wait_until("the worker is in the hook", || {
        reactor.state.lock().unwrap().inside
    });
    let before = reactor.unparks.load(SeqCst);
    let v = within_deadline(move || pool.block_on(pool.spawn(async { 5 })).unwrap());
    assert_eq!(v, 5);
    assert!(
        reactor.unparks.load(SeqCst) > before,
        "the spawn did not unpark the hook"
    );
}

#[test]
fn tasks_woken_inside_the_hook_run() {
    let reactor = Arc::new(FakeReactor::default());
    let pool = pool_with(&reactor, 2);
    let handles: Vec<_> = (1..=50).map(|n| pool.spawn(reactor.event(n))).collect();
    let r = reactor.clone();
    let timer = std::thread::spawn(move || {
        for _ in 0..50 {
            std::thread::sleep(Duration::from_micros(200));
            r.fire();
        }
    });
    within_deadline(move || {
        for h in handles {
            pool.block_on(h).unwrap();
        }
    });
    timer.join().unwrap();
    assert!(reactor.woken_inside.load(SeqCst) > 0);
}

#[test]
fn busy_workers_turn_the_hook_with_a_zero_timeout() {
    let reactor = Arc::new(FakeReactor::default());
    let pool = pool_with(&reactor, 1);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            pool.spawn(async {
                for _ in 0..1000 {
                    juliex::yield_now().await;
                }
            })
        })
        .collect();
    within_deadline(move || {
        for t in tasks {
            pool.block_on(t).unwrap();
        }
    });
    // 10,000 polls of a never-empty queue: a zero-timeout turn every 61 tasks.
    assert!(
        reactor.zero_parks.load(SeqCst) >= 100,
        "{}",
        reactor.zero_parks.load(SeqCst)
    );
}

#[test]
fn a_lone_worker_with_nothing_to_do_goes_straight_to_the_blocking_turn() {
    let reactor = Arc::new(FakeReactor::default());
    let pool = pool_with(&reactor, 1);
    wait_until("the worker is in the hook", || {
        reactor.state.lock().unwrap().inside
    });
    let r = reactor.clone();
    // Twenty lulls: the task waits for an event, the worker finds nothing else to do.
    let task = pool.spawn(async move {
        for n in 1..=20 {
            r.event(n).await;
        }
    });
    let r = reactor.clone();
    // Each event fires only once the task waits for it and the worker sleeps in the hook:
    // every lull is a real one, however slowly the machine runs the two threads.
    let timer = std::thread::spawn(move || {
        for n in 1..=20 {
            wait_until("the task waits in the hook for the next event", || {
                let state = r.state.lock().unwrap();
                state.inside && state.waiting.iter().any(|(k, _)| *k == n)
            });
            r.fire();
        }
    });
    within_deadline(move || pool.block_on(task).unwrap());
    timer.join().unwrap();
    // Far fewer than 61 tasks ran, so no busy worker's periodic turn either.
    assert_eq!(
        reactor.zero_parks.load(SeqCst),
        0,
        "a lone idle worker turned the hook without waiting before it slept"
    );
    assert!(reactor.parks.load(SeqCst) >= 20);
}

#[test]
fn a_busy_hook_sends_the_other_workers_to_sleep_normally() {
    let reactor = Arc::new(FakeReactor::default());
    let pool = pool_with(&reactor, 3);
    wait_until("a worker is in the hook", || {
        reactor.state.lock().unwrap().inside
    });
    let sum = within_deadline(move || {
        pool.block_on(async {
            let hs: Vec<_> = (0..1000).map(|i| juliex::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        })
    });
    assert_eq!(sum, (0..1000).sum::<i32>());
    assert!(reactor.parks.load(SeqCst) >= 1);
}

#[test]
fn a_park_trait_object_works_too() {
    struct Sleepy;
    impl juliex::Park for Sleepy {
        fn park(&self, _timeout: Option<Duration>) -> bool {
            false
        }
        fn unpark(&self) {}
    }
    let pool = juliex::ThreadPool::builder()
        .worker_threads(1)
        .park(Arc::new(Sleepy))
        .build()
        .unwrap();
    assert_eq!(pool.block_on(pool.spawn(async { 1 })).unwrap(), 1);
}

#[test]
fn the_hook_is_dropped_at_shutdown_while_handles_and_wakers_live() {
    let hook = DropCounter::default();
    let (in_park, in_unpark) = (hook.token(), hook.token());
    let pool = juliex::ThreadPool::builder()
        .worker_threads(2)
        .park_hook(
            move |_timeout| {
                let _ = &in_park;
                false
            },
            move || {
                let _ = &in_unpark;
            },
        )
        .build()
        .unwrap();
    let slot = Arc::new(Mutex::new(None));
    let pending = pool.spawn(StashWaker(slot.clone()));
    let finished = pool.spawn(async { 1 });
    wait_until("the pending task stashed its waker", || {
        slot.lock().unwrap().is_some()
    });
    wait_until("the other task finished", || finished.is_finished());
    drop(pool);
    // The handles and the waker keep the pool's shared state alive, but not the hook (a
    // reactor driver, typically, which must detach when the pool is gone).
    assert_eq!(hook.dropped(), 2, "the park hook outlived its pool");
    assert!(pending.is_finished());
    slot.lock().unwrap().take().unwrap().wake();
    assert_eq!(futures::executor::block_on(finished).unwrap(), 1);
}
