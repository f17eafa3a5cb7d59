//! What every request shares: the store (one writer), the knowledge, the judgement of the
//! whole store (cached until facts or plans change) and the upload settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kizuna_core::{Knowledge, Timestamp};
use kizuna_rules::Analysis;
use kizuna_store::{FactFilter, Store};

use crate::error::ApiError;

/// Server-wide state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    /// The connection that writes: uploads commit, tokens, accounts, sessions, notes and
    /// the audit log take it in turn, so two uploads never write at once (the store's
    /// purge of half-read inputs assumes one writer). `None` only while being dropped.
    store: Mutex<Option<Store>>,
    /// The connections that read: findings, pages, reports and token checks. Reads see
    /// what was committed (SQLite's write-ahead log, PostgreSQL's snapshots), so they
    /// never wait for an upload being taken in; there are a few, so one request waiting
    /// for a fresh judgement does not hold up the others.
    readers: Vec<Mutex<Option<Store>>>,
    /// The next reader to wait for when all are busy.
    next_reader: std::sync::atomic::AtomicUsize,
    /// The connection the whole store is judged on, by one request at a time.
    judge: Mutex<Option<Store>>,
    /// Uploads being read into their staging stores at once (each may use `threads`).
    staging: Arc<tokio::sync::Semaphore>,
    /// Uploads in progress per token or account (received, read or waiting to commit).
    per_token: Mutex<std::collections::HashMap<String, usize>>,
    knowledge: Arc<Knowledge>,
    judged: Mutex<Option<Judged>>,
    uploads: Uploads,
    /// A fixed "now" (`KIZUNA_NOW`), so a run can be reproduced; else the clock.
    fixed_now: Option<Timestamp>,
    /// Browsers reach the server over HTTPS (its own, or a proxy's): cookies get `Secure`.
    secure_cookies: bool,
    /// Failed sign-ins by address and account name.
    throttle: crate::throttle::Throttle,
    /// Password checks (argon2) running at once.
    password_checks: tokio::sync::Semaphore,
    /// Proxies whose `X-Forwarded-For` names the client.
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Signs the sign-in form's tokens ([`crate::login_token`]); new for each start.
    login_key: crate::login_token::Key,
}

impl Drop for Inner {
    /// The PostgreSQL client blocks on its own runtime when it closes, which panics on a
    /// runtime thread: the last request or the listener may drop the state there. The
    /// store is closed on a thread of its own.
    fn drop(&mut self) {
        let stores: Vec<Option<Store>> = [&mut self.store, &mut self.judge]
            .into_iter()
            .chain(self.readers.iter_mut())
            .map(|m| m.get_mut().unwrap_or_else(|p| p.into_inner()).take())
            .collect();
        std::thread::scope(|s| {
            s.spawn(move || drop(stores));
        });
    }
}

/// Password checks at once.
const PASSWORD_CHECKS: usize = 2;

/// Reading connections per server.
pub const READERS: usize = 4;

/// The server's connections to its store, each with one job.
pub struct Connections {
    /// Writes (uploads commit, tokens, accounts, sessions, notes, the audit log).
    pub writer: Store,
    /// Read (findings, pages, reports, token checks); [`READERS`] of them.
    pub readers: Vec<Store>,
    /// Judges the whole store.
    pub judge: Store,
}

impl Connections {
    /// Opens every connection to the store at `location` (the first one migrates it).
    pub fn open(
        location: &kizuna_store::Location,
    ) -> Result<Connections, kizuna_store::StoreError> {
        Ok(Connections {
            writer: Store::connect(location)?,
            readers: (0..READERS)
                .map(|_| Store::connect(location))
                .collect::<Result<_, _>>()?,
            judge: Store::connect(location)?,
        })
    }
}

/// The analysis of every stored fact, and what it was computed from.
#[derive(Clone)]
struct Judged {
    marker: String,
    day: chrono::NaiveDate,
    analysis: Arc<Analysis>,
}

