//! Reading facts back: which facts a query selects ([`FactFilter`], [`Inputs`]) and the
//! queries that stream them out in a stable order, on both databases.

use std::collections::BTreeMap;

use kizuna_core::directory::{DirectoryExport, DirectorySnapshot, ExportTime};
use kizuna_core::{
    DeviceName, DeviceRole, EventRecord, IdentityRecord, IdentitySource, MachineGuid, MachineSid,
    NetlogonEntry, NetlogonKind, NtStatus, OsBuild, SourceRef, Timestamp,
};

use crate::db::{self, Row};
use crate::{Result, Store, parse_ts, ts};

/// Which stored inputs a query reads.
///
/// There is no empty selection: a run that read nothing has no [`Fingerprints`], so it
/// cannot fall back, by accident, to every input an old store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Inputs {
    /// Every complete input of the store (its views, the review, the plan's gates).
    #[default]
    All,
    /// These inputs only (one scan's or one upload's).
    Only(Fingerprints),
}

/// A non-empty set of input fingerprints, sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprints(Vec<String>);

impl Fingerprints {
    /// The set of `fingerprints`; `None` when there are none.
    pub fn new(fingerprints: impl IntoIterator<Item = String>) -> Option<Fingerprints> {
        let mut v: Vec<String> = fingerprints.into_iter().filter(|f| !f.is_empty()).collect();
        v.sort();
        v.dedup();
        (!v.is_empty()).then_some(Fingerprints(v))
    }

    /// The fingerprints, sorted.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// Which stored facts a query reads.
#[derive(Debug, Clone, Default)]
pub struct FactFilter {
    /// Which inputs.
    pub inputs: Inputs,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Event ids; empty = all.
    pub event_ids: Vec<u32>,
    /// Identity facts recorded before this time only (a hive last written later describes
    /// the device after the window); facts without a recording time are always kept.
    pub identity_before: Option<Timestamp>,
}

impl Store {
    /// Calls `f` for each stored event matching `filter`, in a stable order: time, path,
    /// record id.
    pub fn for_each_event(
        &self,
        filter: &FactFilter,
        mut f: impl FnMut(EventRecord),
    ) -> Result<()> {
        let (where_, args) = where_clause(filter, "e");
        let sql = format!(
            "SELECT e.provider, e.event_id, e.qualifiers, e.time, e.record_id, e.channel, e.computer,
                    e.subject, e.subject_domain, e.status, e.data, e.named, e.\"binary\", e.path,
                    e.\"offset\", e.line
             FROM events e JOIN inputs i ON i.id = e.input_id
             WHERE i.complete = 1 {where_}
             ORDER BY e.time, e.path, e.record_id NULLS FIRST, e.\"offset\" NULLS FIRST,
                      e.line NULLS FIRST, e.id"
        );
        self.conn()?.query(&sql, &arg_refs(&args), |r| {
            let Some(time) = parse_ts(&r.text(3)?) else {
                return Ok(());
            };
            f(EventRecord {
                provider: r.text(0)?,
                event_id: r.opt_narrow(1)?.unwrap_or_default(),
                qualifiers: r.opt_narrow(2)?,
                time,
                record_id: r.opt_int(4)?.map(|v| v as u64),
                channel: r.opt_text(5)?,
                computer: r.opt_text(6)?,
                subject: device(r.opt_text(7)?, r.opt_text(8)?),
                status: r.opt_narrow(9)?.map(NtStatus),
                data: serde_json::from_str(&r.text(10)?).unwrap_or_default(),
                named: serde_json::from_str::<BTreeMap<String, String>>(&r.text(11)?)
                    .unwrap_or_default(),
                binary: r.opt_text(12)?,
                source: source(&r, 13, Some(14), 15)?,
            });
            Ok(())
        })
    }

    /// Calls `f` for each stored netlogon.log entry matching `filter` (event ids ignored),
    /// ordered by time, path, line. Entries without a time are left out when a time
    /// window is set.
    pub fn for_each_netlogon(
        &self,
        filter: &FactFilter,
        mut f: impl FnMut(NetlogonEntry),
    ) -> Result<()> {
        let filter = FactFilter {
            event_ids: Vec::new(),
            ..filter.clone()
        };
        let (where_, args) = where_clause(&filter, "n");
        let sql = format!(
            "SELECT n.time, n.category, n.thread, n.domain, n.kind, n.status, n.peer, n.event_id,
                    n.device, n.path, n.line
             FROM netlogon n JOIN inputs i ON i.id = n.input_id
             WHERE i.complete = 1 {where_}
             ORDER BY n.time NULLS FIRST, n.path, n.line NULLS FIRST, n.id"
        );
        self.conn()?.query(&sql, &arg_refs(&args), |r| {
            let Some(kind) = kind_from_name(&r.text(4)?) else {
                return Ok(());
            };
            f(NetlogonEntry {
                time: r.opt_text(0)?.as_deref().and_then(parse_ts),
                category: r.opt_text(1)?,
                thread: r.opt_narrow(2)?,
                domain: r.opt_text(3)?,
                kind,
                status: r.opt_narrow(5)?.map(NtStatus),
                peer: r.opt_text(6)?,
                event_id: r.opt_narrow(7)?,
                device: r.opt_text(8)?.as_deref().and_then(DeviceName::parse),
                source: source(&r, 9, None, 10)?,
            });
            Ok(())
        })
    }

