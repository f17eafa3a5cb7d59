//! The sign-in form's anti-forgery token. Before sign-in there is no session to bind a
//! token to, and a double-submit cookie alone accepts any value a client picks: an
//! attacker who can set cookies for the site (a sibling subdomain, plain HTTP) would pick
//! one, submit the form with it and sign a victim's browser in as the attacker. So the
//! server issues the token and signs it (HMAC-SHA-256 with a key made at start): the
//! cookie and the form must carry the same token, and only a token this server issued
//! within the hour passes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How long an issued sign-in form stays good, in seconds (the cookie's lifetime).
pub const LIFETIME_SECS: i64 = 3600;

/// The server's signing key; made from the system's random source at start, so a restart
/// expires forms already shown (the user loads the page again).
pub struct Key([u8; 32]);

impl Key {
    pub fn random() -> Key {
        let mut k = [0u8; 32];
        // Without randomness the key is zeros; issuing fails below instead of signing
        // with a known key.
        let _ = getrandom::fill(&mut k);
        Key(k)
    }

    fn mac(&self, message: &str) -> Hmac<Sha256> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        m.update(message.as_bytes());
        m
    }

    /// A new token issued at `now` (Unix seconds): `NONCE.TIME.SIGNATURE`.
    pub fn issue(&self, now: i64) -> Result<String, getrandom::Error> {
        if self.0 == [0u8; 32] {
            return Err(getrandom::Error::UNSUPPORTED);
        }
        let nonce = crate::auth::random_hex()?;
        let message = format!("{nonce}.{now}");
        let sig = crate::auth::hex(&self.mac(&message).finalize().into_bytes());
        Ok(format!("{message}.{sig}"))
    }

    /// Whether `token` was issued by this server within [`LIFETIME_SECS`] of `now`.
    pub fn verify(&self, token: &str, now: i64) -> bool {
        let Some((message, sig)) = token.rsplit_once('.') else {
            return false;
        };
        let Some(issued) = message
            .split_once('.')
            .and_then(|(_, t)| t.parse::<i64>().ok())
        else {
            return false;
        };
        let Some(sig) = unhex(sig) else {
            return false;
        };
        (0..=LIFETIME_SECS).contains(&(now - issued))
            && self.mac(message).verify_slice(&sig).is_ok()
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_this_server_issued_lately_pass() {
        let key = Key::random();
        let t = key.issue(1_000_000).unwrap();
        assert!(key.verify(&t, 1_000_000));
        assert!(key.verify(&t, 1_000_000 + LIFETIME_SECS));
        assert!(!key.verify(&t, 1_000_000 + LIFETIME_SECS + 1), "expired");
        assert!(!key.verify(&t, 999_999), "from the future");
        assert!(!Key::random().verify(&t, 1_000_000), "another server's key");
        // A value a client picks, or an issued one changed anywhere.
        assert!(!key.verify(&"b".repeat(64), 1_000_000));
        let (nonce, rest) = t.split_once('.').unwrap();
        let other_nonce = format!(
            "{}{}",
            &nonce[..63],
            if nonce.ends_with('0') { '1' } else { '0' }
        );
        assert!(!key.verify(&format!("{other_nonce}.{rest}"), 1_000_000));
        let later = t.replace(".1000000.", ".1000100.");
        assert!(!key.verify(&later, 1_000_100), "its time moved");
        assert!(!key.verify("", 0));
        assert!(!key.verify("a.b.c", 0));
    }
}
