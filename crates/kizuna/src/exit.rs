//! Exit codes, in one place: 0 ran with nothing at or above `--fail-on`; 1 findings at or
//! above it; 2 a usage error or nothing readable.

/// Ran; nothing at or above `--fail-on`.
pub const OK: i32 = 0;
/// Findings at or above `--fail-on` (or a gate that did not pass).
pub const FINDINGS: i32 = 1;
/// A usage error, or nothing readable.
pub const USAGE: i32 = 2;

/// An error and its causes on one line, each cause once: many library errors already name
/// their cause in their own message ("cannot listen on X: Address in use"), and printing
/// the chain again would repeat it.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::error_text;

    /// An error that names its cause in its message and also returns it as its source.
    #[derive(Debug)]
    struct Listen(std::io::Error);

    impl std::fmt::Display for Listen {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot listen on 127.0.0.1:1: {}", self.0)
        }
    }

    impl std::error::Error for Listen {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn each_cause_is_named_once() {
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use");
        let e = anyhow::Error::new(Listen(io)).context("serve");
        assert_eq!(
            error_text(&e),
            "serve: cannot listen on 127.0.0.1:1: Address already in use"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_text(&plain), "outer: inner");
    }
}
