//! Static files: [`ServeDir`] serves a directory, [`ServeFile`] one file; the shortcuts are
//! [`Route::serve_dir`] and [`Route::serve_file`]. (Feature `fs`, on by default.)
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("tide-fs-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # std::fs::write(dir.join("hello.txt"), "Hello from disk").unwrap();
//! let mut app = tide::new();
//! app.at("/static").serve_dir(&dir); // GET /static/hello.txt reads dir/hello.txt
//! # tide::runtime::block_on(async {
//! let mut response = tide::testing::get(&app, "/static/hello.txt").await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.content_type().unwrap(), "text/plain; charset=utf-8");
//! assert!(response.header("etag").is_some());
//! assert_eq!(response.body_string().await, "Hello from disk");
//!
//! // Nothing escapes the directory, however it is spelled.
//! let response = tide::testing::get(&app, "/static/%2e%2e/secret.txt").await;
//! assert_eq!(response.status(), 404);
//! # });
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! What is served, and how:
//! - **Only what is inside the directory.** The path below the route is read as the client
//!   sent it, segment by segment: `..` and `.`, in any encoding (`%2e%2e`, `.%2e`), escaped
//!   separators (`%2f`, `%5c`), backslashes, NUL and control characters, empty segments and
//!   absolute paths are refused with `404`, and so are dotfiles (`.git`, `.env`) unless
//!   [`ServeDir::hidden`] allows them. A symlink whose target lies outside the directory
//!   is not followed unless [`ServeDir::follow_symlinks`] allows it. Only regular files are
//!   served; directories are never listed.
//! - **Validators**: a strong `ETag` (from the size and the modification time) and
//!   `Last-Modified`; `If-None-Match` and `If-Modified-Since` answer `304 Not Modified`.
//! - **Ranges**: `Accept-Ranges: bytes`; a single `Range` answers `206` with its
//!   `Content-Range` (checked against `If-Range`), one past the end `416` with
//!   `Content-Range: bytes */LEN`; several ranges are answered with the whole file.
//! - **Streaming**: a file is read in chunks of 128 KiB on juliex's blocking pool, one chunk
//!   read ahead while the previous one is written: never whole in memory, never blocking a
//!   worker. The response has a `Content-Length`.
//! - `HEAD` answers like `GET` without reading the file; a directory is answered with its
//!   index file (`index.html` by default, [`ServeDir::index`]), and named without its
//!   trailing slash it redirects (`301`) to it; with [`ServeDir::precompressed`], a `.br` or
//!   `.gz` sibling is sent (with `Content-Encoding`) to a client that accepts it.

mod conditional;
mod file_body;
mod open;
mod request_path;
mod respond;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use http::StatusCode;

use crate::accept_encoding::{AcceptEncoding, Coding};
use crate::endpoint::{BoxFuture, Endpoint};
use crate::{Error, Request, Response, Result, Route};
use open::{Lookup, LookupOptions};

/// Serves the files of a directory, below a route that ends in a wildcard (see the
/// [module docs](self) for what is served and what is refused).
///
/// [`Route::serve_dir`] is the shortcut with the defaults; to change them, add a `ServeDir`
/// as the `GET` endpoint of a wildcard route:
///
/// ```
/// use tide::fs::ServeDir;
///
/// # let dir = std::env::temp_dir().join(format!("tide-serve-dir-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(dir.join("docs")).unwrap();
/// # std::fs::write(dir.join("docs/start.html"), "<h1>Start</h1>").unwrap();
/// let mut app = tide::new();
/// app.at("/assets/*").get(ServeDir::new(&dir).index("start.html").precompressed(true));
/// # tide::runtime::block_on(async {
/// let response = tide::testing::get(&app, "/assets/docs").await;
/// assert_eq!(response.status(), 301);
/// assert_eq!(response.header("location").unwrap(), "/assets/docs/");
/// let mut response = tide::testing::get(&app, "/assets/docs/").await;
/// assert_eq!(response.content_type().unwrap(), "text/html; charset=utf-8");
/// assert_eq!(response.body_string().await, "<h1>Start</h1>");
/// # });
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ServeDir {
    inner: Arc<DirInner>,
}

#[derive(Debug, Clone)]
struct DirInner {
    root: PathBuf,
    /// The root with symlinks resolved, once it could be.
    canonical: OnceLock<PathBuf>,
    lookup: LookupOptions,
    hidden: bool,
    precompressed: bool,
}

impl ServeDir {
    /// Serves the files below `root`, with `index.html` for directories, no dotfiles, no
    /// symlinks out of `root`, and no precompressed siblings.
    pub fn new(root: impl AsRef<Path>) -> ServeDir {
        ServeDir {
            inner: Arc::new(DirInner {
                root: root.as_ref().to_owned(),
                canonical: OnceLock::new(),
                lookup: LookupOptions {
                    index: Some("index.html".to_owned()),
                    follow_symlinks: false,
                },
                hidden: false,
                precompressed: false,
            }),
        }
    }

    fn edit(mut self, change: impl FnOnce(&mut DirInner)) -> ServeDir {
        change(Arc::make_mut(&mut self.inner));
        self
    }

    /// The file a directory is answered with (default `index.html`).
    ///
    /// # Panics
    ///
    /// If `index` is not a plain file name (a separator, `..`).
    #[track_caller]
    pub fn index(self, index: &str) -> ServeDir {
        assert!(
            request_path::resolve(index, true)
                .is_some_and(|p| !p.trailing_slash && p.path.components().count() == 1),
            "ServeDir::index({index:?}): the index is a file name in the directory, without `/`"
        );
        self.edit(|inner| inner.lookup.index = Some(index.to_owned()))
    }

    /// Answers a directory with `404` rather than an index file.
    pub fn no_index(self) -> ServeDir {
        self.edit(|inner| inner.lookup.index = None)
    }

    /// Whether files and directories whose name starts with `.` are served (default: no,
    /// they answer `404`).
    pub fn hidden(self, hidden: bool) -> ServeDir {
        self.edit(|inner| inner.hidden = hidden)
    }

    /// Whether a symlink may lead outside the root (default: no, it answers `404`).
    pub fn follow_symlinks(self, follow: bool) -> ServeDir {
        self.edit(|inner| inner.lookup.follow_symlinks = follow)
    }

    /// Whether `FILE.br` and `FILE.gz`, when they exist, are sent for `FILE` to a client
    /// whose `Accept-Encoding` takes them (brotli first on a tie), with `Content-Encoding`
    /// and `Vary: Accept-Encoding` (default: no).
    pub fn precompressed(self, precompressed: bool) -> ServeDir {
        self.edit(|inner| inner.precompressed = precompressed)
    }

    async fn serve<State>(self, mut request: Request<State>) -> Result<Response> {
        let Some(raw) = request.take_raw_rest() else {
            return Err(Error::from_str(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServeDir must be the endpoint of a route ending in a wildcard \
                 (`app.at(\"/static/*\")`), or use Route::serve_dir",
            ));
        };
        let inner = self.inner;
        let Some(mut relative) = request_path::resolve(&raw, inner.hidden) else {
            return Ok(not_found());
        };
        if raw.is_empty() {
            relative.trailing_slash = request.path().ends_with('/');
        }
        let codings = match inner.precompressed {
            true => accepted(&request),
            false => Vec::new(),
        };
        let looked_up = {
            let inner = inner.clone();
            juliex::spawn_blocking(move || {
                let root = match inner.canonical.get() {
                    Some(root) => root.clone(),
                    None => match open::canonical_root(&inner.root) {
                        Ok(root) => inner.canonical.get_or_init(|| root).clone(),
                        Err(_) => return Lookup::NotFound,
                    },
                };
                open::lookup(
                    &root,
                    &relative.path,
                    relative.trailing_slash,
                    &inner.lookup,
                    &codings,
                )
            })
        };
        match looked_up.await.map_err(blocking_failed)? {
            Lookup::Found(opened) => Ok(respond::respond(&request, opened, inner.precompressed)),
            Lookup::AddSlash => Ok(add_slash(&request)),
            Lookup::NotFound => Ok(not_found()),
        }
    }
}

impl<State: Send + Sync + 'static> Endpoint<State> for ServeDir {
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        Box::pin(self.clone().serve(request))
    }
}

