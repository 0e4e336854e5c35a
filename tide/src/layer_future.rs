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
//! Nothing of a future outlives it: a spare box holds `None`, never a finished future.
//! Middleware and endpoints implemented by hand return a [`BoxFuture`], which is carried as
//! it is.

use std::future::Future;
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::task::{Context, Poll};

use crate::endpoint::BoxFuture;
use crate::{Response, Result};

/// A layer's future.
///
/// Public only as the return type of the hidden methods of [`Endpoint`](crate::Endpoint)
/// and [`Middleware`](crate::middleware::Middleware) that the chain calls; it cannot be
/// named outside tide.
#[doc(hidden)]
pub struct LayerFuture {
    inner: Inner,
}

enum Inner {
    /// In a layer's recycled box; `None` only while being dropped.
    Stored(Option<Box<dyn Slot>>),
    /// Boxed by a hand-written middleware or endpoint.
    Boxed(BoxFuture<'static, Result<Response>>),
}

impl LayerFuture {
    /// A future boxed already.
    pub(crate) fn boxed(future: BoxFuture<'static, Result<Response>>) -> LayerFuture {
        LayerFuture {
            inner: Inner::Boxed(future),
        }
    }
}

impl Future for LayerFuture {
    type Output = Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Response>> {
        match &mut self.get_mut().inner {
            Inner::Stored(Some(slot)) => slot.poll(cx),
            Inner::Stored(None) => unreachable!("a layer's future is only taken when dropped"),
            Inner::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

impl Drop for LayerFuture {
    fn drop(&mut self) {
        if let Inner::Stored(slot) = &mut self.inner
            && let Some(slot) = slot.take()
        {
            slot.recycle();
        }
    }
}

/// The one spare box of a layer's future type `F`.
pub(crate) struct Spare<F> {
    /// A box from `Box::into_raw` holding no future and no `home`, or null.
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

    /// Keeps `boxed` (emptied) as the spare, or frees it if there is one already.
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
            // `Box::into_raw` in `give`.
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl<F, R> Spare<F>
where
    F: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    /// `future` in this layer's spare box, or a new one; its answer is made a [`Response`]
    /// as it is polled out.
    pub(crate) fn future(self: &Arc<Self>, future: F) -> LayerFuture {
        let stored = match self.take() {
            Some(mut spare) => {
                spare.future = Some(future);
                spare.home = Some(self.clone());
                spare
            }
            None => Box::new(Stored {
                future: Some(future),
                home: Some(self.clone()),
            }),
        };
        LayerFuture {
            inner: Inner::Stored(Some(stored)),
        }
    }
}

/// A future in its box, type-erased.
trait Slot: Send {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Response>>;
    /// Drops the future in place, then hands the box back to its layer.
    fn recycle(self: Box<Self>);
}

/// The contents of a future's box.
struct Stored<F> {
    /// `None` in a spare box.
    future: Option<F>,
    /// The layer's spare, to hand the box back to; `None` in a spare box (a spare box
    /// holding its own `Spare` would keep it alive forever).
    home: Option<Arc<Spare<F>>>,
}

impl<F, R> Slot for Stored<F>
where
    F: Future<Output = Result<R>> + Send + 'static,
    R: Into<Response> + 'static,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Response>> {
        let Some(future) = self.future.as_mut() else {
            unreachable!("a future is only taken out of its box when it is dropped");
        };
        // SAFETY: `self` is a heap box owned by a `LayerFuture`, so the future does not
        // move when the `LayerFuture` does, and the future is never moved out of the box:
        // it is dropped in place (`future = None`, in `recycle`) before the box itself is
        // moved (handed back to the layer) or freed. That is the pinning contract. It pays:
        // the alternative, `Box::pin` per layer per request, costs a malloc and a free.
        let future = unsafe { Pin::new_unchecked(future) };
        future.poll(cx).map(|answer| answer.map(Into::into))
    }

    fn recycle(mut self: Box<Self>) {
        // The future's drop (user code) runs before the box changes hands.
        self.future = None;
        if let Some(home) = self.home.take() {
            home.give(self);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn box_of(future: &LayerFuture) -> *const u8 {
        match &future.inner {
            Inner::Stored(Some(slot)) => &**slot as *const dyn Slot as *const u8,
            _ => panic!("a function's future is stored"),
        }
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
        let spare = Arc::new(Spare::new());
        let mut first = spare.future(counted());
        let first_box = box_of(&first);
        let response = futures::executor::block_on(&mut first).unwrap();
        assert_eq!(response.status(), http::StatusCode::OK);
        assert!(
            !has_spare(&spare),
            "the box is in use until the future is dropped"
        );
        drop(first);
        assert_eq!(drops.load(SeqCst), 1);
        assert!(has_spare(&spare), "the box is handed back");

        let second = spare.future(counted());
        assert_eq!(box_of(&second), first_box, "the spare box was reused");
        assert!(!has_spare(&spare));
        // A second future while the first lives gets a box of its own; of the two boxes,
        // one is kept and the other freed.
        let third = spare.future(counted());
        assert_ne!(box_of(&third), first_box);
        drop(second);
        drop(third);
        assert_eq!(
            drops.load(SeqCst),
            3,
            "each future dropped once, unfinished or not"
        );
        assert!(has_spare(&spare));
        assert_eq!(
            Arc::strong_count(&spare),
            1,
            "a spare box does not hold its layer"
        );
    }

    #[test]
    fn a_boxed_future_is_carried_as_it_is() {
        let future = LayerFuture::boxed(Box::pin(async {
            Ok(Response::new(http::StatusCode::CREATED))
        }));
        let response = futures::executor::block_on(future).unwrap();
        assert_eq!(response.status(), http::StatusCode::CREATED);
    }
}
