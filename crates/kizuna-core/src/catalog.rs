//! The knowledge kizuna ships as data: watched events, NTSTATUS meanings, thresholds.
//!
//! The built-in copies are compiled from `data/*.toml`; a folder with files of the same
//! names overrides them at run time (`KIZUNA_KNOWLEDGE_DIR` or `--knowledge DIR`), so an
//! administrator can follow Microsoft's changes without a new build.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{DeviceName, EventRecord, NtStatus, Severity, WatchList};

const WATCHED: &str = include_str!("../data/watched.toml");
const NTSTATUS: &str = include_str!("../data/ntstatus.toml");
const THRESHOLDS: &str = include_str!("../data/thresholds.toml");
const HARDENING: &str = include_str!("../data/hardening.toml");
const MESSAGES: &str = include_str!("../data/messages.toml");

/// Why a knowledge file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name}: {source}")]
    Parse {
        name: String,
        source: toml::de::Error,
    },
}

/// How an NTSTATUS bears on the secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusClass {
    PasswordMismatch,
    AccountMissing,
    Connectivity,
    Expected,
    Blocked,
    Other,
}

/// One known NTSTATUS.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusInfo {
    pub code: u32,
    pub name: String,
    /// The Win32 error shown as `%%N` in event text for this status.
    #[serde(default)]
    pub win32: Option<u32>,
    pub class: StatusClass,
    #[serde(deserialize_with = "de_severity")]
    pub severity: Severity,
}

fn de_severity<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Severity, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

#[derive(Deserialize)]
struct StatusFile {
    status: Vec<StatusInfo>,
}

/// Rule thresholds (`data/thresholds.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct Thresholds {
    pub recurrence_gap_days: i64,
    pub rollback_min_hours: i64,
    /// KZ-DC-002: how long before a DC's restore event its rejections count as the restore's.
    #[serde(default = "default_dc_restore_lookback_days")]
    pub dc_restore_lookback_days: i64,
    pub evidence_per_finding: usize,
    /// KZ-POL-003: MaximumPasswordAge above this (or 0) is outside Microsoft's range.
    #[serde(default = "default_max_password_age_limit")]
    pub max_password_age_limit: i64,
    /// KZ-DC-001: the first build of Windows Server 2025.
    #[serde(default = "default_server_2025_build")]
    pub server_2025_build: u32,
    #[serde(default = "default_ad_active_days")]
    pub ad_active_days: i64,
    #[serde(default = "default_ad_max_age")]
    pub ad_default_max_password_age_days: i64,
    #[serde(default = "default_ad_stale_factor")]
    pub ad_stale_factor: i64,
    #[serde(default = "default_ad_dc_password_days")]
    pub ad_dc_password_days: i64,
    #[serde(default = "default_ad_inactive_days")]
    pub ad_inactive_days: i64,
    /// `kizuna plan`: quiet days a gate needs (and least days a phase runs).
    #[serde(default = "default_plan_quiet_days")]
    pub plan_quiet_days: i64,
    /// `kizuna plan`: failure events per day (averaged over the gate's window) allowed.
    #[serde(default = "default_plan_max_failures_per_day")]
    pub plan_max_failures_per_day: f64,
    /// `kizuna plan`: the newest evidence may be at most this many days old.
    #[serde(default = "default_plan_fresh_days")]
    pub plan_fresh_days: i64,
    /// `kizuna plan`: rotation cycles watched after the workaround is withdrawn.
    #[serde(default = "default_plan_monitor_cycles")]
    pub plan_monitor_cycles: i64,
    /// `kizuna plan`: days of one machine-password rotation cycle.
    #[serde(default = "default_plan_cycle_days")]
    pub plan_cycle_days: i64,
    /// `kizuna plan`: devices of a rollback phase's scope that must have rotated.
    #[serde(default = "default_plan_min_rotations")]
    pub plan_min_rotations: u64,
    /// `kizuna plan`: NTSTATUS classes (kebab-case, as in ntstatus.toml) that count.
    #[serde(default = "default_plan_failure_classes")]
    pub plan_failure_classes: Vec<String>,
    /// `kizuna plan`: failure events as `provider:id`.
    #[serde(default = "default_plan_failure_events")]
    pub plan_failure_events: Vec<String>,
}

fn default_plan_quiet_days() -> i64 {
    7
}

fn default_plan_max_failures_per_day() -> f64 {
    1.0
}

fn default_plan_fresh_days() -> i64 {
    2
}

fn default_plan_monitor_cycles() -> i64 {
    2
}

fn default_plan_cycle_days() -> i64 {
    30
}

fn default_plan_min_rotations() -> u64 {
    1
}

