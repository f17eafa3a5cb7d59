//! kizuna's command line end to end: one test binary (a module per area), so the
//! workspace links it once. `common` holds the helpers every module shares.

mod common;
mod console;
mod corpus;
mod crash;
mod demo;
mod directory;
mod expiry;
mod fleet;
mod gpo;
mod hives;
mod hostile;
mod inputs;
mod lab;
mod lab_directory;
mod order;
mod plan;
mod postgres;
mod report;
mod report_browser;
mod review;
mod scripts;
mod serve;
mod sid;
mod windows;
