//! Receiving evidence: a request body (one file, or `multipart/form-data` with several) is
//! streamed to a scratch folder, never held in memory, within a byte budget; then read by
//! the readers of `kizuna scan` with the same archive limits.
//!
//! Files are reported under the name the collector gave (`?name=PC01/System.evtx`, or a
//! part's file name), made safe: only relative path components remain, so a name can
//! neither leave the scratch folder nor pass for a path on the server.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Multipart;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use kizuna_core::InputReport;
use kizuna_core::{Knowledge, Timestamp};
use kizuna_pipeline::{ScanOutcome, ScanSettings, Staged, Window};
use kizuna_store::{AuditRow, Store};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{AppState, BodyPace, UploadSlot, Uploads};

/// The name of a file sent without `?name=` (or with one that reduces to nothing).
pub const UNNAMED: &str = "upload";

/// One received file.
#[derive(Debug, Clone)]
pub struct Received {
    /// Where it waits in the scratch folder.
    pub path: PathBuf,
    /// The name it is reported under.
    pub name: String,
    pub bytes: u64,
}

/// Longest name component kept, in bytes, and most components kept.
const MAX_COMPONENT: usize = 120;
const MAX_COMPONENTS: usize = 8;

/// The name a client sent, as relative components joined by `/`: separators of both
/// kinds split it, `.`, `..`, empty parts, drive letters and control characters go.
/// `None` when nothing is left.
pub fn safe_name(raw: &str) -> Option<String> {
    let parts: Vec<String> = raw
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .map(|p| {
            let clean: String = p.chars().filter(|c| !c.is_control() && *c != ':').collect();
            truncate(clean.trim(), MAX_COMPONENT).to_string()
        })
        .filter(|p| !p.is_empty() && p != "." && p != "..")
        .collect();
    let keep = parts.len().saturating_sub(MAX_COMPONENTS);
    let name = parts[keep..].join("/");
    (!name.is_empty()).then_some(name)
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Bytes still allowed in this request, and the pace its body must keep.
pub struct Budget {
    left: u64,
    max: u64,
    received: u64,
    started: std::time::Instant,
    pace: BodyPace,
}

impl Budget {
    pub fn new(max: u64, pace: BodyPace) -> Budget {
        Budget {
            left: max,
            max,
            received: 0,
            started: std::time::Instant::now(),
            pace,
        }
    }

    fn take(&mut self, n: usize) -> Result<(), ApiError> {
        let n = n as u64;
        if n > self.left {
            return Err(self.refusal());
        }
        self.left -= n;
        self.received += n;
        let late = self.started.elapsed().saturating_sub(self.pace.grace);
        if !late.is_zero()
            && self.received < (late.as_secs_f64() * self.pace.min_rate as f64) as u64
        {
            return Err(self.too_slow());
        }
        Ok(())
    }

    /// Waits for the body's next piece, at most the pace's idle time.
    async fn next<T>(&self, piece: impl std::future::Future<Output = T>) -> Result<T, ApiError> {
        tokio::time::timeout(self.pace.idle, piece)
            .await
            .map_err(|_| self.too_slow())
    }

    fn too_slow(&self) -> ApiError {
        ApiError::new(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "too-slow",
            format!(
                "the upload arrived too slowly (nothing for {} s, or under {} bytes a second \
                 after the first {} s); nothing of it was kept",
                self.pace.idle.as_secs(),
                self.pace.min_rate,
                self.pace.grace.as_secs()
            ),
        )
    }

    fn refusal(&self) -> ApiError {
        ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "the upload is larger than this server accepts ({} bytes)",
                self.max
            ),
        )
    }
}

/// The name of an upload's folder in the scratch folder begins with this.
const UPLOAD_PREFIX: &str = "upload-";
/// The file in an upload's folder that is locked while the upload is in progress.
const LOCK_FILE: &str = ".in-use";
/// The staging store in an upload's folder (received files sit in numbered folders).
const STAGED_DB: &str = "staged.db";

