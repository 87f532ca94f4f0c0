//! The index from a conversation's key to its place in the tracker's list: an
//! open-addressing table of 8-byte slots (a hash and a position), the key itself
//! compared on the conversation, which the frame touches anyway.
//!
//! Looking a conversation up is mostly waiting for memory. A general hash map keeps
//! each key next to its value in a bucket of its own, apart from its control bytes:
//! two cache lines that are not the conversation's. Here the only other line is the
//! slot's, eight slots to a line, in a table a quarter of the size.

/// One slot: the low 32 bits of a key's hash, and the position of its conversation
/// plus one (0: an empty slot).
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    hash: u32,
    at: u32,
}

/// Positions of conversations by the hash of their key.
///
/// Entries are never removed: an entry only ever points at a newer conversation of the
/// same key (a port reused). The table grows to keep at most half of its slots used.
#[derive(Debug, Default)]
pub struct Index {
    slots: Vec<Slot>,
    len: usize,
}

/// The 32 bits of a 64-bit hash the table uses: its high half (a product's best-mixed bits).
pub fn short_hash(hash: u64) -> u32 {
    (hash >> 32) as u32
}

impl Index {
    /// Brings the slot where a look-up of `hash` starts into the cache.
    #[inline]
    pub fn prefetch(&self, hash: u32) {
        if let Some(mask) = self.slots.len().checked_sub(1) {
            crate::cache::prefetch(self.slots.as_ptr().wrapping_add(hash as usize & mask));
        }
    }

    /// The position in the first slot that holds `hash` (most likely the conversation a
    /// look-up of it finds: for [`Index::prefetch`]'s next step).
    #[inline]
    pub fn likely(&self, hash: u32) -> Option<usize> {
        self.find(hash, |_| true)
    }

    /// The position of the conversation whose key hashes to `hash` and for which `is`
    /// says true (given a position the table holds for that hash).
    pub fn find(&self, hash: u32, mut is: impl FnMut(usize) -> bool) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut pos = hash as usize & mask;
        // Never endless: at least half of the slots are empty.
        loop {
            let slot = self.slots.get(pos)?;
            if slot.at == 0 {
                return None;
            }
            let at = slot.at as usize - 1;
            if slot.hash == hash && is(at) {
                return Some(at);
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Points the key that hashes to `hash` at position `at`: replaces the entry for
    /// which `is` says true, or adds one. A position beyond `u32::MAX - 1` (never,
    /// short of billions of conversations) is not indexed.
    pub fn set(&mut self, hash: u32, at: usize, mut is: impl FnMut(usize) -> bool) {
        let Some(stored) = u32::try_from(at).ok().and_then(|a| a.checked_add(1)) else {
            return;
        };
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut pos = hash as usize & mask;
        loop {
            let Some(slot) = self.slots.get_mut(pos) else {
                return;
            };
            if slot.at == 0 {
                *slot = Slot { hash, at: stored };
                self.len += 1;
                return;
            }
            if slot.hash == hash && is(slot.at as usize - 1) {
                slot.at = stored;
                return;
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Doubles the table (from 1,024 slots) and puts every entry back.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|s| s.at != 0) {
            let mut pos = slot.hash as usize & mask;
            while let Some(s) = self.slots.get_mut(pos) {
                if s.at == 0 {
                    *s = slot;
                    break;
                }
                pos = (pos + 1) & mask;
            }
        }
    }

    /// Entries held (keys seen).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are plain numbers here, conversations a list of keys.
    fn find(index: &Index, keys: &[u64], key: u64, hash: u32) -> Option<usize> {
        index.find(hash, |at| keys.get(at) == Some(&key))
    }

    #[test]
    fn finds_what_was_set_across_growth_and_colliding_hashes() {
        let mut index = Index::default();
        let mut keys = Vec::new();
        // Every fourth key shares its hash with the one before: probing must go on past it.
        let hash = |k: u64| (k / 2) as u32 * 7919;
        for k in 0..10_000u64 {
            keys.push(k);
            index.set(hash(k), keys.len() - 1, |at| keys.get(at) == Some(&k));
        }
        assert_eq!(index.len(), 10_000);
        assert!(index.slots.len() >= 20_000);
        for k in 0..10_000u64 {
            assert_eq!(find(&index, &keys, k, hash(k)), Some(k as usize));
        }
        assert_eq!(find(&index, &keys, 10_001, hash(10_001)), None);
    }

    #[test]
    fn a_key_set_again_points_at_its_newest_position() {
        let mut index = Index::default();
        let keys = [5u64, 6, 5];
        index.set(1, 0, |at| keys[at] == 5);
        index.set(2, 1, |at| keys[at] == 6);
        index.set(1, 2, |at| keys[at] == 5);
        assert_eq!(index.len(), 2);
        assert_eq!(find(&index, &keys, 5, 1), Some(2));
        assert_eq!(find(&index, &keys, 6, 2), Some(1));
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = Index::default();
        assert_eq!(index.find(0, |_| true), None);
    }

    #[test]
    fn short_hash_takes_the_high_half() {
        assert_eq!(short_hash(0xdead_beef_0000_0001), 0xdead_beef);
    }
}
