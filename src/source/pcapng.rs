//! A small pure-Rust pcapng reader, used where libpcap cannot go: files whose
//! interfaces have different link types, and finding the byte offset of damage.
//! Reads Section Header, Interface Description, Enhanced, Simple and obsolete
//! Packet blocks; skips every other block. Never panics on file contents.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use super::{Frame, Timestamp};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const PB: u32 = 0x0000_0002;
const SPB: u32 = 0x0000_0003;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// Larger blocks are treated as damage rather than allocated.
const MAX_BLOCK: u32 = 256 * 1024 * 1024;

/// One interface of the current section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    /// Timestamp units per second (from `if_tsresol`, default 10^6).
    units_per_sec: u64,
    /// Seconds to add to every timestamp (`if_tsoffset`).
    offset_secs: i64,
}

/// Where a file stops making sense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the block that could not be read.
    pub offset: u64,
    /// Why.
    pub reason: String,
}

/// Reads packet records from a pcapng file, block by block.
pub struct PcapNgReader<R> {
    input: R,
    big_endian: bool,
    interfaces: Vec<Interface>,
    buf: Vec<u8>,
    offset: u64,
    seen_shb: bool,
}

/// What one packet block holds (`data` is a range of the reader's buffer).
struct Record {
    interface: u32,
    /// False for Simple Packet Blocks, which carry no timestamp.
    has_ts: bool,
    ts_units: u64,
    orig_len: u32,
    start: usize,
    end: usize,
}

impl PcapNgReader<BufReader<File>> {
    /// Opens a file for reading.
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Self::new(BufReader::with_capacity(
            1 << 16,
            File::open(path)?,
        )))
    }
}

impl<R: Read> PcapNgReader<R> {
    /// Wraps a reader positioned at the start of a pcapng stream.
    pub fn new(input: R) -> Self {
        Self {
            input,
            big_endian: false,
            interfaces: Vec::new(),
            buf: Vec::new(),
            offset: 0,
            seen_shb: false,
        }
    }

