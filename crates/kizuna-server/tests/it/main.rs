//! The team server over real HTTP: one test binary, a module per area.

mod api;
mod common;
mod ingest;
mod web;
