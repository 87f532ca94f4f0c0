//! JSON Lines: one object per frame (keys documented in the README and stable),
//! then one object per conversation with `"type":"conversation"`.

use std::io::{self, Write};

use super::{ConversationRow, Row, RowBuffer, View};
use crate::decode::{Net, Packet, Transport, TunnelKind};
use crate::fmt::{push_ip_bytes, push_seconds_bytes, push_u64_bytes};

/// Streams JSON Lines to `out`.
pub struct JsonLines<W: Write> {
    out: W,
    absolute_seq: bool,
    /// Objects built as bytes and not written yet (see [`RowBuffer`]).
    rows: RowBuffer,
}

impl<W: Write> JsonLines<W> {
    /// A JSON Lines writer.
    pub fn new(out: W, absolute_seq: bool) -> Self {
        Self {
            out,
            absolute_seq,
            rows: RowBuffer::default(),
        }
    }
}

/// The transport (or ARP) name of a packet as the `proto` key shows it.
pub fn proto_name(p: &Packet<'_>) -> Option<&'static str> {
    match (&p.net, &p.transport) {
        (_, Transport::Tcp(_)) => Some("TCP"),
        (_, Transport::Udp(_)) => Some("UDP"),
        (_, Transport::Icmpv4(_)) => Some("ICMP"),
        (_, Transport::Icmpv6(_)) => Some("ICMPv6"),
        (Net::Arp(_), _) => Some("ARP"),
        (_, Transport::Fragment { .. }) => None,
        (_, Transport::Other { protocol }) => Some(ip_protocol_name(*protocol)),
        (Net::Ipv4(h), Transport::None) if h.fragment_offset == 0 => {
            Some(ip_protocol_name(h.protocol))
        }
        (Net::Ipv6(h), Transport::None) if h.fragment.is_none() => {
            Some(ip_protocol_name(h.protocol))
        }
        // A tunnel whose inner packet has no IP header: the transport of the outer one.
        (Net::None | Net::PppControl { .. } | Net::Other { .. }, _) => {
            p.tunnel.as_ref().map(|t| match t.kind {
                TunnelKind::IpInIp => "IPv4",
                TunnelKind::Ipv6InIp => "IPv6",
                TunnelKind::Gre { .. } => "GRE",
                TunnelKind::Vxlan { .. } | TunnelKind::L2tp { .. } => "UDP",
            })
        }
        _ => None,
    }
}

/// IANA's keyword of an IP protocol that has no decoder here (JSON Lines' `proto`).
pub fn ip_protocol_name(n: u8) -> &'static str {
    crate::decode::names::ip_proto(n).keyword
}

