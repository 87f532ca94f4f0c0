//! QUIC (RFC 9000) packet headers, and the Initial packets' protection removed as
//! RFC 9001 section 5 says anyone can: keys from the client's first Destination
//! Connection ID (HKDF-SHA256), header protection with AES-128-ECB, payload with
//! AES-128-GCM, through the RustCrypto crates. Bytes in, typed items out; what a
//! connection has learnt (original DCID, each side's CID length, largest packet
//! numbers) is a [`QuicConn`] the caller keeps. Never panics.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, Payload};
use hkdf::Hkdf;
use sha2::Sha256;

/// The UDP port Wireshark gives to QUIC (HTTP/3).
pub const UDP_PORT: u16 = 443;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 1;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;

/// Longest connection ID (RFC 9000 17.2).
pub const MAX_CID_LEN: usize = 20;

/// Initial salt of QUIC version 1 (RFC 9001 5.2).
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
/// Initial salt of QUIC version 2 (RFC 9369 3.3.1).
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];

/// A connection ID, kept inline (at most 20 bytes).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Cid {
    bytes: [u8; MAX_CID_LEN],
    len: u8,
}

impl Cid {
    /// The CID of `bytes` (`None` when longer than 20 bytes).
    pub fn new(bytes: &[u8]) -> Option<Cid> {
        let mut out = Cid::default();
        out.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        out.len = u8::try_from(bytes.len()).ok()?;
        Some(out)
    }
    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
    /// True for a zero-length CID.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for Cid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// Long header packet types (named for the version in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongType {
    /// Initial.
    Initial,
    /// 0-RTT.
    ZeroRtt,
    /// Handshake.
    Handshake,
    /// Retry.
    Retry,
}

impl LongType {
    /// Wireshark's name.
    pub fn name(self) -> &'static str {
        match self {
            LongType::Initial => "Initial",
            LongType::ZeroRtt => "0-RTT",
            LongType::Handshake => "Handshake",
            LongType::Retry => "Retry",
        }
    }
}

/// One QUIC packet of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuicPacket {
    /// A long header packet.
    Long {
        /// Its type.
        kind: LongType,
        /// Version field.
        version: u32,
        /// Destination CID.
        dcid: Cid,
        /// Source CID.
        scid: Cid,
        /// The packet number, when header protection could be removed.
        pn: Option<u64>,
        /// Frame types inside, when the payload could be decrypted (runs of
        /// PADDING count once).
        frames: Option<Vec<u64>>,
        /// CRYPTO data at offset 0 of this packet (the start of a TLS handshake
        /// message: a Client Hello or Server Hello), when decrypted.
        crypto_start: Option<Vec<u8>>,
    },
    /// Version Negotiation (version 0).
    VersionNegotiation {
        /// Destination CID.
        dcid: Cid,
        /// Source CID.
        scid: Cid,
    },
    /// A short header (1-RTT) packet: its payload stays protected.
    Short {
        /// Destination CID (length as the connection learnt it; empty if unknown).
        dcid: Cid,
        /// Payload bytes (protected).
        len: usize,
    },
}

/// What one side of a connection has shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuicSide {
    /// The SCID this side sent in its long headers (what the peer puts in DCID).
    pub cid: Option<Cid>,
    /// Largest Initial packet number seen from this side.
    pub largest_initial_pn: Option<u64>,
    /// Packets seen.
    pub packets: u64,
}

/// One QUIC connection (one UDP conversation), as far as Initial packets tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuicConn {
    /// The DCID of the client's first Initial: the Initial keys come from it.
    pub original_dcid: Option<Cid>,
    /// The version of the first long header.
    pub version: Option<u32>,
    /// Client (0) and server (1).
    pub sides: [QuicSide; 2],
    /// The server name the client's Client Hello carries, once seen.
    pub server_name: Option<String>,
    /// ALPN the client offered (h3 = HTTP/3).
    pub alpn: Vec<String>,
    /// Short header packets seen.
    pub short_packets: u64,
}

/// True when `version` is one Wireshark 4.0 dissects as IETF QUIC (v1, v2, drafts
/// 0xff0000xx, and the version-negotiation and grease forms it accepts).
pub fn is_known_version(version: u32) -> bool {
    version == VERSION_1
        || version == VERSION_2
        || version & 0xffff_ff00 == 0xff00_0000
        || version == 0
        || version & 0x0f0f_0f0f == 0x0a0a_0a0a
}

