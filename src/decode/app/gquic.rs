//! Google QUIC (gQUIC) as tshark 4.0's GQUIC dissector reads it: the public header up
//! to Q043, Q046's long and short headers, and the Google frames inside, of which the
//! Info column names the message in clear (`Client Hello`, ...) or says the payload is
//! encrypted. The conversation's state (version, byte order) lives in
//! [`QuicConn::google`]; `quic` calls in here, and uses the frame walker for the
//! Q050/T050/T051 Initials it decrypts. Bytes in, typed items out; never panics.

use super::quic::{QuicConn, be32};

/// What one Google QUIC packet shows (tshark's GQUIC dissector).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GquicPacket {
    /// What tshark's Info names it.
    pub kind: GquicKind,
    /// The connection ID (0 when absent; tshark then leaves `CID:` out).
    pub cid: u64,
    /// The packet number (none for Version Negotiation and Public Reset).
    pub pkn: Option<u64>,
    /// The version field, when the packet has one (`Q043`, `Q046`).
    pub version: Option<[u8; 4]>,
}

/// Google QUIC packet kinds, as tshark's Info column names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GquicKind {
    /// A handshake message or frame in clear: `Client Hello`, `Server Hello`,
    /// `Rejection`, `Unknown`, `H2`, `DATA`, `RST STREAM`, `Connection Close`, `GOAWAY`.
    Clear(&'static str),
    /// `Payload (Encrypted)`.
    Encrypted,
    /// Version Negotiation (from the server, version flag set).
    VersionNegotiation,
    /// Public Reset.
    PublicReset,
}

/// Google QUIC's state of a conversation (tshark's `gquic_info_data_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GquicConn {
    /// The version number of the last version field (`Q043` -> 43), 0 until one.
    pub version: u8,
    /// The last version field was digits.
    pub version_valid: bool,
    /// Numbers are big-endian (from Q039 on, and always for Q046's headers).
    pub big_endian: bool,
    /// Packets seen whose payload is encrypted.
    pub encrypted: u64,
}

/// True when tshark 4.0's Google QUIC heuristic takes `data`: a public header (the two
/// top bits clear) with the version and 8-byte CID flags and a version `Q02x`, `Q03x`
/// or `Q04x` after the CID, or a `Q046` long header. (`Q050`, `T050`, `T051` use the
/// IETF long header and go to the QUIC dissector.)
pub fn is_gquic(data: &[u8]) -> bool {
    match data.first() {
        Some(f) if f & 0xc0 == 0 => {
            data.len() >= 13
                && f & 0x09 == 0x09
                && matches!(data.get(9..12), Some([b'Q', b'0', b'2' | b'3' | b'4']))
        }
        Some(f) if f & 0xc0 == 0xc0 => data.len() >= 14 && data.get(1..5) == Some(b"Q046"),
        _ => false,
    }
}

/// An unsigned number of `len` bytes (at most 8) at `at`, in the conversation's order.
fn uint(p: &[u8], at: usize, len: usize, big_endian: bool) -> Option<u64> {
    let b = p.get(at..at.checked_add(len)?)?;
    if len > 8 {
        return None;
    }
    let fold = |v: u64, x: &u8| v << 8 | u64::from(*x);
    Some(if big_endian {
        b.iter().fold(0, fold)
    } else {
        b.iter().rev().fold(0, fold)
    })
}

/// Google QUIC's packet number lengths (public flags 0x30): 1, 2, 4 or 6 bytes.
fn gquic_pkn_len(flags: u8) -> usize {
    match (flags & 0x30) >> 4 {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => 6,
    }
}

/// Google's names of its handshake message tags.
fn message_tag_name(tag: Option<u32>) -> &'static str {
    match tag {
        Some(0x4348_4c4f) => "Client Hello",
        Some(0x5348_4c4f) => "Server Hello",
        Some(0x5245_4a00) => "Rejection",
        Some(0x5052_5354) => "Public Reset",
        _ => "Unknown",
    }
}