impl<W: Write> JsonLines<W> {
    /// Appends the object of one frame (and its newline) to `w`. The keys and the `null`s
    /// of absent fields are written as whole static pieces where the frame's kind fixes them.
    fn frame_into(&self, w: &mut Vec<u8>, row: &Row<'_, '_>) {
        let p = row.packet;
        w.extend_from_slice(b"{\"type\":\"frame\",\"no\":");
        push_u64_bytes(w, row.frame.number);
        if row.frame.ts.is_absent() {
            // A pcapng Simple Packet Block carries no timestamp: tshark shows none either.
            w.extend_from_slice(b",\"time\":null,\"len\":");
        } else {
            w.extend_from_slice(b",\"time\":");
            push_seconds_bytes(w, row.frame.ts.nanos_since(row.first.or_zero()), 9);
            w.extend_from_slice(b",\"len\":");
        }
        push_u64_bytes(w, u64::from(row.frame.orig_len));
        w.extend_from_slice(b",\"caplen\":");
        push_u64_bytes(w, row.frame.data.len() as u64);
        w.extend_from_slice(b",\"src\":");
        opt_ip(w, p.src_ip());
        w.extend_from_slice(b",\"dst\":");
        opt_ip(w, p.dst_ip());
        match proto_name(p) {
            Some(n) => {
                w.extend_from_slice(b",\"proto\":\"");
                w.extend_from_slice(n.as_bytes());
                w.push(b'"');
            }
            None => w.extend_from_slice(b",\"proto\":null"),
        }
        // Ports also of a TCP header cut short after them, as tshark shows them.
        match p.ports() {
            Some((sport, dport)) => {
                w.extend_from_slice(b",\"sport\":");
                push_u64_bytes(w, u64::from(sport));
                w.extend_from_slice(b",\"dport\":");
                push_u64_bytes(w, u64::from(dport));
            }
            None => w.extend_from_slice(b",\"sport\":null,\"dport\":null"),
        }
        let tf = row.facts.tcp.as_ref();
        match &p.transport {
            Transport::Tcp(t) => {
                w.extend_from_slice(b",\"flags\":[");
                let mut first = true;
                for name in t.flags.names(9) {
                    if !first {
                        w.push(b',');
                    }
                    first = false;
                    w.push(b'"');
                    w.extend_from_slice(name.as_bytes());
                    w.push(b'"');
                }
                if t.flags.0 & 0xe00 != 0 {
                    if !first {
                        w.push(b',');
                    }
                    w.extend_from_slice(b"\"RES\"");
                }
                let (seq, ack) = match tf {
                    Some(f) if !self.absolute_seq => (f.rel_seq, f.rel_ack),
                    _ => (t.seq, t.ack),
                };
                w.extend_from_slice(b"],\"seq\":");
                push_u64_bytes(w, u64::from(seq));
                w.extend_from_slice(b",\"ack\":");
                push_u64_bytes(w, u64::from(ack));
                w.extend_from_slice(b",\"raw_seq\":");
                push_u64_bytes(w, u64::from(t.seq));
                w.extend_from_slice(b",\"raw_ack\":");
                push_u64_bytes(w, u64::from(t.ack));
                w.extend_from_slice(b",\"win\":");
                push_u64_bytes(w, tf.map_or(u64::from(t.window), |f| f.window));
            }
            _ => w.extend_from_slice(b",\"flags\":[],\"seq\":null,\"ack\":null,\"raw_seq\":null,\"raw_ack\":null,\"win\":null"),
        }
        w.extend_from_slice(b",\"payload_len\":");
        opt_u64(w, p.declared_payload_len().map(u64::from));
        w.extend_from_slice(b",\"stream\":");
        opt_u64(w, row.facts.stream);
        w.extend_from_slice(b",\"analysis\":[");
        if let Some(f) = tf.filter(|f| !f.analysis.is_empty()) {
            for (i, name) in f.analysis.names().enumerate() {
                if i > 0 {
                    w.push(b',');
                }
                w.push(b'"');
                w.extend_from_slice(name.as_bytes());
                w.push(b'"');
            }
        }
        w.extend_from_slice(b"],\"protocol\":");
        push_json_string(w, &row.note.protocol);
        w.extend_from_slice(b",\"info\":");
        push_json_string(w, &row.note.info);
        w.extend_from_slice(b",\"note\":");
        push_json_string(w, &row.note.text);
        w.extend_from_slice(b"}\n");
    }
}

fn opt_ip(w: &mut Vec<u8>, ip: Option<std::net::IpAddr>) {
    match ip {
        Some(ip) => {
            w.push(b'"');
            push_ip_bytes(w, ip);
            w.push(b'"');
        }
        None => w.extend_from_slice(b"null"),
    }
}

fn opt_u64(w: &mut Vec<u8>, v: Option<u64>) {
    match v {
        Some(n) => push_u64_bytes(w, n),
        None => w.extend_from_slice(b"null"),
    }
}

/// The escape of each byte in a JSON string, as `serde_json` writes it: 0 for none (the
/// byte as is), `u` for `\u00xx`, else the letter after the backslash.
const ESCAPE: [u8; 256] = escapes();

const fn escapes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it: `"` and `\\`,
/// the short escapes `\b \f \n \r \t`, other control bytes as `\u00xx`, all else as is.
/// The runs between escapes are copied whole.
pub fn push_json_string(w: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    w.push(b'"');
    let mut start = 0;
    while let Some(at) = next_escape(bytes, start) {
        // Escaped bytes are ASCII: the runs between them are whole characters.
        w.extend_from_slice(bytes.get(start..at).unwrap_or(&[]));
        let b = bytes.get(at).copied().unwrap_or(0);
        match ESCAPE[usize::from(b)] {
            b'u' => w.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
            e => w.extend_from_slice(&[b'\\', e]),
        }
        start = at + 1;
    }
    w.extend_from_slice(bytes.get(start..).unwrap_or(&[]));
    w.push(b'"');
}

