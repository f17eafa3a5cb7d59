//! Inventories: CSV (Excel, `Export-Csv`, PingCastle-style tab-separated) and JSON
//! (`ConvertTo-Json`) lists of computers, with header names matched case-insensitively
//! through common aliases. The text encoding (UTF-8 with or without BOM, UTF-16LE, CP932)
//! is detected by the text layer.

use std::io::BufRead;

use kizuna_core::{
    DeviceName, DeviceRole, IdentityRecord, IdentitySource, MachineGuid, MachineSid, OsBuild,
    SourceRef,
};
use serde_json::Value;

use crate::csv_rows::CsvRows;
use crate::event_json::for_each_json_value;
use kizuna_core::{Fact, InputReport};

/// Which field a header names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name(u8),
    Sid,
    Build,
    CurrentBuild,
    Ubr,
    Role,
    Domain,
    Os,
    /// A Netlogon parameter, by its registry value name.
    Netlogon(&'static str),
    /// When the row's facts were read (RFC 3339).
    ReadAt,
    /// The installation's MachineGuid.
    Guid,
    /// Known and deliberately not judged (yet): the collector writes it for the record.
    Unused,
}

/// The properties of the collector's `identity.json` (`Collect-KizunaEvidence.ps1`), which
/// kizuna reads as an inventory. A contract: the script's test compares its syntax tree
/// with this list, and every name must be a field this reader knows.
pub const COLLECTOR_FIELDS: &[&str] = &[
    "ComputerName",
    "Domain",
    "Role",
    "MachineSid",
    "CurrentBuild",
    "UBR",
    "DisplayVersion",
    "ProductName",
    "MachineGuid",
    "RefusePasswordChange",
    "MaximumPasswordAge",
    "DisablePasswordChange",
    "ReadAt",
    "Collector",
];

/// Whether the inventory readers know a column or property name.
pub fn is_inventory_field(name: &str) -> bool {
    field(name).is_some()
}

/// Header aliases, normalized (lower case, no spaces, `_` or `-`). `Name(n)`: lower n wins.
fn field(header: &str) -> Option<Field> {
    let h: String = header
        .trim()
        .trim_matches('"')
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{3000}'))
        .collect();
    Some(match h.as_str() {
        "computername" | "コンピューター名" | "コンピュータ名" | "コンピュータ" => {
            Field::Name(0)
        }
        "pscomputername" | "devicename" | "machinename" | "端末名" => Field::Name(1),
        "dnshostname" | "hostname" | "ホスト名" | "fqdn" => Field::Name(2),
        "name" | "computer" | "device" | "host" | "名前" => Field::Name(3),
        "machinesid" | "sid" | "computersid" | "localsid" | "マシンsid" => Field::Sid,
        "osbuild"
        | "build"
        | "buildnumber"
        | "osversion"
        | "operatingsystemversion"
        | "version"
        | "osビルド"
        | "ビルド" => Field::Build,
        "currentbuild" | "currentbuildnumber" => Field::CurrentBuild,
        "ubr" => Field::Ubr,
        "role" | "producttype" | "domainrole" | "役割" | "種別" => Field::Role,
        "domain" | "domainname" | "dnsdomain" | "dnsdomainname" | "ドメイン" => Field::Domain,
        "operatingsystem" | "os" | "osname" | "caption" | "productname" => Field::Os,
        "refusepasswordchange" => Field::Netlogon("RefusePasswordChange"),
        "maximumpasswordage" => Field::Netlogon("MaximumPasswordAge"),
        "disablepasswordchange" => Field::Netlogon("DisablePasswordChange"),
        "readat" => Field::ReadAt,
        "machineguid" => Field::Guid,
        // the feature update (24H2), the collector's version
        "displayversion" | "collector" => Field::Unused,
        _ => return None,
    })
}

