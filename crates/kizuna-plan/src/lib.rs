//! The staged workaround / rollback plan of the source article, with gates computed from
//! measured evidence.
//!
//! The article's playbook is a sequence an administrator walks over weeks: the member
//! GPO on a pilot, then in stages, then everywhere (the **workaround** track); after
//! Microsoft's fix, the defaults restored on a lab OU, a staged withdrawal, one or two
//! rotation cycles of monitoring (30–60 days), then the workaround GPOs disabled and
//! deleted (the **rollback** track). A [`Plan`] holds one track's phases in order, each
//! with a [`Scope`] (device-name patterns or every device); the active phase ends when
//! its [`Gate`] passes — or when someone forces it, which the append-only log records with
//! who and why.
//!
//! Gates are judged by [`evaluate`], a pure function of [`Measurements`], so every
//! boundary is unit-tested. Measurements come from the store's facts through [`measure`]:
//! new secure-channel failures are the KZ-SC-001 findings of `kizuna scan`'s own rules
//! run over the gate's window, not a second implementation of them. A gate never passes
//! on stale evidence: it is "unknown — collect evidence" instead.
//!
//! The crate knows phases, gates and what they show (`status`); kizuna-report renders
//! them, and the use cases in kizuna-pipeline wire the store and the clock.

pub mod gate;
pub mod measure;
mod model;
mod scope;
pub mod status;
pub mod store;

pub use gate::{Check, Gate, GateResult, Measurements, MinTime, Status, evaluate};
pub use measure::{GateEvidence, StoredFacts, measure};
pub use model::{Action, LogEntry, Params, Phase, PhaseKind, PhaseState, Plan, Track, Transition};
pub use scope::Scope;
pub use status::Advance;

use kizuna_core::MessageArg;

/// Why a plan command cannot do what it was asked. Each error has a message in the
/// catalogs ([`PlanError::message`]); `Display` is the English text for logs.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("bad device-name pattern {0:?}")]
    BadPattern(String),
    #[error("bad stage {0:?}: use NAME=PATTERNS with a name of letters, digits, - or _")]
    BadStage(String),
    #[error("stage {0:?} is given twice")]
    DuplicateStage(String),
    #[error("{name:?} is a fixed phase of the {track} track; name the stage otherwise")]
    ReservedStage { name: String, track: &'static str },
    #[error("the first phase ({phase}) needs a scope")]
    MissingFirstScope { phase: &'static str },
    #[error("bad value of {name}: {value}")]
    BadParam { name: &'static str, value: String },
    #[error("there is no plan in this database")]
    NoPlan,
    #[error("the plan is complete: nothing to advance")]
    Complete,
    #[error("now is before the active phase began ({started}): check the clock or KIZUNA_NOW")]
    BeforePhase { started: kizuna_core::Timestamp },
    /// A field that must say something (who, why, note) is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("the stored plan is unreadable: {0}")]
    Corrupt(String),
    #[error("reading the evidence: {0}")]
    Evidence(String),
    #[error(transparent)]
    Store(#[from] kizuna_store::StoreError),
}

impl PlanError {
    /// The catalog message id and its arguments.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, MessageArg)>) {
        let text = |s: &str| MessageArg::Text(s.to_string());
        match self {
            PlanError::BadPattern(p) => ("plan-error-pattern", vec![("pattern", text(p))]),
            PlanError::BadStage(s) => ("plan-error-stage", vec![("stage", text(s))]),
            PlanError::DuplicateStage(s) => ("plan-error-duplicate", vec![("stage", text(s))]),
            PlanError::ReservedStage { name, track } => (
                "plan-error-reserved",
                vec![("stage", text(name)), ("track", text(track))],
            ),
            PlanError::MissingFirstScope { phase } => {
                ("plan-error-first-scope", vec![("phase", text(phase))])
            }
            PlanError::BadParam { name, value } => (
                "plan-error-param",
                vec![("name", text(name)), ("value", text(value))],
            ),
            PlanError::NoPlan => ("plan-error-no-plan", vec![]),
            PlanError::Complete => ("plan-error-complete", vec![]),
            PlanError::BeforePhase { started } => (
                "plan-error-clock",
                vec![(
                    "started",
                    text(&started.format("%Y-%m-%d %H:%M UTC").to_string()),
                )],
            ),
            PlanError::Empty(what) => ("plan-error-empty", vec![("what", text(what))]),
            PlanError::Corrupt(e) | PlanError::Evidence(e) => {
                ("plan-error-other", vec![("error", text(e))])
            }
            PlanError::Store(e) => ("plan-error-other", vec![("error", text(&e.to_string()))]),
        }
    }
}
