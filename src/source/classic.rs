//! The fast path for plain classic pcap files: records parsed straight out of large
//! reads, one `read(2)` per megabyte instead of libpcap's two `fread`s per record.
//!
//! It only takes files whose every detail it can reproduce exactly as libpcap reports
//! it (see [`Records::plain`]), and only records libpcap would hand over unchanged; at
//! the first record that is anything else (cut short, longer than the snapshot length,
//! a damaged header), it stops with [`Next::Unusual`] and the caller lets libpcap read
//! from that record on, so its messages and its fix-ups stay the reference.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Bytes read from the file at a time, at most.
const READ_SIZE: usize = 64 * 1024;
/// Room of the block [`Records::next_record`] reads into.
const OWN_BLOCK: usize = 1 << 20;
/// Reads go to addresses that are multiples of this (a cache line).
const READ_ALIGN: usize = 64;
/// Length of a classic pcap record header.
const RECORD_HEADER: usize = 16;
/// Length of the file header.
const FILE_HEADER: usize = 24;
/// libpcap's largest sane captured length for the link types taken here.
const MAX_SNAPLEN: u32 = 262_144;

/// One record; its bytes stay in the reader's buffer until the next call (see [`Records::data`]).
#[derive(Debug, Clone, Copy)]
pub struct Record {
    /// Seconds, as libpcap reports them (the file's signed 32-bit field).
    pub secs: i64,
    /// Nanoseconds as libpcap reports them at nanosecond precision (micro-
    /// seconds times 1000 for a microsecond file), saturated into `u32`.
    pub nanos: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// Where the captured bytes are in the buffer.
    at: usize,
    /// The captured length.
    pub caplen: usize,
}

/// What [`Records::next_in`] found.
#[derive(Debug)]
pub enum Next {
    Record(Record),
    /// The end of the file, exactly after a record.
    End,
    /// A record this reader does not take: libpcap must read on from it.
    Unusual,
    /// The record goes past the end of the block's buffer: give the block more room
    /// (or move its unread bytes to a new block) and ask again.
    Short,
}

/// File bytes in a buffer: `buf[start..end]` are read but not parsed yet. The buffer's
/// length is its room (its bytes beyond `end` are just space to read into).
#[derive(Debug, Default)]
pub struct Block {
    pub buf: Vec<u8>,
    pub start: usize,
    pub end: usize,
}

impl Record {
    /// Where the captured bytes start in the block.
    pub fn at(&self) -> usize {
        self.at
    }
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

    /// Where `len` bytes must start for the byte after them to sit on a cache-line
    /// boundary in memory. The kernel copies a read into an aligned buffer markedly faster
    /// (measured: the system time of a 1.26 GB read more than halves); a `Vec`'s own
    /// start is only 16-byte aligned.
    fn aligned_after(&self, len: usize) -> usize {
        let end = (self.buf.as_ptr() as usize).wrapping_add(len);
        (READ_ALIGN - end % READ_ALIGN) % READ_ALIGN
    }

    /// The captured bytes of a record [`Records::next_in`] found in this block.
    #[inline]
    pub fn data(&self, record: &Record) -> &[u8] {
        self.buf
            .get(record.at..record.at + record.caplen)
            .unwrap_or_default()
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
}

/// A classic pcap file read in large blocks.
pub struct Records {
    file: File,
    /// The file has no more bytes.
    eof: bool,
    /// Multi-byte fields are big-endian.
    big_endian: bool,
    /// 1000 for a microsecond file, 1 for a nanosecond file.
    scale: i64,
    /// libpcap's snapshot length for the file (records longer are cut by libpcap).
    snapshot: u32,
    /// The block of [`Records::next_record`].
    own: Block,
}

impl Records {
    /// Opens `path` when it is a classic pcap file this reader reproduces exactly:
    /// the standard micro- or nanosecond magic, version 2.4, no FCS bits in the link
    /// type, and a link type that libpcap passes through unchanged (`dlt`, what
    /// libpcap reported, equals the file's value) and whose frames it never rewrites.
    /// `None` for any other file (libpcap then reads all of it).
    pub fn plain(path: &Path, dlt: u32) -> io::Result<Option<Records>> {
        let mut file = File::open(path)?;
        let mut header = [0u8; FILE_HEADER];
        if file.read_exact(&mut header).is_err() {
            return Ok(None);
        }
        let Some(plain) = PlainHeader::parse(&header, dlt) else {
            return Ok(None);
        };
        Ok(Some(Records {
            file,
            eof: false,
            big_endian: plain.big_endian,
            scale: plain.scale,
            snapshot: plain.snapshot,
            own: Block::default(),
        }))
    }