/// Serves one file, named by the app (not by the request), with the same validators,
/// ranges and streaming as [`ServeDir`].
///
/// ```
/// # let path = std::env::temp_dir().join(format!("tide-serve-file-doc-{}.css", std::process::id()));
/// # std::fs::write(&path, "body { margin: 0 }").unwrap();
/// let mut app = tide::new();
/// app.at("/style.css").serve_file(&path);
/// # tide::runtime::block_on(async {
/// let request = http::Request::get("/style.css")
///     .header("range", "bytes=0-3")
///     .body(tide::Body::empty())
///     .unwrap();
/// let mut response = tide::testing::send(&app, request).await;
/// assert_eq!(response.status(), 206);
/// assert_eq!(response.header("content-range").unwrap(), "bytes 0-3/18");
/// assert_eq!(response.content_type().unwrap(), "text/css; charset=utf-8");
/// assert_eq!(response.body_string().await, "body");
/// # });
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ServeFile {
    path: Arc<PathBuf>,
}

impl ServeFile {
    /// Serves the file at `path`.
    pub fn new(path: impl AsRef<Path>) -> ServeFile {
        ServeFile {
            path: Arc::new(path.as_ref().to_owned()),
        }
    }
}

impl<State: Send + Sync + 'static> Endpoint<State> for ServeFile {
    fn call(&self, request: Request<State>) -> BoxFuture<'static, Result<Response>> {
        let path = self.path.clone();
        Box::pin(async move {
            let opened = juliex::spawn_blocking(move || open::open_named(&path))
                .await
                .map_err(blocking_failed)?;
            match opened {
                Some(opened) => Ok(respond::respond(&request, opened, false)),
                None => Ok(not_found()),
            }
        })
    }
}

