//! Offline directory exports: `ldifde` LDIF, `csvde` CSV and
//! `Get-ADComputer -Properties * | Export-Csv`. Each file becomes one
//! [`DirectoryExport`], built by the same [`SnapshotBuilder`] a live LDAP read uses, so the
//! KZ-AD rules judge an export exactly as they judge the directory it was taken from.
//!
//! The ages the rules compute (password and logon age) are taken at the export's time:
//! a `# Exported: <RFC 3339>` line at the top when the file states it (kizuna's lab and
//! collector write one), else the file's modification time, else the judging time
//! (`--until`, else the scan's); the input's notes say which.

use std::io::{BufRead, Read};

use base64::Engine;
use chrono::{DateTime, Utc};
use kizuna_core::directory::entry::{AdEntry, SnapshotBuilder};
use kizuna_core::directory::{DirectoryExport, ExportTime, uac};
use kizuna_core::{Fact, InputReport, Timestamp};

use crate::csv_rows::{CsvRows, header_names};
use crate::inventory::header_line;
use crate::local_time::culture_time;
use crate::text::for_each_line;

/// A security template opens with `[Unicode]` and signs itself `$CHICAGO$`.
pub(crate) fn looks_like_gpttmpl(t: &str) -> bool {
    t.trim_start().starts_with("[Unicode]") && t.to_ascii_uppercase().contains("$CHICAGO$")
}

/// The largest GptTmpl.inf read: real ones are kilobytes.
const MAX_GPTTMPL: u64 = 16 * 1024 * 1024;

/// A GPO's `GptTmpl.inf` in a SYSVOL copy (`…\Policies\{GUID}\Machine\Microsoft\Windows
/// NT\SecEdit\GptTmpl.inf`): its `[Registry Values]` as the settings of GPO `{GUID}`,
/// the folder above `Machine`. They reach the GPO of that GUID in the directory exports
/// of the same scan (KZ-AD-004/005), as `--sysvol` would give them. `folders` are the
/// file's folders, nearest first.
pub fn read_gpttmpl(
    mut input: Box<dyn BufRead>,
    path: &str,
    folders: &[String],
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    let mut text = String::new();
    if let Err(e) = (&mut input).take(MAX_GPTTMPL).read_to_string(&mut text) {
        report.error(format!("read error: {e}"));
        return;
    }
    report.records = 1;
    let backup = folders
        .iter()
        .any(|f| f.eq_ignore_ascii_case("DomainSysvol"));
    let machine = folders
        .iter()
        .position(|f| f.eq_ignore_ascii_case("Machine"));
    let guid = machine
        .and_then(|i| folders.get(i + 1))
        .filter(|g| g.len() == 38 && g.starts_with('{') && g.ends_with('}'))
        .map(|g| g.to_ascii_uppercase());
    let guid = match (guid, backup) {
        (Some(g), false) => g,
        (_, true) => {
            report.notes.push(
                "in a GPMC backup: its GPO is named by the backup's bkupInfo.xml; give the \
                 backup folder with --sysvol"
                    .into(),
            );
            return;
        }
        (None, false) => {
            report
                .notes
                .push("not under Policies\\{GUID}\\Machine: no GPO to give its settings to".into());
            return;
        }
    };
    let values = kizuna_gpo_read::gpttmpl::registry_values(text.as_bytes());
    report.kept = 1;
    report.notes.push(format!(
        "settings of GPO {guid}: {} registry values, for the directory exports of this scan",
        values.len()
    ));
    out(Fact::Directory(Box::new(DirectoryExport {
        snapshot: kizuna_core::directory::DirectorySnapshot {
            source: path.to_string(),
            gpos: vec![kizuna_core::directory::DirGpo {
                guid,
                registry_values: Some(values),
                ..Default::default()
            }],
            ..Default::default()
        },
        at: None,
        at_from: ExportTime::Unknown,
    })));
}

