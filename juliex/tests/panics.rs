//! Panics are caught per task; the workers live on.

mod common;

use common::pool;

#[test]
fn a_thousand_panicking_tasks_then_ordinary_ones() {
    let pool = pool(2);
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked: Vec<_> = (0..1000)
        .map(|i| pool.spawn(async move { panic!("boom {i}") }))
        .collect();
    let errors = pool.block_on(async {
        let mut errors = Vec::new();
        for h in panicked {
            errors.push(h.await.unwrap_err());
        }
        errors
    });
    std::panic::set_hook(prev_hook);
    assert!(errors.iter().all(|e| e.is_panic() && !e.is_cancelled()));
    assert_eq!(
        errors[7].to_string(),
        "task panicked with message \"boom 7\""
    );
    let payload = errors.into_iter().next().unwrap().into_panic();
    assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom 0");

    let ordinary: Vec<_> = (0..1000).map(|i| pool.spawn(async move { i })).collect();
    let sum = pool.block_on(async {
        let mut sum = 0;
        for h in ordinary {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, (0..1000).sum::<i32>());
}

#[test]
fn panic_in_spawn_blocking_is_caught() {
    let pool = pool(1);
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let err = pool
        .block_on(pool.spawn_blocking(|| panic!("blocking boom")))
        .unwrap_err();
    std::panic::set_hook(prev_hook);
    assert!(err.is_panic());
    assert_eq!(pool.block_on(pool.spawn_blocking(|| 1)).unwrap(), 1);
}

#[test]
fn panic_while_dropping_a_cancelled_future_is_reported() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    let pool = pool(1);
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let polled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let p = polled.clone();
    let handle = pool.spawn(async move {
        let _guard = PanicOnDrop;
        p.store(true, std::sync::atomic::Ordering::SeqCst);
        std::future::pending::<()>().await
    });
    common::wait_until("the task is pending", || {
        polled.load(std::sync::atomic::Ordering::SeqCst)
    });
    handle.abort();
    let err = pool.block_on(handle).unwrap_err();
    std::panic::set_hook(prev_hook);
    assert!(err.is_panic());
    assert_eq!(pool.block_on(pool.spawn(async { 2 })).unwrap(), 2);
}

#[test]
#[should_panic(expected = "block_on called from inside a juliex task")]
fn block_on_inside_a_task_panics_with_advice() {
    let pool = pool(1);
    let err = pool
        .block_on(pool.spawn(async { juliex::block_on(async {}) }))
        .unwrap_err();
    std::panic::resume_unwind(err.into_panic());
}

/// Panics with its message when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Runs `f` with panic messages silenced (the panics these tests provoke are expected).
fn quietly<R>(f: impl FnOnce() -> R) -> R {
    let prev_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(prev_hook);
    out.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

#[test]
fn dropping_the_handle_of_an_output_that_panics_on_drop_never_panics() {
    let pool = pool(2);
    quietly(|| {
        for i in 0..400 {
            let handle = pool.spawn(async { PanicOnDrop("output drop boom") });
            if i % 2 == 0 {
                // The task completed first: the handle drops the output.
                common::wait_until("the task is finished", || handle.is_finished());
            }
            // Otherwise whoever comes second (completer or handle) drops it.
            let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(handle)));
            assert!(
                dropped.is_ok(),
                "drop(handle) panicked in the caller (iteration {i})"
            );
        }
    });
    assert_eq!(pool.block_on(pool.spawn(async { 3 })).unwrap(), 3);
}

#[test]
fn a_future_that_panics_when_dropped_after_ready_reports_the_panic() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Ready at once with its token, then panics when dropped.
    struct ReadyThenPanic(Option<common::DropToken>, #[allow(dead_code)] PanicOnDrop);
    impl Future for ReadyThenPanic {
        type Output = common::DropToken;
        fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
            Poll::Ready(self.0.take().expect("polled once"))
        }
    }

    let pool = pool(1);
    let outputs = common::DropCounter::default();
    let future = ReadyThenPanic(Some(outputs.token()), PanicOnDrop("future drop boom"));
    let result = quietly(|| pool.block_on(pool.spawn(future)));
    let Err(err) = result else {
        panic!("the future's drop panicked: the task must not report Ok");
    };
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "task panicked with message \"future drop boom\""
    );
    // The output the future returned was dropped, not leaked.
    assert_eq!(outputs.dropped(), 1);
}
