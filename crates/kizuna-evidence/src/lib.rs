//! Evidence readers: turn files into facts (and directory exports into directory
//! snapshots).
//!
//! Readers know formats, not rules. Each input is recognized by its content (magic bytes
//! or document shape, never the file name), fingerprinted by content, read as a stream,
//! and yields normalized [`Fact`]s plus an [`InputReport`] that says what was read and
//! what was damaged. One bad file never stops the others and never panics the run.
//!
//! Folders are walked recursively; `.gz`, `.xz` and `.zip` are opened transparently
//! (decompressed to a temporary file, so memory stays bounded). A member whose first
//! bytes are no evidence is reported as such and not decompressed further.

mod csv_rows;
mod directory_export;
mod event_csv;
mod event_json;
mod event_messages;
mod event_xml;
mod evtx;
pub mod hive;
mod input;
mod inventory;
mod limits;
mod local_time;
mod netlogon;
mod progress;
mod psgetsid;
mod sniff;
mod source;
pub mod text;
mod wineventlog;

pub use directory_export::{read_directory_csv, read_gpttmpl, read_ldif};
pub use event_csv::read_event_csv;
pub use event_json::read_event_json;
pub use event_messages::read_message_export;
pub use event_xml::{parse_event_xml, read_event_xml};
pub use evtx::{EvtxOptions, EvtxPath, EvtxStats, read_evtx};
pub use input::YearSource;
pub use inventory::{
    COLLECTOR_FIELDS, is_inventory_field, read_inventory_csv, read_inventory_json,
};
pub use limits::{Limits, UnpackAllowance};
pub use netlogon::{NetlogonContext, parse_netlogon_line, read_netlogon};
pub use progress::{Progress, ProgressSnapshot};
pub use psgetsid::read_psgetsid;
pub use sniff::sniff;
pub use source::{Files, Fingerprint, ReadOptions, ingest_files, ingest_paths};
pub use text::{Replaced, text_reader};
pub use wineventlog::read_wineventlog;
