//! [`LayerFuture`]: the future of one layer of a route (a middleware's or the endpoint's),
//! its type erased, in a box that the layer keeps for its next future.
//!
//! A route's chain is built from layers whose types are erased when they are added, so each
//! layer's future must be erased too. A `Box<dyn Future>` per layer per request cost a
//! `malloc` and a `free` each (about 135 instructions a layer, the most of any step of a
//! small request). A layer that is a function (`async fn` middleware or endpoint) keeps one
//! spare box for its future type instead ([`Spare`]): a new future is written into the spare
//! box when there is one, and a finished or dropped future is dropped in place and its box
//! handed back (or freed, when the layer has a spare already: with several workers, several
//! of a layer's futures can be alive at once).
//!
//! A `LayerFuture<'a>` borrows its layer (`'a`): the box goes back to the layer's spare when
//! the future is dropped, so the layer must outlive it. The chain keeps a layer alive by
//! other means where it must hand out a `'static` future ([`LayerFuture::detach`]).
//!
//! Polling a layer's future gives the layer's answer as a [`Response`]: an error is made its
//! response, and a panic in any poll is caught and made a `500` (logged once), which the
//! layers further out see like any other response. Polled again after that, it answers
//! nothing sensible: like any future, it must not be polled once it has answered.
//!
//! Nothing of a future outlives it: a spare box holds no future, never a finished one.
//! Middleware and endpoints implemented by hand return a [`BoxFuture`](crate::BoxFuture); the layer they are
//! wrapped in when added keeps a spare box for that `BoxFuture` like any other future type,
//! so every layer's future is one kind of box.

use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::task::{Context, Poll};

use std::future::Future;

use crate::panic::panic_response;
use crate::{Response, Result};

/// A layer's future; it answers the layer's [`Response`], a panic in any of its polls made a
/// `500`.
///
/// Public only as the return type of the hidden methods of [`Endpoint`](crate::Endpoint)
/// and [`Middleware`](crate::middleware::Middleware) that the chain calls; it cannot be
/// named outside tide.
#[doc(hidden)]
pub struct LayerFuture<'a> {
    /// In a layer's recycled box, or (a layer's future made outside the chain) a box of its
    /// own; taken out only in `Drop`. One fat pointer: no variant to check when the future
    /// is polled or dropped, and it comes back from a call in two registers.
    slot: ManuallyDrop<Box<dyn Slot>>,
    /// The layer whose spare box the future goes back to.
    layer: PhantomData<&'a ()>,
}

impl LayerFuture<'_> {
    /// `future` in a box of its own, freed when it is dropped: for a layer that keeps no
    /// spare box (a panic when the layer was called, a layer not made by `into_layer`).
    pub(crate) fn unstored<F, R>(future: F) -> LayerFuture<'static>
    where
        F: Future<Output = Result<R>> + Send + 'static,
        R: Into<Response> + 'static,
    {
        LayerFuture {
            slot: ManuallyDrop::new(Box::new(Unstored(future))),
            layer: PhantomData,
        }
    }

    /// Where the future's box is (for tests of reuse).
    #[cfg(test)]
    pub(crate) fn box_address(&self) -> *const u8 {
        &**self.slot as *const dyn Slot as *const u8
    }

    /// This future, no longer tied to its layer's lifetime.
    ///
    /// # Safety
    ///
    /// The layer this future was made by must stay alive, at the same address, until the
    /// returned future is dropped (its box goes back to the layer's spare then).
    pub(crate) unsafe fn detach(self) -> LayerFuture<'static> {
        let this = ManuallyDrop::new(self);
        LayerFuture {
            // SAFETY: `this` is never used or dropped again: its `slot` moves out once.
            slot: unsafe { ptr::read(&this.slot) },
            layer: PhantomData,
        }
    }
}

impl Future for LayerFuture<'_> {
    type Output = Response;

    /// Inlined into the layer further out: a call through the box's vtable.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.get_mut().slot.poll(cx)
    }
}

impl Drop for LayerFuture<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `slot` is taken out here, once, and never used again.
        unsafe { ManuallyDrop::take(&mut self.slot) }.recycle();
    }
}

/// Polls `future`, its answer, error or panic made a response.
#[inline]
fn poll_answer<F, R>(future: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<Response>
where
    F: Future<Output = Result<R>>,
    R: Into<Response>,
{
    // A future that panicked is never polled again (it is dropped with its `LayerFuture`),
    // so its state after the unwind cannot be observed: asserting unwind safety is sound.
    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(Ok(answer))) => Poll::Ready(answer.into()),
        Ok(Poll::Ready(Err(error))) => Poll::Ready(Response::from(error)),
        Err(panic) => Poll::Ready(panic_response(&*panic)),
    }
}

