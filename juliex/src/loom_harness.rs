//! A minimal single-queue scheduler for model-checking the task state machine with loom.
//! Only compiled under `--cfg loom`; not part of the public API.

use crate::task::{self, JoinHandle, Notified, Schedule, TaskRef};
use loom::sync::{Arc, Mutex};
use std::collections::VecDeque;
use std::future::Future;

/// A run queue plus a registry of live tasks, like a pool's, without threads.
#[derive(Clone, Default)]
pub struct Harness(Arc<Inner>);

#[derive(Default)]
pub struct Inner {
    queue: Mutex<VecDeque<Notified>>,
    registry: Mutex<Vec<Option<TaskRef>>>,
}

impl Schedule for Arc<Inner> {
    fn schedule(&self, task: Notified) {
        self.queue.lock().unwrap().push_back(task);
    }

    fn register(&self, task: TaskRef) -> Result<(), TaskRef> {
        let mut registry = self.registry.lock().unwrap();
        task.set_registry_key(registry.len());
        registry.push(Some(task));
        Ok(())
    }

    fn release(&self, key: usize) -> Option<TaskRef> {
        self.registry.lock().unwrap().get_mut(key)?.take()
    }
}

impl Harness {
    /// An empty harness.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `future` (queued once).
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, handle) = task::new_task(future, self.0.clone());
        self.0.schedule(notified);
        handle
    }

    /// Runs one queued task, if any; returns whether there was one.
    pub fn run_one(&self) -> bool {
        let task = self.0.queue.lock().unwrap().pop_front();
        match task {
            Some(task) => {
                if let Some(again) = task.run() {
                    self.0.schedule(again);
                }
                true
            }
            None => false,
        }
    }

    /// Runs queued tasks until the queue is empty.
    pub fn run_all(&self) {
        while self.run_one() {}
    }

    /// Drops queued entries and cancels every registered task, like pool shutdown.
    pub fn shutdown(&self) {
        let queued: Vec<_> = self.0.queue.lock().unwrap().drain(..).collect();
        drop(queued);
        let registered: Vec<_> = self
            .0
            .registry
            .lock()
            .unwrap()
            .drain(..)
            .flatten()
            .collect();
        for task in registered {
            task.shutdown();
        }
        let queued: Vec<_> = self.0.queue.lock().unwrap().drain(..).collect();
        drop(queued);
    }
}
