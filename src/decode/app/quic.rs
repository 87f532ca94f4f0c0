//! QUIC (RFC 9000) and Google QUIC packet headers as tshark 4.0 dissects them, and the
//! Initial packets' protection removed as RFC 9001 section 5 says anyone can: keys from
//! the client's first Destination Connection ID (HKDF-SHA256, with the salt tshark uses
//! for the version), header protection with AES-128-ECB, payload with AES-128-GCM,
//! through the RustCrypto crates. A datagram's coalesced packets are split as tshark
//! splits them; each side's Initial CRYPTO stream is put back in order (bounded) to
//! read the Client Hello. Google QUIC: the public header up to Q043, Q046's headers,
//! and the Google frames inside Q050/T050/T051 Initials. Bytes in, typed items out;
//! what a connection has learnt (original DCID, each side's CID, largest packet
//! numbers, Google QUIC's version and byte order) is a [`QuicConn`] the caller keeps.
//! No words here (explain::web writes the columns). Never panics.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, Payload};
use hkdf::Hkdf;
use sha2::Sha256;

use super::gquic::gquic_frames_info;
pub use super::gquic::{GquicConn, GquicKind, GquicPacket, is_gquic};

/// The UDP port Wireshark gives to QUIC (HTTP/3).
pub const UDP_PORT: u16 = 443;

/// QUIC version 1 (RFC 9000).
pub const VERSION_1: u32 = 1;
/// QUIC version 2 (RFC 9369).
pub const VERSION_2: u32 = 0x6b33_43cf;

/// Longest connection ID (RFC 9000 17.2).
pub const MAX_CID_LEN: usize = 20;

/// The Initial salts tshark 4.0 knows, one row each, as [`initial_salt`] picks them
/// (public constants of the specifications; data, not code):
/// 0: version 1 (RFC 9001 5.2), drafts 33 and 34; 1: version 2 (RFC 9369 3.3.1);
/// 2: drafts up to 22; 3: drafts 23 to 28; 4: drafts 29 to 32;
/// 5: Google's Q050; 6: Google's T050; 7: Google's T051.
const SALTS: [[u8; 20]; 8] = [
    [
        0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c,
        0xad, 0xcc, 0xbb, 0x7f, 0x0a,
    ],
    [
        0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d,
        0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
    ],
    [
        0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e,
        0xbd, 0x7a, 0x02, 0x64, 0x4a,
    ],
    [
        0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63,
        0x65, 0xbe, 0xf9, 0xf5, 0x02,
    ],
    [
        0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11,
        0xe0, 0x43, 0x90, 0xa8, 0x99,
    ],
    [
        0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7,
        0xf0, 0xd3, 0xb5, 0x6b, 0x45,
    ],
    [
        0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2, 0x36,
        0x7c, 0x60, 0x48, 0x83, 0x10,
    ],
    [
        0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f, 0xc8,
        0xcc, 0xda, 0x6e, 0x03, 0x3d,
    ],
];

/// Google QUIC versions that use the IETF long header (`Q050`, `T050`, `T051`): tshark's
/// QUIC dissector takes them, with their own Initial salts, and reads their payload as
/// Google QUIC frames.
const GOOGLE_IETF_VERSIONS: [u32; 3] = [0x5130_3530, 0x5430_3530, 0x5430_3531];

/// Most bytes of one side's Initial CRYPTO stream kept to find its Client Hello (a Client
/// Hello with a post-quantum key share is about 1,800 bytes; Chrome's spans two packets).
pub const MAX_CRYPTO_BYTES: usize = 16 * 1024;
/// Most out-of-order CRYPTO pieces held per side until the bytes before them come.
const MAX_CRYPTO_PIECES: usize = 8;

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
    /// A long header packet (Retry included).
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
        /// The lowest CRYPTO offset in this packet, when decrypted and it holds one:
        /// above 0, the packet continues a handshake message an earlier one began.
        crypto_offset: Option<u64>,
        /// Google's `Q050`/`T050`/`T051`: the Info tshark's Google QUIC frame dissector
        /// writes over the whole column (`Client Hello`, `DATA`, ...), if any.
        google_info: Option<&'static str>,
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
    /// A Google QUIC packet (public header up to `Q043`, or `Q046`'s headers).
    Google(GquicPacket),
}

/// What one side of a connection has shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuicSide {
    /// The SCID this side sent in its long headers (what the peer puts in DCID).
    pub cid: Option<Cid>,
    /// Largest Initial packet number seen from this side (of packets that decrypted).
    pub largest_initial_pn: Option<u64>,
    /// Datagrams seen.
    pub packets: u64,
    /// The client's Initial CRYPTO stream from offset 0, as far as it is contiguous (at
    /// most [`MAX_CRYPTO_BYTES`]), until its first handshake message is whole.
    pub crypto: Vec<u8>,
    /// CRYPTO pieces beyond a gap (offset, bytes), at most [`MAX_CRYPTO_PIECES`] and
    /// [`MAX_CRYPTO_BYTES`] in all.
    crypto_pending: Vec<(u64, Vec<u8>)>,
}