/// One upload's folder in the scratch folder, locked while it lives and removed when
/// dropped; a folder left by a server that died is removed at the next start
/// ([`remove_leftovers`]), one still locked by a running server never.
pub struct UploadDir {
    dir: tempfile::TempDir,
    _lock: std::fs::File,
}

impl UploadDir {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A fresh folder for one upload's files in the scratch folder.
pub fn scratch(uploads: &Uploads) -> Result<UploadDir, ApiError> {
    let made = std::fs::create_dir_all(&uploads.scratch).and_then(|()| {
        let dir = tempfile::Builder::new()
            .prefix(UPLOAD_PREFIX)
            .tempdir_in(&uploads.scratch)?;
        let lock = std::fs::File::create(dir.path().join(LOCK_FILE))?;
        lock.try_lock().map_err(std::io::Error::other)?;
        Ok(UploadDir { dir, _lock: lock })
    });
    made.map_err(|e| ApiError::internal(format!("scratch folder: {e}")))
}

/// Removes the upload folders a server that stopped mid-upload (killed, crashed, the
/// machine lost power) left in the scratch folder. Folders another running server holds
/// locked are left alone; so is one too new to have its lock yet.
pub fn remove_leftovers(uploads: &Uploads) -> usize {
    let Ok(entries) = std::fs::read_dir(&uploads.scratch) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_upload = entry
            .file_name()
            .to_string_lossy()
            .starts_with(UPLOAD_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_upload {
            continue;
        }
        let free = match std::fs::File::open(path.join(LOCK_FILE)) {
            Ok(f) => f.try_lock().is_ok(),
            // Between its creation and its lock: only a folder a minute old is stale.
            Err(_) => entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|e| e.as_secs() > 60)),
        };
        if free && std::fs::remove_dir_all(&path).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        eprintln!(
            "kizuna serve: removed {removed} upload folder(s) an earlier run left in {} \
             (it stopped mid-upload; nothing of those uploads was stored)",
            uploads.scratch.display()
        );
    }
    removed
}

/// What an upload yielded: each input's report, and the scan it was recorded as.
pub struct Uploaded {
    pub reports: Vec<InputReport>,
    /// `{"id", "devices", "findings"}`; `None` when nothing readable came.
    pub scan: Option<Value>,
}

/// One upload on its way in: counted against its sender, received into its own folder,
/// then read and committed ([`Upload::ingest`]). The API and the upload form both use it.
pub struct Upload {
    state: AppState,
    dir: UploadDir,
    budget: Budget,
    actor: String,
    _slot: UploadSlot,
}

