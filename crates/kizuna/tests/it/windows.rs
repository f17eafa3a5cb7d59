//! kizuna.exe, the Windows build, under wine: for the same inputs it must answer what the
//! Linux build answers. Relative inputs give byte-identical JSON and text; absolute ones
//! differ only in the path prefix and separator. Japanese reaches a Windows console
//! whatever its code page, and a Japanese Windows speaks Japanese without `--lang`.
//!
//! The exe is built by `scripts/windows-build.sh` (the first time about ten minutes).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kizuna_testbed::windows::{WindowsKizuna, WineRun};

const NOW: &str = "2026-11-21T00:00:00Z";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace")
}

fn windows() -> WindowsKizuna {
    WindowsKizuna::build(&workspace()).unwrap_or_else(|e| panic!("kizuna.exe: {e}"))
}

/// The same command on both builds, in English at `NOW`.
fn both(win: &WindowsKizuna, dir: &Path, args: &[&str]) -> (WineRun, std::process::Output) {
    let w = win
        .run(dir, args, &[("KIZUNA_NOW", NOW), ("LANG", "en_US.UTF-8")])
        .unwrap_or_else(|e| panic!("wine kizuna.exe {args:?}: {e}"));
    let l = common::kizuna_at(dir, NOW, args);
    (w, l)
}

/// Asserts both builds printed the same bytes and returned the same code.
fn same(win: &WindowsKizuna, dir: &Path, args: &[&str]) -> String {
    let (w, l) = both(win, dir, args);
    let linux = common::stdout(&l);
    assert_eq!(
        w.code,
        l.status.code(),
        "{args:?}: exit codes differ; Windows stderr:\n{}",
        w.stderr
    );
    assert!(!linux.trim().is_empty(), "{args:?}: no output to compare");
    if w.stdout != linux {
        let at = w
            .stdout
            .bytes()
            .zip(linux.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(w.stdout.len().min(linux.len()));
        let from = at.saturating_sub(200);
        panic!(
            "{args:?}: the Windows build's output differs from byte {at}:\nWindows: {:?}\nLinux:   {:?}",
            w.stdout.get(from..(at + 200).min(w.stdout.len())),
            linux.get(from..(at + 200).min(linux.len())),
        );
    }
    linux
}

#[test]
fn scan_events_and_devices_answer_as_on_linux() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let win = windows();
    // Folders typed with `/` are walked with `/` on Windows too, so the paths match.
    let inputs = [
        "evtx/netlogon",
        "evtx/security",
        "evtx/odd",
        "hives/",
        "netlogon/",
    ];
    let scan = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["scan", "-q"].iter().map(|s| s.to_string()).collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a.extend(inputs.iter().map(|s| s.to_string()));
        a
    };
    let json = same(&win, &corpus, &as_strs(&scan(&["--format", "json"])));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["inputs"].as_array().unwrap().len() >= 20, "{json:.500}");
    assert!(!v["findings"].as_array().unwrap().is_empty());
    // damaged files are reported the same way (same error text, same offset)
    assert!(json.contains("\"status\":\"partial\""), "{json:.500}");

    let text = same(&win, &corpus, &as_strs(&scan(&["--lang", "ja"])));
    assert!(text.contains("重大") || text.contains("高"), "{text:.500}");
    same(&win, &corpus, &as_strs(&scan(&["--lang", "en"])));

    for format in ["table", "csv", "jsonl"] {
        same(
            &win,
            &corpus,
            &["events", "--format", format, "evtx/netlogon", "netlogon/"],
        );
    }
    same(&win, &corpus, &["devices", "hives/", "evtx/netlogon"]);
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn absolute_paths_differ_only_in_prefix_and_separator() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let win = windows();
    let folder = corpus.join("evtx/netlogon");
    let windows_folder = win.windows_path(&folder);
    let w = win
        .run(
            &corpus,
            &["scan", "-q", "--format", "json", &windows_folder],
            &[("KIZUNA_NOW", NOW)],
        )
        .unwrap();
    let l = common::kizuna_at(
        &corpus,
        NOW,
        &["scan", "-q", "--format", "json", folder.to_str().unwrap()],
    );
    assert_eq!(w.code, l.status.code(), "{}", w.stderr);
    let mut wv: serde_json::Value = serde_json::from_str(&w.stdout).unwrap();
    let lv = common::json(&l);
    // Windows shows the folder as typed, with `\` below it: `Z:\…\netlogon\x.evtx`.
    assert!(
        w.stdout
            .contains(&format!("{}\\\\", windows_folder.replace('\\', "\\\\"))),
        "{:.600}",
        w.stdout
    );
    let prefix = windows_folder.clone();
    let linux_prefix = folder.display().to_string();
    map_strings(&mut wv, &|s| match s.strip_prefix(&prefix) {
        Some(rest) => format!("{linux_prefix}{}", rest.replace('\\', "/")),
        None => s.to_string(),
    });
    assert_eq!(wv, lv);
}

