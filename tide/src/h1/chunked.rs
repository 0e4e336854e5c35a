//! The chunked transfer coding (RFC 9112 §7.1), decoded as an explicit state machine.
//!
//! Strict by design, because a lenient chunk parser is how requests get smuggled past a proxy:
//! lines end in CRLF (a bare LF is an error), a size is 1 to 16 hex digits with no sign, no
//! spaces and no overflow, chunk extensions are skipped but bounded, and trailers are consumed
//! and bounded. Every state consumes one byte at a time except `Data`, which copies in bulk.

/// Most hex digits a chunk size may have: 16 digits fill a `u64`.
const MAX_SIZE_DIGITS: u8 = 16;

/// Where the decoder is within the chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex digits of a chunk size.
    Size,
    /// Skipping a chunk extension (`;name=value`) up to the CR.
    Extension,
    /// Expecting the LF that ends a chunk-size line.
    SizeLf,
    /// Copying chunk data; `remaining` bytes are left in this chunk.
    Data,
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// At the start of a trailer line, or of the final empty line.
    TrailerStart,
    /// Skipping a trailer field line up to the CR.
    Trailer,
    /// Expecting the LF that ends a trailer line.
    TrailerLf,
    /// Expecting the LF of the final empty line.
    EndLf,
    /// The body has ended.
    Done,
}

/// Decodes a chunked body, resumably.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkedDecoder {
    state: State,
    /// The chunk size being read, then the bytes left in the current chunk.
    remaining: u64,
    /// Hex digits read for the current size.
    digits: u8,
    /// Extension and trailer bytes still allowed.
    metadata_left: usize,
}

/// The chunked framing is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkedError(pub(crate) &'static str);

impl ChunkedDecoder {
    /// A decoder allowing `max_metadata` bytes of chunk extensions and trailers in all.
    pub(crate) fn new(max_metadata: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            remaining: 0,
            digits: 0,
            metadata_left: max_metadata,
        }
    }

    /// Whether the last chunk and the trailers have been read.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes what it can of `input`, appending chunk data to `body`; returns the bytes
    /// consumed. Stops right after the body's last byte.
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
    ) -> Result<usize, ChunkedError> {
        let mut at = 0;
        while at < input.len() && self.state != State::Done {
            if self.state == State::Data {
                let take = usize::try_from(self.remaining)
                    .map_or(input.len() - at, |r| r.min(input.len() - at));
                body.extend_from_slice(&input[at..at + take]);
                at += take;
                self.remaining -= take as u64;
                if self.remaining == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            let byte = input[at];
            at += 1;
            self.state = match self.state {
                State::Size => self.size(byte)?,
                State::Extension => self.extension(byte)?,
                State::SizeLf => self.size_lf(byte)?,
                State::DataCr => expect(
                    byte,
                    b'\r',
                    State::DataLf,
                    "chunk data not followed by CRLF",
                )?,
                State::DataLf => {
                    self.digits = 0;
                    expect(byte, b'\n', State::Size, "chunk data not followed by CRLF")?
                }
                State::TrailerStart => self.trailer_start(byte)?,
                State::Trailer => self.trailer(byte)?,
                State::TrailerLf => expect(
                    byte,
                    b'\n',
                    State::TrailerStart,
                    "trailer line not ended by CRLF",
                )?,
                State::EndLf => expect(byte, b'\n', State::Done, "chunked body not ended by CRLF")?,
                State::Data | State::Done => unreachable!("handled above"),
            };
        }
        Ok(at)
    }

    fn size(&mut self, byte: u8) -> Result<State, ChunkedError> {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            b'A'..=b'F' => byte - b'A' + 10,
            b';' | b'\r' if self.digits == 0 => return Err(ChunkedError("missing chunk size")),
            b';' => return Ok(State::Extension),
            b'\r' => return Ok(State::SizeLf),
            _ => return Err(ChunkedError("invalid chunk size")),
        };
        if self.digits == MAX_SIZE_DIGITS {
            return Err(ChunkedError("chunk size too large"));
        }
        self.digits += 1;
        self.remaining = self
            .remaining
            .checked_mul(16)
            .and_then(|size| size.checked_add(u64::from(digit)))
            .ok_or(ChunkedError("chunk size too large"))?;
        Ok(State::Size)
    }

    fn extension(&mut self, byte: u8) -> Result<State, ChunkedError> {
        match byte {
            b'\r' => Ok(State::SizeLf),
            b'\n' => Err(ChunkedError("bare LF in a chunk extension")),
            _ => {
                self.spend_metadata()?;
                Ok(State::Extension)
            }
        }
    }

    fn size_lf(&mut self, byte: u8) -> Result<State, ChunkedError> {
        expect(
            byte,
            b'\n',
            State::Size,
            "chunk size line not ended by CRLF",
        )?;
        Ok(if self.remaining == 0 {
            State::TrailerStart
        } else {
            State::Data
        })
    }

    fn trailer_start(&mut self, byte: u8) -> Result<State, ChunkedError> {
        match byte {
            b'\r' => Ok(State::EndLf),
            b'\n' => Err(ChunkedError("bare LF after the last chunk")),
            _ => {
                self.spend_metadata()?;
                Ok(State::Trailer)
            }
        }
    }

    fn trailer(&mut self, byte: u8) -> Result<State, ChunkedError> {
        match byte {
            b'\r' => Ok(State::TrailerLf),
            b'\n' => Err(ChunkedError("bare LF in a trailer")),
            _ => {
                self.spend_metadata()?;
                Ok(State::Trailer)
            }
        }
    }

    fn spend_metadata(&mut self) -> Result<(), ChunkedError> {
        self.metadata_left = self
            .metadata_left
            .checked_sub(1)
            .ok_or(ChunkedError("chunk extensions or trailers too large"))?;
        Ok(())
    }
}

