//! romio: an async reactor (work in progress).
