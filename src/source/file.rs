//! Reading saved captures: .pcap (both byte orders, micro- and nanosecond) and
//! single-link-type .pcapng through libpcap; pcapng with mixed link types through
//! the pure-Rust reader in [`super::pcapng`]. Numbers frames from 1 and reports
//! damage with the frame number and byte offset.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use pcap::{Capture, Offline, Precision};

use super::classic::{self, Block, Records};
use super::pcapng::{self, PcapNgReader};
use super::{Frame, Timestamp};
use crate::error::SourceError;

/// The container format of a capture file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap (any byte order, micro- or nanosecond).
    Pcap,
    /// pcapng.
    PcapNg,
}

enum Reader {
    /// A plain classic pcap file: our block reader, with libpcap's handle (which has
    /// read only the file header) kept to take over at the first unusual record.
    Fast {
        records: Records,
        cap: Capture<Offline>,
        linktype: u32,
    },
    Libpcap {
        cap: Capture<Offline>,
        linktype: u32,
    },
    /// Between two readers (only while the fast reader hands over).
    Spent,
    PcapNg(PcapNgReader<io::BufReader<File>>),
}

/// A capture file, read frame by frame.
pub struct FileSource {
    path: PathBuf,
    format: Format,
    reader: Reader,
    /// Frames handed out so far.
    count: u64,
    /// Byte offset of the next pcap record (classic pcap only).
    pcap_offset: u64,
    /// Set once the reader failed; later calls return `None`.
    done: bool,
}