/// True when `data` looks like a QUIC long header packet Wireshark's heuristic takes:
/// long header form, fixed bit, a known version, CID lengths of at most 20.
pub fn looks_like_long_header(data: &[u8]) -> bool {
    let (Some(&first), Some(v)) = (data.first(), be32(data, 1)) else {
        return false;
    };
    if first & 0x80 == 0 || !is_known_version(v) || (v != 0 && first & 0x40 == 0) {
        return false;
    }
    let Some(&dlen) = data.get(5) else {
        return false;
    };
    let at = 6 + usize::from(dlen);
    usize::from(dlen) <= MAX_CID_LEN && data.get(at).is_some_and(|s| usize::from(*s) <= MAX_CID_LEN)
}

/// True when `data` is a Google QUIC packet (version `Q0xx` or `T0xx`), which is not
/// dissected here.
pub fn is_gquic(data: &[u8]) -> bool {
    matches!(data, [f, b'Q' | b'T', b'0', ..] if f & 0x80 != 0)
        || matches!(data.get(9..11), Some([b'Q', b'0']))
}

/// A big-endian u32 at `at`.
fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([
        *b.first()?,
        *b.get(1)?,
        *b.get(2)?,
        *b.get(3)?,
    ]))
}

/// A variable-length integer (RFC 9000 16) at `at`: its value and length.
pub fn varint(data: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = *data.get(at)?;
    let len = 1usize << (first >> 6);
    let bytes = data.get(at..at.checked_add(len)?)?;
    let mut v = u64::from(first & 0x3f);
    for b in bytes.iter().skip(1) {
        v = v << 8 | u64::from(*b);
    }
    Some((v, len))
}

/// HKDF-Expand-Label (RFC 8446 7.1) with an empty context, into `out`.
fn expand_label(secret: &[u8], label: &[u8], out: &mut [u8]) -> Option<()> {
    let hk = Hkdf::<Sha256>::from_prk(secret).ok()?;
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&u16::try_from(out.len()).ok()?.to_be_bytes());
    info.push(u8::try_from(6 + label.len()).ok()?);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    hk.expand(&info, out).ok()
}

/// The keys protecting one side's Initial packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialKeys {
    /// AEAD key (AES-128-GCM).
    pub key: [u8; 16],
    /// AEAD IV.
    pub iv: [u8; 12],
    /// Header protection key (AES-128).
    pub hp: [u8; 16],
}

/// Derives the Initial keys of the client (`from_client`) or the server for a
/// connection whose client chose `dcid` (RFC 9001 5.2; RFC 9369 for version 2).
pub fn initial_keys(version: u32, dcid: &[u8], from_client: bool) -> Option<InitialKeys> {
    let (salt, v2) = if version == VERSION_2 {
        (&SALT_V2, true)
    } else {
        (&SALT_V1, false)
    };
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let mut secret = [0u8; 32];
    let label: &[u8] = if from_client {
        b"client in"
    } else {
        b"server in"
    };
    expand_label(&prk, label, &mut secret)?;
    let mut keys = InitialKeys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    let (k, i, h): (&[u8], &[u8], &[u8]) = if v2 {
        (b"quicv2 key", b"quicv2 iv", b"quicv2 hp")
    } else {
        (b"quic key", b"quic iv", b"quic hp")
    };
    expand_label(&secret, k, &mut keys.key)?;
    expand_label(&secret, i, &mut keys.iv)?;
    expand_label(&secret, h, &mut keys.hp)?;
    Some(keys)
}

/// The full packet number from its truncated form (RFC 9000 A.3).
fn decode_pn(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let Some(largest) = largest else {
        return truncated;
    };
    let bits = u32::try_from(pn_len * 8).unwrap_or(32);
    let expected = largest.saturating_add(1);
    let win = 1u64 << bits;
    let hwin = win / 2;
    let mask = win - 1;
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(hwin) <= expected && candidate < (1u64 << 62) - win {
        candidate + win
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate - win
    } else {
        candidate
    }
}

