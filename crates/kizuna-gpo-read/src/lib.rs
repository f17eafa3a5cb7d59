//! Readers for the files a GPO is made of, as found in a SYSVOL copy or a GPMC backup:
//!
//! - [`gpttmpl`]: `GptTmpl.inf`, the Security extension's settings (`[Registry Values]`);
//! - [`preg`]: `Registry.pol`, the Registry (Administrative Templates) extension's records;
//! - [`gpmc`]: a GPMC backup's `bkupInfo.xml` and `Backup.xml`.
//!
//! These files come from domains kizuna is asked to diagnose, possibly compromised ones:
//! every reader takes bytes, never panics, allocates no more than the input's size
//! suggests, and says where (byte offset) anything it could not read was. Writing the same
//! formats is `kizuna-gpo-kit`'s concern.

pub mod gpmc;
pub mod gpttmpl;
pub mod preg;
mod text;

/// A file (or the rest of one) that could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Byte offset in the file.
    pub offset: u64,
    pub what: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "offset {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for ReadError {}
