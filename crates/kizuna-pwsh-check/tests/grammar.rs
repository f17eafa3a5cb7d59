//! The checker must be able to fail: broken scripts give errors at the right place, real
//! scripts give none.

use kizuna_pwsh_check::{commands, parses, syntax_errors, tokens};

fn assert_broken(name: &str, source: &str, line: usize) {
    let errors = syntax_errors(source);
    assert!(
        !errors.is_empty(),
        "{name}: no syntax error found in\n{source}\n{}",
        kizuna_pwsh_check::sexp(source)
    );
    assert!(
        errors.iter().any(|e| e.line == line),
        "{name}: expected an error on line {line}, got {errors:?}"
    );
    // The same with Windows line ends.
    let crlf = source.replace('\n', "\r\n");
    assert!(!parses(&crlf), "{name}: CRLF version parses");
}

#[test]
fn unclosed_brace() {
    assert_broken(
        "unclosed brace",
        "function Test-It {\n    if ($true) {\n        Write-Output 1\n    }\n",
        4,
    );
}

#[test]
fn if_without_closing_paren() {
    assert_broken("if (", "if ($x -eq 1 {\n    Write-Output 1\n}\n", 1);
    assert_broken("if ( alone", "if (\n", 1);
}

#[test]
fn stray_closing_brace() {
    assert_broken("stray }", "Write-Output 1\n}\nWrite-Output 2\n", 2);
    let e = &syntax_errors("Write-Output 1\n}\n")[0];
    assert_eq!((e.line, e.column, e.snippet.as_str()), (2, 1, "}"));
}

#[test]
fn unterminated_strings() {
    assert_broken(
        "unterminated double-quoted string",
        "Write-Output \"abc\nWrite-Output 2\n",
        1,
    );
    assert_broken(
        "unterminated single-quoted string",
        "$a = 'abc\n$b = 2\n",
        1,
    );
}

#[test]
fn here_strings_without_terminator() {
    assert_broken(
        "verbatim here-string",
        "$a = @'\nhello\nWrite-Output $a\n",
        1,
    );
    assert_broken(
        "expandable here-string",
        "$a = @\"\nhello $env:USERNAME\nWrite-Output $a\n",
        1,
    );
    // A terminator that is not at the start of its line does not end a here-string.
    assert_broken(
        "indented terminator",
        "$a = @'\nhello\n  '@\nWrite-Output $a\n",
        1,
    );
}

#[test]
fn other_breakage() {
    assert_broken("unclosed call", "Write-Output (Get-Date\n", 1);
    assert_broken(
        "unclosed param",
        "param(\n    [string]$Name\n\nWrite-Output $Name\n",
        1,
    );
    assert_broken("try without catch", "try {\n    1\n}\nWrite-Output 2\n", 1);
}

#[test]
fn positions_count_characters_not_bytes() {
    // Japanese comment: the error is after multi-byte characters on the same line.
    let errors = syntax_errors("# 日本語\n$a = 1 # コメント\n}\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].column), (3, 1));
    let errors = syntax_errors("$x = '日本' }\n");
    assert_eq!(errors[0].line, 1);
    assert_eq!(errors[0].column, 11, "{errors:?}");
    assert!(errors[0].to_string().starts_with("1:11: "));
}

#[test]
fn real_scripts_parse() {
    for (name, source) in [
        (
            "article-self-repair.ps1",
            include_str!("data/article-self-repair.ps1"),
        ),
        (
            "article-dc-5722.ps1",
            include_str!("data/article-dc-5722.ps1"),
        ),
        ("admin-toolbox.ps1", include_str!("data/admin-toolbox.ps1")),
    ] {
        for variant in [
            source.to_string(),
            source.replace('\n', "\r\n"),
            format!("\u{feff}{}", source.replace('\n', "\r\n")),
        ] {
            let errors = syntax_errors(&variant);
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
    }
}

#[test]
fn commands_report_parameters_and_guards() {
    let cmds = commands(include_str!("data/article-self-repair.ps1"));
    let repair = cmds
        .iter()
        .find(|c| c.parameters.iter().any(|p| p == "-Repair"))
        .expect("the repair call");
    assert_eq!(repair.name, "Test-ComputerSecureChannel");
    assert_eq!(repair.parameters, ["-Repair", "-Credential", "-Verbose"]);
    assert_eq!(repair.guards, ["-not (Test-ComputerSecureChannel)"]);
    assert!(cmds.iter().any(|c| c.name == "Get-Credential"));
    let nltest: Vec<_> = cmds.iter().filter(|c| c.name == "nltest").collect();
    assert_eq!(nltest.len(), 2);
    assert_eq!(nltest[0].arguments, ["/dbflag:0x2080ffff"]);

    // Text that looks like a parameter inside a string is not one; else branches are not
    // guarded by the if's condition.
    let cmds = commands(
        "if ($PSCmdlet.ShouldProcess('x')) {\n    Remove-Item -LiteralPath $p\n} else {\n    Write-Output '-Credential'\n}\n",
    );
    assert_eq!(cmds.len(), 2);
    assert_eq!(cmds[0].guards, ["$PSCmdlet.ShouldProcess('x')"]);
    assert_eq!(cmds[0].parameters, ["-LiteralPath"]);
    assert!(cmds[1].guards.is_empty());
    assert!(cmds[1].parameters.is_empty());
}

#[test]
fn tokens_separate_code_from_text() {
    let source = "if ($a) { Write-Output '{0}' -f 1 } # }\n";
    let braces: Vec<_> = tokens(source)
        .into_iter()
        .filter(|t| t.kind == "}")
        .collect();
    assert_eq!(braces.len(), 1, "only the block's brace is a token");
    let mut broken = source.to_string();
    broken.remove(braces[0].start);
    assert!(!parses(&broken));
}

#[test]
fn hashtable_keys_of_one_function() {
    let source = "function Get-A {\n    $x = [ordered]@{\n        Name = $env:COMPUTERNAME\n        'Quoted Key' = 1\n        Nested = @{ Inner = 2 }\n    }\n    return $x\n}\nfunction Get-B {\n    @{ Other = 3 }\n}\n$top = @{ Outside = 4 }\n";
    let keys = kizuna_pwsh_check::hashtable_keys(source, "Get-A");
    assert_eq!(
        keys,
        vec![vec![
            "Name".to_string(),
            "Quoted Key".to_string(),
            "Nested".to_string(),
            "Inner".to_string()
        ]],
        "{}",
        kizuna_pwsh_check::sexp(source)
    );
    assert_eq!(
        kizuna_pwsh_check::hashtable_keys(source, "get-b"),
        vec![vec!["Other".to_string()]]
    );
    assert!(kizuna_pwsh_check::hashtable_keys(source, "Get-C").is_empty());
}
