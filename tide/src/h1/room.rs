//! [`Room`]: bytes reserved once at the end of a buffer and filled piece by piece, the one
//! `unsafe` of the response writer: pieces are copied without a capacity check of their own,
//! each checked against the reservation, and the buffer's length is set once.

/// Room reserved at the end of a buffer, filled piece by piece: each piece is one copy,
/// without the capacity check and length update an `extend_from_slice` does; the buffer's
/// length is set once, by [`done`](Room::done). Dropped without `done`, it leaves the buffer
/// as it was. Every piece checks that it fits the reservation (one comparison), so a
/// reservation too small panics instead of writing past the allocation.
pub(crate) struct Room<'a> {
    out: &'a mut Vec<u8>,
    /// Where the room begins: `out`'s pointer plus its length when the room was made.
    start: *mut u8,
    /// Bytes put so far.
    filled: usize,
    /// Bytes reserved.
    size: usize,
}

impl<'a> Room<'a> {
    /// Reserves `size` bytes at the end of `out`.
    #[inline]
    pub(crate) fn new(out: &'a mut Vec<u8>, size: usize) -> Room<'a> {
        out.reserve(size);
        // SAFETY: `reserve` made room for `size` bytes past the length: the pointer one past
        // the last byte stays within (or one past the end of) the allocation.
        let start = unsafe { out.as_mut_ptr().add(out.len()) };
        Room {
            out,
            start,
            filled: 0,
            size,
        }
    }

    /// Copies `bytes` in.
    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        assert!(
            bytes.len() <= self.size - self.filled,
            "a piece past the room"
        );
        // SAFETY: `start` points at `size` reserved bytes of `out`'s allocation, which
        // cannot move or shrink while `self` borrows `out` mutably, and `filled +
        // bytes.len() <= size`: the copy stays within them. `bytes` is a shared borrow, so it
        // cannot be `out`'s spare capacity, reachable only through `out`.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.start.add(self.filled), bytes.len());
        }
        self.filled += bytes.len();
    }

    /// Copies `bytes` in, each byte changed by `map` on the way.
    #[inline]
    pub(crate) fn put_mapped(&mut self, bytes: &[u8], mut map: impl FnMut(u8) -> u8) {
        assert!(
            bytes.len() <= self.size - self.filled,
            "a piece past the room"
        );
        for (at, &b) in bytes.iter().enumerate() {
            // SAFETY: as in `put`: `filled + at < filled + bytes.len() <= size`.
            unsafe { self.start.add(self.filled + at).write(map(b)) };
        }
        self.filled += bytes.len();
    }

    /// Copies all of `bytes` in (a copy of a length known when compiled: a few stores), and
    /// keeps the first `count` of them (at most `N`) as put: the rest is scratch, written
    /// over by the next piece or left out of the buffer.
    #[inline]
    pub(crate) fn put_first<const N: usize>(&mut self, bytes: &[u8; N], count: usize) {
        self.put(bytes);
        // `put` added `N`: this takes back at most that, never below the room's start.
        self.filled -= N - count.min(N);
    }

    /// Makes what was put part of the buffer, and gives the buffer back.
    #[inline]
    pub(crate) fn done(self) -> &'a mut Vec<u8> {
        let length = self.out.len() + self.filled;
        // SAFETY: the `filled` bytes past the old length were all written by `put` (or
        // `put_mapped`), within the capacity reserved by `new`.
        unsafe { self.out.set_len(length) };
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_commits_only_what_was_put_and_only_when_done() {
        let mut out = b"kept".to_vec();
        {
            let mut room = Room::new(&mut out, 8);
            room.put(b"abc");
        }
        assert_eq!(out, b"kept", "a room left without done adds nothing");
        let mut room = Room::new(&mut out, 8);
        room.put_first(b"abcd", 3);
        room.put_mapped(b"XY", |b| b.to_ascii_lowercase());
        room.done();
        assert_eq!(out, b"keptabcxy");
        let mut room = Room::new(&mut out, 8);
        room.put_first(b"12", 5);
        room.done();
        assert_eq!(out, b"keptabcxy12", "never more than the piece is kept");
    }

    #[test]
    #[should_panic(expected = "a piece past the room")]
    fn a_piece_past_the_room_panics_instead_of_writing_past_it() {
        let mut out = Vec::new();
        let mut room = Room::new(&mut out, 4);
        room.put(b"abc");
        room.put(b"de");
    }
}