impl FileSource {
    /// Opens a capture file, checking that it is one.
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let format = sniff(path)?;
        let own_reader = |path: &Path| {
            PcapNgReader::open(path)
                .map_err(|e| io_error(path, e))
                .map(Reader::PcapNg)
        };
        let reader = match format {
            // libpcap refuses a pcapng whose interfaces differ in link type or snapshot length.
            Format::PcapNg if mixed_interfaces(path) => own_reader(path)?,
            _ => match Capture::from_file_with_precision(path, Precision::Nano) {
                Ok(cap) => {
                    let linktype = u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX);
                    let fast = match format {
                        Format::Pcap => {
                            Records::plain(path, linktype).map_err(|e| io_error(path, e))?
                        }
                        Format::PcapNg => None,
                    };
                    match fast {
                        Some(records) => Reader::Fast {
                            records,
                            cap,
                            linktype,
                        },
                        None => Reader::Libpcap { cap, linktype },
                    }
                }
                // libpcap refuses some valid pcapng files (e.g. interfaces with different
                // snapshot lengths): read those with our own reader when it can.
                Err(e) if format == Format::PcapNg && pcapng_readable(path) => {
                    let _ = e;
                    own_reader(path)?
                }
                Err(e) => {
                    return Err(SourceError::NotACapture {
                        path: path.to_path_buf(),
                        reason: tidy(&e.to_string()),
                    });
                }
            },
        };
        Ok(Self {
            path: path.to_path_buf(),
            format,
            reader,
            count: 0,
            pcap_offset: 24,
            done: false,
        })
    }

    /// The file's container format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The link type of the first interface (libpcap files have exactly one).
    pub fn linktype(&self) -> Option<u32> {
        match &self.reader {
            Reader::Fast { linktype, .. } | Reader::Libpcap { linktype, .. } => Some(*linktype),
            Reader::PcapNg(_) | Reader::Spent => None,
        }
    }

    /// The path being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next frame, `Ok(None)` at the end of the file, or the damage that stops reading.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, SourceError> {
        if self.done {
            return Ok(None);
        }
        let number = self.count + 1;
        if let Reader::Fast { records, .. } = &mut self.reader {
            match records.next_record() {
                Ok(classic::Next::Record(r)) => {
                    self.count = number;
                    self.pcap_offset += 16 + r.caplen as u64;
                    let Reader::Fast {
                        records, linktype, ..
                    } = &self.reader
                    else {
                        return Ok(None);
                    };
                    let ts = Timestamp {
                        secs: r.secs,
                        nanos: r.nanos,
                    };
                    return Ok(Some(Frame {
                        number,
                        ts,
                        linktype: *linktype,
                        orig_len: r.orig_len,
                        data: records.data(&r),
                    }));
                }
                Ok(classic::Next::End) => {
                    self.done = true;
                    return Ok(None);
                }
                Ok(classic::Next::Unusual | classic::Next::Short) => self.hand_to_libpcap()?,
                Err(e) => {
                    self.done = true;
                    let reason = format!("cannot read on ({e})");
                    return Err(SourceError::Damaged {
                        path: self.path.clone(),
                        frame: number,
                        offset: self.pcap_offset,
                        reason,
                    });
                }
            }
        }
        let failure = match &mut self.reader {
            Reader::Libpcap { cap, linktype } => match cap.next_packet() {
                Ok(p) => {
                    self.count = number;
                    self.pcap_offset += 16 + u64::from(p.header.caplen);
                    // An out-of-range nanosecond field (a second or more) is kept as it is:
                    // time differences then come out as tshark computes them.
                    let secs = p.header.ts.tv_sec;
                    let nanos = u32::try_from(p.header.ts.tv_usec).unwrap_or(u32::MAX);
                    return Ok(Some(Frame {
                        number,
                        ts: Timestamp { secs, nanos },
                        linktype: *linktype,
                        orig_len: p.header.len,
                        data: p.data,
                    }));
                }
                Err(pcap::Error::NoMorePackets) => Stop::End,
                Err(e) => match self.format {
                    Format::Pcap => Stop::Damage(self.pcap_offset, tidy(&e.to_string())),
                    Format::PcapNg => Stop::Damage(
                        pcapng::damage_offset(&self.path, self.count).unwrap_or(0),
                        tidy(&e.to_string()),
                    ),
                },
            },
            // Never here: a fast reader returned above or was handed over.
            Reader::Fast { .. } | Reader::Spent => Stop::End,
            Reader::PcapNg(r) => match r.next_frame(number) {
                Ok(Some(f)) => {
                    self.count = number;
                    return Ok(Some(f));
                }
                Ok(None) => Stop::End,
                Err(d) => Stop::Damage(d.offset, d.reason),
            },
        };
        match failure {
            Stop::End => {
                self.done = true;
                Ok(None)
            }
            Stop::Damage(offset, reason) => {
                self.done = true;
                Err(SourceError::Damaged {
                    path: self.path.clone(),
                    frame: number,
                    offset,
                    reason,
                })
            }
        }
    }
}

/// What [`FileSource::into_reading`] gives.
pub enum Reading {
    /// A plain classic pcap file, read into the caller's blocks.
    Blocks(BlockSource),
    /// Any other file, read frame by frame.
    Frames(FileSource),
}

/// A plain classic pcap file not read yet, read into blocks its caller owns (so that
/// frames need no copy on their way to another thread); see [`FileSource::into_reading`].
pub struct BlockSource {
    records: Records,
    cap: Capture<Offline>,
    linktype: u32,
    path: PathBuf,
    /// Frames handed out so far.
    count: u64,
    /// Byte offset of the next record.
    offset: u64,
}

/// A frame whose bytes are in a [`Block`].
#[derive(Debug, Clone, Copy)]
pub struct FrameAt {
    number: u64,
    ts: Timestamp,
    linktype: u32,
    orig_len: u32,
    record: classic::Record,
}

impl FrameAt {
    /// The frame, with its bytes in `block` (the block it was found in).
    pub fn frame<'b>(&self, block: &'b Block) -> Frame<'b> {
        Frame {
            number: self.number,
            ts: self.ts,
            linktype: self.linktype,
            orig_len: self.orig_len,
            data: block.data(&self.record),
        }
    }

    /// Where the frame's bytes start in its block.
    pub fn at(&self) -> usize {
        self.record.at()
    }
}

