//! Measures the testbed: start (install if needed + provision + start) and one add_local call with
//! N computer objects (default 10,000), then counts them back over LDAP.
//!
//! `cargo run -p kizuna-testbed --example bulk_add --release [-- N]` (as root).

use std::process::Command;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let t = Instant::now();
    let dc = kizuna_testbed::SambaDc::start().unwrap_or_else(|e| panic!("start: {e}"));
    println!(
        "start (install if needed + provision + start): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let info = dc.info().clone();

    let pwd_last_set = kizuna_testbed::filetime(1_577_836_800); // 2020-01-01
    let mut ldif = format!(
        "dn: OU=Bulk,{b}\nobjectClass: organizationalUnit\nou: Bulk\n\n",
        b = info.base_dn
    );
    for i in 0..n {
        ldif.push_str(&format!(
            "dn: CN=PC{i:05},OU=Bulk,{b}\nobjectClass: computer\nsAMAccountName: PC{i:05}$\n\
             userAccountControl: 4096\ndNSHostName: pc{i:05}.{d}\noperatingSystem: Windows 11 Enterprise\n\
             operatingSystemVersion: 10.0 (26100)\npwdLastSet: {pwd_last_set}\n\
             lastLogonTimestamp: {pwd_last_set}\n\n",
            b = info.base_dn,
            d = info.dns_domain
        ));
    }
    let t = Instant::now();
    dc.add_local(&ldif)
        .unwrap_or_else(|e| panic!("add_local: {e}"));
    println!(
        "add_local of {n} computers (one call): {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let out = Command::new("ldapsearch")
        .args([
            "-x",
            "-LLL",
            "-H",
            &info.ldap_url,
            "-D",
            &info.admin_upn,
            "-y",
        ])
        .arg(&info.password_file)
        .args([
            "-E",
            "pr=1000/noprompt",
            "-b",
            &format!("OU=Bulk,{}", info.base_dn),
        ])
        .args(["(objectClass=computer)", "pwdLastSet"])
        .output()
        .expect("ldapsearch");
    let text = String::from_utf8_lossy(&out.stdout);
    let found = text
        .lines()
        .filter(|l| *l == format!("pwdLastSet: {pwd_last_set}"))
        .count();
    println!(
        "LDAP read-back (paged): {found} of {n} with pwdLastSet 2020-01-01 in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    dc.stop().unwrap_or_else(|e| panic!("stop: {e}"));
    println!("stop: {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(found, n, "not every computer read back");
}
