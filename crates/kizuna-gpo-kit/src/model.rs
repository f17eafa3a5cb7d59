//! What a kit is made of, as the scripts and READMEs read it: the GPOs' name prefixes,
//! the view of a workaround, the rollback. `kit` builds and writes kits; `powershell`
//! and `readme` render their parts from these.

use chrono::{NaiveDate, NaiveDateTime};

use crate::backup::GpoBackup;
use crate::names::{DomainControllersOu, DomainName, MemberOu};
use crate::wmi::WmiFilter;

/// Display-name prefixes: the removal script finds the live GPOs by them.
pub const DC_GPO_PREFIX: &str = "kizuna workaround - DC - Refuse machine account password changes";
pub const MEMBER_GPO_PREFIX: &str =
    "kizuna workaround - Members - Maximum machine account password age";
/// What the scripts and READMEs need of a workaround.
pub struct WorkaroundView<'a> {
    pub domain: &'a DomainName,
    pub dc_ou: &'a DomainControllersOu,
    pub pilot_ou: &'a MemberOu,
    pub expires: NaiveDate,
    pub dc_gpo: &'a GpoBackup,
    pub member_gpo: &'a GpoBackup,
    pub filter: &'a WmiFilter,
    pub member_max_age: u32,
}

/// `kizuna gpo rollback`: the workaround's GPOs with the defaults, one version later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    pub domain: DomainName,
    pub dc_gpo: GpoBackup,
    pub member_gpo: GpoBackup,
    pub filter_id: String,
    pub time: NaiveDateTime,
}

/// The defaults the rollback writes explicitly.
pub const DEFAULT_MAX_AGE: u32 = 30;
