//! The watched-event list (`data/watched.toml`): which (provider, id) pairs kizuna keeps,
//! where each is logged, what it signals to the rules, and who it is about.

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
    /// The device's own password change went through (NETLOGON 5823 on the client).
    PasswordChanged,
    /// The computer account was deleted (Security 4743 on a DC).
    AccountDeleted,
    Logon,
    /// Kerberos tickets (4768/4769/4771); status 0xE (KDC_ERR_ETYPE_NOTSUPP) is an
    /// encryption-type failure, not a password mismatch.
    KerberosTicket,
    NtlmValidation,
    KerberosError,
    /// The KDC saw a request it will refuse once RC4 is retired (audit phase).
    EtypeWarning,
    /// The KDC refused a request for its encryption type (RC4 retirement enforced).
    EtypeBlocked,
    /// The KDC's own default encryption types are insecure (reported at start-up).
    EtypeConfig,
    /// A sign-on used an NTLMv1-derived credential (audit).
    Ntlmv1Audit,
    /// A sign-on with an NTLMv1-derived credential was blocked.
    Ntlmv1Blocked,
    /// A DC found itself restored from a backup or rolled back (USN rollback).
    DcRestored,
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
    /// The first computer account (`NAME$`) among the values, named ones first (by name),
    /// then positional ones: for events whose field names Microsoft has not published.
    AnyComputerAccount,
}

impl SubjectFrom {
    /// The raw value naming the subject, if the event has it.
    pub fn find<'e>(&self, ev: &'e crate::EventRecord) -> Option<&'e str> {
        match self {
            SubjectFrom::Computer => ev.computer.as_deref(),
            SubjectFrom::Data(i) => ev.data.get(*i).map(String::as_str),
            SubjectFrom::Named(f) => ev.named.get(f).map(String::as_str),
            SubjectFrom::AnyComputerAccount => ev
                .named
                .values()
                .chain(ev.data.iter())
                .map(|v| v.trim())
                .find(|v| {
                    crate::DeviceName::is_computer_account(v)
                        && !v.to_ascii_lowercase().starts_with("krbtgt")
                }),
        }
    }
}

impl<'de> Deserialize<'de> for SubjectFrom {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "computer" {
            return Ok(SubjectFrom::Computer);
        }
        if s == "any-computer-account" {
            return Ok(SubjectFrom::AnyComputerAccount);
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
            "subject must be computer, data:N, named:FIELD or any-computer-account, not {s:?}"
        )))
    }
}

/// One `[[watch]]` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct WatchEntry {
    pub provider: String,
    /// The event log Windows writes it to (`System`, `Security`): what the collector exports.
    pub channel: String,
    pub ids: Vec<u32>,
    pub logged_on: LoggedOn,
    pub signal: Signal,
    #[serde(default = "default_subject")]
    pub subject: SubjectFrom,
    #[serde(default)]
    pub computer_account_only: bool,
    /// Logged for every user's sign-on or ticket as well (4624, 4768...): the collector
    /// exports these only when asked (`-IncludeLogonEvents`).
    #[serde(default)]
    pub high_volume: bool,
    /// Field names in template order, to name positional values (see `watched.toml`).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Where the event's meaning and layout are documented.
    pub source: String,
    /// Whether `source` is Microsoft's own text or only secondary.
    pub verified: Verified,
}

/// How a fact in the knowledge files is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verified {
    /// Microsoft's own documentation, headers or code.
    Primary,
    /// Only secondary sources: product text says "reported".
    Secondary,
}

fn default_subject() -> SubjectFrom {
    SubjectFrom::Computer
}

#[derive(Deserialize)]
struct WatchFile {
    watch: Vec<WatchEntry>,
}

