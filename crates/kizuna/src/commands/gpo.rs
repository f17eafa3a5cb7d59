//! `kizuna gpo workaround|rollback`: the source article's GPOs as an importable kit.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use kizuna_gpo_kit::{DomainName, KitError, Rollback, Workaround};

use crate::console::{Console, num, text};
use crate::exit;

#[derive(Args, Debug)]
pub struct GpoArgs {
    #[command(subcommand)]
    pub command: GpoCommand,
}

#[derive(Subcommand, Debug)]
pub enum GpoCommand {
    /// The workaround: a DC GPO (RefusePasswordChange=1, DC-only WMI filter, linked to the
    /// Domain Controllers OU) and a member GPO (MaximumPasswordAge) for the pilot OU, as
    /// GPMC backups with an import script and READMEs (en/ja).
    Workaround(WorkaroundArgs),
    /// The rollback: the same GPOs with the defaults (Refuse=0, MaximumPasswordAge=30),
    /// versions bumped, and a staged removal script.
    Rollback(RollbackArgs),
}

#[derive(Args, Debug)]
pub struct WorkaroundArgs {
    /// DNS name of the domain (corp.example).
    #[arg(long, value_name = "FQDN")]
    pub domain: String,
    /// The OU of the pilot computers (OU=Pilot,…,DC=corp,DC=example): the member GPO's only link.
    #[arg(long, value_name = "DN")]
    pub pilot_ou: String,
    /// Last day the workaround may stay (YYYY-MM-DD, at most a year ahead).
    #[arg(long, value_name = "DATE")]
    pub expires: String,
    /// MaximumPasswordAge for members: 0 pauses rotation (the article; fails CIS/STIG),
    /// 1–999 postpones it.
    #[arg(long, default_value_t = 0, value_name = "DAYS")]
    pub member_max_age: u32,
    /// Output folder (created; files in it are overwritten).
    #[arg(long)]
    pub out: PathBuf,
    /// A store of scanned evidence (`kizuna scan --db`), checked first: the kit is refused
    /// when every failure it shows is a look-alike of problem A (Machine Identity
    /// Isolation, refused Kerberos encryption types, blocked NTLMv1, a restored DC), which
    /// the workaround cannot fix; look-alike devices beside problem A are named.
    #[arg(long, value_name = "FILE|postgres://…")]
    pub db: Option<kizuna_store::Location>,
    /// Write the kit even when the evidence says the failures are not problem A.
    #[arg(long, requires = "db")]
    pub despite_lookalikes: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    #[arg(long, value_name = "FQDN")]
    pub domain: String,
    /// The live workaround GPOs' computer version (Get-GPO … .Computer.DSVersion); the
    /// rollback is one more. Default 1 (as the kit imported them).
    #[arg(long, value_name = "N")]
    pub after_version: Option<u16>,
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(a: GpoArgs, console: &Console) -> anyhow::Result<i32> {
    let now = kizuna_core::time::now().naive_utc();
    let (files, out) = match a.command {
        GpoCommand::Workaround(w) => {
            let domain =
                DomainName::parse(&w.domain).map_err(|e| anyhow::anyhow!("--domain {e}"))?;
            let expires = kizuna_core::time::parse_date(&w.expires)
                .map_err(|e| anyhow::anyhow!("--expires: {e}"))?;
            let kit = Workaround::new(domain, &w.pilot_ou, expires, w.member_max_age, now)
                .map_err(|e| {
                    let flag = match e {
                        KitError::MemberOu { .. } => "--pilot-ou",
                        KitError::Expiry(_) => "--expires",
                        KitError::MaxAge(_) => "--member-max-age",
                    };
                    anyhow::anyhow!("{flag}: {e}")
                })?;
            if w.member_max_age == 0 {
                console.note("cli-gpo-zero-age", &[]);
            }
            if !evidence_says_problem_a(&w, console)? {
                return Ok(exit::FINDINGS);
            }
            let files = kit
                .write(&w.out)
                .with_context(|| format!("writing the kit into {}", w.out.display()))?;
            console.note(
                "cli-gpo-workaround",
                &[
                    ("dc_gpo", text(kit.refuse.backup().display_name.clone())),
                    ("dc_link", text(kit.refuse.link().dn())),
                    ("member_gpo", text(kit.member.backup().display_name.clone())),
                    ("member_link", text(kit.member.link().dn())),
                    ("expires", text(kit.expires.to_string())),
                ],
            );
            (files, w.out)
        }
        GpoCommand::Rollback(r) => {
            let domain =
                DomainName::parse(&r.domain).map_err(|e| anyhow::anyhow!("--domain {e}"))?;
            let kit = Rollback::new(domain, r.after_version, now);
            let files = kit
                .write(&r.out)
                .with_context(|| format!("writing the kit into {}", r.out.display()))?;
            console.note(
                "cli-gpo-rollback",
                &[("version", num(kit.dc_gpo.version.machine))],
            );
            (files, r.out)
        }
    };
    println!(
        "{}",
        console.text(
            "cli-files-in",
            &[
                ("count", num(files.len())),
                ("path", text(out.display().to_string()))
            ]
        )
    );
    for f in files {
        println!("  {}", f.display());
    }
    Ok(exit::OK)
}

/// Checks the evidence of `--db` before a workaround kit is written: false (after saying
/// why) when it shows only look-alikes of problem A and `--despite-lookalikes` was not given.
fn evidence_says_problem_a(w: &WorkaroundArgs, console: &Console) -> anyhow::Result<bool> {
    let Some(db) = &w.db else {
        console.note("cli-gpo-unchecked", &[]);
        return Ok(true);
    };
    let store = kizuna_pipeline::open_existing(db)?;
    let check = kizuna_pipeline::workaround_check(
        &store,
        &kizuna_core::Knowledge::builtin(),
        kizuna_core::time::now(),
    )?;
    let lookalikes: Vec<String> = check
        .lookalikes
        .iter()
        .map(|(device, rules)| {
            let rules: Vec<&str> = rules.iter().copied().collect();
            format!("{device} ({})", rules.join(", "))
        })
        .collect();
    let args = [
        ("count", num(check.lookalikes.len())),
        ("devices", text(lookalikes.join(", "))),
    ];
    if check.only_lookalikes() {
        if w.despite_lookalikes {
            console.note("cli-gpo-lookalikes-despite", &args);
            return Ok(true);
        }
        console.error("cli-gpo-lookalikes-refused", &args);
        return Ok(false);
    }
    if !check.lookalikes.is_empty() {
        console.note("cli-gpo-lookalikes-beside", &args);
    } else if check.problem_a.is_empty() {
        console.note("cli-gpo-no-failures", &[]);
    }
    Ok(true)
}
