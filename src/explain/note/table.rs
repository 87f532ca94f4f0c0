//! The explainer's per-conversation memory: a dense table per protocol, indexed by
//! stream number (the tracker numbers streams 0, 1, 2, ... per protocol in order of
//! first frame), bounded by forgetting the smallest key first. A frame's lookup is an
//! index, not a hash or a tree walk.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A conversation's key: protocol (TCP 0, UDP 1) and stream number.
pub(super) type Key = (u8, u64);

/// How far past its end a table grows for one key. A stream number further out is not
/// remembered: the tracker never gives one (its numbers are dense), and a table of it
/// would be mostly empty.
const MAX_GROWTH: usize = 1 << 24;

/// At most `CAP` values by conversation key; beyond, the value with the smallest key
/// goes first, as `BTreeMap::pop_first` would.
///
/// The eviction order: `cursor` walks the keys upward, and every live key at or after it
/// is found by that walk; a key put back below the cursor waits in `below`, a min-heap
/// (which may also hold keys removed since: they are skipped).
#[derive(Debug)]
pub(super) struct Table<V, const CAP: usize> {
    /// Per protocol (TCP, UDP), indexed by stream number.
    slots: [Vec<Option<V>>; 2],
    /// Slots holding a value.
    live: usize,
    cursor: Key,
    below: BinaryHeap<Reverse<Key>>,
}

impl<V, const CAP: usize> Default for Table<V, CAP> {
    fn default() -> Self {
        Table {
            slots: [Vec::new(), Vec::new()],
            live: 0,
            cursor: (0, 0),
            below: BinaryHeap::new(),
        }
    }
}

/// The slot position of a key.
fn position(k: Key) -> Option<(usize, usize)> {
    Some((usize::from(k.0), usize::try_from(k.1).ok()?))
}

impl<V: Default, const CAP: usize> Table<V, CAP> {
    /// Values held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.live
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn slot_mut(&mut self, k: Key) -> Option<&mut Option<V>> {
        let (p, i) = position(k)?;
        self.slots.get_mut(p)?.get_mut(i)
    }

    /// The value under `k`.
    pub(super) fn get(&self, k: Key) -> Option<&V> {
        let (p, i) = position(k)?;
        self.slots.get(p)?.get(i)?.as_ref()
    }

    /// The value under `k`, made (default) when absent, the smallest key forgotten first
    /// when the table is full; as `BTreeMap::entry(k).or_default()` after a `pop_first`.
    /// `None` only for a key the table does not keep (see [`MAX_GROWTH`]).
    pub(super) fn get_or_insert_default(&mut self, k: Key) -> Option<&mut V> {
        let (p, i) = position(k)?;
        let present = match self.slots.get(p)? {
            t if i < t.len() => t.get(i).is_some_and(Option::is_some),
            t if i - t.len() < MAX_GROWTH => false,
            _ => return None,
        };
        if !present {
            if self.live >= CAP {
                self.pop_first();
            }
            let table = self.slots.get_mut(p)?;
            if i >= table.len() {
                table.resize_with(i + 1, || None);
            }
            *table.get_mut(i)? = Some(V::default());
            self.live += 1;
            if k < self.cursor {
                self.below.push(Reverse(k));
            }
        }
        self.slot_mut(k)?.as_mut()
    }

    /// Takes the value under `k` out.
    pub(super) fn remove(&mut self, k: Key) -> Option<V> {
        let v = self.slot_mut(k)?.take();
        if v.is_some() {
            self.live -= 1;
            if self.below.len() > 2 * self.live + 1024 {
                self.sweep_below();
            }
        }
        v
    }

    /// Drops the keys of `below` that hold nothing (and repeats), so that it stays
    /// within the live values.
    fn sweep_below(&mut self) {
        let slots = &self.slots;
        let mut keys = std::mem::take(&mut self.below).into_vec();
        keys.retain(|Reverse(k)| {
            position(*k)
                .and_then(|(p, i)| slots.get(p)?.get(i))
                .is_some_and(Option::is_some)
        });
        keys.sort_unstable();
        keys.dedup();
        self.below = BinaryHeap::from(keys);
    }

    /// Forgets the value with the smallest key, as `BTreeMap::pop_first`.
    pub(super) fn pop_first(&mut self) {
        // Every live key in `below` is smaller than every key the walk finds.
        while let Some(Reverse(k)) = self.below.pop() {
            if self.slot_mut(k).and_then(Option::take).is_some() {
                self.live -= 1;
                return;
            }
        }
        if self.live == 0 {
            return;
        }
        loop {
            let (p, i) = self.cursor;
            let Some(table) = self.slots.get_mut(usize::from(p)) else {
                return;
            };
            match usize::try_from(i).ok().and_then(|i| table.get_mut(i)) {
                Some(slot) => {
                    self.cursor.1 += 1;
                    if slot.take().is_some() {
                        self.live -= 1;
                        return;
                    }
                }
                None if p == 0 => self.cursor = (1, 0),
                None => return,
            }
        }
    }
}