/// What [`BlockSource::next_in`] found.
pub enum BlockNext {
    /// A frame, in the block (see [`FrameAt::frame`]).
    Frame(FrameAt),
    /// The end of the file.
    End,
    /// The next record goes past the block's room: carry the unread bytes to a block
    /// with room for [`BlockSource::record_len`] bytes, and ask again.
    Short,
    /// A record only libpcap reads as it should: go on with [`BlockSource::into_source`].
    Unusual,
}

impl BlockSource {
    /// The next frame, in `block`.
    pub fn next_in(&mut self, block: &mut Block) -> Result<BlockNext, SourceError> {
        match self.records.next_in(block) {
            Ok(classic::Next::Record(r)) => {
                self.count += 1;
                self.offset += 16 + r.caplen as u64;
                let ts = Timestamp {
                    secs: r.secs,
                    nanos: r.nanos,
                };
                Ok(BlockNext::Frame(FrameAt {
                    number: self.count,
                    ts,
                    linktype: self.linktype,
                    orig_len: r.orig_len,
                    record: r,
                }))
            }
            Ok(classic::Next::End) => Ok(BlockNext::End),
            Ok(classic::Next::Short) => Ok(BlockNext::Short),
            Ok(classic::Next::Unusual) => Ok(BlockNext::Unusual),
            Err(e) => Err(SourceError::Damaged {
                path: self.path.clone(),
                frame: self.count + 1,
                offset: self.offset,
                reason: format!("cannot read on ({e})"),
            }),
        }
    }

    /// Bytes the next record needs in a block (its header alone while unread).
    pub fn record_len(&self, block: &Block) -> usize {
        self.records.record_len(block)
    }

    /// The rest of the file as a frame-by-frame source, read by libpcap from the next record.
    pub fn into_source(self) -> Result<FileSource, SourceError> {
        let BlockSource {
            records,
            cap,
            linktype,
            path,
            count,
            offset,
        } = self;
        let mut source = FileSource {
            path,
            format: Format::Pcap,
            reader: Reader::Fast {
                records,
                cap,
                linktype,
            },
            count,
            pcap_offset: offset,
            done: false,
        };
        source.hand_to_libpcap()?;
        Ok(source)
    }
}

impl FileSource {
    /// How to read the rest of this file: in blocks when it is a plain classic pcap file
    /// none of whose frames were read yet, frame by frame otherwise.
    pub fn into_reading(self) -> Reading {
        match self {
            FileSource {
                path,
                reader:
                    Reader::Fast {
                        records,
                        cap,
                        linktype,
                    },
                count: 0,
                pcap_offset,
                ..
            } => Reading::Blocks(BlockSource {
                records,
                cap,
                linktype,
                path,
                count: 0,
                offset: pcap_offset,
            }),
            other => Reading::Frames(other),
        }
    }

    /// Lets libpcap read on from the record the fast reader stopped at: its handle has
    /// read only the file header, so it first skips the records already handed out.
    fn hand_to_libpcap(&mut self) -> Result<(), SourceError> {
        let reader = std::mem::replace(&mut self.reader, Reader::Spent);
        let Reader::Fast {
            mut cap, linktype, ..
        } = reader
        else {
            self.reader = reader;
            return Ok(());
        };
        for skipped in 1..=self.count {
            if let Err(e) = cap.next_packet() {
                self.done = true;
                let reason = format!(
                    "libpcap could not read frame {skipped} again ({})",
                    tidy(&e.to_string())
                );
                return Err(SourceError::Damaged {
                    path: self.path.clone(),
                    frame: self.count + 1,
                    offset: self.pcap_offset,
                    reason,
                });
            }
        }
        self.reader = Reader::Libpcap { cap, linktype };
        Ok(())
    }
}

/// Why `next_frame` did not return a frame from the current reader.
enum Stop {
    End,
    Damage(u64, String),
}

