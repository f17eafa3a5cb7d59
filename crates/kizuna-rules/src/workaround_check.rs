//! Whether the evidence shows problem A or only its look-alikes: what `kizuna gpo
//! workaround` checks before it writes a kit that refuses machine password changes — a
//! kit that cannot help a device whose failures are Machine Identity Isolation, refused
//! encryption types, blocked NTLMv1 or a restored DC, and only widens the workaround.

use std::collections::{BTreeMap, BTreeSet};

use kizuna_core::{MessageArg, Severity};

use crate::Analysis;

/// The rules that explain failures which look like problem A but are not.
pub const LOOKALIKE_RULES: [&str; 4] = ["KZ-MII-001", "KZ-KRB-001", "KZ-NTLM-001", "KZ-DC-002"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkaroundCheck {
    /// Devices with problem A's trust failures (a rejected password, KZ-SC-001 at medium
    /// or worse, or failures that keep coming back, KZ-SC-002) that no look-alike explains.
    pub problem_a: BTreeSet<String>,
    /// Devices a look-alike explains, with the rule ids that do.
    pub lookalikes: BTreeMap<String, BTreeSet<&'static str>>,
}

impl WorkaroundCheck {
    pub fn of(analysis: &Analysis) -> WorkaroundCheck {
        let mut lookalikes: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
        for f in &analysis.findings {
            if let Some(rule) = LOOKALIKE_RULES.iter().find(|r| **r == f.rule.0) {
                for s in &f.subjects {
                    lookalikes.entry(s.clone()).or_default().insert(rule);
                }
            }
        }
        let problem_a = analysis
            .findings
            .iter()
            .filter(|f| match f.rule.0 {
                "KZ-SC-002" => true,
                "KZ-SC-001" => {
                    f.severity >= Severity::Medium
                        && matches!(f.args.get("kind"), Some(MessageArg::Text(k)) if k == "password")
                }
                _ => false,
            })
            .flat_map(|f| f.subjects.iter().cloned())
            .filter(|d| !lookalikes.contains_key(d))
            .collect();
        WorkaroundCheck {
            problem_a,
            lookalikes,
        }
    }

    /// Look-alikes explain every failure seen, and none is problem A's: the workaround
    /// would not help.
    pub fn only_lookalikes(&self) -> bool {
        self.problem_a.is_empty() && !self.lookalikes.is_empty()
    }
}
