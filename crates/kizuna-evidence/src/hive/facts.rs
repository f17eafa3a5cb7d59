//! What each hive type says about its machine (SAM, SECURITY, SYSTEM, SOFTWARE): the
//! hive type from its keys, then the identity facts read key by key.

use super::*;

/// Recognizes the hive from its root sub-keys and a few telltale keys.
pub(super) fn detect_type(
    parser: &mut Parser,
    mut root: CellKeyNode,
    facts: &mut HiveFacts,
) -> HiveType {
    let names = match guarded("listing the root key", || {
        Ok(root
            .read_sub_keys(parser)
            .into_iter()
            .map(|k| k.key_name.to_lowercase())
            .collect::<Vec<_>>())
    }) {
        Ok(names) => names,
        Err(e) => {
            facts.errors.push(e);
            Vec::new()
        }
    };
    let has = |n: &str| names.iter().any(|k| k == n);
    let mut exists = |path: &str| find_key(parser, path).ok().flatten().is_some();
    // SECURITY's root is Cache, Policy, RXACT, SAM; SAM's is SAM alone; SYSTEM's has
    // Select and ControlSet00N; SOFTWARE's has Microsoft, Classes, Clients...
    if has("policy")
        && (has("rxact")
            || has("cache")
            || exists("Policy\\PolAcDmS")
            || exists("Policy\\PolAdtEv"))
    {
        HiveType::Security
    } else if has("sam") && (names.len() == 1 || exists("SAM\\Domains\\Account")) {
        HiveType::Sam
    } else if has("select") && names.iter().any(|k| k.starts_with("controlset")) {
        HiveType::System
    } else if has("microsoft")
        && (has("classes") || has("clients") || exists("Microsoft\\Windows NT\\CurrentVersion"))
    {
        HiveType::Software
    } else {
        HiveType::Unknown
    }
}

/// Case-insensitive key lookup (notatin matches path segments ASCII-case-insensitively).
pub(super) fn find_key(parser: &mut Parser, path: &str) -> Result<Option<CellKeyNode>, String> {
    guarded(path, || {
        parser.get_key(path, false).map_err(|e| e.to_string())
    })
}

/// Whether a missing key or value is an error (the hive type always has it) or not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    Required,
    Optional,
}

pub(super) struct Reader<'a> {
    pub(super) parser: &'a mut Parser,
    pub(super) facts: &'a mut HiveFacts,
    pub(super) hive: &'static str,
}