    /// Byte offset of the next block.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.buf.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    /// Reads the next block into `buf` (whole block, header included). Returns its type,
    /// or `None` at a clean end of file.
    fn read_block(&mut self) -> Result<Option<u32>, Damage> {
        let at = self.offset;
        let damage = |reason: String| Damage { offset: at, reason };
        let mut head = [0u8; 8];
        let got = read_full(&mut self.input, &mut head).map_err(|e| damage(e.to_string()))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 8 {
            return Err(damage(format!("block header cut short: {got} of 8 bytes")));
        }
        let raw_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let mut len_bytes = [head[4], head[5], head[6], head[7]];
        if raw_type == SHB {
            // The byte order of the section is in the byte-order magic after the length.
            let mut magic = [0u8; 4];
            let got = read_full(&mut self.input, &mut magic).map_err(|e| damage(e.to_string()))?;
            if got < 4 {
                return Err(damage("section header cut short".into()));
            }
            self.big_endian = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
                (BYTE_ORDER_MAGIC, _) => false,
                (_, BYTE_ORDER_MAGIC) => true,
                _ => {
                    return Err(damage(
                        "section header with an unknown byte-order magic".into(),
                    ));
                }
            };
            let len = self.endian_u32(len_bytes);
            self.fill_block(at, head, Some(magic), len)?;
            self.seen_shb = true;
            self.interfaces.clear();
            return Ok(Some(SHB));
        }
        if !self.seen_shb {
            return Err(damage(
                "the file does not start with a pcapng section header".into(),
            ));
        }
        let block_type = self.endian_u32([head[0], head[1], head[2], head[3]]);
        let len = self.endian_u32(std::mem::take(&mut len_bytes));
        self.fill_block(at, head, None, len)?;
        Ok(Some(block_type))
    }

    fn endian_u32(&self, b: [u8; 4]) -> u32 {
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn fill_block(
        &mut self,
        at: u64,
        head: [u8; 8],
        extra: Option<[u8; 4]>,
        len: u32,
    ) -> Result<(), Damage> {
        let damage = |reason: String| Damage { offset: at, reason };
        if len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK {
            return Err(damage(format!("impossible block length {len}")));
        }
        let len_usize = usize::try_from(len).map_err(|_| damage("block too large".into()))?;
        self.buf.clear();
        self.buf.extend_from_slice(&head);
        if let Some(m) = extra {
            self.buf.extend_from_slice(&m);
        }
        let have = self.buf.len();
        self.buf.resize(len_usize, 0);
        let got = read_full(
            &mut self.input,
            self.buf.get_mut(have..).unwrap_or_default(),
        )
        .map_err(|e| damage(e.to_string()))?;
        if have + got < len_usize {
            return Err(damage(format!(
                "block cut short: {} of {len} bytes",
                have + got
            )));
        }
        let trailer = self.u32_at(len_usize - 4).unwrap_or(0);
        if trailer != len {
            return Err(damage(format!(
                "block length {len} does not match its trailer {trailer}"
            )));
        }
        self.offset = at + u64::from(len);
        Ok(())
    }

    /// Reads blocks until the next packet record; `None` at a clean end of file.
    fn next_record(&mut self) -> Result<Option<Record>, Damage> {
        loop {
            let at = self.offset;
            let Some(block_type) = self.read_block()? else {
                return Ok(None);
            };
            let damage = |reason: &str| Damage {
                offset: at,
                reason: reason.to_string(),
            };
            let end = self.buf.len().saturating_sub(4);
            match block_type {
                IDB => {
                    let linktype = self
                        .u16_at(8)
                        .ok_or_else(|| damage("interface block cut short"))?;
                    let mut iface = Interface {
                        linktype: u32::from(linktype),
                        units_per_sec: 1_000_000,
                        offset_secs: 0,
                    };
                    self.read_idb_options(16, end, &mut iface);
                    self.interfaces.push(iface);
                }
                EPB | PB => {
                    let (interface, ts_hi, ts_lo, caplen, orig_len) = if block_type == EPB {
                        (
                            self.u32_at(8),
                            self.u32_at(12),
                            self.u32_at(16),
                            self.u32_at(20),
                            self.u32_at(24),
                        )
                    } else {
                        (
                            self.u16_at(8).map(u32::from),
                            self.u32_at(12),
                            self.u32_at(16),
                            self.u32_at(20),
                            self.u32_at(24),
                        )
                    };
                    let (Some(interface), Some(hi), Some(lo), Some(caplen), Some(orig_len)) =
                        (interface, ts_hi, ts_lo, caplen, orig_len)
                    else {
                        return Err(damage("packet block cut short"));
                    };
                    let start = 28usize;
                    let data_end = usize::try_from(caplen)
                        .ok()
                        .and_then(|c| start.checked_add(c));
                    let Some(data_end) = data_end.filter(|&e| e <= end) else {
                        return Err(damage("captured length runs past the end of its block"));
                    };
                    return Ok(Some(Record {
                        interface,
                        has_ts: true,
                        ts_units: (u64::from(hi) << 32) | u64::from(lo),
                        orig_len,
                        start,
                        end: data_end,
                    }));
                }
                SPB => {
                    let orig_len = self
                        .u32_at(8)
                        .ok_or_else(|| damage("simple packet block cut short"))?;
                    let snap = self
                        .interfaces
                        .first()
                        .map(|_| end.saturating_sub(12))
                        .unwrap_or(0);
                    let caplen = usize::try_from(orig_len).unwrap_or(usize::MAX).min(snap);
                    return Ok(Some(Record {
                        interface: 0,
                        has_ts: false,
                        ts_units: 0,
                        orig_len,
                        start: 12,
                        end: 12 + caplen,
                    }));
                }
                _ => {} // statistics, name resolution, custom, decryption secrets...: not frames
            }
        }
    }

    fn read_idb_options(&self, mut at: usize, end: usize, iface: &mut Interface) {
        while at + 4 <= end {
            let (Some(code), Some(len)) = (self.u16_at(at), self.u16_at(at + 2)) else {
                return;
            };
            let value = at + 4;
            let padded = (usize::from(len) + 3) & !3;
            match (code, self.buf.get(value..value + usize::from(len))) {
                (0, _) => return,
                (9, Some(&[v])) => {
                    let units = if v & 0x80 == 0 {
                        10u64.checked_pow(u32::from(v))
                    } else {
                        2u64.checked_pow(u32::from(v & 0x7f))
                    };
                    if let Some(u) = units.filter(|&u| u > 0) {
                        iface.units_per_sec = u;
                    }
                }
                (14, Some(b)) if b.len() == 8 => {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    iface.offset_secs = if self.big_endian {
                        i64::from_be_bytes(a)
                    } else {
                        i64::from_le_bytes(a)
                    };
                }
                _ => {}
            }
            at = value + padded;
        }
    }

    /// The next frame, numbered `number`; `None` at a clean end of file.
    pub fn next_frame(&mut self, number: u64) -> Result<Option<Frame<'_>>, Damage> {
        let at = self.offset;
        let Some(rec) = self.next_record()? else {
            return Ok(None);
        };
        let Some(iface) = usize::try_from(rec.interface)
            .ok()
            .and_then(|i| self.interfaces.get(i))
            .copied()
        else {
            return Err(Damage {
                offset: at,
                reason: format!(
                    "packet names interface {} that was never described",
                    rec.interface
                ),
            });
        };
        let per = iface.units_per_sec;
        let secs = i64::try_from(rec.ts_units / per)
            .unwrap_or(i64::MAX)
            .saturating_add(iface.offset_secs);
        let nanos = u32::try_from(u128::from(rec.ts_units % per) * 1_000_000_000 / u128::from(per))
            .unwrap_or(0);
        let data = self.buf.get(rec.start..rec.end).unwrap_or_default();
        let ts = if rec.has_ts {
            Timestamp { secs, nanos }
        } else {
            Timestamp::ABSENT
        };
        Ok(Some(Frame {
            number,
            ts,
            linktype: iface.linktype,
            orig_len: rec.orig_len,
            data,
        }))
    }

    /// Every distinct (link type, snapshot length) of the interfaces described in the file,
    /// reading only block headers and interface blocks (packet bodies are skipped).
    pub fn interface_kinds(mut self) -> Result<Scan, Damage>
    where
        R: Seek,
    {
        let mut types = Vec::new();
        let mut simple_packets = false;
        loop {
            let at = self.offset;
            let mut head = [0u8; 8];
            let got = read_full(&mut self.input, &mut head).map_err(|e| Damage {
                offset: at,
                reason: e.to_string(),
            })?;
            if got == 0 {
                return Ok(Scan {
                    kinds: types,
                    simple_packets,
                });
            }
            if got < 8 {
                return Ok(Scan {
                    kinds: types,
                    simple_packets,
                }); // damage is reported when the frames are read
            }
            let raw_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            if raw_type == SHB || raw_type == IDB.swap_bytes() || raw_type == IDB {
                // Go through the full reader for blocks that matter.
                let mut magic = [0u8; 4];
                if raw_type == SHB {
                    if read_full(&mut self.input, &mut magic).unwrap_or(0) < 4 {
                        return Ok(Scan {
                            kinds: types,
                            simple_packets,
                        });
                    }
                    self.big_endian = u32::from_be_bytes(magic) == BYTE_ORDER_MAGIC;
                    self.seen_shb = true;
                }
                let len = self.endian_u32([head[4], head[5], head[6], head[7]]);
                let extra = (raw_type == SHB).then_some(magic);
                if self.fill_block(at, head, extra, len).is_err() {
                    return Ok(Scan {
                        kinds: types,
                        simple_packets,
                    });
                }
                if raw_type != SHB
                    && let (Some(lt), Some(snap)) = (self.u16_at(8), self.u32_at(12))
                {
                    let kind = (u32::from(lt), snap);
                    if !types.contains(&kind) {
                        types.push(kind);
                    }
                }
            } else {
                simple_packets |= self.endian_u32([head[0], head[1], head[2], head[3]]) == SPB;
                let len = self.endian_u32([head[4], head[5], head[6], head[7]]);
                if len < 12 || !len.is_multiple_of(4) {
                    return Ok(Scan {
                        kinds: types,
                        simple_packets,
                    });
                }
                if self.input.seek_relative(i64::from(len) - 8).is_err() {
                    return Ok(Scan {
                        kinds: types,
                        simple_packets,
                    });
                }
                self.offset = at + u64::from(len);
            }
        }
    }
}

