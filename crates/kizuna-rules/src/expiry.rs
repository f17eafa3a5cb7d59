//! KZ-POL-004: the workaround is still written on devices after the date it had to be
//! gone by.
//!
//! Security-template settings tattoo: unlinking or deleting the workaround GPO leaves
//! RefusePasswordChange / MaximumPasswordAge in each device's registry until something
//! writes the default back (kizuna's rollback GPOs do). So the question "is the workaround
//! gone?" is answered by the devices' SYSTEM hives, not by the GPO list. The expiry comes
//! from the administrator (`scan --expires`), the plan stored by `kizuna plan`, or the
//! "(expires YYYY-MM-DD)" in a workaround GPO's name read from the directory.
//!
//! A hive only proves what held when it was written: a reading from after the expiry is a
//! finding (high); one from before it says nothing about today, so those devices are
//! listed apart (low) as "collect again".

use chrono::NaiveDate;
use kizuna_core::{Evidence, Finding, Knowledge, MessageArg, RuleId, Severity, Timestamp};

use crate::Device;

pub const POL_PAST_EXPIRY: RuleId = RuleId("KZ-POL-004");

/// The Windows default machine password age, in days: anything above it (or 0 = never)
/// is the member half of the workaround.
const DEFAULT_MAX_AGE: u32 = 30;

/// The date the workaround must be gone by, and who recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkaroundExpiry {
    pub date: NaiveDate,
    pub source: ExpirySource,
}

/// Where an expiry date came from; the finding names it so the reader can check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpirySource {
    /// Given on the command line (`--expires`).
    Given,
    /// A plan stored by `kizuna plan` (its id and track).
    Plan { id: i64, track: String },
    /// The name of a GPO read from the directory (`… (expires YYYY-MM-DD)`).
    GpoName(String),
    /// Recorded with a scan in the store (its id): what `kizuna report` reviews by.
    Scan(i64),
}

impl ExpirySource {
    /// The catalog selector and the name shown with it.
    fn args(&self) -> (&'static str, String) {
        match self {
            ExpirySource::Given => ("given", String::new()),
            ExpirySource::Plan { id, track } => ("plan", format!("#{id} ({track})")),
            ExpirySource::GpoName(name) => ("gpo", name.clone()),
            ExpirySource::Scan(id) => ("scan", format!("#{id}")),
        }
    }
}

/// The workaround values a device's registry still holds, as `Name=value`.
fn residue(d: &Device) -> Vec<String> {
    let mut v = Vec::new();
    if d.netlogon.get("RefusePasswordChange") == Some(&1) {
        v.push("RefusePasswordChange=1".to_string());
    }
    if let Some(&age) = d.netlogon.get("MaximumPasswordAge")
        && (age == 0 || age > DEFAULT_MAX_AGE)
    {
        v.push(format!("MaximumPasswordAge={age}"));
    }
    v
}