impl Reader<'_> {
    fn error(&mut self, msg: String) {
        self.facts.errors.push(format!("{} {msg}", self.hive));
    }

    fn key(&mut self, path: &str, need: Need) -> Option<CellKeyNode> {
        match find_key(self.parser, path) {
            Ok(Some(key)) => {
                self.facts.errors.extend(key_damage(&key));
                Some(key)
            }
            Ok(None) => {
                if need == Need::Required {
                    self.error(format!("{path}: key not found"));
                }
                None
            }
            Err(e) => {
                self.error(e);
                None
            }
        }
    }

    /// A value of `key` (name matched case-insensitively; "" is the default value).
    fn value(&mut self, key: &CellKeyNode, path: &str, name: &str, need: Need) -> Option<Raw> {
        let Some(value) = key.get_value(name) else {
            if need == Need::Required {
                self.error(format!("{path}: value {} not found", shown_name(name)));
            }
            return None;
        };
        let (content, logs) = value.get_content();
        for (_, text) in logs.as_ref().map(log_entries).unwrap_or_default() {
            self.error(format!("{path} value {}: {text}", shown_name(name)));
        }
        Some(Raw::new(&value, content))
    }

    fn string(&mut self, key: &CellKeyNode, path: &str, name: &str, need: Need) -> Option<String> {
        let raw = self.value(key, path, name, need)?;
        match raw.string() {
            Ok(s) => non_empty(s),
            Err(e) => {
                self.error(format!("{path} value {}: {e}", shown_name(name)));
                None
            }
        }
    }

    fn number(&mut self, key: &CellKeyNode, path: &str, name: &str, need: Need) -> Option<u32> {
        let raw = self.value(key, path, name, need)?;
        match raw.number() {
            Ok(n) => Some(n),
            Err(e) => {
                self.error(format!("{path} value {}: {e}", shown_name(name)));
                None
            }
        }
    }

    pub(super) fn sam(&mut self) {
        const PATH: &str = "SAM\\Domains\\Account";
        let Some(key) = self.key(PATH, Need::Required) else {
            return;
        };
        let Some(v) = self.value(&key, PATH, "V", Need::Required) else {
            return;
        };
        let v = v.bytes;
        match sam_descriptor_sid(&v) {
            Ok((sid, matches_tail)) => {
                self.facts.machine_sid = Some(sid);
                self.facts.sam_descriptor_matches_tail = Some(matches_tail);
            }
            Err(e) => {
                self.error(format!("{PATH} value V: {e}"));
                let tail = v.len().checked_sub(24).and_then(|start| v.get(start..));
                match tail.map(sid_to_string) {
                    Some(Ok(sid)) => {
                        self.facts.notes.push(format!(
                            "SAM machine SID taken from the last 24 bytes of V ({sid}): \
                             descriptor 1 is unreadable"
                        ));
                        self.facts.machine_sid = Some(sid);
                    }
                    Some(Err(e)) => self.error(format!("{PATH} value V, last 24 bytes: {e}")),
                    None => {}
                }
            }
        }
    }

    pub(super) fn security(&mut self) {
        self.facts.machine_sid = self.policy_sid("PolAcDmS", Need::Required);
        self.facts.primary_domain_sid = self.policy_sid("PolPrDmS", Need::Optional);
        self.facts.account_domain_name = self.policy_name("PolAcDmN", Need::Required);
        self.facts.primary_domain_name = self.policy_name("PolPrDmN", Need::Required);
        self.facts.dns_domain_name = self.policy_name("PolDnDDN", Need::Optional);
    }

    /// `Policy\<name>` default value, a raw SID (empty = `None`).
    fn policy_sid(&mut self, name: &str, need: Need) -> Option<String> {
        let path = format!("Policy\\{name}");
        let key = self.key(&path, need)?;
        let raw = self.value(&key, &path, "", need)?;
        if raw.bytes.is_empty() {
            return None;
        }
        match sid_to_string(&raw.bytes) {
            Ok(sid) => Some(sid),
            Err(e) => {
                self.error(format!("{path} (default): {e}"));
                None
            }
        }
    }

    /// `Policy\<name>` default value, a UNICODE_STRING header + UTF-16LE.
    fn policy_name(&mut self, name: &str, need: Need) -> Option<String> {
        let path = format!("Policy\\{name}");
        let key = self.key(&path, need)?;
        let raw = self.value(&key, &path, "", need)?;
        match unicode_string(&raw.bytes) {
            Ok(s) => s,
            Err(e) => {
                self.error(format!("{path} (default): {e}"));
                None
            }
        }
    }

    pub(super) fn system(&mut self) {
        let set = self.control_set();
        let Some(set) = set else {
            return;
        };
        let path = format!("{set}\\Control\\ComputerName\\ComputerName");
        if let Some(key) = self.key(&path, Need::Required) {
            self.facts.computer_name = self.string(&key, &path, "ComputerName", Need::Required);
        }
        let path = format!("{set}\\Control\\ProductOptions");
        if let Some(key) = self.key(&path, Need::Required) {
            self.facts.product_type = self.string(&key, &path, "ProductType", Need::Required);
        }
        let path = format!("{set}\\Services\\Tcpip\\Parameters");
        if let Some(key) = self.key(&path, Need::Optional) {
            self.facts.tcpip_hostname = self.string(&key, &path, "Hostname", Need::Optional);
            self.facts.tcpip_domain = self.string(&key, &path, "Domain", Need::Optional);
        }
        let path = format!("{set}\\Services\\Netlogon\\Parameters");
        if let Some(key) = self.key(&path, Need::Optional) {
            for name in NETLOGON_PARAMETERS {
                if let Some(n) = self.number(&key, &path, name, Need::Optional) {
                    self.facts.netlogon.insert(name.to_string(), n);
                }
            }
        }
        let lsa = format!("{set}\\Control\\Lsa");
        self.hardening(&lsa, "MachineIdentityIsolation", "Lsa");
        self.hardening(&format!("{lsa}\\MSV1_0"), "BlockNtlmv1SSO", "Lsa\\MSV1_0");
    }

    /// A hardening switch: value `name` of the key at `path`, else of its same-named
    /// sub-key (Microsoft writes the Machine Identity Isolation paths with the value name
    /// as their last element, so both forms are read). Kept as `<label>\<name>`.
    fn hardening(&mut self, path: &str, name: &str, label: &str) {
        let sub = format!("{path}\\{name}");
        for at in [path, sub.as_str()] {
            if let Some(key) = self.key(at, Need::Optional)
                && let Some(n) = self.number(&key, at, name, Need::Optional)
            {
                self.facts.hardening.insert(format!("{label}\\{name}"), n);
                return;
            }
        }
    }

    /// `ControlSet00N` per `Select\Current`; falls back (with a note) to `Select\Default`,
    /// then to the first `ControlSet00N` present.
    fn control_set(&mut self) -> Option<String> {
        let select = self.key("Select", Need::Required);
        let mut current = None;
        let mut default = None;
        if let Some(select) = &select {
            current = self.number(select, "Select", "Current", Need::Required);
            default = self.number(select, "Select", "Default", Need::Optional);
        }
        self.facts.current_control_set = current;
        let mut candidates: Vec<(u32, &str)> = Vec::new();
        if let Some(n) = current {
            candidates.push((n, "Select\\Current"));
        }
        if let Some(n) = default {
            candidates.push((n, "Select\\Default"));
        }
        candidates.extend((1..=9).map(|n| (n, "the first control set present")));
        for (i, (n, source)) in candidates.into_iter().enumerate() {
            let set = format!("ControlSet{n:03}");
            if find_key(self.parser, &set).ok().flatten().is_some() {
                if i > 0 || current.is_none() {
                    self.facts
                        .notes
                        .push(format!("SYSTEM facts read from {set} ({source})"));
                }
                return Some(set);
            }
            if i == 0 && current.is_some() {
                self.error(format!("{set} (Select\\Current): key not found"));
            }
        }
        self.error("no ControlSet00N key found".into());
        None
    }

    pub(super) fn software(&mut self) {
        const PATH: &str = "Microsoft\\Windows NT\\CurrentVersion";
        let Some(key) = self.key(PATH, Need::Required) else {
            return;
        };
        let build = if key.get_value("CurrentBuild").is_some() {
            self.number(&key, PATH, "CurrentBuild", Need::Required)
        } else {
            self.number(&key, PATH, "CurrentBuildNumber", Need::Required)
        };
        self.facts.current_build = build;
        self.facts.ubr = self.number(&key, PATH, "UBR", Need::Optional);
        self.facts.display_version = self.string(&key, PATH, "DisplayVersion", Need::Optional);
        self.facts.product_name = self.string(&key, PATH, "ProductName", Need::Required);
        self.facts.edition_id = self.string(&key, PATH, "EditionID", Need::Optional);
        self.facts.installation_type = self.string(&key, PATH, "InstallationType", Need::Optional);
        self.hardening(
            "Policies\\Microsoft\\Windows\\DeviceGuard",
            "MachineIdentityIsolation",
            "DeviceGuard",
        );
        const CRYPTOGRAPHY: &str = "Microsoft\\Cryptography";
        if let Some(key) = self.key(CRYPTOGRAPHY, Need::Optional)
            && let Some(text) = self.string(&key, CRYPTOGRAPHY, "MachineGuid", Need::Optional)
        {
            match text.parse::<kizuna_core::MachineGuid>() {
                Ok(guid) => self.facts.machine_guid = Some(guid),
                Err(e) => self.error(format!("{CRYPTOGRAPHY}\\MachineGuid: {e}")),
            }
        }
    }
}