impl Upload {
    /// Starts an upload for `actor` (`token:NAME` or `account:NAME`): 429 when it already
    /// has as many in progress as the server allows.
    pub fn begin(state: &AppState, actor: String) -> Result<Upload, ApiError> {
        let uploads = state.uploads();
        let slot = state.upload_slot(&actor).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too-many-uploads",
                format!(
                    "{actor} already has {} uploads in progress; send this one when one of \
                     them is answered",
                    uploads.per_token
                ),
            )
        })?;
        Ok(Upload {
            state: state.clone(),
            dir: scratch(uploads)?,
            budget: Budget::new(uploads.max_bytes, uploads.pace),
            actor,
            _slot: slot,
        })
    }

    /// Saves a plain request body as one file named `name`.
    pub async fn receive_body(
        &mut self,
        name: Option<&str>,
        body: Body,
    ) -> Result<Vec<Received>, ApiError> {
        // Unnamed, the file is read all the same; only the folder that names a device
        // (`PC01/netlogon.log`) is missing.
        let name = name
            .and_then(safe_name)
            .unwrap_or_else(|| UNNAMED.to_string());
        let dir = self.dir.path().to_path_buf();
        Ok(vec![
            save(&dir, 0, name, body.into_data_stream(), &mut self.budget).await?,
        ])
    }

    /// Saves every file part of a `multipart/form-data` body; parts without a file name
    /// are refused, so a form field is never mistaken for evidence. A web form's body
    /// must begin with a `csrf` field equal to `form_token` (403 otherwise, before any
    /// file is saved).
    pub async fn receive_multipart(
        &mut self,
        mut form: Multipart,
        form_token: Option<&str>,
    ) -> Result<Vec<Received>, ApiError> {
        let budget = &mut self.budget;
        let dir = self.dir.path().to_path_buf();
        let next_error = |e: axum::extract::multipart::MultipartError, budget: &Budget| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                budget.refusal()
            } else {
                ApiError::bad_request(format!("multipart body: {}", e.body_text()))
            }
        };
        if let Some(want) = form_token {
            let first = budget
                .next(form.next_field())
                .await?
                .map_err(|e| next_error(e, budget))?;
            // At most a token's length is read: the field is not a place for a large body.
            let mut given = Vec::new();
            if let Some(mut f) =
                first.filter(|f| f.name() == Some("csrf") && f.file_name().is_none())
            {
                while let Ok(Ok(Some(chunk))) = budget.next(f.chunk()).await {
                    given.extend_from_slice(&chunk);
                    if given.len() > 256 {
                        return Err(ApiError::form_expired());
                    }
                }
            }
            let given = String::from_utf8_lossy(&given);
            if !crate::accounts::same_secret(want, given.trim()) {
                return Err(ApiError::form_expired());
            }
        }
        let mut files = Vec::new();
        while let Some(field) = budget
            .next(form.next_field())
            .await?
            .map_err(|e| next_error(e, budget))?
        {
            let Some(name) = field.file_name().and_then(safe_name) else {
                return Err(ApiError::bad_request(format!(
                    "multipart part {:?} has no usable file name",
                    field.name().unwrap_or("")
                )));
            };
            let index = files.len();
            files.push(save(&dir, index, name, field, budget).await?);
        }
        if files.is_empty() {
            return Err(ApiError::bad_request("the multipart body holds no file"));
        }
        Ok(files)
    }

    /// Reads the received `files` into a staging store of their own — outside any lock,
    /// so reads and other uploads' commits go on meanwhile — then takes them into the
    /// store in one transaction with the upload's scan and audit rows: all of the upload
    /// becomes visible at once, or (after a crash at any point) none of it. The folder
    /// is removed when done.
    pub async fn ingest(
        self,
        files: Vec<Received>,
        year: Option<i32>,
        remote: Option<String>,
    ) -> Result<Uploaded, ApiError> {
        let Upload {
            state,
            dir,
            actor,
            _slot: slot,
            ..
        } = self;
        let uploads = state.uploads().clone();
        let knowledge = state.knowledge().clone();
        let now = state.now();
        // The folder, the permit and the token's slot go with the work, not with this
        // request: a client that hangs up cannot free them while its upload is still
        // being read or committed.
        let permit = state.staging_permit().await;
        let path = dir.path().join(STAGED_DB);
        let (staged_files, k) = (files.clone(), knowledge.clone());
        let (staged, dir, slot) = tokio::task::spawn_blocking(move || {
            let staged = stage(&staged_files, &path, &uploads, year, k);
            drop(permit);
            staged.map(|s| (s, dir, slot))
        })
        .await
        .map_err(|e| ApiError::internal(format!("an upload task failed: {e}")))??;
        state
            .with_store(move |store| {
                let done = commit(store, staged, &files, knowledge, now, (actor, remote));
                drop((dir, slot));
                done
            })
            .await
    }
}

/// Reads received files into a staging store at `path` with the readers of `kizuna scan`;
/// the archive limits count for the whole upload.
fn stage(
    files: &[Received],
    path: &Path,
    uploads: &Uploads,
    year: Option<i32>,
    knowledge: Arc<Knowledge>,
) -> Result<Staged, ApiError> {
    let options = kizuna_evidence::ReadOptions {
        threads: uploads.threads.max(1),
        year,
        knowledge,
        evtx: kizuna_evidence::EvtxPath::Prefiltered,
        progress: Default::default(),
        limits: uploads.limits,
        // One allowance for all files of the upload together, made for this upload.
        shared_unpack: Some(kizuna_evidence::UnpackAllowance::new(
            uploads.limits.max_unpacked,
        )),
        // The staging store knows nothing: fingerprint while reading.
        fingerprint: kizuna_evidence::Fingerprint::WhileReading,
    };
    let named = files
        .iter()
        .map(|f| (f.path.clone(), f.name.clone()))
        .collect();
    let evidence = kizuna_evidence::Files::named(named, options);
    Ok(kizuna_pipeline::stage(&evidence, path)?)
}

