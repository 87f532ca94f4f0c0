//! TCP sequence numbers: a newtype over `u32` whose arithmetic wraps and whose
//! comparisons are modulo 2^32 (RFC 9293 §3.4). Owns no state and does no I/O.

use std::cmp::Ordering;
use std::ops::{Add, Sub};

/// A TCP sequence (or acknowledgement) number.
///
/// Adding a length wraps around 2^32; `a < b` means `b` lies less than 2^31
/// ahead of `a` (the same rule as Wireshark's `LT_SEQ`/`GT_SEQ` macros).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The raw 32-bit value.
    pub fn raw(self) -> u32 {
        self.0
    }

    /// Signed distance from `other` to `self` (positive when `self` is ahead).
    pub fn distance(self, other: SeqNumber) -> i32 {
        // Reinterpreting the wrapped difference as signed is the definition of
        // modular comparison; the bit pattern is kept on purpose.
        i32::from_ne_bytes(self.0.wrapping_sub(other.0).to_ne_bytes())
    }

    /// True if `self` is strictly after `other` (mod 2^32).
    pub fn gt(self, other: SeqNumber) -> bool {
        self.distance(other) > 0
    }

    /// True if `self` is strictly before `other` (mod 2^32).
    pub fn lt(self, other: SeqNumber) -> bool {
        self.distance(other) < 0
    }

    /// True if `self` is at or after `other` (mod 2^32).
    pub fn ge(self, other: SeqNumber) -> bool {
        self.distance(other) >= 0
    }

    /// True if `self` is at or before `other` (mod 2^32).
    pub fn le(self, other: SeqNumber) -> bool {
        self.distance(other) <= 0
    }

    /// Comparison modulo 2^32.
    pub fn cmp_mod(self, other: SeqNumber) -> Ordering {
        self.distance(other).cmp(&0)
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, len: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(len))
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, len: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(len))
    }
}

impl Sub<SeqNumber> for SeqNumber {
    /// The forward distance from `rhs` to `self`, wrapping (a relative number).
    type Output = u32;
    fn sub(self, rhs: SeqNumber) -> u32 {
        self.0.wrapping_sub(rhs.0)
    }
}

impl std::fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_seq_wraps_on_add() {
        assert_eq!(SeqNumber(u32::MAX) + 2, SeqNumber(1));
        assert_eq!(SeqNumber(1) - 2, SeqNumber(u32::MAX));
    }

    #[test]
    fn test_seq_compares_across_wrap() {
        let before = SeqNumber(u32::MAX - 5);
        let after = SeqNumber(10);
        assert!(after.gt(before));
        assert!(before.lt(after));
        assert!(after.ge(after));
        assert!(before.le(after));
        assert_eq!(after - before, 16);
        assert_eq!(after.cmp_mod(before), Ordering::Greater);
    }
}
