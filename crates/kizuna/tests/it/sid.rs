//! `kizuna sid scan` against real hosts: Samba servers with chosen machine SIDs in network
//! namespaces the test creates (kizuna-testbed `SidHosts`), one with port 445 closed and
//! one address that never answers; and a Samba AD DC whose computer objects name them.

use std::path::Path;
use std::process::{Command, Output};

use kizuna_testbed::sid_hosts::{PASSWORD, SidHosts, USER};

use crate::common;

const A: &str = "S-1-5-21-1111111111-2222222222-3333333341";
const B: &str = "S-1-5-21-1111111111-2222222222-3333333342";
const PASSWORD_VAR: &str = "KZ_SID_TEST_PASSWORD";

/// `kizuna ARGS` in English with the password in `PASSWORD_VAR`.
fn sid_scan(dir: &Path, password: &str, args: &[&str]) -> Output {
    common::english(&mut Command::new(env!("CARGO_BIN_EXE_kizuna")))
        .args(args)
        .current_dir(dir)
        .env(PASSWORD_VAR, password)
        .output()
        .expect("kizuna runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `kizuna ARGS` as [`sid_scan`] does, in a mount namespace of its own whose `/etc/hosts`
/// is `hosts`: the names the directory gives resolve to the test's hosts, and nothing
/// outside the test sees them.
fn sid_scan_resolving(dir: &Path, password: &str, hosts: &Path, args: &[&str]) -> Output {
    common::english(&mut Command::new("unshare"))
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind \"$0\" /etc/hosts && exec \"$@\"")
        .arg(hosts)
        .arg(env!("CARGO_BIN_EXE_kizuna"))
        .args(args)
        .current_dir(dir)
        .env(PASSWORD_VAR, password)
        .output()
        .expect("unshare runs")
}

fn findings(v: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), common::subjects(f)))
        .collect()
}

/// The input of each host asked: (path, status, reason).
fn asked(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "lsarpc")
        .map(|i| {
            let reason = i["errors"][0]
                .as_str()
                .and_then(|e| e.split(':').next())
                .unwrap_or("")
                .to_string();
            (
                i["path"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
                reason,
            )
        })
        .collect()
}