/// An LDIF opens with `version: 1` or its first `dn:`.
pub(crate) fn looks_like_ldif(t: &str) -> bool {
    let Some(first) = header_line(t) else {
        return false;
    };
    let lower = first.to_ascii_lowercase();
    lower.starts_with("dn:")
        || (lower.starts_with("version:")
            && t.lines()
                .any(|l| l.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("dn:"))))
}

/// A `csvde` export has a `DN` column, `Get-ADComputer | Export-Csv` a `DistinguishedName`
/// one, each with attributes of directory objects beside it.
pub(crate) fn looks_like_directory_csv(t: &str) -> bool {
    let Some(cols) = header_names(t) else {
        return false;
    };
    let has = |n: &str| cols.iter().any(|c| c.eq_ignore_ascii_case(n));
    (has("dn") || has("distinguishedname"))
        && [
            "objectclass",
            "samaccountname",
            "useraccountcontrol",
            "dnshostname",
            "gplink",
            "operatingsystem",
        ]
        .iter()
        .any(|n| has(n))
}

/// `# Exported: 2026-12-07T09:00:00Z` (also `#Exported at …`) among the leading comments.
fn stated_time(comment: &str) -> Option<Timestamp> {
    let c = comment.trim_start_matches('#').trim();
    c.get(..8).filter(|p| p.eq_ignore_ascii_case("exported"))?;
    let v = c[8..]
        .trim_start()
        .trim_start_matches(':')
        .trim_start()
        .trim_start_matches("at ")
        .trim();
    DateTime::parse_from_rfc3339(v)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The export's time and where it came from.
fn export_time(
    stated: Option<Timestamp>,
    modified: Option<Timestamp>,
) -> (Option<Timestamp>, ExportTime) {
    match (stated, modified) {
        (Some(t), _) => (Some(t), ExportTime::Stated),
        (None, Some(t)) => (Some(t), ExportTime::Modified),
        (None, None) => (None, ExportTime::Unknown),
    }
}

/// Sums up a finished export in the report and hands it on; nothing when the file held no
/// directory object.
fn finish(
    builder: SnapshotBuilder,
    path: &str,
    (at, at_from): (Option<Timestamp>, ExportTime),
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    if builder.is_empty() {
        if report.records > 0 {
            report
                .notes
                .push("no computers, GPOs, GPO links or WMI filters in the export".into());
        }
        return;
    }
    let domain = builder.domain();
    let snapshot = builder.finish(path.to_string(), at, domain);
    report.notes.push(format!(
        "{} computers, {} GPOs, {} GPO links, {} WMI filters under {}",
        snapshot.computers.len(),
        snapshot.gpos.len(),
        snapshot.links.len(),
        snapshot.wmi_filters.len(),
        if snapshot.domain.default_naming_context.is_empty() {
            "an unnamed domain"
        } else {
            &snapshot.domain.default_naming_context
        }
    ));
    if !snapshot.gpos.is_empty() {
        report.notes.push(
            "GPO settings are not part of a directory export: KZ-AD-004/005 read them from \
             --sysvol DIR (a SYSVOL copy or GPMC backups)"
                .into(),
        );
    }
    report.notes.push(match at {
        Some(t) => format!(
            "ages computed at {} ({})",
            t.format("%Y-%m-%d %H:%M:%SZ"),
            at_from.describe()
        ),
        None => format!("ages computed at {}", at_from.describe()),
    });
    out(Fact::Directory(Box::new(DirectoryExport {
        snapshot,
        at,
        at_from,
    })));
}

/// Counts an entry as read, and as kept when the snapshot took something from it.
fn keep(builder: &mut SnapshotBuilder, e: AdEntry, report: &mut InputReport) {
    report.records += 1;
    let before = builder.len();
    builder.add(e);
    if builder.len() > before {
        report.kept += 1;
    }
}

/// The longest value read from an LDIF once its folded lines are joined (a photo or a
/// certificate is tens of kilobytes; nothing kizuna reads comes close).
const MAX_VALUE: usize = 4 * 1024 * 1024;

/// One entry of an LDIF being read.
#[derive(Default)]
struct LdifEntry {
    entry: Option<AdEntry>,
    /// A `changetype` other than `add`: a change, not an object.
    change: bool,
    first_line: u64,
}

/// Reads an `ldifde` export (RFC 2849: folded lines, base64 values, comments).
pub fn read_ldif(
    mut input: Box<dyn BufRead>,
    path: &str,
    modified: Option<Timestamp>,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    let mut builder = SnapshotBuilder::new();
    let mut stated = None;
    let mut seen_dn = false;
    let mut current = LdifEntry::default();
    // The logical line being unfolded, and the line it started on.
    let mut logical: Option<(u64, String)> = None;
    let mut dropping = false;
    let mut changes = 0u64;
    let mut skipped = NotObjects::default();
    let mut take =
        |(line_no, text): (u64, String), current: &mut LdifEntry, report: &mut InputReport| {
            ldif_line(line_no, &text, current, report, &mut skipped);
        };
    let mut end_entry =
        |current: &mut LdifEntry, builder: &mut SnapshotBuilder, report: &mut InputReport| {
            let done = std::mem::take(current);
            match done.entry {
                Some(_) if done.change => changes += 1,
                Some(e) => keep(builder, e, report),
                None => {}
            }
        };
    for_each_line(&mut *input, report, |line_no, text, report| {
        if let Some(rest) = text.strip_prefix(' ') {
            match &mut logical {
                Some((start, l)) if l.len() + rest.len() > MAX_VALUE => {
                    // Unfolding without end is damage or hostile: the value is dropped,
                    // and so are the rest of its lines.
                    report.error(format!(
                        "line {start}: a value folded past {MAX_VALUE} bytes; skipped"
                    ));
                    logical = None;
                    dropping = true;
                }
                Some((_, l)) => l.push_str(rest),
                None if dropping => {}
                None => report.error(format!(
                    "line {line_no}: a continuation line with nothing to continue; skipped"
                )),
            }
            return true;
        }
        dropping = false;
        if let Some(l) = logical.take() {
            take(l, &mut current, report);
        }
        if text.trim().is_empty() {
            end_entry(&mut current, &mut builder, report);
        } else if text.starts_with('#') {
            if !seen_dn && stated.is_none() {
                stated = stated_time(&text);
            }
        } else {
            if text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("dn:")) {
                seen_dn = true;
                if current.entry.is_some() {
                    // ldifde separates entries by a blank line; a dn without one still
                    // starts a new entry.
                    end_entry(&mut current, &mut builder, report);
                }
                current.first_line = line_no;
            }
            logical = Some((line_no, text));
        }
        true
    });
    if let Some(l) = logical.take() {
        take(l, &mut current, report);
    }
    end_entry(&mut current, &mut builder, report);
    if changes > 0 {
        report.notes.push(format!(
            "{changes} change records (changetype modify/delete/modrdn) are not objects; not read"
        ));
    }
    if skipped.urls > 0 {
        report.notes.push(format!(
            "{} values given by URL (attr:< …) are not fetched",
            skipped.urls
        ));
    }
    if skipped.referrals > 0 {
        report.notes.push(format!(
            "{} search referrals (ref:) are not objects",
            skipped.referrals
        ));
    }
    finish(builder, path, export_time(stated, modified), report, out);
}

