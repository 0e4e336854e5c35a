//! The answer for an open file: `200` with the file streamed, `206` with a part of it,
//! `304` when the client's copy is current, `416` for a range past the end; with the
//! `Content-Type`, `ETag`, `Last-Modified`, `Accept-Ranges` and `Content-Encoding` fields.

use http::StatusCode;

use super::conditional::{Range, Validators};
use super::file_body::FileChunks;
use super::open::Opened;
use crate::{Body, Request, Response};

/// Answers `request` with `opened`; `vary` adds `Vary: Accept-Encoding` (the answer depends
/// on it when precompressed siblings are looked for).
pub(crate) fn respond<State>(request: &Request<State>, opened: Opened, vary: bool) -> Response {
    let validators = Validators::new(
        opened.len,
        opened.modified,
        opened.encoding.map(|coding| coding.token()),
    );
    let mut response = Response::new(StatusCode::OK);
    response.insert_header("etag", &validators.etag);
    if let Some(last_modified) = validators.last_modified() {
        response.insert_header("last-modified", last_modified);
    }
    if vary {
        response.insert_header("vary", "accept-encoding");
    }
    if validators.not_modified(
        request.header("if-none-match"),
        request.header("if-modified-since"),
    ) {
        response.set_status(StatusCode::NOT_MODIFIED);
        return response;
    }
    response.set_content_type(&content_type(&opened));
    response.insert_header("accept-ranges", "bytes");
    if let Some(coding) = opened.encoding {
        response.insert_header("content-encoding", coding.token());
    }
    let len = opened.len;
    let range = match validators.if_range_holds(request.header("if-range")) {
        true => Range::parse(request.header("range"), len),
        false => Range::Full,
    };
    let (start, count) = match range {
        Range::Full => (0, len),
        Range::Partial { start, end } => {
            response.set_status(StatusCode::PARTIAL_CONTENT);
            response.insert_header("content-range", format!("bytes {start}-{end}/{len}"));
            (start, end - start + 1)
        }
        Range::Unsatisfiable => {
            response.set_status(StatusCode::RANGE_NOT_SATISFIABLE);
            response.insert_header("content-range", format!("bytes */{len}"));
            return response;
        }
    };
    if count > 0 {
        let chunks = FileChunks::new(opened.file, start, count);
        response.set_body(Body::from_stream_with_length(chunks, count));
    }
    response
}

/// The type the file's extension names; text is declared UTF-8.
fn content_type(opened: &Opened) -> String {
    let mime = mime_guess::from_path(&opened.path).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || mime.subtype() == mime_guess::mime::JAVASCRIPT
        || mime.subtype() == mime_guess::mime::JSON;
    match textual && mime.get_param(mime_guess::mime::CHARSET).is_none() {
        true => format!("{mime}; charset=utf-8"),
        false => mime.to_string(),
    }
}
