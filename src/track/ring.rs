//! A double-ended queue that keeps its first few elements in place: the unacknowledged
//! segments of a TCP side, which are nearly always few, without a separate allocation
//! (one cache miss fewer per segment, and no allocation per conversation).

use std::collections::VecDeque;

/// The operations of a `VecDeque` the tracker uses. Up to `N` elements live in a ring
/// in the value itself; beyond, all of them move to a `VecDeque` until it empties.
#[derive(Debug, Clone)]
pub struct SmallDeque<T, const N: usize> {
    inline: [T; N],
    /// Position in `inline` of the front element.
    head: usize,
    /// Elements in `inline` (0 while they are in `spill`).
    len: usize,
    spill: VecDeque<T>,
}

impl<T: Copy + Default, const N: usize> Default for SmallDeque<T, N> {
    fn default() -> Self {
        SmallDeque {
            inline: [T::default(); N],
            head: 0,
            len: 0,
            spill: VecDeque::new(),
        }
    }
}

impl<T: Copy + Default, const N: usize> SmallDeque<T, N> {
    /// Position in `inline` of the `i`-th element from the front.
    fn at(&self, i: usize) -> usize {
        (self.head + i) % N
    }

    /// True while the elements are in `spill`.
    fn spilled(&self) -> bool {
        !self.spill.is_empty()
    }

    pub fn len(&self) -> usize {
        if self.spilled() {
            self.spill.len()
        } else {
            self.len
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn front(&self) -> Option<&T> {
        if self.spilled() {
            self.spill.front()
        } else if self.len > 0 {
            self.inline.get(self.head)
        } else {
            None
        }
    }

    pub fn back(&self) -> Option<&T> {
        if self.spilled() {
            self.spill.back()
        } else if self.len > 0 {
            self.inline.get(self.at(self.len - 1))
        } else {
            None
        }
    }

    pub fn back_mut(&mut self) -> Option<&mut T> {
        if self.spilled() {
            self.spill.back_mut()
        } else if self.len > 0 {
            let i = self.at(self.len - 1);
            self.inline.get_mut(i)
        } else {
            None
        }
    }

    pub fn push_front(&mut self, value: T) {
        if self.spilled() {
            self.spill.push_front(value);
        } else if self.len < N {
            self.head = (self.head + N - 1) % N;
            if let Some(slot) = self.inline.get_mut(self.head) {
                *slot = value;
            }
            self.len += 1;
        } else {
            // Full: everything moves out, in order.
            let mut spill = std::mem::take(&mut self.spill);
            spill.reserve(2 * N);
            spill.push_back(value);
            spill.extend(self.iter().copied());
            self.spill = spill;
            self.len = 0;
        }
    }

    pub fn pop_back(&mut self) -> Option<T> {
        if self.spilled() {
            self.spill.pop_back()
        } else if self.len > 0 {
            self.len -= 1;
            self.inline.get(self.at(self.len)).copied()
        } else {
            None
        }
    }

    /// Keeps the elements for which `keep` says true, visited front to back, in order.
    pub fn retain_mut(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        if self.spilled() {
            self.spill.retain_mut(keep);
            return;
        }
        let mut kept = 0;
        for i in 0..self.len {
            let from = self.at(i);
            let Some(mut value) = self.inline.get(from).copied() else {
                continue;
            };
            if keep(&mut value) {
                let to = self.at(kept);
                if let Some(slot) = self.inline.get_mut(to) {
                    *slot = value;
                }
                kept += 1;
            }
        }
        self.len = kept;
    }

    /// The elements, front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        let inline_len = if self.spilled() { 0 } else { self.len };
        let (a, b) = self.spill.as_slices();
        (0..inline_len)
            .filter_map(move |i| self.inline.get(self.at(i)))
            .chain(a.iter())
            .chain(b.iter())
    }

    /// Gives back the heap room of an empty queue that once held more than `keep` elements.
    pub fn release(&mut self, keep: usize) {
        if self.spill.is_empty() && self.spill.capacity() > keep {
            self.spill = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random operations against `VecDeque`: every result and the contents agree.
    #[test]
    fn behaves_as_vecdeque() {
        let mut next = crate::track::xorshift(0x2545_f491_4f6c_dd1du64);
        for round in 0..300 {
            let mut ours: SmallDeque<u32, 4> = SmallDeque::default();
            let mut model: VecDeque<u32> = VecDeque::new();
            for step in 0..200u32 {
                match next() % 7 {
                    0..=2 => {
                        ours.push_front(step);
                        model.push_front(step);
                    }
                    3 => assert_eq!(
                        ours.pop_back(),
                        model.pop_back(),
                        "round {round} step {step}"
                    ),
                    4 => {
                        let m = (next() % 5) as u32;
                        ours.retain_mut(|v| {
                            *v += 1;
                            *v % 5 != m
                        });
                        model.retain_mut(|v| {
                            *v += 1;
                            *v % 5 != m
                        });
                    }
                    5 => {
                        if let (Some(a), Some(b)) = (ours.back_mut(), model.back_mut()) {
                            *a += 7;
                            *b += 7;
                        }
                    }
                    _ => {
                        ours.release(8);
                    }
                }
                assert_eq!(ours.len(), model.len());
                assert_eq!(ours.is_empty(), model.is_empty());
                assert_eq!(ours.front(), model.front());
                assert_eq!(ours.back(), model.back());
                assert!(ours.iter().eq(model.iter()), "round {round} step {step}");
                assert!(ours.iter().rev().eq(model.iter().rev()));
            }
        }
    }

    #[test]
    fn a_short_queue_stays_in_place() {
        let mut q: SmallDeque<u64, 4> = SmallDeque::default();
        for v in 0..4 {
            q.push_front(v);
        }
        assert!(!q.spilled());
        assert_eq!(q.spill.capacity(), 0);
        q.push_front(4);
        assert!(q.spilled());
        while q.pop_back().is_some() {}
        q.release(0);
        assert_eq!(q.spill.capacity(), 0);
        q.push_front(9);
        assert!(!q.spilled());
        assert_eq!(q.back(), Some(&9));
    }
}
