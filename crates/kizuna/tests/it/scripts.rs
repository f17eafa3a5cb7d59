//! `kizuna scripts intune|task`: the files written, their bytes, and the exit codes.

use crate::common;

use common::{kizuna, stdout};

fn listing(out: &std::process::Output, dir: &std::path::Path) -> String {
    stdout(out).replace(&dir.display().to_string(), "DIR")
}

#[test]
fn intune_writes_the_pair_and_readmes() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("deploy").join("intune");
    let o = kizuna(
        tmp.path(),
        &["scripts", "intune", "--out", out_dir.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!("intune_listing", listing(&o, &out_dir));
    let expected = kizuna_scripts::generate(kizuna_scripts::Kit::Intune, &Default::default());
    assert_eq!(expected.len(), 4);
    for f in &expected {
        let written = std::fs::read(out_dir.join(f.name)).unwrap();
        assert_eq!(written, f.bytes, "{}", f.name);
        if f.is_script() {
            let text = String::from_utf8(written).unwrap();
            let errors = kizuna_pwsh_check::syntax_errors(&text);
            assert!(errors.is_empty(), "{}: {errors:?}", f.name);
        }
    }
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("4 files written"), "{stderr}");
}

#[test]
fn task_with_domain_overwrites_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("task");
    std::fs::create_dir_all(&out_dir).unwrap();
    let register = out_dir.join("Register-KizunaRepairTask.ps1");
    std::fs::write(&register, "old content").unwrap();
    let args = [
        "scripts",
        "task",
        "--out",
        out_dir.to_str().unwrap(),
        "--domain",
        "Corp.Example",
    ];
    let o = kizuna(tmp.path(), &args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    insta::assert_snapshot!("task_listing", listing(&o, &out_dir));
    let first: Vec<Vec<u8>> = kizuna_scripts::file_names(kizuna_scripts::Kit::Task)
        .iter()
        .map(|n| std::fs::read(out_dir.join(n)).unwrap())
        .collect();
    assert_ne!(first[1], b"old content", "existing files are overwritten");
    let invoke = String::from_utf8(first[0].clone()).unwrap();
    assert!(invoke.contains("$KizunaDomain = 'corp.example'\r\n"));
    assert!(invoke.contains("kizuna scripts task --domain corp.example"));
    // Same inputs, same bytes.
    let again = kizuna(tmp.path(), &args);
    assert_eq!(again.status.code(), Some(0));
    for (n, before) in kizuna_scripts::file_names(kizuna_scripts::Kit::Task)
        .iter()
        .zip(first)
    {
        assert_eq!(std::fs::read(out_dir.join(n)).unwrap(), before, "{n}");
    }
}

#[test]
fn bad_domain_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("x");
    for bad in ["corp", "bad_domain.example", "corp.example'; rm -rf"] {
        let o = kizuna(
            tmp.path(),
            &[
                "scripts",
                "intune",
                "--out",
                out_dir.to_str().unwrap(),
                "--domain",
                bad,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            stderr.contains("--domain")
                && stderr.contains("is not a DNS domain name like corp.example"),
            "{stderr}"
        );
        assert!(!out_dir.exists(), "nothing written for {bad}");
    }
}

#[test]
fn out_is_required() {
    let tmp = tempfile::tempdir().unwrap();
    let o = kizuna(tmp.path(), &["scripts", "task"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
    let o = kizuna(tmp.path(), &["scripts", "unknown", "--out", "x"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unwritable_out_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let o = kizuna(
        tmp.path(),
        &["scripts", "intune", "--out", file.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("kizuna: error: creating"));
}
