//! Request body framing: how many bytes after the head belong to the body.
//!
//! A [`Decoder`] is one of the framings HTTP/1.1 allows for a request (RFC 9112 §6.3): no body,
//! a `Content-Length`, or the chunked coding. It is fed whatever bytes the connection has read
//! and says how many it consumed; running out of input mid-way is not an error, the next call
//! resumes exactly where this one stopped, whatever the split.

use super::chunked::{ChunkedDecoder, ChunkedError};

/// The framing of one request body, and how far decoding has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoder {
    /// `Content-Length`: this many body bytes are still to come.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked(ChunkedDecoder),
}

/// What one call to [`Decoder::decode`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Bytes of input consumed (framing included); the caller drops them from its buffer.
    pub(crate) consumed: usize,
    /// Whether the body has ended: everything after `consumed` belongs to the next request.
    pub(crate) done: bool,
}

/// The body's framing is broken: the connection cannot be trusted to find the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FramingError(pub(crate) &'static str);

impl From<ChunkedError> for FramingError {
    fn from(error: ChunkedError) -> FramingError {
        FramingError(error.0)
    }
}

impl Decoder {
    /// A decoder for a body of exactly `length` bytes.
    pub(crate) fn length(length: u64) -> Decoder {
        Decoder::Length(length)
    }

    /// A decoder for a chunked body whose chunk extensions and trailers may take up to
    /// `max_metadata` bytes in all.
    pub(crate) fn chunked(max_metadata: usize) -> Decoder {
        Decoder::Chunked(ChunkedDecoder::new(max_metadata))
    }

    /// Whether the body has been read to its end.
    pub(crate) fn is_done(&self) -> bool {
        match self {
            Decoder::Length(remaining) => *remaining == 0,
            Decoder::Chunked(chunked) => chunked.is_done(),
        }
    }

    /// How many body bytes are still to come, when the framing says (a `Content-Length`).
    pub(crate) fn remaining_length(&self) -> Option<u64> {
        match self {
            Decoder::Length(remaining) => Some(*remaining),
            Decoder::Chunked(_) => None,
        }
    }

    /// Decodes what it can of `input`, appending body bytes to `body`.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<Progress, FramingError> {
        match self {
            Decoder::Length(remaining) => {
                let take = usize::try_from(*remaining).map_or(input.len(), |r| r.min(input.len()));
                body.extend_from_slice(&input[..take]);
                *remaining -= take as u64;
                Ok(Progress {
                    consumed: take,
                    done: *remaining == 0,
                })
            }
            Decoder::Chunked(chunked) => {
                let consumed = chunked.decode(input, body)?;
                Ok(Progress {
                    consumed,
                    done: chunked.is_done(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` split at every offset into two calls, checking the body and the
    /// number of bytes that belong to the body.
    fn check_every_split(make: impl Fn() -> Decoder, input: &[u8], body: &[u8], framed: usize) {
        for split in 0..=input.len() {
            let mut decoder = make();
            let mut out = Vec::new();
            let first = decoder.decode(&input[..split], &mut out).unwrap();
            assert!(first.consumed <= split);
            let mut consumed = first.consumed;
            if !first.done {
                // The caller keeps unconsumed bytes and appends the next read to them.
                let second = decoder.decode(&input[consumed..], &mut out).unwrap();
                consumed += second.consumed;
                assert!(second.done, "split at {split}: not done");
            }
            assert_eq!(out, body, "split at {split}");
            assert_eq!(consumed, framed, "split at {split}");
        }
    }

    #[test]
    fn length_takes_exactly_its_bytes_and_leaves_the_next_request() {
        let input = b"hello worldGET / HTTP/1.1\r\n";
        check_every_split(|| Decoder::length(11), input, b"hello world", 11);
    }

    #[test]
    fn zero_length_is_done_at_once() {
        let mut decoder = Decoder::length(0);
        assert!(decoder.is_done());
        let progress = decoder.decode(b"next", &mut Vec::new()).unwrap();
        assert_eq!(
            progress,
            Progress {
                consumed: 0,
                done: true
            }
        );
    }

    #[test]
    fn chunked_through_the_common_decoder() {
        let input = b"5\r\nhello\r\n0\r\n\r\nnext";
        check_every_split(|| Decoder::chunked(1024), input, b"hello", input.len() - 4);
    }
}
