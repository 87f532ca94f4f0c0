//! TLS records (RFC 8446 section 5, RFC 5246 section 6.2) and the handshake
//! messages inside them: record framing by hand (five bytes, no allocation),
//! Client Hello and Server Hello bodies with rusticata's `tls-parser`. Bytes in,
//! typed items out; the version a conversation settles on is kept by the caller in
//! a [`TlsSession`]. Never panics.

use tls_parser::{TlsExtension, parse_tls_extensions, parse_tls_handshake_client_hello};

/// TCP ports Wireshark 4.0 gives to TLS by default (https 443 and the implicit-TLS
/// ports of other protocols), plus 4433 and 8443, which its heuristic finds.
pub const TCP_PORTS: [u16; 14] = [
    443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 4433, 8443,
];

/// Largest record body TLS allows (2^14 + 2048 for a protected record).
pub const MAX_RECORD_LEN: usize = 16384 + 2048;

/// Record content types.
pub mod content {
    /// change_cipher_spec
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert
    pub const ALERT: u8 = 21;
    /// handshake
    pub const HANDSHAKE: u8 = 22;
    /// application_data
    pub const APPLICATION_DATA: u8 = 23;
    /// heartbeat (RFC 6520)
    pub const HEARTBEAT: u8 = 24;
}

/// Handshake message types.
pub mod handshake {
    /// client_hello
    pub const CLIENT_HELLO: u8 = 1;
    /// server_hello
    pub const SERVER_HELLO: u8 = 2;
}

/// The random of a Server Hello that is in fact a Hello Retry Request (RFC 8446 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// True when `data` starts with a plausible TLS record header: a known content
/// type, version 3.0 to 3.4 (SSL 3.0 to TLS 1.3), a length TLS allows. Wireshark's
/// `ssl_looks_like_sslv3`, with the length check added.
pub fn looks_like_record(data: &[u8]) -> bool {
    match data {
        [t, 3, minor, hi, lo, ..] => {
            (content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(t)
                && *minor <= 4
                && usize::from(u16::from_be_bytes([*hi, *lo])) <= MAX_RECORD_LEN
        }
        _ => false,
    }
}

/// One record header and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Content type.
    pub content_type: u8,
    /// Record-layer version (0x0301 = TLS 1.0 ... 0x0303 = TLS 1.2; TLS 1.3 keeps 0x0303).
    pub version: u16,
    /// The body.
    pub body: &'a [u8],
}

/// What the record at the start of some bytes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextRecord<'a> {
    /// A whole record, and the bytes it takes (header included).
    Whole(Record<'a>, usize),
    /// A record whose end has not been captured yet: this many bytes in all are
    /// needed from its start (5 when the header itself is cut).
    Partial { needed: usize },
    /// Not a TLS record.
    Invalid,
}

/// Reads the record at the start of `data`.
pub fn next_record(data: &[u8]) -> NextRecord<'_> {
    if data.len() < 5 {
        // a header cut short: as Wireshark, wait if what is there looks right so far
        let plausible = match data {
            [] => true,
            [t, rest @ ..] => {
                (content::CHANGE_CIPHER_SPEC..=content::HEARTBEAT).contains(t)
                    && rest.first().is_none_or(|m| *m == 3)
                    && rest.get(1).is_none_or(|m| *m <= 4)
            }
        };
        return if plausible {
            NextRecord::Partial { needed: 5 }
        } else {
            NextRecord::Invalid
        };
    }
    if !looks_like_record(data) {
        return NextRecord::Invalid;
    }
    let (Some(&t), Some(v), Some(l)) = (data.first(), be16(data, 1), be16(data, 3)) else {
        return NextRecord::Invalid;
    };
    let total = 5 + usize::from(l);
    match data.get(5..total) {
        Some(body) => NextRecord::Whole(
            Record {
                content_type: t,
                version: v,
                body,
            },
            total,
        ),
        None => NextRecord::Partial { needed: total },
    }
}

/// A big-endian u16 at `at`.
fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

/// One handshake message inside a handshake record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeMsg<'a> {
    /// Message type (1 Client Hello, 2 Server Hello, 11 Certificate, ...).
    pub msg_type: u8,
    /// The body after the 4-byte header (as much of it as the record holds).
    pub body: &'a [u8],
    /// The length its header declares.
    pub declared_len: usize,
}

/// The handshake messages of a record body, in order. Stops at a message that does
/// not fit in the record (Wireshark then calls the rest encrypted).
pub fn handshake_messages(body: &[u8]) -> impl Iterator<Item = HandshakeMsg<'_>> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let (&msg_type, len) = match rest {
            [t, a, b, c, ..] => (
                t,
                usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c),
            ),
            _ => return None,
        };
        let end = 4usize.checked_add(len)?;
        let body = rest.get(4..end)?;
        rest = rest.get(end..).unwrap_or(&[]);
        Some(HandshakeMsg {
            msg_type,
            body,
            declared_len: len,
        })
    })
}

/// True when a handshake record body is plaintext as Wireshark judges it: its
/// messages have known types and fill the record exactly (an encrypted Finished
/// almost never does).
pub fn handshake_is_plaintext(body: &[u8]) -> bool {
    let mut len = 0usize;
    for m in handshake_messages(body) {
        if handshake_name(m.msg_type).is_none() {
            return false;
        }
        len += 4 + m.declared_len;
    }
    len > 0 && len == body.len()
}

