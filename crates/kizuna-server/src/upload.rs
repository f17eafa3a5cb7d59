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
use kizuna_pipeline::{ScanSettings, Window};
use kizuna_store::{AuditRow, Store};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{AppState, Uploads};

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

/// Bytes still allowed in this request.
pub struct Budget {
    left: u64,
    max: u64,
}

impl Budget {
    pub fn new(max: u64) -> Budget {
        Budget { left: max, max }
    }

    fn take(&mut self, n: usize) -> Result<(), ApiError> {
        let n = n as u64;
        if n > self.left {
            return Err(self.refusal());
        }
        self.left -= n;
        Ok(())
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

/// A fresh folder for one upload's files in the scratch folder, removed when dropped.
pub fn scratch(uploads: &Uploads) -> Result<tempfile::TempDir, ApiError> {
    std::fs::create_dir_all(&uploads.scratch)
        .and_then(|()| {
            tempfile::Builder::new()
                .prefix("upload-")
                .tempdir_in(&uploads.scratch)
        })
        .map_err(|e| ApiError::internal(format!("scratch folder: {e}")))
}

/// What an upload yielded: each input's report, and the scan it was recorded as.
pub struct Uploaded {
    pub reports: Vec<InputReport>,
    /// `{"id", "devices", "findings"}`; `None` when nothing readable came.
    pub scan: Option<Value>,
}

/// Reads the files received into `dir` into the store, on the store's thread, then
/// removes them (see [`ingest`]). The API and the upload form both end here.
pub async fn ingest_received(
    state: &AppState,
    dir: tempfile::TempDir,
    files: Vec<Received>,
    year: Option<i32>,
    actor: String,
    remote: Option<String>,
) -> Result<Uploaded, ApiError> {
    let uploads = state.uploads().clone();
    let knowledge = state.knowledge().clone();
    let now = state.now();
    state
        .with_store(move |store| {
            let who = (actor, remote);
            let done = ingest(store, &files, &uploads, year, knowledge, now, who);
            drop(dir);
            done
        })
        .await
}

/// Reads received files into the store with the readers and limits of `kizuna scan`,
/// judges and records the upload as a scan of what it brought (the use case `kizuna scan`
/// runs, with the store's plan expiry) and writes it to the audit log as the actor's,
/// from the remote address.
fn ingest(
    store: &mut Store,
    files: &[Received],
    uploads: &Uploads,
    year: Option<i32>,
    knowledge: Arc<Knowledge>,
    now: Timestamp,
    (actor, remote): (String, Option<String>),
) -> Result<Uploaded, ApiError> {
    let options = kizuna_evidence::ReadOptions {
        threads: uploads.threads.max(1),
        year,
        knowledge: knowledge.clone(),
        evtx: kizuna_evidence::EvtxPath::Prefiltered,
        progress: Default::default(),
        limits: uploads.limits,
    };
    let named = files
        .iter()
        .map(|f| (f.path.clone(), f.name.clone()))
        .collect();
    let evidence = kizuna_evidence::Files::named(named, options);
    let outcome = kizuna_pipeline::scan(
        store,
        &evidence,
        ScanSettings {
            window: Window::default(),
            knowledge,
            expires: None,
            directory: None,
            sysvol: None,
            now,
            record: true,
            actor: Some(actor.clone()),
        },
    )?;
    let scan = match (&outcome.analysis, outcome.recorded) {
        (Some(analysis), Some(recorded)) => Some(json!({
            "id": recorded?,
            "devices": analysis.devices.len(),
            "findings": analysis.findings.len(),
        })),
        _ => None,
    };
    let reports = outcome.inputs;
    let detail = json!({
        "files": files.iter().map(|f| json!({"name": f.name, "bytes": f.bytes})).collect::<Vec<_>>(),
        "inputs": reports.len(),
        "records": reports.iter().map(|r| r.records).sum::<u64>(),
        "scan": scan.as_ref().map(|s| s["id"].clone()),
    });
    store.audit(&AuditRow {
        id: 0,
        time: now,
        actor,
        action: "upload".into(),
        detail: detail.to_string(),
        remote,
    })?;
    Ok(Uploaded { reports, scan })
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
    while let Some(chunk) = chunks.next().await {
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

/// Saves a plain request body as one file named `name`.
pub async fn receive_body(
    dir: &Path,
    name: Option<&str>,
    body: Body,
    budget: &mut Budget,
) -> Result<Vec<Received>, ApiError> {
    let name = name.and_then(safe_name).ok_or_else(|| {
        ApiError::bad_request(
            "name the file: POST /api/v1/evidence?name=PC01/System.evtx (or send multipart/form-data)",
        )
    })?;
    Ok(vec![
        save(dir, 0, name, body.into_data_stream(), budget).await?,
    ])
}

/// Saves every file part of a `multipart/form-data` body; parts without a file name are
/// refused, so a form field is never mistaken for evidence. A web form's body must begin
/// with a `csrf` field equal to `form_token` (403 otherwise, before any file is saved).
pub async fn receive_multipart(
    dir: &Path,
    mut form: Multipart,
    budget: &mut Budget,
    form_token: Option<&str>,
) -> Result<Vec<Received>, ApiError> {
    let next_error = |e: axum::extract::multipart::MultipartError, budget: &Budget| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            budget.refusal()
        } else {
            ApiError::bad_request(format!("multipart body: {}", e.body_text()))
        }
    };
    if let Some(want) = form_token {
        let first = form.next_field().await.map_err(|e| next_error(e, budget))?;
        // At most a token's length is read: the field is not a place for a large body.
        let mut given = Vec::new();
        if let Some(mut f) = first.filter(|f| f.name() == Some("csrf") && f.file_name().is_none()) {
            while let Ok(Some(chunk)) = f.chunk().await {
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
    while let Some(field) = form.next_field().await.map_err(|e| next_error(e, budget))? {
        let Some(name) = field.file_name().and_then(safe_name) else {
            return Err(ApiError::bad_request(format!(
                "multipart part {:?} has no usable file name",
                field.name().unwrap_or("")
            )));
        };
        let index = files.len();
        files.push(save(dir, index, name, field, budget).await?);
    }
    if files.is_empty() {
        return Err(ApiError::bad_request("the multipart body holds no file"));
    }
    Ok(files)
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
        let mut b = Budget::new(10);
        assert!(b.take(6).is_ok());
        assert!(b.take(4).is_ok());
        let e = b.take(1).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
    }
}
