//! Model-checks the task state machine with loom: wake, poll, complete, abort and join
//! handle drop racing on two threads.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p juliex --test loom_task --release`.
#![cfg(loom)]

use juliex::loom_harness::Harness;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

/// A one-shot event: the future resolves once `set` was called.
#[derive(Default)]
struct Signal {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    fn set(&self) {
        self.set.store(true, SeqCst);
        let waker = self.waker.lock().unwrap().take();
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn wait(this: Arc<Self>) -> impl Future<Output = ()> {
        std::future::poll_fn(move |cx| {
            *this.waker.lock().unwrap() = Some(cx.waker().clone());
            if this.set.load(SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// Counts drops.
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A waker that counts wake-ups.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn poll_handle<T>(
    handle: &mut juliex::JoinHandle<T>,
    waker: &Waker,
) -> Poll<Result<T, juliex::JoinError>> {
    Pin::new(handle).poll(&mut Context::from_waker(waker))
}

#[test]
fn wake_from_another_thread_while_polling() {
    loom::model(|| {
        let harness = Harness::new();
        let signal = Arc::new(Signal::default());
        let mut handle = harness.spawn(Signal::wait(signal.clone()));
        let s = signal.clone();
        let th = thread::spawn(move || s.set());
        harness.run_all();
        th.join().unwrap();
        harness.run_all();
        assert!(handle.is_finished());
        let waker = Waker::from(std::sync::Arc::new(CountWaker::default()));
        assert!(matches!(
            poll_handle(&mut handle, &waker),
            Poll::Ready(Ok(()))
        ));
        harness.shutdown();
    });
}

#[test]
fn join_handle_drop_races_completion() {
    loom::model(|| {
        let harness = Harness::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let token = Token(drops.clone());
        let handle = harness.spawn(async move { token });
        let th = thread::spawn(move || drop(handle));
        harness.run_all();
        th.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
        harness.shutdown();
    });
}

#[test]
fn join_waker_registration_races_completion() {
    loom::model(|| {
        let harness = Harness::new();
        let mut handle = harness.spawn(async { 7 });
        let h = harness.clone();
        let th = thread::spawn(move || h.run_all());
        let counter = std::sync::Arc::new(CountWaker::default());
        let waker = Waker::from(counter.clone());
        let first = poll_handle(&mut handle, &waker);
        th.join().unwrap();
        match first {
            Poll::Ready(out) => assert_eq!(out.unwrap(), 7),
            Poll::Pending => {
                // No lost wake-up: completion woke us, and the output is there.
                assert_eq!(counter.0.load(SeqCst), 1);
                assert!(matches!(
                    poll_handle(&mut handle, &waker),
                    Poll::Ready(Ok(7))
                ));
            }
        }
        harness.shutdown();
    });
}

#[test]
fn abort_races_poll_and_wake() {
    loom::model(|| {
        let harness = Harness::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let signal = Arc::new(Signal::default());
        let (token, wait) = (Token(drops.clone()), Signal::wait(signal.clone()));
        let mut handle = harness.spawn(async move {
            let _token = token;
            wait.await;
            std::future::pending::<()>().await
        });
        let h = harness.clone();
        let s = signal.clone();
        let th = thread::spawn(move || {
            h.run_one();
            s.set();
        });
        handle.abort();
        th.join().unwrap();
        harness.run_all();
        assert_eq!(drops.load(SeqCst), 1);
        let waker = Waker::from(std::sync::Arc::new(CountWaker::default()));
        match poll_handle(&mut handle, &waker) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("expected cancelled, got {:?}", other.map(|r| r.is_ok())),
        }
        harness.shutdown();
    });
}

#[test]
fn shutdown_races_a_remote_wake() {
    loom::model(|| {
        let harness = Harness::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let signal = Arc::new(Signal::default());
        let (token, wait) = (Token(drops.clone()), Signal::wait(signal.clone()));
        let handle = harness.spawn(async move {
            let _token = token;
            wait.await;
            std::future::pending::<()>().await
        });
        harness.run_all();
        let s = signal.clone();
        let th = thread::spawn(move || s.set());
        harness.shutdown();
        th.join().unwrap();
        harness.shutdown();
        assert_eq!(drops.load(SeqCst), 1);
        assert!(handle.is_finished());
    });
}

#[test]
fn wake_races_the_first_poll_and_registration() {
    loom::model(|| {
        let harness = Harness::new();
        let woken = Arc::new(AtomicBool::new(false));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let (w, s) = (woken.clone(), slot.clone());
        let mut handle = harness.spawn(std::future::poll_fn(move |cx| {
            *s.lock().unwrap() = Some(cx.waker().clone());
            if w.load(SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        let (w, s) = (woken.clone(), slot.clone());
        let th = thread::spawn(move || {
            w.store(true, SeqCst);
            let waker = s.lock().unwrap().take();
            if let Some(waker) = waker {
                waker.wake_by_ref();
            }
        });
        harness.run_all();
        th.join().unwrap();
        harness.run_all();
        let waker = Waker::from(std::sync::Arc::new(CountWaker::default()));
        assert!(matches!(
            poll_handle(&mut handle, &waker),
            Poll::Ready(Ok(()))
        ));
        drop(slot.lock().unwrap().take());
        harness.shutdown();
    });
}

/// Panics when dropped (its token counts the drop as it unwinds).
struct PanicOnDrop(#[allow(dead_code)] Token);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("drop boom");
    }
}

/// Silences the messages of the expected "drop boom" panics below; others still print.
fn quiet_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"drop boom") {
            default(info);
        }
    }));
}

#[test]
fn join_handle_drop_races_completion_of_an_output_that_panics_on_drop() {
    quiet_panics();
    loom::model(|| {
        let harness = Harness::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let output = PanicOnDrop(Token(drops.clone()));
        let handle = harness.spawn(async move { output });
        // Whoever comes second drops the output; neither side may let the panic out.
        let th = thread::spawn(move || {
            let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
            assert!(dropped.is_ok(), "drop(handle) panicked");
        });
        harness.run_all();
        th.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
        harness.shutdown();
    });
}

/// Ready at once with its token; panics when dropped afterwards (a hand-written future: an
/// `async` block's locals are dropped inside its last poll).
struct ReadyThenPanic(Option<Token>, #[allow(dead_code)] PanicOnDrop);

impl Future for ReadyThenPanic {
    type Output = Token;
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Token> {
        Poll::Ready(self.0.take().expect("polled once"))
    }
}

#[test]
fn a_future_panicking_on_drop_after_ready_is_reported_while_the_handle_waits() {
    quiet_panics();
    loom::model(|| {
        let harness = Harness::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let future = ReadyThenPanic(
            Some(Token(drops.clone())),
            PanicOnDrop(Token(drops.clone())),
        );
        let mut handle = harness.spawn(future);
        let h = harness.clone();
        let th = thread::spawn(move || h.run_all());
        let counter = std::sync::Arc::new(CountWaker::default());
        let waker = Waker::from(counter.clone());
        let first = poll_handle(&mut handle, &waker);
        th.join().unwrap();
        let result = match first {
            Poll::Ready(result) => result,
            Poll::Pending => {
                assert_eq!(counter.0.load(SeqCst), 1);
                match poll_handle(&mut handle, &waker) {
                    Poll::Ready(result) => result,
                    Poll::Pending => panic!("completed task still pending"),
                }
            }
        };
        match result {
            Err(e) => assert!(e.is_panic()),
            Ok(_) => panic!("a future that panicked when dropped reported Ok"),
        }
        // The guard and the output the future returned were both dropped.
        assert_eq!(drops.load(SeqCst), 2);
        harness.shutdown();
    });
}

/// A task registered at spawn (as a named task is), listed by a task dump on another
/// thread while it is polled, woken and completed: the dump reads only a live task, and the
/// registry's extra reference is released exactly once (loom reports a leak otherwise).
#[test]
fn a_dump_races_a_task_registered_at_spawn() {
    loom::model(|| {
        let harness = Harness::new();
        let signal = Arc::new(Signal::default());
        let handle = harness.spawn_registered(Signal::wait(signal.clone()));
        let (h, s) = (harness.clone(), signal.clone());
        let th = thread::spawn(move || {
            for (_running, polls) in h.dump() {
                assert!(polls <= 2, "polled at most twice: {polls}");
            }
            s.set();
        });
        harness.run_all();
        th.join().unwrap();
        harness.run_all();
        assert!(handle.is_finished());
        assert!(
            harness.dump().is_empty(),
            "a completed task leaves the registry"
        );
        drop(handle);
        harness.shutdown();
    });
}
