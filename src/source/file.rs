//! The one reader of saved captures: classic pcap (either byte order, micro- or
//! nanosecond, the modified 24-byte-record variant) and pcapng (sections in either byte
//! order, any number of interfaces and link types), from a file, a FIFO or standard input.
//!
//! The input is opened once and read as a stream, in large reads, into a [`Block`]: records
//! are parsed in place, in the reader's own block ([`FileSource::next_frame`]) or in blocks
//! the caller owns ([`FileSource::next_in`], so that frames reach another thread without a
//! copy). Frames are numbered from 1; damage is reported with the frame number and the byte
//! offset of the record, after every frame before it.
//!
//! Bounds: no record is allocated for before its length is checked against the bytes left
//! in the file (regular files), and none may exceed [`MAX_CAPLEN`] (classic pcap) or
//! [`MAX_BLOCK`] (pcapng, any input). What libpcap does to a record is done here too: a
//! captured length over the snapshot length is cut to it, one over 262,144 bytes is damage.
//! Interface Statistics Blocks (how a capture ended) are kept, the last of each link type,
//! a few comments each ([`FileSource::statistics`]); a malformed one is skipped.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::block::Block;
use super::{Comments, Frame, InterfaceStatistics, LinkType, Precision, Timestamp};
use crate::error::SourceError;

/// Bytes read from the input at a time, at most.
const READ_SIZE: usize = 256 * 1024;
/// Room of the reader's own block.
const OWN_BLOCK: usize = 1 << 20;
/// Length of a classic pcap file header.
const PCAP_HEADER: usize = 24;
/// The largest captured length of a classic pcap record (libpcap's `MAXIMUM_SNAPLEN`);
/// also the snapshot length of a file that gives none.
pub const MAX_CAPLEN: u32 = 262_144;
/// The largest pcapng block read (on any input, a FIFO or a pipe included): longer is damage.
pub const MAX_BLOCK: u32 = 16 << 20;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const ISB: u32 = 5;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Interface Statistics Blocks kept (the last of each link type), at most.
const MAX_STATISTICS: usize = 16;
/// Comments kept of one Interface Statistics Block, at most.
const MAX_STATISTICS_COMMENTS: usize = 8;

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap (any byte order, micro- or nanosecond).
    Pcap,
    /// pcapng.
    PcapNg,
}

/// What a classic pcap file header says.
#[derive(Debug, Clone, Copy)]
struct PcapHeader {
    big_endian: bool,
    /// Nanoseconds per unit of the fraction field: 1000 (microsecond file) or 1.
    scale: i64,
    /// 16, or 24 in the modified format.
    record_header: usize,
    snapshot: u32,
    linktype: LinkType,
    /// Version 2.2 and older store the two lengths the other way round; 2.3 may.
    lengths: Lengths,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lengths {
    InOrder,
    Swapped,
    MaybeSwapped,
}

/// One interface of the current pcapng section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: LinkType,
    /// The snapshot length (0 in the file: [`MAX_CAPLEN`]).
    snaplen: u32,
    /// Timestamp units per second (`if_tsresol`, default 10^6).
    units_per_sec: u64,
    /// Seconds added to every timestamp (`if_tsoffset`).
    offset_secs: i64,
}

/// The state of the current pcapng section.
#[derive(Debug, Default)]
struct Section {
    big_endian: bool,
    interfaces: Vec<Interface>,
}

#[derive(Debug)]
enum Kind {
    Pcap(PcapHeader),
    PcapNg(Section),
}

/// A frame found in a block: where its bytes are (see [`FrameAt::frame`]).
#[derive(Debug, Clone, Copy)]
pub struct FrameAt {
    number: u64,
    ts: Timestamp,
    linktype: LinkType,
    orig_len: u32,
    at: usize,
    len: usize,
    /// The pcapng options' start and length in the block (comments are read from them).
    options: (usize, usize),
    big_endian: bool,
}

impl FrameAt {
    /// The frame, with its bytes in `block` (the block it was found in).
    pub fn frame<'b>(&self, block: &'b Block) -> Frame<'b> {
        Frame {
            number: self.number,
            ts: self.ts,
            linktype: self.linktype,
            orig_len: self.orig_len,
            data: block.bytes(self.at, self.len),
            comments: Comments::in_options(
                block.bytes(self.options.0, self.options.1),
                self.big_endian,
            ),
        }
    }

    /// Where the frame's bytes start in its block.
    pub fn at(&self) -> usize {
        self.at
    }

    /// Where its pcapng options are in the block (start, length) and their byte order:
    /// what [`Comments::in_options`] reads them from.
    pub fn options(&self) -> (usize, usize, bool) {
        (self.options.0, self.options.1, self.big_endian)
    }
}

/// What [`FileSource::next_in`] found.
#[derive(Debug)]
pub enum BlockNext {
    /// A frame, in the block (see [`FrameAt::frame`]).
    Frame(FrameAt),
    /// The end of the input.
    End,
    /// The next record goes past the block's room: carry the unread bytes to a block
    /// with room for [`FileSource::record_len`] bytes, and ask again.
    Short,
}

/// A saved capture, read frame by frame.
pub struct FileSource {
    /// The path as given, or `standard input`.
    name: PathBuf,
    input: File,
    kind: Kind,
    /// The input's length when it is a regular file (refreshed when it looks wrong).
    size: Option<u64>,
    /// Device and inode of the input (what an output must not be).
    identity: (u64, u64),
    /// The input has no more bytes.
    eof: bool,
    /// Byte offset of the first unparsed byte (`block.start`).
    offset: u64,
    /// Bytes the record at `offset` needs, as far as known.
    need: usize,
    /// Frames handed out so far.
    count: u64,
    /// The block of [`FileSource::next_frame`]; before the first frame, it holds the bytes
    /// read by [`FileSource::open`].
    own: Block,
    /// Set once reading stopped on damage; later calls return the end.
    done: bool,
    /// The first interface's link type and time precision.
    first: Option<(LinkType, Precision)>,
    /// The first section's comments (pcapng).
    section_comments: Vec<String>,
    /// The Interface Statistics Blocks read so far: the last of each link type, at most
    /// [`MAX_STATISTICS`].
    statistics: Vec<InterfaceStatistics>,
}

impl std::fmt::Debug for FileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("offset", &self.offset)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

/// How damage is described before the path and frame number are added.
struct Damage {
    offset: u64,
    reason: String,
}

