//! What the generated scripts must be: parseable PowerShell (a real grammar), Intune's exit
//! conventions, no password anywhere, a detection that changes nothing, CRLF, the BOM rule,
//! the same bytes for the same inputs.

use kizuna_pwsh_check::{commands, syntax_errors, tokens};
use kizuna_scripts::{File, Kit, Options, STATUSES, encode_ps1, file_names, generate};

fn options() -> Vec<Options> {
    vec![
        Options::default(),
        Options {
            domain: Some("corp.example".to_string()),
        },
    ]
}

/// Every generated file of both kits, with and without --domain.
fn all_files() -> Vec<(Kit, Options, File)> {
    let mut out = Vec::new();
    for kit in [Kit::Intune, Kit::Task] {
        for o in options() {
            for f in generate(kit, &o) {
                out.push((kit, o.clone(), f));
            }
        }
    }
    out
}

fn script(kit: Kit, name: &str) -> String {
    let f = generate(kit, &Options::default())
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} is generated"));
    String::from_utf8(f.bytes).expect("UTF-8")
}

fn detect() -> String {
    script(Kit::Intune, "Detect-KizunaSecureChannel.ps1")
}

fn remediate() -> String {
    script(Kit::Intune, "Remediate-KizunaSecureChannel.ps1")
}

fn task() -> String {
    script(Kit::Task, "Invoke-KizunaSecureChannelRepair.ps1")
}

fn register() -> String {
    script(Kit::Task, "Register-KizunaRepairTask.ps1")
}

#[test]
fn kits_have_the_documented_files() {
    for kit in [Kit::Intune, Kit::Task] {
        let names: Vec<_> = generate(kit, &Options::default())
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, file_names(kit));
    }
}

