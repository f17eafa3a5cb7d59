//! A password for a command, never from its command line: an environment variable, the
//! first line of a file, or a prompt on the terminal (not echoed).

use std::path::Path;

pub fn read(env: Option<&str>, file: Option<&Path>, prompt: &str) -> anyhow::Result<String> {
    if let Some(name) = env {
        return std::env::var(name).map_err(|_| {
            anyhow::anyhow!("--password-env {name}: the environment variable is not set")
        });
    }
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("--password-file {}: {e}", f.display()))?;
        return Ok(text.lines().next().unwrap_or("").to_string());
    }
    rpassword::prompt_password(prompt).map_err(|e| {
        anyhow::anyhow!(
            "cannot prompt for the password ({e}): use --password-env or --password-file"
        )
    })
}