impl FileSource {
    /// Opens a capture file (`-`: standard input), once, and reads its header: the first
    /// bytes of a FIFO or a pipe are not lost to a second opening.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let (name, input) = if path == Path::new("-") {
            let name = PathBuf::from("standard input");
            let fd = io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| unreadable(&name, &e))?;
            (name, File::from(fd))
        } else {
            let input = File::open(path).map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => SourceError::NotFound {
                    path: path.to_path_buf(),
                },
                _ => unreadable(path, &e),
            })?;
            (path.to_path_buf(), input)
        };
        if path == Path::new("-") && std::io::IsTerminal::is_terminal(&input) {
            return Err(SourceError::Terminal);
        }
        Self::read_from(name, input)
    }

    /// Reads a capture from `input`, opened already (a file, a FIFO, a pipe), named `name`
    /// in messages.
    pub fn read_from(name: PathBuf, input: File) -> Result<Self, SourceError> {
        let meta = input.metadata().map_err(|e| unreadable(&name, &e))?;
        if meta.is_dir() {
            return Err(SourceError::IsDirectory { path: name });
        }
        let mut source = FileSource {
            name,
            input,
            kind: Kind::PcapNg(Section::default()),
            size: meta.is_file().then_some(meta.len()),
            identity: (meta.dev(), meta.ino()),
            eof: false,
            offset: 0,
            need: 4,
            count: 0,
            own: Block::with_room(OWN_BLOCK),
            done: false,
            first: None,
            section_comments: Vec::new(),
            statistics: Vec::new(),
        };
        source.read_header()?;
        Ok(source)
    }

    /// The path being read (`standard input` for `-`).
    pub fn path(&self) -> &Path {
        &self.name
    }

    /// Device and inode of the input: an output file with the same two is the input.
    pub fn identity(&self) -> (u64, u64) {
        self.identity
    }

    /// The file's container format.
    pub fn format(&self) -> Format {
        match self.kind {
            Kind::Pcap(_) => Format::Pcap,
            Kind::PcapNg(_) => Format::PcapNg,
        }
    }

    /// The link type of the first interface, when one is described before the first frame
    /// (always, in a classic pcap file).
    pub fn linktype(&self) -> Option<LinkType> {
        self.first.map(|(l, _)| l)
    }

    /// The comments of the file's first section (pcapng; none in classic pcap), read
    /// with the header.
    pub fn section_comments(&self) -> &[String] {
        &self.section_comments
    }

    /// The Interface Statistics Blocks read so far (pcapng; the last of each link type):
    /// read to the end, those a capture program wrote as it stopped (dumpcap, `wirelab
    /// lab -w`). Blocks that are malformed or name an interface never described are
    /// skipped, not damage: they hold no frame.
    pub fn statistics(&self) -> &[InterfaceStatistics] {
        &self.statistics
    }

    /// How finely the first interface's times are stored (nanoseconds when unknown).
    pub fn precision(&self) -> Precision {
        self.first.map(|(_, p)| p).unwrap_or_default()
    }

    /// Reads and checks the file header (classic pcap) or the first section header and the
    /// blocks after it up to the first packet (pcapng).
    fn read_header(&mut self) -> Result<(), SourceError> {
        let mut own = std::mem::take(&mut self.own);
        let result = self.header_in(&mut own);
        self.own = own;
        result
    }

    /// True when the block holds `n` unread bytes, read from the input as needed.
    fn has(&mut self, block: &mut Block, n: usize) -> Result<bool, SourceError> {
        match self.fill_to(block, n) {
            Ok(got) => Ok(got >= n),
            Err(e) => Err(unreadable(&self.name, &e)),
        }
    }

    fn header_in(&mut self, block: &mut Block) -> Result<(), SourceError> {
        let refused = |name: &Path, reason: String| SourceError::NotACapture {
            path: name.to_path_buf(),
            reason,
        };
        let got = self
            .fill_to(block, 4)
            .map_err(|e| unreadable(&self.name, &e))?;
        match got {
            0 => return Err(refused(&self.name, "the file is empty".into())),
            1..=3 => return Err(refused(&self.name, format!("only {got} bytes long"))),
            _ => {}
        }
        let head = block.unread_bytes(4);
        let magic = u32_le(head, 0).unwrap_or(0);
        if magic == SHB {
            self.kind = Kind::PcapNg(Section::default());
            // The first section header is checked here, so that a file of another version
            // is refused rather than damaged at frame 1.
            if !self.has(block, 12)? {
                return Err(refused(
                    &self.name,
                    "cut short in its section header".into(),
                ));
            }
            let order = u32_le(block.unread_bytes(12), 8).unwrap_or(0);
            if order != BYTE_ORDER_MAGIC && order.swap_bytes() != BYTE_ORDER_MAGIC {
                return Err(refused(
                    &self.name,
                    format!("pcapng section header with byte-order magic 0x{order:08x}"),
                ));
            }
            if self.has(block, 16)? {
                let big = order != BYTE_ORDER_MAGIC;
                if let Some(reason) = unknown_version(block.unread_bytes(16), big) {
                    return Err(refused(&self.name, reason));
                }
            }
            // The blocks before the first packet: interfaces (for the link type a filter is
            // compiled for and an empty -w file is written with). Damage here is left to be
            // found again, and reported, by the first read of a frame.
            self.read_interfaces(block)
                .map_err(|e| unreadable(&self.name, &e))?;
            return Ok(());
        }
        let header = match magic {
            0xA1B2_C3D4 | 0xD4C3_B2A1 | 0xA1B2_3C4D | 0x4D3C_B2A1 | 0xA1B2_CD34 | 0x34CD_B2A1 => {
                if !self.has(block, PCAP_HEADER)? {
                    return Err(refused(
                        &self.name,
                        format!("cut short in its {PCAP_HEADER}-byte file header"),
                    ));
                }
                pcap_header(block.unread_bytes(PCAP_HEADER))
                    .map_err(|reason| refused(&self.name, reason))?
            }
            _ => {
                return Err(refused(
                    &self.name,
                    format!("unknown magic number 0x{:08x}", magic.swap_bytes()),
                ));
            }
        };
        block.start += PCAP_HEADER;
        self.offset = PCAP_HEADER as u64;
        self.need = header.record_header;
        let precision = if header.scale == 1 {
            Precision::Nano
        } else {
            Precision::Micro
        };
        self.first = Some((header.linktype, precision));
        self.kind = Kind::Pcap(header);
        Ok(())
    }
}

/// What [`FileSource::parse_at`] found at the start of a block's unread bytes.
enum Parsed {
    /// A frame (its record consumed).
    Frame(FrameAt),
    /// A block that is not a frame, consumed.
    Other,
    /// The record is not all there: it needs [`FileSource::need`] bytes.
    Incomplete,
}