/// Wireshark's name of a handshake message type (`ssl_31_handshake_type`).
pub fn handshake_name(msg_type: u8) -> Option<&'static str> {
    Some(match msg_type {
        0 => "Hello Request",
        1 => "Client Hello",
        2 => "Server Hello",
        3 => "Hello Verify Request",
        4 => "New Session Ticket",
        5 => "End of Early Data",
        6 => "Hello Retry Request",
        8 => "Encrypted Extensions",
        11 => "Certificate",
        12 => "Server Key Exchange",
        13 => "Certificate Request",
        14 => "Server Hello Done",
        15 => "Certificate Verify",
        16 => "Client Key Exchange",
        20 => "Finished",
        21 => "Certificate URL",
        22 => "Certificate Status",
        23 => "Supplemental Data",
        24 => "Key Update",
        25 => "Compressed Certificate",
        67 => "Next Protocol",
        254 => "Message Hash",
        _ => return None,
    })
}

/// Wireshark's name of an alert level.
pub fn alert_level_name(level: u8) -> &'static str {
    match level {
        1 => "Warning",
        2 => "Fatal",
        _ => "Unknown",
    }
}

/// Wireshark's name of an alert description (`ssl_31_alert_description`).
pub fn alert_description_name(desc: u8) -> &'static str {
    match desc {
        0 => "Close Notify",
        10 => "Unexpected Message",
        20 => "Bad Record MAC",
        21 => "Decryption Failed",
        22 => "Record Overflow",
        30 => "Decompression Failure",
        40 => "Handshake Failure",
        41 => "No Certificate",
        42 => "Bad Certificate",
        43 => "Unsupported Certificate",
        44 => "Certificate Revoked",
        45 => "Certificate Expired",
        46 => "Certificate Unknown",
        47 => "Illegal Parameter",
        48 => "Unknown CA",
        49 => "Access Denied",
        50 => "Decode Error",
        51 => "Decrypt Error",
        60 => "Export Restriction",
        70 => "Protocol Version",
        71 => "Insufficient Security",
        80 => "Internal Error",
        86 => "Inappropriate Fallback",
        90 => "User Canceled",
        100 => "No Renegotiation",
        109 => "Missing Extension",
        110 => "Unsupported Extension",
        111 => "Certificate Unobtainable",
        112 => "Unrecognized Name",
        113 => "Bad Certificate Status Response",
        114 => "Bad Certificate Hash Value",
        115 => "Unknown PSK Identity",
        116 => "Certificate Required",
        120 => "No application Protocol",
        _ => "Unknown",
    }
}

/// Wireshark's short name of a TLS version (`ssl_version_short_names`), the
/// Protocol column.
pub fn version_short_name(version: u16) -> &'static str {
    match version {
        0x0002 => "SSLv2",
        0x0300 => "SSLv3",
        0x0301 => "TLSv1",
        0x0302 => "TLSv1.1",
        0x0303 => "TLSv1.2",
        0x0304 => "TLSv1.3",
        _ => "TLS",
    }
}

/// The plain name of a TLS version for a student ("TLS 1.2").
pub fn version_plain_name(version: u16) -> &'static str {
    match version {
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => "TLS",
    }
}

/// What a Client Hello proposes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// The legacy version field (0x0303 for TLS 1.2 and 1.3 clients).
    pub legacy_version: u16,
    /// The highest version of the `supported_versions` extension (GREASE left out),
    /// else the legacy version.
    pub max_version: u16,
    /// The server name (SNI host name), when sent.
    pub server_name: Option<String>,
    /// Application protocols offered (ALPN: `h2`, `http/1.1`, ...).
    pub alpn: Vec<String>,
    /// How many cipher suites are offered.
    pub cipher_suites: usize,
    /// Extension types in order.
    pub extensions: Vec<u16>,
}

/// What a Server Hello (or Hello Retry Request) chooses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// The legacy version field.
    pub legacy_version: u16,
    /// The version chosen: `supported_versions` when present (TLS 1.3), else legacy.
    pub version: u16,
    /// The cipher suite chosen.
    pub cipher_suite: u16,
    /// True for a Hello Retry Request (the special random).
    pub retry_request: bool,
}

/// True for a GREASE value (RFC 8701): 0x?A?A with both bytes equal.
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

/// Parses a Client Hello body (after the 4-byte handshake header).
pub fn parse_client_hello(body: &[u8]) -> Option<ClientHello> {
    let (_, ch) = parse_tls_handshake_client_hello(body).ok()?;
    let mut out = ClientHello {
        legacy_version: ch.version.0,
        max_version: ch.version.0,
        cipher_suites: ch.ciphers.len(),
        ..ClientHello::default()
    };
    if let Some(ext) = ch.ext {
        out.extensions = extension_types(ext);
        if let Ok((_, list)) = parse_tls_extensions(ext) {
            for e in list {
                match e {
                    TlsExtension::SNI(names) => {
                        out.server_name = names
                            .iter()
                            .find(|(t, _)| t.0 == 0)
                            .map(|(_, n)| String::from_utf8_lossy(n).into_owned());
                    }
                    TlsExtension::SupportedVersions(vs) => {
                        if let Some(max) = vs.iter().map(|v| v.0).filter(|v| !is_grease(*v)).max() {
                            out.max_version = max;
                        }
                    }
                    TlsExtension::ALPN(protos) => {
                        out.alpn = protos
                            .iter()
                            .map(|p| String::from_utf8_lossy(p).into_owned())
                            .collect();
                    }
                    _ => {}
                }
            }
        }
    }
    Some(out)
}

