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
    /// The one connection: every ingest, token check and query takes it in turn, so two
    /// uploads never write at once (the store's purge of half-read inputs assumes one
    /// writer). `None` only while being dropped.
    store: Mutex<Option<Store>>,
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
}

impl Drop for Inner {
    /// The PostgreSQL client blocks on its own runtime when it closes, which panics on a
    /// runtime thread: the last request or the listener may drop the state there. The
    /// store is closed on a thread of its own.
    fn drop(&mut self) {
        let store = self
            .store
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(store) = store {
            std::thread::scope(|s| {
                s.spawn(move || drop(store));
            });
        }
    }
}

/// Password checks at once.
const PASSWORD_CHECKS: usize = 2;

/// The analysis of every stored fact, and what it was computed from.
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
    /// How far archives are unpacked (as `kizuna scan --max-unpacked-gib`).
    pub limits: kizuna_evidence::Limits,
}

impl AppState {
    pub fn new(
        store: Store,
        knowledge: Arc<Knowledge>,
        uploads: Uploads,
        fixed_now: Option<Timestamp>,
        secure_cookies: bool,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                store: Mutex::new(Some(store)),
                knowledge,
                judged: Mutex::new(None),
                uploads,
                fixed_now,
                secure_cookies,
                throttle: Default::default(),
                password_checks: tokio::sync::Semaphore::new(PASSWORD_CHECKS),
                trusted_proxies,
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

    pub fn trusted_proxies(&self) -> &[std::net::IpAddr] {
        &self.inner.trusted_proxies
    }

    pub fn now(&self) -> Timestamp {
        self.inner.fixed_now.unwrap_or_else(chrono::Utc::now)
    }

    /// Runs `f` with the store on a blocking thread (the store's drivers block).
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock poisons it; the store itself is left
            // consistent by its transactions, so carry on with it.
            let mut store = state
                .inner
                .store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match store.as_mut() {
                Some(store) => f(store),
                None => Err(ApiError::internal("the server is stopping")),
            }
        })
        .await
        .map_err(|e| ApiError::internal(format!("a store task failed: {e}")))?
    }

    /// The rules over every stored fact, as `kizuna scan` would judge them now; computed
    /// again only when the store changed (in this process or another) or the day did.
    pub fn judged(&self, store: &Store) -> Result<Arc<Analysis>, ApiError> {
        let now = self.now();
        let marker = store.change_marker()?;
        let day = now.date_naive();
        let mut cache = self
            .inner
            .judged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(j) = cache
            .as_ref()
            .filter(|j| j.marker == marker && j.day == day)
        {
            return Ok(j.analysis.clone());
        }
        let expiry = kizuna_pipeline::plan_expiry(store)
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map(|e| (e, now));
        let analysis = Arc::new(kizuna_pipeline::analyze_stored(
            store,
            &FactFilter::default(),
            &self.inner.knowledge,
            None,
            expiry,
            now,
        )?);
        *cache = Some(Judged {
            marker,
            day,
            analysis: analysis.clone(),
        });
        Ok(analysis)
    }
}