/// Lines of an LDIF that hold no object's value, counted for the notes.
#[derive(Default)]
struct NotObjects {
    /// `attr:< URL` values (not fetched).
    urls: u64,
    /// `ref:` lines: referrals a search (`ldapsearch`, `ldbsearch`) printed.
    referrals: u64,
}

/// One unfolded LDIF line into the entry being read.
fn ldif_line(
    line_no: u64,
    text: &str,
    current: &mut LdifEntry,
    report: &mut InputReport,
    skipped: &mut NotObjects,
) {
    // `-` ends one modification of a change record.
    if text.trim() == "-" {
        return;
    }
    let Some((name, rest)) = text.split_once(':') else {
        report.error(format!(
            "line {line_no}: no attribute name (a line is `name: value`); skipped"
        ));
        return;
    };
    // Options (`;binary`, `;range=0-1499`) are not part of the name.
    let name = name.split(';').next().unwrap_or(name).trim();
    let value = if let Some(b64) = rest.strip_prefix(':') {
        match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                report.error(format!(
                    "line {line_no}: {name}: not base64 ({e}); value skipped"
                ));
                return;
            }
        }
    } else if rest.starts_with('<') {
        skipped.urls += 1;
        return;
    } else {
        rest.strip_prefix(' ').unwrap_or(rest).to_string()
    };
    if current.entry.is_none() && name.eq_ignore_ascii_case("version") {
        return;
    }
    if current.entry.is_none() && name.eq_ignore_ascii_case("ref") {
        skipped.referrals += 1;
        return;
    }
    if name.eq_ignore_ascii_case("dn") {
        current.entry = Some(AdEntry::new(value));
        return;
    }
    let Some(entry) = current.entry.as_mut() else {
        report.error(format!(
            "line {line_no}: `{name}` before any dn: line; skipped"
        ));
        return;
    };
    if name.eq_ignore_ascii_case("changetype") {
        current.change = !value.trim().eq_ignore_ascii_case("add");
        return;
    }
    entry.push(name, value);
}

