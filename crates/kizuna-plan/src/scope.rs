//! Which devices a phase covers: every device, or device-name patterns.
//!
//! Patterns are compared with a device's short name, case-insensitively, the way kizuna
//! compares names everywhere (`PC01`, `pc01.corp.example`, `PC01$` are one device):
//! `*` matches any run of characters, `?` one character. `all` (or `*`) is every device.

use serde::{Deserialize, Serialize};

use crate::PlanError;

/// A phase's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope {
    /// Upper-case patterns, in the order given; `["*"]` = every device.
    patterns: Vec<String>,
}

impl Scope {
    /// Every device.
    pub fn all() -> Scope {
        Scope {
            patterns: vec!["*".into()],
        }
    }

    /// `all`, `*`, or comma-separated patterns (`PC-P*,SV-TEST01`).
    /// A stage as `NAME=PATTERNS`: its name and its scope.
    pub fn stage(text: &str) -> Result<(String, Scope), PlanError> {
        let Some((name, patterns)) = text.split_once('=') else {
            return Err(PlanError::BadStage(text.to_string()));
        };
        Ok((name.trim().to_string(), Scope::parse(patterns)?))
    }

    pub fn parse(text: &str) -> Result<Scope, PlanError> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("all") || t == "*" {
            return Ok(Scope::all());
        }
        let mut patterns = Vec::new();
        for raw in t.split(',') {
            let p = raw.trim();
            // A fully qualified name or pattern: its first label is the short name.
            let p = p.split('.').next().unwrap_or(p).trim_end_matches('$');
            if p.is_empty()
                || p.chars().any(|c| {
                    c.is_whitespace() || c.is_control() || matches!(c, '\\' | '/' | '=' | '"')
                })
            {
                return Err(PlanError::BadPattern(raw.trim().to_string()));
            }
            let p = p.to_uppercase();
            if p == "*" {
                return Ok(Scope::all());
            }
            if !patterns.contains(&p) {
                patterns.push(p);
            }
        }
        if patterns.is_empty() {
            return Err(PlanError::BadPattern(text.to_string()));
        }
        Ok(Scope { patterns })
    }

    /// Rebuilds a stored scope (patterns as written by [`Scope::patterns`]).
    pub fn from_stored(patterns: Vec<String>) -> Scope {
        if patterns.is_empty() || patterns.iter().any(|p| p == "*") {
            Scope::all()
        } else {
            Scope { patterns }
        }
    }

    pub fn is_all(&self) -> bool {
        self.patterns.len() == 1 && self.patterns[0] == "*"
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether a device (by its short-name key, as kizuna's findings name it) is in scope.
    pub fn matches(&self, device: &str) -> bool {
        let d = device.to_uppercase();
        self.patterns
            .iter()
            .any(|p| glob(p.as_bytes(), d.as_bytes()))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.patterns.join(","))
    }
}

/// `*` and `?` matching, iterative with one backtrack point (linear in practice).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_short_names_case_insensitively() {
        let s = Scope::parse("pc-p*, SV-TEST01.corp.example ,PC-0000?").unwrap();
        assert_eq!(s.patterns(), ["PC-P*", "SV-TEST01", "PC-0000?"]);
        assert!(s.matches("PC-P01"));
        assert!(s.matches("pc-p"));
        assert!(s.matches("SV-TEST01"));
        assert!(!s.matches("SV-TEST011"));
        assert!(s.matches("PC-00007"));
        assert!(!s.matches("PC-00017"));
        assert!(!s.matches("XPC-P01"));
        assert_eq!(s.to_string(), "PC-P*,SV-TEST01,PC-0000?");
    }

    #[test]
    fn all_and_bad_patterns() {
        assert!(Scope::parse("all").unwrap().is_all());
        assert!(Scope::parse("ALL").unwrap().is_all());
        assert!(Scope::parse("PC-1,*").unwrap().is_all());
        assert!(Scope::all().matches("ANYTHING"));
        assert!(Scope::parse("").is_err());
        assert!(Scope::parse("PC 1").is_err());
        assert!(Scope::parse("PC-1,,PC-2").is_err());
        assert!(Scope::from_stored(vec![]).is_all());
        assert!(glob(b"A*B*C", b"AXXBYYC"));
        assert!(!glob(b"A*B*C", b"AXXBYY"));
        assert!(glob(b"**", b""));
    }
}
