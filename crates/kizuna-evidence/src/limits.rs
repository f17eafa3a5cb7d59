//! How far kizuna unpacks an input. Evidence comes from machines that may be compromised
//! and, through `kizuna serve`, from anyone holding an ingest token: a zip bomb, an archive
//! of a million members or a member named `../../PC01/SYSTEM` must cost a bounded amount
//! of time and disk and end as a clear error on that input alone.
//!
//! Nothing is ever extracted to a path: members are unpacked into anonymous temporary
//! files, so no member name can write outside them. Names still label facts (the folder a
//! member sits in names its device), so names that would leave the archive are refused.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The limits applied to each input given (a file, or a file found in a folder) and to
/// everything unpacked from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes that all archives within one input may unpack to, nested ones included
    /// (unless `ReadOptions::shared_unpack` gives all inputs of a read one allowance).
    pub max_unpacked: u64,
    /// Largest unpacked / packed ratio of one member, checked once the member has
    /// unpacked [`Limits::ratio_floor`] bytes (deflate alone cannot pass ~1,032).
    pub max_ratio: u64,
    pub ratio_floor: u64,
    /// Members listed in one archive.
    pub max_entries: usize,
    /// Archives inside archives (a .zip in a .gz in a .zip …).
    pub max_nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unpacked: 32 << 30,
            max_ratio: 1_100,
            ratio_floor: 64 << 20,
            max_entries: 100_000,
            max_nesting: 4,
        }
    }
}

/// Why an archive member's name is refused, if it is.
pub(crate) fn unsafe_member_name(name: &str) -> Option<&'static str> {
    let n = name.replace('\\', "/");
    if n.contains('\0') {
        return Some("a NUL in its name");
    }
    if n.starts_with('/') {
        return Some("an absolute path");
    }
    let b = n.as_bytes();
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        return Some("a drive letter");
    }
    if n.split('/').any(|c| c == "..") {
        return Some("a path that leaves the archive (..)");
    }
    None
}

/// Bytes that archives may still unpack to. Cheap to clone; clones draw on the same bytes,
/// from any thread.
///
/// [`UnpackAllowance::new`] makes one allowance for a whole read (`kizuna serve`'s upload
/// of several files): give it as `ReadOptions::shared_unpack` and every input of the read,
/// nested archives included, draws on it instead of on [`Limits::max_unpacked`] of its own.
/// Give each read a new one: what one read drew is gone for the next.
#[derive(Debug, Clone)]
pub struct UnpackAllowance {
    left: Arc<AtomicU64>,
    /// The bytes it started with (named when it runs out).
    total: u64,
    /// For a whole read, not one input.
    shared: bool,
}

impl UnpackAllowance {
    /// An allowance of `bytes` for every input of one read (an upload).
    pub fn new(bytes: u64) -> Self {
        UnpackAllowance {
            left: Arc::new(AtomicU64::new(bytes)),
            total: bytes,
            shared: true,
        }
    }

    /// The allowance of one input of its own ([`Limits::max_unpacked`]).
    pub(crate) fn per_input(bytes: u64) -> Self {
        UnpackAllowance {
            shared: false,
            ..UnpackAllowance::new(bytes)
        }
    }

    /// Bytes that may still be unpacked.
    pub fn remaining(&self) -> u64 {
        self.left.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes, or nothing when fewer are left.
    fn draw(&self, n: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    fn exhausted(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "unpacks to more than the limit of {} bytes {}; not read",
                self.total,
                if self.shared {
                    "for this upload"
                } else {
                    "for one input"
                }
            ),
        )
    }
}

/// Counts what a member unpacks and stops it at the remaining allowance or at the
/// member's ratio limit.
pub(crate) struct Unpacking<'a, R> {
    inner: R,
    /// What the input (or the whole read) may still unpack; shared by nested archives.
    left: &'a UnpackAllowance,
    /// Packed size of this member (for the ratio).
    packed: u64,
    limits: Limits,
    /// Unpacked so far.
    pub unpacked: u64,
}