/// `Get-ADComputer` properties that PowerShell renders in the exporting machine's culture
/// (no time zone), and the attribute kizuna keeps them as when the raw one is absent.
const CULTURE_TIMES: [(&str, &str); 3] = [
    ("PasswordLastSet", "pwdLastSet"),
    ("LastLogonDate", "lastLogonTimestamp"),
    ("Created", "whenCreated"),
];

fn filetime_text(t: Timestamp) -> String {
    let ticks =
        (t.timestamp() + 11_644_473_600) * 10_000_000 + i64::from(t.timestamp_subsec_nanos() / 100);
    ticks.to_string()
}

/// Reads a `csvde` or `Get-ADComputer | Export-Csv` export: one object a row, the DN in
/// `DN` / `DistinguishedName`.
pub fn read_directory_csv(
    input: Box<dyn BufRead>,
    path: &str,
    modified: Option<Timestamp>,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    let Some(rows) = CsvRows::open(input, report) else {
        return;
    };
    let stated = rows
        .head
        .lines()
        .take_while(|l| l.trim().is_empty() || l.starts_with('#'))
        .find_map(stated_time);
    let headers: Vec<String> = rows.headers.iter().map(|c| c.trim().to_string()).collect();
    let dn_col = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case("DN") || h.eq_ignore_ascii_case("DistinguishedName"));
    let Some(dn_col) = dn_col else {
        report.error("header: no DN or DistinguishedName column");
        return;
    };
    let mut builder = SnapshotBuilder::new();
    let mut derived_uac = 0u64;
    let mut culture = 0u64;
    rows.for_each(report, |line, row, report| {
        let dn = row.get(dn_col).unwrap_or("").trim();
        if dn.is_empty() {
            report.error(format!("line {line}: no DN; row skipped"));
            return;
        }
        let mut e = AdEntry::new(dn);
        for (i, (h, v)) in headers.iter().zip(row.iter()).enumerate() {
            let v = v.trim();
            if i == dn_col || h.is_empty() || v.is_empty() {
                continue;
            }
            if h.eq_ignore_ascii_case("objectClass") {
                // csvde joins the values of a multi-valued attribute with `;`.
                for c in v.split(';').filter(|c| !c.is_empty()) {
                    e.push(h, c);
                }
            } else {
                e.push(h, v);
            }
        }
        culture += normalize_powershell(&mut e, &mut derived_uac);
        keep(&mut builder, e, report);
    });
    if derived_uac > 0 {
        report.notes.push(format!(
            "{derived_uac} rows without userAccountControl: account state from Enabled and PrimaryGroupID (516 = DC, 521 = read-only DC)"
        ));
    }
    if culture > 0 {
        report.notes.push(format!(
            "{culture} times read from PowerShell's display form (PasswordLastSet, LastLogonDate, Created), which has no time zone: read as UTC; export pwdLastSet and lastLogonTimestamp for exact ages"
        ));
    }
    finish(builder, path, export_time(stated, modified), report, out);
}