/// The extension types of an extensions block, in order (read by hand: tls-parser
/// drops the ones it does not know).
pub fn extension_types(ext: &[u8]) -> Vec<u16> {
    extensions(ext).map(|(t, _, _)| t).collect()
}

/// The extensions of an extensions block, in order: type, offset of its 4-byte header in
/// `ext`, and its data (cut to the bytes there, for the last one).
fn extensions(ext: &[u8]) -> impl Iterator<Item = (u16, usize, &[u8])> {
    // None once an extension ran past the block
    let mut next = Some(0usize);
    std::iter::from_fn(move || {
        let at = next?;
        let (t, l) = (be16(ext, at)?, be16(ext, at + 2)?);
        let end = at + 4 + usize::from(l);
        let data = ext.get(at + 4..end.min(ext.len())).unwrap_or(&[]);
        next = (end <= ext.len()).then_some(end);
        Some((t, at, data))
    })
}

/// Parses a Server Hello body (after the 4-byte handshake header). Read by hand:
/// tls-parser 0.12 does not read a TLS 1.3 Server Hello's `supported_versions`
/// as the two-byte form.
pub fn parse_server_hello(body: &[u8]) -> Option<ServerHello> {
    let legacy_version = be16(body, 0)?;
    let random = body.get(2..34)?;
    let sid_len = usize::from(*body.get(34)?);
    let at = 35 + sid_len;
    let cipher_suite = be16(body, at)?;
    let mut out = ServerHello {
        legacy_version,
        version: legacy_version,
        cipher_suite,
        retry_request: random == HRR_RANDOM,
    };
    // compression method, then extensions
    let ext_len = usize::from(be16(body, at + 3).unwrap_or(0));
    let mut ext = body.get(at + 5..at + 5 + ext_len).unwrap_or(&[]);
    while let (Some(t), Some(l)) = (be16(ext, 0), be16(ext, 2)) {
        let end = 4 + usize::from(l);
        if t == 43 && l == 2 {
            out.version = be16(ext, 4)?;
        }
        match ext.get(end..) {
            Some(rest) => ext = rest,
            None => break,
        }
    }
    Some(out)
}

/// Wireshark's name of an extension type, for the detail view.
pub fn extension_name(t: u16) -> &'static str {
    match t {
        0 => "server_name",
        1 => "max_fragment_length",
        5 => "status_request",
        10 => "supported_groups",
        11 => "ec_point_formats",
        13 => "signature_algorithms",
        16 => "application_layer_protocol_negotiation",
        18 => "signed_certificate_timestamp",
        21 => "padding",
        22 => "encrypt_then_mac",
        23 => "extended_master_secret",
        27 => "compress_certificate",
        35 => "session_ticket",
        41 => "pre_shared_key",
        42 => "early_data",
        43 => "supported_versions",
        44 => "cookie",
        45 => "psk_key_exchange_modes",
        49 => "post_handshake_auth",
        51 => "key_share",
        57 => "quic_transport_parameters",
        0xff01 => "renegotiation_info",
        t if is_grease(t) => "Reserved (GREASE)",
        _ => "Unknown",
    }
}

/// One record of a frame, as the Info column names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsItem {
    /// A plaintext handshake message (its type).
    Handshake(u8),
    /// A handshake record sent after Change Cipher Spec (or not parseable).
    EncryptedHandshake,
    /// Change Cipher Spec.
    ChangeCipherSpec,
    /// A plaintext alert: level and description.
    Alert(u8, u8),
    /// An alert sent after Change Cipher Spec.
    EncryptedAlert,
    /// Application Data.
    ApplicationData,
    /// A heartbeat record.
    Heartbeat,
}

/// What one conversation's TLS records have settled so far (Wireshark's
/// `SslSession`): the version, and whether each side has switched to encryption.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSession {
    /// The version settled on (from the first authoritative record, then the
    /// Server Hello's `supported_versions`).
    pub version: Option<u16>,
    /// Each side (0 client, 1 server) has sent Change Cipher Spec.
    pub encrypted: [bool; 2],
    /// The Client Hello, once seen.
    pub client_hello: Option<Box<ClientHello>>,
    /// The Server Hello, once seen.
    pub server_hello: Option<ServerHello>,
    /// Bytes of application data records per side.
    pub app_data: [u64; 2],
    /// A fatal alert was seen.
    pub fatal_alert: Option<u8>,
}

/// The records of one frame (or reassembled PDU), with the Protocol column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFrame {
    /// The records, in order.
    pub items: Vec<TlsItem>,
    /// The Protocol column after the last record (`TLSv1.2`, ...).
    pub protocol: &'static str,
    /// The Client Hello of this frame, if any.
    pub client_hello: Option<Box<ClientHello>>,
    /// The Server Hello of this frame, if any.
    pub server_hello: Option<ServerHello>,
    /// Application Data bytes in this frame.
    pub app_data_len: u64,
}

impl TlsSession {
    /// Dissects the whole records at the start of `data`, sent by the client when
    /// `from_client`, into `out`. Returns the bytes used and, when the data ends
    /// inside a record, how many bytes that record needs in all (from the end of
    /// the used bytes).
    pub fn dissect(
        &mut self,
        data: &[u8],
        from_client: bool,
        out: &mut TlsFrame,
    ) -> (usize, Option<usize>) {
        let side = usize::from(!from_client);
        let mut used = 0usize;
        loop {
            let rest = data.get(used..).unwrap_or(&[]);
            if rest.is_empty() {
                return (used, None);
            }
            match next_record(rest) {
                NextRecord::Whole(rec, len) => {
                    self.record(rec, side, out);
                    used += len;
                }
                NextRecord::Partial { needed } => return (used, Some(needed)),
                NextRecord::Invalid => return (used, None),
            }
        }
    }

