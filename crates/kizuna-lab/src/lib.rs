//! Lab data with known answers: writers for the evidence formats kizuna reads, and lab
//! domains (scenarios) whose ground truth says which findings a correct scan must give.
//!
//! No public log holds NETLOGON 5722 or 3210, so the lab writes them the way Windows
//! does (positional `<Data>`, NTSTATUS little-endian in `<Binary>`, `Qualifiers`).

pub mod bundle;
pub mod evtx;
pub mod exports;
pub mod fleet;
pub mod hive;
pub mod sim;
pub mod writers;

/// A tiny deterministic PRNG (xorshift64*), so a seed always gives the same lab.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

impl Rng {
    /// An independent stream for `label` (a device index, a log, a day): the same seed
    /// gives the same stream whatever order the streams are used in.
    pub fn stream(seed: u64, label: u64) -> Rng {
        let mut r = Rng::new(seed ^ label.wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next_u64();
        r
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A number in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo))
    }
}