fn default_plan_failure_classes() -> Vec<String> {
    vec!["password-mismatch".into(), "account-missing".into()]
}

fn default_plan_failure_events() -> Vec<String> {
    [
        "NETLOGON:5722",
        "NETLOGON:5805",
        "NETLOGON:5723",
        "NETLOGON:3210",
        "LsaSrv:40960",
    ]
    .map(String::from)
    .to_vec()
}

fn default_ad_active_days() -> i64 {
    45
}

fn default_ad_max_age() -> i64 {
    30
}

fn default_ad_stale_factor() -> i64 {
    2
}

fn default_ad_dc_password_days() -> i64 {
    45
}

fn default_ad_inactive_days() -> i64 {
    90
}

fn default_dc_restore_lookback_days() -> i64 {
    14
}

fn default_max_password_age_limit() -> i64 {
    999
}

fn default_server_2025_build() -> u32 {
    26100
}

/// One build range the duplicate-SID check ships in.
#[derive(Debug, Clone, Deserialize)]
pub struct AffectedBuild {
    /// This build, from `min_ubr` on.
    pub build: Option<u32>,
    pub min_ubr: Option<u32>,
    /// Every build from this one on.
    pub from_build: Option<u32>,
    /// The update that brings the check, for messages.
    pub update: String,
}

/// When Windows blocks duplicate machine SIDs, when it began to honour Machine Identity
/// Isolation, and the other hardening changes of 2025-2026 (`data/hardening.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct Hardening {
    pub first_kb: String,
    pub first_kb_date: String,
    pub security_kb: String,
    pub security_kb_date: String,
    pub compat_option_from: String,
    pub compat_option_expires: String,
    pub affected: Vec<AffectedBuild>,
    pub identity_isolation: IdentityIsolation,
    #[serde(default)]
    pub changes: Vec<HardeningChange>,
}

/// The September 2026 updates that make Windows honour Machine Identity Isolation
/// enforcement (supported only at the Windows Server 2025 domain functional level).
#[derive(Debug, Clone, Deserialize)]
pub struct IdentityIsolation {
    pub kb: String,
    /// The day the first such update shipped: trust failures from then on count.
    pub date: chrono::NaiveDate,
    /// The lowest domain functional level (msDS-Behavior-Version) that supports it.
    pub min_functional_level: u32,
    /// The value that means "enforced" in the registry (0 = off).
    pub enforced_value: u32,
    /// Client builds that honour it (Windows Server is not affected).
    pub builds: Vec<AffectedBuild>,
    pub source: String,
    pub verified: crate::Verified,
}

/// One hardening change with its phases: what a finding says was in force on a day.
#[derive(Debug, Clone, Deserialize)]
pub struct HardeningChange {
    pub id: String,
    pub kb: String,
    pub phases: Vec<HardeningPhase>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HardeningPhase {
    pub from: chrono::NaiveDate,
    /// `audit`, `enforced` (a rollback is still possible) or `final` (no rollback).
    pub state: String,
    pub source: String,
    pub verified: crate::Verified,
}

impl HardeningChange {
    /// The phase in force on `day`, if the change had begun.
    pub fn phase_on(&self, day: chrono::NaiveDate) -> Option<&HardeningPhase> {
        self.phases.iter().rev().find(|p| p.from <= day)
    }
}

/// Whether a device enforces the duplicate-SID check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Affected {
    Yes,
    No,
    /// The build (or its update revision) is not known: kizuna does not guess.
    Unknown,
}

impl Affected {
    pub fn as_str(&self) -> &'static str {
        match self {
            Affected::Yes => "yes",
            Affected::No => "no",
            Affected::Unknown => "unknown",
        }
    }
}

impl Hardening {
    /// Whether a build enforces the check.
    pub fn affected(&self, build: Option<crate::OsBuild>) -> Affected {
        affected_in(&self.affected, build)
    }

    /// Whether a client build honours Machine Identity Isolation enforcement.
    pub fn honours_identity_isolation(&self, build: Option<crate::OsBuild>) -> Affected {
        affected_in(&self.identity_isolation.builds, build)
    }

    /// A hardening change by id (`rc4-retirement`, `ntlmv1-sso-block`).
    pub fn change(&self, id: &str) -> Option<&HardeningChange> {
        self.changes.iter().find(|c| c.id == id)
    }

    /// The update that makes a not-yet-affected build enforce the check.
    pub fn breaking_update(&self, build: Option<crate::OsBuild>) -> String {
        match build {
            Some(b) => self
                .affected
                .iter()
                .find(|a| a.build == Some(b.build))
                .map(|a| a.update.clone())
                .unwrap_or_else(|| {
                    self.affected
                        .iter()
                        .map(|a| a.update.as_str())
                        .collect::<Vec<_>>()
                        .join(" / ")
                }),
            None => self.first_kb.clone(),
        }
    }
}