/// KZ-POL-004 as of `now`: nothing until the expiry date has passed.
pub(crate) fn evaluate(
    devices: &[Device],
    expiry: &WorkaroundExpiry,
    now: Timestamp,
    k: &Knowledge,
) -> Vec<Finding> {
    let overdue = (now.date_naive() - expiry.date).num_days();
    if overdue <= 0 {
        return Vec::new();
    }
    // The workaround may stand through its expiry day: a reading proves it outlived the
    // date only from the next day on.
    let after = |d: &Device| {
        d.netlogon_read
            .is_some_and(|t| t.date_naive() > expiry.date)
    };
    let mut confirmed = Vec::new();
    let mut unconfirmed = Vec::new();
    for d in devices {
        let values = residue(d);
        if values.is_empty() {
            continue;
        }
        if after(d) {
            confirmed.push((d, values));
        } else {
            unconfirmed.push((d, values));
        }
    }
    let (source, source_name) = expiry.source.args();
    let finding = |severity: Severity, read: &str, group: Vec<(&Device, Vec<String>)>| {
        let evidence: Vec<Evidence> = group
            .iter()
            .flat_map(|(d, values)| {
                let read = d
                    .netlogon_read
                    .map_or_else(|| "?".to_string(), |t| t.format("%Y-%m-%d").to_string());
                let label = format!("{} {} (hive written {read})", d.name, values.join(" "));
                crate::evidence::from_system_hive(d, label)
            })
            .collect();
        let (evidence, total) = crate::evidence::capped(evidence, k);
        let settings = group
            .iter()
            .map(|(d, values)| format!("{} {}", d.name, values.join(" ")))
            .collect::<Vec<_>>()
            .join(", ");
        let subjects: Vec<String> = group.iter().map(|(d, _)| d.name.clone()).collect();
        let text = |s: &str| MessageArg::Text(s.to_string());
        Finding {
            rule: POL_PAST_EXPIRY,
            severity,
            args: [
                ("read", text(read)),
                ("expires", text(&expiry.date.to_string())),
                ("days", MessageArg::Number(overdue)),
                ("source", text(source)),
                ("source_name", text(&source_name)),
                ("settings", text(&settings)),
                ("devices", text(&subjects.join(", "))),
                ("count", subjects.len().into()),
            ]
            .into_iter()
            .collect(),
            subjects,
            evidence,
            evidence_total: total,
        }
    };
    let mut out = Vec::new();
    if !confirmed.is_empty() {
        out.push(finding(Severity::High, "after", confirmed));
    }
    if !unconfirmed.is_empty() {
        out.push(finding(Severity::Low, "before", unconfirmed));
    }
    out
}