impl<State: Clone + Send + Sync + 'static> Route<'_, State> {
    /// Serves the directory `dir` at this path and below, with [`ServeDir`]'s defaults:
    /// `app.at("/static").serve_dir("public")` answers `GET /static/app.js` with
    /// `public/app.js`. See the [`fs`](crate::fs) module for what is served and refused.
    pub fn serve_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.at("*").get(ServeDir::new(dir));
        self
    }

    /// Serves the file at `path` at this path ([`ServeFile`]).
    pub fn serve_file(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.get(ServeFile::new(path))
    }
}

/// The codings the client accepts for a precompressed sibling, best first.
fn accepted<State>(request: &Request<State>) -> Vec<Coding> {
    let accept = AcceptEncoding::parse(request.header_values("accept-encoding"));
    let mut codings: Vec<Coding> = [Coding::Brotli, Coding::Gzip]
        .into_iter()
        .filter(|&coding| accept.q(coding) > 0)
        .collect();
    // Highest q-value first; the sort is stable, so brotli stays first on a tie.
    codings.sort_by_key(|&coding| std::cmp::Reverse(accept.q(coding)));
    codings
}

fn blocking_failed(error: juliex::JoinError) -> Error {
    Error::from_str(StatusCode::INTERNAL_SERVER_ERROR, error)
}

fn not_found() -> Response {
    Error::from_str(StatusCode::NOT_FOUND, "Not Found").into()
}

/// `301` to the same path with a trailing slash (and the same query).
fn add_slash<State>(request: &Request<State>) -> Response {
    let mut location = format!("{}/", request.path());
    if let Some(query) = request.query_str() {
        location.push('?');
        location.push_str(query);
    }
    let mut response = Response::new(StatusCode::MOVED_PERMANENTLY);
    response.insert_header("location", location);
    response
}
