//! Findings: what the rules conclude, before any language is chosen.
//!
//! A finding carries a rule id, a severity, its subjects, the evidence it rests on, and
//! message arguments. Titles, details and remedies are rendered later from the message
//! catalogs (`kizuna-i18n`), so rules never build sentences.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::Timestamp;

/// A stable rule id such as `KZ-SC-001`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub &'static str);

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// How urgent a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity {s:?} (critical, high, medium, low, info)"))
    }
}

/// One piece of evidence a finding rests on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    pub time: Option<Timestamp>,
    pub path: String,
    pub record_id: Option<u64>,
    pub line: Option<u64>,
    /// Short, language-neutral label: `NETLOGON 5722 0xC0000022 @DC1`.
    pub label: String,
}

/// A value inserted into a message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MessageArg {
    Text(String),
    Number(i64),
}

impl From<&str> for MessageArg {
    fn from(v: &str) -> Self {
        MessageArg::Text(v.to_string())
    }
}
impl From<String> for MessageArg {
    fn from(v: String) -> Self {
        MessageArg::Text(v)
    }
}
impl From<usize> for MessageArg {
    fn from(v: usize) -> Self {
        MessageArg::Number(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// A rule's conclusion about one or more devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// Device keys, sorted.
    pub subjects: Vec<String>,
    /// Arguments for the rule's title / detail / remedy messages.
    pub args: BTreeMap<&'static str, MessageArg>,
    /// The first evidence items in time order (capped; see `evidence_total`).
    pub evidence: Vec<Evidence>,
    pub evidence_total: usize,
}

/// A finding as it is kept between runs (the store's scan history): what identifies it
/// and what its messages need, without the evidence. The weekly review compares these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingRecord {
    pub rule: String,
    pub severity: Severity,
    /// Device keys, sorted.
    pub subjects: Vec<String>,
    /// Arguments for the rule's messages, by name.
    pub args: Vec<(String, MessageArg)>,
}

impl From<&Finding> for FindingRecord {
    fn from(f: &Finding) -> Self {
        FindingRecord {
            rule: f.rule.0.to_string(),
            severity: f.severity,
            subjects: f.subjects.clone(),
            args: f
                .args
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        }
    }
}
