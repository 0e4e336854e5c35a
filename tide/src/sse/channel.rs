//! [`channel`]: a bounded queue of events from producers ([`Sender`]) to the response that
//! sends them ([`Receiver`], inside an [`Sse`]).
//!
//! One mutex guards the queue and the wakers; no waker is woken or dropped while it is
//! held (they are taken out, the lock released, then woken).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use slab::Slab;

use super::{Event, Sse};

/// Events a [`channel`] holds before [`Sender::send`] waits for the client to take some.
pub const CHANNEL_CAPACITY: usize = 16;

/// A response that sends the events of a sender: returns the [`Sender`], to keep in the
/// task that produces the events, and the [`Sse`] to answer the request with.
///
/// The stream ends once every `Sender` is dropped (after the events already sent). Once
/// the client is gone (the response is dropped), [`Sender::send`] fails, so producers stop.
/// At most [`CHANNEL_CAPACITY`] events wait in the channel; past that, `send` waits for
/// the client to take them (a slow client slows its producer instead of filling memory).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use tide::sse::{self, Event};
///
/// let mut app = tide::new();
/// app.at("/ticks").get(|_| async {
///     let (sender, response) = sse::channel();
///     drop(juliex::spawn(async move {
///         for n in 0.. {
///             romio::time::sleep(Duration::from_secs(1)).await;
///             if sender.send(Event::new().data(n.to_string())).await.is_err() {
///                 break; // the client is gone
///             }
///         }
///     }));
///     Ok(response)
/// });
/// app.run("127.0.0.1:8080")?;
/// # std::io::Result::Ok(())
/// ```
pub fn channel() -> (Sender, Sse<Receiver>) {
    let shared = Arc::new(Mutex::new(State {
        queue: VecDeque::new(),
        receiver: None,
        waiting: Slab::new(),
        senders: 1,
        receiver_gone: false,
    }));
    let sender = Sender {
        shared: shared.clone(),
    };
    (sender, Sse::new(Receiver { shared }))
}

struct State {
    queue: VecDeque<Event>,
    /// The receiver's task, while it waits for an event.
    receiver: Option<Waker>,
    /// The tasks of `send`s waiting for room and of [`Closed`] futures, each in the slot
    /// its future holds (its `Drop` removes it); `None` once woken.
    waiting: Slab<Option<Waker>>,
    /// Live [`Sender`]s.
    senders: usize,
    receiver_gone: bool,
}

impl State {
    /// Takes the wakers of every waiting `send` (to wake once the lock is released).
    fn take_waiting(&mut self) -> Vec<Waker> {
        self.waiting
            .iter_mut()
            .filter_map(|(_, waker)| waker.take())
            .collect()
    }
}

fn lock(shared: &Mutex<State>) -> MutexGuard<'_, State> {
    // Nothing user-provided runs under the lock: a panic cannot leave it half-changed.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The sending half of a [`channel`]; clone it for more producers.
pub struct Sender {
    shared: Arc<Mutex<State>>,
}

impl Sender {
    /// Queues `event` for the client, waiting while the channel is full; fails (giving the
    /// event back) once the client is gone.
    pub fn send(&self, event: Event) -> Sending<'_> {
        Sending {
            sender: self,
            event: Some(event),
            key: None,
        }
    }

    /// Whether the client is gone: every later [`send`](Sender::send) fails.
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).receiver_gone
    }

    /// Resolves once the client is gone: for a producer that waits on something else
    /// between events (race it with that wait), so it stops without having to send.
    pub fn closed(&self) -> Closed<'_> {
        Closed {
            sender: self,
            key: None,
        }
    }
}

impl Clone for Sender {
    fn clone(&self) -> Sender {
        lock(&self.shared).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let receiver = {
            let mut state = lock(&self.shared);
            state.senders -= 1;
            if state.senders == 0 {
                state.receiver.take()
            } else {
                None
            }
        };
        // The last sender is gone: the stream ends.
        if let Some(receiver) = receiver {
            receiver.wake();
        }
    }
}

