//! How juliex starts its threads: names, stack sizes and the start/stop callbacks.

use std::io;
use std::sync::Arc;
use std::thread;

/// A callback run on each thread the pool starts or stops.
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync + 'static>;

/// Settings shared by worker and blocking threads.
#[derive(Clone)]
pub(crate) struct ThreadConfig {
    pub(crate) name: Arc<dyn Fn() -> String + Send + Sync + 'static>,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_start: Option<Callback>,
    pub(crate) on_stop: Option<Callback>,
}

impl ThreadConfig {
    /// Starts a thread running `body` between the start and stop callbacks.
    pub(crate) fn spawn(
        &self,
        body: impl FnOnce() + Send + 'static,
    ) -> io::Result<thread::JoinHandle<()>> {
        let mut builder = thread::Builder::new().name((self.name)());
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let (on_start, on_stop) = (self.on_start.clone(), self.on_stop.clone());
        builder.spawn(move || {
            if let Some(f) = on_start {
                f();
            }
            // Runs `on_stop` even if `body` unwinds.
            struct Stop(Option<Callback>);
            impl Drop for Stop {
                fn drop(&mut self) {
                    if let Some(f) = self.0.take() {
                        f();
                    }
                }
            }
            let _stop = Stop(on_stop);
            body();
        })
    }
}
