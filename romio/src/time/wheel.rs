//! Temporary ordered-map timer store (to be replaced by the hierarchical wheel).

use std::collections::BTreeMap;
use std::task::Waker;

use slab::Slab;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: usize,
    generation: u64,
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    when: u64,
    waker: Option<Waker>,
    fired: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Wheel {
    entries: Slab<Entry>,
    order: BTreeMap<(u64, u64), usize>,
    next_generation: u64,
    elapsed: u64,
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel::default()
    }

    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let index = self.entries.insert(Entry {
            generation,
            when,
            waker: Some(waker),
            fired: false,
        });
        self.order.insert((when, generation), index);
        TimerKey { index, generation }
    }

    fn entry(&mut self, key: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(key.index)
            .filter(|e| e.generation == key.generation)
    }

    pub(crate) fn poll_fired(&mut self, key: TimerKey, waker: &Waker) -> bool {
        let Some(entry) = self.entry(key) else {
            return true;
        };
        if entry.fired {
            return true;
        }
        match &entry.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
        false
    }

    pub(crate) fn remove(&mut self, key: TimerKey) -> bool {
        let Some(entry) = self.entry(key) else {
            return false;
        };
        let (fired, when) = (entry.fired, entry.when);
        if !fired {
            self.order.remove(&(when, key.generation));
        }
        self.entries.remove(key.index);
        fired
    }

    pub(crate) fn reset(&mut self, key: TimerKey, when: u64, waker: &Waker) {
        let Some(entry) = self.entry(key) else {
            return;
        };
        let (fired, old) = (entry.fired, entry.when);
        entry.fired = false;
        entry.when = when;
        entry.waker = Some(waker.clone());
        if !fired {
            self.order.remove(&(old, key.generation));
        }
        self.order.insert((when, key.generation), key.index);
    }

    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.order.keys().next().map(|(when, _)| *when)
    }

    pub(crate) fn advance(&mut self, now: u64, fired: &mut Vec<Waker>) {
        self.elapsed = self.elapsed.max(now);
        while let Some(entry) = self.order.first_entry() {
            if entry.key().0 > self.elapsed {
                break;
            }
            let index = entry.remove();
            let e = &mut self.entries[index];
            e.fired = true;
            fired.extend(e.waker.take());
        }
    }

    #[allow(dead_code)]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}