    /// One whole record: Wireshark's version logic, then its items.
    fn record(&mut self, rec: Record<'_>, side: usize, out: &mut TlsFrame) {
        let first_msg = handshake_messages(rec.body).next();
        if self.version.is_none() {
            // `ssl_is_authoritative_version_message`: any valid record but a Client Hello
            let authoritative = match rec.content_type {
                content::HANDSHAKE => first_msg.is_some_and(|m| {
                    handshake_name(m.msg_type).is_some() && m.msg_type != handshake::CLIENT_HELLO
                }),
                _ => true,
            };
            if authoritative && (0x0300..=0x0304).contains(&rec.version) {
                self.version = Some(rec.version);
            }
        }
        out.protocol = version_short_name(self.version.unwrap_or(rec.version));
        match rec.content_type {
            content::CHANGE_CIPHER_SPEC => {
                out.items.push(TlsItem::ChangeCipherSpec);
                if let Some(e) = self.encrypted.get_mut(side) {
                    *e = true;
                }
            }
            content::ALERT => {
                // two bytes: an alert in clear (an encrypted one has its MAC or tag)
                match rec.body {
                    [level @ 1..=2, desc] => {
                        if *level == 2 {
                            self.fatal_alert = Some(*desc);
                        }
                        out.items.push(TlsItem::Alert(*level, *desc));
                    }
                    _ => out.items.push(TlsItem::EncryptedAlert),
                }
            }
            content::HANDSHAKE => {
                if !handshake_is_plaintext(rec.body) {
                    out.items.push(TlsItem::EncryptedHandshake);
                    return;
                }
                for m in handshake_messages(rec.body) {
                    if handshake_name(m.msg_type).is_none() {
                        break;
                    }
                    let mut shown = m.msg_type;
                    match m.msg_type {
                        handshake::CLIENT_HELLO => {
                            if let Some(ch) = parse_client_hello(m.body) {
                                let ch = Box::new(ch);
                                self.client_hello = Some(ch.clone());
                                out.client_hello = Some(ch);
                            }
                        }
                        handshake::SERVER_HELLO => {
                            if let Some(sh) = parse_server_hello(m.body) {
                                if sh.version == 0x0304 {
                                    self.version = Some(0x0304);
                                }
                                if sh.retry_request {
                                    shown = 6;
                                }
                                self.server_hello = Some(sh);
                                out.server_hello = Some(sh);
                            }
                        }
                        _ => {}
                    }
                    out.items.push(TlsItem::Handshake(shown));
                }
            }
            content::APPLICATION_DATA => {
                let len = u64::try_from(rec.body.len()).unwrap_or(u64::MAX);
                out.app_data_len = out.app_data_len.saturating_add(len);
                if let Some(a) = self.app_data.get_mut(side) {
                    *a = a.saturating_add(len);
                }
                out.items.push(TlsItem::ApplicationData);
            }
            _ => out.items.push(TlsItem::Heartbeat),
        }
    }
}

/// Wireshark's Info text of one item.
pub fn item_name(item: &TlsItem) -> &'static str {
    match item {
        TlsItem::Handshake(t) => handshake_name(*t).unwrap_or("Unknown Handshake Message"),
        TlsItem::EncryptedHandshake => "Encrypted Handshake Message",
        TlsItem::ChangeCipherSpec => "Change Cipher Spec",
        TlsItem::Alert(..) => "Alert",
        TlsItem::EncryptedAlert => "Encrypted Alert",
        TlsItem::ApplicationData => "Application Data",
        TlsItem::Heartbeat => "Heartbeat",
    }
}

/// Wireshark's name of a record content type, and what it carries.
fn content_name(t: u8) -> (&'static str, &'static str) {
    match t {
        content::CHANGE_CIPHER_SPEC => (
            "Change Cipher Spec",
            "from here on this side encrypts (TLS 1.2; in TLS 1.3 only for old middleboxes)",
        ),
        content::ALERT => ("Alert", "a warning or an error, or the end of the session"),
        content::HANDSHAKE => (
            "Handshake",
            "the set-up: hellos, certificate, key exchange, Finished",
        ),
        content::APPLICATION_DATA => (
            "Application Data",
            "the application's bytes (HTTP, ...), encrypted",
        ),
        _ => ("Heartbeat", "a keep-alive of RFC 6520"),
    }
}

/// What an extension of a Client Hello says, for the extensions a student meets.
fn extension_meaning(t: u16) -> &'static str {
    match t {
        0 => "the name of the site the client wants (SNI), in clear",
        10 => "the key-exchange groups (curves) the client can use",
        13 => "the signature algorithms the client accepts in a certificate",
        16 => "the application protocols the client offers (ALPN)",
        43 => "the TLS versions the client speaks",
        51 => "the client's key share: TLS 1.3 agrees on keys in the first round trip",
        _ => "",
    }
}

