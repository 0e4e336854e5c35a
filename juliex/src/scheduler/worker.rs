//! A worker thread's loop: find a task, run it, and sleep (in the park hook if there is
//! one) when there is nothing to do.

use super::Shared;
use super::context::{self, Context};
use super::counters::WorkerCounters;
use super::local::WorkerLocal;
use crate::park::Park;
use crate::task::{Notified, Ran};
use crossbeam_deque::{Steal, Worker as Deque};
use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::Parker;
use std::hint;
use std::rc::Rc;
use std::sync::Arc;
#[cfg(test)]
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{Ordering::SeqCst, fence};
use std::time::{Duration, Instant};

/// Every this many tasks a worker takes a batch from the injector before its own queue, so
/// that tasks spawned from outside are never starved by a busy local queue. (A batch, not
/// one task: workers pulling single tasks in turn would interleave neighbouring
/// allocations across workers, which costs false sharing.)
const INJECTOR_INTERVAL: u32 = 61;
/// Every this many tasks a busy worker turns the park hook with a zero timeout, so that I/O
/// is never starved by a long queue, and advances the pool's coarse clock.
const HOOK_INTERVAL: u32 = 61;
/// At most this many tasks run in a row from the LIFO slot; then the slot's task goes to
/// the back of the queue, so ping-ponging tasks cannot starve the queue behind them.
const MAX_LIFO_RUNS: u32 = 3;
/// How long a searching worker keeps looking for work before it sleeps, while another
/// worker is awake (with none, it sleeps after one look: see `Idle::others_awake`). Waking a
/// sleeping thread costs tens of microseconds, so a short spin pays for itself when work
/// arrives soon, and costs only an idle core's time when it does not.
const SEARCH_TIME: Duration = Duration::from_micros(50);

/// The state a worker thread keeps for itself.
struct Worker {
    ctx: Rc<Context>,
    shared: Arc<Shared>,
    /// This worker's clone of the park hook, dropped when the worker exits.
    hook: Option<Arc<dyn Park>>,
    parker: Parker,
    /// This worker's counters (the same as `shared.counters[index]`).
    counters: Arc<CachePadded<WorkerCounters>>,
    /// Tasks run so far (wrapping); drives the periodic checks.
    tick: u32,
    /// Tasks run in a row from the LIFO slot.
    lifo_runs: u32,
    /// Counted as searching in `Idle`.
    searching: bool,
    /// xorshift state for picking steal victims.
    rng: u32,
}

/// Runs worker `index` of `shared` until the pool shuts down.
pub(crate) fn run(shared: Arc<Shared>, index: usize, queue: Deque<Notified>, parker: Parker) {
    let counters = shared.counters[index].clone();
    let local = WorkerLocal::new(index, queue, counters.clone());
    let ctx = Rc::new(Context {
        shared: shared.clone(),
        worker: Some(local),
    });
    let guard = context::enter(ctx.clone());
    let mut worker = Worker {
        ctx,
        hook: shared.hook(),
        shared,
        parker,
        counters,
        tick: 0,
        lifo_runs: 0,
        searching: false,
        // Distinct, odd (so non-zero) seeds per worker from two well-mixed constants.
        rng: 0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1,
    };
    worker.run();
    worker.local().clear();
    drop(guard);
}

impl Worker {
    fn local(&self) -> &WorkerLocal {
        self.ctx
            .worker
            .as_ref()
            .expect("a worker's context has its local queue")
    }

    fn run(&mut self) {
        while !self.shared.is_shutdown() {
            let task = match self.next_local() {
                Some(task) => task,
                None => match self.search() {
                    Some(task) => task,
                    None => {
                        self.park();
                        continue;
                    }
                },
            };
            self.run_task(task);
        }
        if self.searching {
            self.shared.idle.stop_searching();
        }
    }

    fn run_task(&mut self, task: Notified) {
        if self.searching {
            self.searching = false;
            // The last searcher leaving: if there is more work about, let a sleeper take
            // over the search (pushers skipped waking anyone while we searched).
            if self.shared.idle.stop_searching() && self.shared.has_surplus(usize::MAX) {
                self.shared.notify_one();
            }
        }
        self.tick = self.tick.wrapping_add(1);
        let counters = &*self.counters;
        counters.begin_poll(task.meta());
        let ran = task.run();
        counters.end_poll();
        match ran {
            Ran::Idle => {}
            Ran::Again(again) => self.local().push_back(again, &self.shared),
            Ran::Completed => counters.completed.bump(),
        }
        if self.tick.is_multiple_of(HOOK_INTERVAL) {
            self.shared.clock.advance();
            if let Some(park) = &self.hook {
                counters.hook_turns.bump();
                park.park(Some(Duration::ZERO));
            }
        }
    }

