//! [`Recycled`]: a box whose allocation, once its value is done, is kept by the thread for
//! the next value of the same type.
//!
//! A request and a response each live in one box (so that they move through the layers of
//! middleware as a pointer); allocating and freeing two boxes per request cost more than
//! the rest of the request's bookkeeping. A dropped [`Recycled`] resets its value in place
//! ([`Recycle::reset`]: everything it held is dropped then, at once, and only the memory
//! stays, with the capacity of the buffers the type chooses to keep) and the thread keeps
//! the box, up to [`SPARES_PER_THREAD`] of each type; [`Recycled::new_with`] takes one back
//! and writes into it only the fields that differ from a reset value.
//!
//! Nothing of a value outlives its drop: a recycled box holds the reset value, never the
//! previous one's fields, body or extensions.
//!
//! Body buffers are kept the same way: once the engine has copied a body built in a `Vec`
//! (a serialized JSON value) into its write buffer, it gives the `Vec` back, emptied
//! ([`give_back_body_buffer`]), and the next [`Json`](crate::Json) serializes into it
//! ([`body_buffer`]).

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::thread::LocalKey;

/// Spare boxes a thread keeps for each type: enough for the requests and responses of a
/// batch of pipelined requests in flight on a worker, little memory when idle.
pub(crate) const SPARES_PER_THREAD: usize = 32;

/// The spare boxes of one type on one thread.
pub(crate) type Spares<T> = RefCell<Vec<Box<T>>>;

/// A type whose box is recycled.
pub(crate) trait Recycle: Sized + 'static {
    /// The thread's spare boxes of this type.
    fn spares() -> &'static LocalKey<Spares<Self>>;

    /// Drops what the value holds, leaving it as new (keeping only memory: buffers'
    /// capacity, up to a bound the type chooses).
    fn reset(&mut self);

    /// A new value, equal to a reset one but for the memory a reset value keeps.
    fn empty() -> Self;
}

/// A boxed value whose allocation is recycled when it is dropped.
///
/// The box is always there (taken out only by `Drop`): reaching the value checks nothing,
/// and a `Recycled` is never null, so `Option<Response>` or `Poll<Response>` is one word.
#[derive(Debug)]
pub(crate) struct Recycled<T: Recycle> {
    boxed: ManuallyDrop<Box<T>>,
}

impl<T: Recycle> Recycled<T> {
    /// A spare box of the thread (its value reset), or a new box of [`Recycle::empty`],
    /// changed by `fill`: only the fields a value does not share with a reset one are
    /// written, none is moved or dropped as a whole.
    pub(crate) fn new_with(fill: impl FnOnce(&mut T)) -> Recycled<T> {
        let spare = T::spares().with(|spares| spares.try_borrow_mut().ok()?.pop());
        let mut boxed = spare.unwrap_or_else(|| Box::new(T::empty()));
        fill(&mut boxed);
        Recycled {
            boxed: ManuallyDrop::new(boxed),
        }
    }

    /// Takes the value out; the box is recycled.
    pub(crate) fn into_inner(mut self, empty: T) -> T {
        std::mem::replace(&mut **self.boxed, empty)
    }
}

impl<T: Recycle> Deref for Recycled<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.boxed
    }
}

impl<T: Recycle> DerefMut for Recycled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.boxed
    }
}

impl<T: Recycle> Drop for Recycled<T> {
    fn drop(&mut self) {
        // SAFETY: the box is taken out here, once, and `self.boxed` is never used again.
        let mut boxed = unsafe { ManuallyDrop::take(&mut self.boxed) };
        // User code may run here (a body's or an extension's drop), before the spares are
        // borrowed; it may itself drop a `Recycled`.
        boxed.reset();
        T::spares().with(|spares| {
            if let Ok(mut spares) = spares.try_borrow_mut()
                && spares.len() < SPARES_PER_THREAD
            {
                spares.push(boxed);
            }
        });
    }
}

/// The largest body buffer a thread keeps for reuse.
const MAX_SPARE_BODY_BYTES: usize = 16 * 1024;

