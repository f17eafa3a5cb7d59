//! The use cases of kizuna, each put together once: the CLI and the server call these
//! functions and decide nothing of their own.
//!
//! - [`scan()`]: read evidence into a store, judge what was read, record the scan;
//! - [`read`]: read evidence into a store (`kizuna events`);
//! - [`recorded_scan`]: a recorded scan judged again, for its reports;
//! - [`sid_scan`]: machine SIDs asked over the network, judged like any evidence;
//! - [`review_stored`]: the weekly review;
//! - [`start_plan`], [`advance_plan`], [`plan_status`], [`judge_gate`], [`plan_expiry`]:
//!   the staged plan.
//!
//! Readers and store never meet elsewhere: a use case takes the evidence as a
//! [`kizuna_core::FactSource`] and the store as a [`kizuna_store::Store`].

mod judge;
mod plan;
mod review;
mod scan;
mod sid;

pub use judge::{
    RecordedScan, analyze_sources, analyze_stored, recorded_scan, scan_sources, workaround_check,
};
pub use plan::{
    PlanStart, advance_plan, judge_gate, plan_expiry, plan_status, start_plan, workaround_expiry,
};
pub use review::{
    BaselineError, CompareTo, baseline_scan, open_existing, review_expiry, review_stored,
};
pub use scan::{DirectoryRead, Read, ScanOutcome, ScanSettings, Staged, Window, read, scan, stage};
pub use sid::{SidTargets, sid_scan, sid_targets};
