//! [`Driver`]: the handle an executor uses to turn the reactor from its own threads.

use std::time::Duration;

use super::Reactor;

/// A handle that lets its holder turn romio's reactor, instead of romio's background thread.
///
/// While at least one `Driver` is attached, romio does not start its background thread: the
/// holders promise to call [`turn`](Driver::turn) whenever they are idle (and now and then
/// when busy), and to wait in it rather than sleep elsewhere. An executor typically turns the
/// reactor from an idle worker ("park") and calls [`wake`](Driver::wake) when it has new work
/// for that worker ("unpark").
///
/// Attach the driver before any I/O: if the background thread is already running, it keeps
/// running beside the driver. When the last `Driver` is dropped while futures still wait on
/// the reactor, the background thread takes over, so nothing is left stranded.
///
/// # Examples
///
/// Turning the reactor by hand on a thread of your own:
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
///
/// let driver = romio::reactor::Driver::attach();
/// let stop = Arc::new(AtomicBool::new(false));
/// let turner = {
///     let (driver, stop) = (driver.clone(), stop.clone());
///     std::thread::spawn(move || {
///         while !stop.load(Ordering::Acquire) {
///             driver.turn(Some(Duration::from_millis(10)));
///         }
///     })
/// };
///
/// futures::executor::block_on(romio::time::sleep(Duration::from_millis(5)));
///
/// stop.store(true, Ordering::Release);
/// driver.wake();
/// turner.join().unwrap();
/// ```
#[derive(Debug)]
pub struct Driver {
    reactor: &'static Reactor,
}

impl Driver {
    /// Attaches a driver to the process's reactor.
    pub fn attach() -> Driver {
        let reactor = Reactor::get();
        reactor.attach_driver();
        Driver { reactor }
    }

    /// Turns the reactor once: waits for I/O events or the next timer for at most `timeout`
    /// (`None`: until an event, a timer, or [`wake`](Driver::wake)), then wakes the tasks
    /// they concern.
    ///
    /// Returns `false` at once, without waiting, if another thread is turning the reactor:
    /// the caller should then sleep the ordinary way. Returns `true` once this thread turned.
    /// Wakers of ready tasks run on this thread, after the reactor's locks are released.
    pub fn turn(&self, timeout: Option<Duration>) -> bool {
        self.reactor.try_turn(timeout)
    }

    /// Wakes the thread that is blocked in [`turn`](Driver::turn). If no thread is turning,
    /// the next turn returns without waiting.
    pub fn wake(&self) {
        self.reactor.wake();
    }
}

impl Clone for Driver {
    fn clone(&self) -> Driver {
        self.reactor.attach_driver();
        Driver {
            reactor: self.reactor,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.reactor.detach_driver();
    }
}
