//! API tokens: how they are made, stored, checked and scoped.
//!
//! A token is 32 random bytes shown once as `kz_` and 64 hex digits. The store keeps only
//! its SHA-256: the secret has 256 bits of entropy, so a fast hash is enough, and a stolen
//! database holds nothing that opens the API. Scopes are ordered by what they allow, and
//! [`Scope::allows`] is the one place that decides.

use kizuna_core::Timestamp;
use kizuna_store::{AuditRow, Store, TokenRow};
use sha2::{Digest, Sha256};

/// What a token may do.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Post evidence, nothing else: what collectors on endpoints get.
    Ingest,
    /// Read findings, devices, events and the plan.
    Read,
    /// Everything, token management included.
    Admin,
}

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Ingest,
    Read,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "ingest" => Some(Scope::Ingest),
            "read" => Some(Scope::Read),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// An ingest token cannot read (a collector's token copied off an endpoint shows
    /// nothing); a read token cannot post evidence or manage tokens.
    pub fn allows(self, need: Need) -> bool {
        match need {
            Need::Ingest => matches!(self, Scope::Ingest | Scope::Admin),
            Need::Read => matches!(self, Scope::Read | Scope::Admin),
            Need::Admin => self == Scope::Admin,
        }
    }
}

/// A token's secret, shown once when made.
pub use kizuna_core::Secret;

/// The shortest secret accepted from `KIZUNA_ADMIN_TOKEN`.
pub const MIN_SECRET_LEN: usize = 32;

/// Hex SHA-256 of a secret: what the store keeps and looks tokens up by.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// 32 bytes from the operating system's random source, as hex.
pub(crate) fn random_hex() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Store(#[from] kizuna_store::StoreError),
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
    #[error("a token needs a name")]
    NoName,
    /// Names tell tokens apart in the list and in the audit log.
    #[error("a token's name is at most {MAX_NAME_LEN} characters ({0} given)")]
    NameTooLong(usize),
    #[error("a live token is already named {0:?}: revoke it or choose another name")]
    NameTaken(String),
    #[error("{0:?} is the name of the token the server makes from its environment")]
    NameReserved(String),
    #[error(
        "KIZUNA_ADMIN_TOKEN is too short ({0} characters): use at least {MIN_SECRET_LEN} random characters"
    )]
    TooShort(usize),
}

/// The longest token name (the web form's limit too).
pub const MAX_NAME_LEN: usize = 100;

/// The name of the admin token made from `KIZUNA_ADMIN_TOKEN`.
const ENVIRONMENT_TOKEN: &str = "KIZUNA_ADMIN_TOKEN";

/// Who made or changed something, for the store's `created_by` and the audit log.
pub type Actor = str;

/// Makes a token, stores its hash and records it in the audit log. The secret is
/// returned once and kept nowhere.
pub fn create_token(
    store: &mut Store,
    name: &str,
    scope: Scope,
    by: &Actor,
    remote: Option<String>,
    now: Timestamp,
) -> Result<(TokenRow, Secret), TokenError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(TokenError::NoName);
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_LEN {
        return Err(TokenError::NameTooLong(chars));
    }
    if name.eq_ignore_ascii_case(ENVIRONMENT_TOKEN) {
        return Err(TokenError::NameReserved(name.to_string()));
    }
    if store
        .tokens()?
        .iter()
        .any(|t| t.revoked.is_none() && t.name.eq_ignore_ascii_case(name))
    {
        return Err(TokenError::NameTaken(name.to_string()));
    }
    let secret = Secret::new(format!("kz_{}", random_hex().map_err(TokenError::Random)?));
    let row = store_token(store, name, scope, &hash(secret.expose()), by, remote, now)?;
    Ok((row, secret))
}

fn store_token(
    store: &mut Store,
    name: &str,
    scope: Scope,
    hash: &str,
    by: &Actor,
    remote: Option<String>,
    now: Timestamp,
) -> Result<TokenRow, TokenError> {
    let mut row = TokenRow {
        id: 0,
        name: name.to_string(),
        scope: scope.as_str().to_string(),
        hash: hash.to_string(),
        created: now,
        created_by: by.to_string(),
        last_used: None,
        revoked: None,
    };
    row.id = store.create_token(&row)?;
    store.audit(&AuditRow {
        id: 0,
        time: now,
        actor: by.to_string(),
        action: "token-create".into(),
        detail: serde_json::json!({"id": row.id, "name": row.name, "scope": row.scope}).to_string(),
        remote,
    })?;
    Ok(row)
}

