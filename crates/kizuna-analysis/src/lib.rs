//! Rules: facts in, devices and findings out.
//!
//! The [`Analyzer`] takes facts one at a time (so a scan of any size streams through it),
//! keeps a compact per-device timeline of what matters to the rules, and at the end
//! produces the device inventory and the findings. Rules know facts, not file formats,
//! and never build sentences: findings carry message arguments for the catalogs.

mod devices;
mod secure_channel;
mod timeline;

use std::collections::BTreeMap;

use kizuna_core::{EventRecord, Finding, Knowledge, NetlogonEntry};

pub use devices::{Device, Role};
pub use secure_channel::RULES as SECURE_CHANNEL_RULES;

/// What a scan concludes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// Devices seen, sorted by name.
    pub devices: Vec<Device>,
    /// Findings, most severe first, then by rule and subjects.
    pub findings: Vec<Finding>,
    /// Watched (provider, event id) pairs seen, with counts, sorted.
    pub event_counts: Vec<(String, u32, u64)>,
}

/// Streams facts in; call [`Analyzer::finish`] for the result.
pub struct Analyzer<'k> {
    knowledge: &'k Knowledge,
    devices: devices::Inventory,
    timelines: timeline::Timelines,
    counts: BTreeMap<(String, u32), u64>,
}

impl<'k> Analyzer<'k> {
    pub fn new(knowledge: &'k Knowledge) -> Self {
        Analyzer {
            knowledge,
            devices: devices::Inventory::default(),
            timelines: timeline::Timelines::default(),
            counts: BTreeMap::new(),
        }
    }

    pub fn add_event(&mut self, ev: &EventRecord) {
        let Some(entry) = self.knowledge.watched.lookup(&ev.provider, ev.event_id) else {
            return;
        };
        *self
            .counts
            .entry((entry.provider.clone(), ev.event_id))
            .or_default() += 1;
        self.devices.add_event(ev, entry);
        self.timelines.add_event(ev, entry, self.knowledge);
    }

    pub fn add_netlogon(&mut self, e: &NetlogonEntry) {
        self.devices.add_netlogon(e);
        self.timelines.add_netlogon(e, self.knowledge);
    }

    pub fn finish(self) -> Analysis {
        let mut findings = secure_channel::evaluate(&self.timelines, self.knowledge);
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.subjects.cmp(&b.subjects))
        });
        Analysis {
            devices: self.devices.finish(),
            findings,
            event_counts: self
                .counts
                .into_iter()
                .map(|((p, id), n)| (p, id, n))
                .collect(),
        }
    }
}