/// Applies `f` to every string in `v`.
fn map_strings(v: &mut serde_json::Value, f: &dyn Fn(&str) -> String) {
    match v {
        serde_json::Value::String(s) => *s = f(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| map_strings(x, f)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| map_strings(x, f)),
        _ => {}
    }
}

/// Every file under `dir`, relative, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn generated_kits_scripts_and_the_demo_are_the_same_files() {
    let win = windows();
    let dir = tempfile::tempdir().unwrap();
    // Each build writes into its own folder; the files must be the same bytes.
    let twice = |args: &[&str], what: &str| -> WineRun {
        let out_w = format!("win-{what}");
        let out_l = format!("linux-{what}");
        let with = |out: &str| -> Vec<String> {
            args.iter()
                .map(|s| s.to_string())
                .chain(["--out".into(), out.into()])
                .collect()
        };
        let w = win
            .run(dir.path(), &as_strs(&with(&out_w)), &[("KIZUNA_NOW", NOW)])
            .unwrap();
        let l = common::kizuna_at(dir.path(), NOW, &as_strs(&with(&out_l)));
        assert_eq!(w.code, Some(0), "{what}: {}", w.stderr);
        assert_eq!(l.status.code(), Some(0), "{what}");
        let files = tree(&dir.path().join(&out_w));
        assert!(files.len() >= 2, "{what}: {files:?}");
        assert_eq!(files, tree(&dir.path().join(&out_l)), "{what}");
        w
    };
    let gpo = twice(
        &[
            "gpo",
            "workaround",
            "--domain",
            "corp.example",
            "--pilot-ou",
            "OU=Pilot,DC=corp,DC=example",
            "--expires",
            "2027-03-01",
        ],
        "gpo",
    );
    // the printed file list uses one separator on Windows
    assert!(
        gpo.stdout.contains("\\DomainSysvol\\GPO\\Machine\\")
            && !gpo.stdout.contains("DomainSysvol/"),
        "{}",
        gpo.stdout
    );
    twice(&["scripts", "intune"], "intune");
    twice(&["scripts", "task", "--domain", "corp.example"], "task");

    // the demo: same scan, same report files (paths below the out folder use `\`)
    let w = win
        .run(
            dir.path(),
            &["demo", "--out", "win-demo", "--format", "json", "-q"],
            &[("KIZUNA_NOW", NOW)],
        )
        .unwrap();
    let l = common::kizuna_at(
        dir.path(),
        NOW,
        &["demo", "--out", "linux-demo", "--format", "json", "-q"],
    );
    assert_eq!(w.code, l.status.code(), "{}", w.stderr);
    let lv = common::json(&l);
    assert!(!lv["findings"].as_array().unwrap().is_empty());
    assert_eq!(demo_paths(&w.stdout), demo_paths(&common::stdout(&l)));

    // `report` over each build's own store
    let report = |db: &str| -> Vec<String> {
        [
            "report",
            "-q",
            "--db",
            db,
            "--since",
            "2026-01-01",
            "--format",
            "json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let w = win
        .run(
            dir.path(),
            &as_strs(&report("win-demo/kizuna.db")),
            &[("KIZUNA_NOW", NOW)],
        )
        .unwrap();
    let l = common::kizuna_at(dir.path(), NOW, &as_strs(&report("linux-demo/kizuna.db")));
    assert_eq!(w.code, l.status.code(), "{}", w.stderr);
    assert_eq!(demo_paths(&w.stdout), demo_paths(&common::stdout(&l)));
}

/// A demo's JSON with its out folder named alike and every `\` made `/`, on both sides
/// (remedies name `DOMAIN\account` on both).
fn demo_paths(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    map_strings(&mut v, &|s| {
        s.replace("win-demo", "demo")
            .replace("linux-demo", "demo")
            .replace('\\', "/")
    });
    v
}

#[test]
fn japanese_reaches_a_console_whatever_its_code_page() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let win = windows();
    let exe = win.windows_path(win.exe());
    // A console (a pseudo-terminal) set to code page 932, as on a Japanese Windows, and to
    // 437, as on an English one: the same Japanese reaches the terminal.
    for cp in ["932", "437"] {
        let line = format!("chcp {cp} >nul & {exe} scan -q --lang ja evtx/netlogon");
        let shown = on_terminal(&win, &corpus, &line);
        assert!(
            shown.contains("重大") || shown.contains("高"),
            "code page {cp}: {shown:.600}"
        );
        assert!(!shown.contains("\u{fffd}"), "code page {cp}: {shown:.600}");
    }
}

