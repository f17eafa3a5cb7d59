//! The two kits of the source article: the workaround (a DC GPO refusing machine password
//! changes, filtered to DCs and linked to the Domain Controllers OU; a member GPO pausing
//! or lengthening rotation, linked to the pilot OU) and its rollback (the same GPOs with
//! the defaults written explicitly, versions bumped, and a staged removal script).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::KitError;
use crate::backup::{GpoBackup, machine_extension_names, relative};
use crate::gpttmpl::SecurityOption;
use crate::guid::derived;
use crate::model::{DC_GPO_PREFIX, DEFAULT_MAX_AGE, MEMBER_GPO_PREFIX, Rollback, WorkaroundView};
use crate::names::{DomainControllersOu, DomainName, MemberOu};
use crate::version::GpoVersion;
use crate::wmi::WmiFilter;
use crate::{powershell, readme};

/// The longest a workaround may be planned for: it is a stopgap, not a configuration.
pub const MAX_EXPIRY_DAYS: i64 = 366;
/// The documented upper bound of MaximumPasswordAge.
pub const MAX_AGE_LIMIT: u32 = 999;

fn gpo_guid(domain: &DomainName, role: &str) -> String {
    derived(&[domain.as_str(), "gpo", role])
}

fn backup_id(domain: &DomainName, role: &str, version: GpoVersion) -> String {
    derived(&[
        domain.as_str(),
        "backup",
        role,
        &version.packed().to_string(),
    ])
}

/// The DC GPO: RefusePasswordChange = 1, the DC-only WMI filter, linked to the Domain
/// Controllers OU. Its fields are private and its one constructor takes no link target,
/// so no code path can aim it at member computers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefuseGpo {
    backup: GpoBackup,
    link: DomainControllersOu,
    filter: WmiFilter,
}

impl RefuseGpo {
    pub fn new(domain: &DomainName, expires: NaiveDate, time: NaiveDateTime) -> RefuseGpo {
        let version = GpoVersion::machine(1);
        RefuseGpo {
            backup: GpoBackup {
                display_name: format!("{DC_GPO_PREFIX} (expires {expires})"),
                gpo_guid: gpo_guid(domain, "dc"),
                backup_id: backup_id(domain, "dc", version),
                domain: domain.clone(),
                version,
                options: vec![SecurityOption::RefusePasswordChange(true)],
                comment: format!(
                    "kizuna workaround: domain controllers refuse member machine password changes. Link: Domain Controllers OU only, WMI filter ProductType = 2. Expires {expires}."
                ),
                time,
            },
            link: DomainControllersOu::of(domain),
            filter: WmiFilter::domain_controllers(domain, time),
        }
    }

    pub fn backup(&self) -> &GpoBackup {
        &self.backup
    }
    pub fn link(&self) -> &DomainControllersOu {
        &self.link
    }
    pub fn filter(&self) -> &WmiFilter {
        &self.filter
    }
}

/// The member GPO: MaximumPasswordAge = N, linked to one member OU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAgeGpo {
    backup: GpoBackup,
    link: MemberOu,
}

impl MemberAgeGpo {
    pub fn new(
        domain: &DomainName,
        link: MemberOu,
        max_age: u32,
        expires: NaiveDate,
        time: NaiveDateTime,
    ) -> Result<MemberAgeGpo, KitError> {
        if max_age > MAX_AGE_LIMIT {
            return Err(KitError::MaxAge(max_age));
        }
        let version = GpoVersion::machine(1);
        Ok(MemberAgeGpo {
            backup: GpoBackup {
                display_name: format!("{MEMBER_GPO_PREFIX} (expires {expires})"),
                gpo_guid: gpo_guid(domain, "member"),
                backup_id: backup_id(domain, "member", version),
                domain: domain.clone(),
                version,
                options: vec![SecurityOption::MaximumPasswordAge(max_age)],
                comment: format!(
                    "kizuna workaround: member machine password age {max_age} (0 = no rotation). Link: pilot OU first, widened stage by stage. Expires {expires}."
                ),
                time,
            },
            link,
        })
    }

    pub fn backup(&self) -> &GpoBackup {
        &self.backup
    }
    pub fn link(&self) -> &MemberOu {
        &self.link
    }
}