/// The length field sizes of a Google QUIC ACK frame type: largest observed (bits
/// 0x0c) and missing packet (bits 0x03), each 1, 2, 4 or 6 bytes.
fn gquic_ack_lens(ft: u8) -> (usize, usize) {
    let l = |b: u8| {
        [1usize, 2, 4, 6]
            .get(usize::from(b & 3))
            .copied()
            .unwrap_or(6)
    };
    (l(ft >> 2), l(ft))
}

/// The byte after a Google QUIC ACK frame starting at `at` (its type byte), if there.
fn gquic_ack_end(p: &[u8], at: usize, ft: u8, g: &GquicConn) -> Option<usize> {
    let (ll, mm) = gquic_ack_lens(ft);
    let mut o = at + 1;
    if g.version_valid && g.version < 34 {
        o += 1 + ll + 2; // received entropy, largest observed, ack delay
        let ts = usize::from(*p.get(o)?);
        o += 1;
        if ts > 0 {
            o += 1 + 4 + (ts - 1) * 3;
        }
        if ft & 0x20 != 0 {
            let ranges = usize::from(*p.get(o)?);
            o += 1 + ranges * (mm + 1);
            let revived = usize::from(*p.get(o)?);
            o += 1 + revived * ll;
        }
    } else {
        o += ll + 2; // largest acked, its delta time
        let mut blocks = 0;
        if ft & 0x20 != 0 {
            blocks = usize::from(*p.get(o)?);
            o += 1;
        }
        o += mm + blocks * (1 + mm);
        let ts = usize::from(*p.get(o)?);
        o += 1;
        if ts > 0 {
            o += 1 + 4 + (ts - 1) * 3;
        }
    }
    Some(o)
}

/// tshark 4.0's test that a Google QUIC packet's payload (from `at`, after the packet
/// number) is in clear: a 12-byte hash (and before Q034 private flags), then frames
/// up to a STREAM frame whose data starts with CHLO, SHLO or REJ, or a CONNECTION_CLOSE
/// whose reason ends the packet.
fn gquic_in_clear(p: &[u8], at: usize, pkn_len: usize, g: &GquicConn) -> bool {
    if p.len().saturating_sub(at) <= 13 {
        return false;
    }
    let mut o = at + 12 + usize::from(g.version_valid && g.version < 34);
    let mut steps = 0;
    while o < p.len() && steps < 4096 {
        steps += 1;
        if p.len() - o <= 1 {
            return false;
        }
        let Some(&ft) = p.get(o) else { return false };
        if ft & 0xe0 == 0 {
            o += 1;
            match ft {
                0x00 => return false,
                0x01 => o += 16,
                0x02 | 0x03 => {
                    // CONNECTION_CLOSE (error code) or GOAWAY (error code, last stream),
                    // then a reason phrase of a 2-byte length
                    o += if ft == 0x02 { 4 } else { 8 };
                    let Some(len) =
                        uint(p, o, 2, g.big_endian).filter(|_| p.len() - o.min(p.len()) > 2)
                    else {
                        return false;
                    };
                    o += 2;
                    if ft == 0x02 && p.len().saturating_sub(o) as u64 == len {
                        return true;
                    }
                    if ft == 0x03 {
                        o += usize::try_from(len).unwrap_or(usize::MAX / 2);
                    }
                }
                _ => o += fixed_body_len(ft, pkn_len, g),
            }
        } else if ft & 0x80 != 0 {
            let (stream, off, data) = gquic_stream_lens(ft);
            o += 1 + stream + off + data;
            if p.len().saturating_sub(o) <= 4 {
                return false;
            }
            if matches!(be32(p, o), Some(0x4348_4c4f | 0x5348_4c4f | 0x5245_4a00)) {
                return true;
            }
        } else if ft & 0x40 != 0 {
            match gquic_ack_end(p, o, ft, g) {
                Some(end) => o = end,
                None => return false,
            }
        } else {
            o += 1;
        }
    }
    false
}

/// The body length of a fixed-size regular Google QUIC frame: WINDOW_UPDATE (stream
/// ID, byte offset), BLOCKED (stream ID), STOP_WAITING (before Q034 an entropy byte,
/// then a packet number delta); 0 for PING and the types tshark does not know.
fn fixed_body_len(ft: u8, pkn_len: usize, g: &GquicConn) -> usize {
    match ft {
        0x04 => 12,
        0x05 => 4,
        0x06 => usize::from(g.version_valid && g.version < 34) + pkn_len,
        _ => 0,
    }
}

