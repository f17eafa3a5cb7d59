//! Samba's `ndrdump`: Samba's own NDR parser, run over the stubs kizuna encodes and the
//! replies it expects, so the layout is checked by an implementation that is not ours.
//! It comes from Debian's `samba-testsuite`, installed with apt-get when absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use crate::process::run;

const PACKAGES: &[&str] = &["samba-testsuite"];

/// `ndrdump`, found or installed (as root). Tests of one binary share the first answer.
pub fn find_or_install() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| crate::find_or_install("ndrdump", PACKAGES))
        .clone()
}

/// `ndrdump [-c CONTEXT] PIPE FUNCTION in|out FILE`: what Samba read from `file`, or why it
/// could not.
pub fn dump(
    pipe: &str,
    function: &str,
    direction: &str,
    file: &Path,
    context: Option<&Path>,
) -> Result<String, String> {
    let exe = find_or_install()?;
    let mut cmd = Command::new(exe);
    if let Some(c) = context {
        cmd.arg("-c").arg(c);
    }
    cmd.args([pipe, function, direction]).arg(file);
    let r = run(&mut cmd, None, Duration::from_secs(30))?;
    let text = format!("{}{}", r.stdout, r.stderr);
    if r.ok && text.contains("dump OK") {
        Ok(text)
    } else {
        Err(text)
    }
}
