//! Multipart forms (`multipart/form-data`): [`Request::multipart`] streams the fields and
//! files of an upload, parsed by `multer` as the body arrives, within [`MultipartLimits`].
//! (Feature `multipart`.)
//!
//! ```
//! use tide::Request;
//!
//! let mut app = tide::new();
//! app.at("/upload").post(|mut req: Request<()>| async move {
//!     let mut form = req.multipart()?;
//!     let mut report = Vec::new();
//!     while let Some(mut field) = form.next_field().await? {
//!         let name = field.name().unwrap_or("").to_owned();
//!         match field.file_name().map(str::to_owned) {
//!             // A file: stream it (to disk, say) chunk by chunk, never whole in memory.
//!             Some(file_name) => {
//!                 let mut size = 0;
//!                 while let Some(chunk) = field.chunk().await? {
//!                     size += chunk.len();
//!                 }
//!                 report.push(format!("{name}: {file_name}, {size} bytes"));
//!             }
//!             None => report.push(format!("{name} = {}", field.text().await?)),
//!         }
//!     }
//!     Ok(report.join("\n"))
//! });
//! # tide::runtime::block_on(async {
//! let body = "--XYZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday\r\n\
//!             --XYZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\
//!             Content-Type: image/jpeg\r\n\r\n0123456789\r\n--XYZ--\r\n";
//! let request = http::Request::post("/upload")
//!     .header("content-type", "multipart/form-data; boundary=XYZ")
//!     .body(tide::Body::from(body))
//!     .unwrap();
//! let mut response = tide::testing::send(&app, request).await;
//! assert_eq!(response.body_string().await, "title = Holiday\nphoto: a.jpg, 10 bytes");
//! # });
//! ```
//!
//! A body that is not `multipart/form-data` (or has no boundary) answers `415`; malformed
//! multipart `400`; a form past a limit `413`, each with a message saying which.

use bytes::Bytes;
use http::StatusCode;

use crate::{Error, Request, Result};

/// How much of a multipart body [`Request::multipart`] accepts; past a limit, reading
/// fails with `413 Payload Too Large`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Most fields (files included); default 100.
    pub max_fields: usize,
    /// Most bytes in one field's value (a file's content); default 8 MiB.
    pub max_field_bytes: u64,
    /// Most bytes in the whole body; default 16 MiB.
    pub max_total_bytes: u64,
}

impl Default for MultipartLimits {
    fn default() -> MultipartLimits {
        MultipartLimits {
            max_fields: 100,
            max_field_bytes: 8 * 1024 * 1024,
            max_total_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The fields of a multipart body, as they arrive; from [`Request::multipart`].
pub struct Multipart {
    inner: multer::Multipart<'static>,
    fields: usize,
    max_fields: usize,
}

impl Multipart {
    /// The next field, or `None` after the last one. The previous field must have been
    /// read or dropped.
    pub async fn next_field(&mut self) -> Result<Option<Field>> {
        let Some(field) = self.inner.next_field().await.map_err(error)? else {
            return Ok(None);
        };
        self.fields += 1;
        if self.fields > self.max_fields {
            return Err(Error::from_str(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the form has more than {} fields", self.max_fields),
            ));
        }
        Ok(Some(Field { inner: field }))
    }
}

impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multipart")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

/// One field of a multipart form: a value or a file.
pub struct Field {
    inner: multer::Field<'static>,
}

impl Field {
    /// The field's name.
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The file name, for a file (as the client sent it: never use it as a path unchecked).
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The content type the client gave the field.
    pub fn content_type(&self) -> Option<String> {
        self.inner.content_type().map(ToString::to_string)
    }

    /// The next chunk of the value; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        self.inner.chunk().await.map_err(error)
    }

    /// The whole value (bounded by the field limit).
    pub async fn bytes(self) -> Result<Bytes> {
        self.inner.bytes().await.map_err(error)
    }

    /// The whole value as text (in the field's charset, UTF-8 by default).
    pub async fn text(self) -> Result<String> {
        self.inner.text().await.map_err(error)
    }
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name())
            .field("file_name", &self.file_name())
            .finish_non_exhaustive()
    }
}

impl<State> Request<State> {
    /// The body as a multipart form, with the default [`MultipartLimits`] (see the
    /// [module docs](crate::multipart)); `415` if the body is not `multipart/form-data`.
    /// The body is taken: read the form through the returned [`Multipart`].
    pub fn multipart(&mut self) -> Result<Multipart> {
        self.multipart_with(MultipartLimits::default())
    }

    /// The body as a multipart form, within `limits`.
    pub fn multipart_with(&mut self, limits: MultipartLimits) -> Result<Multipart> {
        let boundary = self
            .content_type()
            .filter(|content_type| {
                content_type.split(';').next().is_some_and(|essence| {
                    essence.trim().eq_ignore_ascii_case("multipart/form-data")
                })
            })
            .and_then(|content_type| multer::parse_boundary(content_type).ok())
            .ok_or_else(|| {
                Error::from_str(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "expected a multipart/form-data body with a boundary",
                )
            })?;
        let constraints = multer::Constraints::new().size_limit(
            multer::SizeLimit::new()
                .whole_stream(limits.max_total_bytes)
                .per_field(limits.max_field_bytes),
        );
        let body = self.take_body();
        Ok(Multipart {
            inner: multer::Multipart::with_constraints(body, boundary, constraints),
            fields: 0,
            max_fields: limits.max_fields,
        })
    }
}

/// A multer error as the response it calls for.
fn error(error: multer::Error) -> Error {
    let status = match &error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            StatusCode::PAYLOAD_TOO_LARGE
        }
        multer::Error::StreamReadFailed(cause) => match cause.downcast_ref::<crate::BodyError>() {
            Some(body_error) => body_error.status(),
            None => StatusCode::BAD_REQUEST,
        },
        _ => StatusCode::BAD_REQUEST,
    };
    let message = match &error {
        multer::Error::FieldSizeExceeded { limit, field_name } => format!(
            "the form field {:?} is larger than {limit} bytes",
            field_name.as_deref().unwrap_or("")
        ),
        multer::Error::StreamSizeExceeded { limit } => {
            format!("the form is larger than {limit} bytes")
        }
        other => format!("malformed multipart form: {other}"),
    };
    Error::from_str(status, message)
}
