//! The testbed against real Samba (no mocks). Needs root; installs Samba with apt-get if missing.
//! The DC tests take the machine-wide lock in turn, so they never run two DCs at once.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kizuna_testbed::{DcInfo, SambaDc, available, filetime};

const GPTTMPL_REL: &str = "Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf";
const SECURITY_CSE: &str =
    "[{827D319E-6EAC-11D2-A4EA-00C04F79F83A}{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}]";
const DC_QUERY: &str = r#"SELECT * FROM Win32_OperatingSystem WHERE ProductType = "2""#;

fn start() -> SambaDc {
    if let Err(e) = available() {
        panic!("the Samba testbed cannot run on this machine: {e}");
    }
    SambaDc::start().unwrap_or_else(|e| panic!("SambaDc::start: {e}"))
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// ldapsearch; `bind` authenticates as Administrator with the password file (never argv).
fn ldapsearch(info: &DcInfo, url: &str, bind: bool, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = Command::new("ldapsearch");
    cmd.args([
        "-x",
        "-LLL",
        "-o",
        "ldif-wrap=no",
        "-o",
        "nettimeout=5",
        "-H",
        url,
    ]);
    if bind {
        cmd.arg("-D")
            .arg(&info.admin_upn)
            .arg("-y")
            .arg(&info.password_file);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.args(args).output().expect("ldapsearch runs");
    Out {
        ok: o.status.success(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn attr_values(ldif: &str, attr: &str) -> Vec<String> {
    let prefix = format!("{attr}: ");
    ldif.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_string)
        .collect()
}

fn stat_fields(pid: i32) -> Option<(char, i32)> {
    let t = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = t[t.rfind(')')? + 1..].split_whitespace().collect();
    Some((f[0].chars().next()?, f[2].parse().ok()?))
}

/// Running (not zombie) processes in process group `pgid` or whose argv mentions `needle`.
fn leftovers(pgid: i32, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Some((state, pgrp)) = stat_fields(pid) else {
            continue;
        };
        if state == 'Z' || state == 'X' {
            continue;
        }
        let cmd = fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        if pgrp == pgid || cmd.contains(needle) {
            out.push(format!("{pid} {cmd}"));
        }
    }
    out
}

fn port_open(port: u16) -> bool {
    let addr = format!("127.0.0.2:{port}").parse().unwrap();
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xff, 0xfe];
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

#[test]
fn available_explains_itself() {
    // Root here (the DC needs it); elsewhere the error must say what is missing.
    match (available(), unsafe_euid_is_root()) {
        (Ok(()), true) => {}
        (Ok(()), false) => panic!("available() said yes without root"),
        (Err(e), true) => panic!("root but unavailable: {e}"),
        (Err(e), false) => assert!(e.contains("needs root"), "unclear reason: {e}"),
    }
}

fn unsafe_euid_is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1).map(|e| e == "0"))
        .unwrap_or(false)
}

