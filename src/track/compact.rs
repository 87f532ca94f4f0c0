//! Small stored forms of the numbers every conversation keeps for its whole life: a
//! timestamp in 12 bytes (4-byte aligned, no padding) and a 40-bit saturating counter in
//! 5 bytes. They exist so that an idle conversation costs little (issue 13, item 14);
//! no words, no I/O.

use crate::source::Timestamp;

/// A [`Timestamp`] stored in 12 bytes with 4-byte alignment (the `i64` seconds split in two
/// words), exactly as it was read: nothing is normalised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ts {
    secs: [u32; 2],
    nanos: u32,
}

impl From<Timestamp> for Ts {
    fn from(t: Timestamp) -> Self {
        let [a, b, c, d, e, f, g, h] = t.secs.to_le_bytes();
        Ts {
            secs: [
                u32::from_le_bytes([a, b, c, d]),
                u32::from_le_bytes([e, f, g, h]),
            ],
            nanos: t.nanos,
        }
    }
}

impl From<Ts> for Timestamp {
    fn from(t: Ts) -> Self {
        let [lo, hi] = t.secs;
        let [a, b, c, d] = lo.to_le_bytes();
        let [e, f, g, h] = hi.to_le_bytes();
        Timestamp {
            secs: i64::from_le_bytes([a, b, c, d, e, f, g, h]),
            nanos: t.nanos,
        }
    }
}

/// A counter of 40 bits in 5 bytes: exact up to [`U40::MAX`] (about 1.1 × 10^12 frames,
/// or 1 TiB), and saturating there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct U40([u8; 5]);

impl U40 {
    /// The largest value held: 2^40 − 1.
    pub const MAX: u64 = (1 << 40) - 1;

    /// A counter holding `v` (at most [`U40::MAX`]).
    pub fn new(v: u64) -> Self {
        let [a, b, c, d, e, ..] = v.min(Self::MAX).to_le_bytes();
        U40([a, b, c, d, e])
    }

    /// The value.
    pub fn get(self) -> u64 {
        let [a, b, c, d, e] = self.0;
        u64::from_le_bytes([a, b, c, d, e, 0, 0, 0])
    }

    /// Adds `v`, stopping at [`U40::MAX`].
    pub fn add(&mut self, v: u64) {
        *self = U40::new(self.get().saturating_add(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ts_round_trip_keeps_every_value() {
        for secs in [0, 1, -1, i64::MIN, i64::MAX, 1_700_000_000, -1_340_954_905] {
            for nanos in [0, 1, 999_999_999, 2_147_483_649, u32::MAX] {
                let t = Timestamp { secs, nanos };
                assert_eq!(Timestamp::from(Ts::from(t)), t);
            }
        }
        assert_eq!(std::mem::size_of::<Ts>(), 12);
    }

    #[test]
    fn test_u40_counts_then_saturates() {
        let mut c = U40::default();
        c.add(5);
        c.add(u64::from(u32::MAX));
        assert_eq!(c.get(), 5 + u64::from(u32::MAX));
        c.add(U40::MAX);
        assert_eq!(c.get(), U40::MAX);
        assert_eq!(U40::new(u64::MAX).get(), U40::MAX);
        assert_eq!(std::mem::size_of::<U40>(), 5);
    }
}