/// Removes the header protection and the AEAD protection of a long header packet
/// `packet` (this packet only, `pn_offset` = where its packet number starts,
/// `end` = where it ends). Returns the packet number and, when the whole packet was
/// captured and the tag checks, the plaintext payload.
fn unprotect(
    keys: &InitialKeys,
    packet: &[u8],
    pn_offset: usize,
    end: usize,
    largest: Option<u64>,
) -> Option<(u64, Option<Vec<u8>>)> {
    let sample = packet.get(pn_offset + 4..pn_offset + 20)?;
    let hp = Aes128::new(GenericArray::from_slice(&keys.hp));
    let mut mask = GenericArray::clone_from_slice(sample);
    hp.encrypt_block(&mut mask);
    let first = packet.first()? ^ (mask.first()? & 0x0f);
    let pn_len = usize::from(first & 0x03) + 1;
    let mut header = packet.get(..pn_offset + pn_len)?.to_vec();
    if let Some(b) = header.first_mut() {
        *b = first;
    }
    let mut truncated = 0u64;
    for i in 0..pn_len {
        let (Some(b), Some(m)) = (header.get_mut(pn_offset + i), mask.get(1 + i)) else {
            return None;
        };
        *b ^= m;
        truncated = truncated << 8 | u64::from(*b);
    }
    let pn = decode_pn(largest, truncated, pn_len);
    let Some(ciphertext) = packet.get(pn_offset + pn_len..end) else {
        return Some((pn, None));
    };
    let mut nonce = keys.iv;
    for (n, p) in nonce.iter_mut().rev().zip(pn.to_be_bytes().iter().rev()) {
        *n ^= p;
    }
    let aead = Aes128Gcm::new(GenericArray::from_slice(&keys.key));
    let plain = aead
        .decrypt(
            GenericArray::from_slice(&nonce),
            Payload {
                msg: ciphertext,
                aad: &header,
            },
        )
        .ok();
    Some((pn, plain))
}

/// The frame types of a decrypted payload, and the CRYPTO data at offset 0.
fn frames(payload: &[u8]) -> (Vec<u64>, Option<Vec<u8>>) {
    let mut out = Vec::new();
    let mut crypto_start = None;
    let mut at = 0usize;
    while at < payload.len() {
        let Some((t, n)) = varint(payload, at) else {
            break;
        };
        at += n;
        if t == 0 {
            // PADDING: every zero byte that follows belongs to it
            while payload.get(at) == Some(&0) {
                at += 1;
            }
            out.push(0);
            continue;
        }
        out.push(t);
        let skip = match t {
            0x01 | 0x1e => Some(0),
            0x02 | 0x03 => ack_len(payload, at, t == 0x03),
            0x06 => {
                // offset, length, data
                (|| {
                    let (off, a) = varint(payload, at)?;
                    let (len, b) = varint(payload, at + a)?;
                    let start = at + a + b;
                    let len = usize::try_from(len).ok()?;
                    if off == 0 && crypto_start.is_none() {
                        crypto_start = payload
                            .get(start..start.checked_add(len)?)
                            .map(<[u8]>::to_vec);
                    }
                    Some(a + b + len)
                })()
            }
            0x1c | 0x1d => (|| {
                let (_, a) = varint(payload, at)?;
                let mut used = a;
                if t == 0x1c {
                    used += varint(payload, at + used)?.1;
                }
                let (len, c) = varint(payload, at + used)?;
                Some(used + c + usize::try_from(len).ok()?)
            })(),
            _ => None,
        };
        match skip {
            Some(n) => at += n,
            None => break,
        }
    }
    (out, crypto_start)
}

/// Bytes of an ACK frame's body after its type.
fn ack_len(p: &[u8], start: usize, ecn: bool) -> Option<usize> {
    let mut at = start;
    let next = |at: &mut usize| -> Option<u64> {
        let (v, n) = varint(p, *at)?;
        *at += n;
        Some(v)
    };
    next(&mut at)?; // largest acknowledged
    next(&mut at)?; // delay
    let ranges = next(&mut at)?;
    next(&mut at)?; // first range
    for _ in 0..ranges.min(4096) {
        next(&mut at)?;
        next(&mut at)?;
    }
    if ecn {
        for _ in 0..3 {
            next(&mut at)?;
        }
    }
    Some(at - start)
}

