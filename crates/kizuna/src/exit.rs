//! Exit codes, in one place: 0 ran with nothing at or above `--fail-on`; 1 findings at or
//! above it; 2 a usage error or nothing readable.

/// Ran; nothing at or above `--fail-on`.
pub const OK: i32 = 0;
/// Findings at or above `--fail-on` (or a gate that did not pass).
pub const FINDINGS: i32 = 1;
/// A usage error, or nothing readable.
pub const USAGE: i32 = 2;