/// `next` if `byte` is `wanted`, else the error.
fn expect(byte: u8, wanted: u8, next: State, error: &'static str) -> Result<State, ChunkedError> {
    if byte == wanted {
        Ok(next)
    } else {
        Err(ChunkedError(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed in pieces of `piece` bytes.
    fn decode_in_pieces(input: &[u8], piece: usize) -> Result<(Vec<u8>, usize), ChunkedError> {
        let mut decoder = ChunkedDecoder::new(64);
        let mut body = Vec::new();
        let mut at = 0;
        while !decoder.is_done() && at < input.len() {
            let end = (at + piece).min(input.len());
            at += decoder.decode(&input[at..end], &mut body)?;
        }
        assert!(decoder.is_done(), "body not finished");
        Ok((body, at))
    }

    /// Checks a valid body, whole and split at every offset, byte by byte included.
    fn check(input: &[u8], body: &[u8]) {
        for piece in 1..=input.len() {
            let (decoded, consumed) = decode_in_pieces(input, piece).unwrap();
            assert_eq!(decoded, body, "pieces of {piece}");
            assert_eq!(consumed, input.len(), "pieces of {piece}");
        }
    }

    /// Checks that `input` is rejected, whole and byte by byte.
    fn reject(input: &[u8]) {
        for piece in [1, input.len()] {
            let mut decoder = ChunkedDecoder::new(64);
            let mut body = Vec::new();
            let mut at = 0;
            let mut failed = false;
            while at < input.len() && !decoder.is_done() {
                let end = (at + piece).min(input.len());
                match decoder.decode(&input[at..end], &mut body) {
                    Ok(n) => at += n,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            assert!(
                failed,
                "accepted {:?} in pieces of {piece}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn valid_bodies() {
        check(b"0\r\n\r\n", b"");
        check(b"5\r\nhello\r\n0\r\n\r\n", b"hello");
        check(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world");
        check(b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789");
        check(b"a\r\n0123456789\r\n0000\r\n\r\n", b"0123456789");
        check(b"3;name=value\r\nabc\r\n0;last\r\n\r\n", b"abc");
        check(
            b"3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
            b"abc",
        );
    }

    #[test]
    fn stops_at_the_end_of_the_body() {
        let mut decoder = ChunkedDecoder::new(64);
        let mut body = Vec::new();
        let input = b"1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let consumed = decoder.decode(input, &mut body).unwrap();
        assert_eq!(&input[consumed..], b"GET / HTTP/1.1\r\n");
        assert_eq!(body, b"x");
    }

    #[test]
    fn malformed_sizes() {
        reject(b"\r\n\r\n");
        reject(b"g\r\nabc\r\n0\r\n\r\n");
        reject(b"-1\r\nabc\r\n0\r\n\r\n");
        reject(b"+3\r\nabc\r\n0\r\n\r\n");
        reject(b"0x3\r\nabc\r\n0\r\n\r\n");
        reject(b" 3\r\nabc\r\n0\r\n\r\n");
        reject(b"3 \r\nabc\r\n0\r\n\r\n");
        reject(b";ext\r\nabc\r\n0\r\n\r\n");
        reject(b"10000000000000000\r\n");
        reject(b"ffffffffffffffff0\r\n");
    }

    #[test]
    fn the_largest_size_is_accepted_as_a_size() {
        let mut decoder = ChunkedDecoder::new(64);
        let consumed = decoder
            .decode(b"ffffffffffffffff\r\nab", &mut Vec::new())
            .unwrap();
        assert_eq!(consumed, 20);
        assert!(!decoder.is_done());
    }

    #[test]
    fn bare_lf_and_missing_crlf_are_rejected() {
        reject(b"3\nabc\r\n0\r\n\r\n");
        reject(b"3\r\nabc\n0\r\n\r\n");
        reject(b"3\r\nabcd\r\n0\r\n\r\n");
        reject(b"3\r\nabc\r\n0\n\r\n");
        reject(b"3\r\nabc\r\n0\r\n\n");
        reject(b"3\r\nabc\r\n0\r\nX: y\n\r\n");
        reject(b"3;ext\nabc\r\n0\r\n\r\n");
    }

    #[test]
    fn extensions_and_trailers_are_bounded() {
        let long_extension = format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(100));
        reject(long_extension.as_bytes());
        let long_trailer = format!("1\r\nx\r\n0\r\nX: {}\r\n\r\n", "t".repeat(100));
        reject(long_trailer.as_bytes());
    }
}