/// How uploads are received and read.
#[derive(Debug, Clone)]
pub struct Uploads {
    /// Where uploaded files wait while they are read; removed after each upload.
    pub scratch: PathBuf,
    /// Largest request body, in bytes.
    pub max_bytes: u64,
    /// Threads reading one upload.
    pub threads: usize,
    /// How far archives are unpacked (as `kizuna scan --max-unpacked-gib`);
    /// `max_unpacked` counts for all files of one upload together.
    pub limits: kizuna_evidence::Limits,
    /// How slowly a body may arrive before the upload is cut.
    pub pace: BodyPace,
    /// Uploads one token may have in progress at once; more are answered 429.
    pub per_token: usize,
}

/// The pace an upload's body must keep: a client that sends nothing for `idle`, or less
/// than `min_rate` bytes a second on average once `grace` has passed, is cut (408), so a
/// few slow clients cannot hold sockets and scratch folders for ever.
#[derive(Debug, Clone, Copy)]
pub struct BodyPace {
    pub idle: std::time::Duration,
    pub min_rate: u64,
    pub grace: std::time::Duration,
}

impl Default for BodyPace {
    fn default() -> Self {
        BodyPace {
            idle: std::time::Duration::from_secs(30),
            min_rate: 10 << 10,
            grace: std::time::Duration::from_secs(30),
        }
    }
}

/// Uploads read into staging stores at once: reading is CPU-bound, more would only
/// share the same cores.
const STAGING_AT_ONCE: usize = 2;

/// An upload counted against its token (or account) until dropped.
pub struct UploadSlot {
    state: AppState,
    actor: String,
}

impl Drop for UploadSlot {
    fn drop(&mut self) {
        let mut map = self
            .state
            .inner
            .per_token
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.actor) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.actor);
            }
        }
    }
}