    /// The next task from this worker's own sources.
    fn next_local(&mut self) -> Option<Notified> {
        let local = self.ctx.worker.as_ref()?;
        if self.tick.is_multiple_of(INJECTOR_INTERVAL)
            && !self.shared.injector.is_empty()
            && let Some(task) = self.pull_injector(local)
        {
            return Some(task);
        }
        if let Some(task) = local.lifo.take() {
            if self.lifo_runs < MAX_LIFO_RUNS {
                self.lifo_runs += 1;
                return Some(task);
            }
            // This worker pops it right away if nothing else is queued: no wake-up needed.
            local.queue.push(task);
        }
        self.lifo_runs = 0;
        if let Some(task) = local.queue.pop() {
            return Some(task);
        }
        self.pull_injector(local)
    }

    /// Takes a batch from the injector into the local queue, and its first task.
    fn pull_injector(&self, local: &WorkerLocal) -> Option<Notified> {
        if self.shared.injector.is_empty() {
            return None;
        }
        let before = local.queue.len();
        let task = steal_loop(|| self.shared.injector.steal_batch_and_pop(&local.queue))?;
        let moved = local.queue.len().saturating_sub(before) + 1;
        self.counters.injector_pulls.add(moved as u64);
        Some(task)
    }

    /// Looks for work elsewhere, as one of the bounded number of searchers: once, then for a
    /// while longer only as long as another worker is awake to queue work it could steal.
    ///
    /// With a park hook, the search starts, and goes on every few rounds, with a turn of the
    /// hook that does not wait: the work most likely to be there is I/O that became ready
    /// while this worker ran tasks and nobody waited in the hook.
    ///
    /// With no other worker awake there is no search at all (and no clock read): `park`
    /// re-checks every queue before it sleeps, and sleeps in the hook, whose blocking turn
    /// finds any I/O ready now just as a zero-timeout turn would. (With that zero-timeout turn
    /// first, a lull cost two turns: `benches/http-instructions.sh` counted 1.8 turns per
    /// request on plaintext in some runs, 1.0 in others; without it, 1.0 in every run.)
    fn search(&mut self) -> Option<Notified> {
        if !self.shared.idle.others_awake() {
            return None;
        }
        if !self.searching {
            if !self.shared.idle.try_start_searching() {
                return None;
            }
            self.searching = true;
        }
        let start = Instant::now();
        self.shared.clock.advance_to(start);
        let mut round = 0u32;
        loop {
            if round.is_multiple_of(8)
                && let Some(task) = self.poll_hook()
            {
                return Some(task);
            }
            if let Some(task) = self.steal() {
                return Some(task);
            }
            if self.shared.is_shutdown()
                || !self.shared.idle.others_awake()
                || start.elapsed() > SEARCH_TIME
            {
                return None;
            }
            #[cfg(test)]
            self.shared.spin_rounds.fetch_add(1, Relaxed);
            round += 1;
            if round.is_multiple_of(8) {
                std::thread::yield_now();
            } else {
                for _ in 0..16 {
                    hint::spin_loop();
                }
            }
        }
    }

    /// Turns the park hook without waiting, and takes a task it woke onto this worker.
    fn poll_hook(&mut self) -> Option<Notified> {
        let park = self.hook.as_ref()?;
        self.counters.hook_turns.bump();
        if !park.park(Some(Duration::ZERO)) {
            return None;
        }
        let local = self.ctx.worker.as_ref()?;
        local.lifo.take().or_else(|| local.queue.pop())
    }

    /// One pass over the injector and the other workers' queues (from a random one),
    /// taking about half of what is found.
    fn steal(&mut self) -> Option<Notified> {
        let local = self.ctx.worker.as_ref()?;
        if let Some(task) = self.pull_injector(local) {
            return Some(task);
        }
        let n = self.shared.stealers.len();
        if n == 1 {
            return None;
        }
        let counters = &*self.counters;
        counters.steal_attempts.bump();
        self.rng = xorshift32(self.rng);
        let first = self.rng as usize % n;
        for i in 0..n {
            let victim = (first + i) % n;
            if victim == local.index {
                continue;
            }
            let stealer = &self.shared.stealers[victim];
            let len = stealer.len();
            if len == 0 {
                continue;
            }
            let before = local.queue.len();
            if let Some(task) =
                steal_loop(|| stealer.steal_batch_with_limit_and_pop(&local.queue, len / 2 + 1))
            {
                let moved = local.queue.len().saturating_sub(before) + 1;
                counters.stolen.add(moved as u64);
                return Some(task);
            }
        }
        None
    }

