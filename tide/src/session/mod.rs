//! Sessions: [`SessionMiddleware`] keeps a [`Session`] per visitor in a [`SessionStore`],
//! named by a signed cookie; handlers read and change it through
//! [`Request::session`] and [`Request::session_mut`]. (Feature `sessions`.)
//!
//! ```
//! use tide::session::{MemoryStore, SessionMiddleware};
//! use tide::Request;
//!
//! let mut app = tide::new();
//! app.with(SessionMiddleware::new(MemoryStore::new(), b"use 32 random bytes from a secret"));
//! app.at("/visits").get(|mut req: Request<()>| async move {
//!     let visits: u32 = req.session().get("visits").unwrap_or(0) + 1;
//!     req.session_mut().insert("visits", visits)?;
//!     Ok(format!("visit {visits}"))
//! });
//! # tide::runtime::block_on(async {
//! let mut first = tide::testing::get(&app, "/visits").await;
//! assert_eq!(first.body_string().await, "visit 1");
//! let set_cookie = first.header("set-cookie").unwrap();
//! assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
//! let cookie = set_cookie.split(';').next().unwrap();
//! let request = http::Request::get("/visits").header("cookie", cookie).body(tide::Body::empty()).unwrap();
//! let mut second = tide::testing::send(&app, request).await;
//! assert_eq!(second.body_string().await, "visit 2");
//! # });
//! ```
//!
//! - **The cookie** holds only the session id, signed (HMAC-SHA256 with the app's secret):
//!   `HttpOnly`, `SameSite=Lax`, `Path=/`, a `Max-Age` of the session's lifetime, and
//!   `Secure` when the request came over TLS (an `https` target, or `X-Forwarded-Proto:
//!   https` from a TLS proxy in front; [`SessionMiddleware::secure`] forces it either way).
//! - **A cookie that does not verify** (tampered, forged, signed with an old secret) or that
//!   names an expired or unknown session is ignored: the request gets a fresh, empty session,
//!   never an error page.
//! - **Nothing is stored or sent** for a visitor whose session stays empty: crawlers and
//!   one-off visitors cost no memory.
//! - **Rotation**: [`Session::regenerate`] gives the session a new id (keeping its data) when
//!   its privileges change, as on login, so that an id learnt before cannot be used after;
//!   [`Session::destroy`] ends it (logout) and removes the cookie.
//! - **Expiry**: a session lives [`SessionMiddleware::ttl`] (default 24 hours) from the last
//!   time it was saved; it is saved when it changes, and renewed once less than half its
//!   lifetime is left, so an active visitor keeps it.

mod signed_id;
mod store;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::endpoint::BoxFuture;
use crate::middleware::{Middleware, Next};
use crate::{Cookie, Request, Response, Result, SameSite};
use signed_id::{MIN_SECRET_BYTES, Signer};
pub use store::{MemoryStore, Record, SWEEP_EVERY, SessionData, SessionStore};

/// A visitor's session, as a handler sees it: typed values by key.
///
/// Values are stored as JSON, so anything `Serialize` goes in and comes back out as any
/// type it deserializes into.
#[derive(Debug, Clone)]
pub struct Session {
    /// Shared with the middleware, which saves it after the handler answered.
    shared: Arc<Mutex<SessionState>>,
}

#[derive(Debug, Default)]
struct SessionState {
    data: SessionData,
    changed: bool,
    regenerate: bool,
    destroy: bool,
}

impl Session {
    fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The value under `key`, if there is one of type `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let state = self.lock();
        serde_json::from_str(state.data.get(key)?).ok()
    }

    /// Whether there is a value under `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.lock().data.contains_key(key)
    }

    /// Sets the value under `key` (an error only if `value` cannot be serialized as JSON).
    pub fn insert(&mut self, key: &str, value: impl Serialize) -> Result<()> {
        let json = serde_json::to_string(&value)?;
        let mut state = self.lock();
        state.data.insert(key.to_owned(), json);
        state.changed = true;
        Ok(())
    }

    /// Removes the value under `key`.
    pub fn remove(&mut self, key: &str) {
        let mut state = self.lock();
        if state.data.remove(key).is_some() {
            state.changed = true;
        }
    }

    /// Gives the session a new id, keeping its data: do it on login (any change of
    /// privilege), so that an id someone learnt before is worth nothing after.
    pub fn regenerate(&mut self) {
        let mut state = self.lock();
        state.regenerate = true;
        state.changed = true;
    }

    /// Ends the session: its data is dropped from the store and the client's cookie removed.
    pub fn destroy(&mut self) {
        let mut state = self.lock();
        state.data.clear();
        state.destroy = true;
    }

    /// Whether the session holds no value.
    pub fn is_empty(&self) -> bool {
        self.lock().data.is_empty()
    }
}

impl<State> Request<State> {
    /// The visitor's session (see [`session`](crate::session)).
    ///
    /// # Panics
    ///
    /// If the app has no [`SessionMiddleware`] in front of this handler.
    #[track_caller]
    pub fn session(&self) -> &Session {
        self.ext::<Session>().expect(NO_MIDDLEWARE)
    }

    /// The visitor's session, to change it.
    ///
    /// # Panics
    ///
    /// If the app has no [`SessionMiddleware`] in front of this handler.
    #[track_caller]
    pub fn session_mut(&mut self) -> &mut Session {
        self.ext_mut::<Session>().expect(NO_MIDDLEWARE)
    }
}