/// `kizuna gpo workaround`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workaround {
    pub domain: DomainName,
    pub refuse: RefuseGpo,
    pub member: MemberAgeGpo,
    pub expires: NaiveDate,
    pub member_max_age: u32,
    pub time: NaiveDateTime,
}

impl Workaround {
    pub fn new(
        domain: DomainName,
        pilot_ou: &str,
        expires: NaiveDate,
        member_max_age: u32,
        time: NaiveDateTime,
    ) -> Result<Workaround, KitError> {
        let today = time.date();
        if expires <= today {
            return Err(KitError::Expiry(format!(
                "{expires} is not after today ({today})"
            )));
        }
        if (expires - today).num_days() > MAX_EXPIRY_DAYS {
            return Err(KitError::Expiry(format!(
                "{expires} is more than {MAX_EXPIRY_DAYS} days away: the workaround is a stopgap; plan its rollback sooner"
            )));
        }
        let pilot = MemberOu::parse(pilot_ou, &domain)?;
        Ok(Workaround {
            refuse: RefuseGpo::new(&domain, expires, time),
            member: MemberAgeGpo::new(&domain, pilot, member_max_age, expires, time)?,
            domain,
            expires,
            member_max_age,
            time,
        })
    }

    /// Convenience views for the scripts and READMEs.
    pub fn view(&self) -> WorkaroundView<'_> {
        WorkaroundView {
            domain: &self.domain,
            dc_ou: self.refuse.link(),
            pilot_ou: self.member.link(),
            expires: self.expires,
            dc_gpo: self.refuse.backup(),
            member_gpo: self.member.backup(),
            filter: self.refuse.filter(),
            member_max_age: self.member_max_age,
        }
    }

    /// Writes the kit into `out`; returns the files written (relative paths).
    pub fn write(&self, out: &Path) -> io::Result<Vec<PathBuf>> {
        let v = self.view();
        let mut files = Vec::new();
        let backups = [self.refuse.backup(), self.member.backup()];
        write_backups(out, &backups, &mut files)?;
        put(
            out,
            "WMI/kizuna-domain-controllers.mof",
            v.filter.mof().into_bytes(),
            &mut files,
        )?;
        put(
            out,
            "Import-KizunaWorkaround.ps1",
            powershell::import_script(&v).into_bytes(),
            &mut files,
        )?;
        put(
            out,
            "README.md",
            readme::workaround(&v, kizuna_core::Lang::En).into_bytes(),
            &mut files,
        )?;
        put(
            out,
            "README.ja.md",
            readme::workaround(&v, kizuna_core::Lang::Ja).into_bytes(),
            &mut files,
        )?;
        let kit = KitJson {
            kind: "workaround",
            domain: self.domain.as_str(),
            expires: Some(self.expires.to_string()),
            generated: self.time.format("%Y-%m-%dT%H:%M:%S").to_string(),
            wmi_filter: Some(FilterJson {
                id: &v.filter.id,
                name: &v.filter.name,
                query: v.filter.query,
                gpc_wql_filter: v.filter.gpc_wql_filter(),
            }),
            gpos: vec![
                GpoJson::of(v.dc_gpo, Some(v.dc_ou.dn()), Some(&v.filter.id)),
                GpoJson::of(v.member_gpo, Some(v.pilot_ou.dn()), None),
            ],
        };
        put(
            out,
            "kit.json",
            (serde_json::to_string_pretty(&kit).map_err(io::Error::other)? + "\n").into_bytes(),
            &mut files,
        )?;
        Ok(files)
    }
}

impl Rollback {
    /// `after`: the live GPOs' computer version (default 1, the kit's import); the
    /// rollback is one more.
    pub fn new(domain: DomainName, after: Option<u16>, time: NaiveDateTime) -> Rollback {
        let version = GpoVersion::machine(after.unwrap_or(1)).bump_machine();
        let gpo = |role: &str, prefix: &str, option: SecurityOption, comment: &str| GpoBackup {
            display_name: format!("{prefix} (rolled back)"),
            gpo_guid: gpo_guid(&domain, role),
            backup_id: backup_id(&domain, role, version),
            domain: domain.clone(),
            version,
            options: vec![option],
            comment: comment.to_string(),
            time,
        };
        Rollback {
            dc_gpo: gpo(
                "dc",
                DC_GPO_PREFIX,
                SecurityOption::RefusePasswordChange(false),
                "kizuna rollback: domain controllers accept machine password changes again (RefusePasswordChange = 0).",
            ),
            member_gpo: gpo(
                "member",
                MEMBER_GPO_PREFIX,
                SecurityOption::MaximumPasswordAge(DEFAULT_MAX_AGE),
                "kizuna rollback: member machine passwords rotate every 30 days again (MaximumPasswordAge = 30).",
            ),
            filter_id: WmiFilter::domain_controllers(&domain, time).id,
            domain,
            time,
        }
    }