/// One QUIC connection (one UDP conversation), as far as Initial packets tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuicConn {
    /// The DCID of the client's first Initial (after a Retry, of the Initial that
    /// follows it): the Initial keys come from it.
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
    /// The first datagram was an Initial from the side wirelab calls the server:
    /// tshark takes the sender of a connection's first Initial for its client, so
    /// the keys and the CID lengths follow that choice.
    pub flipped: bool,
    /// tshark follows the connection: a client Initial was seen.
    pub tracked: bool,
    /// The client's first handshake message was read (its CRYPTO bytes let go).
    pub crypto_done: bool,
    /// Set when the conversation is Google QUIC (its first datagram was).
    pub google: Option<GquicConn>,
}

/// tshark's `quic_draft_version`: the draft a version behaves as (v1 and grease as
/// 34, v2 as 100, Facebook's mvfst and Google's Q050/T050/T051 as 22 or 27), 0 when
/// the version is none it knows.
pub fn draft_version(version: u32) -> u8 {
    match version {
        v if v >> 8 == 0x00ff_0000 => u8::try_from(v & 0xff).unwrap_or(0),
        0xface_b001 => 22,
        0xface_b002 | 0xface_b00e => 27,
        v if GOOGLE_IETF_VERSIONS.contains(&v) => 27,
        v if v & 0x0f0f_0f0f == 0x0a0a_0a0a => 34,
        VERSION_1 => 34,
        VERSION_2 => 100,
        _ => 0,
    }
}

/// True when tshark 4.0's QUIC heuristic takes a long header of `version` (draft 11
/// or later in [`draft_version`]'s terms).
pub fn is_known_version(version: u32) -> bool {
    draft_version(version) >= 11
}

/// The Initial salt tshark 4.0 uses for `version`.
fn initial_salt(version: u32) -> &'static [u8; 20] {
    match version {
        0x5130_3530 => &SALTS[5],
        0x5430_3530 => &SALTS[6],
        0x5430_3531 => &SALTS[7],
        VERSION_2 => &SALTS[1],
        v => match draft_version(v) {
            0..=22 => &SALTS[2],
            23..=28 => &SALTS[3],
            29..=32 => &SALTS[4],
            _ => &SALTS[0],
        },
    }
}

/// True when `data` looks like a QUIC long header packet Wireshark's heuristic takes:
/// long header form, fixed bit, a known version, CID lengths of at most 20.
pub fn looks_like_long_header(data: &[u8]) -> bool {
    let (Some(&first), Some(v)) = (data.first(), be32(data, 1)) else {
        return false;
    };
    if first & 0x80 == 0 || !is_known_version(v) || first & 0x40 == 0 {
        return false;
    }
    let Some(&dlen) = data.get(5) else {
        return false;
    };
    let at = 6 + usize::from(dlen);
    usize::from(dlen) <= MAX_CID_LEN && data.get(at).is_some_and(|s| usize::from(*s) <= MAX_CID_LEN)
}

