//! Reading saved captures: .pcap (both byte orders, micro- and nanosecond) and
//! single-link-type .pcapng through libpcap; pcapng with mixed link types through
//! the pure-Rust reader in [`super::pcapng`]. Numbers frames from 1 and reports
//! damage with the frame number and byte offset.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use pcap::{Capture, Offline, Precision};

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
    Libpcap { cap: Capture<Offline>, linktype: u32 },
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
        let own_reader = |path: &Path| PcapNgReader::open(path).map_err(|e| io_error(path, e)).map(Reader::PcapNg);
        let reader = match format {
            // libpcap refuses a pcapng whose interfaces differ in link type or snapshot length.
            Format::PcapNg if mixed_interfaces(path) => own_reader(path)?,
            _ => match Capture::from_file_with_precision(path, Precision::Nano) {
                Ok(cap) => {
                    let linktype = u32::try_from(cap.get_datalink().0).unwrap_or(u32::MAX);
                    Reader::Libpcap { cap, linktype }
                }
                // libpcap refuses some valid pcapng files (e.g. interfaces with different
                // snapshot lengths): read those with our own reader when it can.
                Err(e) if format == Format::PcapNg && pcapng_readable(path) => {
                    let _ = e;
                    own_reader(path)?
                }
                Err(e) => {
                    return Err(SourceError::NotACapture { path: path.to_path_buf(), reason: tidy(&e.to_string()) });
                }
            },
        };
        Ok(Self { path: path.to_path_buf(), format, reader, count: 0, pcap_offset: 24, done: false })
    }

    /// The file's container format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The link type of the first interface (libpcap files have exactly one).
    pub fn linktype(&self) -> Option<u32> {
        match &self.reader {
            Reader::Libpcap { linktype, .. } => Some(*linktype),
            Reader::PcapNg(_) => None,
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
                    Format::PcapNg => Stop::Damage(pcapng::damage_offset(&self.path, self.count).unwrap_or(0), tidy(&e.to_string())),
                },
            },
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
                Err(SourceError::Damaged { path: self.path.clone(), frame: number, offset, reason })
            }
        }
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
        io::ErrorKind::NotFound => SourceError::NotFound { path: path.to_path_buf() },
        _ => SourceError::Unreadable { path: path.to_path_buf(), reason: e.to_string() },
    }
}

/// Checks the magic number before libpcap sees the file, for clear errors.
fn sniff(path: &Path) -> Result<Format, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        return Err(SourceError::IsDirectory { path: path.to_path_buf() });
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
        return Err(SourceError::NotACapture { path: path.to_path_buf(), reason: "the file is empty".into() });
    }
    if got < 4 {
        return Err(SourceError::NotACapture { path: path.to_path_buf(), reason: format!("only {got} bytes long") });
    }
    match u32::from_be_bytes(magic) {
        0x0A0D_0D0A => Ok(Format::PcapNg),
        0xA1B2_C3D4 | 0xD4C3_B2A1 | 0xA1B2_3C4D | 0x4D3C_B2A1 | 0xA1B2_CD34 | 0x34CD_B2A1 => Ok(Format::Pcap),
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