impl AppState {
    /// The state over the connections to one store.
    pub fn new(
        connections: Connections,
        knowledge: Arc<Knowledge>,
        uploads: Uploads,
        fixed_now: Option<Timestamp>,
        secure_cookies: bool,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store: Mutex::new(Some(connections.writer)),
                readers: connections
                    .readers
                    .into_iter()
                    .map(|r| Mutex::new(Some(r)))
                    .collect(),
                next_reader: Default::default(),
                judge: Mutex::new(Some(connections.judge)),
                staging: Arc::new(tokio::sync::Semaphore::new(STAGING_AT_ONCE)),
                per_token: Default::default(),
                knowledge,
                judged: Mutex::new(None),
                uploads,
                fixed_now,
                secure_cookies,
                throttle: Default::default(),
                password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS),
                trusted_proxies,
                login_key: crate::login_token::Key::random(),
            }),
        }
    }

    pub fn knowledge(&self) -> &Arc<Knowledge> {
        &self.inner.knowledge
    }

    pub fn uploads(&self) -> &Uploads {
        &self.inner.uploads
    }

    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    pub fn throttle(&self) -> &crate::throttle::Throttle {
        &self.inner.throttle
    }

    /// Permits for password checks: argon2 is slow on purpose, and a burst of sign-ins
    /// must not take every core.
    pub fn password_checks(&self) -> &tokio::sync::Semaphore {
        &self.inner.password_checks
    }

    pub fn login_key(&self) -> &crate::login_token::Key {
        &self.inner.login_key
    }

    pub fn trusted_proxies(&self) -> &[std::net::IpAddr] {
        &self.inner.trusted_proxies
    }

    pub fn now(&self) -> Timestamp {
        self.inner.fixed_now.unwrap_or_else(chrono::Utc::now)
    }

    /// Runs `f` with the writing connection on a blocking thread (the store's drivers
    /// block). For anything that changes the store.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || use_store(&state.inner.store, f))
            .await
            .map_err(|e| ApiError::internal(format!("a store task failed: {e}")))?
    }

    /// Runs `f` with the reading connection on a blocking thread: for queries, which then
    /// never wait for an upload being committed.
    pub async fn with_reader<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let readers = &state.inner.readers;
            // A free reader if there is one, else the next in turn.
            for r in readers {
                if let Ok(mut store) = r.try_lock() {
                    return match store.as_mut() {
                        Some(store) => f(store),
                        None => Err(ApiError::internal("the server is stopping")),
                    };
                }
            }
            let i = state
                .inner
                .next_reader
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            use_store(&readers[i % readers.len()], f)
        })
        .await
        .map_err(|e| ApiError::internal(format!("a store task failed: {e}")))?
    }

    /// Runs `f` with the writing connection now if no one else holds it, else not at
    /// all: for bookkeeping that may be skipped (a token's last use).
    pub fn try_with_store(&self, f: impl FnOnce(&mut Store)) {
        if let Ok(mut store) = self.inner.store.try_lock()
            && let Some(store) = store.as_mut()
        {
            f(store);
        }
    }

    /// A permit to read an upload into its staging store. It is owned, so the reading
    /// keeps it until it ends even when the client that sent the upload went away (the
    /// reading cannot be stopped midway; the bound must hold for it too).
    pub async fn staging_permit(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.inner
            .staging
            .clone()
            .acquire_owned()
            .await
            .expect("the staging semaphore is never closed")
    }

    /// Counts an upload against `actor` (a token or an account); `None` when it has as
    /// many in progress as it may.
    pub fn upload_slot(&self, actor: &str) -> Option<UploadSlot> {
        let mut map = self
            .inner
            .per_token
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let n = map.entry(actor.to_string()).or_insert(0);
        if *n >= self.inner.uploads.per_token.max(1) {
            return None;
        }
        *n += 1;
        Some(UploadSlot {
            state: self.clone(),
            actor: actor.to_string(),
        })
    }

    /// The rules over every stored fact, as `kizuna scan` would judge them now; computed
    /// again only when the store changed (in this process or another) or the day did.
    /// `store` (a reader) only tells whether it changed: the judging runs on a connection
    /// of its own, one request at a time. While one request judges new evidence, others
    /// get the judgement from before it instead of waiting (uploads arriving by the
    /// hundred would otherwise make every read wait for a judgement of the whole store);
    /// the request that judges — the first read after a change — gets the new one.
    pub fn judged(&self, store: &Store) -> Result<Arc<Analysis>, ApiError> {
        let now = self.now();
        let marker = store.change_marker()?;
        let day = now.date_naive();
        let current = |j: &Judged| j.marker == marker && j.day == day;
        let previous = self.cached();
        if let Some(j) = previous.as_ref().filter(|j| current(j)) {
            return Ok(j.analysis.clone());
        }
        let mut judge = match self.inner.judge.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                if let Some(j) = previous.filter(|j| j.day == day) {
                    return Ok(j.analysis);
                }
                self.inner
                    .judge
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
            }
        };
        // Judged meanwhile by the request this one waited for?
        if let Some(j) = self.cached().filter(|j| current(j)) {
            return Ok(j.analysis);
        }
        let Some(judge) = judge.as_mut() else {
            return Err(ApiError::internal("the server is stopping"));
        };
        // What this judgement reflects at least (a later change gets judged again).
        let marker = judge.change_marker()?;
        let expiry = kizuna_pipeline::plan_expiry(judge)
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map(|e| (e, now));
        let analysis = Arc::new(kizuna_pipeline::analyze_stored(
            judge,
            &FactFilter::default(),
            &self.inner.knowledge,
            None,
            expiry,
            now,
        )?);
        *self
            .inner
            .judged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Judged {
            marker,
            day,
            analysis: analysis.clone(),
        });
        Ok(analysis)
    }

    fn cached(&self) -> Option<Judged> {
        self.inner
            .judged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Runs `f` with the store behind `lock`. A panic while holding the lock poisons it; the
/// store itself is left consistent by its transactions, so carry on with it.
fn use_store<T>(
    lock: &Mutex<Option<Store>>,
    f: impl FnOnce(&mut Store) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let mut store = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match store.as_mut() {
        Some(store) => f(store),
        None => Err(ApiError::internal("the server is stopping")),
    }
}