const NO_MIDDLEWARE: &str =
    "req.session() needs a SessionMiddleware: add `app.with(SessionMiddleware::new(..))`";

/// Gives each request its visitor's [`Session`], and saves it afterwards (see the
/// [module docs](self)).
pub struct SessionMiddleware<S> {
    store: Arc<S>,
    signer: Signer,
    cookie_name: String,
    ttl: Duration,
    secure: Option<bool>,
}

impl<S: SessionStore> SessionMiddleware<S> {
    /// Sessions in `store`, their cookies signed with `secret` (keep it out of the source
    /// and stable across restarts: changing it ends every session). The cookie is named
    /// `tide.sid`.
    ///
    /// # Panics
    ///
    /// If `secret` is shorter than 32 bytes.
    #[track_caller]
    pub fn new(store: S, secret: &[u8]) -> SessionMiddleware<S> {
        assert!(
            secret.len() >= MIN_SECRET_BYTES,
            "SessionMiddleware::new: the secret has {} bytes; use at least {MIN_SECRET_BYTES} \
             random bytes",
            secret.len()
        );
        SessionMiddleware {
            store: Arc::new(store),
            signer: Signer::new(secret),
            cookie_name: "tide.sid".to_owned(),
            ttl: Duration::from_secs(24 * 60 * 60),
            secure: None,
        }
    }

    /// The cookie's name (default `tide.sid`).
    ///
    /// # Panics
    ///
    /// If `name` is not a valid cookie name.
    #[track_caller]
    pub fn cookie_name(mut self, name: &str) -> SessionMiddleware<S> {
        let _ = Cookie::new(name, "");
        self.cookie_name = name.to_owned();
        self
    }

    /// How long a session lives after it was last saved (default 24 hours).
    pub fn ttl(mut self, ttl: Duration) -> SessionMiddleware<S> {
        self.ttl = ttl;
        self
    }

    /// Sets `Secure` on the cookie always (`true`) or never (`false`), instead of when the
    /// request came over TLS.
    pub fn secure(mut self, secure: bool) -> SessionMiddleware<S> {
        self.secure = Some(secure);
        self
    }

    /// The id a cookie value names, and its record, if it verifies and is stored.
    async fn load(&self, cookie: Option<String>) -> Result<Option<(String, Record)>> {
        let Some(id) = cookie
            .as_deref()
            .and_then(|value| self.signer.verify(value))
        else {
            return Ok(None);
        };
        Ok(self
            .store
            .load(id)
            .await?
            .map(|record| (id.to_owned(), record)))
    }

    fn cookie(&self, value: String, max_age: Duration, secure: bool) -> Cookie {
        Cookie::new(self.cookie_name.clone(), value)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(max_age)
    }
}

/// Whether the request came over TLS, as far as the server can tell.
fn over_tls<State>(request: &Request<State>) -> bool {
    request.uri().scheme_str() == Some("https")
        || request
            .header("x-forwarded-proto")
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

impl<State, S> Middleware<State> for SessionMiddleware<S>
where
    State: Send + Sync + 'static,
    S: SessionStore,
{
    fn handle(
        self: Arc<Self>,
        mut request: Request<State>,
        next: Next<State>,
    ) -> BoxFuture<'static, Result<Response>> {
        Box::pin(async move {
            let secure = self.secure.unwrap_or_else(|| over_tls(&request));
            let cookie = request
                .cookie(&self.cookie_name)
                .map(|cookie| cookie.value().to_owned());
            let loaded = self.load(cookie).await?;
            let (old_id, expires, data) = match loaded {
                Some((id, record)) => (Some(id), Some(record.expires), record.data),
                None => (None, None, SessionData::new()),
            };
            let session = Session {
                shared: Arc::new(Mutex::new(SessionState::with(data))),
            };
            request.insert_ext(session.clone());
            let mut response = next.run(request).await;

            let (data, changed, regenerate, destroy) = {
                let mut state = session.lock();
                let state = &mut *state;
                (
                    std::mem::take(&mut state.data),
                    state.changed,
                    state.regenerate,
                    state.destroy,
                )
            };
            if destroy {
                if let Some(id) = &old_id {
                    self.store.destroy(id).await?;
                }
                if old_id.is_some() || changed {
                    let removal = self.cookie(String::new(), Duration::ZERO, secure);
                    response.insert_cookie(removal.into_removal());
                }
                return Ok(response);
            }
            let now = SystemTime::now();
            let aging = expires.is_some_and(|expires| {
                expires.duration_since(now).unwrap_or_default() < self.ttl / 2
            });
            if !(changed || aging) || (old_id.is_none() && data.is_empty()) {
                return Ok(response);
            }
            let id = match (&old_id, regenerate) {
                (Some(id), false) => id.clone(),
                (Some(old), true) => {
                    self.store.destroy(old).await?;
                    signed_id::new_id()
                }
                (None, _) => signed_id::new_id(),
            };
            let record = Record {
                data,
                expires: now + self.ttl,
            };
            self.store.save(&id, record).await?;
            response.insert_cookie(self.cookie(self.signer.sign(&id), self.ttl, secure));
            Ok(response)
        })
    }
}

impl SessionState {
    fn with(data: SessionData) -> SessionState {
        SessionState {
            data,
            ..SessionState::default()
        }
    }
}

impl<S> std::fmt::Debug for SessionMiddleware<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("cookie_name", &self.cookie_name)
            .field("ttl", &self.ttl)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}
