//! The `fleet` lab: machine identities of a small fleet as administrators collect them —
//! inventories in three encodings and PsGetSid output — with every duplicate-SID case.
//!
//! | devices | machine SID | builds | a correct scan says |
//! |---|---|---|---|
//! | PC-CLONE1, PC-CLONE2 | A | 26100.6584, 26200.6584 | KZ-SID-001 (blocked now) |
//! | PC-OLD1, PC-NEW1 | B | 19045.6093 (Windows 10), 26100.6584 | KZ-SID-002 (breaks when PC-OLD1 moves to 24H2+) |
//! | PC-PRE1, PC-PRE2 | C | 26100.4946 both (before the hardening) | KZ-SID-002 |
//! | DC01, DC02, PC-DCCLONE | D (the domain SID) | 26100.6584 | KZ-SID-003 for PC-DCCLONE only; the DCs alone are fine |
//! | PC-UNK, PC-X | E | unknown, 26100.6584 | KZ-SID-002, PC-UNK's build unknown |
//! | PC-UNIQUE | F | 26100.6584 | nothing |
//!
//! PC-CLONE2's System log holds LsaSrv 6167 (it refused PC-CLONE1): KZ-SID-004. Both DCs
//! run Windows Server 2025: KZ-DC-001.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What the fleet lab holds and what a scan must find.
#[derive(Debug, Clone)]
pub struct GroundTruth {
    pub files: Vec<PathBuf>,
    /// (rule, sorted subjects).
    pub findings: Vec<(&'static str, Vec<&'static str>)>,
    /// (device, machine SID) for every device.
    pub sids: Vec<(&'static str, &'static str)>,
}

pub const SID_A: &str = "S-1-5-21-1111111111-2222222222-3333333333";
pub const SID_B: &str = "S-1-5-21-1004336348-1177238915-682003330";
pub const SID_C: &str = "S-1-5-21-3623811015-3361044348-30300820";
pub const SID_D: &str = "S-1-5-21-2000000000-2000000001-2000000002";
pub const SID_E: &str = "S-1-5-21-4000000000-4000000001-4000000002";
pub const SID_F: &str = "S-1-5-21-1234567890-1234567890-1234567890";

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        v.extend_from_slice(&u.to_le_bytes());
    }
    v
}