/// Records the detail view's fields of a TCP segment of TLS: each record that starts in
/// it (content type, version, length) and what it holds: the handshake messages of a
/// plaintext handshake record (type, length; for a Client Hello its version, random,
/// cipher suites and extensions, the SNI server name and the ALPN protocols), an alert,
/// or the length of the encrypted bytes. Offsets are relative to `data`. A segment that
/// starts with no record continues one: a "[Continuation]" field.
///
/// tshark shows a record spanning segments in the segment that completes it; this view
/// shows the record's header where it starts and the bytes of it this segment holds.
pub fn fields<S: crate::decode::spans::FieldSink>(data: &[u8], s: &mut S) -> bool {
    if !S::ON || data.is_empty() {
        return false;
    }
    s.layer("Transport Layer Security", 0, data.len());
    if !looks_like_record(data) {
        crate::decode::spans::continuation(
            data,
            "the rest of a record an earlier segment started (tshark shows it whole in the segment that completes it)",
            s,
        );
        return true;
    }
    let mut names: Vec<&str> = Vec::new();
    let mut at = 0usize;
    while let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) {
        let (t, version, body, len, needed) = match next_record(rest) {
            NextRecord::Whole(rec, len) => (rec.content_type, rec.version, rec.body, len, None),
            NextRecord::Partial { needed } if rest.len() >= 5 => {
                let (Some(&t), Some(v)) = (rest.first(), be16(rest, 1)) else {
                    break;
                };
                (t, v, rest.get(5..).unwrap_or(&[]), rest.len(), Some(needed))
            }
            NextRecord::Partial { .. } => {
                s.field(
                    at,
                    rest.len(),
                    "[Record header cut]",
                    format_args!("{} of its 5 bytes", rest.len()),
                    "the record's header continues in the next segment",
                );
                break;
            }
            NextRecord::Invalid => {
                s.field(
                    at,
                    rest.len(),
                    "[Not a record]",
                    format_args!("{} bytes", rest.len()),
                    "bytes after the last record that start no record",
                );
                break;
            }
        };
        let (name, meaning) = content_name(t);
        let declared = needed.map_or(body.len(), |n| n.saturating_sub(5));
        s.field(
            at,
            len,
            "TLS Record Layer",
            name,
            match needed {
                Some(n) => format!(
                    "{} of its {n} bytes are in this segment; tshark shows it whole in the segment that completes it",
                    rest.len()
                ),
                None => String::new(),
            },
        );
        s.open();
        s.field(at, 1, "Content Type", format_args!("{name} ({t})"), meaning);
        s.field(
            at + 1,
            2,
            "Version",
            format_args!("{} (0x{version:04x})", version_plain_name(version)),
            "the record layer's version; TLS 1.3 writes TLS 1.2 here too",
        );
        s.field(
            at + 3,
            2,
            "Length",
            Bytes(declared),
            "bytes of the record after this 5-byte header",
        );
        // a record cut by the segment is named where it completes, as in the Info column
        let mut cut_names = Vec::new();
        let into = if needed.is_some() {
            &mut cut_names
        } else {
            &mut names
        };
        record_fields(t, body, at + 5, needed.is_some(), into, s);
        s.close();
        at += len;
    }
    s.summary(names.join(", "));
    true
}

/// The fields of one record's body at `at`; `cut` when the segment ends inside it. Pushes
/// the names the Info column gives what the record holds onto `names`.
fn record_fields<S: crate::decode::spans::FieldSink>(
    t: u8,
    body: &[u8],
    at: usize,
    cut: bool,
    names: &mut Vec<&'static str>,
    s: &mut S,
) {
    let mut encrypted = |s: &mut S, name: &'static str, field: &str, what: &str| {
        s.field(
            at,
            body.len(),
            field,
            Bytes(body.len()),
            format_args!("encrypted {what}: only the two ends can read it"),
        );
        names.push(name);
    };
    match t {
        content::CHANGE_CIPHER_SPEC => {
            s.field(at, body.len(), "Change Cipher Spec Message", Hex(body), "");
            names.push("Change Cipher Spec");
        }
        content::ALERT => match body {
            [level @ 1..=2, desc] => {
                s.field(
                    at,
                    1,
                    "Level",
                    format_args!("{} ({level})", alert_level_name(*level)),
                    "Fatal: the session ends",
                );
                s.field(
                    at + 1,
                    1,
                    "Description",
                    format_args!("{} ({desc})", alert_description_name(*desc)),
                    "",
                );
                names.push("Alert");
            }
            _ => encrypted(s, "Encrypted Alert", "Encrypted Alert", "alert"),
        },
        content::HANDSHAKE if !cut && handshake_is_plaintext(body) => {
            let mut off = at;
            for m in handshake_messages(body) {
                let mut name = handshake_name(m.msg_type).unwrap_or("Unknown Handshake Message");
                if m.msg_type == handshake::SERVER_HELLO
                    && parse_server_hello(m.body).is_some_and(|sh| sh.retry_request)
                {
                    name = "Hello Retry Request";
                }
                names.push(name);
                s.field(off, 4 + m.declared_len, "Handshake Protocol", name, "");
                s.open();
                s.field(
                    off,
                    1,
                    "Handshake Type",
                    format_args!("{name} ({})", m.msg_type),
                    "",
                );
                s.field(off + 1, 3, "Length", Bytes(m.declared_len), "");
                match m.msg_type {
                    handshake::CLIENT_HELLO => hello_fields(m.body, off + 4, true, s),
                    handshake::SERVER_HELLO => hello_fields(m.body, off + 4, false, s),
                    _ => {}
                }
                s.close();
                off += 4 + m.declared_len;
            }
        }
        content::HANDSHAKE if cut => {
            s.field(
                at,
                body.len(),
                "Handshake bytes",
                Bytes(body.len()),
                "the start of handshake messages that continue in the next segment",
            );
            names.push("Handshake");
        }
        content::HANDSHAKE => encrypted(
            s,
            "Encrypted Handshake Message",
            "Encrypted Handshake Message",
            "handshake",
        ),
        content::APPLICATION_DATA => encrypted(
            s,
            "Application Data",
            "Encrypted Application Data",
            "application data",
        ),
        _ => encrypted(s, "Heartbeat", "Heartbeat Message", "heartbeat"),
    }
}