/// What a quick scan of a pcapng file found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Every distinct (link type, snapshot length) of its interfaces.
    pub kinds: Vec<(u32, u32)>,
    /// It holds Simple Packet Blocks (frames without a timestamp).
    pub simple_packets: bool,
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Byte offset of the damage in a pcapng file whose first `good` packets read well:
/// the first block after them that cannot be read, or the end of the file.
pub fn damage_offset(path: &Path, good: u64) -> Option<u64> {
    let mut r = PcapNgReader::open(path).ok()?;
    let mut n = 0u64;
    loop {
        let at = r.offset();
        match r.next_frame(n + 1) {
            Ok(Some(_)) if n < good => n += 1,
            Ok(Some(_)) => return Some(at),
            Ok(None) => return Some(at),
            Err(d) => return Some(d.offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian section with one Ethernet interface at nanosecond resolution and one packet.
    fn sample() -> Vec<u8> {
        let mut v = Vec::new();
        // SHB: type, len 28, magic, version 1.0, section length -1, len
        v.extend_from_slice(&SHB.to_le_bytes());
        v.extend_from_slice(&28u32.to_le_bytes());
        v.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(&(-1i64).to_le_bytes());
        v.extend_from_slice(&28u32.to_le_bytes());
        // IDB: type 1, len 32, linktype 1, reserved, snaplen, option if_tsresol=9, end, len
        v.extend_from_slice(&IDB.to_le_bytes());
        v.extend_from_slice(&32u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&9u16.to_le_bytes()); // if_tsresol
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&[9, 0, 0, 0]); // 10^-9, padded
        v.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        v.extend_from_slice(&32u32.to_le_bytes());
        // EPB: type 6, len 36, iface 0, ts 1.5 s in ns, caplen 3, origlen 60, data + pad, len
        let ts: u64 = 1_500_000_000;
        v.extend_from_slice(&EPB.to_le_bytes());
        v.extend_from_slice(&36u32.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        v.extend_from_slice(&(ts as u32).to_le_bytes());
        v.extend_from_slice(&3u32.to_le_bytes());
        v.extend_from_slice(&60u32.to_le_bytes());
        v.extend_from_slice(&[0xaa, 0xbb, 0xcc, 0]);
        v.extend_from_slice(&36u32.to_le_bytes());
        v
    }

    #[test]
    fn test_section_reads_packet_with_tsresol() {
        let bytes = sample();
        let mut r = PcapNgReader::new(&bytes[..]);
        let f = r.next_frame(1).unwrap().unwrap();
        assert_eq!(
            f.ts,
            Timestamp {
                secs: 1,
                nanos: 500_000_000
            }
        );
        assert_eq!(f.data, &[0xaa, 0xbb, 0xcc]);
        assert_eq!(f.orig_len, 60);
        assert_eq!(f.linktype, 1);
        assert!(r.next_frame(2).unwrap().is_none());
    }

    #[test]
    fn test_every_prefix_damaged_or_clean() {
        let bytes = sample();
        for n in 0..bytes.len() {
            let mut r = PcapNgReader::new(&bytes[..n]);
            let mut frames = 0;
            loop {
                match r.next_frame(frames + 1) {
                    Ok(Some(_)) => frames += 1,
                    Ok(None) => break,
                    Err(d) => {
                        assert!(d.offset <= n as u64);
                        break;
                    }
                }
            }
            assert_eq!(frames, 0, "prefix {n} cannot hold the whole packet");
        }
    }
}