/// Takes a staged upload into the store, judges and records it as a scan of what it
/// brought (the use case `kizuna scan` runs, with the store's plan expiry) and writes it
/// to the audit log as the actor's, from the remote address — all in one transaction.
fn commit(
    store: &mut Store,
    staged: Staged,
    files: &[Received],
    knowledge: Arc<Knowledge>,
    now: Timestamp,
    (actor, remote): (String, Option<String>),
) -> Result<Uploaded, ApiError> {
    let settings = ScanSettings {
        window: Window::default(),
        knowledge,
        expires: None,
        directory: None,
        sysvol: None,
        now,
        record: true,
        actor: Some(actor.clone()),
    };
    let audit = |outcome: &ScanOutcome| {
        let scan = outcome.recorded.as_ref().and_then(|r| r.as_ref().ok());
        let detail = json!({
            "files": files.iter().map(|f| json!({"name": f.name, "bytes": f.bytes})).collect::<Vec<_>>(),
            "inputs": outcome.inputs.len(),
            "records": outcome.inputs.iter().map(|r| r.records).sum::<u64>(),
            "scan": scan,
        });
        AuditRow {
            id: 0,
            time: now,
            actor: actor.clone(),
            action: "upload".into(),
            detail: detail.to_string(),
            remote: remote.clone(),
        }
    };
    let outcome = staged.commit(store, settings, audit)?;
    let scan = match (&outcome.analysis, &outcome.recorded) {
        (Some(analysis), Some(Ok(id))) => Some(json!({
            "id": id,
            "devices": analysis.devices.len(),
            "findings": analysis.findings.len(),
        })),
        _ => None,
    };
    Ok(Uploaded {
        reports: outcome.inputs,
        scan,
    })
}

/// Writes `chunks` to `dir/<index>/<name>`.
async fn save<S, E>(
    dir: &Path,
    index: usize,
    name: String,
    mut chunks: S,
    budget: &mut Budget,
) -> Result<Received, ApiError>
where
    S: Stream<Item = Result<axum::body::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let path = dir.join(index.to_string()).join(&name);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| ApiError::internal(format!("scratch folder: {e}")))?;
    }
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| ApiError::internal(format!("scratch file: {e}")))?;
    let mut bytes = 0u64;
    while let Some(chunk) = budget.next(chunks.next()).await? {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("reading {name}: {e}")))?;
        budget.take(chunk.len())?;
        bytes += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::internal(format!("scratch file: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| ApiError::internal(format!("scratch file: {e}")))?;
    Ok(Received { path, name, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_relative_and_clean() {
        let cases = [
            ("PC01/System.evtx", Some("PC01/System.evtx")),
            (
                "C:\\Windows\\System32\\config\\SAM",
                Some("C/Windows/System32/config/SAM"),
            ),
            ("../../etc/passwd", Some("etc/passwd")),
            ("/abs/./x.zip", Some("abs/x.zip")),
            ("a/\u{0}b\u{7}/c", Some("a/b/c")),
            ("..", None),
            ("", None),
            ("//\\\\", None),
            ("..../x", Some("..../x")),
        ];
        for (raw, want) in cases {
            assert_eq!(safe_name(raw).as_deref(), want, "{raw:?}");
        }
        let deep = (0..20).map(|i| i.to_string()).collect::<Vec<_>>().join("/");
        assert_eq!(safe_name(&deep).unwrap(), "12/13/14/15/16/17/18/19");
        let long = "é".repeat(200);
        let got = safe_name(&long).unwrap();
        assert!(got.len() <= MAX_COMPONENT && got.chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_budget_refuses_what_is_over() {
        let mut b = Budget::new(10, BodyPace::default());
        assert!(b.take(6).is_ok());
        assert!(b.take(4).is_ok());
        let e = b.take(1).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    }
}