impl FileSource {
    /// The next frame, `Ok(None)` at the end of the input, or the damage that stops reading.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        let mut own = std::mem::take(&mut self.own);
        let found = loop {
            match self.read_in(&mut own) {
                Ok(BlockNext::Short) => own.compact(self.need.max(OWN_BLOCK)),
                other => break other,
            }
        };
        self.own = own;
        match found? {
            BlockNext::Frame(at) => Ok(Some(at.frame(&self.own))),
            BlockNext::End | BlockNext::Short => Ok(None),
        }
    }

    /// The next frame, in `block` (read into it as needed). Frames are read either with
    /// [`FileSource::next_frame`] or with this, not both; the bytes [`FileSource::open`]
    /// read go to the first block given, which must be empty.
    pub fn next_in(&mut self, block: &mut Block) -> Result<BlockNext, SourceError> {
        if self.own.unread() > 0 {
            let need = block.buf.len().max(self.own.unread());
            self.own.carry_to(block, need);
            self.own = Block::default();
        }
        self.read_in(block)
    }

    /// Bytes the next record needs in a block (its header alone while unread).
    pub fn record_len(&self, _block: &Block) -> usize {
        self.need
    }

    fn read_in(&mut self, block: &mut Block) -> Result<BlockNext, SourceError> {
        if self.done {
            return Ok(BlockNext::End);
        }
        loop {
            match self.parse_at(block) {
                Ok(Parsed::Frame(at)) => return Ok(BlockNext::Frame(at)),
                Ok(Parsed::Other) => continue,
                Ok(Parsed::Incomplete) => {}
                Err(d) => return Err(self.damaged(d)),
            }
            if self.eof {
                if let Some(d) = self.shrunk() {
                    return Err(self.damaged(d));
                }
                let unread = block.unread();
                if unread == 0 {
                    return Ok(BlockNext::End);
                }
                let d = Damage {
                    offset: self.offset,
                    reason: format!(
                        "the file is cut short: the record needs {} bytes, {unread} remain",
                        self.need
                    ),
                };
                return Err(self.damaged(d));
            }
            if block.end >= block.buf.len() {
                return Ok(BlockNext::Short);
            }
            if let Err(e) = self.read_into(block) {
                let d = Damage {
                    offset: self.offset,
                    reason: format!("cannot read on ({e})"),
                };
                return Err(self.damaged(d));
            }
        }
    }

    /// One read into the block's free room (at most [`READ_SIZE`]); sets `eof` at the end.
    fn read_into(&mut self, block: &mut Block) -> io::Result<()> {
        let end = block.buf.len().min(block.end + READ_SIZE);
        let room = block.buf.get_mut(block.end..end).unwrap_or_default();
        loop {
            match self.input.read(room) {
                Ok(0) => self.eof = true,
                Ok(n) => block.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            return Ok(());
        }
    }

    /// Reads until the block holds `n` unread bytes or the input ends; the unread count.
    fn fill_to(&mut self, block: &mut Block, n: usize) -> io::Result<usize> {
        while block.unread() < n && !self.eof {
            if block.start + n > block.buf.len().saturating_sub(super::block::READ_ALIGN) {
                block.compact(n);
            }
            self.read_into(block)?;
        }
        Ok(block.unread())
    }

    /// pcapng: reads the blocks before the first packet block (interface descriptions),
    /// as far as they are sound and fit the reader's block.
    fn read_interfaces(&mut self, block: &mut Block) -> io::Result<()> {
        while self.first.is_none() {
            if self.fill_to(block, 8)? < 8 {
                return Ok(());
            }
            let Kind::PcapNg(section) = &self.kind else {
                return Ok(());
            };
            let head = block.unread_bytes(8);
            if matches!(u32_at(head, 0, section.big_endian), Some(EPB | PB | SPB)) {
                return Ok(());
            }
            match self.parse_at(block) {
                Ok(Parsed::Other) => {}
                Ok(Parsed::Incomplete) => {
                    if self.need > OWN_BLOCK || self.fill_to(block, self.need)? < self.need {
                        return Ok(());
                    }
                }
                Ok(Parsed::Frame(_)) | Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    /// The damage `d`, with the path and the number of the frame it stops.
    fn damaged(&mut self, d: Damage) -> SourceError {
        self.done = true;
        SourceError::Damaged {
            path: self.name.clone(),
            frame: self.count + 1,
            offset: d.offset,
            reason: d.reason,
        }
    }

    /// When the input is a regular file that got shorter than it was (truncated or
    /// rewritten while it was read), the damage to report.
    fn shrunk(&mut self) -> Option<Damage> {
        let was = self.size?;
        let now = self.input.metadata().ok()?.len();
        self.size = Some(now);
        (now < was).then(|| Damage {
            offset: self.offset,
            reason: format!(
                "the file shrank from {was} to {now} bytes while it was read (another program \
                 truncated or rewrote it); read it again once it is complete"
            ),
        })
    }

    /// Checks that a record of `len` bytes at the current offset fits in what is left of a
    /// regular file, before any room is made for it.
    fn check_left(&mut self, len: usize, what: &str) -> Result<(), Damage> {
        let Some(size) = self.size else {
            return Ok(());
        };
        let len = len as u64;
        if len <= size.saturating_sub(self.offset) {
            return Ok(());
        }
        // The file may have grown since it was opened (a capture still being written).
        let now = self.input.metadata().map(|m| m.len()).unwrap_or(size);
        self.size = Some(now);
        let left = now.saturating_sub(self.offset);
        if len <= left {
            return Ok(());
        }
        Err(Damage {
            offset: self.offset,
            reason: format!("the file is cut short: the {what} needs {len} bytes, {left} remain"),
        })
    }

    /// Parses the record at `block.start` when it is all in the block.
    #[inline]
    fn parse_at(&mut self, block: &mut Block) -> Result<Parsed, Damage> {
        match &self.kind {
            Kind::Pcap(h) => {
                let h = *h;
                self.pcap_record(block, &h)
            }
            Kind::PcapNg(_) => self.pcapng_block(block),
        }
    }

    #[inline]
    fn pcap_record(&mut self, block: &mut Block, h: &PcapHeader) -> Result<Parsed, Damage> {
        let avail = block.unread();
        let head = block.unread_bytes(h.record_header);
        let (Some(secs), Some(frac), Some(caplen), Some(len)) = (
            u32_at(head, 0, h.big_endian),
            u32_at(head, 4, h.big_endian),
            u32_at(head, 8, h.big_endian),
            u32_at(head, 12, h.big_endian),
        ) else {
            self.need = h.record_header;
            return Ok(Parsed::Incomplete);
        };
        let (caplen, orig_len) = match h.lengths {
            Lengths::Swapped => (len, caplen),
            Lengths::MaybeSwapped if caplen > len => (len, caplen),
            _ => (caplen, len),
        };
        if caplen > MAX_CAPLEN {
            return Err(Damage {
                offset: self.offset,
                reason: format!(
                    "captured length {caplen} is over the largest a capture holds ({MAX_CAPLEN})"
                ),
            });
        }
        let need = h.record_header + caplen as usize;
        if avail < need {
            self.need = need;
            self.check_left(need, "record")?;
            return Ok(Parsed::Incomplete);
        }
        let at = block.start + h.record_header;
        block.start += need;
        self.offset += need as u64;
        self.count += 1;
        // As libpcap: both time fields are signed 32-bit; microseconds are scaled up, and an
        // out-of-range fraction is kept (time differences then come out as tshark's).
        let nanos = u32::try_from(i64::from(frac as i32) * h.scale).unwrap_or(u32::MAX);
        Ok(Parsed::Frame(FrameAt {
            number: self.count,
            ts: Timestamp {
                secs: i64::from(secs as i32),
                nanos,
            },
            linktype: h.linktype,
            orig_len,
            at,
            // As libpcap: bytes past the snapshot length are dropped.
            len: caplen.min(h.snapshot) as usize,
            options: (0, 0),
            big_endian: h.big_endian,
        }))
    }

    fn pcapng_block(&mut self, block: &mut Block) -> Result<Parsed, Damage> {
        let Kind::PcapNg(section) = &self.kind else {
            return Ok(Parsed::Incomplete);
        };
        let section_big = section.big_endian;
        let offset = self.offset;
        let damage = |reason: String| Damage { offset, reason };
        let avail = block.unread();
        let head = block.unread_bytes(12);
        let Some(raw_type) = u32_le(head, 0) else {
            self.need = 8;
            return Ok(Parsed::Incomplete);
        };
        let (big, block_type) = if raw_type == SHB {
            let Some(order) = u32_le(head, 8) else {
                self.need = 12;
                return Ok(Parsed::Incomplete);
            };
            if order == BYTE_ORDER_MAGIC {
                (false, SHB)
            } else if order.swap_bytes() == BYTE_ORDER_MAGIC {
                (true, SHB)
            } else {
                return Err(damage(format!(
                    "section header with byte-order magic 0x{order:08x}"
                )));
            }
        } else {
            (section_big, u32_at(head, 0, section_big).unwrap_or(0))
        };
        let Some(len) = u32_at(head, 4, big) else {
            self.need = 8;
            return Ok(Parsed::Incomplete);
        };
        if len < 12 || !len.is_multiple_of(4) || (block_type == SHB && len < 28) {
            return Err(damage(format!("impossible block length {len}")));
        }
        let need = usize::try_from(len).unwrap_or(usize::MAX);
        if avail < need {
            self.need = need;
            self.check_left(need, "block")?;
            if len > MAX_BLOCK {
                return Err(damage(format!(
                    "a block of {len} bytes, over the {MAX_BLOCK} bytes a block may have"
                )));
            }
            return Ok(Parsed::Incomplete);
        }
        let start = block.start;
        let b = block.unread_bytes(need);
        let trailer = u32_at(b, need - 4, big).unwrap_or(0);
        if trailer != len {
            return Err(damage(format!(
                "block length {len} does not match its trailer {trailer}"
            )));
        }
        let body_end = need - 4;
        let found = match block_type {
            SHB => {
                if let Some(reason) = unknown_version(b, big) {
                    return Err(damage(reason));
                }
                // The first section's comments (before any frame): the file's own.
                if self.count == 0 && self.section_comments.is_empty() {
                    let options = b.get(24..body_end).unwrap_or_default();
                    self.section_comments = Comments::in_options(options, big)
                        .iter()
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                }
                self.kind = Kind::PcapNg(Section {
                    big_endian: big,
                    interfaces: Vec::new(),
                });
                Parsed::Other
            }
            IDB => {
                let (Some(linktype), Some(snaplen)) = (u16_at(b, 8, big), u32_at(b, 12, big))
                else {
                    return Err(damage("interface block cut short".into()));
                };
                let mut iface = Interface {
                    linktype: LinkType(u32::from(linktype)),
                    snaplen: if snaplen == 0 { u32::MAX } else { snaplen },
                    units_per_sec: 1_000_000,
                    offset_secs: 0,
                };
                interface_options(b.get(16..body_end).unwrap_or_default(), big, &mut iface);
                if self.first.is_none() {
                    let precision = if iface.units_per_sec == 1_000_000 {
                        Precision::Micro
                    } else {
                        Precision::Nano
                    };
                    self.first = Some((iface.linktype, precision));
                }
                if let Kind::PcapNg(s) = &mut self.kind {
                    s.interfaces.push(iface);
                }
                Parsed::Other
            }
            EPB | PB | SPB => {
                let interfaces = match &self.kind {
                    Kind::PcapNg(s) => &s.interfaces[..],
                    Kind::Pcap(_) => &[],
                };
                let packet =
                    packet_fields(b, block_type, big, body_end, interfaces).map_err(&damage)?;
                self.count += 1;
                Parsed::Frame(FrameAt {
                    number: self.count,
                    ts: packet.ts,
                    linktype: packet.linktype,
                    orig_len: packet.orig_len,
                    at: start + packet.data.0,
                    len: packet.data.1,
                    options: (start + packet.options.0, packet.options.1),
                    big_endian: big,
                })
            }
            ISB => {
                let interfaces = match &self.kind {
                    Kind::PcapNg(s) => &s.interfaces[..],
                    Kind::Pcap(_) => &[],
                };
                if let Some(stats) = statistics_fields(b, big, body_end, interfaces) {
                    keep_statistics(&mut self.statistics, stats);
                }
                Parsed::Other
            }
            // Name resolution, decryption secrets, custom blocks: not frames.
            _ => Parsed::Other,
        };
        block.start += need;
        self.offset += u64::from(len);
        Ok(found)
    }
}

/// What a packet block holds: ranges relative to the block's start.
struct PacketFields {
    ts: Timestamp,
    linktype: LinkType,
    orig_len: u32,
    data: (usize, usize),
    options: (usize, usize),
}

/// Reads an Enhanced, obsolete or Simple Packet Block (`b`, its options ending at `body_end`).
fn packet_fields(
    b: &[u8],
    block_type: u32,
    big: bool,
    body_end: usize,
    interfaces: &[Interface],
) -> Result<PacketFields, String> {
    if block_type == SPB {
        let iface = interfaces
            .first()
            .ok_or("a simple packet block before any interface block")?;
        let orig_len = u32_at(b, 8, big).ok_or("simple packet block cut short")?;
        // The captured bytes: the original length, or the snapshot length if less; what
        // follows them is padding.
        let caplen = orig_len.min(iface.snaplen) as usize;
        if 12 + caplen > body_end {
            return Err(format!(
                "simple packet block of {} bytes cannot hold its {caplen} captured bytes",
                b.len()
            ));
        }
        return Ok(PacketFields {
            ts: Timestamp::ABSENT,
            linktype: iface.linktype,
            orig_len,
            data: (12, caplen),
            options: (0, 0),
        });
    }
    let interface = if block_type == EPB {
        u32_at(b, 8, big)
    } else {
        u16_at(b, 8, big).map(u32::from)
    };
    let (Some(interface), Some(hi), Some(lo), Some(caplen), Some(orig_len)) = (
        interface,
        u32_at(b, 12, big),
        u32_at(b, 16, big),
        u32_at(b, 20, big),
        u32_at(b, 24, big),
    ) else {
        return Err("packet block cut short".into());
    };
    let iface = usize::try_from(interface)
        .ok()
        .and_then(|i| interfaces.get(i))
        .ok_or_else(|| format!("packet names interface {interface} that was never described"))?;
    let caplen = caplen as usize;
    let data_end = 28usize.saturating_add(caplen);
    if data_end > body_end {
        return Err("captured length runs past the end of its block".into());
    }
    let options_at = 28 + ((caplen + 3) & !3);
    Ok(PacketFields {
        ts: iface.time(hi, lo),
        linktype: iface.linktype,
        orig_len,
        // As libpcap: bytes past the interface's snapshot length are dropped.
        data: (28, caplen.min(iface.snaplen as usize)),
        options: (options_at, body_end.saturating_sub(options_at)),
    })
}

impl Interface {
    /// A timestamp of this interface (its two 32-bit halves, in its units).
    fn time(&self, hi: u32, lo: u32) -> Timestamp {
        let units = (u64::from(hi) << 32) | u64::from(lo);
        let per = self.units_per_sec;
        let secs = i64::try_from(units / per)
            .unwrap_or(i64::MAX)
            .saturating_add(self.offset_secs);
        let nanos =
            u32::try_from(u128::from(units % per) * 1_000_000_000 / u128::from(per)).unwrap_or(0);
        Timestamp { secs, nanos }
    }
}

/// Reads an Interface Statistics Block (`b`, its options ending at `body_end`): `None`
/// when it is too short for its fixed fields or names an interface never described. An
/// option running past the block ends the options (those before it are kept); options of
/// the wrong length are skipped.
fn statistics_fields(
    b: &[u8],
    big: bool,
    body_end: usize,
    interfaces: &[Interface],
) -> Option<InterfaceStatistics> {
    let (interface, hi, lo) = (u32_at(b, 8, big)?, u32_at(b, 12, big)?, u32_at(b, 16, big)?);
    if body_end < 20 {
        return None;
    }
    let iface = interfaces.get(usize::try_from(interface).ok()?)?;
    let mut stats = InterfaceStatistics {
        linktype: iface.linktype,
        ts: iface.time(hi, lo),
        start: None,
        end: None,
        received: None,
        dropped: None,
        comments: Vec::new(),
    };
    let mut options = b.get(20..body_end).unwrap_or_default();
    while let (Some(code), Some(len)) = (u16_at(options, 0, big), u16_at(options, 2, big)) {
        let len = usize::from(len);
        let Some(value) = options.get(4..4 + len) else {
            break;
        };
        let time = || Some(iface.time(u32_at(value, 0, big)?, u32_at(value, 4, big)?));
        // A 64-bit count in the section's byte order.
        let count = || {
            let a: [u8; 8] = value.try_into().ok()?;
            Some(if big {
                u64::from_be_bytes(a)
            } else {
                u64::from_le_bytes(a)
            })
        };
        match (code, len) {
            (0, _) => break,
            (1, _) if stats.comments.len() < MAX_STATISTICS_COMMENTS => stats
                .comments
                .push(String::from_utf8_lossy(value).into_owned()),
            (2, 8) => stats.start = time(),
            (3, 8) => stats.end = time(),
            (4, 8) => stats.received = count(),
            (5, 8) => stats.dropped = count(),
            _ => {}
        }
        options = options.get(4 + ((len + 3) & !3)..).unwrap_or_default();
    }
    Some(stats)
}

/// Keeps `stats` in place of the one of the same link type (a later block is the newer
/// count), or as one more while fewer than [`MAX_STATISTICS`] are kept.
fn keep_statistics(kept: &mut Vec<InterfaceStatistics>, stats: InterfaceStatistics) {
    if let Some(k) = kept.iter_mut().find(|k| k.linktype == stats.linktype) {
        *k = stats;
    } else if kept.len() < MAX_STATISTICS {
        kept.push(stats);
    }
}

/// Reads `if_tsresol` and `if_tsoffset` from an interface block's options.
fn interface_options(mut options: &[u8], big: bool, iface: &mut Interface) {
    while let (Some(code), Some(len)) = (u16_at(options, 0, big), u16_at(options, 2, big)) {
        let len = usize::from(len);
        let value = options.get(4..4 + len).unwrap_or_default();
        match (code, value) {
            (0, _) => return,
            (9, &[v]) => {
                let units = if v & 0x80 == 0 {
                    10u64.checked_pow(u32::from(v))
                } else {
                    2u64.checked_pow(u32::from(v & 0x7f))
                };
                if let Some(u) = units.filter(|&u| u > 0) {
                    iface.units_per_sec = u;
                }
            }
            (14, v) if v.len() == 8 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(v);
                iface.offset_secs = if big {
                    i64::from_be_bytes(a)
                } else {
                    i64::from_le_bytes(a)
                };
            }
            _ => {}
        }
        options = options.get(4 + ((len + 3) & !3)..).unwrap_or_default();
    }
}

/// Why a pcapng section header (`b`, from its start) is of a version not read, if it is:
/// only major version 1 is defined (tshark refuses the others too).
fn unknown_version(b: &[u8], big: bool) -> Option<String> {
    let (major, minor) = (u16_at(b, 12, big)?, u16_at(b, 14, big)?);
    (major != 1).then(|| format!("pcapng version {major}.{minor} (only 1.x is defined)"))
}

/// A classic pcap file header (`h`: its 24 bytes), checked as libpcap checks it.
fn pcap_header(h: &[u8]) -> Result<PcapHeader, String> {
    let magic = u32_le(h, 0).unwrap_or(0);
    // The magic read little-endian tells the order of every other field.
    let (big_endian, scale, record_header) = match magic {
        0xA1B2_C3D4 => (false, 1000, 16),
        0xD4C3_B2A1 => (true, 1000, 16),
        0xA1B2_3C4D => (false, 1, 16),
        0x4D3C_B2A1 => (true, 1, 16),
        0xA1B2_CD34 => (false, 1000, 24),
        _ => (true, 1000, 24),
    };
    let (Some(major), Some(minor), Some(snaplen), Some(linktype)) = (
        u16_at(h, 4, big_endian),
        u16_at(h, 6, big_endian),
        u32_at(h, 16, big_endian),
        u32_at(h, 20, big_endian),
    ) else {
        return Err("cut short in its file header".into());
    };
    if major != 2 || minor > 4 {
        return Err(format!(
            "pcap version {major}.{minor} (libpcap and tshark read 2.0 to 2.4)"
        ));
    }
    let lengths = match minor {
        0..=2 => Lengths::Swapped,
        3 => Lengths::MaybeSwapped,
        _ => Lengths::InOrder,
    };
    Ok(PcapHeader {
        big_endian,
        scale,
        record_header,
        // As libpcap: a zero or oversized snapshot length means the largest.
        snapshot: if snaplen == 0 || snaplen > MAX_CAPLEN {
            MAX_CAPLEN
        } else {
            snaplen
        },
        // The upper bits hold the FCS length, not the link type.
        linktype: LinkType(linktype & 0xFFFF),
        lengths,
    })
}

fn unreadable(path: &Path, e: &io::Error) -> SourceError {
    SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

#[inline]
fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(a))
}

#[inline]
fn u32_at(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    })
}