    /// The next record, in the reader's own block (see [`Records::data`]).
    pub fn next_record(&mut self) -> io::Result<Next> {
        if self.own.buf.is_empty() {
            self.own = Block::with_room(OWN_BLOCK);
        }
        let mut own = std::mem::take(&mut self.own);
        let found = loop {
            match self.next_in(&mut own) {
                Ok(Next::Short) => {
                    // Move the unread bytes to the front, with room for the whole record.
                    let need = self.record_len(&own).max(OWN_BLOCK) + READ_ALIGN;
                    if own.buf.len() < need {
                        own.buf.resize(need, 0);
                    }
                    let (start, end) = (own.start, own.end);
                    let at = own.aligned_after(end - start);
                    own.buf.copy_within(start..end, at);
                    own.start = at;
                    own.end = at + (end - start);
                }
                other => break other,
            }
        };
        self.own = own;
        found
    }

    /// The captured bytes of `record`, the last one [`Records::next_record`] returned.
    pub fn data(&self, record: &Record) -> &[u8] {
        self.own.data(record)
    }

    /// Length of the record (header and data) at the start of the block's unread bytes,
    /// as far as it is known (the header alone while its length field is unread).
    pub fn record_len(&self, block: &Block) -> usize {
        match self.header_at(block) {
            Some((_, _, caplen, _)) => RECORD_HEADER + caplen as usize,
            None => RECORD_HEADER,
        }
    }