/// A big-endian u32 at `at`.
pub(super) fn be32(data: &[u8], at: usize) -> Option<u32> {
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
/// connection whose client chose `dcid` (RFC 9001 5.2; RFC 9369 for version 2; the
/// drafts' and Google's salts as tshark 4.0 picks them).
pub fn initial_keys(version: u32, dcid: &[u8], from_client: bool) -> Option<InitialKeys> {
    let (salt, v2) = (initial_salt(version), version == VERSION_2);
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
/// `end` = where it ends). Returns the packet number, its length and, when the whole
/// packet was captured and the tag checks, the plaintext payload.
fn unprotect(
    keys: &InitialKeys,
    packet: &[u8],
    pn_offset: usize,
    end: usize,
    largest: Option<u64>,
) -> Option<(u64, usize, Option<Vec<u8>>)> {
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
        return Some((pn, pn_len, None));
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
    Some((pn, pn_len, plain))
}

/// The frame types of a decrypted payload, and its CRYPTO pieces (offset, data).
fn frames(payload: &[u8]) -> (Vec<u64>, Vec<(u64, &[u8])>) {
    let mut out = Vec::new();
    let mut crypto = Vec::new();
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
                    if let Some(data) = payload.get(start..start.checked_add(len)?) {
                        crypto.push((off, data));
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
    (out, crypto)
}

impl QuicSide {
    /// Adds a CRYPTO piece at `off` to the side's stream; true when the contiguous
    /// prefix grew. Bounded by [`MAX_CRYPTO_BYTES`] and [`MAX_CRYPTO_PIECES`].
    fn add_crypto(&mut self, off: u64, data: &[u8]) -> bool {
        let have = self.crypto.len() as u64;
        if off > have {
            let held: usize = self.crypto_pending.iter().map(|(_, d)| d.len()).sum();
            if self.crypto_pending.len() < MAX_CRYPTO_PIECES
                && off < MAX_CRYPTO_BYTES as u64
                && held.saturating_add(data.len()) <= MAX_CRYPTO_BYTES
            {
                self.crypto_pending.push((off, data.to_vec()));
            }
            return false;
        }
        let mut grew = self.extend_crypto(off, data);
        // pieces that now touch the prefix
        while let Some(i) = self
            .crypto_pending
            .iter()
            .position(|(o, _)| *o <= self.crypto.len() as u64)
        {
            let (o, d) = self.crypto_pending.swap_remove(i);
            grew |= self.extend_crypto(o, &d);
        }
        grew
    }

    /// Appends the part of `data` (at `off`, not beyond the prefix) past the prefix.
    fn extend_crypto(&mut self, off: u64, data: &[u8]) -> bool {
        let skip =
            usize::try_from((self.crypto.len() as u64).saturating_sub(off)).unwrap_or(usize::MAX);
        let room = MAX_CRYPTO_BYTES.saturating_sub(self.crypto.len());
        match data.get(skip..) {
            Some(new) if !new.is_empty() && room > 0 => {
                self.crypto
                    .extend_from_slice(new.get(..new.len().min(room)).unwrap_or(new));
                true
            }
            _ => false,
        }
    }

    /// The first handshake message of the stream when it is all there: its type and body.
    pub fn first_message(&self) -> Option<(u8, &[u8])> {
        let t = *self.crypto.first()?;
        let len = self.crypto.get(1..4)?;
        let len = usize::from(*len.first()?) << 16
            | usize::from(*len.get(1)?) << 8
            | usize::from(*len.get(2)?);
        Some((t, self.crypto.get(4..4usize.checked_add(len)?)?))
    }
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

/// The bytes of the packet at the start of `rest` (tshark's `quic_get_message_tvb`): a
/// long header packet other than Retry and Version Negotiation ends where its Length
/// says when that is inside the datagram; anything else takes the rest.
fn packet_len(rest: &[u8]) -> usize {
    let whole = rest.len();
    let Some(&first) = rest.first() else {
        return 0;
    };
    let Some(version) = be32(rest, 1).filter(|v| *v != 0 && first & 0x80 != 0) else {
        return whole;
    };
    let kind = long_type(first, version);
    if kind == LongType::Retry {
        return whole;
    }
    let computed = (|| {
        let mut at = 5usize;
        at += 1 + usize::from(*rest.get(at)?);
        at += 1 + usize::from(*rest.get(at)?);
        if kind == LongType::Initial {
            let (token, n) = varint(rest, at)?;
            at = at
                .checked_add(n)?
                .checked_add(usize::try_from(token).ok()?)?;
        }
        let (length, n) = varint(rest, at)?;
        if length > i32::MAX as u64 {
            return None;
        }
        at.checked_add(n)?
            .checked_add(usize::try_from(length).ok()?)
    })();
    match computed {
        Some(len) if len < whole => len,
        _ => whole,
    }
}

impl QuicConn {
    /// Dissects the QUIC packets of one datagram sent by the client when
    /// `from_client`. Returns them in order (coalesced packets included, as tshark
    /// splits them: a later packet whose DCID differs from the first one's, or that
    /// starts with a zero byte, is padding, not a packet); empty when the first is
    /// not QUIC.
    pub fn dissect(&mut self, datagram: &[u8], from_client: bool) -> Vec<QuicPacket> {
        let mut out = Vec::new();
        let first_datagram = self.sides.iter().all(|s| s.packets == 0);
        if self.google.is_some() || (first_datagram && is_gquic(datagram)) {
            // tshark's GQUIC dissector then has the whole conversation
            if let Some(g) = self.google_packet(datagram, from_client) {
                out.push(QuicPacket::Google(g));
            }
            self.count(from_client);
            return out;
        }
        if !self.tracked
            && datagram.first().is_some_and(|f| f & 0x80 != 0)
            && be32(datagram, 1).is_some_and(|v| {
                v != 0 && long_type(datagram.first().copied().unwrap_or(0), v) == LongType::Initial
            })
        {
            // tshark's client is whoever sent the connection's first Initial
            self.flipped = !from_client;
        }
        let from_client = from_client != self.flipped;
        let s = usize::from(!from_client);
        let mut at = 0usize;
        let mut first_dcid: Option<Option<Cid>> = None;
        while let Some(rest) = datagram.get(at..).filter(|r| !r.is_empty()) {
            let len = packet_len(rest);
            let Some(p) = rest.get(..len) else { break };
            let Some(&first) = p.first() else { break };
            // coalesced packets must carry the first one's DCID (RFC 9000 12.2)
            let dcid = self.dcid_of(p, s);
            match &first_dcid {
                None => first_dcid = Some(dcid),
                Some(d) if *d != dcid && dcid.is_some() && d.is_some() => break,
                Some(_) => {}
            }
            if first & 0x80 != 0 {
                let version = be32(p, 1);
                if version == Some(0) {
                    if let Some((dcid, scid, _)) = long_cids(p) {
                        out.push(QuicPacket::VersionNegotiation { dcid, scid });
                    }
                    break;
                }
                if self.long(p, s, from_client, &mut out).is_none() {
                    break;
                }
            } else if first != 0 {
                // short header: the DCID length is what the peer sent as its SCID
                let peer = self
                    .sides
                    .get(1 - s)
                    .and_then(|p| p.cid)
                    .unwrap_or_default();
                let dcid = p
                    .get(1..1 + usize::from(peer.len))
                    .and_then(Cid::new)
                    .unwrap_or_default();
                self.short_packets += 1;
                out.push(QuicPacket::Short { dcid, len: p.len() });
            }
            at += len;
        }
        self.count(from_client);
        out
    }

    /// Counts a datagram of the side wirelab calls `from_client`.
    fn count(&mut self, from_client: bool) {
        let s = usize::from(!from_client);
        if let Some(side) = self.sides.get_mut(s) {
            side.packets += 1;
        }
    }

    /// The DCID tshark compares across coalesced packets: a long header's, or a short
    /// header's as long as the peer's CID (`None` when the connection knows no CID
    /// yet, which tshark does not check).
    fn dcid_of(&self, p: &[u8], s: usize) -> Option<Cid> {
        let first = *p.first()?;
        if first & 0x80 != 0 {
            let len = usize::from(*p.get(5)?);
            return Some(p.get(6..6 + len).and_then(Cid::new).unwrap_or_default());
        }
        if !self.tracked {
            return None;
        }
        let peer = self
            .sides
            .get(1 - s)
            .and_then(|x| x.cid)
            .unwrap_or_default();
        Some(
            p.get(1..1 + usize::from(peer.len))
                .and_then(Cid::new)
                .unwrap_or_default(),
        )
    }

    /// One long header packet `p` (this packet's bytes only); `None` when it cannot
    /// be read (a version tshark does not dissect, CIDs past the bytes).
    fn long(
        &mut self,
        p: &[u8],
        s: usize,
        from_client: bool,
        out: &mut Vec<QuicPacket>,
    ) -> Option<()> {
        let first = *p.first()?;
        let version = be32(p, 1)?;
        if !is_known_version(version) {
            return None;
        }
        let (dcid, scid, mut at) = long_cids(p)?;
        self.version.get_or_insert(version);
        let kind = long_type(first, version);
        self.learn_cids(kind, from_client, dcid, scid);
        let mut packet = QuicPacket::Long {
            kind,
            version,
            dcid,
            scid,
            pn: None,
            frames: None,
            crypto_start: None,
            crypto_offset: None,
            google_info: None,
        };
        if kind == LongType::Retry {
            out.push(packet);
            return Some(());
        }
        if kind == LongType::Initial {
            let (token_len, n) = varint(p, at)?;
            at += n + usize::try_from(token_len).ok()?;
        }
        let (length, n) = varint(p, at)?;
        let pn_offset = at + n;
        let end = pn_offset.checked_add(usize::try_from(length).ok()?)?;
        if kind == LongType::Initial {
            let odcid = self.original_dcid.unwrap_or(dcid);
            let largest = self.sides.get(s).and_then(|x| x.largest_initial_pn);
            if let Some(keys) = initial_keys(version, odcid.as_bytes(), from_client)
                && let Some((n, pn_len, plain)) = unprotect(&keys, p, pn_offset, end, largest)
                && let QuicPacket::Long {
                    pn,
                    frames: frame_list,
                    crypto_start,
                    crypto_offset,
                    google_info,
                    ..
                } = &mut packet
            {
                *pn = Some(n);
                if let Some(plain) = plain {
                    if let Some(side) = self.sides.get_mut(s) {
                        side.largest_initial_pn =
                            Some(side.largest_initial_pn.map_or(n, |l| l.max(n)));
                    }
                    if GOOGLE_IETF_VERSIONS.contains(&version) {
                        // tshark reads these payloads as Google QUIC frames
                        let g = GquicConn {
                            version: p
                                .get(2..5)
                                .and_then(|d| std::str::from_utf8(d).ok()?.parse().ok())
                                .unwrap_or(0),
                            version_valid: true,
                            big_endian: true,
                            encrypted: 0,
                        };
                        *google_info = gquic_frames_info(&plain, 0, pn_len, &g);
                        *frame_list = Some(Vec::new());
                    } else {
                        let (f, pieces) = frames(&plain);
                        *frame_list = Some(f);
                        *crypto_offset = pieces.iter().map(|(o, _)| *o).min();
                        *crypto_start = pieces
                            .iter()
                            .find(|(o, _)| *o == 0)
                            .map(|(_, d)| d.to_vec());
                        if from_client && !self.crypto_done {
                            self.follow_client_crypto(&pieces);
                        }
                    }
                }
            }
        }
        out.push(packet);
        Some(())
    }

    /// What a long header teaches the connection, as tshark's connection tracking
    /// learns it: the client's first Initial starts the connection (its SCID is the
    /// client's CID, its DCID gives the Initial keys); the server's first SCID of an
    /// Initial, Retry or Handshake is the server's CID; a Retry makes the client's next
    /// Initial start over (new keys, the server's CID learnt again). Without a client
    /// Initial there is no connection: no keys, and short headers show no DCID.
    fn learn_cids(&mut self, kind: LongType, from_client: bool, dcid: Cid, scid: Cid) {
        let some = |c: Cid| (!c.is_empty()).then_some(c);
        match (kind, from_client) {
            (LongType::Initial, true) if !self.tracked => {
                self.tracked = true;
                self.sides[0].cid = some(scid);
                self.original_dcid = some(dcid);
            }
            (LongType::Initial, true) if self.original_dcid.is_none() && !dcid.is_empty() => {
                // the Initial that answers a Retry
                if let Some(c) = some(scid) {
                    self.sides[0].cid = Some(c);
                }
                self.original_dcid = Some(dcid);
                self.sides[1].cid = None;
            }
            (LongType::Initial | LongType::Retry | LongType::Handshake, false) if self.tracked => {
                if kind == LongType::Retry {
                    self.original_dcid = None;
                }
                if self.sides[1].cid.is_none() {
                    self.sides[1].cid = some(scid);
                }
            }
            _ => {}
        }
    }

    /// Adds the client's CRYPTO pieces to its stream; once the stream's first handshake
    /// message is whole, reads the SNI and ALPN of a Client Hello and lets the bytes go
    /// (a connection keeps them only while its Client Hello is incomplete).
    fn follow_client_crypto(&mut self, pieces: &[(u64, &[u8])]) {
        let side = &mut self.sides[0];
        let mut grew = false;
        for (o, d) in pieces {
            grew |= side.add_crypto(*o, d);
        }
        if !grew {
            return;
        }
        let Some((t, body)) = side.first_message() else {
            return;
        };
        if t == 1
            && let Some(ch) = super::tls::parse_client_hello(body)
        {
            self.server_name = ch.server_name.clone();
            self.alpn = ch.alpn.clone();
        }
        let side = &mut self.sides[0];
        side.crypto = Vec::new();
        side.crypto_pending = Vec::new();
        self.crypto_done = true;
    }
}

/// The DCID, SCID and the offset after them of a long header.
fn long_cids(p: &[u8]) -> Option<(Cid, Cid, usize)> {
    let dlen = usize::from(*p.get(5)?);
    let dcid = Cid::new(p.get(6..6 + dlen)?)?;
    let slen = usize::from(*p.get(6 + dlen)?);
    let scid = Cid::new(p.get(7 + dlen..7 + dlen + slen)?)?;
    Some((dcid, scid, 7 + dlen + slen))
}

/// The long packet type of first byte `first` in `version` (v2 renumbers them).
fn long_type(first: u8, version: u32) -> LongType {
    let bits = (first >> 4) & 0x03;
    if version == VERSION_2 {
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
        assert_eq!(c, vec![(0u64, &[1u8, 0][..])]);
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
    fn test_handshake_without_client_initial_teaches_no_cid() {
        let mut conn = QuicConn::default();
        let hs = protect(2, &[0xc2; 4], &[0x5f; 8], 1, &[0; 40], None, 0);
        assert_eq!(conn.dissect(&hs, false).len(), 1);
        assert!(!conn.tracked && conn.sides[1].cid.is_none());
        let mut short = vec![0x41];
        short.extend_from_slice(&[0x5f; 8]);
        short.extend_from_slice(&[9; 40]);
        let out = conn.dissect(&short, true);
        assert!(
            matches!(out.as_slice(), [QuicPacket::Short { dcid, .. }] if dcid.is_empty()),
            "{out:?}"
        );
    }

    #[test]
    fn test_not_quic() {
        assert!(!looks_like_long_header(b"GET / HTTP/1.1"));
        assert!(!looks_like_long_header(&[0xc0, 0, 0, 0, 1, 30, 0]));
        assert!(looks_like_long_header(&[
            0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0
        ]));
        // Version Negotiation starts no connection (tshark's heuristic wants a draft)
        assert!(!looks_like_long_header(&[0xc0, 0, 0, 0, 0, 0, 0]));
    }

    #[test]
    fn test_gquic_heuristic_public_header_and_q046() {
        // public header: flags 0x09 (version, 8-byte CID), CID, "Q043", PKN
        let mut q043 = vec![0x09];
        q043.extend_from_slice(&[0x11; 8]);
        q043.extend_from_slice(b"Q043\x01");
        assert!(is_gquic(&q043));
        q043[0] = 0x01; // no CID flag
        assert!(!is_gquic(&q043));
        // Q046 long header; Q050 and T051 are the QUIC dissector's
        let mut q046 = vec![0xc3];
        q046.extend_from_slice(b"Q046\x50");
        q046.extend_from_slice(&[0x22; 12]);
        assert!(is_gquic(&q046));
        q046[1..5].copy_from_slice(b"Q050");
        assert!(!is_gquic(&q046));
        assert!(is_known_version(0x5130_3530) && is_known_version(0x5430_3531));
        assert!(!is_known_version(0x5130_3436) && !is_known_version(0));
    }

    #[test]
    fn test_draft_versions_pick_their_salts() {
        assert_eq!(draft_version(0xff00_001d), 29);
        assert_eq!(draft_version(0xface_b002), 27);
        assert_eq!(draft_version(0x1a2a_3a4a), 34, "grease behaves as v1");
        assert_eq!(initial_salt(0xff00_001d), &SALTS[4]);
        assert_eq!(initial_salt(0xff00_0016), &SALTS[2]);
        assert_eq!(initial_salt(0x5430_3531), &SALTS[7]);
        assert_eq!(initial_salt(0x0a0a_0a0a), &SALTS[0]);
        // draft-ietf-quic-tls-29 appendix A: the client keys of DCID 0x8394c8f03e515708
        let c = initial_keys(0xff00_001d, &hex("8394c8f03e515708"), true).unwrap();
        assert_eq!(c.key.to_vec(), hex("175257a31eb09dea9366d8bb79ad80ba"));
        assert_eq!(c.hp.to_vec(), hex("9ddd12c994c0698b89374a9c077a3077"));
    }

    /// A long header packet protected with the Initial keys of `keys` (RFC 9001 5),
    /// or with opaque bytes as payload when `keys` is `None`. `bits` are the type bits
    /// (v1: 0 Initial, 1 0-RTT, 2 Handshake), `pad_to` pads the plaintext with zeros.
    fn protect(
        bits: u8,
        dcid: &[u8],
        scid: &[u8],
        pn: u16,
        payload: &[u8],
        keys: Option<&InitialKeys>,
        pad_to: usize,
    ) -> Vec<u8> {
        let mut h = vec![0xc1 | bits << 4]; // long, fixed bit, 2-byte packet number
        h.extend_from_slice(&VERSION_1.to_be_bytes());
        h.push(dcid.len() as u8);
        h.extend_from_slice(dcid);
        h.push(scid.len() as u8);
        h.extend_from_slice(scid);
        if bits == 0 {
            h.push(0); // token length
        }
        let mut plain = payload.to_vec();
        let base = h.len() + 2 + 2 + plain.len() + 16;
        plain.resize(plain.len() + pad_to.saturating_sub(base), 0);
        let length = 2 + plain.len() + 16;
        h.extend_from_slice(&(0x4000 | length as u16).to_be_bytes());
        let pn_offset = h.len();
        h.extend_from_slice(&pn.to_be_bytes());
        let Some(k) = keys else {
            h.extend((0..plain.len() + 16).map(|i| (i * 7 + 3) as u8));
            return h;
        };
        let mut nonce = k.iv;
        for (n, p) in nonce
            .iter_mut()
            .rev()
            .zip(u64::from(pn).to_be_bytes().iter().rev())
        {
            *n ^= p;
        }
        let aead = Aes128Gcm::new(GenericArray::from_slice(&k.key));
        let ct = aead
            .encrypt(
                GenericArray::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &h,
                },
            )
            .unwrap();
        let mut pkt = h;
        pkt.extend_from_slice(&ct);
        let hp = Aes128::new(GenericArray::from_slice(&k.hp));
        let mut mask = GenericArray::clone_from_slice(&pkt[pn_offset + 4..pn_offset + 20]);
        hp.encrypt_block(&mut mask);
        pkt[0] ^= mask[0] & 0x0f;
        pkt[pn_offset] ^= mask[1];
        pkt[pn_offset + 1] ^= mask[2];
        pkt
    }

    /// A CRYPTO frame at `off` carrying `data` (2-byte varints).
    fn crypto(off: u16, data: &[u8]) -> Vec<u8> {
        let mut f = vec![0x06];
        f.extend_from_slice(&(0x4000 | off).to_be_bytes());
        f.extend_from_slice(&(0x4000 | data.len() as u16).to_be_bytes());
        f.extend_from_slice(data);
        f
    }

    /// A TLS Client Hello naming `sni`, padded by an extension to `pad` bytes.
    fn client_hello(sni: &str, pad: usize) -> Vec<u8> {
        let mut ext = Vec::new();
        let name = sni.as_bytes();
        ext.extend_from_slice(&[0, 0]); // server_name
        ext.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
        ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        ext.extend_from_slice(&[0, 16, 0, 5, 0, 3, 2, b'h', b'3']); // ALPN h3
        ext.extend_from_slice(&[0, 21]); // padding extension
        ext.extend_from_slice(&(pad as u16).to_be_bytes());
        ext.resize(ext.len() + pad, 0);
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]); // random
        body.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]); // session id, suites, compression
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut m = vec![1, 0];
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&body);
        m
    }

    const ODCID: [u8; 8] = [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08];

    #[test]
    fn test_coalesced_initial_and_handshake_are_two_packets() {
        let mut conn = QuicConn::default();
        let ck = initial_keys(VERSION_1, &ODCID, true).unwrap();
        let sk = initial_keys(VERSION_1, &ODCID, false).unwrap();
        let ch = protect(
            0,
            &ODCID,
            &[0xc1; 4],
            0,
            &crypto(0, &client_hello("a.example", 0)),
            Some(&ck),
            1200,
        );
        assert_eq!(conn.dissect(&ch, true).len(), 1);
        let mut d = protect(0, &[0xc1; 4], &[0x5e; 8], 0, &[2, 0, 0, 0, 0], Some(&sk), 0);
        d.extend(protect(2, &[0xc1; 4], &[0x5e; 8], 0, &[0; 40], None, 0));
        let out = conn.dissect(&d, false);
        assert!(
            matches!(
                out.as_slice(),
                [
                    QuicPacket::Long {
                        kind: LongType::Initial,
                        pn: Some(0),
                        ..
                    },
                    QuicPacket::Long {
                        kind: LongType::Handshake,
                        pn: None,
                        ..
                    }
                ]
            ),
            "{out:?}"
        );
    }

    #[test]
    fn test_coalesced_padding_and_other_dcid_are_not_packets() {
        let mut conn = QuicConn::default();
        let ck = initial_keys(VERSION_1, &ODCID, true).unwrap();
        // zero bytes after the Initial: tshark's "unencrypted padding"
        let mut d = protect(
            0,
            &ODCID,
            &[],
            0,
            &crypto(0, &client_hello("b.example", 0)),
            Some(&ck),
            0,
        );
        d.extend_from_slice(&[0; 300]);
        assert_eq!(conn.dissect(&d, true).len(), 1);
        // bytes whose would-be DCID is not the Initial's
        let mut d = protect(0, &ODCID, &[], 1, &[1], Some(&ck), 80);
        d.extend_from_slice(b"\x47 not a packet of this connection");
        let out = conn.dissect(&d, true);
        assert!(
            matches!(out.as_slice(), [QuicPacket::Long { pn: Some(1), .. }]),
            "{out:?}"
        );
    }

    #[test]
    fn test_crypto_across_two_initials_gives_the_sni() {
        let mut conn = QuicConn::default();
        let ck = initial_keys(VERSION_1, &ODCID, true).unwrap();
        let ch = client_hello("split.example", 1500);
        let (a, b) = ch.split_at(1000);
        // the second half first: held until the first comes
        let second = protect(0, &ODCID, &[], 1, &crypto(1000, b), Some(&ck), 1200);
        let out = conn.dissect(&second, true);
        assert!(matches!(
            out.as_slice(),
            [QuicPacket::Long {
                crypto_offset: Some(1000),
                crypto_start: None,
                ..
            }]
        ));
        assert_eq!(conn.server_name, None);
        let first = protect(0, &ODCID, &[], 0, &crypto(0, a), Some(&ck), 1200);
        let out = conn.dissect(&first, true);
        assert!(matches!(
            out.as_slice(),
            [QuicPacket::Long {
                pn: Some(0),
                crypto_offset: Some(0),
                ..
            }]
        ));
        assert_eq!(conn.server_name.as_deref(), Some("split.example"));
        assert_eq!(conn.alpn, vec!["h3".to_string()]);
        // the bytes are let go once the Client Hello is read
        assert!(conn.crypto_done && conn.sides[0].crypto.is_empty());
    }

    #[test]
    fn test_retry_renews_the_initial_keys() {
        let mut conn = QuicConn::default();
        let ck = initial_keys(VERSION_1, &ODCID, true).unwrap();
        let first = protect(
            0,
            &ODCID,
            &[0xee; 3],
            0,
            &crypto(0, &client_hello("r.example", 0)),
            Some(&ck),
            1200,
        );
        conn.dissect(&first, true);
        let mut retry = vec![0xf0];
        retry.extend_from_slice(&VERSION_1.to_be_bytes());
        retry.extend_from_slice(&[3, 0xee, 0xee, 0xee, 8]);
        retry.extend_from_slice(&[0x99; 8]);
        retry.extend_from_slice(b"token");
        retry.extend_from_slice(&[0; 16]);
        assert!(matches!(
            conn.dissect(&retry, false).as_slice(),
            [QuicPacket::Long {
                kind: LongType::Retry,
                ..
            }]
        ));
        let nk = initial_keys(VERSION_1, &[0x99; 8], true).unwrap();
        let again = protect(
            0,
            &[0x99; 8],
            &[0xee; 3],
            1,
            &crypto(0, &client_hello("r.example", 0)),
            Some(&nk),
            1200,
        );
        let out = conn.dissect(&again, true);
        assert!(
            matches!(
                out.as_slice(),
                [QuicPacket::Long {
                    pn: Some(1),
                    frames: Some(_),
                    ..
                }]
            ),
            "{out:?}"
        );
    }

    /// A Google QUIC CHLO with an SNI tag, as a STREAM frame on stream 1.
    fn chlo_frame() -> Vec<u8> {
        let mut m = b"CHLO".to_vec();
        m.extend_from_slice(&[1, 0, 0, 0]); // one tag, padding
        m.extend_from_slice(b"SNI\0");
        m.extend_from_slice(&14u32.to_le_bytes()); // its value ends at byte 14
        m.extend_from_slice(b"www.google.com");
        let mut f = vec![0xa0, 1]; // STREAM with data length, 1-byte stream ID 1
        f.extend_from_slice(&(m.len() as u16).to_be_bytes());
        f.extend_from_slice(&m);
        f
    }

    #[test]
    fn test_gquic_q043_client_hello_then_encrypted() {
        let mut conn = QuicConn::default();
        let mut p = vec![0x09];
        p.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
        p.extend_from_slice(b"Q043");
        p.push(1); // packet number
        p.extend_from_slice(&[0; 12]); // message authentication hash
        p.extend_from_slice(&chlo_frame());
        let out = conn.dissect(&p, true);
        assert_eq!(conn.server_name.as_deref(), Some("www.google.com"));
        assert_eq!(
            out,
            vec![QuicPacket::Google(GquicPacket {
                kind: GquicKind::Clear("Client Hello"),
                cid: 0x1122_3344_5566_7788,
                pkn: Some(1),
                version: Some(*b"Q043"),
            })]
        );
        // the server's packets carry no CID and no version: followed by conversation
        let out = conn.dissect(&[0x00, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9], false);
        assert!(matches!(
            out.as_slice(),
            [QuicPacket::Google(GquicPacket {
                kind: GquicKind::Encrypted,
                cid: 0,
                pkn: Some(1),
                ..
            })]
        ));
    }

    #[test]
    fn test_gquic_old_versions_are_little_endian() {
        let mut conn = QuicConn::default();
        let mut p = vec![0x19]; // 2-byte packet number
        p.extend_from_slice(&0x1122_3344_5566_7788u64.to_be_bytes());
        p.extend_from_slice(b"Q025");
        p.extend_from_slice(&[0x02, 0x01]);
        p.extend_from_slice(&[0; 13]); // hash and private flags (before Q034)
        p.extend_from_slice(&chlo_frame());
        let out = conn.dissect(&p, true);
        assert!(
            matches!(
                out.as_slice(),
                [QuicPacket::Google(GquicPacket {
                    kind: GquicKind::Clear("Client Hello"),
                    cid: 0x8877_6655_4433_2211,
                    pkn: Some(0x0102),
                    ..
                })]
            ),
            "{out:?}"
        );
    }

    #[test]
    fn test_gquic_q046_long_and_short_headers() {
        let mut conn = QuicConn::default();
        let mut p = vec![0xc3];
        p.extend_from_slice(b"Q046");
        p.push(0x50); // DCIL 5 (8 bytes), SCIL 0
        p.extend_from_slice(&[0xa1; 8]);
        p.extend_from_slice(&1u32.to_be_bytes());
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&chlo_frame());
        let out = conn.dissect(&p, true);
        assert!(matches!(
            out.as_slice(),
            [QuicPacket::Google(GquicPacket {
                kind: GquicKind::Clear("Client Hello"),
                pkn: Some(1),
                ..
            })]
        ));
        let mut short = vec![0x43];
        short.extend_from_slice(&2u32.to_be_bytes());
        short.extend_from_slice(&[5; 30]);
        let out = conn.dissect(&short, false);
        assert!(matches!(
            out.as_slice(),
            [QuicPacket::Google(GquicPacket {
                kind: GquicKind::Encrypted,
                cid: 0,
                pkn: Some(2),
                ..
            })]
        ));
    }

    #[test]
    fn test_dissect_never_panics_on_prefixes() {
        let ck = initial_keys(VERSION_1, &ODCID, true).unwrap();
        let mut d = protect(
            0,
            &ODCID,
            &[1],
            0,
            &crypto(0, &client_hello("p.example", 0)),
            Some(&ck),
            0,
        );
        d.extend(protect(2, &ODCID, &[1], 0, &[0; 20], None, 0));
        let mut g = vec![0x09];
        g.extend_from_slice(&[0x11; 8]);
        g.extend_from_slice(b"Q043\x01");
        g.extend_from_slice(&[0; 12]);
        g.extend_from_slice(&chlo_frame());
        for data in [&d, &g] {
            for n in 0..=data.len() {
                for from_client in [true, false] {
                    let _ = QuicConn::default().dissect(&data[..n], from_client);
                }
            }
        }
    }
}
