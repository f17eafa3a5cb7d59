//! How far a read has come, for a progress display: lock-free counters that the walker,
//! the workers and the EVTX reader advance, and that anyone may read at any time.
//! Counting costs one relaxed atomic add per record; nothing waits on a display.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one `ingest_paths` run.
#[derive(Debug, Default)]
pub struct Progress {
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
    /// Records of finished inputs.
    records_done: AtomicU64,
    /// Records counted so far in inputs still being read (EVTX, record by record).
    records_reading: AtomicU64,
}

/// A reading of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgressSnapshot {
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub records: u64,
}

impl Progress {
    pub fn snapshot(&self) -> ProgressSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ProgressSnapshot {
            files_total: get(&self.files_total),
            files_done: get(&self.files_done),
            bytes_total: get(&self.bytes_total),
            bytes_done: get(&self.bytes_done),
            records: get(&self.records_done) + get(&self.records_reading),
        }
    }

    pub(crate) fn found(&self, files: u64, bytes: u64) {
        self.files_total.fetch_add(files, Ordering::Relaxed);
        self.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn file_done(&self, bytes: u64) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// An input finished with `records` records.
    pub(crate) fn input_done(&self, records: u64) {
        self.records_done.fetch_add(records, Ordering::Relaxed);
    }

    /// A reader that counted `counted` records as it went is done: its report counts
    /// them from now on.
    pub(crate) fn reading_finished(&self, counted: u64) {
        self.records_reading.fetch_sub(counted, Ordering::Relaxed);
    }

    /// One more record of an input still being read.
    pub(crate) fn records(&self, n: u64) {
        self.records_reading.fetch_add(n, Ordering::Relaxed);
    }
}