    /// The four fields of the record header at `block.start`, if all 16 bytes are there.
    fn header_at(&self, block: &Block) -> Option<(u32, u32, u32, u32)> {
        let h = block
            .buf
            .get(block.start..block.start.checked_add(RECORD_HEADER)?)?;
        let field = |i: usize| -> Option<u32> {
            let b: [u8; 4] = h.get(i..i + 4)?.try_into().ok()?;
            Some(if self.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
        };
        if block.end - block.start < RECORD_HEADER {
            return None;
        }
        Some((field(0)?, field(4)?, field(8)?, field(12)?))
    }

    /// The next record in `block`, reading more of the file into the block's free room
    /// when the record is not all there yet; [`Next::Short`] when the room runs out.
    pub fn next_in(&mut self, block: &mut Block) -> io::Result<Next> {
        loop {
            let available = block.end - block.start;
            let complete = match self.header_at(block) {
                Some((secs, frac, caplen, orig_len)) => {
                    if caplen > self.snapshot {
                        return Ok(Next::Unusual);
                    }
                    let need = RECORD_HEADER + caplen as usize;
                    (available >= need).then(|| {
                        let at = block.start + RECORD_HEADER;
                        block.start += need;
                        // As libpcap: both time fields are signed 32-bit; microseconds are scaled up.
                        let secs = i64::from(secs as i32);
                        let nanos =
                            u32::try_from(i64::from(frac as i32) * self.scale).unwrap_or(u32::MAX);
                        Record {
                            secs,
                            nanos,
                            orig_len,
                            at,
                            caplen: caplen as usize,
                        }
                    })
                }
                None => None,
            };
            if let Some(record) = complete {
                return Ok(Next::Record(record));
            }
            if self.eof {
                return Ok(if available == 0 {
                    Next::End
                } else {
                    Next::Unusual
                });
            }
            if block.end >= block.buf.len() {
                return Ok(Next::Short);
            }
            // At most READ_SIZE at a time: a batch sent early carries only what is left of one read.
            let room_end = block.buf.len().min(block.end + READ_SIZE);
            let room = block.buf.get_mut(block.end..room_end).unwrap_or_default();
            match self.file.read(room) {
                Ok(0) => self.eof = true,
                Ok(n) => block.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// What the fast path needs of a file header it takes.
struct PlainHeader {
    big_endian: bool,
    scale: i64,
    snapshot: u32,
}

impl PlainHeader {
    /// Link types whose frames libpcap hands over as stored, in either byte order:
    /// NULL, Ethernet, IPv4, IPv6 (raw IP 101 is not here: libpcap reports it as 12).
    const ANY_ORDER: [u32; 4] = [0, 1, 228, 229];
    /// Link types libpcap rewrites in a file of the other byte order (Linux SLL and
    /// SLL2, for CAN frames): taken in native order only.
    const NATIVE_ONLY: [u32; 2] = [113, 276];

    fn parse(h: &[u8; FILE_HEADER], dlt: u32) -> Option<PlainHeader> {
        let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        // The magic read little-endian tells the order of every other field.
        let (big_endian, scale) = match magic {
            0xA1B2_C3D4 => (false, 1000),
            0xA1B2_3C4D => (false, 1),
            0xD4C3_B2A1 => (true, 1000),
            0x4D3C_B2A1 => (true, 1),
            _ => return None,
        };
        let u16_at = |i: usize| {
            let b = [h[i], h[i + 1]];
            if big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            }
        };
        let u32_at = |i: usize| {
            let b = [h[i], h[i + 1], h[i + 2], h[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (major, minor, snaplen, linktype) = (u16_at(4), u16_at(6), u32_at(16), u32_at(20));
        // A native file is in this machine's byte order (libpcap does not swap it).
        let native = big_endian == cfg!(target_endian = "big");
        let taken = Self::ANY_ORDER.contains(&linktype)
            || (native && Self::NATIVE_ONLY.contains(&linktype));
        if (major, minor) != (2, 4) || linktype != dlt || !taken {
            return None;
        }
        // As libpcap: a zero or oversized snapshot length means the maximum.
        let snapshot = if snaplen == 0 || snaplen > MAX_SNAPLEN {
            MAX_SNAPLEN
        } else {
            snaplen
        };
        Some(PlainHeader {
            big_endian,
            scale,
            snapshot,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn header(magic: u32, linktype: u32, snaplen: u32) -> Vec<u8> {
        let mut h = magic.to_le_bytes().to_vec();
        h.extend(2u16.to_le_bytes());
        h.extend(4u16.to_le_bytes());
        h.extend([0; 8]);
        h.extend(snaplen.to_le_bytes());
        h.extend(linktype.to_le_bytes());
        h
    }

    fn record(secs: u32, frac: u32, data: &[u8], orig: u32) -> Vec<u8> {
        let mut r = Vec::new();
        for v in [secs, frac, data.len() as u32, orig] {
            r.extend(v.to_le_bytes());
        }
        r.extend(data);
        r
    }

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn test_plain_file_records_then_end() {
        let mut bytes = header(0xA1B2_C3D4, 1, 65535);
        bytes.extend(record(7, 250_000, &[1, 2, 3], 60));
        bytes.extend(record(8, 0, &[], 0));
        let f = file_with(&bytes);
        let mut r = Records::plain(f.path(), 1).unwrap().unwrap();
        match r.next_record().unwrap() {
            Next::Record(rec) => {
                assert_eq!(
                    (rec.secs, rec.nanos, rec.orig_len, r.data(&rec)),
                    (7, 250_000_000, 60, &[1u8, 2, 3][..])
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(r.next_record().unwrap(), Next::Record(rec) if rec.secs == 8 && rec.caplen == 0)
        );
        assert!(matches!(r.next_record().unwrap(), Next::End));
    }

    #[test]
    fn test_cut_record_is_unusual() {
        let mut bytes = header(0xA1B2_3C4D, 1, 65535);
        bytes.extend(record(1, 5, &[9; 40], 40));
        bytes.truncate(bytes.len() - 1);
        let f = file_with(&bytes);
        let mut r = Records::plain(f.path(), 1).unwrap().unwrap();
        assert!(matches!(r.next_record().unwrap(), Next::Unusual));
    }

    #[test]
    fn test_record_over_snaplen_is_unusual() {
        let mut bytes = header(0xA1B2_C3D4, 1, 10);
        bytes.extend(record(1, 5, &[9; 11], 11));
        let f = file_with(&bytes);
        let mut r = Records::plain(f.path(), 1).unwrap().unwrap();
        assert!(matches!(r.next_record().unwrap(), Next::Unusual));
    }

    #[test]
    fn test_other_files_are_left_to_libpcap() {
        // Raw IP (libpcap reports DLT 12), FCS bits, another version, a modified-pcap magic.
        for (bytes, dlt) in [
            (header(0xA1B2_C3D4, 101, 65535), 12),
            (header(0xA1B2_C3D4, 1 | 0x1000_0000, 65535), 1),
            (header(0xA1B2_CD34, 1, 65535), 1),
        ] {
            let f = file_with(&bytes);
            assert!(Records::plain(f.path(), dlt).unwrap().is_none());
        }
        let mut old = header(0xA1B2_C3D4, 1, 65535);
        old[6] = 3;
        let f = file_with(&old);
        assert!(Records::plain(f.path(), 1).unwrap().is_none());
    }
}
