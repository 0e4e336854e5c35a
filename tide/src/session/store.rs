//! [`SessionStore`]: where session data lives between requests, and [`MemoryStore`], the
//! in-memory store with expiry.

use std::collections::HashMap;
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::endpoint::BoxFuture;

/// A session's data: its values by key, each serialized as JSON.
pub type SessionData = HashMap<String, String>;

/// A stored session: its data and when it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The values.
    pub data: SessionData,
    /// When the store forgets it.
    pub expires: SystemTime,
}

/// Where sessions are kept between requests: memory ([`MemoryStore`]), a database, a cache.
/// The middleware calls it with ids it has verified (signed by the app); ids are 43
/// characters of base64url.
///
/// An expired record must not be loaded.
pub trait SessionStore: Send + Sync + 'static {
    /// The record stored under `id`, if there is one that has not expired.
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, io::Result<Option<Record>>>;
    /// Stores `record` under `id`, replacing what was there.
    fn save<'a>(&'a self, id: &'a str, record: Record) -> BoxFuture<'a, io::Result<()>>;
    /// Forgets `id`.
    fn destroy<'a>(&'a self, id: &'a str) -> BoxFuture<'a, io::Result<()>>;
}

/// A store shared with the rest of the app (to look into it, or to end sessions from
/// elsewhere) is a store too.
impl<S: SessionStore> SessionStore for std::sync::Arc<S> {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, io::Result<Option<Record>>> {
        (**self).load(id)
    }
    fn save<'a>(&'a self, id: &'a str, record: Record) -> BoxFuture<'a, io::Result<()>> {
        (**self).save(id, record)
    }
    fn destroy<'a>(&'a self, id: &'a str) -> BoxFuture<'a, io::Result<()>> {
        (**self).destroy(id)
    }
}

/// Sessions in this process's memory: lost on restart, not shared between processes. Expired
/// records are never loaded, and are swept out as new ones are saved (at most once a
/// [`SWEEP_EVERY`]).
///
/// ```
/// use tide::session::{MemoryStore, SessionMiddleware};
///
/// let mut app = tide::new();
/// app.with(SessionMiddleware::new(MemoryStore::new(), b"a secret of at least 32 bytes!!!"));
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<String, Record>,
    last_sweep: Option<Instant>,
}

/// How often [`MemoryStore`] sweeps expired records out.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// How many records it holds (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The data is plain maps: a panic elsewhere cannot leave it half-changed.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, io::Result<Option<Record>>> {
        let mut inner = self.lock();
        let found = match inner.records.get(id) {
            Some(record) if record.expires > SystemTime::now() => Some(record.clone()),
            Some(_) => {
                inner.records.remove(id);
                None
            }
            None => None,
        };
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save<'a>(&'a self, id: &'a str, record: Record) -> BoxFuture<'a, io::Result<()>> {
        let mut inner = self.lock();
        let now = Instant::now();
        if inner
            .last_sweep
            .is_none_or(|last| now.duration_since(last) >= SWEEP_EVERY)
        {
            let wall = SystemTime::now();
            inner.records.retain(|_, record| record.expires > wall);
            inner.last_sweep = Some(now);
        }
        inner.records.insert(id.to_owned(), record);
        Box::pin(std::future::ready(Ok(())))
    }

    fn destroy<'a>(&'a self, id: &'a str) -> BoxFuture<'a, io::Result<()>> {
        self.lock().records.remove(id);
        Box::pin(std::future::ready(Ok(())))
    }
}
