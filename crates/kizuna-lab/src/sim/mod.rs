//! The domain simulator: a seeded, time-stepped lab domain whose evidence kizuna scans and
//! whose `truth.json` says what the scan must report.
//!
//! [`model`] holds the population, [`scenario`] builds it for `small`, `contoso` and
//! `scale`, [`run`] runs it day by day, [`truth`] derives the expected findings and
//! [`output`] writes the evidence.

pub mod files;
pub mod model;
pub mod output;
pub mod run;
pub mod scenario;
pub mod truth;

use std::path::Path;

pub use output::Written;
pub use scenario::Scenario;
pub use truth::Expected;

/// What [`generate`] made.
#[derive(Debug, Clone)]
pub struct Generated {
    pub domain: model::Domain,
    pub expected: Vec<Expected>,
    pub written: Written,
}

/// Builds, runs and writes a scenario into `out` (created if needed).
pub fn generate(
    scenario: Scenario,
    seed: u64,
    devices: Option<u32>,
    days: Option<u32>,
    out: &Path,
) -> std::io::Result<Generated> {
    let domain = scenario.build(seed, devices, days);
    let run = run::run(&domain);
    let expected = truth::expected(&domain, &run);
    let written = output::write_all(&domain, &run, &expected, out)?;
    Ok(Generated {
        domain,
        expected,
        written,
    })
}
