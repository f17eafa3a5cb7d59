//! The domain simulator: a seeded, time-stepped lab domain whose evidence kizuna scans and
//! whose `truth.json` says what the scan must report.
//!
//! [`model`] holds the population, [`scenario`] builds it for `small`, `contoso` and
//! `scale`, [`run`] runs it day by day, [`truth`] derives the expected findings ([`directory`] those of the directory) and
//! [`output`] writes the evidence.

pub mod directory;
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

/// What [`Spec::generate`] made.
#[derive(Debug, Clone)]
pub struct Generated {
    pub domain: model::Domain,
    /// What a scan of the evidence reports.
    pub expected: Vec<Expected>,
    /// What `kizuna ad audit` reports once a DC holds `directory/<domain>.ldif`.
    pub directory: Vec<Expected>,
    pub written: Written,
}

/// Which lab to make.
#[derive(Debug, Clone)]
pub struct Spec {
    pub scenario: Scenario,
    pub seed: u64,
    /// Devices (DCs included); the scenario's default when `None`.
    pub devices: Option<u32>,
    /// Days simulated; the scenario's default when `None`.
    pub days: Option<u32>,
    /// DNS name of the domain instead of the scenario's (e.g. a test DC's `lab.test`, so
    /// the LDIF can be loaded into it); the NetBIOS name is its first label, upper case.
    pub domain: Option<String>,
}

impl Spec {
    pub fn new(scenario: Scenario, seed: u64) -> Spec {
        Spec {
            scenario,
            seed,
            devices: None,
            days: None,
            domain: None,
        }
    }

    /// Builds, runs and writes the lab into `out` (created if needed).
    pub fn generate(&self, out: &Path) -> std::io::Result<Generated> {
        let mut domain = self.scenario.build(self.seed, self.devices, self.days);
        if let Some(dns) = &self.domain {
            let dns = dns.trim_matches('.').to_ascii_lowercase();
            let first = dns.split('.').next().unwrap_or(&dns);
            domain.netbios = first.to_ascii_uppercase().chars().take(15).collect();
            domain.dns_name = dns;
        }
        let run = run::run(&domain);
        let expected = truth::expected(&domain, &run);
        let directory = directory::expected(&domain, &run);
        let written = output::write_all(&domain, &run, &expected, &directory, out)?;
        Ok(Generated {
            domain,
            expected,
            directory,
            written,
        })
    }
}

/// [`Spec::generate`] for a scenario's own domain.
pub fn generate(
    scenario: Scenario,
    seed: u64,
    devices: Option<u32>,
    days: Option<u32>,
    out: &Path,
) -> std::io::Result<Generated> {
    Spec {
        devices,
        days,
        ..Spec::new(scenario, seed)
    }
    .generate(out)
}