/// Column positions of the fields an inventory has.
#[derive(Debug, Default)]
struct Columns {
    name: Option<(u8, usize)>,
    sid: Option<usize>,
    build: Option<usize>,
    current_build: Option<usize>,
    ubr: Option<usize>,
    role: Option<usize>,
    domain: Option<usize>,
    os: Option<usize>,
    netlogon: Vec<(&'static str, usize)>,
    read_at: Option<usize>,
    guid: Option<usize>,
}

impl Columns {
    fn from_headers<'a>(headers: impl Iterator<Item = &'a str>) -> Columns {
        let mut c = Columns::default();
        for (i, h) in headers.enumerate() {
            match field(h) {
                Some(Field::Name(rank)) if c.name.is_none_or(|(r, _)| rank < r) => {
                    c.name = Some((rank, i));
                }
                Some(Field::Name(_)) => {}
                Some(Field::Sid) => c.sid = c.sid.or(Some(i)),
                Some(Field::Build) => c.build = c.build.or(Some(i)),
                Some(Field::CurrentBuild) => c.current_build = c.current_build.or(Some(i)),
                Some(Field::Ubr) => c.ubr = c.ubr.or(Some(i)),
                Some(Field::Role) => c.role = c.role.or(Some(i)),
                Some(Field::Domain) => c.domain = c.domain.or(Some(i)),
                Some(Field::Os) => c.os = c.os.or(Some(i)),
                Some(Field::Netlogon(name)) => {
                    if !c.netlogon.iter().any(|(n, _)| *n == name) {
                        c.netlogon.push((name, i));
                    }
                }
                Some(Field::ReadAt) => c.read_at = c.read_at.or(Some(i)),
                Some(Field::Guid) => c.guid = c.guid.or(Some(i)),
                Some(Field::Unused) | None => {}
            }
        }
        c
    }

    /// An inventory names devices and says something about their identity.
    fn usable(&self) -> bool {
        self.name.is_some()
            && (self.sid.is_some() || self.build.is_some() || self.current_build.is_some())
    }
}

/// `10.0.26100.6584`, `26100.6584`, AD's `10.0 (26100)`, or CurrentBuild + UBR.
fn build_of(build: Option<&str>, current: Option<&str>, ubr: Option<&str>) -> Option<OsBuild> {
    let from_build = build.and_then(|b| {
        let b = b.trim();
        match (b.find('('), b.find(')')) {
            (Some(i), Some(j)) if j > i => OsBuild::parse(&b[i + 1..j]),
            _ => OsBuild::parse(b),
        }
    });
    let from_parts = current
        .and_then(|c| c.trim().parse::<u32>().ok())
        .map(|build| OsBuild {
            build,
            ubr: ubr.and_then(|u| u.trim().parse().ok()),
        });
    match (from_build, from_parts) {
        (Some(b), Some(p)) if b.ubr.is_none() && p.build == b.build => Some(p),
        (Some(b), _) => Some(b),
        (None, p) => p,
    }
}

fn role_of(role: Option<&str>, os: Option<&str>) -> Option<DeviceRole> {
    role.and_then(DeviceRole::parse).or_else(|| {
        let os = os?.to_lowercase();
        if os.trim().is_empty() {
            None
        } else if os.contains("server") {
            Some(DeviceRole::Server)
        } else if os.contains("windows") {
            Some(DeviceRole::Workstation)
        } else {
            None
        }
    })
}