/// Wireshark's name of a frame type (`quic_frame_type_vals`).
pub fn frame_name(t: u64) -> &'static str {
    match t {
        0x00 => "PADDING",
        0x01 => "PING",
        0x02 => "ACK",
        0x03 => "ACK_ECN",
        0x04 => "RESET_STREAM",
        0x05 => "STOP_SENDING",
        0x06 => "CRYPTO",
        0x07 => "NEW_TOKEN",
        0x08..=0x0f => "STREAM",
        0x10 => "MAX_DATA",
        0x11 => "MAX_STREAM_DATA",
        0x12 => "MAX_STREAMS (BIDI)",
        0x13 => "MAX_STREAMS (UNI)",
        0x14 => "DATA_BLOCKED",
        0x15 => "STREAM_DATA_BLOCKED",
        0x16 => "STREAMS_BLOCKED (BIDI)",
        0x17 => "STREAMS_BLOCKED (UNI)",
        0x18 => "NEW_CONNECTION_ID",
        0x19 => "RETIRE_CONNECTION_ID",
        0x1a => "PATH_CHALLENGE",
        0x1b => "PATH_RESPONSE",
        0x1c => "CONNECTION_CLOSE (Transport)",
        0x1d => "CONNECTION_CLOSE (Application)",
        0x1e => "HANDSHAKE_DONE",
        0x30 | 0x31 => "DATAGRAM",
        _ => "Unknown",
    }
}

impl QuicConn {
    /// Dissects the QUIC packets of one datagram sent by the client when
    /// `from_client`. Returns them in order (coalesced packets included); empty when
    /// the first is not QUIC.
    pub fn dissect(&mut self, datagram: &[u8], from_client: bool) -> Vec<QuicPacket> {
        let mut out = Vec::new();
        let mut at = 0usize;
        let s = usize::from(!from_client);
        while let Some(rest) = datagram.get(at..).filter(|r| !r.is_empty()) {
            let Some(&first) = rest.first() else { break };
            if first & 0x80 == 0 {
                // short header: the DCID length is what the peer sent as its SCID
                let peer = self
                    .sides
                    .get(1 - s)
                    .and_then(|p| p.cid)
                    .unwrap_or_default();
                let dcid = rest
                    .get(1..1 + usize::from(peer.len))
                    .and_then(Cid::new)
                    .unwrap_or_default();
                self.short_packets += 1;
                out.push(QuicPacket::Short {
                    dcid,
                    len: rest.len(),
                });
                break;
            }
            let Some(used) = self.long(rest, s, from_client, &mut out) else {
                break;
            };
            at += used;
        }
        if let Some(side) = self.sides.get_mut(s) {
            side.packets += 1;
        }
        out
    }