/// The field sizes of a Google QUIC STREAM frame type: stream ID (bits 0x03: 1 to 4
/// bytes), offset (bits 0x1c: 0, or 2 to 8 bytes), data length (bit 0x20: 2 bytes).
fn gquic_stream_lens(ft: u8) -> (usize, usize, usize) {
    let off = usize::from((ft & 0x1c) >> 2);
    (
        usize::from(ft & 0x03) + 1,
        if off == 0 { 0 } else { off + 1 },
        if ft & 0x20 != 0 { 2 } else { 0 },
    )
}

/// Walks Google QUIC frames from `at` as tshark 4.0's frame dissector does, returning
/// the last text it sets the Info column to (a STREAM frame on stream 1 names its
/// message tag, on stream 3 `H2`, on others `DATA`; RST_STREAM, CONNECTION_CLOSE and
/// GOAWAY name themselves), if any. Stops where the bytes run out.
pub(super) fn gquic_frames_info(
    p: &[u8],
    mut o: usize,
    pkn_len: usize,
    g: &GquicConn,
) -> Option<&'static str> {
    let mut info = None;
    let mut steps = 0;
    while o < p.len() && steps < 4096 {
        steps += 1;
        let Some(&ft) = p.get(o) else { break };
        if ft & 0xe0 == 0 {
            o += 1;
            match ft {
                0x00 => break,
                0x01 => {
                    if p.len() < o + 16 {
                        break;
                    }
                    o += 16;
                    info = Some("RST STREAM");
                }
                0x02 | 0x03 => {
                    let head = if ft == 0x02 { 4 } else { 8 };
                    let Some(len) = uint(p, o + head, 2, g.big_endian) else {
                        break;
                    };
                    o += head + 2 + usize::try_from(len).unwrap_or(usize::MAX / 2);
                    if o > p.len() {
                        break;
                    }
                    info = Some(if ft == 0x02 {
                        "Connection Close"
                    } else {
                        "GOAWAY"
                    });
                }
                _ => o += fixed_body_len(ft, pkn_len, g),
            }
        } else if ft & 0x80 != 0 {
            let (stream, off, data) = gquic_stream_lens(ft);
            let Some(id) = uint(p, o + 1, stream, g.big_endian) else {
                break;
            };
            o += 1 + stream + off + data;
            if o > p.len() {
                break;
            }
            match id {
                1 => {
                    let Some(tag) = be32(p, o) else { break };
                    info = Some(message_tag_name(Some(tag)));
                    // the tag-value list: count (LE), 2 bytes padding, 8-byte
                    // entries, then the values up to the last entry's end offset
                    let Some(count) = uint(p, o + 4, 2, false) else {
                        break;
                    };
                    let entries = o + 8 + 8 * usize::try_from(count).unwrap_or(0);
                    let last = entries
                        .checked_sub(4)
                        .and_then(|e| uint(p, e, 4, false))
                        .filter(|_| count > 0)
                        .unwrap_or(0);
                    o = entries.saturating_add(usize::try_from(last).unwrap_or(usize::MAX / 2));
                    o = o.min(p.len());
                }
                3 => {
                    info = Some("H2");
                    break;
                }
                _ => {
                    info = Some("DATA");
                    break;
                }
            }
        } else if ft & 0x40 != 0 {
            match gquic_ack_end(p, o, ft, g) {
                Some(end) => o = end,
                None => break,
            }
        } else {
            o += 1;
        }
    }
    info
}

/// The SNI tag's value of the first CHLO message in `p` (a tag-value list: count,
/// padding, 8-byte entries of tag and end offset, then the values).
fn chlo_sni(p: &[u8]) -> Option<String> {
    let at = p.windows(4).position(|w| w == b"CHLO")?;
    let count = usize::try_from(uint(p, at + 4, 2, false)?).ok()?.min(64);
    let values = at + 8 + 8 * count;
    let mut start = 0usize;
    for i in 0..count {
        let e = at + 8 + 8 * i;
        let end = usize::try_from(uint(p, e + 4, 4, false)?).ok()?;
        if p.get(e..e + 4) == Some(b"SNI\0") {
            let v = p.get(values.checked_add(start)?..values.checked_add(end)?)?;
            return std::str::from_utf8(v).ok().map(str::to_string);
        }
        start = end;
    }
    None
}

