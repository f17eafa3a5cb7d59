//! The generated scripts: snapshots and their behaviour, in one test binary.

mod generated;
mod snapshots;