/// Writes the fleet evidence under `dir`.
pub fn write(dir: &Path) -> io::Result<GroundTruth> {
    fs::create_dir_all(dir)?;
    // 1. PowerShell 5.1 `Export-Csv -Encoding Unicode` (UTF-16LE with BOM, #TYPE line, quotes, CRLF).
    let csv16 = format!(
        "#TYPE System.Management.Automation.PSCustomObject\r\n\
\"ComputerName\",\"MachineSid\",\"OSBuild\",\"Role\",\"Domain\"\r\n\
\"PC-CLONE1\",\"{SID_A}\",\"10.0.26100.6584\",\"Workstation\",\"corp.example\"\r\n\
\"PC-CLONE2\",\"{SID_A}\",\"10.0.26200.6584\",\"Workstation\",\"corp.example\"\r\n\
\"DC01\",\"{SID_D}\",\"10.0.26100.6584\",\"Domain Controller\",\"corp.example\"\r\n\
\"DC02\",\"{SID_D}\",\"10.0.26100.6584\",\"LanmanNT\",\"corp.example\"\r\n\
\"PC-DCCLONE\",\"{SID_D}\",\"10.0.26100.6584\",\"Workstation\",\"corp.example\"\r\n"
    );
    // 2. Japanese Excel "CSV (コンマ区切り)": CP932, Japanese headers.
    let csv_ja = format!(
        "コンピューター名,SID,OSビルド,役割\r\n\
PC-OLD1,{SID_B},19045.6093,クライアント\r\n\
PC-NEW1,{SID_B},26100.6584,クライアント\r\n\
PC-PRE1,{SID_C},26100.4946,クライアント\r\n\
PC-PRE2,{SID_C},26100.4946,クライアント\r\n\
PC-UNIQUE,{SID_F},26100.6584,サーバー\r\n"
    );
    let (cp932, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&csv_ja);
    assert!(!unmappable, "CP932 can hold the fleet CSV");
    // 3. `… | ConvertTo-Json` (UTF-8 without BOM): CurrentBuild + UBR, PSComputerName.
    let json = format!(
        "[\r\n  {{\r\n    \"PSComputerName\": \"PC-X.corp.example\",\r\n    \"SID\": \"{SID_E}\",\r\n    \"CurrentBuild\": \"26100\",\r\n    \"UBR\": 6584\r\n  }},\r\n  {{\r\n    \"PSComputerName\": \"PC-UNK\",\r\n    \"SID\": \"{SID_E}\",\r\n    \"CurrentBuild\": null,\r\n    \"UBR\": null\r\n  }}\r\n]\r\n"
    );
    // 4. PsGetSid \\host for a few hosts, redirected from PowerShell (UTF-16LE), with an unreachable one.
    let psgetsid = format!(
        "\r\nPsGetSid v1.46 - Translates SIDs to names and vice versa\r\nCopyright (C) 1999-2023 Mark Russinovich\r\nSysinternals - www.sysinternals.com\r\n\r\n\
SID for \\\\PC-CLONE1:\r\n{SID_A}\r\n\r\n\
SID for \\\\PC-NEW1:\r\n{SID_B}\r\n\r\n\
SID for \\\\PC-GONE:\r\nError querying SID:\r\nThe network path was not found.\r\n\r\n"
    );
    // 5. PC-CLONE2's own System log: the machine-ID check refused PC-CLONE1 (LsaSrv 6167).
    let refused = crate::writers::LabEvent {
        provider: "LsaSrv",
        event_id: 6167,
        qualifiers: Some(32768),
        level: 2,
        time: chrono::DateTime::parse_from_rfc3339("2025-10-02T08:15:00Z")
            .expect("time")
            .to_utc(),
        record_id: 4711,
        channel: "System",
        computer: "PC-CLONE2.corp.example".to_string(),
        data: vec![],
        named: vec![],
        status: None,
    };
    fs::create_dir_all(dir.join("PC-CLONE2"))?;
    let mut xml = Vec::new();
    crate::writers::write_wevtutil_xml(&mut xml, &[refused])?;
    fs::write(dir.join("PC-CLONE2/System.xml"), xml)?;
    let files = vec![
        dir.join("inventory-ps51.csv"),
        dir.join("資産一覧.csv"),
        dir.join("inventory.json"),
        dir.join("psgetsid.txt"),
        dir.join("PC-CLONE2/System.xml"),
    ];
    fs::write(&files[0], utf16le_bom(&csv16))?;
    fs::write(&files[1], &cp932[..])?;
    fs::write(&files[2], json)?;
    fs::write(&files[3], utf16le_bom(&psgetsid))?;
    Ok(GroundTruth {
        files,
        findings: vec![
            // Both DCs run build 26100 (Windows Server 2025): problem A's risk factor.
            ("KZ-DC-001", vec!["DC01", "DC02"]),
            ("KZ-SID-001", vec!["PC-CLONE1", "PC-CLONE2"]),
            ("KZ-SID-002", vec!["PC-NEW1", "PC-OLD1"]),
            ("KZ-SID-002", vec!["PC-PRE1", "PC-PRE2"]),
            ("KZ-SID-002", vec!["PC-UNK", "PC-X"]),
            ("KZ-SID-003", vec!["PC-DCCLONE"]),
            ("KZ-SID-004", vec!["PC-CLONE2"]),
        ],
        sids: vec![
            ("PC-CLONE1", SID_A),
            ("PC-CLONE2", SID_A),
            ("PC-OLD1", SID_B),
            ("PC-NEW1", SID_B),
            ("PC-PRE1", SID_C),
            ("PC-PRE2", SID_C),
            ("DC01", SID_D),
            ("DC02", SID_D),
            ("PC-DCCLONE", SID_D),
            ("PC-UNK", SID_E),
            ("PC-X", SID_E),
            ("PC-UNIQUE", SID_F),
        ],
    })
}