/// `Get-ADComputer` columns into the attributes they stand for, where the raw attribute
/// is missing: culture-formatted times, and the account state from `Enabled` and
/// `PrimaryGroupID`. Returns how many times came from the display form.
fn normalize_powershell(e: &mut AdEntry, derived_uac: &mut u64) -> u64 {
    let mut culture = 0;
    for (shown, raw) in CULTURE_TIMES {
        let usable = e.one(raw).is_some_and(|v| {
            if raw == "whenCreated" {
                kizuna_core::directory::entry::generalized(Some(v)).is_some()
            } else {
                v.trim().parse::<i64>().is_ok()
            }
        });
        if usable {
            continue;
        }
        let Some(t) = e.one(shown).and_then(culture_time) else {
            continue;
        };
        let value = if raw == "whenCreated" {
            t.format("%Y%m%d%H%M%S.0Z").to_string()
        } else {
            filetime_text(t)
        };
        e.set(raw, value);
        culture += 1;
    }
    if !e.has("userAccountControl") && (e.has("Enabled") || e.has("PrimaryGroupID")) {
        let mut bits = match e.one("PrimaryGroupID").map(str::trim) {
            Some("516") => uac::SERVER_TRUST_ACCOUNT,
            Some("521") => uac::WORKSTATION_TRUST_ACCOUNT | uac::PARTIAL_SECRETS_ACCOUNT,
            _ => uac::WORKSTATION_TRUST_ACCOUNT,
        };
        if e.one("Enabled")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
        {
            bits |= uac::ACCOUNTDISABLE;
        }
        e.push("userAccountControl", bits.to_string());
        *derived_uac += 1;
    }
    culture
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuna_core::InputKind;

    fn read(
        kind: InputKind,
        text: &str,
        modified: Option<Timestamp>,
    ) -> (InputReport, Vec<DirectoryExport>) {
        let mut report = InputReport::new("x".into(), kind, "fp".into(), text.len() as u64);
        let mut got = Vec::new();
        let input: Box<dyn BufRead> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        let mut out = |f: Fact| {
            if let Fact::Directory(d) = f {
                got.push(*d);
            }
        };
        match kind {
            InputKind::Ldif => read_ldif(input, "x", modified, &mut report, &mut out),
            _ => read_directory_csv(input, "x", modified, &mut report, &mut out),
        }
        (report, got)
    }

    const LDIF: &str = "# Exported: 2026-11-30T00:00:00Z\n\
version: 1\n\
\n\
dn: DC=lab,DC=test\n\
changetype: add\n\
objectClass: top\n\
objectClass: domainDNS\n\
msDS-Behavior-Version: 10\n\
gPLink: [LDAP://cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,D\n C=lab,DC=test;0]\n\
\n\
dn:: Q04944OR44K944Kz44OzMSxPVT3pg6jnvbIsREM9bGFiLERDPXRlc3Q=\n\
changetype: add\n\
objectClass: computer\n\
cn:: 44OR44K944Kz44OzMQ==\n\
userAccountControl: 4096\n\
pwdLastSet: 132223104000000000\n\
\n\
dn: CN=X,DC=lab,DC=test\n\
changetype: modify\n\
replace: description\n\
description: y\n\
-\n";

    #[test]
    fn ldif_unfolds_decodes_and_states_its_time() {
        assert!(looks_like_ldif(LDIF));
        assert!(!looks_like_ldif("Name,Sid\nPC1,S-1-5-21-1-2-3\n"));
        let (report, got) = read(InputKind::Ldif, LDIF, None);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.records, 2, "the change record is not an object");
        assert_eq!(got.len(), 1);
        let x = &got[0];
        assert_eq!(x.at_from, ExportTime::Stated);
        assert_eq!(x.at.unwrap().to_rfc3339(), "2026-11-30T00:00:00+00:00");
        let s = &x.snapshot;
        assert_eq!(s.domain.default_naming_context, "DC=lab,DC=test");
        assert_eq!(s.domain.domain_functionality, Some(10));
        assert_eq!(s.links.len(), 1, "the folded gPLink is whole");
        assert_eq!(s.computers.len(), 1);
        assert_eq!(s.computers[0].name, "パソコン1");
        assert_eq!(s.computers[0].dn, "CN=パソコン1,OU=部署,DC=lab,DC=test");
        assert!(s.computers[0].pwd_last_set.is_some());
        assert!(
            report.notes.iter().any(|n| n.contains("change records")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_value_folded_without_end_is_dropped_not_held() {
        let mut text =
            String::from("dn: CN=PC1,DC=lab,DC=test\nobjectClass: computer\ndescription: x\n");
        let fold = format!(" {}\n", "y".repeat(1000));
        for _ in 0..(MAX_VALUE / 1000 + 10) {
            text.push_str(&fold);
        }
        text.push_str("cn: PC1\n");
        let (report, got) = read(InputKind::Ldif, &text, None);
        assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
        assert!(report.errors[0].starts_with("line 3: a value folded past"));
        assert_eq!(got[0].snapshot.computers[0].name, "PC1", "the rest is read");
    }

    #[test]
    fn damaged_ldif_lines_are_named_and_the_rest_is_kept() {
        let text = "dn: CN=PC1,DC=lab,DC=test\nobjectClass: computer\nno colon here\ncn:: !!!\n\ndn: CN=PC2,DC=lab,DC=test\nobjectClass: computer\n";
        let (report, got) = read(InputKind::Ldif, text, None);
        assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
        assert!(
            report.errors[0].starts_with("line 3:"),
            "{:?}",
            report.errors
        );
        assert!(
            report.errors[1].starts_with("line 4: cn:"),
            "{:?}",
            report.errors
        );
        assert_eq!(got[0].snapshot.computers.len(), 2);
        assert_eq!(got[0].at_from, ExportTime::Unknown);
    }

    #[test]
    fn csvde_and_get_adcomputer_rows_become_computers() {
        let csvde = "DN,objectClass,cn,userAccountControl,pwdLastSet,gPLink\n\
\"CN=PC1,OU=PCs,DC=lab,DC=test\",top;person;organizationalPerson;user;computer,PC1,4096,132223104000000000,\n\
\"OU=PCs,DC=lab,DC=test\",top;organizationalUnit,PCs,,,\"[LDAP://cn={AB},cn=policies,cn=system,DC=lab,DC=test;0]\"\n";
        assert!(looks_like_directory_csv(csvde));
        let t = "2026-12-01T00:00:00Z".parse().unwrap();
        let (report, got) = read(InputKind::DirectoryCsv, csvde, Some(t));
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let s = &got[0].snapshot;
        assert_eq!(got[0].at_from, ExportTime::Modified);
        assert_eq!(s.computers.len(), 1);
        assert_eq!(s.links.len(), 1, "gPLink keeps its `;`");
        assert_eq!(s.links[0].gpo_guid, "{AB}");

        let ps = "#TYPE Microsoft.ActiveDirectory.Management.ADComputer\n\
\"DistinguishedName\",\"DNSHostName\",\"Enabled\",\"Name\",\"ObjectClass\",\"PasswordLastSet\",\"PrimaryGroupID\",\"SamAccountName\"\n\
\"CN=DC1,OU=Domain Controllers,DC=lab,DC=test\",\"DC1.lab.test\",\"True\",\"DC1\",\"computer\",\"2026/10/01 09:00:00\",\"516\",\"DC1$\"\n\
\"CN=PC9,OU=PCs,DC=lab,DC=test\",\"PC9.lab.test\",\"False\",\"PC9\",\"computer\",\"10/1/2026 9:00:00 PM\",\"515\",\"PC9$\"\n";
        assert!(looks_like_directory_csv(ps));
        assert!(
            !crate::inventory::looks_like_inventory_csv("Name,MachineSid\nPC1,S-1-5-21-1-2-3\n")
                || !looks_like_directory_csv("Name,MachineSid\nPC1,S-1-5-21-1-2-3\n")
        );
        let (report, got) = read(InputKind::DirectoryCsv, ps, None);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let s = &got[0].snapshot;
        assert_eq!(s.computers.len(), 2);
        let dc = &s.computers[0];
        assert!(dc.is_dc() && dc.enabled());
        assert_eq!(
            dc.pwd_last_set.unwrap().to_rfc3339(),
            "2026-10-01T09:00:00+00:00"
        );
        let pc = &s.computers[1];
        assert!(!pc.enabled() && !pc.is_dc());
        assert_eq!(
            pc.pwd_last_set.unwrap().to_rfc3339(),
            "2026-10-01T21:00:00+00:00"
        );
        assert!(report.notes.iter().any(|n| n.contains("no time zone")));
        assert!(report.notes.iter().any(|n| n.contains("PrimaryGroupID")));
    }

    #[test]
    fn a_gpttmpl_gives_its_settings_to_the_gpo_of_its_folder() {
        let inf = "[Unicode]\nUnicode=yes\n[Version]\nsignature=\"$CHICAGO$\"\n[Registry Values]\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange=4,1\n";
        let folders = |p: &str| -> Vec<String> { p.split('/').rev().map(str::to_string).collect() };
        let run = |f: Vec<String>| {
            let mut report = InputReport::new(
                "x".into(),
                InputKind::GptTmpl,
                "fp".into(),
                inf.len() as u64,
            );
            let mut got = Vec::new();
            let input: Box<dyn BufRead> = Box::new(std::io::Cursor::new(inf.as_bytes().to_vec()));
            read_gpttmpl(input, "x", &f, &mut report, &mut |x| {
                if let Fact::Directory(d) = x {
                    got.push(*d);
                }
            });
            (report, got)
        };
        let (report, got) = run(folders(
            "SYSVOL/lab.test/Policies/{31b2f340-016d-11d2-945f-00c04fb984f9}/Machine/Microsoft/Windows NT/SecEdit",
        ));
        assert_eq!(report.kept, 1);
        let s = &got[0].snapshot;
        assert!(s.is_gpo_settings());
        assert_eq!(s.gpos[0].guid, "{31B2F340-016D-11D2-945F-00C04FB984F9}");
        assert_eq!(s.gpos[0].netlogon_value("RefusePasswordChange"), Some(1));
        // A GPMC backup names its GPO elsewhere (bkupInfo.xml): said, not guessed.
        let (report, got) = run(folders(
            "backups/{AAAAAAAA-0000-0000-0000-000000000000}/DomainSysvol/GPO/Machine/microsoft/windows nt/SecEdit",
        ));
        assert!(got.is_empty());
        assert!(
            report.notes[0].contains("GPMC backup"),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_csv_without_a_dn_column_is_refused_by_name() {
        let (report, got) = read(InputKind::DirectoryCsv, "Name,cn\nPC1,PC1\n", None);
        assert!(got.is_empty());
        assert!(report.errors[0].contains("no DN"), "{:?}", report.errors);
    }
}