/// A future in a box of its own ([`LayerFuture::unstored`]).
struct Unstored<F>(F);

impl<F, R> Slot for Unstored<F>
where
    F: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Response> {
        // SAFETY: `self` is the heap box a `LayerFuture` owns, which drops the future with
        // the box and never moves it out: the pinning contract.
        poll_answer(unsafe { Pin::new_unchecked(&mut self.0) }, cx)
    }

    fn recycle(self: Box<Self>) {}
}

/// The one spare box of a layer's future type `F`.
pub(crate) struct Spare<F> {
    /// A box from `Box::into_raw` holding no future, or null.
    boxed: AtomicPtr<Stored<F>>,
}

impl<F> Spare<F> {
    pub(crate) fn new() -> Spare<F> {
        Spare {
            boxed: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The spare box, if there is one.
    fn take(&self) -> Option<Box<Stored<F>>> {
        // The usual case with one worker, and a cheap load when there is none to take.
        if self.boxed.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let taken = self.boxed.swap(ptr::null_mut(), Ordering::Acquire);
        // SAFETY: a non-null pointer in `boxed` came from `Box::into_raw` in `give` (the
        // Release there pairs with this Acquire), and the swap left null behind, so this
        // thread is the only one that holds it: it owns the box again.
        (!taken.is_null()).then(|| unsafe { Box::from_raw(taken) })
    }

    /// Keeps `boxed` (holding no future) as the spare, or frees it if there is one already.
    fn give(&self, boxed: Box<Stored<F>>) {
        let raw = Box::into_raw(boxed);
        if self
            .boxed
            .compare_exchange(ptr::null_mut(), raw, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            // SAFETY: the exchange failed, so `raw` was never published: it is still this
            // thread's alone, from the `Box::into_raw` just above.
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl<F> Drop for Spare<F> {
    fn drop(&mut self) {
        let raw = *self.boxed.get_mut();
        if !raw.is_null() {
            // SAFETY: `&mut self`: nobody else can reach the pointer, which came from
            // `Box::into_raw` in `give`. The box holds no future (`MaybeUninit`: nothing is
            // dropped but the memory).
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl<F, R> Spare<F>
where
    F: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    /// The future `make` returns, in this layer's spare box or a new one; its answer is
    /// made a [`Response`] as it is polled out.
    ///
    /// The box is taken before `make` runs, so that the future can be written into it
    /// directly rather than moved there.
    pub(crate) fn future(&self, make: impl FnOnce() -> F) -> LayerFuture<'_> {
        let mut stored = self.take().unwrap_or_else(|| {
            Box::new(Stored {
                future: MaybeUninit::uninit(),
                home: ptr::null(),
            })
        });
        // If `make` panics, the box (holding no future) is freed as it unwinds.
        stored.future.write(make());
        stored.home = self;
        LayerFuture {
            slot: ManuallyDrop::new(stored),
            layer: PhantomData,
        }
    }
}

/// A future in its box, type-erased.
trait Slot: Send {
    /// Polls the future; its answer, error or panic made a response.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Response>;
    /// Drops the future in place, then hands the box back to its layer.
    fn recycle(self: Box<Self>);
}

/// The contents of a future's box.
struct Stored<F> {
    /// The future while the box is in a [`LayerFuture`]; nothing in a spare box (and
    /// nothing in a new box until the future is written, before it leaves
    /// [`Spare::future`]).
    future: MaybeUninit<F>,
    /// The spare of the layer whose future this is, set whenever the box leaves it: valid
    /// while the [`LayerFuture`] holding the box lives (it borrows the layer).
    home: *const Spare<F>,
}

// SAFETY: `Stored` is `Send` for its future (`F: Send`), and for `home`, a pointer used only
// as `&Spare<F>`, whose `AtomicPtr` may be used from any thread.
unsafe impl<F: Send> Send for Stored<F> {}

impl<F, R> Slot for Stored<F>
where
    F: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Response> {
        // SAFETY: the future is there: a box is in a `LayerFuture` only once its future has
        // been written (`Spare::future`), and only `recycle` drops it. Pinning: `self` is a
        // heap box owned by a `LayerFuture`, so the future does not move when the
        // `LayerFuture` does, and the future is never moved out of the box: it is dropped in
        // place (in `recycle`) before the box itself is moved (handed back to the layer) or
        // freed. That is the pinning contract. It pays: the alternative, `Box::pin` per
        // layer per request, costs a malloc and a free.
        poll_answer(
            unsafe { Pin::new_unchecked(self.future.assume_init_mut()) },
            cx,
        )
    }

    fn recycle(mut self: Box<Self>) {
        // SAFETY: the box is in a `LayerFuture` (which calls this once, when dropped), so
        // the future is there; after this it is not, and the box goes back to the spare,
        // which writes a new future before the box is used again. The future's drop (user
        // code) runs before the box changes hands; if it panics, the box is freed as it
        // unwinds (`MaybeUninit` drops nothing).
        unsafe { self.future.assume_init_drop() };
        // SAFETY: `home` was set to the layer's spare when the box left it, and the
        // `LayerFuture` being dropped borrows that layer (or, detached, is outlived by it:
        // `LayerFuture::detach`), so the spare is alive and has not moved.
        let home = unsafe { &*self.home };
        home.give(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering::SeqCst;

    /// Counts its drops; answers 200 after one pending poll.
    struct Counted {
        drops: Arc<AtomicUsize>,
        polled: bool,
    }

    impl Future for Counted {
        type Output = Result<Response>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Response>> {
            if !self.polled {
                self.polled = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(Ok(Response::new(http::StatusCode::OK)))
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.drops.fetch_add(1, SeqCst);
        }
    }

    fn box_of(future: &LayerFuture<'_>) -> *const u8 {
        future.box_address()
    }

    fn has_spare<F>(spare: &Spare<F>) -> bool {
        !spare.boxed.load(SeqCst).is_null()
    }

    #[test]
    fn a_dropped_future_is_dropped_once_and_its_box_is_reused_for_the_next() {
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = || Counted {
            drops: drops.clone(),
            polled: false,
        };
        let spare = Spare::new();
        let mut first = spare.future(counted);
        let first_box = box_of(&first);
        let response = futures::executor::block_on(&mut first);
        assert_eq!(response.status(), http::StatusCode::OK);
        assert!(
            !has_spare(&spare),
            "the box is in use until the future is dropped"
        );
        drop(first);
        assert_eq!(drops.load(SeqCst), 1);
        assert!(has_spare(&spare), "the box is handed back");

        let second = spare.future(counted);
        assert_eq!(box_of(&second), first_box, "the spare box was reused");
        assert!(!has_spare(&spare));
        // A second future while the first lives gets a box of its own; of the two boxes,
        // one is kept and the other freed.
        let third = spare.future(counted);
        assert_ne!(box_of(&third), first_box);
        drop(second);
        drop(third);
        assert_eq!(
            drops.load(SeqCst),
            3,
            "each future dropped once, unfinished or not"
        );
        assert!(has_spare(&spare));
    }

    #[test]
    fn errors_and_panics_are_answered_as_responses_and_the_box_still_goes_back() {
        let spare = Spare::new();
        let make = |fail: u8| async move {
            match fail {
                0 => Ok("fine"),
                1 => Err(crate::Error::from_str(http::StatusCode::IM_A_TEAPOT, "tea")),
                _ => panic!("a layer panicked"),
            }
        };
        let statuses: Vec<_> = (0..3)
            .map(|fail| futures::executor::block_on(spare.future(|| make(fail))).status())
            .collect();
        assert_eq!(statuses, [200, 418, 500]);
        assert!(has_spare(&spare), "the panicked future's box went back too");
    }

    #[test]
    fn a_future_whose_making_panics_leaves_no_box_behind() {
        let spare = Spare::new();
        let made = catch_unwind(AssertUnwindSafe(|| {
            spare.future(|| -> std::future::Ready<Result<Response>> { panic!("while made") })
        }));
        assert!(made.is_err());
        assert!(!has_spare(&spare), "the box taken for it was freed");
        let answer = futures::executor::block_on(
            spare.future(|| std::future::ready(Ok(Response::new(http::StatusCode::OK)))),
        );
        assert_eq!(answer.status(), 200);
    }

    #[test]
    fn a_future_in_a_box_of_its_own_answers_too() {
        let future = LayerFuture::unstored(async { Ok(Response::new(http::StatusCode::CREATED)) });
        let response = futures::executor::block_on(future);
        assert_eq!(response.status(), http::StatusCode::CREATED);
        let panicking = LayerFuture::unstored(async {
            if true {
                panic!("a layer panicked");
            }
            Ok(Response::new(http::StatusCode::OK))
        });
        assert_eq!(futures::executor::block_on(panicking).status(), 500);
    }
}