/// The expiry the directory's GPO names record, latest first among equals: the DC and
/// member GPOs of one kit carry the same date; if they differ, the later one is the date
/// by which all of the workaround must be gone.
pub(crate) fn from_directory(
    snap: &kizuna_core::directory::DirectorySnapshot,
) -> Option<WorkaroundExpiry> {
    snap.gpos
        .iter()
        .filter_map(|g| {
            let name = g.display_name.as_deref()?;
            Some((crate::directory::expiry_of(g)?, name.to_string()))
        })
        .max()
        .map(|(date, name)| WorkaroundExpiry {
            date,
            source: ExpirySource::GpoName(name),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use kizuna_core::{Affected, DeviceRole};

    fn at(y: i32, m: u32, d: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
    }

    fn device(
        name: &str,
        role: DeviceRole,
        netlogon: &[(&str, u32)],
        read: Option<Timestamp>,
    ) -> Device {
        Device {
            name: name.into(),
            domain: None,
            role,
            machine_sid: None,
            os_build: None,
            affected: Affected::Unknown,
            netlogon: netlogon.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            netlogon_read: read,
            netlogon_from: Some(format!("{name}/SYSTEM").into()),
            sources: vec![
                format!("{name}/SYSTEM").into(),
                format!("{name}/System.evtx").into(),
            ],
            sid_sources: vec![],
            build_sources: vec![],
            machine_guid: None,
            guid_sources: Vec::new(),
            hardening: Default::default(),
        }
    }

    fn expiry() -> WorkaroundExpiry {
        WorkaroundExpiry {
            date: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            source: ExpirySource::Plan {
                id: 2,
                track: "rollback".into(),
            },
        }
    }

    fn fleet() -> Vec<Device> {
        let after = Some(at(2026, 11, 20));
        vec![
            device(
                "DC01",
                DeviceRole::Dc,
                &[("RefusePasswordChange", 1)],
                after,
            ),
            device(
                "PC-P01",
                DeviceRole::Workstation,
                &[("MaximumPasswordAge", 0)],
                after,
            ),
            device(
                "PC-P02",
                DeviceRole::Workstation,
                &[("MaximumPasswordAge", 999), ("RefusePasswordChange", 0)],
                after,
            ),
            // Rolled back: the defaults written back.
            device(
                "PC-P03",
                DeviceRole::Workstation,
                &[("MaximumPasswordAge", 30), ("RefusePasswordChange", 0)],
                after,
            ),
            // A stricter baseline is not the workaround.
            device(
                "PC-CIS",
                DeviceRole::Workstation,
                &[("MaximumPasswordAge", 15)],
                after,
            ),
            // Read on the expiry day itself, and long before: not proof of today.
            device(
                "DC02",
                DeviceRole::Dc,
                &[("RefusePasswordChange", 1)],
                Some(at(2026, 10, 31)),
            ),
            device(
                "PC-OLD",
                DeviceRole::Workstation,
                &[("MaximumPasswordAge", 0)],
                None,
            ),
        ]
    }

    #[test]
    fn readings_after_the_expiry_are_high_and_older_ones_are_listed_apart() {
        let k = Knowledge::builtin();
        let found = evaluate(&fleet(), &expiry(), at(2026, 11, 22), &k);
        let got: Vec<(Severity, Vec<String>)> = found
            .iter()
            .map(|f| (f.severity, f.subjects.clone()))
            .collect();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            [
                (Severity::High, names(&["DC01", "PC-P01", "PC-P02"])),
                (Severity::Low, names(&["DC02", "PC-OLD"])),
            ]
        );
        let high = &found[0];
        assert_eq!(high.args["days"], MessageArg::Number(22));
        assert_eq!(high.args["source"], MessageArg::Text("plan".into()));
        assert_eq!(
            high.args["source_name"],
            MessageArg::Text("#2 (rollback)".into())
        );
        assert_eq!(
            high.args["settings"],
            MessageArg::Text(
                "DC01 RefusePasswordChange=1, PC-P01 MaximumPasswordAge=0, \
                 PC-P02 MaximumPasswordAge=999"
                    .into()
            )
        );
        assert_eq!(high.args["read"], MessageArg::Text("after".into()));
        assert_eq!(found[1].args["read"], MessageArg::Text("before".into()));
        // Only the hives are evidence, dated by when they were written.
        assert_eq!(high.evidence.len(), 3);
        assert!(high.evidence.iter().all(|e| e.path.ends_with("/SYSTEM")));
        assert_eq!(high.evidence[0].time, Some(at(2026, 11, 20)));
        assert_eq!(
            high.evidence[0].label,
            "DC01 RefusePasswordChange=1 (hive written 2026-11-20)"
        );
    }

    #[test]
    fn nothing_until_the_day_after_the_expiry() {
        let k = Knowledge::builtin();
        assert!(evaluate(&fleet(), &expiry(), at(2026, 10, 31), &k).is_empty());
        assert!(evaluate(&fleet(), &expiry(), at(2026, 1, 1), &k).is_empty());
        let found = evaluate(&fleet(), &expiry(), at(2026, 11, 1), &k);
        assert_eq!(found[0].args["days"], MessageArg::Number(1));
    }

    #[test]
    fn the_directory_expiry_is_the_latest_date_in_a_gpo_name() {
        let gpo = |name: &str| kizuna_core::directory::DirGpo {
            guid: "{A}".into(),
            dn: "cn={A}".into(),
            display_name: Some(name.into()),
            flags: 0,
            version_number: None,
            machine_extension_names: None,
            wql_filter: None,
            when_changed: None,
            registry_values: None,
        };
        let mut snap = kizuna_core::directory::DirectorySnapshot::default();
        assert_eq!(from_directory(&snap), None);
        snap.gpos = vec![
            gpo("Default Domain Policy"),
            gpo("kizuna workaround - DC - Refuse (expires 2026-10-31)"),
            gpo("kizuna workaround - Members - Age (expires 2026-12-15)"),
            gpo("Typo (expires 2026-13-45)"),
        ];
        assert_eq!(
            from_directory(&snap),
            Some(WorkaroundExpiry {
                date: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
                source: ExpirySource::GpoName(
                    "kizuna workaround - Members - Age (expires 2026-12-15)".into()
                ),
            })
        );
    }
}
