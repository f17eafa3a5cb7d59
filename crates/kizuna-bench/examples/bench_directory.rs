//! Directory audit benchmark: seeds N computer objects (default 10,000) into the project's
//! Samba AD DC testbed, then times in the same run
//!
//! - the baseline: `ldapsearch` (OpenLDAP) paging the same computers and attributes to
//!   /dev/null,
//! - `kizuna ad audit` over ldaps:// (read + rules + JSON),
//!
//! with the peak RSS of each (wait4 rusage). Run with a release build of kizuna:
//!
//! ```sh
//! cargo build --release -p kizuna
//! cargo run --release -p kizuna-bench --example bench_directory -- 10000
//! ```

use std::process::Command;
use std::time::Instant;

use chrono::{Duration, Utc};

fn filetime(t: chrono::DateTime<Utc>) -> i64 {
    (t.timestamp() + 11_644_473_600) * 10_000_000
}

/// Runs a command; returns (seconds, peak RSS in KiB) from the kernel's accounting.
fn measure(cmd: &mut Command) -> (f64, u64) {
    let m = kizuna_testbed::measure(cmd).unwrap_or_else(|e| panic!("{e}"));
    (m.secs, m.peak_rss_kib)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let kizuna = std::env::var("KIZUNA_BIN").unwrap_or_else(|_| "target/release/kizuna".into());
    let t = Instant::now();
    let dc = kizuna_testbed::SambaDc::start().expect("testbed");
    let started = t.elapsed().as_secs_f64();
    let info = dc.info().clone();
    let now = Utc::now();
    let mut ldif = format!(
        "dn: OU=Fleet,{}\nobjectClass: organizationalUnit\n\n",
        info.base_dn
    );
    for i in 0..n {
        ldif.push_str(&format!(
            "dn: CN=PC-{i:06},OU=Fleet,{base}\nobjectClass: computer\ncn: PC-{i:06}\n\
sAMAccountName: PC-{i:06}$\nuserAccountControl: 4096\noperatingSystem: Windows 11 Enterprise\n\
operatingSystemVersion: 10.0 (26100)\npwdLastSet: {pwd}\nlastLogonTimestamp: {logon}\n\
msDS-SupportedEncryptionTypes: {enc}\n\n",
            base = info.base_dn,
            pwd = filetime(now - Duration::days((i % 200) as i64)),
            logon = filetime(now - Duration::days((i % 120) as i64)),
            enc = if i % 25 == 0 { 4 } else { 28 },
        ));
    }
    let t = Instant::now();
    dc.add_local(&ldif).expect("seeding");
    let seeded = t.elapsed().as_secs_f64();

    let attrs = kizuna_directory::COMPUTER_ATTRIBUTES;
    let (base_s, base_rss) = measure(
        Command::new("ldapsearch")
            .env("LDAPTLS_CACERT", &info.ca_cert)
            .args([
                "-LLL",
                "-x",
                "-H",
                &info.ldaps_url,
                "-D",
                &info.admin_upn,
                "-y",
            ])
            .arg(&info.password_file)
            .args([
                "-E",
                "pr=500/noprompt",
                "-b",
                &info.base_dn,
                "(objectClass=computer)",
            ])
            .args(attrs),
    );
    let (kz_s, kz_rss) = measure(
        Command::new(&kizuna)
            .args([
                "ad",
                "audit",
                "--server",
                &info.ldaps_url,
                "--bind",
                &info.admin_upn,
                "--password-file",
            ])
            .arg(&info.password_file)
            .arg("--ca-cert")
            .arg(&info.ca_cert)
            .args(["--format", "json"]),
    );
    println!(
        "objects: {n} computers (+ the DC's own); DC start {started:.1} s, seeding {seeded:.1} s"
    );
    println!(
        "baseline ldapsearch (paged, same attributes, to /dev/null): {base_s:.2} s, peak RSS {base_rss} KiB"
    );
    println!("kizuna ad audit (read + rules + JSON): {kz_s:.2} s, peak RSS {kz_rss} KiB");
    println!("ratio kizuna / ldapsearch: {:.2}x", kz_s / base_s);
    dc.stop().expect("stops");
}
