//! NDR 2.0, little-endian: the few primitives the LSA stubs need, with alignment counted
//! from the start of the stub (MS-RPCE 2.2.5 and C706 ch. 14).

/// Why a stub could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdrError {
    #[error("stub ends at byte {at}, {wanted} more bytes were expected")]
    Short { at: usize, wanted: usize },
    #[error("stub byte {at}: {what}")]
    Bad { at: usize, what: String },
}

/// Writes a stub.
#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) bytes: Vec<u8>,
}

impl Writer {
    pub(crate) fn align(&mut self, n: usize) {
        while !self.bytes.len().is_multiple_of(n) {
            self.bytes.push(0);
        }
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.align(2);
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.align(4);
        self.bytes.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.bytes.extend_from_slice(b);
    }
}

/// Reads a stub.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn at(&self) -> usize {
        self.at
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], NdrError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let Some(end) = end else {
            return Err(NdrError::Short {
                at: self.bytes.len(),
                wanted: n - (self.bytes.len() - self.at.min(self.bytes.len())),
            });
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    pub(crate) fn align(&mut self, n: usize) -> Result<(), NdrError> {
        let pad = (n - self.at % n) % n;
        self.take(pad).map(|_| ())
    }

    pub(crate) fn u8(&mut self) -> Result<u8, NdrError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, NdrError> {
        self.align(2)?;
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, NdrError> {
        self.align(4)?;
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], NdrError> {
        self.take(n)
    }

    pub(crate) fn bad(&self, what: impl Into<String>) -> NdrError {
        NdrError::Bad {
            at: self.at,
            what: what.into(),
        }
    }
}