fn u16_at(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let a: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(if big {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Every frame read: (secs, nanos, link type, orig_len, bytes), then the error if any.
    type Read = (Vec<(i64, u32, u32, u32, Vec<u8>)>, Option<String>);

    /// Every frame as libpcap reads it (link types as LINKTYPE_ values).
    fn by_libpcap(path: &Path) -> Option<Read> {
        let mut cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).ok()?;
        let lt = LinkType::from_dlt(cap.get_datalink().0).0;
        let mut frames = Vec::new();
        loop {
            match cap.next_packet() {
                Ok(p) => frames.push((
                    p.header.ts.tv_sec,
                    u32::try_from(p.header.ts.tv_usec).unwrap_or(u32::MAX),
                    lt,
                    p.header.len,
                    p.data.to_vec(),
                )),
                Err(pcap::Error::NoMorePackets) => return Some((frames, None)),
                Err(e) => return Some((frames, Some(e.to_string()))),
            }
        }
    }

    fn by_source(path: &Path) -> Read {
        let mut source = FileSource::open(path).unwrap();
        let mut frames = Vec::new();
        loop {
            match source.next_frame() {
                Ok(Some(f)) => frames.push((
                    f.ts.secs,
                    f.ts.nanos,
                    f.linktype.0,
                    f.orig_len,
                    f.data.to_vec(),
                )),
                Ok(None) => return (frames, None),
                Err(SourceError::Damaged { reason, .. }) => return (frames, Some(reason)),
                Err(e) => panic!("{e}"),
            }
        }
    }

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// The reader gives exactly libpcap's frames on every fixture libpcap reads (pcap and
    /// pcapng): times, link types, lengths, bytes.
    #[test]
    fn test_same_frames_as_libpcap_on_fixtures() {
        let mut checked = 0;
        for dir in ["fixtures", "fixtures/public"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let name = path.to_string_lossy().into_owned();
                if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
                    continue;
                }
                let ours = by_source(&path);
                match by_libpcap(&path) {
                    // libpcap refuses pcapng files whose interfaces differ (at the first
                    // frame of another kind): up to there the frames are the same.
                    Some(theirs) if theirs.1.is_some() && ours.1.is_none() => {
                        assert!(name.ends_with(".pcapng"), "libpcap: {name}: {:?}", theirs.1);
                        assert_eq!(ours.0[..theirs.0.len()], theirs.0, "{name}");
                    }
                    Some(theirs) => {
                        // Damage where libpcap finds damage (a fixture cut short).
                        assert_eq!(ours.1.is_some(), theirs.1.is_some(), "{name}: {:?}", ours.1);
                        assert_eq!(ours.0.len(), theirs.0.len(), "{name}");
                        for (i, (a, b)) in ours.0.iter().zip(&theirs.0).enumerate() {
                            assert_eq!(a, b, "{name} frame {}", i + 1);
                        }
                        checked += 1;
                    }
                    // libpcap refuses pcapng files whose interfaces differ.
                    None => assert!(name.ends_with(".pcapng"), "libpcap refused {name}"),
                }
            }
        }
        assert!(checked >= 20, "only {checked} fixtures compared");
    }

    /// Frames read into blocks as `app::threaded` reads them (a new block whenever one is
    /// short or holds `per_block` frames, the unread bytes carried over) are those of
    /// `next_frame`, in both formats.
    #[test]
    fn test_blocks_carried_over_give_the_same_frames() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in ["fixtures/lab_tcp.pcap", "fixtures/lab_ipv6.pcapng"] {
            let path = root.join(name);
            let expected = by_source(&path);
            assert!(expected.0.len() > 5);
            for (room, per_block) in [(65_536, usize::MAX), (100, 1), (4096, 7)] {
                let mut source = FileSource::open(&path).unwrap();
                let mut block = Block::with_room(room);
                let (mut got, mut in_block) = (Vec::new(), 0);
                loop {
                    match source.next_in(&mut block).unwrap() {
                        BlockNext::Frame(at) => {
                            let f = at.frame(&block);
                            got.push((
                                f.ts.secs,
                                f.ts.nanos,
                                f.linktype.0,
                                f.orig_len,
                                f.data.to_vec(),
                            ));
                            in_block += 1;
                            if in_block == per_block {
                                let mut next = Block::with_room(room);
                                block.carry_to(&mut next, room);
                                (block, in_block) = (next, 0);
                            }
                        }
                        BlockNext::Short => {
                            let mut next = Block::with_room(room);
                            block.carry_to(&mut next, source.record_len(&block).max(room));
                            (block, in_block) = (next, 0);
                        }
                        BlockNext::End => break,
                    }
                }
                assert!(
                    got == expected.0,
                    "{name}: room {room}, {per_block} per block"
                );
            }
        }
    }

    fn pcap_header_bytes(magic: u32, minor: u16, snaplen: u32, linktype: u32) -> Vec<u8> {
        let mut h = magic.to_le_bytes().to_vec();
        h.extend(2u16.to_le_bytes());
        h.extend(minor.to_le_bytes());
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

    /// Cut to the snapshot length as libpcap, damage past 262,144, a cut final record.
    #[test]
    fn test_pcap_records_over_the_snapshot_length_and_cut_short() {
        let mut bytes = pcap_header_bytes(0xA1B2_C3D4, 4, 64, 1);
        bytes.extend(record(100, 5, &[1; 60], 60));
        bytes.extend(record(100, 6, &[2; 100], 100));
        bytes.extend(&record(100, 7, &[3; 60], 60)[..30]);
        let f = file_with(&bytes);
        let (frames, error) = by_source(f.path());
        assert_eq!(
            frames.iter().map(|f| f.4.len()).collect::<Vec<_>>(),
            [60, 64]
        );
        assert_eq!((frames[1].0, frames[1].1, frames[1].3), (100, 6000, 100));
        assert!(error.is_some_and(|e| e.contains("cut short")));
        let mut huge = pcap_header_bytes(0xA1B2_C3D4, 4, 0, 1);
        huge.extend(&record(1, 0, &[], 0)[..8]);
        huge.extend(300_000u32.to_le_bytes());
        huge.extend(300_000u32.to_le_bytes());
        let f = file_with(&huge);
        let (frames, error) = by_source(f.path());
        assert!(frames.is_empty());
        assert!(error.is_some_and(|e| e.contains("over the largest")));
    }

    #[test]
    fn test_pcap_versions_and_odd_headers() {
        // Version 2.2: the lengths are the other way round.
        let mut old = pcap_header_bytes(0xA1B2_C3D4, 2, 0, 1);
        old.extend(record(1, 0, &[9; 4], 60));
        let swapped: Vec<u8> = old[..24]
            .iter()
            .copied()
            .chain(1u32.to_le_bytes())
            .chain(0u32.to_le_bytes())
            .chain(60u32.to_le_bytes())
            .chain(4u32.to_le_bytes())
            .chain([9; 4])
            .collect();
        let f = file_with(&swapped);
        let (frames, _) = by_source(f.path());
        assert_eq!((frames[0].3, frames[0].4.len()), (60, 4));
        // Unknown versions and magics are refused, not damaged.
        let mut v3 = pcap_header_bytes(0xA1B2_C3D4, 4, 0, 1);
        v3[4] = 3;
        for bytes in [v3, b"hello world, not a capture".to_vec(), vec![0xd4, 0xc3]] {
            let f = file_with(&bytes);
            assert!(matches!(
                FileSource::open(f.path()),
                Err(SourceError::NotACapture { .. })
            ));
        }
        // FCS bits above the link type.
        let bytes = pcap_header_bytes(0xA1B2_C3D4, 4, 0, 1 | 0x1400_0000);
        let f = file_with(&bytes);
        assert_eq!(
            FileSource::open(f.path()).unwrap().linktype(),
            Some(LinkType::ETHERNET)
        );
    }

    /// A pcapng section header (little-endian, `major.minor`) and an Ethernet interface
    /// with `snaplen` and `if_tsresol` = `resol`.
    fn pcapng_start(major: u16, snaplen: u32, resol: u8) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [SHB, 28, BYTE_ORDER_MAGIC] {
            v.extend(x.to_le_bytes());
        }
        v.extend(major.to_le_bytes());
        v.extend(0u16.to_le_bytes());
        v.extend((-1i64).to_le_bytes());
        v.extend(28u32.to_le_bytes());
        for x in [IDB, 32] {
            v.extend(x.to_le_bytes());
        }
        v.extend(1u16.to_le_bytes());
        v.extend(0u16.to_le_bytes());
        v.extend(snaplen.to_le_bytes());
        v.extend([9, 0, 1, 0, resol, 0, 0, 0, 0, 0, 0, 0]);
        v.extend(32u32.to_le_bytes());
        v
    }

    fn epb(ts: u64, data: &[u8], options: &[u8]) -> Vec<u8> {
        let padded = (data.len() + 3) & !3;
        let len = (32 + padded + options.len()) as u32;
        let mut v = Vec::new();
        for x in [
            EPB,
            len,
            0,
            (ts >> 32) as u32,
            ts as u32,
            data.len() as u32,
            60,
        ] {
            v.extend(x.to_le_bytes());
        }
        v.extend(data);
        v.resize(v.len() + padded - data.len(), 0);
        v.extend(options);
        v.extend(len.to_le_bytes());
        v
    }

    #[test]
    fn test_pcapng_times_comments_and_precision() {
        let mut bytes = pcapng_start(1, 0, 9);
        let mut options = vec![1, 0, 5, 0];
        options.extend(b"hello\0\0\0");
        options.extend([0, 0, 0, 0]);
        bytes.extend(epb(1_500_000_000, &[0xaa, 0xbb, 0xcc], &options));
        let f = file_with(&bytes);
        let mut source = FileSource::open(f.path()).unwrap();
        assert_eq!(
            (source.format(), source.linktype(), source.precision()),
            (Format::PcapNg, Some(LinkType::ETHERNET), Precision::Nano)
        );
        let frame = source.next_frame().unwrap().unwrap();
        assert_eq!((frame.ts.secs, frame.ts.nanos), (1, 500_000_000));
        assert_eq!(frame.data, [0xaa, 0xbb, 0xcc]);
        assert_eq!(frame.comments.iter().collect::<Vec<_>>(), [b"hello"]);
        assert!(source.next_frame().unwrap().is_none());
        let f = file_with(&pcapng_start(1, 0, 6));
        assert_eq!(
            FileSource::open(f.path()).unwrap().precision(),
            Precision::Micro
        );
    }

    /// An Interface Statistics Block naming `iface`, taken at `ts`, with `options` as given.
    fn isb(iface: u32, ts: u64, options: &[u8]) -> Vec<u8> {
        let len = (24 + options.len()) as u32;
        let mut v = Vec::new();
        for x in [ISB, len, iface, (ts >> 32) as u32, ts as u32] {
            v.extend(x.to_le_bytes());
        }
        v.extend(options);
        v.extend(len.to_le_bytes());
        v
    }

    /// One pcapng option (code, value), padded.
    fn option(code: u16, value: &[u8]) -> Vec<u8> {
        let mut v = code.to_le_bytes().to_vec();
        v.extend((value.len() as u16).to_le_bytes());
        v.extend(value);
        v.resize(4 + ((value.len() + 3) & !3), 0);
        v
    }

    /// Every frame and the statistics of `bytes`, read to the end (damage is a panic).
    fn frames_and_statistics(bytes: &[u8]) -> (usize, Vec<InterfaceStatistics>) {
        let f = file_with(bytes);
        let mut source = FileSource::open(f.path()).unwrap();
        let mut n = 0;
        while source.next_frame().unwrap().is_some() {
            n += 1;
        }
        (n, source.statistics().to_vec())
    }

    #[test]
    fn test_statistics_block_read_with_its_times_counts_and_comment() {
        let mut bytes = pcapng_start(1, 0, 9);
        bytes.extend(epb(1_000_000_000, &[1, 2, 3], &[]));
        // Times as two 32-bit halves, high first, in nanoseconds: 1 s and 2 s.
        let time = |units: u64| {
            [
                ((units >> 32) as u32).to_le_bytes(),
                (units as u32).to_le_bytes(),
            ]
            .concat()
        };
        let mut options = option(2, &time(1_000_000_000));
        options.extend(option(3, &time(2_000_000_000)));
        options.extend(option(4, &9u64.to_le_bytes()));
        options.extend(option(5, &1u64.to_le_bytes()));
        options.extend(option(1, b"wirelab lab: interrupted after 1 frames"));
        options.extend(option(0, &[]));
        bytes.extend(isb(0, 2_000_000_000, &options));
        let (frames, stats) = frames_and_statistics(&bytes);
        assert_eq!(frames, 1);
        let second = |secs| Some(Timestamp { secs, nanos: 0 });
        assert_eq!(
            stats,
            [InterfaceStatistics {
                linktype: LinkType::ETHERNET,
                ts: Timestamp { secs: 2, nanos: 0 },
                start: second(1),
                end: second(2),
                received: Some(9),
                dropped: Some(1),
                comments: vec!["wirelab lab: interrupted after 1 frames".into()],
            }]
        );
    }

    /// Statistics blocks that lie about their lengths or name no interface: never a
    /// panic, never damage (frames after them are read), and only what is sound is kept.
    #[test]
    fn test_hostile_statistics_blocks_are_skipped_or_cut_to_what_is_sound() {
        let mut bytes = pcapng_start(1, 0, 6);
        // Too short for its fixed fields (the block alone is sound).
        for x in [ISB, 16, 0, 16] {
            bytes.extend(x.to_le_bytes());
        }
        // An interface never described.
        bytes.extend(isb(7, 0, &option(1, b"nobody's")));
        // A comment claiming 65,535 bytes, then an end of options claiming more.
        let mut lying = option(4, &5u64.to_le_bytes());
        lying.extend(option(1, b"kept"));
        lying.extend([1, 0, 0xff, 0xff, b'x', b'y', 0, 0]);
        bytes.extend(isb(0, 0, &lying));
        // Counts of the wrong length are left out; a time cut short too.
        let mut odd = option(4, &[1, 2, 3]);
        odd.extend(option(2, &[0; 4]));
        odd.extend(option(5, &2u64.to_le_bytes()));
        odd.extend([3, 0, 8, 0, 0, 0, 0, 0]);
        let mut second_iface = Vec::new();
        for x in [IDB, 20] {
            second_iface.extend(x.to_le_bytes());
        }
        second_iface.extend(101u16.to_le_bytes());
        second_iface.extend([0, 0, 0, 0, 0, 0]);
        second_iface.extend(20u32.to_le_bytes());
        bytes.extend(second_iface);
        bytes.extend(isb(1, 0, &odd));
        bytes.extend(epb(5, &[9], &[]));
        let (frames, stats) = frames_and_statistics(&bytes);
        assert_eq!(frames, 1);
        assert_eq!(stats.len(), 2, "{stats:#?}");
        assert_eq!(
            (stats[0].received, stats[0].comments.as_slice()),
            (Some(5), ["kept".to_string()].as_slice())
        );
        assert_eq!(stats[1].linktype, LinkType(101));
        assert_eq!(
            (
                stats[1].received,
                stats[1].start,
                stats[1].dropped,
                stats[1].end
            ),
            (None, None, Some(2), None)
        );
    }

    /// Many statistics blocks, each with many comments: what is kept stays bounded (the
    /// last block per link type, a few comments each).
    #[test]
    fn test_statistics_kept_are_bounded() {
        let mut bytes = pcapng_start(1, 0, 6);
        let mut options = Vec::new();
        for i in 0..100 {
            options.extend(option(1, format!("comment {i}").as_bytes()));
        }
        for i in 0..1000u64 {
            let mut o = option(4, &i.to_le_bytes());
            o.extend(&options);
            bytes.extend(isb(0, i, &o));
        }
        let (_, stats) = frames_and_statistics(&bytes);
        assert_eq!(stats.len(), 1);
        assert_eq!(stats[0].received, Some(999));
        assert_eq!(stats[0].comments.len(), MAX_STATISTICS_COMMENTS);
    }

    #[test]
    fn r11_unknown_section_version_is_refused() {
        let f = file_with(&pcapng_start(2, 0, 6));
        let e = FileSource::open(f.path()).unwrap_err();
        assert!(
            matches!(&e, SourceError::NotACapture { reason, .. } if reason.contains("version 2.0")),
            "{e}"
        );
        // A second section of version 2 in the middle: damage there.
        let mut bytes = pcapng_start(1, 0, 6);
        bytes.extend(epb(1, &[1], &[]));
        bytes.extend(&pcapng_start(2, 0, 6)[..28]);
        let f = file_with(&bytes);
        let (frames, error) = by_source(f.path());
        assert_eq!(frames.len(), 1);
        assert!(error.is_some_and(|e| e.contains("version 2.0")));
    }

    #[test]
    fn r11_simple_packet_block_data_excludes_the_padding() {
        for (snaplen, orig, body, want) in [(0u32, 5u32, 8usize, 5usize), (6, 100, 8, 6)] {
            let mut bytes = pcapng_start(1, snaplen, 6);
            let len = (16 + body) as u32;
            for x in [SPB, len, orig] {
                bytes.extend(x.to_le_bytes());
            }
            bytes.extend((1..=body as u8).collect::<Vec<_>>());
            bytes.extend(len.to_le_bytes());
            let f = file_with(&bytes);
            let (frames, error) = by_source(f.path());
            assert!(error.is_none(), "{error:?}");
            assert_eq!(frames[0].4, (1..=want as u8).collect::<Vec<_>>());
            assert_eq!(frames[0].3, orig);
            let mut s = FileSource::open(f.path()).unwrap();
            assert!(s.next_frame().unwrap().unwrap().ts.is_absent());
        }
    }

    #[test]
    fn r11_timestamp_i64_min_seconds_is_read_as_a_time() {
        let mut bytes = pcapng_start(1, 0, 6);
        // if_tsoffset = i64::MIN on a second interface.
        for x in [IDB, 32] {
            bytes.extend(x.to_le_bytes());
        }
        bytes.extend([1, 0, 0, 0, 0, 0, 0, 0, 14, 0, 8, 0]);
        bytes.extend(i64::MIN.to_le_bytes());
        bytes.extend(32u32.to_le_bytes());
        let mut p = epb(0, &[7], &[]);
        p[8] = 1; // interface 1
        bytes.extend(p);
        let f = file_with(&bytes);
        let mut s = FileSource::open(f.path()).unwrap();
        let frame = s.next_frame().unwrap().unwrap();
        assert_eq!((frame.ts.secs, frame.ts.nanos), (i64::MIN, 0));
        assert!(!frame.ts.is_absent());
    }

    /// A 72-byte pcapng whose block claims 256 MiB: damage at once, nothing allocated for it.
    #[test]
    fn r8_huge_block_length_allocates_nothing() {
        let mut bytes = pcapng_start(1, 0, 6);
        for x in [EPB, 256 << 20, 0] {
            bytes.extend(x.to_le_bytes());
        }
        assert_eq!(bytes.len(), 72);
        let f = file_with(&bytes);
        let mut source = FileSource::open(f.path()).unwrap();
        let mut block = Block::with_room(4096);
        let e = source.next_in(&mut block).unwrap_err();
        assert!(
            e.to_string().contains("needs 268435456 bytes, 12 remain"),
            "{e}"
        );
        assert!(block.buf.capacity() < 1 << 20);
        // The same bytes from a pipe (no size known): the bound on blocks stops it.
        let mut source = stream_of(bytes);
        let e = source.next_frame().unwrap_err();
        assert!(e.to_string().contains("over the 16777216 bytes"), "{e}");
        assert!(source.own.buf.capacity() < 2 << 20);
    }

    /// A source reading `bytes` from a pipe.
    fn stream_of(bytes: Vec<u8>) -> FileSource {
        let (reader, mut writer) = io::pipe().unwrap();
        std::thread::spawn(move || {
            let _ = writer.write_all(&bytes);
        });
        FileSource::read_from(
            PathBuf::from("pipe"),
            File::from(std::os::fd::OwnedFd::from(reader)),
        )
        .unwrap()
    }

    /// Both formats from a pipe: the same frames as from the file.
    #[test]
    fn r6_pipes_read_as_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in ["fixtures/lab_udp.pcap", "fixtures/lab_ipv6.pcapng"] {
            let path = root.join(name);
            let expected = by_source(&path);
            let mut source = stream_of(std::fs::read(&path).unwrap());
            let mut got = Vec::new();
            while let Some(f) = source.next_frame().unwrap() {
                got.push((
                    f.ts.secs,
                    f.ts.nanos,
                    f.linktype.0,
                    f.orig_len,
                    f.data.to_vec(),
                ));
            }
            assert!(got == expected.0 && !got.is_empty(), "{name}");
        }
    }

    /// A file truncated while it is read: a clear error naming what happened.
    #[test]
    fn r11_file_truncated_while_read() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(root.join("fixtures/lab_tcp.pcap")).unwrap();
        let f = file_with(&bytes);
        let mut source = FileSource::open(f.path()).unwrap();
        assert!(source.next_frame().unwrap().is_some());
        // The reader's first read took the whole (small) file: cut it now, and read a
        // fresh source that is then cut after its header.
        let mut late = FileSource::open(f.path()).unwrap();
        f.as_file().set_len(0).unwrap();
        let e = loop {
            match late.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("a truncated file read to a clean end"),
                Err(e) => break e,
            }
        };
        assert!(
            e.to_string().contains("shrank from") && e.to_string().contains("read it again"),
            "{e}"
        );
    }
}
