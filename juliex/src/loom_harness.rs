//! A minimal single-queue scheduler for model-checking the task state machine with loom.
//! Only compiled under `--cfg loom`; not part of the public API.

use crate::task::{self, JoinHandle, Notified, Ran, Schedule, TaskMeta, TaskRef};
use loom::sync::{Arc, Mutex};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;

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
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = TaskMeta::new(Location::caller(), None, 0);
        let (notified, handle) = task::new_task(future, self.0.clone(), meta);
        self.0.schedule(notified);
        handle
    }

    /// Spawns `future` registered from the start, as a pool does with a named task.
    #[track_caller]
    pub fn spawn_registered<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = TaskMeta::new(Location::caller(), Some("named".into()), 0);
        let (notified, handle) = task::new_task(future, self.0.clone(), meta);
        if let Err(rejected) = self.0.register(notified.task_ref()) {
            drop(rejected);
        }
        self.0.schedule(notified);
        handle
    }

    /// What a task dump sees of every registered task: (running, polls), read under the
    /// registry's lock as the pool's dump does.
    pub fn dump(&self) -> Vec<(bool, u64)> {
        let registry = self.0.registry.lock().unwrap();
        registry
            .iter()
            .flatten()
            .map(|task| {
                let (state, polls) = task.progress();
                (state.is_running(), polls)
            })
            .collect()
    }

    /// Runs one queued task, if any; returns whether there was one.
    pub fn run_one(&self) -> bool {
        let task = self.0.queue.lock().unwrap().pop_front();
        match task {
            Some(task) => {
                if let Ran::Again(again) = task.run() {
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