/// What became of `KIZUNA_ADMIN_TOKEN` at start.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// First seen: stored (as a hash) as an admin token.
    Created(i64),
    /// Stored before and usable.
    Known(i64),
    /// Stored before and revoked since: it stays revoked.
    Revoked(i64),
}

/// Makes the secret from `KIZUNA_ADMIN_TOKEN` an admin token, once. A revoked one is not
/// brought back: revoking it is how an administrator retires the variable.
pub fn bootstrap_admin(
    store: &mut Store,
    secret: &str,
    now: Timestamp,
) -> Result<Bootstrap, TokenError> {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET_LEN {
        return Err(TokenError::TooShort(secret.chars().count()));
    }
    let h = hash(secret);
    if let Some(t) = store.token_by_hash(&h)? {
        return Ok(match t.revoked {
            Some(_) => Bootstrap::Revoked(t.id),
            None => Bootstrap::Known(t.id),
        });
    }
    let row = store_token(
        store,
        ENVIRONMENT_TOKEN,
        Scope::Admin,
        &h,
        "environment",
        None,
        now,
    )?;
    Ok(Bootstrap::Created(row.id))
}

/// Revokes a token and records who did it; false when there was no live token `id`.
pub fn revoke_token(
    store: &mut Store,
    id: i64,
    by: &Actor,
    remote: Option<String>,
    now: Timestamp,
) -> Result<bool, TokenError> {
    let done = store.revoke_token(id, now)?;
    if done {
        store.audit(&AuditRow {
            id: 0,
            time: now,
            actor: by.to_string(),
            action: "token-revoke".into(),
            detail: serde_json::json!({"id": id}).to_string(),
            remote,
        })?;
    }
    Ok(done)
}

/// The caller a valid token identifies.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: i64,
    pub name: String,
    pub scope: Scope,
    pub last_used: Option<Timestamp>,
}

impl Caller {
    /// How the audit log names it.
    pub fn actor(&self) -> String {
        format!("token:{}", self.name)
    }
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, not a bearer token, unknown or revoked: 401.
    Unauthenticated,
    /// A valid token without the scope: 403.
    Forbidden,
}

/// Checks an `Authorization` header value against the store.
pub fn authenticate(
    store: &Store,
    header: Option<&str>,
    need: Need,
) -> Result<Result<Caller, Refusal>, kizuna_store::StoreError> {
    let Some(secret) = header.and_then(bearer) else {
        return Ok(Err(Refusal::Unauthenticated));
    };
    let Some(row) = store.token_by_hash(&hash(secret))? else {
        return Ok(Err(Refusal::Unauthenticated));
    };
    let scope = match (row.revoked, Scope::parse(&row.scope)) {
        (None, Some(scope)) => scope,
        _ => return Ok(Err(Refusal::Unauthenticated)),
    };
    if !scope.allows(need) {
        return Ok(Err(Refusal::Forbidden));
    }
    Ok(Ok(Caller {
        token_id: row.id,
        name: row.name,
        scope,
        last_used: row.last_used,
    }))
}

/// The token of `Bearer TOKEN` (the scheme is case-insensitive, RFC 9110).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_allow_only_their_own() {
        use Need::*;
        let table = [
            (Scope::Ingest, [true, false, false]),
            (Scope::Read, [false, true, false]),
            (Scope::Admin, [true, true, true]),
        ];
        for (scope, want) in table {
            let got = [Ingest, Read, Admin].map(|n| scope.allows(n));
            assert_eq!(got, want, "{scope:?}");
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("Admin"), None);
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer("Bearer kz_abc"), Some("kz_abc"));
        assert_eq!(bearer("bearer   kz_abc "), Some("kz_abc"));
        assert_eq!(bearer("Basic a2l6dW5h"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("kz_abc"), None);
    }

    #[test]
    fn secrets_are_random_and_hidden() {
        let a = random_hex().unwrap();
        let b = random_hex().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let s = Secret::new(format!("kz_{a}"));
        assert!(!format!("{s:?}").contains(&a));
        assert_eq!(hash("kz_x").len(), 64);
        assert_ne!(hash("kz_x"), hash("kz_y"));
    }
}