/// True when our pcapng reader reads the file's first block.
fn pcapng_readable(path: &Path) -> bool {
    PcapNgReader::open(path).is_ok_and(|mut r| r.next_frame(1).is_ok())
}

/// libpcap's messages, made to read as part of ours.
fn tidy(reason: &str) -> String {
    let r = reason.trim().trim_start_matches("libpcap error: ");
    if r.contains("truncated dump file") || r.contains("truncated pcapng") {
        format!("the file is cut short ({r})")
    } else {
        r.to_string()
    }
}

fn io_error(path: &Path, e: io::Error) -> SourceError {
    match e.kind() {
        io::ErrorKind::NotFound => SourceError::NotFound {
            path: path.to_path_buf(),
        },
        _ => SourceError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

/// Checks the magic number before libpcap sees the file, for clear errors.
fn sniff(path: &Path) -> Result<Format, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        return Err(SourceError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    let mut magic = [0u8; 4];
    let mut f = File::open(path).map_err(|e| io_error(path, e))?;
    let mut got = 0;
    while got < 4 {
        match f.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(path, e)),
        }
    }
    if got == 0 {
        return Err(SourceError::NotACapture {
            path: path.to_path_buf(),
            reason: "the file is empty".into(),
        });
    }
    if got < 4 {
        return Err(SourceError::NotACapture {
            path: path.to_path_buf(),
            reason: format!("only {got} bytes long"),
        });
    }
    match u32::from_be_bytes(magic) {
        0x0A0D_0D0A => Ok(Format::PcapNg),
        0xA1B2_C3D4 | 0xD4C3_B2A1 | 0xA1B2_3C4D | 0x4D3C_B2A1 | 0xA1B2_CD34 | 0x34CD_B2A1 => {
            Ok(Format::Pcap)
        }
        m => Err(SourceError::NotACapture {
            path: path.to_path_buf(),
            reason: format!("unknown magic number 0x{m:08x}"),
        }),
    }
}