#[test]
fn a_japanese_windows_speaks_japanese_without_lang() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let win = windows();
    let exe = win.windows_path(win.exe());
    // Windows sets no LANG: kizuna reads the user's display language, which wine takes
    // from its own locale. `set LANG=` removes what wine passed through.
    let line = format!("set LANG=& {exe} scan -q evtx/netlogon");
    let ja = win.cmd(&corpus, &line, &[("LANG", "ja_JP.UTF-8")]).unwrap();
    assert!(ja.stdout.starts_with("kizuna スキャン\n入力:"), "{ja:?}");
    let en = win.cmd(&corpus, &line, &[("LANG", "en_US.UTF-8")]).unwrap();
    assert!(en.stdout.starts_with("kizuna scan\nInputs:"), "{en:?}");
}

/// `cmd /c LINE` under wine on a pseudo-terminal (util-linux `script`), so the exe writes
/// to a console; returns what reached the terminal.
fn on_terminal(win: &WindowsKizuna, dir: &Path, line: &str) -> String {
    let inner = win.command(dir, &[]);
    let mut words = vec![inner.get_program().to_string_lossy().into_owned()];
    words.extend(inner.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.extend(["cmd".to_string(), "/c".to_string(), line.to_string()]);
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect();
    let mut cmd = Command::new("script");
    cmd.args(["-qefc", &quoted.join(" "), "/dev/null"])
        .current_dir(dir)
        .env("TERM", "dumb");
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let o = cmd.output().expect("util-linux script runs");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn serve_answers_an_authenticated_api_call() {
    let win = windows();
    let dir = tempfile::tempdir().unwrap();
    let demo = win
        .run(
            dir.path(),
            &["demo", "--out", "demo", "-q"],
            &[("KIZUNA_NOW", NOW)],
        )
        .unwrap();
    assert_eq!(demo.code, Some(0), "{}", demo.stderr);
    let admin = "kz_wine_test_admin_token_0123456789abcdef0123";
    let mut wine = win.command(
        dir.path(),
        &[("KIZUNA_NOW", NOW), ("KIZUNA_ADMIN_TOKEN", admin)],
    );
    wine.arg(win.exe())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            "demo/kizuna.db",
            "--lang",
            "en",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = wine.spawn().expect("wine starts");
    let base = common::serving_base(&mut child, |line| {
        assert!(!line.contains(admin), "the admin token was printed: {line}")
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |token: Option<&str>| {
        let mut r = agent.get(format!("{base}/api/v1/findings"));
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = r.call().expect("the server answers");
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap_or_default())
    };
    let anonymous = get(None);
    let signed = get(Some(admin));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(anonymous.0, 401, "{}", anonymous.1);
    assert_eq!(signed.0, 200, "{}", signed.1);
    let v: serde_json::Value = serde_json::from_str(&signed.1).unwrap();
    assert!(
        v.to_string().contains("KZ-SID-001"),
        "the demo's findings are served: {:.400}",
        signed.1
    );
}

/// `scripts/release.sh`: the Windows zip holds the exe and the documents with their
/// SHA256SUMS, the exe carries an Authenticode signature that `osslsigncode verify` accepts
/// (a throwaway certificate here, the organization's in a release) and still runs, and the
/// winget manifest names the zip's hash.
#[test]
fn the_release_zip_is_complete_signed_and_verifiable() {
    let win = windows();
    let out = tempfile::tempdir().unwrap();
    let script = workspace().join("scripts/release.sh");
    let o = Command::new(&script)
        .args(["--only", "windows", "--test-certificate", "--out"])
        .arg(out.path())
        .args([
            "--url",
            "https://downloads.example.com/kizuna-0.1.0-windows-x64.zip",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{log}");
    assert!(log.contains("signed and verified kizuna.exe"), "{log}");

    let zip_name = format!("kizuna-{}-windows-x64.zip", env!("CARGO_PKG_VERSION"));
    let zip_path = out.path().join(&zip_name);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut sorted: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "README.ja.md",
            "README.md",
            "SHA256SUMS",
            "kizuna.exe"
        ]
    );
    let unpacked = out.path().join("unpacked");
    zip.extract(&unpacked).unwrap();
    let sha = |p: &Path| -> String {
        let o = Command::new("sha256sum").arg(p).output().unwrap();
        String::from_utf8(o.stdout).unwrap()[..64].to_string()
    };
    let sums = std::fs::read_to_string(unpacked.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 5, "{sums}");
    for line in sums.lines() {
        let (hash, name) = line.split_once("  ").unwrap();
        assert_eq!(hash, sha(&unpacked.join(name)), "{name}");
    }
    let outer = std::fs::read_to_string(out.path().join("SHA256SUMS")).unwrap();
    assert_eq!(outer, format!("{}  {zip_name}\n", sha(&zip_path)));

    // Signed (not the bytes that were built) and verified against the test certificate.
    let exe = unpacked.join("kizuna.exe");
    assert_ne!(
        std::fs::read(&exe).unwrap(),
        std::fs::read(win.exe()).unwrap()
    );
    let verify = Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(out.path().join("test-signing-certificate.pem"))
        .arg("-in")
        .arg(&exe)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{said}");
    assert!(
        said.contains("Signature verification: ok")
            && said.contains("kizuna throwaway test signing"),
        "{said}"
    );
    // A changed byte breaks it.
    let mut bytes = std::fs::read(&exe).unwrap();
    bytes[0x400] ^= 1;
    let tampered = out.path().join("tampered.exe");
    std::fs::write(&tampered, bytes).unwrap();
    let verify = Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(out.path().join("test-signing-certificate.pem"))
        .arg("-in")
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(!verify.status.success());

    // The signed exe still runs.
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = win.command(dir.path(), &[]);
    let o = cmd.arg(&exe).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("kizuna {}", env!("CARGO_PKG_VERSION"))
    );

    let installer =
        std::fs::read_to_string(out.path().join("winget/kizuna.installer.yaml")).unwrap();
    assert!(installer.contains(&format!(
        "InstallerSha256: {}",
        sha(&zip_path).to_uppercase()
    )));
    assert!(
        installer
            .contains("InstallerUrl: https://downloads.example.com/kizuna-0.1.0-windows-x64.zip")
    );
    assert!(installer.contains("NestedInstallerType: portable"));
    assert!(installer.contains("PortableCommandAlias: kizuna"));
    for f in ["kizuna.yaml", "kizuna.locale.en-US.yaml"] {
        let text = std::fs::read_to_string(out.path().join("winget").join(f)).unwrap();
        assert!(!text.contains("@@"), "{f}: {text}");
        assert!(text.contains(&format!("PackageVersion: {}", env!("CARGO_PKG_VERSION"))));
    }
}

/// `sid scan` from kizuna.exe: the same SMB/LSARPC code over Windows sockets, against the
/// same Samba hosts, gives the Linux build's report byte for byte (the closed port
/// included: its reason comes from the socket error, which Windows words its own way).
#[test]
fn sid_scan_from_kizuna_exe_answers_as_on_linux() {
    use kizuna_testbed::sid_hosts::{PASSWORD, SidHosts, USER};
    const A: &str = "S-1-5-21-1111111111-2222222222-3333333351";
    const B: &str = "S-1-5-21-1111111111-2222222222-3333333352";
    const VAR: &str = "KZ_SID_WINE_PASSWORD";
    let win = windows();
    let set = SidHosts::start(&[A, A, B]).unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut args = vec!["sid", "scan", "--timeout", "5", "--lang", "en"];
    args.extend(set.hosts.iter().map(|h| h.ip.as_str()));
    args.extend([set.closed.as_str(), "--user", USER, "--password-env", VAR]);
    let w = win
        .run(
            work.path(),
            &args,
            &[("LANG", "en_US.UTF-8"), (VAR, PASSWORD)],
        )
        .unwrap_or_else(|e| panic!("wine kizuna.exe {args:?}: {e}"));
    let l = Command::new(env!("CARGO_BIN_EXE_kizuna"))
        .args(&args)
        .current_dir(work.path())
        .env("LANG", "en_US.UTF-8")
        .env(VAR, PASSWORD)
        .output()
        .unwrap();
    assert_eq!(w.code, Some(1), "Windows stderr:\n{}", w.stderr);
    assert_eq!(l.status.code(), Some(1));
    assert!(
        w.stdout.contains("KZ-SID-002")
            && w.stdout.contains("SIDHOST1")
            && w.stdout.contains("port-closed"),
        "{}",
        w.stdout
    );
    assert_eq!(w.stdout, common::stdout(&l));
    assert!(!w.stdout.contains(PASSWORD) && !w.stderr.contains(PASSWORD));
}
