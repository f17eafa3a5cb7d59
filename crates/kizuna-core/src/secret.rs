//! Secrets (a bind password, an API token) held so that they cannot be printed by mistake.

use std::fmt;

/// A secret: `Debug` shows `Secret(***)`, there is no `Display`, and the only way to the
/// text is [`Secret::expose`], which says what it does at every use.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: String) -> Secret {
        Secret(secret)
    }

    /// The secret itself, for the one place that must send it (a bind, a response that
    /// shows a new token once).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