/// Whether `build` is in a list of affected builds: a listed build from its `min_ubr`
/// on (an exact build wins: 26H1's 28000 is newer than 26H2's 26300 but has its own
/// update level), else any build from a `from_build` on; builds below every entry are
/// not; a listed build without its update revision is unknown (kizuna does not guess).
fn affected_in(list: &[AffectedBuild], build: Option<crate::OsBuild>) -> Affected {
    let Some(b) = build else {
        return Affected::Unknown;
    };
    if let Some(a) = list.iter().find(|a| a.build == Some(b.build)) {
        return match (b.ubr, a.min_ubr) {
            (_, None) => Affected::Yes,
            (Some(u), Some(m)) if u >= m => Affected::Yes,
            (Some(_), Some(_)) => Affected::No,
            (None, Some(_)) => Affected::Unknown,
        };
    }
    if list
        .iter()
        .any(|a| a.from_build.is_some_and(|f| b.build >= f))
    {
        return Affected::Yes;
    }
    if list
        .iter()
        .filter_map(|a| a.build.or(a.from_build))
        .all(|f| b.build < f)
    {
        Affected::No
    } else {
        Affected::Unknown
    }
}

/// Everything kizuna knows, loaded once per run.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub watched: WatchList,
    statuses: BTreeMap<u32, StatusInfo>,
    pub thresholds: Thresholds,
    pub hardening: Hardening,
    /// Message templates and error texts, for exports that keep only rendered text.
    pub messages: crate::message::Messages,
}

impl Knowledge {
    /// The compiled-in catalogs.
    pub fn builtin() -> Knowledge {
        Self::from_texts(WATCHED, NTSTATUS, THRESHOLDS, HARDENING, MESSAGES)
            .expect("built-in knowledge parses")
    }

