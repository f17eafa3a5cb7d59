//! Local accounts of the web interface: argon2id password hashes, three roles, and web
//! sessions kept in the store as hashes of their cookies.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use kizuna_core::Timestamp;
use kizuna_store::{AccountRow, AuditRow, SessionRow, Store};

use crate::auth::{hash, random_hex};

/// What an account may do in the web interface.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Sees everything, changes nothing.
    Viewer,
    /// Also records plan notes and uploads evidence.
    Operator,
    /// Also manages accounts and tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;
/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 8;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Store(#[from] kizuna_store::StoreError),
    #[error("an account name is 1 to 64 letters, digits, '.', '-', '_' or '@'")]
    BadName,
    #[error("the password is too short: use at least {MIN_PASSWORD} characters")]
    ShortPassword,
    #[error("the account {0} exists already")]
    Exists(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
    #[error("the operating system's random source failed: {0}")]
    Random(getrandom::Error),
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

/// The argon2id hash (PHC string) of a password, with a fresh salt.
fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(AccountError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Makes an account and records who did it. The password is hashed here and kept nowhere.
pub fn create_account(
    store: &mut Store,
    name: &str,
    role: Role,
    password: &str,
    by: &str,
    now: Timestamp,
) -> Result<AccountRow, AccountError> {
    if !valid_name(name) {
        return Err(AccountError::BadName);
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(AccountError::ShortPassword);
    }
    if store.account(name)?.is_some() {
        return Err(AccountError::Exists(name.to_string()));
    }
    let mut row = AccountRow {
        id: 0,
        name: name.to_string(),
        role: role.as_str().to_string(),
        password_hash: hash_password(password)?,
        created: now,
        disabled: None,
    };
    row.id = store.create_account(&row)?;
    store.audit(&AuditRow {
        id: 0,
        time: now,
        actor: by.to_string(),
        action: "account-create".into(),
        detail: serde_json::json!({"name": name, "role": role.as_str()}).to_string(),
        remote: None,
    })?;
    Ok(row)
}

/// The account, when `password` is its password and it is enabled. An unknown name costs
/// the same hashing as a known one, so timing does not tell which names exist.
pub fn verify(
    store: &Store,
    name: &str,
    password: &str,
) -> Result<Option<(AccountRow, Role)>, AccountError> {
    Ok(check_password(store.account(name)?, password))
}

/// The account when `password` is its password and it is enabled; the hashing half of
/// [`verify`], which the server runs away from the store (argon2 takes a while). A
/// missing account costs the same hashing as a present one.
pub fn check_password(account: Option<AccountRow>, password: &str) -> Option<(AccountRow, Role)> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = match &account {
        Some(a) => a.password_hash.clone(),
        None => DUMMY
            .get_or_init(|| hash_password("kizuna-no-such-account").unwrap_or_default())
            .clone(),
    };
    let ok = PasswordHash::new(&stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    match account {
        Some(a) if ok && a.disabled.is_none() => Role::parse(&a.role).map(|r| (a, r)),
        _ => None,
    }
}

/// A new session for `account`: the cookie value (shown to the browser once) and the row
/// the store keeps (its hash, and the CSRF token of its forms).
pub fn start_session(
    store: &mut Store,
    account: &str,
    now: Timestamp,
) -> Result<(String, SessionRow), AccountError> {
    let cookie = random_hex().map_err(AccountError::Random)?;
    let row = SessionRow {
        hash: hash(&cookie),
        account: account.to_string(),
        csrf: random_hex().map_err(AccountError::Random)?,
        created: now,
        expires: now + chrono::Duration::hours(SESSION_HOURS),
    };
    store.create_session(&row)?;
    Ok((cookie, row))
}

/// The signed-in account of a session cookie, with its role, while the session lasts and
/// the account is enabled.
pub fn session(
    store: &Store,
    cookie: &str,
    now: Timestamp,
) -> Result<Option<(SessionRow, AccountRow, Role)>, AccountError> {
    let Some(s) = store.session(&hash(cookie), now)? else {
        return Ok(None);
    };
    let Some(a) = store.account(&s.account)? else {
        return Ok(None);
    };
    if a.disabled.is_some() {
        return Ok(None);
    }
    Ok(Role::parse(&a.role).map(|r| (s, a, r)))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("k.db")).unwrap();
        let now = chrono::Utc::now();
        assert!(matches!(
            create_account(&mut store, "alice", Role::Admin, "short", "cli", now),
            Err(AccountError::ShortPassword)
        ));
        assert!(matches!(
            create_account(
                &mut store,
                "a b",
                Role::Admin,
                "long enough password",
                "cli",
                now
            ),
            Err(AccountError::BadName)
        ));
        let a = create_account(
            &mut store,
            "alice",
            Role::Operator,
            "correct horse battery",
            "cli",
            now,
        )
        .unwrap();
        assert!(a.password_hash.starts_with("$argon2id$"));
        assert!(!a.password_hash.contains("correct horse"));
        assert!(matches!(
            create_account(
                &mut store,
                "alice",
                Role::Admin,
                "another password!",
                "cli",
                now
            ),
            Err(AccountError::Exists(_))
        ));
        let (_, role) = verify(&store, "alice", "correct horse battery")
            .unwrap()
            .unwrap();
        assert_eq!(role, Role::Operator);
        assert!(
            verify(&store, "alice", "correct horse batterY")
                .unwrap()
                .is_none()
        );
        assert!(
            verify(&store, "bob", "correct horse battery")
                .unwrap()
                .is_none()
        );

        let (cookie, row) = start_session(&mut store, "alice", now).unwrap();
        assert_ne!(cookie, row.hash, "the store keeps a hash");
        let (s, a, r) = session(&store, &cookie, now).unwrap().unwrap();
        assert_eq!(
            (s.account.as_str(), a.name.as_str(), r),
            ("alice", "alice", Role::Operator)
        );
        assert!(
            session(&store, &cookie, now + chrono::Duration::hours(9))
                .unwrap()
                .is_none()
        );
        assert!(
            session(&store, &row.hash, now).unwrap().is_none(),
            "the hash is no cookie"
        );

        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd") && !same_secret("abc", "abcd"));
    }
}
