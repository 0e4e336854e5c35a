//! [`Error`]: a handler's failure, carrying the status it should be answered with.

use std::fmt;

use http::StatusCode;

/// The result of a handler or middleware.
pub type Result<T = crate::Response> = std::result::Result<T, Error>;

/// A handler's failure: an error and the HTTP status that answers it.
///
/// `?` works on any error in a handler: it becomes a `500 Internal Server Error` whose detail
/// is logged but never sent to the client. To answer with another status, build the error
/// with [`Error::new`] or [`Error::from_str`], or use [`Status::status`] on a result. The
/// message of a 4xx error is the response body, so the client learns what it did wrong.
///
/// # Examples
///
/// ```
/// use tide::{Error, StatusCode};
///
/// let missing = Error::from_str(StatusCode::NOT_FOUND, "no such todo");
/// assert_eq!(missing.status(), StatusCode::NOT_FOUND);
///
/// fn parse(input: &str) -> tide::Result<u32> {
///     Ok(input.parse::<u32>()?) // a ParseIntError becomes a 500
/// }
/// assert_eq!(parse("x").unwrap_err().status(), StatusCode::INTERNAL_SERVER_ERROR);
/// ```
pub struct Error {
    status: StatusCode,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

impl Error {
    /// An error answered with `status`.
    pub fn new(
        status: StatusCode,
        error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        Error {
            status,
            error: error.into(),
        }
    }

    /// An error made of a message, answered with `status`.
    pub fn from_str(status: StatusCode, message: impl fmt::Display) -> Error {
        Error::new(status, message.to_string())
    }

    /// The status the error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Changes the status.
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// The underlying error.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }

    /// The underlying error, if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.error.downcast_ref()
    }

    /// Gives back the underlying error.
    pub fn into_inner(self) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self.error
    }

    /// Whether the client may see the message: only for client errors (4xx).
    pub(crate) fn is_public(&self) -> bool {
        self.status.is_client_error()
    }
}

impl<E> From<E> for Error
where
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    fn from(error: E) -> Error {
        Error::new(StatusCode::INTERNAL_SERVER_ERROR, error)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Sets the status of an error on its way out of a handler, as in
/// `body.parse().status(StatusCode::BAD_REQUEST)?`.
pub trait Status<T> {
    /// Turns the error case into an [`Error`] with `status`.
    fn status(self, status: StatusCode) -> Result<T>;
}

impl<T, E> Status<T> for std::result::Result<T, E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
{
    fn status(self, status: StatusCode) -> Result<T> {
        self.map_err(|error| Error::new(status, error))
    }
}

impl<T> Status<T> for Option<T> {
    fn status(self, status: StatusCode) -> Result<T> {
        self.ok_or_else(|| Error::from_str(status, status.canonical_reason().unwrap_or("error")))
    }
}
