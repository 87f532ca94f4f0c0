//! A block of file bytes that records are parsed out of, in place: large reads into a
//! buffer its owner keeps (the reader's own for [`super::FileSource::next_frame`], a
//! batch's when frames go to another thread without a copy).

/// Reads go to addresses that are multiples of this (a cache line).
pub(crate) const READ_ALIGN: usize = 64;

/// File bytes in a buffer: `buf[start..end]` are read but not parsed yet. The buffer's
/// length is its room (its bytes beyond `end` are just space to read into).
#[derive(Debug, Default)]
pub struct Block {
    /// The bytes, and room to read more into.
    pub buf: Vec<u8>,
    /// The first byte not parsed yet.
    pub start: usize,
    /// The end of the bytes read.
    pub end: usize,
}

impl Block {
    /// An empty block with `room` bytes to read into.
    pub fn with_room(room: usize) -> Self {
        let mut block = Block {
            buf: vec![0; room + READ_ALIGN],
            start: 0,
            end: 0,
        };
        block.empty();
        block
    }

    /// Empties the block, its next read going to a cache-line boundary.
    pub fn empty(&mut self) {
        let at = self.aligned_after(0);
        self.start = at;
        self.end = at;
    }

    /// Bytes read and not parsed yet.
    pub fn unread(&self) -> usize {
        self.end - self.start
    }

    /// Where `len` bytes must start for the byte after them to sit on a cache-line
    /// boundary in memory. The kernel copies a read into an aligned buffer markedly faster
    /// (measured: the system time of a 1.26 GB read more than halves); a `Vec`'s own
    /// start is only 16-byte aligned.
    fn aligned_after(&self, len: usize) -> usize {
        let end = (self.buf.as_ptr() as usize).wrapping_add(len);
        (READ_ALIGN - end % READ_ALIGN) % READ_ALIGN
    }

    /// `len` bytes at `at` (empty when out of range: never, for a range a reader gave).
    #[inline]
    pub fn bytes(&self, at: usize, len: usize) -> &[u8] {
        self.buf.get(at..at.saturating_add(len)).unwrap_or_default()
    }

    /// The first `len` unread bytes, or all of them when fewer are there.
    #[inline]
    pub fn unread_bytes(&self, len: usize) -> &[u8] {
        let end = self.end.min(self.start.saturating_add(len));
        self.buf.get(self.start..end).unwrap_or_default()
    }

    /// Moves the unread bytes to the front of `into` (emptied first), with room for at
    /// least `need` bytes: how a record cut by the end of a block moves to the next one.
    pub fn carry_to(&self, into: &mut Block, need: usize) {
        let unread = self.buf.get(self.start..self.end).unwrap_or_default();
        let room = need.max(unread.len()) + READ_ALIGN;
        if into.buf.len() < room {
            into.buf.resize(room, 0);
        }
        // The unread bytes end where the next read starts: on a cache-line boundary.
        let at = into.aligned_after(unread.len());
        into.start = at;
        into.end = at + unread.len();
        if let Some(front) = into.buf.get_mut(at..at + unread.len()) {
            front.copy_from_slice(unread);
        }
    }

    /// Moves the unread bytes to the front of this block, growing it to hold `need`
    /// bytes at least (the reader's own block, when a record does not fit).
    pub fn compact(&mut self, need: usize) {
        let len = self.unread();
        let room = need.max(len) + READ_ALIGN;
        if self.buf.len() < room {
            self.buf.resize(room, 0);
        }
        let at = self.aligned_after(len);
        self.buf.copy_within(self.start..self.end, at);
        self.start = at;
        self.end = at + len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_carry_and_compact_keep_the_unread_bytes() {
        let mut a = Block::with_room(16);
        let s = a.start;
        a.buf[s..s + 10].copy_from_slice(b"0123456789");
        a.end = s + 10;
        a.start = s + 4;
        let mut b = Block::with_room(4);
        a.carry_to(&mut b, 100);
        assert_eq!(b.bytes(b.start, b.unread()), b"456789");
        assert!(b.buf.len() >= 100);
        assert_eq!((b.buf.as_ptr() as usize + b.end) % READ_ALIGN, 0);
        a.compact(200);
        assert_eq!(a.bytes(a.start, a.unread()), b"456789");
        assert!(a.buf.len() >= 200);
    }
}