impl QuicConn {
    /// One Google QUIC packet (tshark 4.0's GQUIC dissector): the public header up
    /// to Q043, or Q046's long and short headers.
    pub(super) fn google_packet(&mut self, p: &[u8], from_client: bool) -> Option<GquicPacket> {
        let first = *p.first()?;
        let g = self.google.get_or_insert(GquicConn {
            version: 0,
            version_valid: true,
            // the public header starts little-endian, Q046's headers big-endian
            big_endian: first & 0xc0 != 0,
            encrypted: 0,
        });
        let digits = |at: usize| -> Option<u8> {
            let d = p.get(at..at + 3)?;
            if !d.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(d).ok()?.parse().ok()
        };
        let set_version = |g: &mut GquicConn, v: Option<u8>| {
            g.version_valid = v.is_some();
            g.version = v.unwrap_or(0);
        };
        let version_at;
        let (cid, pkn_at, pkn_len) = if first & 0xc0 == 0 {
            // public header: flags, CID (8 bytes if 0x08), version (0x01), ...
            let cid_len = if first & 0x08 != 0 { 8 } else { 0 };
            let has_version = first & 0x01 != 0;
            if has_version {
                set_version(g, digits(1 + cid_len + 1));
            }
            if g.version >= 39 {
                g.big_endian = true;
            }
            let cid = if cid_len > 0 {
                uint(p, 1, 8, g.big_endian)?
            } else {
                0
            };
            let mut o = 1 + cid_len;
            version_at = has_version.then_some(o);
            let version = version_at
                .and_then(|v| p.get(v..v + 4))
                .and_then(|v| v.try_into().ok());
            if has_version {
                if !from_client {
                    return Some(GquicPacket {
                        kind: GquicKind::VersionNegotiation,
                        cid,
                        pkn: None,
                        version,
                    });
                }
                o += 4;
            }
            if first & 0x02 != 0 {
                return Some(GquicPacket {
                    kind: GquicKind::PublicReset,
                    cid,
                    pkn: None,
                    version,
                });
            }
            if g.version_valid && first & 0x04 != 0 && g.version >= 33 && !from_client {
                o += 32; // diversification nonce, server to client
            }
            (cid, o, gquic_pkn_len(first))
        } else if first & 0xc0 == 0xc0 {
            // Q046 long header: first byte, version, DCIL/SCIL nibbles, CID
            set_version(g, digits(2));
            let cil = *p.get(5)?;
            let nibble = if from_client { cil >> 4 } else { cil & 0x0f };
            let cid = uint(p, 6, 8, g.big_endian)?;
            version_at = Some(1);
            (
                cid,
                6 + usize::from(nibble) + 3,
                usize::from(first & 0x03) + 1,
            )
        } else {
            // Q046 short header: the client's carry the 8-byte CID
            version_at = None;
            if from_client {
                (
                    uint(p, 1, 8, g.big_endian)?,
                    9,
                    usize::from(first & 0x03) + 1,
                )
            } else {
                (0, 1, usize::from(first & 0x03) + 1)
            }
        };
        let pkn = uint(p, pkn_at, pkn_len, g.big_endian)?;
        let g = *g;
        let at = pkn_at + pkn_len;
        let kind = if gquic_in_clear(p, at, pkn_len, &g) {
            let hash = 12 + usize::from(g.version_valid && g.version < 34);
            let info = gquic_frames_info(p, at + hash, pkn_len, &g).unwrap_or("Unknown");
            if info == "Client Hello" && from_client && self.server_name.is_none() {
                self.server_name = p.get(at..).and_then(chlo_sni);
            }
            GquicKind::Clear(info)
        } else {
            if let Some(g) = self.google.as_mut() {
                g.encrypted += 1;
            }
            GquicKind::Encrypted
        };
        Some(GquicPacket {
            kind,
            cid,
            pkn: Some(pkn),
            version: version_at
                .and_then(|v| p.get(v..v + 4))
                .and_then(|v| v.try_into().ok()),
        })
    }
}
