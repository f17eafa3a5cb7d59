//! The generated scripts: snapshots and their behaviour, in one test binary.

mod collect;
mod generated;
mod snapshots;
