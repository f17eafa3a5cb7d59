//! One module per command: each turns its arguments into settings, calls the use case in
//! `kizuna-pipeline` (or a library crate) and presents the outcome.

pub mod ad;
pub mod demo;
pub mod devices;
pub mod events;
pub mod gpo;
pub mod lab;
pub mod plan;
pub mod review;
pub mod scan;
pub mod scripts;
pub mod serve;
pub mod sid;