/// The index of the first byte at or after `i` that needs an escape. Sixteen bytes are
/// checked at a time; the last, shorter stretch as the last sixteen bytes of the text
/// (a clean window is the common case), else byte by byte.
fn next_escape(bytes: &[u8], mut i: usize) -> Option<usize> {
    while let Some(chunk) = bytes.get(i..i + 16) {
        if needs_escape(chunk) {
            return first_escape(chunk).map(|k| i + k);
        }
        i += 16;
    }
    let tail = bytes.get(i..).filter(|t| !t.is_empty())?;
    if bytes
        .len()
        .checked_sub(16)
        .and_then(|k| bytes.get(k..))
        .is_some_and(|last| !needs_escape(last))
    {
        return None;
    }
    first_escape(tail).map(|k| i + k)
}

/// Whether any byte of `chunk` is a control byte (< 0x20), `"` or `\\`: one pass without
/// branches that the compiler vectorizes.
fn needs_escape(chunk: &[u8]) -> bool {
    chunk.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// The index of the first byte of `chunk` that needs an escape, eight bytes at a time.
fn first_escape(chunk: &[u8]) -> Option<usize> {
    let mut words = chunk.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let marks = escape_marks(u64::from_le_bytes(word.try_into().unwrap_or([0; 8])));
        if marks != 0 {
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| ESCAPE[usize::from(b)] != 0)
        .map(|k| at + k)
}

/// The high bit of each byte of `word` (little-endian) that is a control byte (< 0x20), `"`
/// or `\\`, with the "has a byte less than n" and "has a zero byte" word tests. A byte above
/// a marked one may be marked falsely (a borrow), never one below: the lowest mark is exact.
fn escape_marks(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (word.wrapping_sub(ONES * 0x20) & !word
        | zero(word ^ (ONES * u64::from(b'"')))
        | zero(word ^ (ONES * u64::from(b'\\'))))
        & HIGH
}

impl<W: Write> View for JsonLines<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        let mut bytes = std::mem::take(&mut self.rows.bytes);
        self.frame_into(&mut bytes, row);
        self.rows.bytes = bytes;
        self.rows.row_done(&mut self.out)
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        // Once per conversation, not per frame: serde_json builds the object (keys sorted),
        // serialized after the objects gathered so far.
        for r in rows {
            let c = r.conversation;
            let v = serde_json::json!({
                "type": "conversation",
                "proto": super::common::proto_name(c.proto),
                "stream": c.stream,
                "client": c.client.ip.to_string(),
                "client_port": c.client.port,
                "server": c.server.ip.to_string(),
                "server_port": c.server.port,
                "frames_from_client": c.from_client.frames,
                "bytes_from_client": c.from_client.bytes,
                "payload_from_client": c.from_client.payload_bytes,
                "frames_from_server": c.from_server.frames,
                "bytes_from_server": c.from_server.bytes,
                "payload_from_server": c.from_server.payload_bytes,
                "first_frame": c.first_frame,
                "last_frame": c.last_frame,
                "start": c.start.nanos_since(r.first) as f64 / 1e9,
                "duration": c.end.nanos_since(c.start) as f64 / 1e9,
                "state": c.zeek_state,
                "history": c.history.as_str(),
                "initial_rtt": c.initial_rtt_ns.map(|n| n as f64 / 1e9),
                "verdict": r.verdict,
            });
            let start = self.rows.bytes.len();
            if let Err(e) = serde_json::to_writer(&mut self.rows.bytes, &v) {
                // No part of an object goes out.
                self.rows.bytes.truncate(start);
                return Err(e.into());
            }
            self.rows.bytes.push(b'\n');
            self.rows.row_done(&mut self.out)?;
        }
        self.rows.write_to(&mut self.out)
    }

    fn lab(&mut self, model: &crate::explain::lab::LabModel) -> io::Result<()> {
        for c in &model.checks {
            super::checks::push_check_json(&mut self.rows.bytes, c, None);
            self.rows.row_done(&mut self.out)?;
        }
        self.rows.write_to(&mut self.out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.rows.write_to(&mut self.out)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.rows.write_to(&mut self.out)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Timestamp;
    use crate::track::{Conversation, Endpoint, Proto, SideStats};

    #[test]
    fn test_json_string_word_scan_matches_serde_json() {
        let pieces = [
            "a", "b", "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "é", "→", "\u{7f}", "~",
        ];
        let mut x: u64 = 99;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (x >> 58) as usize;
            let s: String = (0..n)
                .map(|i| pieces[((x >> (i % 40)) as usize + i) % pieces.len()])
                .collect();
            let mut w = Vec::new();
            push_json_string(&mut w, &s);
            assert_eq!(w, serde_json::to_string(&s).unwrap().into_bytes());
        }
    }

    #[test]
    fn test_json_string_escapes_as_serde_json() {
        let mut all = String::new();
        for b in 0u8..0x80 {
            all.push(char::from(b));
        }
        all.push_str("é → ✓ \u{2028} \u{feff} 😀 \\ \" end");
        for s in [all.as_str(), "", "plain", "\"", "\\", "\n", "a\u{7f}b"] {
            let mut mine = Vec::new();
            push_json_string(&mut mine, s);
            assert_eq!(
                mine,
                serde_json::to_string(s).unwrap().into_bytes(),
                "{s:?}"
            );
        }
    }

    /// The conversation objects are byte for byte what `serde_json::json!` wrote before.
    #[test]
    fn test_conversation_object_matches_json_macro() {
        let ep = |ip: &str, port| Endpoint {
            ip: ip.parse().unwrap(),
            port,
        };
        let side = |frames, bytes, payload_bytes| SideStats {
            frames,
            bytes,
            payload_bytes,
            ip_bytes: 0,
        };
        let c = Conversation {
            proto: Proto::Tcp,
            stream: 7,
            client: ep("fd00::1:2", 40000),
            server: ep("10.2.0.1", 8888),
            from_client: side(5, 400, 11),
            from_server: side(4, 300, 11),
            first_frame: 3,
            last_frame: 99,
            start: Timestamp {
                secs: 12,
                nanos: 345_678_901,
            },
            end: Timestamp { secs: 13, nanos: 1 },
            zeek_state: "SF",
            history: "ShADadFf".into(),
            initial_rtt_ns: Some(123_456),
            first_fin_by: None,
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 0,
            zeek: Default::default(),
            service: None,
        };
        let first = Timestamp { secs: 10, nanos: 0 };
        for rtt in [Some(123_456), None, Some(1)] {
            let c = Conversation {
                initial_rtt_ns: rtt,
                ..c.clone()
            };
            let row = ConversationRow {
                conversation: &c,
                verdict: "complete: \"x\"\n",
                first,
            };
            let mut out = Vec::new();
            JsonLines::new(&mut out, false)
                .conversations(&[row])
                .unwrap();
            let v = serde_json::json!({
                "type": "conversation",
                "proto": "TCP",
                "stream": c.stream,
                "client": c.client.ip.to_string(),
                "client_port": c.client.port,
                "server": c.server.ip.to_string(),
                "server_port": c.server.port,
                "frames_from_client": c.from_client.frames,
                "bytes_from_client": c.from_client.bytes,
                "payload_from_client": c.from_client.payload_bytes,
                "frames_from_server": c.from_server.frames,
                "bytes_from_server": c.from_server.bytes,
                "payload_from_server": c.from_server.payload_bytes,
                "first_frame": c.first_frame,
                "last_frame": c.last_frame,
                "start": c.start.nanos_since(first) as f64 / 1e9,
                "duration": c.end.nanos_since(c.start) as f64 / 1e9,
                "state": c.zeek_state,
                "history": c.history,
                "initial_rtt": c.initial_rtt_ns.map(|n| n as f64 / 1e9),
                "verdict": "complete: \"x\"\n",
            });
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("{}\n", serde_json::to_string(&v).unwrap())
            );
        }
    }
}