#[test]
fn clones_are_one_group_and_every_silent_host_says_why() {
    let set = SidHosts::start(&[A, A, B]).unwrap();
    let work = tempfile::tempdir().unwrap();
    let ips: Vec<&str> = set.hosts.iter().map(|h| h.ip.as_str()).collect();
    let credentials = ["--user", USER, "--password-env", PASSWORD_VAR];
    let mut args = vec!["sid", "scan", "--timeout", "2", "--format", "json"];
    args.extend(&ips);
    args.extend([set.closed.as_str(), set.silent.as_str()]);
    args.extend(credentials);
    let started = std::time::Instant::now();
    let o = sid_scan(work.path(), PASSWORD, &args);
    // the silent host costs one timeout (2 s), not the scan's whole time
    assert!(started.elapsed().as_secs() < 8, "{:?}", started.elapsed());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = common::json(&o);
    assert_eq!(
        findings(&v),
        [(
            "KZ-SID-002".to_string(),
            vec!["SIDHOST1".to_string(), "SIDHOST2".to_string()]
        )]
    );
    // the finding's evidence is the two answers, nothing else
    let evidence: Vec<&str> = v["findings"][0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        evidence,
        [
            format!("lsarpc://{}", ips[0]),
            format!("lsarpc://{}", ips[1])
        ]
    );
    let devices: Vec<(&str, &str)> = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap(),
                d["machine_sid"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(devices, [("SIDHOST1", A), ("SIDHOST2", A), ("SIDHOST3", B)]);
    // every host once, listed by path like every input
    let inputs = asked(&v);
    let mut paths: Vec<&str> = inputs.iter().map(|i| i.0.as_str()).collect();
    let listed = paths.clone();
    paths.sort();
    assert_eq!(listed, paths);
    let of = |host: &str| {
        inputs
            .iter()
            .find(|i| i.0 == format!("lsarpc://{host}"))
            .map(|i| (i.1.as_str(), i.2.as_str()))
            .unwrap_or_else(|| panic!("{host} not in {inputs:?}"))
    };
    assert_eq!(inputs.len(), 5);
    for ip in &ips {
        assert_eq!(of(ip), ("ok", ""));
    }
    assert_eq!(of(&set.closed), ("error", "port-closed"));
    let (status, reason) = of(&set.silent);
    assert_eq!(status, "error");
    assert!(matches!(reason, "timeout" | "no-route"), "{inputs:?}");
    for out in [common::stdout(&o), stderr(&o)] {
        assert!(!out.contains(PASSWORD), "{out}");
    }

    // The report in both languages (the silent host left out: its reason is timing's).
    for lang in ["en", "ja"] {
        let mut args = vec!["sid", "scan", "--timeout", "2", "--lang", lang];
        args.extend(&ips);
        args.push(&set.closed);
        args.extend(credentials);
        let o = sid_scan(work.path(), PASSWORD, &args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        insta::assert_snapshot!(format!("sid_scan_text_{lang}"), common::stdout(&o));
    }
}

#[test]
fn wrong_credentials_and_bad_targets_are_refused_clearly() {
    let set = SidHosts::start(&[A, B]).unwrap();
    let work = tempfile::tempdir().unwrap();
    let wrong = "Wrong-Pa55word-for-the-test";
    let o = sid_scan(
        work.path(),
        wrong,
        &[
            "sid",
            "scan",
            &set.hosts[0].ip,
            &set.hosts[1].ip,
            "--user",
            USER,
            "--password-env",
            PASSWORD_VAR,
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("none of the 2 hosts asked gave an answer"),
        "{err}"
    );
    assert_eq!(err.matches("logon-failure").count(), 2, "{err}");
    assert!(!err.contains(wrong) && !common::stdout(&o).contains(wrong));
    // the JSON still lists each host with its reason
    let v = common::json(&o);
    let reasons: Vec<String> = asked(&v)
        .into_iter()
        .map(|(_, s, r)| format!("{s} {r}"))
        .collect();
    assert_eq!(reasons, ["error logon-failure", "error logon-failure"]);
    // without --user: a null session, which Samba allows by default...
    let o = sid_scan(
        work.path(),
        "",
        &["sid", "scan", &set.hosts[1].ip, "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(common::json(&o)["devices"][0]["machine_sid"], B);
    // ...and Windows refuses: the error says what to give
    set.refuse_anonymous(0).unwrap();
    let o = sid_scan(work.path(), "", &["sid", "scan", &set.hosts[0].ip]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give --user"), "{}", stderr(&o));

    for (args, said) in [
        (vec!["10.0.0.0/8"], "give --yes-large"),
        (vec!["pc1", "--bad"], "unexpected argument"),
        (vec!["pc;1"], "not a host name"),
        (vec!["fe80::/64"], "IPv6 ranges are not scanned"),
        (vec![], "no host to ask"),
    ] {
        let o = sid_scan(work.path(), "", &[&["sid", "scan"][..], &args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(said), "{args:?}: {}", stderr(&o));
    }
    let hosts = work.path().join("hosts.txt");
    std::fs::write(&hosts, "# clones\npc1\n\npc 2\n").unwrap();
    let o = sid_scan(
        work.path(),
        "",
        &["sid", "scan", "--hosts-file", hosts.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("hosts.txt line 4"), "{}", stderr(&o));
}

#[test]
fn the_directory_names_the_hosts_and_the_dc_is_never_a_finding_alone() {
    if let Err(why) = kizuna_testbed::available() {
        panic!("the Samba testbed cannot run here: {why}");
    }
    let dc = kizuna_testbed::SambaDc::start().expect("the Samba DC starts");
    let info = dc.info().clone();
    let password = std::fs::read_to_string(&info.password_file).unwrap();
    let set = SidHosts::start_with_password(&[A, A, B], &password).unwrap();
    let work = tempfile::tempdir().unwrap();
    // the hosts as the domain's computers; one more whose port is closed, one disabled
    let mut ldif = String::new();
    let mut names = Vec::new();
    for (name, uac) in [
        ("SIDHOST1", 4096),
        ("SIDHOST2", 4096),
        ("SIDHOST3", 4096),
        ("CLOSED-PC", 4096),
        ("RETIRED-PC", 4098),
    ] {
        ldif.push_str(&format!(
            "dn: CN={name},CN=Computers,{base}\nobjectClass: computer\ncn: {name}\n\
sAMAccountName: {name}$\nuserAccountControl: {uac}\ndNSHostName: {lower}.{dns}\n\n",
            base = info.base_dn,
            lower = name.to_lowercase(),
            dns = info.dns_domain,
        ));
        names.push(name);
    }
    dc.add_local(&ldif).unwrap();
    let mut hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    hosts.push_str(&format!(
        "\n{} {}.{}\n",
        info.host,
        info.dc_name.to_lowercase(),
        info.dns_domain
    ));
    for h in &set.hosts {
        hosts.push_str(&format!(
            "{} {}.{}\n",
            h.ip,
            h.name.to_lowercase(),
            info.dns_domain
        ));
    }
    hosts.push_str(&format!("{} closed-pc.{}\n", set.closed, info.dns_domain));
    // the retired computer's name would answer: it must not be asked
    hosts.push_str(&format!(
        "{} retired-pc.{}\n",
        set.hosts[2].ip, info.dns_domain
    ));
    let hosts_file = work.path().join("hosts");
    std::fs::write(&hosts_file, hosts).unwrap();

    let user = format!("{}\\Administrator", info.domain);
    let o = sid_scan_resolving(
        work.path(),
        &password,
        &hosts_file,
        &[
            "sid",
            "scan",
            "--server",
            &info.ldap_url,
            "--user",
            &user,
            "--password-env",
            PASSWORD_VAR,
            "--timeout",
            "5",
            "--format",
            "json",
            "--db",
            "sid.db",
        ],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(": 5 enabled computers to ask (1 disabled, not asked)"),
        "{err}"
    );
    assert!(!err.contains(&password) && !common::stdout(&o).contains(&password));
    let v = common::json(&o);
    let dns = &info.dns_domain;
    let dc_host = format!("{}.{dns}", info.dc_name.to_lowercase());
    let mut expected: Vec<(String, String, String)> = [
        (dc_host.clone(), "ok", ""),
        (format!("sidhost1.{dns}"), "ok", ""),
        (format!("sidhost2.{dns}"), "ok", ""),
        (format!("sidhost3.{dns}"), "ok", ""),
        (format!("closed-pc.{dns}"), "error", "port-closed"),
    ]
    .into_iter()
    .map(|(h, s, r)| (format!("lsarpc://{h}"), s.to_string(), r.to_string()))
    .collect();
    expected.sort();
    let mut got = asked(&v);
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(
        findings(&v),
        [(
            "KZ-SID-002".to_string(),
            vec!["SIDHOST1".to_string(), "SIDHOST2".to_string()]
        )]
    );
    // the DC: its domain's SID, as PsGetSid shows it, and a DC
    let dc_device = v["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == info.dc_name.as_str())
        .unwrap_or_else(|| panic!("no {} in {}", info.dc_name, v["devices"]));
    assert_eq!(dc_device["role"], "dc");
    let said = SidHosts::rpcclient_lsaquery(&info.host).unwrap();
    let sid = dc_device["machine_sid"].as_str().unwrap();
    assert!(
        said.contains(&format!("Domain Sid: {sid}")),
        "{said} / {dc_device}"
    );
    // the directory read is among the inputs
    assert!(
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "directory"),
        "{}",
        v["inputs"]
    );
    // the answers are kept in the store and the scan recorded
    let db = rusqlite::Connection::open(work.path().join("sid.db")).unwrap();
    let kept: i64 = db
        .query_row(
            "SELECT count(*) FROM inputs WHERE kind = 'lsarpc'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 4);
    let scans: i64 = db
        .query_row("SELECT count(*) FROM scans", [], |r| r.get(0))
        .unwrap();
    assert_eq!(scans, 1);
}