impl fmt::Debug for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::send`].
#[must_use = "the event is sent only when the future is awaited"]
pub struct Sending<'a> {
    sender: &'a Sender,
    event: Option<Event>,
    /// This send's slot in `waiting`, once it has waited.
    key: Option<usize>,
}

impl Future for Sending<'_> {
    type Output = Result<(), SendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let event = this
            .event
            .take()
            .expect("`Sending` polled after it completed");
        let mut stale = None;
        let mut receiver = None;
        let poll = {
            let mut state = lock(&this.sender.shared);
            if state.receiver_gone {
                if let Some(key) = this.key.take() {
                    stale = state.waiting.try_remove(key).flatten();
                }
                Poll::Ready(Err(SendError(event)))
            } else if state.queue.len() < CHANNEL_CAPACITY {
                state.queue.push_back(event);
                receiver = state.receiver.take();
                if let Some(key) = this.key.take() {
                    stale = state.waiting.try_remove(key).flatten();
                }
                Poll::Ready(Ok(()))
            } else {
                let waker = Some(cx.waker().clone());
                match this.key {
                    Some(key) => stale = std::mem::replace(&mut state.waiting[key], waker),
                    None => this.key = Some(state.waiting.insert(waker)),
                }
                this.event = Some(event);
                Poll::Pending
            }
        };
        drop(stale);
        if let Some(receiver) = receiver {
            receiver.wake();
        }
        poll
    }
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let stale = lock(&self.sender.shared).waiting.try_remove(key);
            drop(stale);
        }
    }
}

/// The future of [`Sender::closed`].
#[must_use = "futures do nothing unless awaited"]
pub struct Closed<'a> {
    sender: &'a Sender,
    /// This wait's slot in `waiting` (woken whenever room is made, and when the receiver
    /// goes), once it has waited.
    key: Option<usize>,
}

impl Future for Closed<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let stale;
        let poll = {
            let mut state = lock(&this.sender.shared);
            if state.receiver_gone {
                stale = this
                    .key
                    .take()
                    .and_then(|key| state.waiting.try_remove(key))
                    .flatten();
                Poll::Ready(())
            } else {
                let waker = Some(cx.waker().clone());
                match this.key {
                    Some(key) => stale = std::mem::replace(&mut state.waiting[key], waker),
                    None => {
                        this.key = Some(state.waiting.insert(waker));
                        stale = None;
                    }
                }
                Poll::Pending
            }
        };
        drop(stale);
        poll
    }
}

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let stale = lock(&self.sender.shared).waiting.try_remove(key);
            drop(stale);
        }
    }
}

/// [`Sender::send`] failed: the client is gone. Holds the event that was not sent.
pub struct SendError(pub Event);

impl fmt::Debug for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the client of the event stream is gone")
    }
}

impl std::error::Error for SendError {}

/// The receiving half of a [`channel`]: the stream of events an [`Sse`] sends.
pub struct Receiver {
    shared: Arc<Mutex<State>>,
}

impl Stream for Receiver {
    type Item = Result<Event, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut woken = Vec::new();
        let mut stale = None;
        let poll = {
            let mut state = lock(&self.shared);
            match state.queue.pop_front() {
                Some(event) => {
                    // Room again: every waiting send may try.
                    woken = state.take_waiting();
                    Poll::Ready(Some(Ok(event)))
                }
                None if state.senders == 0 => Poll::Ready(None),
                None => {
                    stale = state.receiver.replace(cx.waker().clone());
                    Poll::Pending
                }
            }
        };
        drop(stale);
        for waker in woken {
            waker.wake();
        }
        poll
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let (queue, woken, receiver) = {
            let mut state = lock(&self.shared);
            state.receiver_gone = true;
            (
                std::mem::take(&mut state.queue),
                state.take_waiting(),
                state.receiver.take(),
            )
        };
        drop((queue, receiver));
        for waker in woken {
            waker.wake();
        }
    }
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    /// A waker that counts its wakes.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    fn data(n: usize) -> Event {
        Event::new().data(n.to_string())
    }

    #[test]
    fn events_arrive_in_order_and_the_stream_ends_with_its_senders() {
        let (sender, sse) = channel();
        let mut receiver = sse.into_stream();
        let (_, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        let second = sender.clone();
        for n in 0..3 {
            let mut send = std::pin::pin!(second.send(data(n)));
            assert!(matches!(send.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
        }
        drop((sender, second));
        for n in 0..3 {
            match Pin::new(&mut receiver).poll_next(&mut cx) {
                Poll::Ready(Some(Ok(event))) => assert_eq!(event, data(n)),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            Pin::new(&mut receiver).poll_next(&mut cx),
            Poll::Ready(None)
        ));
    }

    #[test]
    fn a_full_channel_makes_send_wait_until_the_receiver_takes_one() {
        let (sender, sse) = channel();
        let mut receiver = sse.into_stream();
        let (count, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        for n in 0..CHANNEL_CAPACITY {
            let mut send = std::pin::pin!(sender.send(data(n)));
            assert!(send.as_mut().poll(&mut cx).is_ready());
        }
        let mut waiting = Box::pin(sender.send(data(99)));
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert!(Pin::new(&mut receiver).poll_next(&mut cx).is_ready());
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the waiting send is woken"
        );
        assert!(matches!(
            waiting.as_mut().poll(&mut cx),
            Poll::Ready(Ok(()))
        ));
        // A send dropped while it waits leaves no slot behind.
        let mut abandoned = Box::pin(sender.send(data(100)));
        assert!(abandoned.as_mut().poll(&mut cx).is_pending());
        drop(abandoned);
        assert!(lock(&sender.shared).waiting.is_empty());
    }

    #[test]
    fn send_fails_once_the_receiver_is_dropped_and_a_waiting_send_is_woken() {
        let (sender, sse) = channel();
        let (count, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        for n in 0..CHANNEL_CAPACITY {
            let mut send = std::pin::pin!(sender.send(data(n)));
            assert!(send.as_mut().poll(&mut cx).is_ready());
        }
        let mut waiting = Box::pin(sender.send(data(99)));
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        assert!(!sender.is_closed());
        drop(sse);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(sender.is_closed());
        match waiting.as_mut().poll(&mut cx) {
            Poll::Ready(Err(SendError(event))) => assert_eq!(event, data(99)),
            other => panic!("{other:?}"),
        }
        let mut later = std::pin::pin!(sender.send(data(1)));
        assert!(matches!(later.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    }

    #[test]
    fn closed_resolves_when_the_receiver_is_dropped() {
        let (sender, sse) = channel();
        let (count, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        let mut closed = Box::pin(sender.closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        assert_eq!(lock(&sender.shared).waiting.len(), 1, "one slot per wait");
        drop(sse);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(closed.as_mut().poll(&mut cx).is_ready());
        assert!(lock(&sender.shared).waiting.is_empty());
    }
}
