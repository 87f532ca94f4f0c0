//! Writing captures: classic pcap (nanosecond) or pcapng (chosen by the file
//! extension), with an optional comment per frame in pcapng. Frames are written
//! in full so that the file is valid after every `flush`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Frame;

/// Which file format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    Pcap,
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
    #[error(
        "{}: cannot write the capture: {source}; check the directory exists and is writable",
        crate::text::show_path(path)
    )]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "{}: frame {number} has link type {linktype} but a .pcap file holds one link type ({first}); write .pcapng instead",
        crate::text::show_path(path)
    )]
    MixedLinkTypes {
        path: PathBuf,
        number: u64,
        linktype: u32,
        first: u32,
    },
}

/// Writes frames to a capture file.
pub struct CaptureWriter {
    path: PathBuf,
    out: BufWriter<File>,
    format: OutFormat,
    snaplen: u32,
    /// Link types of the interfaces written so far (pcapng interface ids are indexes).
    interfaces: Vec<u32>,
    /// Frames written.
    pub written: u64,
}

impl CaptureWriter {
    /// Creates `path` (format from its extension).
    pub fn create(path: &Path, snaplen: u32) -> Result<Self, WriteError> {
        let file = File::create(path).map_err(|source| WriteError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut w = CaptureWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, file),
            format: OutFormat::for_path(path),
            snaplen,
            interfaces: Vec::new(),
            written: 0,
        };
        if w.format == OutFormat::PcapNg {
            w.io(|out| {
                // Section Header Block: type, length 28, byte-order magic, version 1.0, section length unknown.
                out.write_all(&0x0A0D_0D0Au32.to_le_bytes())?;
                out.write_all(&28u32.to_le_bytes())?;
                out.write_all(&0x1A2B_3C4Du32.to_le_bytes())?;
                out.write_all(&1u16.to_le_bytes())?;
                out.write_all(&0u16.to_le_bytes())?;
                out.write_all(&(-1i64).to_le_bytes())?;
                out.write_all(&28u32.to_le_bytes())
            })?;
        }
        Ok(w)
    }

    fn io(
        &mut self,
        f: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    ) -> Result<(), WriteError> {
        f(&mut self.out).map_err(|source| WriteError::Io {
            path: self.path.clone(),
            source,
        })
    }

    fn interface(&mut self, frame: &Frame<'_>) -> Result<u32, WriteError> {
        if let Some(i) = self.interfaces.iter().position(|&l| l == frame.linktype) {
            return Ok(u32::try_from(i).unwrap_or(0));
        }
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
                let (linktype, snaplen) = (frame.linktype, self.snaplen);
                self.io(|out| {
                    // pcap header with the nanosecond magic, version 2.4, thiszone 0, sigfigs 0.
                    out.write_all(&0xA1B2_3C4Du32.to_le_bytes())?;
                    out.write_all(&2u16.to_le_bytes())?;
                    out.write_all(&4u16.to_le_bytes())?;
                    out.write_all(&0i32.to_le_bytes())?;
                    out.write_all(&0u32.to_le_bytes())?;
                    out.write_all(&snaplen.to_le_bytes())?;
                    out.write_all(&linktype.to_le_bytes())
                })?;
            }
            (OutFormat::PcapNg, _) => {
                let (linktype, snaplen) = (frame.linktype, self.snaplen);
                self.io(|out| {
                    // Interface Description Block: length 32, link type, snaplen, if_tsresol = 9 (ns), end of options.
                    out.write_all(&1u32.to_le_bytes())?;
                    out.write_all(&32u32.to_le_bytes())?;
                    out.write_all(&u16::try_from(linktype).unwrap_or(u16::MAX).to_le_bytes())?;
                    out.write_all(&0u16.to_le_bytes())?;
                    out.write_all(&snaplen.to_le_bytes())?;
                    out.write_all(&9u16.to_le_bytes())?;
                    out.write_all(&1u16.to_le_bytes())?;
                    out.write_all(&[9, 0, 0, 0])?;
                    out.write_all(&[0, 0, 0, 0])?;
                    out.write_all(&32u32.to_le_bytes())
                })?;
            }
        }
        self.interfaces.push(frame.linktype);
        Ok(u32::try_from(self.interfaces.len() - 1).unwrap_or(0))
    }

    /// Appends one frame; `comment` is stored as a pcapng packet comment (ignored for pcap).
    pub fn write(&mut self, frame: &Frame<'_>, comment: Option<&str>) -> Result<(), WriteError> {
        let iface = self.interface(frame)?;
        let caplen = u32::try_from(frame.data.len()).unwrap_or(u32::MAX);
        let data = frame.data;
        let secs = u64::try_from(frame.ts.secs).unwrap_or(0);
        match self.format {
            OutFormat::Pcap => self.io(|out| {
                out.write_all(&u32::try_from(secs).unwrap_or(u32::MAX).to_le_bytes())?;
                out.write_all(&frame.ts.nanos.to_le_bytes())?;
                out.write_all(&caplen.to_le_bytes())?;
                out.write_all(&frame.orig_len.to_le_bytes())?;
                out.write_all(data)
            })?,
            OutFormat::PcapNg => {
                let ts = secs
                    .saturating_mul(1_000_000_000)
                    .saturating_add(u64::from(frame.ts.nanos));
                let pad = |n: usize| (4 - n % 4) % 4;
                let comment = comment.filter(|c| !c.is_empty() && c.len() < 60_000);
                let opt_len = comment.map_or(0, |c| 4 + c.len() + pad(c.len()) + 4);
                let total = 32 + data.len() + pad(data.len()) + opt_len;
                let total32 = u32::try_from(total).unwrap_or(u32::MAX);
                self.io(|out| {
                    out.write_all(&6u32.to_le_bytes())?;
                    out.write_all(&total32.to_le_bytes())?;
                    out.write_all(&iface.to_le_bytes())?;
                    out.write_all(&((ts >> 32) as u32).to_le_bytes())?;
                    out.write_all(&(ts as u32).to_le_bytes())?;
                    out.write_all(&caplen.to_le_bytes())?;
                    out.write_all(&frame.orig_len.to_le_bytes())?;
                    out.write_all(data)?;
                    out.write_all(&[0u8; 3][..pad(data.len())])?;
                    if let Some(c) = comment {
                        out.write_all(&1u16.to_le_bytes())?;
                        out.write_all(&u16::try_from(c.len()).unwrap_or(0).to_le_bytes())?;
                        out.write_all(c.as_bytes())?;
                        out.write_all(&[0u8; 3][..pad(c.len())])?;
                        out.write_all(&[0u8; 4])?;
                    }
                    out.write_all(&total32.to_le_bytes())
                })?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Writes everything buffered to the file. With no frame written, a pcap file still gets its header.
    pub fn flush(&mut self) -> Result<(), WriteError> {
        self.out.flush().map_err(|source| WriteError::Io {
            path: self.path.clone(),
            source,
        })
    }

    /// Ensures a header exists even when no frame arrived (an empty but valid capture).
    pub fn ensure_header(&mut self, linktype: u32) -> Result<(), WriteError> {
        if self.interfaces.is_empty() {
            let f = Frame {
                number: 0,
                ts: super::Timestamp::default(),
                linktype,
                orig_len: 0,
                data: &[],
            };
            self.interface(&f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileSource, Timestamp};

    fn roundtrip(name: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let mut w = CaptureWriter::create(&path, 262_144).unwrap();
        let data = [1u8, 2, 3, 4, 5];
        let f = Frame {
            number: 1,
            ts: Timestamp {
                secs: 1_700_000_000,
                nanos: 123_456_789,
            },
            linktype: 1,
            orig_len: 60,
            data: &data,
        };
        w.write(&f, Some("a note")).unwrap();
        w.flush().unwrap();
        drop(w);
        let mut r = FileSource::open(&path).unwrap();
        let g = r.next_frame().unwrap().unwrap();
        assert_eq!(g.data, &data);
        assert_eq!(g.ts, f.ts);
        assert_eq!(g.orig_len, 60);
        assert_eq!(g.linktype, 1);
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn test_pcap_roundtrip() {
        roundtrip("x.pcap");
    }

    #[test]
    fn test_pcapng_roundtrip_with_comment() {
        roundtrip("x.pcapng");
    }
}
