//! The `kizuna` command line: argument parsing and the scan pipeline that ties the
//! library crates together (readers → store → rules → outputs). Everything that decides
//! something lives in the library crates; this crate only wires them.

pub mod ad;
pub mod bench;
pub mod bench_evtx;
pub mod bench_serve;
pub mod cli;
pub mod console;
pub mod exports;
pub mod gpo;
pub mod lab;
pub mod password;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod report;
pub mod scripts;
pub mod serve;
pub mod window;