#[test]
fn every_script_parses() {
    for (kit, o, f) in all_files() {
        if !f.is_script() {
            continue;
        }
        let text = String::from_utf8(f.bytes.clone()).expect("UTF-8");
        let errors = syntax_errors(&text);
        assert!(
            errors.is_empty(),
            "{kit:?} {o:?} {}: {} syntax errors:\n{}",
            f.name,
            errors.len(),
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn a_dropped_closing_brace_is_caught() {
    let text = detect();
    let last = text.rfind('}').expect("a closing brace");
    let mut broken = text.clone();
    broken.remove(last);
    assert!(!syntax_errors(&broken).is_empty(), "last }} removed");

    // Every structural } and ) of every script, one at a time (text in strings and
    // comments is not structural: '{0}' stays valid without its brace).
    for (_, _, f) in all_files()
        .into_iter()
        .filter(|(_, o, f)| o.domain.is_none() && f.is_script())
    {
        let text = String::from_utf8(f.bytes.clone()).expect("UTF-8");
        let closers: Vec<_> = tokens(&text)
            .into_iter()
            .filter(|t| t.kind == "}" || t.kind == ")")
            .collect();
        assert!(closers.len() > 20, "{}: {} closers", f.name, closers.len());
        for t in closers {
            let mut broken = text.clone();
            broken.replace_range(t.start..t.end, "");
            let line = text[..t.start].matches('\n').count() + 1;
            assert!(
                !syntax_errors(&broken).is_empty(),
                "{}: dropping the {:?} on line {line} went unnoticed",
                f.name,
                t.kind
            );
        }
    }
}

#[test]
fn placeholders_are_all_filled() {
    for (_, _, f) in all_files() {
        let t = f.text();
        assert!(!t.contains("@@"), "{}: unfilled placeholder", f.name);
    }
}

#[test]
fn header_names_version_and_parameters() {
    for (kit, o, f) in all_files() {
        let t = f.text();
        let mut command = format!("kizuna scripts {}", kit.name());
        if let Some(d) = &o.domain {
            command.push_str(&format!(" --domain {d}"));
        }
        assert!(
            t.contains(&format!("kizuna {}: {command}", kizuna_scripts::VERSION))
                || t.contains(&format!(
                    "kizuna {} with `{command}`",
                    kizuna_scripts::VERSION
                ))
                || t.contains(&format!(
                    "kizuna {} が `{command}`",
                    kizuna_scripts::VERSION
                )),
            "{}: header without version and command {command:?}",
            f.name
        );
    }
}

#[test]
fn scripts_are_strict_and_stop_on_errors() {
    for s in [detect(), remediate(), task(), register()] {
        let t = s.replace("\r\n", "\n");
        assert!(t.contains("\nSet-StrictMode -Version Latest\n"));
        assert!(t.contains("\n$ErrorActionPreference = 'Stop'\n"));
        assert!(t.contains("\ntry {\n") && t.contains("\n} catch {\n"));
        // The last statement is the exit.
        let last = t.trim_end().lines().last().unwrap();
        assert!(last.starts_with("exit "), "last line {last:?}");
    }
}

#[test]
fn domain_is_a_generation_parameter() {
    assert!(detect().contains("$KizunaDomain = ''\r\n"));
    let with = generate(
        Kit::Intune,
        &Options {
            domain: Some("corp.example".to_string()),
        },
    );
    let d = with[0].text();
    assert!(d.contains("$KizunaDomain = 'corp.example'\n"));
    // Apart from the domain line and the header, the scripts are the same.
    let without = detect().replace("\r\n", "\n");
    let differing: Vec<_> = d
        .lines()
        .zip(without.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(differing.len(), 2, "{differing:#?}");
}

/// The exit codes in the scripts are the status table's.
#[test]
fn exit_code_conventions() {
    let exit_zero = |column: fn(&kizuna_scripts::Status) -> Option<u8>| {
        let names: Vec<String> = STATUSES
            .iter()
            .filter(|s| column(s) == Some(0))
            .map(|s| format!("'{}'", s.name))
            .collect();
        format!("$KizunaExitZero = @({})\r\n", names.join(", "))
    };
    for (text, list) in [
        (detect(), exit_zero(|s| s.detect_exit)),
        (remediate(), exit_zero(|s| s.remediate_exit)),
        (task(), exit_zero(|s| s.task_exit)),
    ] {
        assert!(text.contains(&list), "missing {list:?}");
        assert!(text.contains("$KizunaExit = 1\r\n"), "no exit 1 path");
        assert!(text.contains("$KizunaExit = 0\r\n"), "no exit 0 path");
        assert!(text.ends_with("exit $KizunaExit\r\n"));
    }
    // Intune detection: healthy, not applicable or unreachable → 0; broken or the check
    // failed → 1 (remediation runs).
    let d = |name: &str| STATUSES.iter().find(|s| s.name == name).unwrap();
    assert_eq!(d("OK").detect_exit, Some(0));
    assert_eq!(d("SKIP").detect_exit, Some(0));
    assert_eq!(d("NO-DC").detect_exit, Some(0));
    assert_eq!(d("BROKEN").detect_exit, Some(1));
    assert_eq!(d("ERROR").detect_exit, Some(1));
    assert_eq!(d("NEEDS-CREDENTIAL").remediate_exit, Some(1));
    assert_eq!(d("REPAIRED").remediate_exit, Some(0));
    // Every status word the scripts can write is in the table, and the other way round.
    let all = format!("{}{}{}", detect(), remediate(), task());
    for s in STATUSES {
        assert!(
            all.contains(&format!("-Status '{}'", s.name)) || s.name == "BROKEN" || s.name == "OK",
            "{} never written",
            s.name
        );
        assert!(all.contains(&format!("'{}'", s.name)), "{} unused", s.name);
    }
    for cap in regex_like_status_words(&all) {
        assert!(
            STATUSES.iter().any(|s| s.name == cap),
            "status {cap:?} is not in the table"
        );
    }
}

/// The words passed as `-Status '...'` in the scripts.
fn regex_like_status_words(text: &str) -> Vec<String> {
    text.match_indices("-Status '")
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest[..rest.find('\'').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn intune_scripts_write_exactly_one_line() {
    for text in [detect(), remediate()] {
        let cmds = commands(&text);
        let writes: Vec<_> = cmds
            .iter()
            .filter(|c| {
                matches!(
                    c.name.to_ascii_lowercase().as_str(),
                    "write-output" | "write-host" | "echo" | "write-information" | "out-host"
                )
            })
            .collect();
        assert_eq!(writes.len(), 1, "{writes:#?}");
        assert_eq!(writes[0].arguments, ["$KizunaLine"]);
        assert!(writes[0].guards.is_empty(), "always written");
    }
}

#[test]
fn no_password_no_prompt() {
    for (_, _, f) in all_files().into_iter().filter(|(_, _, f)| f.is_script()) {
        let text = f.text();
        let lower = text.to_ascii_lowercase();
        for banned in [
            "get-credential",
            "convertto-securestring",
            "-asplaintext",
            "pscredential",
            "securestring",
            "read-host",
            "-credential (",
            "$host.ui",
        ] {
            assert!(!lower.contains(banned), "{}: contains {banned:?}", f.name);
        }
        // No command is ever given a credential or a password.
        for c in commands(&text) {
            for p in &c.parameters {
                let p = p.to_ascii_lowercase();
                assert!(
                    !(p.starts_with("-cred") || p.contains("password") || p.starts_with("-pass")),
                    "{}: line {}: {} {p}",
                    f.name,
                    c.line,
                    c.name
                );
            }
        }
        // No variable that holds something password-like is assigned.
        for line in text.lines() {
            let l = line.trim_start().to_ascii_lowercase();
            if let Some(var) = l.strip_prefix('$') {
                let name: String = var
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                for word in ["pass", "pwd", "secret", "cred"] {
                    assert!(
                        !name.contains(word),
                        "{}: password-like variable in {line:?}",
                        f.name
                    );
                }
            }
        }
    }
}

/// Detection only reads: an allow-list of read-only commands, and no repair anywhere.
#[test]
fn detection_changes_nothing() {
    let text = detect();
    for banned in [
        "/sc_reset",
        "/sc_change_pwd",
        "-Repair",
        "Add-Content",
        "Set-Acl",
    ] {
        assert!(!text.contains(banned), "detection mentions {banned}");
    }
    let read_only = [
        "New-Object",
        "Join-Path",
        "ForEach-Object",
        "Get-KizunaNltestPath",
        "Get-KizunaNltestSummary",
        "Invoke-KizunaNltest",
        "Format-KizunaStatus",
        "Get-CimInstance",
        "Test-ComputerSecureChannel",
        "Test-KizunaElevated",
        "Get-KizunaMembership",
        "Test-KizunaChannel",
        "Invoke-KizunaCheck",
        "Set-StrictMode",
        "Write-Output",
        "Test-Path",
        "$exe",
    ];
    for c in commands(&text) {
        let name = c.name.trim_start_matches('&').trim();
        assert!(
            read_only.contains(&name),
            "detection calls {name} (line {})",
            c.line
        );
        if name == "Test-ComputerSecureChannel" {
            assert!(
                c.parameters.iter().all(|p| p == "-ErrorAction"),
                "{:?}",
                c.parameters
            );
        }
    }
}

/// The remediation tries the credential-free repairs in the documented order.
#[test]
fn remediation_is_credential_free_first() {
    let text = remediate();
    let at = |s: &str| text.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("'/sc_reset:{0}' -f $Domain") < at("'/pdc'"));
    assert!(at("'/pdc'") < at("Test-ComputerSecureChannel -Repair -Confirm:$false"));
    let repair = commands(&text)
        .into_iter()
        .find(|c| c.parameters.iter().any(|p| p == "-Repair"))
        .expect("Test-ComputerSecureChannel -Repair");
    assert_eq!(repair.name, "Test-ComputerSecureChannel");
    assert_eq!(repair.parameters, ["-Repair", "-Confirm", "-ErrorAction"]);
    // The escalation line and what the help desk runs are in it.
    assert!(text.contains("'NEEDS-CREDENTIAL'"));
    assert!(text.contains("Reset-ComputerMachinePassword -Server <DC> -Credential <join account>"));
    // Logs under ProgramData with a size cap.
    assert!(text.contains("Join-Path $env:ProgramData 'kizuna'"));
    assert!(text.contains("$KizunaLogMaxBytes = 1048576"));
    assert!(text.contains("Move-Item -LiteralPath $path -Destination ($path + '.1') -Force"));
}

#[test]
fn task_writes_documented_events() {
    let text = task();
    assert!(text.contains("$KizunaEventSource = 'kizuna'"));
    for s in STATUSES {
        let line = format!(
            "    '{}' = @({}, '{}')\r\n",
            s.name,
            s.event_id,
            s.level.as_str()
        );
        assert!(text.contains(&line), "missing {line:?}");
    }
    let cmds = commands(&text);
    let write = cmds
        .iter()
        .find(|c| c.name == "Write-EventLog")
        .expect("Write-EventLog");
    assert!(write.parameters.contains(&"-EventId".to_string()));
    let register = cmds
        .iter()
        .find(|c| c.name == "New-EventLog")
        .expect("registers its source when missing");
    assert_eq!(register.guards.len(), 1);
    assert!(register.guards[0].contains("SourceExists"));
}

/// Every change Register-KizunaRepairTask.ps1 makes is under ShouldProcess (so -WhatIf
/// changes nothing), and the task runs as SYSTEM daily.
#[test]
fn register_supports_whatif() {
    let text = register();
    assert!(text.contains("[CmdletBinding(SupportsShouldProcess = $true)]"));
    let cmds = commands(&text);
    let mutating = [
        "New-Item",
        "Copy-Item",
        "New-EventLog",
        "Register-ScheduledTask",
        "Unregister-ScheduledTask",
        "Remove-Item",
    ];
    let mut seen = 0;
    for c in &cmds {
        if mutating.contains(&c.name.as_str()) {
            seen += 1;
            assert!(
                c.guards
                    .iter()
                    .any(|g| g.contains("$PSCmdlet.ShouldProcess(")),
                "{} on line {} runs without ShouldProcess",
                c.name,
                c.line
            );
        }
    }
    assert_eq!(seen, mutating.len());
    let principal = cmds
        .iter()
        .find(|c| c.name == "New-ScheduledTaskPrincipal")
        .unwrap();
    assert_eq!(
        principal.arguments,
        ["'SYSTEM'", "ServiceAccount", "Highest"]
    );
    let trigger = cmds
        .iter()
        .find(|c| {
            c.name == "New-ScheduledTaskTrigger" && c.parameters.contains(&"-Daily".to_string())
        })
        .expect("a daily trigger");
    assert!(trigger.parameters.contains(&"-RandomDelay".to_string()));
    // The installed copy lives where only administrators can write.
    assert!(text.contains("$InstallDir = Join-Path $env:ProgramFiles 'kizuna'"));
}

#[test]
fn windows_powershell_5_1_compatible() {
    for (_, _, f) in all_files().into_iter().filter(|(_, _, f)| f.is_script()) {
        let text = f.text();
        for banned in [
            "??",
            "?.",
            "&&",
            "||",
            "-Parallel",
            "$PSStyle",
            "::new(",
            "clean {",
        ] {
            assert!(
                !text.contains(banned),
                "{}: PowerShell 7 only: {banned}",
                f.name
            );
        }
        // No ternary `a ? b : c` (a '?' between spaces).
        assert!(!text.contains(" ? "), "{}: ternary", f.name);
        assert!(!text.to_ascii_lowercase().contains("#requires -version 7"));
    }
}

#[test]
fn crlf_everywhere() {
    for (_, _, f) in all_files() {
        let b = &f.bytes;
        assert!(b.ends_with(b"\r\n"), "{}: no final CRLF", f.name);
        assert!(!b.ends_with(b"\r\n\r\n"), "{}: trailing blank line", f.name);
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' {
                assert!(
                    i > 0 && b[i - 1] == b'\r',
                    "{}: bare LF at byte {i}",
                    f.name
                );
            }
            if c == b'\r' {
                assert_eq!(
                    b.get(i + 1),
                    Some(&b'\n'),
                    "{}: bare CR at byte {i}",
                    f.name
                );
            }
        }
    }
}

#[test]
fn bom_rules() {
    for (_, _, f) in all_files() {
        if f.is_script() {
            // ASCII scripts need no BOM (and get none).
            assert!(f.bytes.is_ascii(), "{}: non-ASCII in a script", f.name);
        } else {
            // READMEs: UTF-8 without BOM.
            assert!(!f.bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "{}", f.name);
            std::str::from_utf8(&f.bytes).expect("UTF-8");
        }
    }
    let ja = generate(Kit::Intune, &Options::default())
        .into_iter()
        .find(|f| f.name == "README.ja.md")
        .unwrap();
    assert!(!ja.bytes.is_ascii(), "the Japanese README is Japanese");
    // Anything non-ASCII in a script would get a BOM (PowerShell 5.1 reads BOM-less
    // files as ANSI).
    let with = encode_ps1("# 日本語\nWrite-Output 'x'\n");
    assert!(with.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(with.ends_with(b"'x'\r\n"));
    let without = encode_ps1("Write-Output 'x'\n");
    assert_eq!(without, b"Write-Output 'x'\r\n");
}

#[test]
fn same_inputs_same_bytes() {
    for kit in [Kit::Intune, Kit::Task] {
        for o in options() {
            assert_eq!(generate(kit, &o), generate(kit, &o));
        }
    }
    // No date or time of generation anywhere.
    for (_, _, f) in all_files() {
        let t = f.text();
        for y in ["2025-", "2026-", "2027-"] {
            assert!(!t.contains(y), "{}: a date", f.name);
        }
    }
}

#[test]
fn readmes_document_statuses_and_deployment() {
    for kit in [Kit::Intune, Kit::Task] {
        let files = generate(kit, &Options::default());
        let en = files.iter().find(|f| f.name == "README.md").unwrap().text();
        let ja = files
            .iter()
            .find(|f| f.name == "README.ja.md")
            .unwrap()
            .text();
        for s in STATUSES {
            let shown = match kit {
                Kit::Intune => s.detect_exit.is_some() || s.remediate_exit.is_some(),
                Kit::Task => s.task_exit.is_some(),
            };
            if shown {
                assert!(
                    en.contains(&format!("| `{}` |", s.name)),
                    "{kit:?} en: {}",
                    s.name
                );
                assert!(
                    ja.contains(&format!("| `{}` |", s.name)),
                    "{kit:?} ja: {}",
                    s.name
                );
                assert!(ja.contains(s.ja));
            }
        }
        for t in [&en, &ja] {
            assert!(t.contains("NEEDS-CREDENTIAL"));
            assert!(t.contains("Reset-ComputerMachinePassword"));
        }
        if kit == Kit::Intune {
            assert!(en.contains("Run this script using the logged-on credentials: **No**"));
            assert!(en.contains("Run script in 64-bit PowerShell: **Yes**"));
            assert!(ja.contains("64 ビットの PowerShell"));
        } else {
            assert!(en.contains("| `NEEDS-CREDENTIAL` | 1005 | Error | 1 |"));
            assert!(en.contains("-WhatIf"));
        }
    }
}

#[test]
fn domain_validation() {
    use kizuna_scripts::parse_domain;
    assert_eq!(parse_domain("Corp.Example.").unwrap(), "corp.example");
    assert_eq!(
        parse_domain("ad.corp-1.example").unwrap(),
        "ad.corp-1.example"
    );
    for bad in [
        "corp",
        "",
        "bad_domain.example",
        "-corp.example",
        "corp..example",
        "corp.example'; Remove-Item C:\\",
        "corp.example $(whoami)",
        "10.0.0.1",
        "コープ.example",
    ] {
        let e = parse_domain(bad).expect_err(bad);
        assert!(e.contains("not a DNS domain name"), "{e}");
    }
}
