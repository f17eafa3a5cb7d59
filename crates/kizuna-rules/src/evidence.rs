//! Evidence lists shared by the rules: from a device's input files, and capped the same
//! way everywhere (sorted, deduplicated, at most `evidence_per_finding`, total kept).

use kizuna_core::{Evidence, Knowledge};

use crate::Device;

/// Each of `paths` (a device's sources of one fact), labelled `label`.
pub(crate) fn from_sources<'a>(
    paths: &'a [std::sync::Arc<str>],
    label: String,
) -> impl Iterator<Item = Evidence> + 'a {
    paths.iter().map(move |p| Evidence {
        time: None,
        path: p.to_string(),
        record_id: None,
        line: None,
        label: label.clone(),
    })
}

/// The SYSTEM hive `d`'s Netlogon values were read from, dated when it was written (how
/// recent the reading is).
pub(crate) fn from_system_hive(d: &Device, label: String) -> Option<Evidence> {
    Some(Evidence {
        time: d.netlogon_read,
        path: d.netlogon_from.as_deref()?.to_string(),
        record_id: None,
        line: None,
        label,
    })
}

/// Sorted and deduplicated, cut to the configured length; returns it and the total.
pub(crate) fn capped(mut ev: Vec<Evidence>, k: &Knowledge) -> (Vec<Evidence>, usize) {
    ev.sort();
    ev.dedup();
    let total = ev.len();
    ev.truncate(k.thresholds.evidence_per_finding);
    (ev, total)
}