/// One row of values (by column) to an identity fact.
fn record(
    c: &Columns,
    get: &dyn Fn(Option<usize>) -> Option<String>,
    source: SourceRef,
) -> Result<Option<IdentityRecord>, String> {
    let Some(name) = get(c.name.map(|(_, i)| i)).filter(|n| !n.trim().is_empty()) else {
        return Ok(None);
    };
    let device =
        DeviceName::parse(&name).ok_or_else(|| format!("{name:?} is not a computer name"))?;
    let machine_sid = match get(c.sid).filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(s.parse::<MachineSid>()?),
        None => None,
    };
    let machine_guid = match get(c.guid).filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(s.parse::<MachineGuid>()?),
        None => None,
    };
    let os_build = build_of(
        get(c.build).as_deref(),
        get(c.current_build).as_deref(),
        get(c.ubr).as_deref(),
    );
    let domain = get(c.domain)
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .or_else(|| device.dns_domain().map(str::to_string));
    let mut netlogon = std::collections::BTreeMap::new();
    for (name, i) in &c.netlogon {
        let Some(v) = get(Some(*i)).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let n = v
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("{name} {v:?} is not a number"))?;
        netlogon.insert((*name).to_string(), n);
    }
    let observed = match get(c.read_at).filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(
            chrono::DateTime::parse_from_rfc3339(v.trim())
                .map_err(|_| format!("ReadAt {v:?} is not an RFC 3339 time"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    Ok(Some(IdentityRecord {
        role: role_of(get(c.role).as_deref(), get(c.os).as_deref()),
        device: Some(device),
        folder: None,
        machine_sid,
        machine_guid,
        domain,
        os_build,
        netlogon,
        hardening: Default::default(),
        observed,
        kind: IdentitySource::Inventory,
        source,
    }))
}

/// The delimiter of a CSV header line: comma, tab or semicolon (Excel in some locales).
pub(crate) fn delimiter(header: &str) -> u8 {
    let count = |c: char| header.matches(c).count();
    [(b'\t', count('\t')), (b';', count(';')), (b',', count(','))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| d)
}

/// The first line that is not a PowerShell `#TYPE` comment.
pub(crate) fn header_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether decoded text looks like an inventory CSV.
pub(crate) fn looks_like_inventory_csv(text: &str) -> bool {
    let Some(h) = header_line(text) else {
        return false;
    };
    let d = delimiter(h) as char;
    Columns::from_headers(h.split(d)).usable()
}

/// Whether a JSON document's first object has inventory keys.
pub(crate) fn looks_like_inventory_json(text: &str) -> bool {
    // Keys of the first object, found without a full parse (the head may be cut).
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('"') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('"') else { break };
        let key = &after[..j];
        let tail = after[j + 1..].trim_start();
        if tail.starts_with(':') {
            keys.push(key.to_string());
        }
        rest = &after[j + 1..];
        if keys.len() > 64 {
            break;
        }
    }
    Columns::from_headers(keys.iter().map(String::as_str)).usable()
}

/// Reads an inventory CSV. A record too large ends the read with an error (the rows
/// before it are kept).
pub fn read_inventory_csv(
    input: Box<dyn BufRead>,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    let Some(rows) = CsvRows::open(input, report) else {
        return;
    };
    let columns = Columns::from_headers(rows.headers.iter().map(String::as_str));
    if !columns.usable() {
        report.error("no computer-name column with a SID or build column");
        return;
    }
    rows.for_each(report, |line, row, report| {
        report.records += 1;
        let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map(str::to_string);
        let source = SourceRef {
            path: path.to_string(),
            offset: None,
            line: Some(line),
        };
        match record(&columns, &get, source) {
            Ok(Some(r)) => {
                report.kept += 1;
                out(Fact::Identity(r));
            }
            Ok(None) => {}
            Err(e) => report.error(format!("line {line}: {e}")),
        }
    });
}

fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads an inventory JSON (array of objects, JSON lines, or one object).
pub fn read_inventory_json(
    input: Box<dyn BufRead>,
    path: &str,
    report: &mut InputReport,
    out: &mut dyn FnMut(Fact),
) {
    for_each_json_value(
        input,
        report,
        &mut |v: Value, at: String, report: &mut InputReport| {
            let Some(obj) = v.as_object() else {
                report.error(format!("{at}: not an object"));
                return;
            };
            report.records += 1;
            let keys: Vec<&String> = obj.keys().collect();
            let columns = Columns::from_headers(keys.iter().map(|k| k.as_str()));
            let get = |i: Option<usize>| i.and_then(|i| obj.get(keys[i])).and_then(json_text);
            let source = SourceRef {
                path: path.to_string(),
                offset: None,
                line: at.strip_prefix("line ").and_then(|l| l.parse().ok()),
            };
            match record(&columns, &get, source) {
                Ok(Some(r)) => {
                    report.kept += 1;
                    out(Fact::Identity(r));
                }
                Ok(None) => {}
                Err(e) => report.error(format!("{at}: {e}")),
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// identity.json as the collector writes it: Windows PowerShell 5.1's ConvertTo-Json of
    /// a one-element array, four-space indents, CRLF, numbers for DWORDs, null for absent.
    const IDENTITY_JSON: &str = "[\r\n    {\r\n        \"ComputerName\":  \"DC01\",\r\n        \"Domain\":  \"corp.example\",\r\n        \"Role\":  \"Domain Controller\",\r\n        \"MachineSid\":  \"S-1-5-21-1004336348-1177238915-682003330\",\r\n        \"CurrentBuild\":  \"26100\",\r\n        \"UBR\":  6584,\r\n        \"DisplayVersion\":  \"24H2\",\r\n        \"ProductName\":  \"Windows Server 2025 Datacenter\",\r\n        \"MachineGuid\":  \"8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8\",\r\n        \"RefusePasswordChange\":  1,\r\n        \"MaximumPasswordAge\":  30,\r\n        \"DisablePasswordChange\":  null,\r\n        \"ReadAt\":  \"2026-12-07T03:14:15Z\",\r\n        \"Collector\":  \"kizuna-collect 0.1.0\"\r\n    }\r\n]";

    #[test]
    fn the_collectors_identity_json_is_read_into_its_device() {
        assert!(looks_like_inventory_json(IDENTITY_JSON));
        let mut report = InputReport::new(
            "DC01-20261207.zip!/DC01/identity.json".into(),
            kizuna_core::InputKind::InventoryJson,
            String::new(),
            0,
        );
        let mut facts = Vec::new();
        read_inventory_json(
            Box::new(std::io::Cursor::new(IDENTITY_JSON.as_bytes().to_vec())),
            "DC01-20261207.zip!/DC01/identity.json",
            &mut report,
            &mut |f| facts.push(f),
        );
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!((report.records, report.kept), (1, 1));
        let [Fact::Identity(r)] = facts.as_slice() else {
            panic!("one identity fact: {facts:?}");
        };
        assert_eq!(r.device.as_ref().unwrap().to_string(), "DC01");
        assert_eq!(r.domain.as_deref(), Some("corp.example"));
        assert_eq!(r.role, Some(DeviceRole::Dc));
        assert_eq!(
            r.machine_sid.unwrap().to_string(),
            "S-1-5-21-1004336348-1177238915-682003330"
        );
        assert_eq!(r.os_build.unwrap().to_string(), "26100.6584");
        assert_eq!(
            r.machine_guid.unwrap().to_string(),
            "8b1f2a3c-4d5e-6f70-8192-a3b4c5d6e7f8"
        );
        // present values are kept, a null one is absent (not 0)
        assert_eq!(r.netlogon.get("RefusePasswordChange"), Some(&1));
        assert_eq!(r.netlogon.get("MaximumPasswordAge"), Some(&30));
        assert_eq!(r.netlogon.get("DisablePasswordChange"), None);
        assert_eq!(
            r.observed.unwrap().to_rfc3339(),
            "2026-12-07T03:14:15+00:00"
        );
        for name in COLLECTOR_FIELDS {
            assert!(is_inventory_field(name), "{name}");
            assert!(IDENTITY_JSON.contains(&format!("\"{name}\"")), "{name}");
        }

        // A value that is not a number is an error named by its field, not a guess.
        let bad = IDENTITY_JSON.replace(
            "\"MaximumPasswordAge\":  30",
            "\"MaximumPasswordAge\":  \"thirty\"",
        );
        let mut report = InputReport::new(
            "x".into(),
            kizuna_core::InputKind::InventoryJson,
            String::new(),
            0,
        );
        read_inventory_json(
            Box::new(std::io::Cursor::new(bad.into_bytes())),
            "x",
            &mut report,
            &mut |_| {},
        );
        assert!(
            report
                .errors
                .iter()
                .any(|e| e.contains("MaximumPasswordAge") && e.contains("thirty")),
            "{:?}",
            report.errors
        );
    }

    #[test]
    fn aliases_and_builds() {
        let c =
            Columns::from_headers(["Name", "PSComputerName", "MachineSid", "Version"].into_iter());
        assert_eq!(c.name, Some((1, 1)), "PSComputerName beats Name");
        assert!(c.usable());
        assert!(!Columns::from_headers(["Name", "Owner"].into_iter()).usable());
        assert_eq!(
            build_of(Some("10.0.26100.6584"), None, None)
                .unwrap()
                .to_string(),
            "26100.6584"
        );
        assert_eq!(
            build_of(Some("10.0 (26100)"), None, None)
                .unwrap()
                .to_string(),
            "26100"
        );
        assert_eq!(
            build_of(None, Some("26100"), Some("4946"))
                .unwrap()
                .to_string(),
            "26100.4946"
        );
        assert_eq!(
            build_of(Some("26100"), Some("26100"), Some("6584"))
                .unwrap()
                .to_string(),
            "26100.6584"
        );
        assert_eq!(
            role_of(None, Some("Windows Server 2025 Datacenter")),
            Some(DeviceRole::Server)
        );
        assert_eq!(role_of(Some("LanmanNT"), None), Some(DeviceRole::Dc));
        assert_eq!(delimiter("ComputerName\tSID\tBuild"), b'\t');
        assert!(looks_like_inventory_csv(
            "#TYPE System.Management.Automation.PSCustomObject\r\n\"ComputerName\",\"MachineSid\"\r\n"
        ));
        assert!(looks_like_inventory_json(
            "[\r\n  {\r\n    \"ComputerName\": \"PC1\",\r\n    \"OSBuild\": \"26100.1\""
        ));
        assert!(!looks_like_inventory_json(
            "[{\"Id\": 5719, \"ProviderName\": \"NETLOGON\"}]"
        ));
    }
}
