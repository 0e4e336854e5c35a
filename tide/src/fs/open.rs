//! Finding and opening the file a request names, on the blocking pool: the directory's
//! index, the containment check that keeps symlinks inside the root, and the precompressed
//! sibling (`.br`, `.gz`) the client accepts.

use std::fs::{File, Metadata};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::accept_encoding::Coding;

/// What the blocking lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// A regular file, open.
    Found(Opened),
    /// A directory named without its trailing `/`: the client is sent there, so that
    /// relative links in its index resolve.
    AddSlash,
    /// Nothing to serve (missing, not a regular file, outside the root, unreadable).
    NotFound,
}

/// An open file to serve.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) file: File,
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
    /// The path the client asked for (its extension gives the type, also for a `.br`
    /// sibling).
    pub(crate) path: PathBuf,
    /// The coding of the sibling served instead, if one was.
    pub(crate) encoding: Option<Coding>,
}

/// How a lookup is done.
#[derive(Debug, Clone)]
pub(crate) struct LookupOptions {
    /// The file a directory is answered with.
    pub(crate) index: Option<String>,
    /// Whether a symlink may lead outside the root.
    pub(crate) follow_symlinks: bool,
}

/// Looks up `relative` below `root` (canonical), trying the siblings for `codings` first, in
/// order; `trailing_slash` tells whether the request named a directory.
pub(crate) fn lookup(
    root: &Path,
    relative: &Path,
    trailing_slash: bool,
    options: &LookupOptions,
    codings: &[Coding],
) -> Lookup {
    let mut path = root.join(relative);
    let Some(metadata) = contained(root, &path, options) else {
        return Lookup::NotFound;
    };
    if metadata.is_dir() {
        if !trailing_slash {
            return Lookup::AddSlash;
        }
        let Some(index) = &options.index else {
            return Lookup::NotFound;
        };
        path.push(index);
    } else if trailing_slash {
        return Lookup::NotFound;
    }
    for &coding in codings {
        let mut sibling = path.clone().into_os_string();
        sibling.push(match coding {
            Coding::Brotli => ".br",
            Coding::Gzip => ".gz",
        });
        if let Some(found) = open_file(root, Path::new(&sibling), options) {
            return Lookup::Found(Opened {
                path,
                encoding: Some(coding),
                ..found
            });
        }
    }
    match open_file(root, &path, options) {
        Some(found) => Lookup::Found(found),
        None => Lookup::NotFound,
    }
}

/// Opens `path`, named by the app (so trusted, symlinks and all), if it is a regular file.
pub(crate) fn open_named(path: &Path) -> Option<Opened> {
    let options = LookupOptions {
        index: None,
        follow_symlinks: true,
    };
    open_file(Path::new(""), path, &options)
}

/// Opens `path` if it is a regular file inside the root.
fn open_file(root: &Path, path: &Path, options: &LookupOptions) -> Option<Opened> {
    let metadata = contained(root, path, options)?;
    if !metadata.is_file() {
        return None;
    }
    let file = File::open(path).ok()?;
    // The open file's own metadata: the file may have been replaced since the check.
    let metadata = file.metadata().ok().filter(Metadata::is_file)?;
    Some(Opened {
        file,
        len: metadata.len(),
        modified: metadata.modified().ok(),
        path: path.to_owned(),
        encoding: None,
    })
}

/// The metadata of `path` (symlinks followed) if it exists and, unless symlinks may lead
/// out, its real path is inside `root`.
fn contained(root: &Path, path: &Path, options: &LookupOptions) -> Option<Metadata> {
    let metadata = std::fs::metadata(path).ok()?;
    if !options.follow_symlinks {
        let real = path.canonicalize().ok()?;
        if !real.starts_with(root) {
            return None;
        }
    }
    Some(metadata)
}

/// `dir` made canonical (symlinks resolved): what real paths are checked against.
pub(crate) fn canonical_root(dir: &Path) -> io::Result<PathBuf> {
    dir.canonicalize()
}
