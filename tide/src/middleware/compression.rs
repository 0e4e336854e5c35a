//! [`Compression`]: responses compressed with gzip or brotli for clients that accept them.

use std::sync::Arc;

use http::{Method, StatusCode};

use super::compressed_body::{Encoder, compress_stream};
use super::{Middleware, Next};
use crate::accept_encoding::{AcceptEncoding, Coding};
use crate::endpoint::BoxFuture;
use crate::{Body, Request, Response, Result};

/// Compresses responses with brotli or gzip, as the request's `Accept-Encoding` (q-values
/// included) prefers; brotli wins a tie. (Feature `compression`.)
///
/// A response is compressed only when it makes sense, and then gets `Content-Encoding`,
/// `Vary: Accept-Encoding`, no `Content-Length` field of the handler's (the server frames
/// the new body), and its strong `ETag` made weak (the bytes differ from the original's).
/// It is left alone when:
/// - its body is known to be smaller than [`min_size`](Compression::min_size) (1 KiB);
/// - it already has a `Content-Encoding`, is a range (`206`, `Content-Range`), or its
///   status has no body (`204`, `304`, `1xx`);
/// - its type does not compress: only text (`text/*`), JSON, JavaScript, XML (`+json` and
///   `+xml` types too), WebAssembly, SVG and uncompressed fonts are compressed — images,
///   video, audio, archives and types not named are not, and neither is a response without
///   a `Content-Type`;
/// - it says `Cache-Control: no-transform`.
///
/// A body in memory is compressed at once (its new length is known); a streamed body is
/// compressed as it streams, and whenever the stream has nothing ready the encoder is
/// flushed, so that every burst (a server-sent event, say) reaches the client whole and
/// decodable without waiting for more.
///
/// ```
/// use tide::middleware::Compression;
///
/// let mut app = tide::new();
/// app.with(Compression::new());
/// app.at("/").get(|_| async { Ok("hello ".repeat(1000)) });
/// # tide::runtime::block_on(async {
/// let request = http::Request::get("/")
///     .header("accept-encoding", "gzip;q=0.8, br")
///     .body(tide::Body::empty())
///     .unwrap();
/// let response = tide::testing::send(&app, request).await;
/// assert_eq!(response.header("content-encoding").unwrap(), "br");
/// assert_eq!(response.header("vary").unwrap(), "accept-encoding");
/// assert!(response.body().len().unwrap() < 100);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Compression {
    offered: Vec<Coding>,
    min_size: u64,
    gzip_level: u32,
    brotli_quality: u32,
}

impl Default for Compression {
    fn default() -> Compression {
        Compression::new()
    }
}

impl Compression {
    /// Brotli (quality 5) and gzip (level 6) for bodies of 1 KiB and more.
    pub fn new() -> Compression {
        Compression {
            offered: vec![Coding::Brotli, Coding::Gzip],
            min_size: 1024,
            gzip_level: 6,
            brotli_quality: 5,
        }
    }

    /// Whether gzip is offered (default: yes).
    pub fn gzip(self, on: bool) -> Compression {
        self.offer(Coding::Gzip, on)
    }

    /// Whether brotli is offered (default: yes).
    pub fn brotli(self, on: bool) -> Compression {
        self.offer(Coding::Brotli, on)
    }

    fn offer(mut self, coding: Coding, on: bool) -> Compression {
        self.offered.retain(|&offered| offered != coding);
        if on {
            self.offered.push(coding);
            // Brotli first: it wins ties.
            self.offered.sort_by_key(|&coding| coding != Coding::Brotli);
        }
        self
    }

    /// Bodies known to be shorter than this are sent as they are (default 1024 bytes).
    pub fn min_size(mut self, bytes: u64) -> Compression {
        self.min_size = bytes;
        self
    }

    /// The gzip level, 0 (none) to 9 (smallest, slowest); default 6.
    ///
    /// # Panics
    ///
    /// If `level` is above 9.
    #[track_caller]
    pub fn gzip_level(mut self, level: u32) -> Compression {
        assert!(
            level <= 9,
            "Compression::gzip_level({level}): gzip levels go from 0 to 9"
        );
        self.gzip_level = level;
        self
    }