    /// The built-in catalogs, with any of `watched.toml`, `ntstatus.toml`,
    /// `thresholds.toml` found in `dir` used instead.
    pub fn with_overrides(dir: &Path) -> Result<Knowledge, KnowledgeError> {
        let read = |name: &str, builtin: &'static str| -> Result<String, KnowledgeError> {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(builtin.to_string()),
                Err(source) => Err(KnowledgeError::Read { path, source }),
            }
        };
        Self::from_texts(
            &read("watched.toml", WATCHED)?,
            &read("ntstatus.toml", NTSTATUS)?,
            &read("thresholds.toml", THRESHOLDS)?,
            &read("hardening.toml", HARDENING)?,
            &read("messages.toml", MESSAGES)?,
        )
    }

    fn from_texts(
        watched: &str,
        statuses: &str,
        thresholds: &str,
        hardening: &str,
        messages: &str,
    ) -> Result<Knowledge, KnowledgeError> {
        let parse_err = |name: &str| {
            let name = name.to_string();
            move |source| KnowledgeError::Parse { name, source }
        };
        let watched = WatchList::from_toml(watched).map_err(parse_err("watched.toml"))?;
        let file: StatusFile = toml::from_str(statuses).map_err(parse_err("ntstatus.toml"))?;
        let thresholds: Thresholds =
            toml::from_str(thresholds).map_err(parse_err("thresholds.toml"))?;
        let hardening: Hardening =
            toml::from_str(hardening).map_err(parse_err("hardening.toml"))?;
        let messages =
            crate::message::Messages::from_toml(messages).map_err(parse_err("messages.toml"))?;
        Ok(Knowledge {
            messages,
            hardening,
            watched,
            statuses: file.status.into_iter().map(|s| (s.code, s)).collect(),
            thresholds,
        })
    }

    /// What kizuna knows about a status, if anything.
    pub fn status(&self, status: NtStatus) -> Option<&StatusInfo> {
        self.statuses.get(&status.0)
    }

    /// The class of a status; unknown codes are `Other`.
    pub fn status_class(&self, status: NtStatus) -> StatusClass {
        self.status(status).map_or(StatusClass::Other, |s| s.class)
    }

    /// The status for a `%%N` Win32 message reference (`%%5` → 0xC0000022), when known.
    pub fn status_for_win32_ref(&self, text: &str) -> Option<NtStatus> {
        let n: u32 = text.trim().strip_prefix("%%")?.parse().ok()?;
        self.statuses
            .values()
            .find(|s| s.win32 == Some(n))
            .map(|s| NtStatus(s.code))
    }

    /// Decides whether a normalized event is kept, and completes it: names positional
    /// values of manifest events, finds the subject device, and fills in a missing
    /// status from `%%N` references. Returns `None` for events that are not watched,
    /// including Security logon events that are not about a computer account.
    pub fn admit(&self, mut ev: EventRecord) -> Option<EventRecord> {
        let entry = self.watched.lookup(&ev.provider, ev.event_id)?;
        if ev.named.is_empty() && !entry.fields.is_empty() && !ev.data.is_empty() {
            let values = std::mem::take(&mut ev.data);
            for (name, value) in entry.fields.iter().zip(values) {
                ev.named.insert(name.clone(), value);
            }
        }
        let raw_subject: Option<&str> = entry.subject.find(&ev);
        if entry.computer_account_only && !raw_subject.is_some_and(DeviceName::is_computer_account)
        {
            return None;
        }
        let subject = raw_subject.and_then(DeviceName::parse);
        ev.subject = subject.or_else(|| ev.logging_device());
        if ev.status.is_none() {
            ev.status = ev
                .data
                .iter()
                .chain(ev.named.values())
                .find_map(|v| self.status_for_win32_ref(v));
        }
        Some(ev)
    }

    /// The symbolic name (`STATUS_ACCESS_DENIED`), when known.
    pub fn status_name(&self, status: NtStatus) -> Option<&str> {
        self.status(status)
            .map(|s| s.name.as_str())
            .filter(|n| !n.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogs_load_and_answer() {
        let k = Knowledge::builtin();
        assert_eq!(
            k.status_name(NtStatus(0xC0000022)),
            Some("STATUS_ACCESS_DENIED")
        );
        assert_eq!(
            k.status_class(NtStatus(0xC000018B)),
            StatusClass::AccountMissing
        );
        assert_eq!(k.status_class(NtStatus(0xC0001234)), StatusClass::Other);
        assert!(k.watched.lookup("netlogon", 5722).is_some());
        // 5824 (a managed service account's password changed) looks like 5823 but is not
        // a machine rotation; 3209 is the old LAN Manager replicator's.
        assert!(k.watched.lookup("NETLOGON", 5823).is_some());
        assert!(k.watched.lookup("NETLOGON", 5824).is_none());
        assert!(k.watched.lookup("NETLOGON", 3209).is_none());
        assert!(k.watched.lookup("lsasrv", 6167).is_some());
        assert_eq!(k.thresholds.recurrence_gap_days, 20);
        // Every pair of the watched set is present.
        let pairs = k.watched.pairs();
        // NETLOGON 11, LsaSrv 3, Kerberos client 6, Security 9, KDC 9, NTLM 2,
        // Security-NetLogon 2, Directory Service 6 (one id under several source names).
        assert_eq!(pairs.len(), 11 + 3 + 6 + 9 + 9 + 2 + 2 + 6, "{pairs:?}");
        for e in k.watched.entries() {
            assert!(
                e.source.len() > 10,
                "{} {:?} names no source",
                e.provider,
                e.ids
            );
        }
    }

    #[test]
    fn hardening_builds() {
        use crate::OsBuild;
        let h = Knowledge::builtin().hardening;
        let b = |s: &str| OsBuild::parse(s);
        assert_eq!(h.affected(b("26100.6584")), Affected::Yes);
        assert_eq!(h.affected(b("26100.5074")), Affected::Yes);
        assert_eq!(h.affected(b("26100.4946")), Affected::No);
        assert_eq!(
            h.affected(b("26100")),
            Affected::Unknown,
            "no UBR: don't guess"
        );
        assert_eq!(h.affected(b("26200.6584")), Affected::Yes);
        assert_eq!(h.affected(b("19045.6093")), Affected::No);
        assert_eq!(h.affected(b("22631.5000")), Affected::No);
        assert_eq!(h.affected(None), Affected::Unknown);
        assert!(h.breaking_update(b("26100.4946")).contains("KB5064081"));
        assert_eq!(h.compat_option_expires, "2027-12-31");
    }

    #[test]
    fn overrides_replace_one_file() {
        let dir = std::env::temp_dir().join(format!("kz-knowledge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("thresholds.toml"),
            "recurrence_gap_days = 7\nrollback_min_hours = 1\nevidence_per_finding = 3\n",
        )
        .unwrap();
        let k = Knowledge::with_overrides(&dir).unwrap();
        assert_eq!(k.thresholds.recurrence_gap_days, 7);
        assert!(k.watched.lookup("NETLOGON", 5805).is_some());
        std::fs::write(dir.join("watched.toml"), "watch = 3").unwrap();
        let err = Knowledge::with_overrides(&dir).unwrap_err().to_string();
        assert!(err.starts_with("watched.toml:"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