    /// Sleeps until woken: in the park hook if there is one and it is free, else on the
    /// thread parker.
    fn park(&mut self) {
        // Borrowed field by field: no clone of the shared state's `Arc` per sleep.
        let Worker {
            ctx,
            shared,
            hook,
            parker,
            counters,
            searching,
            ..
        } = self;
        let local = ctx
            .worker
            .as_ref()
            .expect("a worker's context has its local queue");
        let index = local.index;
        let signal = &shared.signals[index];
        let hook = hook.as_deref();
        if hook.is_some() {
            // Before listing ourselves as a sleeper, so a waker that picks us knows to call
            // the hook's unpark.
            signal.in_hook.store(true, SeqCst);
        }
        shared.idle.park(index, std::mem::take(searching));
        // Pairs with the pushers' fence: either they see us asleep, or we see their work.
        fence(SeqCst);
        if !shared.is_shutdown() && !shared.has_surplus(index) {
            counters.parks.bump();
            local.parked.set(true);
            let in_hook = hook.is_some_and(|hook| {
                counters.hook_turns.bump();
                hook.park(None)
            });
            if !in_hook {
                signal.in_hook.store(false, SeqCst);
                parker.park();
            }
            local.parked.set(false);
            // Time passed: the next spawn reads the real clock (no read here per wake-up).
            shared.clock.mark_stale();
        }
        signal.in_hook.store(false, SeqCst);
        *searching = shared.idle.unpark(index);
        // Tasks the hook woke on this thread are ours; share those we will not get to next.
        if local.has_work_behind() {
            shared.notify_one();
        }
    }
}

/// Marsaglia's xorshift32 shift triple: a full-period generator for any non-zero state.
const XORSHIFT: (u32, u32, u32) = (13, 17, 5);

/// The next state of the victim-picking generator (cheap, and good enough to spread
/// thieves over victims; never zero for a non-zero state).
fn xorshift32(mut x: u32) -> u32 {
    x ^= x << XORSHIFT.0;
    x ^= x >> XORSHIFT.1;
    x ^= x << XORSHIFT.2;
    x
}

/// Retries a steal until it succeeds or finds the queue empty.
fn steal_loop(mut steal: impl FnMut() -> Steal<Notified>) -> Option<Notified> {
    loop {
        match steal() {
            Steal::Success(task) => return Some(task),
            Steal::Empty => return None,
            Steal::Retry => hint::spin_loop(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::ThreadPool;
    use std::sync::atomic::Ordering::Relaxed;
    use std::thread;
    use std::time::{Duration, Instant};

    fn pool(workers: usize) -> ThreadPool {
        ThreadPool::builder()
            .worker_threads(workers)
            .build()
            .unwrap()
    }

    /// Runs a task, then leaves the pool idle for a while: a lull after work.
    fn lull(pool: &ThreadPool) {
        pool.block_on(pool.spawn(async {})).unwrap();
        thread::sleep(Duration::from_millis(2));
    }

    #[test]
    fn a_single_worker_sleeps_without_spinning() {
        let pool = pool(1);
        settle(&pool);
        for _ in 0..20 {
            lull(&pool);
        }
        assert_eq!(pool.shared().spin_rounds.load(Relaxed), 0);
    }

    /// Waits until every worker sleeps, then zeroes the spin count (fresh workers search
    /// side by side, and may spin, before they first sleep).
    fn settle(pool: &ThreadPool) {
        let shared = pool.shared();
        let start = Instant::now();
        while !(0..shared.workers()).all(|w| shared.idle.is_sleeping(w)) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "workers never slept"
            );
            thread::sleep(Duration::from_millis(1));
        }
        shared.spin_rounds.store(0, Relaxed);
    }

    #[test]
    fn the_last_awake_worker_sleeps_without_spinning() {
        let pool = pool(2);
        settle(&pool);
        for _ in 0..20 {
            lull(&pool);
        }
        assert_eq!(pool.shared().spin_rounds.load(Relaxed), 0);
    }

    #[test]
    fn a_worker_spins_while_another_is_busy() {
        let pool = pool(2);
        // One worker blocks in a task; the other runs a short one, then searches while the
        // first is awake and could queue work at any moment.
        let busy = pool.spawn(async { thread::sleep(Duration::from_millis(300)) });
        let start = Instant::now();
        while pool.shared().spin_rounds.load(Relaxed) == 0 {
            assert!(start.elapsed() < Duration::from_secs(60), "never spun");
            pool.block_on(pool.spawn(async {})).unwrap();
            thread::sleep(Duration::from_millis(1));
        }
        pool.block_on(busy).unwrap();
    }
}
