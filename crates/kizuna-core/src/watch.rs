//! The watched-event list (`data/watched.toml`): which (provider, id) pairs kizuna keeps,
//! where each is logged, what it signals to the rules, and who it is about.

use std::collections::HashMap;

use serde::Deserialize;

/// Where Windows logs an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoggedOn {
    Dc,
    Client,
    Any,
}

/// What an event means to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    /// The device could not set up its secure channel (DC 5722/5805, client 3210/5719).
    ScFailure,
    /// The DC has no trust account for the device (5723).
    AccountMissing,
    /// Computer account created (4741).
    AccountCreated,
    /// Computer account changed (4742): password resets and rotations show here.
    AccountChanged,
    Logon,
    KerberosTicket,
    NtlmValidation,
    KerberosError,
    NegotiationFailure,
    MachineIdMismatch,
    Zerologon,
    Other,
}

/// Where the subject device of an event is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectFrom {
    Computer,
    Data(usize),
    Named(String),
}

impl<'de> Deserialize<'de> for SubjectFrom {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "computer" {
            return Ok(SubjectFrom::Computer);
        }
        if let Some(n) = s.strip_prefix("data:") {
            return n
                .parse()
                .map(SubjectFrom::Data)
                .map_err(|_| serde::de::Error::custom(format!("bad data index in {s:?}")));
        }
        if let Some(f) = s.strip_prefix("named:") {
            return Ok(SubjectFrom::Named(f.to_string()));
        }
        Err(serde::de::Error::custom(format!(
            "subject must be computer, data:N or named:FIELD, not {s:?}"
        )))
    }
}

/// One `[[watch]]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct WatchEntry {
    pub provider: String,
    pub ids: Vec<u32>,
    pub logged_on: LoggedOn,
    pub signal: Signal,
    #[serde(default = "default_subject")]
    pub subject: SubjectFrom,
    #[serde(default)]
    pub computer_account_only: bool,
    /// Field names in template order, to name positional values (see `watched.toml`).
    #[serde(default)]
    pub fields: Vec<String>,
}

fn default_subject() -> SubjectFrom {
    SubjectFrom::Computer
}

#[derive(Deserialize)]
struct WatchFile {
    watch: Vec<WatchEntry>,
}

/// The watched set, indexed for a fast (provider, id) lookup.
#[derive(Debug, Clone)]
pub struct WatchList {
    entries: Vec<WatchEntry>,
    index: HashMap<(String, u32), usize>,
    ids: Vec<u32>,
}

impl WatchList {
    pub fn from_toml(text: &str) -> Result<WatchList, toml::de::Error> {
        let file: WatchFile = toml::from_str(text)?;
        let mut index = HashMap::new();
        let mut ids = Vec::new();
        for (i, e) in file.watch.iter().enumerate() {
            for &id in &e.ids {
                index.insert((e.provider.to_ascii_lowercase(), id), i);
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(WatchList {
            entries: file.watch,
            index,
            ids,
        })
    }

    /// The entry for a (provider, id) pair; provider compared case-insensitively.
    pub fn lookup(&self, provider: &str, event_id: u32) -> Option<&WatchEntry> {
        if !self.ids.contains(&event_id) {
            return None;
        }
        let key = (provider.to_ascii_lowercase(), event_id);
        self.index.get(&key).map(|&i| &self.entries[i])
    }

    /// Whether any watched pair has this id: a cheap first test before the provider.
    pub fn has_id(&self, event_id: u32) -> bool {
        self.ids.binary_search(&event_id).is_ok()
    }

    /// Every watched (provider, id) pair, sorted.
    pub fn pairs(&self) -> Vec<(String, u32)> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .flat_map(|e| e.ids.iter().map(|&id| (e.provider.clone(), id)))
            .collect();
        v.sort();
        v
    }
}