/// True when libpcap cannot read a pcapng file faithfully: its interfaces differ in link
/// type or snapshot length (refused), or it has Simple Packet Blocks (no timestamp, which
/// libpcap reports as the epoch).
fn mixed_interfaces(path: &Path) -> bool {
    match PcapNgReader::open(path).map(|r| r.interface_kinds()) {
        Ok(Ok(scan)) => scan.kinds.len() > 1 || scan.simple_packets,
        _ => false,
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;
    use std::io::Write;

    /// Every frame read: (secs, nanos, orig_len, bytes), then the error if any.
    type Read = (Vec<(i64, u32, u32, Vec<u8>)>, Option<String>);

    /// Every frame as libpcap alone reads it.
    fn by_libpcap(path: &Path) -> Read {
        let mut cap = Capture::from_file_with_precision(path, Precision::Nano).unwrap();
        let mut frames = Vec::new();
        loop {
            match cap.next_packet() {
                Ok(p) => frames.push((
                    p.header.ts.tv_sec,
                    u32::try_from(p.header.ts.tv_usec).unwrap_or(u32::MAX),
                    p.header.len,
                    p.data.to_vec(),
                )),
                Err(pcap::Error::NoMorePackets) => return (frames, None),
                Err(e) => return (frames, Some(tidy(&e.to_string()))),
            }
        }
    }

    fn by_source(path: &Path) -> Read {
        let mut source = FileSource::open(path).unwrap();
        let mut frames = Vec::new();
        loop {
            match source.next_frame() {
                Ok(Some(f)) => frames.push((f.ts.secs, f.ts.nanos, f.orig_len, f.data.to_vec())),
                Ok(None) => return (frames, None),
                Err(SourceError::Damaged { reason, .. }) => return (frames, Some(reason)),
                Err(e) => panic!("{e}"),
            }
        }
    }

    /// The fast reader hands over exactly what libpcap does, on every classic pcap fixture.
    #[test]
    fn test_fast_reader_same_frames_as_libpcap_on_fixtures() {
        let mut checked = 0;
        for dir in ["fixtures", "fixtures/public"] {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "pcap") {
                    assert_eq!(by_source(&path), by_libpcap(&path), "{}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 6, "only {checked} pcap fixtures");
    }

    /// Blocks read as `app::threaded` reads them (a new block whenever one is short or
    /// holds `per_block` frames, the unread bytes carried over) give the frames of
    /// `next_frame`, without handing over to libpcap.
    #[test]
    fn test_blocks_carried_over_give_the_same_frames() {
        let lab =
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lab_tcp.pcap"))
                .unwrap();
        let mut bytes = lab.clone();
        let body = lab.get(24..).unwrap();
        for i in 0..400 {
            bytes.extend(body);
            if i % 100 == 0 {
                // A record longer than a block.
                for v in [1u32, 0, 70_000, 70_000] {
                    bytes.extend(v.to_le_bytes());
                }
                bytes.extend(std::iter::repeat_n(i as u8, 70_000));
            }
        }
        bytes.splice(16..20, 262_144u32.to_le_bytes());
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        let (expected, none) = by_libpcap(f.path());
        assert!(none.is_none() && expected.len() > 4000);
        for (room, per_block) in [(65_536, usize::MAX), (4096, 7), (100_000, 500)] {
            let Reading::Blocks(mut blocks) = FileSource::open(f.path()).unwrap().into_reading()
            else {
                panic!("not a plain file")
            };
            let mut block = Block::with_room(room);
            let (mut got, mut in_block) = (Vec::new(), 0);
            loop {
                match blocks.next_in(&mut block).unwrap() {
                    BlockNext::Frame(at) => {
                        let f = at.frame(&block);
                        got.push((f.ts.secs, f.ts.nanos, f.orig_len, f.data.to_vec()));
                        in_block += 1;
                        if in_block == per_block {
                            let mut next = Block::with_room(room);
                            block.carry_to(&mut next, room);
                            (block, in_block) = (next, 0);
                        }
                    }
                    BlockNext::Short => {
                        let mut next = Block::with_room(room);
                        block.carry_to(&mut next, blocks.record_len(&block).max(room));
                        (block, in_block) = (next, 0);
                    }
                    BlockNext::End => break,
                    BlockNext::Unusual => panic!("handed over at frame {}", got.len() + 1),
                }
            }
            assert!(
                got == expected,
                "room {room}, {per_block} per block: {} frames of {}",
                got.len(),
                expected.len()
            );
        }
    }

    /// A record longer than the snapshot length (libpcap cuts it) and a file cut short
    /// in the next record: the fast reader hands over to libpcap at that record.
    #[test]
    fn test_fast_reader_hands_over_at_an_unusual_record() {
        let mut bytes = Vec::new();
        for v in [0xA1B2_C3D4u32, 0x0004_0002, 0, 0, 64, 1] {
            bytes.extend(v.to_le_bytes());
        }
        let record = |len: usize, fill: u8| {
            let mut r = Vec::new();
            for v in [100u32, 5, len as u32, len as u32] {
                r.extend(v.to_le_bytes());
            }
            r.extend(std::iter::repeat_n(fill, len));
            r
        };
        bytes.extend(record(60, 1));
        bytes.extend(record(100, 2));
        bytes.extend(record(60, 3));
        bytes.extend(&record(60, 4)[..30]);
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&bytes).unwrap();
        assert!(matches!(
            FileSource::open(f.path()).unwrap().reader,
            Reader::Fast { .. }
        ));
        let (frames, error) = by_source(f.path());
        assert_eq!((frames.clone(), error.clone()), by_libpcap(f.path()));
        assert_eq!(
            frames.iter().map(|f| f.3.len()).collect::<Vec<_>>(),
            [60, 64, 60]
        );
        assert!(error.is_some_and(|e| e.contains("cut short")));
    }
}
