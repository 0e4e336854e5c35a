//! [`FileChunks`]: a part of an open file as a stream of chunks, read on juliex's blocking
//! pool so that a slow disk never stalls a worker.
//!
//! At most two chunks of a file are in memory at once: the one the server is writing and
//! the next one, read ahead while it writes (one read in flight at a time). A 100 MiB file
//! costs the same memory as a 100 KiB one.

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures_core::Stream;
use juliex::JoinHandle;

/// Bytes read from the disk at a time.
pub(crate) const CHUNK_BYTES: usize = 128 * 1024;

/// The result of one read on the blocking pool: the file back, and the chunk.
type ReadResult = (File, io::Result<Bytes>);

/// The next `remaining` bytes of `file` from where it stands, as a stream of chunks.
pub(crate) struct FileChunks {
    /// The file, while no read holds it.
    file: Option<File>,
    /// Where the first read starts; `None` once the file stands there.
    seek_to: Option<u64>,
    /// Bytes not yet asked of the disk.
    remaining: u64,
    /// The read in flight.
    reading: Option<JoinHandle<ReadResult>>,
}

impl FileChunks {
    /// Streams `len` bytes of `file` from byte `start` on.
    pub(crate) fn new(file: File, start: u64, len: u64) -> FileChunks {
        FileChunks {
            file: Some(file),
            seek_to: Some(start).filter(|&start| start > 0),
            remaining: len,
            reading: None,
        }
    }

    /// Starts reading the next chunk, if any is left and no read is in flight.
    fn read_ahead(&mut self) {
        if self.reading.is_some() || self.remaining == 0 {
            return;
        }
        let Some(mut file) = self.file.take() else {
            return;
        };
        let want = self.remaining.min(CHUNK_BYTES as u64) as usize;
        self.remaining -= want as u64;
        let seek_to = self.seek_to.take();
        self.reading = Some(juliex::spawn_blocking(move || {
            let read = match seek_to {
                Some(at) => file.seek(SeekFrom::Start(at)).map(drop),
                None => Ok(()),
            };
            let read = read.and_then(|()| read_up_to(&mut file, want));
            (file, read)
        }));
    }
}

/// Reads `want` bytes; a file that ends first (it shrank while served) is an error, since
/// the response already announced its length.
fn read_up_to(file: &mut File, want: usize) -> io::Result<Bytes> {
    let mut buf = vec![0; want];
    let mut filled = 0;
    while filled < want {
        match file.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being served",
                ));
            }
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(buf.into())
}

impl Stream for FileChunks {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.read_ahead();
        let Some(reading) = this.reading.as_mut() else {
            return Poll::Ready(None);
        };
        let joined = ready!(Pin::new(reading).poll(cx));
        this.reading = None;
        match joined {
            Ok((file, Ok(chunk))) => {
                this.file = Some(file);
                // Read the next chunk while this one is written.
                this.read_ahead();
                Poll::Ready(Some(Ok(chunk)))
            }
            Ok((_, Err(error))) => {
                this.remaining = 0;
                Poll::Ready(Some(Err(error)))
            }
            Err(error) => {
                this.remaining = 0;
                Poll::Ready(Some(Err(io::Error::other(error.to_string()))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::io::Write;

    #[test]
    fn streams_a_part_of_a_file_in_bounded_chunks() {
        let path = std::env::temp_dir().join(format!("tide-file-body-{}", std::process::id()));
        let data: Vec<u8> = (0..(CHUNK_BYTES * 2 + 100))
            .map(|i| (i % 251) as u8)
            .collect();
        File::create(&path).unwrap().write_all(&data).unwrap();
        let file = File::open(&path).unwrap();
        let len = data.len() as u64 - 7 - 3;
        let chunks: Vec<Bytes> = juliex::block_on(
            FileChunks::new(file, 7, len)
                .map(|chunk| chunk.unwrap())
                .collect(),
        );
        std::fs::remove_file(&path).unwrap();
        assert!(chunks.iter().all(|chunk| chunk.len() <= CHUNK_BYTES));
        assert_eq!(chunks.len(), 3);
        assert!(chunks.concat() == data[7..data.len() - 3]);
    }

    #[test]
    fn a_file_that_shrank_is_an_error() {
        let path = std::env::temp_dir().join(format!("tide-file-shrank-{}", std::process::id()));
        File::create(&path).unwrap().write_all(b"short").unwrap();
        let file = File::open(&path).unwrap();
        let items: Vec<io::Result<Bytes>> =
            juliex::block_on(FileChunks::new(file, 0, 10).collect());
        std::fs::remove_file(&path).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].as_ref().unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