#[test]
fn dc_serves_ldap_ldaps_fixtures_and_gpos_then_stops_cleanly() {
    let dc = start();
    let info = dc.info().clone();
    let password = fs::read_to_string(&info.password_file).unwrap();
    assert!(password.len() >= 16 && !password.ends_with('\n'));
    let mode = fs::metadata(&info.password_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "password file mode {mode:o}");
    assert!(
        !format!("{dc:?}").contains(&password),
        "Debug shows the password"
    );
    // Everything the API hands back, checked for the password at the end.
    let mut returned: Vec<String> = Vec::new();

    // rootDSE over ldap://, anonymously.
    let root = ldapsearch(
        &info,
        &info.ldap_url,
        false,
        &[],
        &["-s", "base", "-b", "", "defaultNamingContext"],
    );
    assert!(root.ok, "rootDSE: {}", root.stderr);
    assert_eq!(
        attr_values(&root.stdout, "defaultNamingContext"),
        [info.base_dn.as_str()]
    );

    // LDAPS verifies against the test CA (by IP, so through the SAN) and fails against another CA.
    let ca = info.ca_cert.to_str().unwrap();
    let tls = ldapsearch(
        &info,
        &info.ldaps_url,
        true,
        &[("LDAPTLS_CACERT", ca), ("LDAPTLS_REQCERT", "demand")],
        &["-s", "base", "-b", &info.base_dn, "dn"],
    );
    assert!(tls.ok, "LDAPS with the test CA: {}", tls.stderr);
    assert!(
        tls.stdout.contains(&format!("dn: {}", info.base_dn)),
        "{}",
        tls.stdout
    );
    let other = tempfile::tempdir().unwrap();
    let st = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args([
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "other-ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Other CA",
        ])
        .current_dir(other.path())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let other_ca = other.path().join("other-ca.pem");
    let bad = ldapsearch(
        &info,
        &info.ldaps_url,
        false,
        &[
            ("LDAPTLS_CACERT", other_ca.to_str().unwrap()),
            ("LDAPTLS_REQCERT", "demand"),
        ],
        &["-s", "base", "-b", "", "defaultNamingContext"],
    );
    assert!(
        !bad.ok,
        "LDAPS verified against a foreign CA: {}",
        bad.stdout
    );

    // A computer with an old pwdLastSet, added locally, reads back over LDAP.
    let old = filetime(1_577_836_800); // 2020-01-01T00:00:00Z
    assert_eq!(old, 132_223_104_000_000_000);
    let ou = format!("OU=Kizuna,{}", info.base_dn);
    dc.add_local(&format!(
        "dn: {ou}\nobjectClass: organizationalUnit\nou: Kizuna\n\n\
         dn: CN=WS001,{ou}\nobjectClass: computer\nsAMAccountName: WS001$\nuserAccountControl: 4096\n\
         dNSHostName: ws001.lab.test\noperatingSystemVersion: 10.0 (26100)\n\
         pwdLastSet: {old}\nlastLogonTimestamp: {old}\n"
    ))
    .unwrap_or_else(|e| panic!("add_local: {e}"));
    let ws = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &[
            "-b",
            &ou,
            "(sAMAccountName=WS001$)",
            "pwdLastSet",
            "lastLogonTimestamp",
        ],
    );
    assert!(ws.ok, "{}", ws.stderr);
    assert_eq!(attr_values(&ws.stdout, "pwdLastSet"), [old.to_string()]);
    assert_eq!(
        attr_values(&ws.stdout, "lastLogonTimestamp"),
        [old.to_string()]
    );
    let newer = filetime(1_700_000_000);
    dc.modify_local(&format!(
        "dn: CN=WS001,{ou}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: {newer}\n-\n"
    ))
    .unwrap_or_else(|e| panic!("modify_local: {e}"));
    let ws = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &["-b", &ou, "(sAMAccountName=WS001$)", "pwdLastSet"],
    );
    assert_eq!(attr_values(&ws.stdout, "pwdLastSet"), [newer.to_string()]);

    // A GPO: created, linked enforced, GptTmpl.inf written, WMI filter attached.
    let guid = dc
        .create_gpo("Kizuna Netlogon Test")
        .unwrap_or_else(|e| panic!("create_gpo: {e}"));
    assert!(
        guid.starts_with('{') && guid.ends_with('}') && guid.len() == 38,
        "{guid}"
    );
    dc.link_gpo(&ou, &guid, 2)
        .unwrap_or_else(|e| panic!("link_gpo: {e}"));
    let inf = "[Unicode]\r\nUnicode=yes\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n\
               [Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange=4,1\r\n";
    let bytes = utf16le_with_bom(inf);
    dc.write_sysvol(&guid, GPTTMPL_REL, &bytes)
        .unwrap_or_else(|e| panic!("write_sysvol: {e}"));
    let wmi = dc
        .create_wmi_filter("Domain Controllers", DC_QUERY)
        .unwrap_or_else(|e| panic!("create_wmi_filter: {e}"));
    let wql = format!("[{};{wmi};0]", info.dns_domain);
    dc.set_gpo_attrs(
        &guid,
        &[
            ("versionNumber", "1"),
            ("gPCMachineExtensionNames", SECURITY_CSE),
            ("gPCWQLFilter", &wql),
        ],
    )
    .unwrap_or_else(|e| panic!("set_gpo_attrs: {e}"));

    let link = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &["-s", "base", "-b", &ou, "gPLink"],
    );
    let gplink = attr_values(&link.stdout, "gPLink").concat();
    let want = format!(
        "[LDAP://cn={guid},cn=policies,cn=system,{};2]",
        info.base_dn
    );
    assert!(gplink.contains(&want), "gPLink {gplink:?} lacks {want}");
    let gpo_dn = format!("CN={guid},CN=Policies,CN=System,{}", info.base_dn);
    let gpo = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &[
            "-s",
            "base",
            "-b",
            &gpo_dn,
            "versionNumber",
            "gPCMachineExtensionNames",
            "gPCWQLFilter",
            "displayName",
        ],
    );
    assert!(gpo.ok, "{}", gpo.stderr);
    assert_eq!(attr_values(&gpo.stdout, "gPCWQLFilter"), [wql.as_str()]);
    assert_eq!(attr_values(&gpo.stdout, "versionNumber"), ["1"]);
    assert_eq!(
        attr_values(&gpo.stdout, "gPCMachineExtensionNames"),
        [SECURITY_CSE]
    );
    assert_eq!(
        attr_values(&gpo.stdout, "displayName"),
        ["Kizuna Netlogon Test"]
    );
    let som = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &[
            "-b",
            &format!("CN=SOM,CN=WMIPolicy,CN=System,{}", info.base_dn),
            &format!("(msWMI-ID={wmi})"),
            "msWMI-Name",
            "msWMI-Parm2",
        ],
    );
    assert!(som.ok, "{}", som.stderr);
    assert_eq!(
        attr_values(&som.stdout, "msWMI-Name"),
        ["Domain Controllers"]
    );
    assert_eq!(
        attr_values(&som.stdout, "msWMI-Parm2"),
        [format!(
            "1;3;10;{};WQL;root\\CIMv2;{DC_QUERY};",
            DC_QUERY.len()
        )]
    );
    let on_disk = fs::read(info.sysvol.join("Policies").join(&guid).join(GPTTMPL_REL)).unwrap();
    assert_eq!(on_disk, bytes);
    assert!(
        info.sysvol
            .join("Policies")
            .join(&guid)
            .join("GPT.INI")
            .exists()
    );
    // Relinking changes the flags in place; linking next to an existing link keeps it.
    dc.link_gpo(&ou, &guid, 0).unwrap();
    let link = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &["-s", "base", "-b", &ou, "gPLink"],
    );
    let gplink = attr_values(&link.stdout, "gPLink").concat();
    assert_eq!(gplink, want.replace(";2]", ";0]"));
    let dcs = format!("OU=Domain Controllers,{}", info.base_dn);
    dc.link_gpo(&dcs, &guid, 1).unwrap();
    let link = ldapsearch(
        &info,
        &info.ldap_url,
        true,
        &[],
        &["-s", "base", "-b", &dcs, "gPLink"],
    );
    let gplink = attr_values(&link.stdout, "gPLink")
        .concat()
        .to_ascii_uppercase();
    assert!(
        gplink.starts_with(&want.replace(";2]", ";1]").to_ascii_uppercase()),
        "{gplink}"
    );
    assert!(
        gplink.contains("{6AC1786C-016F-11D2-945F-00C04FB984F9}"),
        "default DC policy link lost: {gplink}"
    );
    let e = dc
        .link_gpo(&ou, "{00000000-0000-4000-8000-000000000000}", 0)
        .unwrap_err();
    assert!(e.contains("no GPO"), "{e}");
    // samba-tool sees the link too.
    let links = dc
        .samba_tool(&["gpo", "getlink", &ou])
        .unwrap_or_else(|e| panic!("getlink: {e}"));
    assert!(links.contains(&guid), "{links}");
    returned.push(links);
    returned.push(dc.samba_tool(&["gpo", "listall"]).unwrap());

    // Refusals and failures, with readable reasons that never carry the password.
    let e = dc
        .write_sysvol(&guid, "../../escape.txt", b"x")
        .unwrap_err();
    assert!(e.contains(".."), "{e}");
    let e = dc.link_gpo(&ou, &guid, 4).unwrap_err();
    assert!(e.contains("0..=3"), "{e}");
    let e = dc
        .add_local(&format!(
            "dn: CN=WS001,{ou}\nobjectClass: computer\nsAMAccountName: WS001$\n"
        ))
        .unwrap_err();
    assert!(e.contains("ldbadd failed"), "{e}");
    returned.push(e);
    let e = dc
        .samba_tool(&["user", "show", "no-such-user"])
        .unwrap_err();
    assert!(e.contains("no-such-user"), "{e}");
    returned.push(e);
    for text in &returned {
        assert!(
            !text.contains(&password),
            "the admin password leaked into: {text}"
        );
    }
    for entry in walk(&dc.dir().join("log")) {
        let text = String::from_utf8_lossy(&fs::read(&entry).unwrap()).into_owned();
        assert!(
            !text.contains(&password),
            "the admin password is in {}",
            entry.display()
        );
    }

    // Stop: nothing of ours keeps running, the dir is gone, the ports are closed.
    let dir = dc.dir().to_path_buf();
    let pgid = dc.pid().expect("samba pid") as i32;
    assert!(
        !leftovers(pgid, dir.to_str().unwrap()).is_empty(),
        "samba not found before stop"
    );
    dc.stop().unwrap_or_else(|e| panic!("stop: {e}"));
    assert!(!dir.exists(), "{} left behind", dir.display());
    let left = leftovers(pgid, dir.to_str().unwrap());
    assert!(left.is_empty(), "still running after stop: {left:?}");
    assert!(
        !port_open(389) && !port_open(636),
        "LDAP still answers after stop"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Run by `dc_dies_with_its_test_process` in a child process: starts a DC, reports it in the file
/// named by KIZUNA_TESTBED_HELPER_OUT, and holds it until stdin closes (so it never outlives the parent).
#[test]
#[ignore = "helper process of dc_dies_with_its_test_process"]
fn helper_hold_dc() {
    let Some(out) = std::env::var_os("KIZUNA_TESTBED_HELPER_OUT") else {
        eprintln!("helper_hold_dc: only run by dc_dies_with_its_test_process");
        return;
    };
    let dc = start();
    let tmp = Path::new(&out).with_extension("tmp");
    fs::write(
        &tmp,
        format!("{} {}", dc.pid().unwrap(), dc.dir().display()),
    )
    .unwrap();
    fs::rename(&tmp, &out).unwrap();
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {}
}

/// A test process killed with SIGKILL runs no Drop: samba must end itself (its stdin pipe closes)
/// and the next start must clean the rest (dir, lock record).
#[test]
fn dc_dies_with_its_test_process() {
    if let Err(e) = available() {
        panic!("the Samba testbed cannot run on this machine: {e}");
    }
    let talk = tempfile::tempdir().unwrap();
    let out = talk.path().join("holding");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "helper_hold_dc", "--ignored", "--test-threads=1"])
        .env("KIZUNA_TESTBED_HELPER_OUT", &out)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    let (pid, dir) = loop {
        if let Ok(text) = fs::read_to_string(&out) {
            let (p, d) = text.split_once(' ').unwrap();
            break (p.parse::<i32>().unwrap(), std::path::PathBuf::from(d));
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("helper exited ({st}) without starting a DC");
        }
        if t.elapsed() > Duration::from_secs(900) {
            let _ = child.kill();
            panic!("helper did not start a DC within 900 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(port_open(389), "helper's DC does not listen");
    child.kill().unwrap(); // SIGKILL: no Drop, no stop()
    child.wait().unwrap();
    let t = Instant::now();
    let needle = dir.to_str().unwrap();
    // samba's group, plus smbd/winbindd (own sessions, but --configfile names our dir).
    while !leftovers(pid, needle).is_empty() && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let left = leftovers(pid, needle);
    assert!(left.is_empty(), "samba outlived its owner: {left:?}");
    assert!(
        dir.exists(),
        "nothing left to recover — the test proves nothing"
    );
    // The next DC cleans up after the dead one.
    let dc = start();
    assert!(
        !dir.exists(),
        "{} not cleaned by the next start",
        dir.display()
    );
    dc.stop().unwrap();
}