pub(super) fn shown_name(name: &str) -> &str {
    if name.is_empty() { "(default)" } else { name }
}

pub(super) fn non_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

/// A value as read: its raw data bytes and notatin's typed interpretation.
pub(super) struct Raw {
    bytes: Vec<u8>,
    content: CellValue,
}

impl Raw {
    fn new(value: &CellKeyValue, content: CellValue) -> Self {
        Raw {
            bytes: value.detail.value_bytes().unwrap_or_default(),
            content,
        }
    }

    fn string(&self) -> Result<String, String> {
        let s = match &self.content {
            CellValue::String(s) => s.clone(),
            CellValue::MultiString(v) => v.first().cloned().unwrap_or_default(),
            CellValue::U32(n) => n.to_string(),
            CellValue::I32(n) => n.to_string(),
            CellValue::U64(n) => n.to_string(),
            CellValue::I64(n) => n.to_string(),
            CellValue::None => String::new(),
            CellValue::Binary(b) => utf16_le(b)?,
            CellValue::Error => return Err("unreadable data".into()),
        };
        Ok(s.trim_end_matches('\0').to_string())
    }

    fn number(&self) -> Result<u32, String> {
        match &self.content {
            CellValue::U32(n) => Ok(*n),
            CellValue::I32(n) => Ok(u32::from_le_bytes(n.to_le_bytes())),
            CellValue::U64(n) => u32::try_from(*n).map_err(|_| format!("{n} is out of range")),
            CellValue::I64(n) => u32::try_from(*n).map_err(|_| format!("{n} is out of range")),
            CellValue::String(s) => parse_number(s),
            CellValue::MultiString(v) => parse_number(v.first().map(String::as_str).unwrap_or("")),
            CellValue::Binary(b) if b.len() == 4 => Ok(u32_le(b, 0)),
            CellValue::Binary(b) => Err(format!("{} bytes of binary data, not a number", b.len())),
            CellValue::None => Err("no data".into()),
            CellValue::Error => Err("unreadable data".into()),
        }
    }
}
