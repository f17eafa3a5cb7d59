//! kizuna's GPO kit: the source article's workaround and its rollback as files an
//! administrator imports — GPMC backups (`Import-GPO`), the DC-only WMI filter (.mof), an
//! import script and a staged removal script with `-WhatIf`, READMEs for the change
//! record in English and Japanese.
//!
//! Safety by construction: the Refuse GPO ([`kit::RefuseGpo`]) is only ever linked to
//! [`names::DomainControllersOu`], which can only be derived from the domain; the member
//! GPO's target ([`names::MemberOu`]) cannot be the domain root or the DC OU; the only
//! settings that exist are RefusePasswordChange and MaximumPasswordAge
//! ([`gpttmpl::SecurityOption`]) — DisablePasswordChange cannot be written.
//!
//! ```compile_fail
//! // A Refuse GPO cannot be aimed at a member OU: there is no constructor taking a target.
//! use kizuna_gpo_kit::{kit::RefuseGpo, names::{DomainName, MemberOu}};
//! let d = DomainName::parse("corp.example").unwrap();
//! let ou = MemberOu::parse("OU=PCs,DC=corp,DC=example", &d).unwrap();
//! let _ = RefuseGpo { link: ou, ..RefuseGpo::new(&d, todo!(), todo!()) };
//! ```
//!
//! ```compile_fail
//! // Nor can a Domain Controllers OU be made from an arbitrary DN.
//! use kizuna_gpo_kit::names::DomainControllersOu;
//! let _ = DomainControllersOu { dn: "OU=PCs,DC=corp,DC=example".into() };
//! ```

pub mod backup;
pub mod gpttmpl;
pub mod guid;
pub mod kit;
pub mod model;
pub mod names;
pub mod powershell;
pub mod readme;
pub mod sd;
pub mod version;
pub mod wmi;

pub use kit::Workaround;
pub use model::Rollback;
pub use names::{DomainControllersOu, DomainName, MemberOu};

/// Why a kit cannot be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KitError {
    #[error("the pilot OU {dn:?}: {why}")]
    MemberOu { dn: String, why: String },
    #[error("the expiry {0}")]
    Expiry(String),
    #[error(
        "a maximum password age of {0} days: MaximumPasswordAge is at most 999 days (0 pauses rotation)"
    )]
    MaxAge(u32),
}