thread_local! {
    static SPARE_BODY_BUFFERS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer to build a body in (a serialized JSON value): one the engine gave back after
/// writing a body, or a new one.
pub(crate) fn body_buffer() -> Vec<u8> {
    SPARE_BODY_BUFFERS
        .with(|spares| spares.try_borrow_mut().ok()?.pop())
        .unwrap_or_else(|| Vec::with_capacity(128))
}

/// Gives back the buffer of a body that has been written, emptied, for [`body_buffer`].
pub(crate) fn give_back_body_buffer(mut buffer: Vec<u8>) {
    if buffer.capacity() == 0 || buffer.capacity() > MAX_SPARE_BODY_BYTES {
        return;
    }
    SPARE_BODY_BUFFERS.with(|spares| {
        if let Ok(mut spares) = spares.try_borrow_mut()
            && spares.len() < SPARES_PER_THREAD
        {
            buffer.clear();
            spares.push(buffer);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct Thing {
        text: String,
        kept: Vec<u8>,
    }

    thread_local! {
        static THINGS: Spares<Thing> = const { RefCell::new(Vec::new()) };
    }

    impl Recycle for Thing {
        fn spares() -> &'static LocalKey<Spares<Thing>> {
            &THINGS
        }

        fn reset(&mut self) {
            self.text = String::new();
            self.kept.clear();
        }

        fn empty() -> Thing {
            Thing::default()
        }
    }

    #[test]
    fn a_box_filled_in_place_is_a_spare_reset_or_a_new_empty_value() {
        let fresh = Recycled::<Thing>::new_with(|thing| thing.text.push_str("one"));
        assert_eq!((fresh.text.as_str(), fresh.kept.len()), ("one", 0));
        let mut used = fresh;
        used.kept.extend_from_slice(&[7; 10]);
        let address = &*used as *const Thing;
        drop(used);
        let again = Recycled::<Thing>::new_with(|thing| thing.text.push_str("two"));
        assert_eq!(&*again as *const Thing, address, "the spare box is reused");
        assert_eq!(again.text, "two", "nothing of the old text survives");
        assert!(again.kept.is_empty(), "nor of the old buffer's contents");
    }

    #[test]
    fn a_dropped_box_is_reused_reset_and_a_taken_one_too() {
        let mut first = Recycled::<Thing>::new_with(|_| {});
        first.text.push_str("secret");
        first.kept.extend_from_slice(&[1; 100]);
        let address = &*first as *const Thing;
        drop(first);
        let second = Recycled::<Thing>::new_with(|_| {});
        assert_eq!(&*second as *const Thing, address, "the box is reused");
        assert_eq!(second.text, "", "nothing of the first value is left");
        assert!(second.kept.is_empty());
        assert!(second.kept.capacity() >= 100, "the buffer is kept");
        let taken = second.into_inner(Thing::default());
        assert_eq!(taken.text, "");
        let third = Recycled::<Thing>::new_with(|thing| {
            thing.text.push_str("third");
            thing.kept.push(3);
        });
        assert_eq!(
            &*third as *const Thing, address,
            "a taken-apart box is reused"
        );
        assert_eq!((third.text.as_str(), &third.kept[..]), ("third", &[3][..]));
    }

    #[test]
    fn a_written_body_buffer_is_reused_empty() {
        let mut written = body_buffer();
        written.extend_from_slice(b"{\"secret\":1}");
        let address = written.as_ptr();
        give_back_body_buffer(written);
        let next = body_buffer();
        assert_eq!(next.as_ptr(), address);
        assert!(next.is_empty());
        give_back_body_buffer(vec![0; MAX_SPARE_BODY_BYTES + 1]);
        assert_eq!(body_buffer().capacity(), 128, "a large buffer is not kept");
    }

    #[test]
    fn a_thread_keeps_a_bounded_number_of_spares() {
        let many: Vec<_> = (0..SPARES_PER_THREAD + 10)
            .map(|_| Recycled::<Thing>::new_with(|_| {}))
            .collect();
        drop(many);
        assert_eq!(
            THINGS.with(|spares| spares.borrow().len()),
            SPARES_PER_THREAD
        );
    }
}