    /// The brotli quality, 0 (fastest) to 11 (smallest, far too slow for dynamic
    /// responses); default 5.
    ///
    /// # Panics
    ///
    /// If `quality` is above 11.
    #[track_caller]
    pub fn brotli_quality(mut self, quality: u32) -> Compression {
        assert!(
            quality <= 11,
            "Compression::brotli_quality({quality}): brotli qualities go from 0 to 11"
        );
        self.brotli_quality = quality;
        self
    }

    /// Whether `response` may be compressed at all (then its answer varies with
    /// `Accept-Encoding`).
    fn applies_to(&self, response: &Response) -> bool {
        let status = response.status();
        !(status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || status == StatusCode::PARTIAL_CONTENT)
            && response.header("content-encoding").is_none()
            && response.header("content-range").is_none()
            && !response
                .header("cache-control")
                .is_some_and(|value| value.to_ascii_lowercase().contains("no-transform"))
            && response.body().len().is_none_or(|len| len >= self.min_size)
            && response.content_type().is_some_and(compressible_type)
    }

    /// Compresses `response` with `coding`.
    fn compress(&self, response: &mut Response, coding: Coding) -> Result<()> {
        let mut encoder = Encoder::new(coding, self.gzip_level, self.brotli_quality);
        let body = response.take_body();
        let body = match body.as_full() {
            Some(bytes) => {
                encoder.write(bytes)?;
                Body::from(encoder.finish()?)
            }
            None => compress_stream(body, encoder),
        };
        response.set_body(body);
        response.remove_header("content-length");
        response.insert_header("content-encoding", coding.token());
        if let Some(etag) = response.header("etag")
            && etag.starts_with('"')
        {
            let weak = format!("W/{etag}");
            response.insert_header("etag", weak);
        }
        Ok(())
    }
}

impl<State: Send + Sync + 'static> Middleware<State> for Compression {
    fn handle(
        self: Arc<Self>,
        request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        let accept = AcceptEncoding::parse(request.header_values("accept-encoding"));
        let coding = accept.choose(&self.offered);
        // A HEAD answer's body is dropped: announcing the compressed length is not worth
        // compressing a body nobody reads, so HEAD gets the headers without the length.
        let is_head = request.method() == Method::HEAD;
        let running = next.run(request);
        Box::pin(async move {
            let mut response = running.await;
            if !self.applies_to(&response) {
                return Ok(response);
            }
            add_vary(&mut response);
            if let Some(coding) = coding {
                if is_head {
                    response.set_body(Body::from_stream(futures_util::stream::empty::<
                        std::io::Result<bytes::Bytes>,
                    >()));
                    response.remove_header("content-length");
                    response.insert_header("content-encoding", coding.token());
                } else {
                    self.compress(&mut response, coding)?;
                }
            }
            Ok(response)
        })
    }
}

/// Adds `accept-encoding` to `Vary`, unless it is there already (or `Vary: *`).
fn add_vary(response: &mut Response) {
    let varies = response.header_values("vary").any(|value| {
        String::from_utf8_lossy(value)
            .split(',')
            .map(str::trim)
            .any(|name| name == "*" || name.eq_ignore_ascii_case("accept-encoding"))
    });
    if !varies {
        response.append_header("vary", "accept-encoding");
    }
}

/// Whether a body of `content_type` is worth compressing.
fn compressible_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind == "text"
        || subtype.ends_with("+json")
        || subtype.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/javascript"
                | "application/x-javascript"
                | "application/ecmascript"
                | "application/xml"
                | "application/wasm"
                | "application/x-ndjson"
                | "image/svg+xml"
                | "font/ttf"
                | "font/otf"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_types_that_compress() {
        for yes in [
            "text/html; charset=utf-8",
            "text/event-stream",
            "application/json",
            "Application/JSON",
            "application/problem+json",
            "application/atom+xml",
            "image/svg+xml",
            "application/wasm",
        ] {
            assert!(compressible_type(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/jpeg",
            "video/mp4",
            "audio/ogg",
            "application/zip",
            "application/gzip",
            "application/octet-stream",
            "font/woff2",
            "nonsense",
            "",
        ] {
            assert!(!compressible_type(no), "{no}");
        }
    }
}
