//! The generated files as reviewed text (LF line ends here; the files themselves are CRLF,
//! checked in generated.rs). A change to a script shows up as a snapshot diff.

use kizuna_scripts::{Kit, Options, generate};

fn snapshot_kit(kit: Kit, options: &Options, suffix: &str) {
    for f in generate(kit, options) {
        let name = format!("{}_{}{suffix}", kit.name(), f.name);
        insta::assert_snapshot!(name, f.text());
    }
}

#[test]
fn intune_kit() {
    snapshot_kit(Kit::Intune, &Options::default(), "");
}

#[test]
fn task_kit() {
    snapshot_kit(Kit::Task, &Options::default(), "");
}

#[test]
fn with_domain() {
    let o = Options {
        domain: Some("corp.example".to_string()),
    };
    let files = generate(Kit::Intune, &o);
    insta::assert_snapshot!(
        "intune_domain_Detect-KizunaSecureChannel.ps1",
        files[0].text()
    );
    insta::assert_snapshot!("intune_domain_README.md", files[2].text());
}

#[test]
fn collector_kit() {
    let knowledge = kizuna_core::Knowledge::builtin();
    let options = kizuna_scripts::CollectOptions {
        server: Some("https://kizuna.example.com:8443".to_string()),
        days: 14,
    };
    for f in kizuna_scripts::generate_collector(&knowledge.watched, &options) {
        insta::assert_snapshot!(format!("collect_{}", f.name), f.text());
    }
}