    pub fn write(&self, out: &Path) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        write_backups(out, &[&self.dc_gpo, &self.member_gpo], &mut files)?;
        put(
            out,
            "Remove-KizunaWorkaround.ps1",
            powershell::removal_script(self).into_bytes(),
            &mut files,
        )?;
        put(
            out,
            "README.md",
            readme::rollback(self, kizuna_core::Lang::En).into_bytes(),
            &mut files,
        )?;
        put(
            out,
            "README.ja.md",
            readme::rollback(self, kizuna_core::Lang::Ja).into_bytes(),
            &mut files,
        )?;
        let kit = KitJson {
            kind: "rollback",
            domain: self.domain.as_str(),
            expires: None,
            generated: self.time.format("%Y-%m-%dT%H:%M:%S").to_string(),
            wmi_filter: None,
            gpos: vec![
                GpoJson::of(&self.dc_gpo, None, None),
                GpoJson::of(&self.member_gpo, None, None),
            ],
        };
        put(
            out,
            "kit.json",
            (serde_json::to_string_pretty(&kit).map_err(io::Error::other)? + "\n").into_bytes(),
            &mut files,
        )?;
        Ok(files)
    }
}

/// `kit.json`: structs, so the bytes do not depend on serde_json's map features.
#[derive(Serialize)]
struct KitJson<'a> {
    kind: &'static str,
    domain: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    generated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    wmi_filter: Option<FilterJson<'a>>,
    gpos: Vec<GpoJson<'a>>,
}

#[derive(Serialize)]
struct FilterJson<'a> {
    id: &'a str,
    name: &'a str,
    query: &'a str,
    #[serde(rename = "gPCWQLFilter")]
    gpc_wql_filter: String,
}

#[derive(Serialize)]
struct GpoJson<'a> {
    display_name: &'a str,
    gpo_guid: &'a str,
    backup_id: &'a str,
    version: u32,
    #[serde(rename = "gPCMachineExtensionNames")]
    machine_extension_names: String,
    settings: Vec<String>,
    link: Option<&'a str>,
    wmi_filter: Option<&'a str>,
}

impl<'a> GpoJson<'a> {
    fn of(g: &'a GpoBackup, link: Option<&'a str>, filter: Option<&'a str>) -> GpoJson<'a> {
        GpoJson {
            display_name: &g.display_name,
            gpo_guid: &g.gpo_guid,
            backup_id: &g.backup_id,
            version: g.version.packed(),
            machine_extension_names: machine_extension_names(),
            settings: g.options.iter().map(|o| o.line()).collect(),
            link,
            wmi_filter: filter,
        }
    }
}

fn put(out: &Path, rel: &str, bytes: Vec<u8>, files: &mut Vec<PathBuf>) -> io::Result<()> {
    let rel = relative(rel);
    let p = out.join(&rel);
    if let Some(dir) = p.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(&p, bytes)?;
    files.push(rel);
    Ok(())
}

/// The backups and the folder's manifest.xml (which GPMC lists backups from).
fn write_backups(out: &Path, backups: &[&GpoBackup], files: &mut Vec<PathBuf>) -> io::Result<()> {
    fs::create_dir_all(out)?;
    let mut manifest = String::from(
        "<Backups xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\" xmlns:mfst=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\" mfst:version=\"1.0\">",
    );
    for b in backups {
        b.write(out)?;
        for f in [
            "Backup.xml",
            "bkupInfo.xml",
            "gpreport.xml",
            crate::backup::GPTTMPL_IN_BACKUP,
        ] {
            files.push(Path::new(&b.backup_id).join(relative(f)));
        }
        manifest.push_str(&b.manifest_entry());
    }
    manifest.push_str("</Backups>\r\n");
    put(out, "manifest.xml", manifest.into_bytes(), files)
}