    /// One long header packet at the start of `p`; the bytes it takes.
    fn long(
        &mut self,
        p: &[u8],
        s: usize,
        from_client: bool,
        out: &mut Vec<QuicPacket>,
    ) -> Option<usize> {
        let first = *p.first()?;
        let version = be32(p, 1)?;
        let dlen = usize::from(*p.get(5)?);
        let dcid = Cid::new(p.get(6..6 + dlen)?)?;
        let slen = usize::from(*p.get(6 + dlen)?);
        let scid = Cid::new(p.get(7 + dlen..7 + dlen + slen)?)?;
        let mut at = 7 + dlen + slen;
        if version == 0 {
            out.push(QuicPacket::VersionNegotiation { dcid, scid });
            return Some(p.len());
        }
        if !is_known_version(version) {
            return None;
        }
        self.version.get_or_insert(version);
        if let Some(side) = self.sides.get_mut(s) {
            side.cid = Some(scid);
        }
        let bits = (first >> 4) & 0x03;
        let kind = if version == VERSION_2 {
            match bits {
                1 => LongType::Initial,
                2 => LongType::ZeroRtt,
                3 => LongType::Handshake,
                _ => LongType::Retry,
            }
        } else {
            match bits {
                0 => LongType::Initial,
                1 => LongType::ZeroRtt,
                2 => LongType::Handshake,
                _ => LongType::Retry,
            }
        };
        if kind == LongType::Retry {
            out.push(QuicPacket::Long {
                kind,
                version,
                dcid,
                scid,
                pn: None,
                frames: None,
                crypto_start: None,
            });
            return Some(p.len());
        }
        if kind == LongType::Initial {
            let (token_len, n) = varint(p, at)?;
            at += n + usize::try_from(token_len).ok()?;
        }
        let (length, n) = varint(p, at)?;
        let pn_offset = at + n;
        let end = pn_offset.checked_add(usize::try_from(length).ok()?)?;
        let mut pn = None;
        let mut frame_list = None;
        let mut crypto_start = None;
        if kind == LongType::Initial {
            if from_client && self.original_dcid.is_none() {
                self.original_dcid = Some(dcid);
            }
            let odcid = self.original_dcid.unwrap_or(dcid);
            let largest = self.sides.get(s).and_then(|x| x.largest_initial_pn);
            if let Some(keys) = initial_keys(version, odcid.as_bytes(), from_client)
                && let Some((n, plain)) = unprotect(&keys, p, pn_offset, end, largest)
            {
                pn = Some(n);
                if let Some(side) = self.sides.get_mut(s) {
                    side.largest_initial_pn = Some(side.largest_initial_pn.map_or(n, |l| l.max(n)));
                }
                if let Some(plain) = plain {
                    let (f, c) = frames(&plain);
                    frame_list = Some(f);
                    if let Some(c) = &c
                        && from_client
                        && c.first() == Some(&1)
                        && let Some(ch) = c.get(4..).and_then(super::tls::parse_client_hello)
                    {
                        self.server_name = ch.server_name.clone();
                        self.alpn = ch.alpn.clone();
                    }
                    crypto_start = c;
                }
            }
        }
        out.push(QuicPacket::Long {
            kind,
            version,
            dcid,
            scid,
            pn,
            frames: frame_list,
            crypto_start,
        });
        Some(end.min(p.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 9001 appendix A.1: the keys of DCID 0x8394c8f03e515708.
    #[test]
    fn test_initial_keys_rfc9001_vectors() {
        let dcid = hex("8394c8f03e515708");
        let c = initial_keys(VERSION_1, &dcid, true).unwrap();
        assert_eq!(c.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(c.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(c.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
        let s = initial_keys(VERSION_1, &dcid, false).unwrap();
        assert_eq!(s.key.to_vec(), hex("cf3a5331653c364c88f0f379b6067e37"));
        assert_eq!(s.iv.to_vec(), hex("0ac1493ca1905853b0bba03e"));
        assert_eq!(s.hp.to_vec(), hex("c206b8d9b9f0f37644430b490eeaa314"));
    }

    #[test]
    fn test_varint_and_pn_decoding() {
        assert_eq!(
            varint(&hex("c2197c5eff14e88c"), 0),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(varint(&hex("9d7f3e7d"), 0), Some((494_878_333, 4)));
        assert_eq!(varint(&hex("7bbd"), 0), Some((15_293, 2)));
        assert_eq!(varint(&hex("25"), 0), Some((37, 1)));
        assert_eq!(varint(&hex("7b"), 0), None);
        // RFC 9000 A.3: largest 0xa82f30ea, truncated 0x9b32 (16 bits)
        assert_eq!(decode_pn(Some(0xa82f_30ea), 0x9b32, 2), 0xa82f_9b32);
    }

    #[test]
    fn test_frames_collapse_padding_and_skip_ack() {
        // ACK (largest 0, delay 0, 0 ranges, first 0), CRYPTO off 0 len 2, PADDING x3
        let p = [2, 0, 0, 0, 0, 6, 0, 2, 1, 0, 0, 0, 0];
        let (f, c) = frames(&p);
        assert_eq!(f, vec![2, 6, 0]);
        assert_eq!(c, Some(vec![1, 0]));
    }

    #[test]
    fn test_short_header_uses_peer_cid_length() {
        let mut conn = QuicConn::default();
        conn.sides[1].cid = Cid::new(&[0xab; 8]);
        let mut pkt = vec![0x40];
        pkt.extend_from_slice(&[0xab; 8]);
        pkt.extend_from_slice(&[0; 30]);
        let out = conn.dissect(&pkt, true);
        assert_eq!(
            out,
            vec![QuicPacket::Short {
                dcid: Cid::new(&[0xab; 8]).unwrap(),
                len: 39
            }]
        );
    }

    #[test]
    fn test_not_quic() {
        assert!(!looks_like_long_header(b"GET / HTTP/1.1"));
        assert!(!looks_like_long_header(&[0xc0, 0, 0, 0, 1, 30, 0]));
        assert!(looks_like_long_header(&[
            0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0
        ]));
        assert!(is_gquic(b"\x80Q046xxxx"));
    }
}