/// The fields of a Client Hello (`client`) or Server Hello body at `at`, after the 4-byte
/// handshake header; read by hand for the offsets (RFC 8446 section 4.1.2 and 4.1.3).
fn hello_fields<S: crate::decode::spans::FieldSink>(
    body: &[u8],
    at: usize,
    client: bool,
    s: &mut S,
) {
    // a declared length cut to the bytes there
    let fit = |off: usize, len: usize| len.min(body.len().saturating_sub(off));
    // the message ends inside the field at `off` (its handshake length said so)
    let short = |s: &mut S, off: usize| {
        s.field(
            at + off.min(body.len()),
            0,
            "[Malformed]",
            "the message ends inside this field",
            "",
        )
    };
    let Some(version) = be16(body, 0) else {
        return short(s, 0);
    };
    s.field(
        at,
        2,
        "Version",
        format_args!("{} (0x{version:04x})", version_plain_name(version)),
        "the legacy version: TLS 1.3 says TLS 1.2 here, and its real version in supported_versions",
    );
    let Some(random) = body.get(2..34) else {
        return short(s, 2);
    };
    s.field(
        at + 2,
        32,
        "Random",
        Hex(random),
        if random == HRR_RANDOM {
            "the fixed value of a Hello Retry Request: the server asks for another key share"
        } else {
            "32 bytes chosen at random; they go into the keys"
        },
    );
    let Some(&sid_len) = body.get(34) else {
        return short(s, 34);
    };
    let sid_len = usize::from(sid_len);
    s.field(
        at + 34,
        fit(34, 1 + sid_len),
        "Session ID",
        Bytes(sid_len),
        "resumes an earlier session (TLS 1.3 sends a random one, for old middleboxes)",
    );
    let cs = 35 + sid_len;
    let ex = if client {
        let Some(cs_len) = be16(body, cs).map(usize::from) else {
            return short(s, cs);
        };
        s.field(
            at + cs,
            fit(cs, 2 + cs_len),
            "Cipher Suites",
            format_args!("{} suites", cs_len / 2),
            "the ciphers the client can use, its favourite first",
        );
        let cm = cs + 2 + cs_len;
        let Some(&cm_len) = body.get(cm) else {
            return short(s, cm);
        };
        s.field(
            at + cm,
            fit(cm, 1 + usize::from(cm_len)),
            "Compression Methods",
            format_args!("{cm_len} (length)"),
            "null only: TLS compression is unsafe (CRIME)",
        );
        cm + 1 + usize::from(cm_len)
    } else {
        let Some(suite) = be16(body, cs) else {
            return short(s, cs);
        };
        s.field(
            at + cs,
            2,
            "Cipher Suite",
            format_args!("0x{suite:04x}"),
            "the cipher the server picked from the client's list",
        );
        cs + 3
    };
    let Some(ex_len) = be16(body, ex).map(usize::from) else {
        return;
    };
    let block = body
        .get(ex + 2..(ex + 2 + ex_len).min(body.len()))
        .unwrap_or(&[]);
    s.field(
        at + ex,
        fit(ex, 2 + ex_len),
        "Extensions",
        Bytes(ex_len),
        "what is asked for (or granted) beyond the basics",
    );
    s.open();
    let base = at + ex + 2;
    for (t, off, data) in extensions(block) {
        s.field(
            base + off,
            4 + data.len(),
            format_args!("Extension: {}", extension_name(t)),
            format_args!("type {t}, {}", Bytes(data.len())),
            if client { extension_meaning(t) } else { "" },
        );
        extension_fields(t, data, base + off + 4, s);
    }
    s.close();
}

/// The fields inside the extensions a student looks for: the SNI server name, the ALPN
/// protocols, and the version a Server Hello's supported_versions picks.
fn extension_fields<S: crate::decode::spans::FieldSink>(t: u16, data: &[u8], at: usize, s: &mut S) {
    use crate::text::{Style, escape};
    s.open();
    match (t, data) {
        // server_name_list length, name type 0 (host_name), name length, name
        (0, [_, _, 0, hi, lo, name @ ..]) => {
            let n = usize::from(u16::from_be_bytes([*hi, *lo]));
            if let Some(name) = name.get(..n) {
                s.field(
                    at + 5,
                    n,
                    "Server Name",
                    escape(name, Style::Plain),
                    "sent before any encryption: a capture shows which site was visited",
                );
            }
        }
        // protocol_name_list length, then each name with a 1-byte length
        (16, _) => {
            let mut p = 2usize;
            while let Some(&l) = data.get(p) {
                let Some(proto) = data.get(p + 1..p + 1 + usize::from(l)) else {
                    break;
                };
                let meaning = match proto {
                    b"h2" => "HTTP/2",
                    b"http/1.1" => "HTTP/1.1",
                    b"h3" => "HTTP/3",
                    _ => "",
                };
                s.field(
                    at + p + 1,
                    proto.len(),
                    "ALPN Protocol",
                    escape(proto, Style::Plain),
                    meaning,
                );
                p += 1 + usize::from(l);
            }
        }
        // a Server Hello's: the one version chosen
        (43, [hi, lo]) => {
            let v = u16::from_be_bytes([*hi, *lo]);
            s.field(
                at,
                2,
                "Supported Version",
                format_args!("{} (0x{v:04x})", version_plain_name(v)),
                "the version the server picked: the session's real version",
            );
        }
        _ => {}
    }
    s.close();
}

