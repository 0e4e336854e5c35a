//! [`Encoder`] (gzip or brotli over a growing buffer) and [`compress_stream`]: a body
//! compressed as it streams, flushed whenever the body it wraps has nothing ready, so that
//! each burst of a server-sent event stream reaches the client at once.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use crate::Body;
use crate::accept_encoding::Coding;

/// Compressed bytes gathered before they are handed on, while the inner body keeps giving.
const OUTPUT_CHUNK_BYTES: usize = 32 * 1024;

/// Chunks taken from the inner body in one poll before yielding to other tasks.
const CHUNKS_PER_POLL: usize = 32;

/// A gzip or brotli encoder writing into a buffer the caller drains.
pub(crate) enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

impl Encoder {
    /// An encoder for `coding`: gzip at `gzip_level` (0–9), brotli at `brotli_quality`
    /// (0–11).
    pub(crate) fn new(coding: Coding, gzip_level: u32, brotli_quality: u32) -> Encoder {
        match coding {
            Coding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(gzip_level),
            )),
            // A 4 KiB work buffer and a 4 MiB window (lgwin 22, brotli's default).
            Coding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                brotli_quality,
                22,
            ))),
        }
    }

    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Gzip(encoder) => encoder.write_all(data),
            Encoder::Brotli(encoder) => encoder.write_all(data),
        }
    }

    /// Pushes out everything written so far (a sync flush: the client can decode it all).
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Gzip(encoder) => encoder.flush(),
            Encoder::Brotli(encoder) => encoder.flush(),
        }
    }

    fn output(&mut self) -> &mut Vec<u8> {
        match self {
            Encoder::Gzip(encoder) => encoder.get_mut(),
            Encoder::Brotli(encoder) => encoder.get_mut(),
        }
    }

    /// Takes the compressed bytes produced so far.
    pub(crate) fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(self.output())
    }

    /// Ends the stream; the last compressed bytes.
    pub(crate) fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(encoder) => encoder.finish(),
            Encoder::Brotli(encoder) => Ok(encoder.into_inner()),
        }
    }
}

/// `body` compressed with `encoder` as it streams.
pub(crate) fn compress_stream(body: Body, encoder: Encoder) -> Body {
    Body::from_stream(CompressedStream {
        inner: body,
        encoder: Some(encoder),
        unflushed: false,
    })
}

struct CompressedStream {
    inner: Body,
    /// `None` once the stream has ended.
    encoder: Option<Encoder>,
    /// Whether bytes went in since the last flush.
    unflushed: bool,
}

impl Stream for CompressedStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        for _ in 0..CHUNKS_PER_POLL {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(None);
            };
            match this.inner.poll_chunk(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    encoder.write(&chunk)?;
                    this.unflushed = true;
                    if encoder.output().len() >= OUTPUT_CHUNK_BYTES {
                        return Poll::Ready(Some(Ok(encoder.take_output().into())));
                    }
                }
                Poll::Ready(Some(Err(error))) => {
                    this.encoder = None;
                    return Poll::Ready(Some(Err(io::Error::other(error))));
                }
                Poll::Ready(None) => {
                    let encoder = this.encoder.take().expect("checked above");
                    let last = encoder.finish()?;
                    return Poll::Ready((!last.is_empty()).then(|| Ok(last.into())));
                }
                Poll::Pending => {
                    // Nothing more for now: what came in goes out, decodable, at once.
                    if this.unflushed {
                        this.unflushed = false;
                        encoder.flush()?;
                        let out = encoder.take_output();
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(out.into())));
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
        // A long run of ready chunks: hand on what there is, or let other tasks run.
        match this.encoder.as_mut().map(Encoder::take_output) {
            Some(out) if !out.is_empty() => Poll::Ready(Some(Ok(out.into()))),
            _ => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use futures::channel::mpsc;

    fn decode(coding: Coding, compressed: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Gzip => {
                let mut decoder = flate2::write::GzDecoder::new(&mut out);
                decoder.write_all(compressed).unwrap();
                decoder.flush().unwrap();
            }
            Coding::Brotli => {
                let mut decoder = brotli::DecompressorWriter::new(&mut out, 4096);
                decoder.write_all(compressed).unwrap();
                decoder.flush().unwrap();
            }
        }
        out
    }

    fn poll(body: &mut Body) -> Poll<Option<Bytes>> {
        let waker = futures::task::noop_waker();
        body.poll_chunk(&mut Context::from_waker(&waker))
            .map(|chunk| chunk.map(|chunk| chunk.unwrap()))
    }

    #[test]
    fn each_burst_is_flushed_when_the_stream_waits() {
        for coding in [Coding::Gzip, Coding::Brotli] {
            let (events, receiver) = mpsc::unbounded::<&'static str>();
            let inner = Body::from_stream(receiver.map(Ok::<_, io::Error>));
            let mut body = compress_stream(inner, Encoder::new(coding, 6, 5));
            let mut sent = Vec::new();

            events.unbounded_send("data: one\n\n").unwrap();
            events.unbounded_send("data: two\n\n").unwrap();
            // Both ready events come out at once, decodable before any more arrive.
            let Poll::Ready(Some(first)) = poll(&mut body) else {
                panic!("{coding:?}: the first burst was held back");
            };
            sent.extend_from_slice(&first);
            assert_eq!(
                decode(coding, &sent),
                b"data: one\n\ndata: two\n\n",
                "{coding:?}"
            );
            assert!(poll(&mut body).is_pending());

            events.unbounded_send("data: three\n\n").unwrap();
            let Poll::Ready(Some(second)) = poll(&mut body) else {
                panic!("{coding:?}: the second burst was held back");
            };
            sent.extend_from_slice(&second);
            assert!(
                decode(coding, &sent).ends_with(b"data: three\n\n"),
                "{coding:?}"
            );

            drop(events);
            while let Poll::Ready(Some(rest)) = poll(&mut body) {
                sent.extend_from_slice(&rest);
            }
            assert!(poll(&mut body).is_ready());
            assert_eq!(
                decode(coding, &sent),
                b"data: one\n\ndata: two\n\ndata: three\n\n",
                "{coding:?}"
            );
        }
    }
}
