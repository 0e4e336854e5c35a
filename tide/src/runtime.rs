//! The runtime tide runs on: a juliex thread pool whose idle workers turn romio's reactor.
//!
//! This is the whole wiring between the two crates, and it is all a user of romio and
//! juliex needs to do the same:
//!
//! ```
//! let driver = romio::reactor::Driver::attach();
//! let waker = driver.clone();
//! let pool = juliex::ThreadPool::builder()
//!     .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
//!     .build()
//!     .unwrap();
//! # drop(pool);
//! ```

use std::future::Future;
use std::io;
use std::sync::OnceLock;

/// Builds a juliex pool wired to romio: an idle worker waits for I/O in the reactor, so an
/// I/O event wakes its task on the thread that runs it.
pub fn thread_pool() -> io::Result<juliex::ThreadPool> {
    let driver = romio::reactor::Driver::attach();
    let waker = driver.clone();
    juliex::ThreadPool::builder()
        .thread_name("tide-worker")
        .park_hook(move |timeout| driver.turn(timeout), move || waker.wake())
        .build()
}

/// The process-wide wired pool, created on first use.
fn global() -> &'static juliex::ThreadPool {
    static POOL: OnceLock<juliex::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| thread_pool().expect("tide: cannot start the worker threads"))
}

/// Runs `future` to completion on this thread, with tasks it spawns (`juliex::spawn`) on
/// the process-wide wired pool.
pub fn block_on<F: Future>(future: F) -> F::Output {
    global().block_on(future)
}