/// A count of bytes: "1 byte", "2 bytes".
struct Bytes(usize);

impl std::fmt::Display for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            1 => f.write_str("1 byte"),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// At most 8 bytes in hex, then "…" if there were more.
struct Hex<'b>(&'b [u8]);

impl std::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::decode::spans::Hex(self.0, 8).fmt(f)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Client Hello record (TLS 1.2 record layer) offering TLS 1.3 with SNI
    /// `www.example.com` and ALPN `h2`.
    pub(crate) fn client_hello_record() -> Vec<u8> {
        let mut ext = Vec::new();
        // server_name: list len, type 0 host_name, name len, name
        let name = b"www.example.com";
        ext.extend_from_slice(&[0, 0]);
        ext.extend_from_slice(&u16::try_from(name.len() + 5).unwrap().to_be_bytes());
        ext.extend_from_slice(&u16::try_from(name.len() + 3).unwrap().to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
        ext.extend_from_slice(name);
        // supported_versions: GREASE, TLS 1.3, TLS 1.2
        ext.extend_from_slice(&[0, 43, 0, 7, 6, 0x3a, 0x3a, 3, 4, 3, 3]);
        // ALPN: h2
        ext.extend_from_slice(&[0, 16, 0, 5, 0, 3, 2, b'h', b'2']);
        let mut body = vec![3, 3]; // legacy_version TLS 1.2
        body.extend_from_slice(&[7; 32]); // random
        body.push(0); // session id length
        body.extend_from_slice(&[0, 4, 0x13, 0x01, 0x13, 0x02]); // two cipher suites
        body.extend_from_slice(&[1, 0]); // compression: null
        body.extend_from_slice(&u16::try_from(ext.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&u16::try_from(hs.len()).unwrap().to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    /// A TLS 1.3 Server Hello record (supported_versions = 0x0304), then CCS.
    pub(crate) fn server_hello_flight(random: [u8; 32]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&random);
        body.push(0);
        body.extend_from_slice(&[0x13, 0x01, 0]); // cipher, compression
        body.extend_from_slice(&[0, 6, 0, 43, 0, 2, 3, 4]);
        let mut hs = vec![2, 0];
        hs.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![22, 3, 3];
        rec.extend_from_slice(&u16::try_from(hs.len()).unwrap().to_be_bytes());
        rec.extend_from_slice(&hs);
        rec.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        rec.extend_from_slice(&[23, 3, 3, 0, 3, 9, 9, 9]);
        rec
    }

    #[test]
    fn test_client_hello_names_sni_and_version() {
        let rec = client_hello_record();
        let mut s = TlsSession::default();
        let mut out = TlsFrame::default();
        assert_eq!(s.dissect(&rec, true, &mut out), (rec.len(), None));
        assert_eq!(out.items, vec![TlsItem::Handshake(1)]);
        assert_eq!(out.protocol, "TLSv1");
        let ch = out.client_hello.unwrap();
        assert_eq!(ch.server_name.as_deref(), Some("www.example.com"));
        assert_eq!(ch.max_version, 0x0304);
        assert_eq!(ch.alpn, vec!["h2".to_string()]);
        assert_eq!(ch.extensions, vec![0, 43, 16]);
        assert_eq!(
            s.version, None,
            "a Client Hello does not settle the version"
        );
    }

    #[test]
    fn test_server_hello_settles_tls13_then_ccs_and_app_data() {
        let flight = server_hello_flight([1; 32]);
        let mut s = TlsSession::default();
        let mut out = TlsFrame::default();
        s.dissect(&flight, false, &mut out);
        assert_eq!(
            out.items,
            vec![
                TlsItem::Handshake(2),
                TlsItem::ChangeCipherSpec,
                TlsItem::ApplicationData
            ]
        );
        assert_eq!(out.protocol, "TLSv1.3");
        assert_eq!(s.version, Some(0x0304));
        assert_eq!(out.app_data_len, 3);
    }

    #[test]
    fn test_hello_retry_request_is_named() {
        let flight = server_hello_flight(HRR_RANDOM);
        let mut s = TlsSession::default();
        let mut out = TlsFrame::default();
        s.dissect(&flight, false, &mut out);
        assert_eq!(out.items.first(), Some(&TlsItem::Handshake(6)));
    }

    #[test]
    fn test_record_cut_short_asks_for_the_rest() {
        let rec = client_hello_record();
        let mut s = TlsSession::default();
        let mut out = TlsFrame::default();
        assert_eq!(
            s.dissect(&rec[..rec.len() - 10], true, &mut out),
            (0, Some(rec.len()))
        );
        assert_eq!(s.dissect(&rec[..3], true, &mut out), (0, Some(5)));
        assert!(out.items.is_empty());
    }

    #[test]
    fn test_alerts_plain_and_encrypted() {
        let mut s = TlsSession::default();
        let mut out = TlsFrame::default();
        s.dissect(&[21, 3, 3, 0, 2, 2, 40], true, &mut out);
        assert_eq!(out.items, vec![TlsItem::Alert(2, 40)]);
        let mut out = TlsFrame::default();
        s.dissect(
            &[20, 3, 3, 0, 1, 1, 21, 3, 3, 0, 3, 1, 0, 7],
            true,
            &mut out,
        );
        assert_eq!(
            out.items,
            vec![TlsItem::ChangeCipherSpec, TlsItem::EncryptedAlert]
        );
        let mut out = TlsFrame::default();
        s.dissect(&[22, 3, 3, 0, 4, 0x99, 0x12, 0x34, 0x56], true, &mut out);
        assert_eq!(out.items, vec![TlsItem::EncryptedHandshake]);
    }

    #[test]
    fn test_not_tls() {
        assert!(!looks_like_record(b"GET / HTTP/1.1"));
        assert!(!looks_like_record(&[22, 3, 9, 0, 1]));
        assert_eq!(next_record(b"HELLO"), NextRecord::Invalid);
        assert!(is_grease(0x3a3a));
        assert!(!is_grease(0x0304));
    }

    /// The first span named `name` among `spans` and their children, depth first.
    fn find<'s>(
        spans: &'s [crate::decode::spans::Span],
        name: &str,
    ) -> Option<&'s crate::decode::spans::Span> {
        spans.iter().find_map(|sp| {
            if sp.name == name {
                Some(sp)
            } else {
                find(&sp.children, name)
            }
        })
    }

    /// The detail fields of `data` as one TCP payload.
    fn spans_of(data: &[u8]) -> Vec<crate::decode::spans::Span> {
        let mut s = crate::decode::spans::Spans::new(data.len());
        assert!(fields(data, &mut s));
        s.into_layers()
    }

    #[test]
    fn test_fields_client_hello_shows_record_sni_and_alpn_at_their_offsets() {
        let rec = client_hello_record();
        let layers = spans_of(&rec);
        assert_eq!(layers[0].name, "Transport Layer Security");
        assert_eq!(layers[0].value, "Client Hello");
        let ct = find(&layers, "Content Type").unwrap();
        assert_eq!((ct.offset, ct.value.as_str()), (0, "Handshake (22)"));
        assert_eq!(find(&layers, "Length").unwrap().offset, 3);
        let sni = find(&layers, "Server Name").unwrap();
        assert_eq!(sni.value, "www.example.com");
        assert_eq!(
            rec.get(sni.offset..sni.offset + sni.len),
            Some(&b"www.example.com"[..])
        );
        let alpn = find(&layers, "ALPN Protocol").unwrap();
        assert_eq!((alpn.value.as_str(), alpn.len), ("h2", 2));
        assert_eq!(rec.get(alpn.offset..alpn.offset + 2), Some(&b"h2"[..]));
        assert_eq!(find(&layers, "Cipher Suites").unwrap().value, "2 suites");
    }

    #[test]
    fn test_fields_record_cut_by_the_segment_is_shown_but_not_named() {
        let mut data = vec![21, 3, 3, 0, 2, 2, 40]; // a whole fatal alert
        data.extend_from_slice(&[23, 3, 3, 0x01, 0x00, 0xaa, 0xbb]); // 256 bytes, 2 here
        let layers = spans_of(&data);
        assert_eq!(layers[0].value, "Alert");
        assert_eq!(
            find(&layers, "Description").unwrap().value,
            "Handshake Failure (40)"
        );
        let cut = layers[0].children.get(1).unwrap();
        assert!(
            cut.meaning.starts_with("7 of its 261 bytes"),
            "{}",
            cut.meaning
        );
    }

    #[test]
    fn test_fields_segment_inside_a_record_is_a_continuation() {
        let layers = spans_of(&[0x8f; 40]);
        assert_eq!(layers[0].value, "Continuation");
        assert_eq!(layers[0].children[0].name, "[Continuation]");
    }

    #[test]
    fn test_fields_every_prefix_stays_inside_the_bytes() {
        let rec = client_hello_record();
        for n in 1..=rec.len() {
            let prefix = &rec[..n];
            let mut s = crate::decode::spans::Spans::new(n);
            fields(prefix, &mut s);
            fn check(spans: &[crate::decode::spans::Span], n: usize) {
                for sp in spans {
                    assert!(sp.offset + sp.len <= n || sp.len == 0, "{sp:?} past {n}");
                    check(&sp.children, n);
                }
            }
            check(&s.into_layers(), n);
        }
        // a whole record holding a Client Hello cut after k bytes of its body
        let hello = &rec[9..];
        for k in 0..hello.len() {
            let mut data = vec![22, 3, 1];
            data.extend_from_slice(&u16::try_from(k + 4).unwrap().to_be_bytes());
            data.extend_from_slice(&[1, 0]);
            data.extend_from_slice(&u16::try_from(k).unwrap().to_be_bytes());
            data.extend_from_slice(&hello[..k]);
            let mut s = crate::decode::spans::Spans::new(data.len());
            fields(&data, &mut s);
            fn check(spans: &[crate::decode::spans::Span], n: usize) {
                for sp in spans {
                    assert!(sp.offset + sp.len <= n, "{sp:?} past {n}");
                    check(&sp.children, n);
                }
            }
            check(&s.into_layers(), data.len());
        }
    }
}
