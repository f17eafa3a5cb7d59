//! The lab's writers against independent readers: one test binary.

mod evtx_readers;
mod hive_readers;
mod support;