impl<'a, R: Read> Unpacking<'a, R> {
    /// A member of `packed` bytes, unpacked from `inner`, drawing on `left`.
    pub fn new(inner: R, left: &'a UnpackAllowance, packed: u64, limits: Limits) -> Self {
        Unpacking {
            inner,
            left,
            packed,
            limits,
            unpacked: 0,
        }
    }
}

impl<R: Read> Read for Unpacking<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let n64 = n as u64;
        if !self.left.draw(n64) {
            return Err(self.left.exhausted());
        }
        self.unpacked += n64;
        let l = &self.limits;
        if self.unpacked > l.ratio_floor && self.unpacked > self.packed.saturating_mul(l.max_ratio)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "unpacks to more than {} times its packed size of {} bytes (a compression bomb?); not read",
                    l.max_ratio, self.packed
                ),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names() {
        for bad in [
            "/etc/passwd",
            "\\\\srv\\x",
            "C:\\x",
            "c:x",
            "a/../../b",
            "..",
            "a\\..\\b",
            "a\0b",
        ] {
            assert!(unsafe_member_name(bad).is_some(), "{bad:?}");
        }
        for ok in [
            "PC01/Security.evtx",
            "a..b/c",
            "...",
            "PC01\\netlogon.log",
            "日本/x",
        ] {
            assert_eq!(unsafe_member_name(ok), None, "{ok:?}");
        }
    }

    /// Zeros, 64 bytes a read, as a decompressor hands them out.
    struct Trickle(u64);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(64).min(self.0 as usize);
            buf[..n].fill(0);
            self.0 -= n as u64;
            Ok(n)
        }
    }

    #[test]
    fn unpacking_stops_at_the_allowance_and_the_ratio() {
        let limits = Limits {
            max_unpacked: 1000,
            ratio_floor: 100,
            max_ratio: 10,
            ..Limits::default()
        };
        let left = UnpackAllowance::per_input(1000);
        let mut u = Unpacking::new(Trickle(5000), &left, 50, limits);
        let e = io::copy(&mut u, &mut io::sink()).unwrap_err();
        assert!(e.to_string().contains("more than 10 times"), "{e}");
        let first = u.unpacked;
        assert!(
            (500..=600).contains(&first),
            "stopped near 500 bytes: {first}"
        );
        let mut u = Unpacking::new(Trickle(5000), &left, 5000, limits);
        let e = io::copy(&mut u, &mut io::sink()).unwrap_err();
        assert!(e.to_string().contains("limit of 1000 bytes"), "{e}");
        assert!(first + u.unpacked <= 1000, "{first} + {}", u.unpacked);
        assert_eq!(left.remaining(), 1000 - first - u.unpacked);
    }

    #[test]
    fn the_limit_that_ran_out_is_named() {
        let limits = Limits::default();
        let one = UnpackAllowance::per_input(100);
        let e = io::copy(
            &mut Unpacking::new(Trickle(500), &one, 500, limits),
            &mut io::sink(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unpacks to more than the limit of 100 bytes for one input; not read"
        );
        let upload = UnpackAllowance::new(100);
        let e = io::copy(
            &mut Unpacking::new(Trickle(500), &upload.clone(), 500, limits),
            &mut io::sink(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unpacks to more than the limit of 100 bytes for this upload; not read"
        );
        // The clone drew on the same bytes.
        assert!(upload.remaining() < 64, "{}", upload.remaining());
    }

    #[test]
    fn clones_draw_on_one_allowance_from_any_thread() {
        let a = UnpackAllowance::new(10_000);
        let unpacked: u64 = std::thread::scope(|s| {
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    let a = a.clone();
                    s.spawn(move || {
                        let mut u = Unpacking::new(Trickle(5000), &a, 5000, Limits::default());
                        let _ = io::copy(&mut u, &mut io::sink());
                        u.unpacked
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).sum()
        });
        // 20,000 bytes asked for: every byte handed out was drawn once, and what is left
        // is less than one more read.
        assert_eq!(unpacked + a.remaining(), 10_000);
        assert!(a.remaining() < 64, "{}", a.remaining());
    }
}
