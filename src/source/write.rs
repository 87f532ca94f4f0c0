//! Writing captures: classic pcap or pcapng (chosen by the file extension), at the time
//! precision asked for (a saved file keeps its input's). pcapng keeps each frame's comments
//! and can add a note per frame as one more, and ends, when asked, with an Interface
//! Statistics Block ([`CaptureWriter::write_statistics`]) as dumpcap does.
//!
//! Records are gathered whole in a buffer and written whole, so that the file on disk is a
//! valid capture after every write: killed at any moment, it holds every frame written
//! before the last flush. A live writer ([`CaptureWriter::flush_within`]) flushes itself at
//! least that often while frames arrive.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Frame, InterfaceStatistics, LinkType, Precision, Timestamp};

/// Which file format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    /// Classic pcap.
    Pcap,
    /// pcapng.
    PcapNg,
}

impl OutFormat {
    /// pcapng for `*.pcapng`, pcap otherwise.
    pub fn for_path(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("pcapng") => OutFormat::PcapNg,
            _ => OutFormat::Pcap,
        }
    }
}

/// Errors while writing a capture.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file cannot be created or written.
    #[error(
        "{}: cannot write the capture: {source}; check the directory exists and is writable",
        crate::text::show_path(path)
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A classic pcap file holds one link type.
    #[error(
        "{}: frame {number} has link type {linktype} but a .pcap file holds one link type ({first}); write .pcapng instead",
        crate::text::show_path(path)
    )]
    MixedLinkTypes {
        /// The file.
        path: PathBuf,
        /// The frame that differs.
        number: u64,
        /// Its link type.
        linktype: LinkType,
        /// The file's link type.
        first: LinkType,
    },
}

/// Bytes gathered before they are written.
const BUFFER: usize = 64 * 1024;

/// Writes frames to a capture file.
pub struct CaptureWriter {
    path: PathBuf,
    file: File,
    /// Whole records not written yet.
    buf: Vec<u8>,
    format: OutFormat,
    snaplen: u32,
    precision: Precision,
    /// Link types of the interfaces written so far (pcapng interface ids are indexes).
    interfaces: Vec<LinkType>,
    /// Frames written.
    pub written: u64,
    /// Longest a frame may wait in the buffer (live captures).
    flush_within: Option<Duration>,
    last_flush: Instant,
}