    /// Calls `f` for each stored identity fact of the filtered inputs (the event time
    /// window and event ids do not apply; `identity_before` does), ordered by path, line.
    pub fn for_each_identity(
        &self,
        filter: &FactFilter,
        mut f: impl FnMut(IdentityRecord),
    ) -> Result<()> {
        let inputs_only = FactFilter {
            inputs: filter.inputs.clone(),
            ..FactFilter::default()
        };
        let (mut where_, mut args) = where_clause(&inputs_only, "d");
        if let Some(before) = &filter.identity_before {
            args.push(ts(before));
            where_.push_str(&format!(
                " AND (d.observed IS NULL OR d.observed < ${})",
                args.len()
            ));
        }
        let sql = format!(
            "SELECT d.device, d.device_domain, d.folder, d.machine_sid, d.role, d.domain, d.os_build,
                    d.os_ubr, d.netlogon, d.kind, d.path, d.line, d.observed, d.machine_guid,
                    d.hardening
             FROM identity d JOIN inputs i ON i.id = d.input_id
             WHERE i.complete = 1 {where_}
             ORDER BY d.path, d.line NULLS FIRST, d.id"
        );
        self.conn()?.query(&sql, &arg_refs(&args), |r| {
            let Some(kind) = IdentitySource::parse(&r.text(9)?) else {
                return Ok(());
            };
            f(IdentityRecord {
                device: device(r.opt_text(0)?, r.opt_text(1)?),
                folder: r.opt_text(2)?,
                machine_sid: r.opt_text(3)?.and_then(|s| s.parse::<MachineSid>().ok()),
                machine_guid: r.opt_text(13)?.and_then(|s| s.parse::<MachineGuid>().ok()),
                role: r.opt_text(4)?.as_deref().and_then(DeviceRole::parse),
                domain: r.opt_text(5)?,
                os_build: r.opt_narrow(6)?.map(|build| OsBuild {
                    build,
                    ubr: r.opt_narrow(7).ok().flatten(),
                }),
                netlogon: serde_json::from_str(&r.text(8)?).unwrap_or_default(),
                // NULL in rows stored before version 10.
                hardening: r
                    .opt_text(14)?
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or_default(),
                observed: r.opt_text(12)?.as_deref().and_then(parse_ts),
                kind,
                source: source(&r, 10, None, 11)?,
            });
            Ok(())
        })
    }

    /// Calls `f` for each stored directory export of the filtered inputs (the time window
    /// does not apply: an export is one picture of the directory), ordered by path.
    pub fn for_each_directory_export(
        &self,
        filter: &FactFilter,
        mut f: impl FnMut(DirectoryExport),
    ) -> Result<()> {
        let inputs_only = FactFilter {
            inputs: filter.inputs.clone(),
            ..FactFilter::default()
        };
        let (where_, args) = where_clause(&inputs_only, "x");
        let sql = format!(
            "SELECT x.at, x.at_from, x.snapshot
             FROM directory_exports x JOIN inputs i ON i.id = x.input_id
             WHERE i.complete = 1 {where_}
             ORDER BY x.path, x.id"
        );
        self.conn()?.query(&sql, &arg_refs(&args), |r| {
            // A row this build cannot read (written by a newer one) is left out, not fatal.
            let Ok(snapshot) = serde_json::from_str::<DirectorySnapshot>(&r.text(2)?) else {
                return Ok(());
            };
            f(DirectoryExport {
                snapshot,
                at: r.opt_text(0)?.as_deref().and_then(parse_ts),
                at_from: export_time_parse(&r.text(1)?),
            });
            Ok(())
        })
    }

    /// Counts of stored rows, for tests and diagnostics: (inputs, events, netlogon lines).
    pub fn counts(&self) -> Result<(i64, i64, i64)> {
        let mut c = self.conn()?;
        let mut one =
            |table: &str| c.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[], |r| r.int(0));
        Ok((one("inputs")?, one("events")?, one("netlogon")?))
    }
}