/// The watched set, indexed for a (provider, id) lookup that allocates nothing: readers ask
/// it about every record of multi-gigabyte logs.
#[derive(Debug, Clone)]
pub struct WatchList {
    entries: Vec<WatchEntry>,
    /// Watched ids, sorted, each with its (provider, entry) pairs; a provider named twice
    /// for an id keeps its last entry.
    by_id: Vec<(u32, Vec<(String, usize)>)>,
    /// One bit per id below 65,536 (all real event ids): whether it is watched.
    id_bits: Vec<u64>,
}

impl WatchList {
    pub fn from_toml(text: &str) -> Result<WatchList, toml::de::Error> {
        let file: WatchFile = toml::from_str(text)?;
        let mut by_id: Vec<(u32, Vec<(String, usize)>)> = Vec::new();
        let mut id_bits = vec![0u64; 1024];
        for (i, e) in file.watch.iter().enumerate() {
            for &id in &e.ids {
                let at = match by_id.binary_search_by_key(&id, |(id, _)| *id) {
                    Ok(at) => at,
                    Err(at) => {
                        by_id.insert(at, (id, Vec::new()));
                        at
                    }
                };
                let providers = &mut by_id[at].1;
                match providers
                    .iter_mut()
                    .find(|(p, _)| p.eq_ignore_ascii_case(&e.provider))
                {
                    Some(known) => known.1 = i,
                    None => providers.push((e.provider.clone(), i)),
                }
                if let Some(word) = id_bits.get_mut(id as usize / 64) {
                    *word |= 1 << (id % 64);
                }
            }
        }
        Ok(WatchList {
            entries: file.watch,
            by_id,
            id_bits,
        })
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[WatchEntry] {
        &self.entries
    }

    /// The entry for a (provider, id) pair; provider compared case-insensitively (ASCII).
    pub fn lookup(&self, provider: &str, event_id: u32) -> Option<&WatchEntry> {
        let at = self
            .by_id
            .binary_search_by_key(&event_id, |(id, _)| *id)
            .ok()?;
        self.by_id[at]
            .1
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(provider))
            .map(|&(_, i)| &self.entries[i])
    }

    /// Whether any watched pair has this id: a cheap first test before the provider.
    pub fn has_id(&self, event_id: u32) -> bool {
        match self.id_bits.get(event_id as usize / 64) {
            Some(word) => word & (1 << (event_id % 64)) != 0,
            None => self
                .by_id
                .binary_search_by_key(&event_id, |(id, _)| *id)
                .is_ok(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"
[[watch]]
provider = "NETLOGON"
channel = "System"
ids = [5722, 5805]
logged_on = "dc"
signal = "sc-failure"
source = "test"
verified = "primary"

[[watch]]
provider = "Microsoft-Windows-Security-Auditing"
channel = "Security"
ids = [4624, 70000]
logged_on = "any"
signal = "sc-failure"
source = "test"
verified = "secondary"

[[watch]]
provider = "netlogon"
channel = "System"
ids = [5805]
logged_on = "client"
signal = "account-missing"
source = "test"
verified = "primary"
"#;

    #[test]
    fn lookup_by_provider_any_case_and_id() {
        let w = WatchList::from_toml(LIST).unwrap();
        assert_eq!(w.lookup("Netlogon", 5722).unwrap().logged_on, LoggedOn::Dc);
        // The same provider named again for an id: its last entry wins.
        assert_eq!(
            w.lookup("NETLOGON", 5805).unwrap().signal,
            Signal::AccountMissing
        );
        assert!(w.lookup("NETLOGON", 4624).is_none());
        assert!(w.lookup("NETLOGON2", 5722).is_none());
        assert!(w.lookup("", 5722).is_none());
        assert!(
            w.lookup("microsoft-windows-security-auditing", 70000)
                .is_some()
        );
        for id in [5722, 5805, 4624, 70000] {
            assert!(w.has_id(id), "{id}");
        }
        for id in [0, 5721, 5723, 4625, 65535, 65536, 70001, u32::MAX] {
            assert!(!w.has_id(id), "{id}");
        }
        assert_eq!(w.pairs().len(), 5);
    }
}