impl std::fmt::Debug for CaptureWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureWriter")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl CaptureWriter {
    /// Creates `path` (format from its extension), with times at `precision`.
    pub fn create(path: &Path, snaplen: u32, precision: Precision) -> Result<Self, WriteError> {
        Self::create_with_comments(path, snaplen, precision, &[])
    }

    /// [`CaptureWriter::create`], and in pcapng `comments` as the section's comments (the
    /// file's own, shown by Wireshark's Capture File Properties; classic pcap has no room
    /// for them, and a comment over 65,535 bytes is left out).
    pub fn create_with_comments(
        path: &Path,
        snaplen: u32,
        precision: Precision,
        comments: &[String],
    ) -> Result<Self, WriteError> {
        let file = File::create(path).map_err(|source| WriteError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut w = CaptureWriter {
            path: path.to_path_buf(),
            file,
            buf: Vec::with_capacity(BUFFER + 512),
            format: OutFormat::for_path(path),
            snaplen,
            precision,
            interfaces: Vec::new(),
            written: 0,
            flush_within: None,
            last_flush: Instant::now(),
        };
        if w.format == OutFormat::PcapNg {
            // Section Header Block: type, length, byte-order magic, version 1.0, section
            // length unknown, then the comments (opt_comment each, opt_endofopt) if any.
            let comments = comments.iter().map(String::as_bytes).filter(fits_option);
            let opt_len = comment_options_len(comments.clone());
            let len = u32::try_from(28 + opt_len).unwrap_or(u32::MAX);
            let b = &mut w.buf;
            put32(b, 0x0A0D_0D0A);
            put32(b, len);
            put32(b, 0x1A2B_3C4D);
            put16(b, 1);
            put16(b, 0);
            b.extend_from_slice(&(-1i64).to_le_bytes());
            put_comment_options(b, comments);
            put32(b, len);
        }
        Ok(w)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the writer flush itself whenever a frame has waited `within` (live captures:
    /// a capture killed at any moment keeps what arrived until then).
    pub fn flush_within(&mut self, within: Duration) {
        self.flush_within = Some(within);
    }

    fn interface(&mut self, frame: &Frame<'_>) -> Result<u32, WriteError> {
        if let Some(i) = self.interfaces.iter().position(|&l| l == frame.linktype) {
            return Ok(u32::try_from(i).unwrap_or(0));
        }
        let (linktype, snaplen) = (frame.linktype, self.snaplen);
        let b = &mut self.buf;
        match (self.format, self.interfaces.first()) {
            (OutFormat::Pcap, Some(&first)) => {
                return Err(WriteError::MixedLinkTypes {
                    path: self.path.clone(),
                    number: frame.number,
                    linktype: frame.linktype,
                    first,
                });
            }
            (OutFormat::Pcap, None) => {
                // The magic tells the precision; version 2.4, thiszone 0, sigfigs 0.
                put32(
                    b,
                    match self.precision {
                        Precision::Micro => 0xA1B2_C3D4,
                        Precision::Nano => 0xA1B2_3C4D,
                    },
                );
                put16(b, 2);
                put16(b, 4);
                put32(b, 0);
                put32(b, 0);
                put32(b, snaplen);
                put32(b, linktype.0);
            }
            (OutFormat::PcapNg, _) => {
                // Interface Description Block: length 32, link type, snaplen, if_tsresol, end of options.
                put32(b, 1);
                put32(b, 32);
                put16(b, u16::try_from(linktype.0).unwrap_or(u16::MAX));
                put16(b, 0);
                put32(b, snaplen);
                put16(b, 9);
                put16(b, 1);
                let resol = match self.precision {
                    Precision::Micro => 6,
                    Precision::Nano => 9,
                };
                b.extend_from_slice(&[resol, 0, 0, 0, 0, 0, 0, 0]);
                put32(b, 32);
            }
        }
        self.interfaces.push(frame.linktype);
        Ok(u32::try_from(self.interfaces.len() - 1).unwrap_or(0))
    }

    /// Appends one frame. In pcapng its own comments are kept, and `note` (when given) is
    /// stored as one more packet comment; classic pcap has no room for either.
    pub fn write(&mut self, frame: &Frame<'_>, note: Option<&str>) -> Result<(), WriteError> {
        let iface = self.interface(frame)?;
        let caplen = u32::try_from(frame.data.len()).unwrap_or(u32::MAX);
        let data = frame.data;
        let ts = frame.ts.or_zero();
        let frac = match self.precision {
            Precision::Micro => u64::from(ts.nanos / 1000),
            Precision::Nano => u64::from(ts.nanos),
        };
        let units = self.units(ts);
        let b = &mut self.buf;
        match self.format {
            OutFormat::Pcap => {
                let secs =
                    i32::try_from(ts.secs).unwrap_or(if ts.secs < 0 { i32::MIN } else { i32::MAX });
                b.extend_from_slice(&secs.to_le_bytes());
                put32(b, u32::try_from(frac).unwrap_or(u32::MAX));
                put32(b, caplen);
                put32(b, frame.orig_len);
                b.extend_from_slice(data);
            }
            OutFormat::PcapNg => {
                let comments = frame
                    .comments
                    .iter()
                    .chain(note.map(str::as_bytes))
                    .filter(fits_option);
                let opt_len = comment_options_len(comments.clone());
                let total = 32 + padded(data.len()) + opt_len;
                let total = u32::try_from(total).unwrap_or(u32::MAX);
                put32(b, 6);
                put32(b, total);
                put32(b, iface);
                put32(b, (units >> 32) as u32);
                put32(b, units as u32);
                put32(b, caplen);
                put32(b, frame.orig_len);
                b.extend_from_slice(data);
                pad(b);
                put_comment_options(b, comments);
                put32(b, total);
            }
        }
        self.written += 1;
        let due = self
            .flush_within
            .is_some_and(|within| self.last_flush.elapsed() >= within);
        if self.buf.len() >= BUFFER || due {
            self.flush()?;
        }
        Ok(())
    }

    /// A time in this file's units (microseconds or nanoseconds since the epoch; 0 before it).
    fn units(&self, ts: Timestamp) -> u64 {
        let (per_sec, frac) = match self.precision {
            Precision::Micro => (1_000_000u64, u64::from(ts.nanos / 1000)),
            Precision::Nano => (1_000_000_000, u64::from(ts.nanos)),
        };
        let secs = u64::try_from(ts.secs).unwrap_or(0);
        secs.saturating_mul(per_sec).saturating_add(frac)
    }

    /// Ends a pcapng file as dumpcap does: an Interface Statistics Block for the interface
    /// of `stats.linktype` (described first if no frame of it was written), with the
    /// times, counts and comments given, written to the file at once (with the frames
    /// before it). Classic pcap has no room for it: only the frames are written. Frames may still follow (the block is valid
    /// anywhere after its interface).
    pub fn write_statistics(&mut self, stats: &InterfaceStatistics) -> Result<(), WriteError> {
        if self.format != OutFormat::PcapNg {
            return self.flush();
        }
        let interface = Frame {
            number: self.written + 1,
            ts: stats.ts,
            linktype: stats.linktype,
            orig_len: 0,
            data: &[],
            comments: super::Comments::NONE,
        };
        let iface = self.interface(&interface)?;
        let times =
            [(2u16, stats.start), (3, stats.end)].map(|(c, t)| (c, t.map(|t| self.units(t))));
        let counts = [(4u16, stats.received), (5, stats.dropped)];
        let comments = stats
            .comments
            .iter()
            .map(String::as_bytes)
            .filter(fits_option);
        let fixed = times
            .iter()
            .chain(&counts)
            .filter(|(_, v)| v.is_some())
            .count()
            * 12;
        let mut opt_len = comment_options_len(comments.clone());
        if fixed > 0 {
            // The end of options is counted once, with the comments' or alone.
            opt_len = if opt_len == 0 {
                fixed + 4
            } else {
                opt_len + fixed
            };
        }
        let total = u32::try_from(24 + opt_len).unwrap_or(u32::MAX);
        let ts = self.units(stats.ts.or_zero());
        let b = &mut self.buf;
        put32(b, 5);
        put32(b, total);
        put32(b, iface);
        put32(b, (ts >> 32) as u32);
        put32(b, ts as u32);
        for (code, units) in times {
            if let Some(u) = units {
                put16(b, code);
                put16(b, 8);
                put32(b, (u >> 32) as u32);
                put32(b, u as u32);
            }
        }
        for (code, count) in counts {
            if let Some(n) = count {
                put16(b, code);
                put16(b, 8);
                b.extend_from_slice(&n.to_le_bytes());
            }
        }
        let any_comment = comment_options_len(comments.clone()) > 0;
        put_comment_options(b, comments);
        if fixed > 0 && !any_comment {
            put32(b, 0);
        }
        put32(b, total);
        self.flush()
    }

    /// Writes every whole record gathered to the file.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.last_flush = Instant::now();
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = self.file.write_all(&self.buf);
        self.buf.clear();
        result.map_err(|source| WriteError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Ensures a header exists even when no frame arrived (an empty but valid capture).
    pub fn ensure_header(&mut self, linktype: LinkType) -> Result<(), WriteError> {
        if self.interfaces.is_empty() {
            let f = Frame {
                number: 0,
                ts: super::Timestamp::default(),
                linktype,
                orig_len: 0,
                data: &[],
                comments: super::Comments::NONE,
            };
            self.interface(&f)?;
        }
        Ok(())
    }
}

impl Drop for CaptureWriter {
    fn drop(&mut self) {
        // Errors were reported by the last explicit flush, if the caller made one.
        let _ = self.flush();
    }
}

/// A comment that fits a pcapng option (not empty, at most 65,535 bytes).
fn fits_option(c: &&[u8]) -> bool {
    !c.is_empty() && c.len() <= usize::from(u16::MAX)
}

/// Bytes of `comments` as pcapng options (opt_comment each, then opt_endofopt), 0 for none.
fn comment_options_len<'a>(comments: impl Iterator<Item = &'a [u8]>) -> usize {
    let len: usize = comments.map(|c| 4 + padded(c.len())).sum();
    if len > 0 { len + 4 } else { 0 }
}

/// Writes `comments` as pcapng options (nothing for none), as [`comment_options_len`] counts.
fn put_comment_options<'a>(b: &mut Vec<u8>, comments: impl Iterator<Item = &'a [u8]>) {
    let mut any = false;
    for c in comments {
        put16(b, 1);
        put16(b, u16::try_from(c.len()).unwrap_or(0));
        b.extend_from_slice(c);
        pad(b);
        any = true;
    }
    if any {
        put32(b, 0);
    }
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// `n` rounded up to a multiple of 4.
fn padded(n: usize) -> usize {
    (n + 3) & !3
}

/// Pads the buffer to a multiple of 4 (every pcapng block starts at such an offset in it).
fn pad(b: &mut Vec<u8>) {
    b.resize(padded(b.len()), 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Comments, FileSource, Timestamp};

    fn frame<'a>(data: &'a [u8], comments: Comments<'a>) -> Frame<'a> {
        Frame {
            number: 1,
            ts: Timestamp {
                secs: 1_700_000_000,
                nanos: 123_456_789,
            },
            linktype: LinkType::ETHERNET,
            orig_len: 60,
            data,
            comments,
        }
    }

    fn roundtrip(name: &str, precision: Precision) -> (Vec<u8>, Timestamp, Vec<Vec<u8>>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let mut w = CaptureWriter::create(&path, 262_144, precision).unwrap();
        let mut options = Vec::new();
        options.extend([1, 0, 4, 0]);
        options.extend(b"kept");
        options.extend([0, 0, 0, 0]);
        let data = [1u8, 2, 3, 4, 5];
        w.write(
            &frame(&data, Comments::in_options(&options, false)),
            Some("a note"),
        )
        .unwrap();
        w.flush().unwrap();
        drop(w);
        let mut r = FileSource::open(&path).unwrap();
        assert_eq!(r.precision(), precision);
        let g = r.next_frame().unwrap().unwrap();
        assert_eq!((g.orig_len, g.linktype), (60, LinkType::ETHERNET));
        let out = (
            g.data.to_vec(),
            g.ts,
            g.comments.iter().map(<[u8]>::to_vec).collect(),
        );
        assert!(r.next_frame().unwrap().is_none());
        out
    }

    #[test]
    fn test_pcap_roundtrip() {
        let (data, ts, comments) = roundtrip("x.pcap", Precision::Nano);
        assert_eq!((data, ts.nanos), (vec![1, 2, 3, 4, 5], 123_456_789));
        assert!(comments.is_empty());
    }

    #[test]
    fn test_microsecond_pcap_stays_microsecond() {
        let (_, ts, _) = roundtrip("x.pcap", Precision::Micro);
        assert_eq!((ts.secs, ts.nanos), (1_700_000_000, 123_456_000));
        let (_, ts, _) = roundtrip("x.pcapng", Precision::Micro);
        assert_eq!(ts.nanos, 123_456_000);
    }

    #[test]
    fn test_pcapng_keeps_comments_and_adds_the_note() {
        let (data, ts, comments) = roundtrip("x.pcapng", Precision::Nano);
        assert_eq!((data, ts.nanos), (vec![1, 2, 3, 4, 5], 123_456_789));
        assert_eq!(comments, [b"kept".to_vec(), b"a note".to_vec()]);
    }

    #[test]
    fn test_pcapng_section_comment_read_back_before_the_first_frame() {
        let dir = tempfile::tempdir().unwrap();
        let c = |s: &[&str]| s.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        for (name, comments, want) in [
            (
                "a.pcapng",
                c(&["wirelab lab\nodd: 3", "2"]),
                c(&["wirelab lab\nodd: 3", "2"]),
            ),
            ("b.pcapng", c(&[]), c(&[])),
            ("c.pcap", c(&["no room in pcap"]), c(&[])),
        ] {
            let path = dir.path().join(name);
            let mut w =
                CaptureWriter::create_with_comments(&path, 65_535, Precision::Nano, &comments)
                    .unwrap();
            w.write(&frame(&[1, 2, 3], Comments::NONE), None).unwrap();
            w.flush().unwrap();
            drop(w);
            let mut r = FileSource::open(&path).unwrap();
            assert_eq!(r.section_comments(), want.as_slice(), "{name}");
            assert_eq!(
                r.next_frame().unwrap().map(|f| f.data.to_vec()),
                Some(vec![1, 2, 3])
            );
        }
    }

    /// Statistics written after the frames read back as written (pcapng, at the file's
    /// precision), also for an interface no frame used; classic pcap has none.
    #[test]
    fn test_statistics_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let at = |secs, nanos| Timestamp { secs, nanos };
        let stats = |linktype, comments: &[&str]| InterfaceStatistics {
            linktype,
            ts: at(1_700_000_002, 987_654_321),
            start: Some(at(1_700_000_000, 1)),
            end: Some(at(1_700_000_002, 987_654_321)),
            received: Some(12),
            dropped: Some(u64::MAX),
            comments: comments.iter().map(|c| c.to_string()).collect(),
        };
        let first = stats(
            LinkType::ETHERNET,
            &["wirelab lab: interrupted after 1 frames"],
        );
        let mut bare = stats(LinkType(101), &[]);
        (bare.start, bare.received) = (None, None);
        for (name, precision, want) in [
            (
                "n.pcapng",
                Precision::Nano,
                vec![first.clone(), bare.clone()],
            ),
            ("m.pcapng", Precision::Micro, {
                let mut a = first.clone();
                let mut b = bare.clone();
                for t in [
                    &mut a.ts,
                    &mut b.ts,
                    a.end.as_mut().unwrap(),
                    b.end.as_mut().unwrap(),
                ] {
                    t.nanos = 987_654_000;
                }
                a.start = Some(at(1_700_000_000, 0));
                vec![a, b]
            }),
            ("p.pcap", Precision::Nano, vec![]),
        ] {
            let path = dir.path().join(name);
            let mut w = CaptureWriter::create(&path, 65_535, precision).unwrap();
            w.write(&frame(&[1, 2, 3], Comments::NONE), None).unwrap();
            w.write_statistics(&first).unwrap();
            w.write_statistics(&bare).unwrap();
            // Not dropped: the statistics are on disk at once.
            let mut r = FileSource::open(&path).unwrap();
            assert!(r.next_frame().unwrap().is_some(), "{name}");
            assert!(r.next_frame().unwrap().is_none(), "{name}");
            assert_eq!(r.statistics(), want.as_slice(), "{name}");
            drop(w);
        }
    }

    #[test]
    fn test_live_writer_leaves_a_valid_file_after_each_due_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.pcap");
        let mut w = CaptureWriter::create(&path, 262_144, Precision::Nano).unwrap();
        w.flush_within(Duration::ZERO);
        for _ in 0..3 {
            w.write(&frame(&[7; 40], Comments::NONE), None).unwrap();
        }
        // Not dropped: what is on disk is what a killed capture leaves.
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk.len(), 24 + 3 * (16 + 40));
        let mut r = FileSource::open(&path).unwrap();
        let mut n = 0;
        while r.next_frame().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
        drop(w);
    }
}