/// The columns facts are written to, in the order `write_facts` gives their values.
pub(crate) const EVENT_COLUMNS: &[&str] = &[
    "input_id",
    "provider",
    "event_id",
    "qualifiers",
    "time",
    "record_id",
    "channel",
    "computer",
    "subject",
    "subject_domain",
    "status",
    "data",
    "named",
    "\"binary\"",
    "path",
    "\"offset\"",
    "line",
];
pub(crate) const IDENTITY_COLUMNS: &[&str] = &[
    "input_id",
    "device",
    "device_domain",
    "folder",
    "machine_sid",
    "role",
    "domain",
    "os_build",
    "os_ubr",
    "netlogon",
    "kind",
    "path",
    "line",
    "observed",
    "machine_guid",
    "hardening",
];
pub(crate) const DIRECTORY_COLUMNS: &[&str] = &[
    "input_id",
    "path",
    "naming_context",
    "at",
    "at_from",
    "snapshot",
];
pub(crate) const NETLOGON_COLUMNS: &[&str] = &[
    "input_id", "time", "category", "thread", "domain", "kind", "status", "peer", "event_id",
    "device", "path", "line",
];

/// The note on an input whose content was already read at `first`.
fn device(key: Option<String>, domain: Option<String>) -> Option<DeviceName> {
    let key = key?;
    match domain {
        Some(d) => DeviceName::parse(&format!("{key}.{d}")),
        None => DeviceName::parse(&key),
    }
}

/// Where a fact was read: path, offset and line columns.
fn source(r: &Row<'_>, path: usize, offset: Option<usize>, line: usize) -> Result<SourceRef> {
    Ok(SourceRef {
        path: r.text(path)?,
        offset: match offset {
            Some(i) => r.opt_int(i)?.map(|v| v as u64),
            None => None,
        },
        line: r.opt_int(line)?.map(|v| v as u64),
    })
}

fn arg_refs(args: &[String]) -> Vec<&dyn db::ToArg> {
    args.iter().map(|a| a as &dyn db::ToArg).collect()
}

fn where_clause(filter: &FactFilter, alias: &str) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut args: Vec<String> = Vec::new();
    if let Inputs::Only(inputs) = &filter.inputs {
        let marks: Vec<String> = inputs
            .as_slice()
            .iter()
            .map(|fp| {
                args.push(fp.clone());
                format!("${}", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND i.fingerprint IN ({})", marks.join(",")));
    }
    if let Some(s) = &filter.since {
        args.push(ts(s));
        sql.push_str(&format!(" AND {alias}.time >= ${}", args.len()));
    }
    if let Some(u) = &filter.until {
        args.push(ts(u));
        sql.push_str(&format!(" AND {alias}.time < ${}", args.len()));
    }
    if !filter.event_ids.is_empty() {
        let ids: Vec<String> = filter.event_ids.iter().map(u32::to_string).collect();
        sql.push_str(&format!(" AND {alias}.event_id IN ({})", ids.join(",")));
    }
    (sql, args)
}

const KINDS: [(NetlogonKind, &str); 13] = [
    (
        NetlogonKind::PasswordChangeStarted,
        "password-change-started",
    ),
    (
        NetlogonKind::PasswordChangeSucceeded,
        "password-change-succeeded",
    ),
    (NetlogonKind::PasswordChangeFailed, "password-change-failed"),
    (NetlogonKind::SessionSetupFailed, "session-setup-failed"),
    (NetlogonKind::OldPasswordTried, "old-password-tried"),
    (NetlogonKind::ConnectionStatus, "connection-status"),
    (NetlogonKind::NoDcFound, "no-dc-found"),
    (
        NetlogonKind::KerberosSecureChannelDenied,
        "kerberos-secure-channel-denied",
    ),
    (NetlogonKind::AuthDataFailed, "auth-data-failed"),
    (
        NetlogonKind::ServerAuthenticateSucceeded,
        "server-authenticate-succeeded",
    ),
    (
        NetlogonKind::ServerAuthenticateFailed,
        "server-authenticate-failed",
    ),
    (NetlogonKind::SamLogonFailed, "samlogon-failed"),
    (NetlogonKind::EventlogMirror, "eventlog-mirror"),
];

/// The stable name of a netlogon line kind (stored, and shown in JSON).
pub fn kind_name(k: NetlogonKind) -> &'static str {
    KINDS
        .iter()
        .find(|(x, _)| *x == k)
        .map(|(_, n)| *n)
        .unwrap_or("unknown")
}

fn kind_from_name(s: &str) -> Option<NetlogonKind> {
    KINDS.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
}

/// How an export's time is stored.
pub(crate) fn export_time_name(t: ExportTime) -> &'static str {
    match t {
        ExportTime::Stated => "stated",
        ExportTime::Modified => "modified",
        ExportTime::Unknown => "unknown",
    }
}

fn export_time_parse(s: &str) -> ExportTime {
    match s {
        "stated" => ExportTime::Stated,
        "modified" => ExportTime::Modified,
        _ => ExportTime::Unknown,
    }
}
