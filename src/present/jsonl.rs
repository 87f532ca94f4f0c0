//! JSON Lines: one object per frame (keys documented in the README and stable),
//! then one object per conversation with `"type":"conversation"`.

use std::io::{self, Write};

use super::text::{push_ip, push_seconds, push_u64};
use super::{ConversationRow, Row, View};
use crate::decode::{Net, Packet, Transport};
use crate::track::Proto;

/// Streams JSON Lines to `out`.
pub struct JsonLines<W: Write> {
    out: W,
    absolute_seq: bool,
    /// The object being built, reused from line to line (no allocation per frame).
    line: String,
}

impl<W: Write> JsonLines<W> {
    /// A JSON Lines writer.
    pub fn new(out: W, absolute_seq: bool) -> Self {
        Self { out, absolute_seq, line: String::with_capacity(1024) }
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
        (Net::Ipv4(h), Transport::None) if h.fragment_offset == 0 => Some(ip_protocol_name(h.protocol)),
        (Net::Ipv6(h), Transport::None) if h.fragment.is_none() => Some(ip_protocol_name(h.protocol)),
        _ => None,
    }
}

/// Names of IP protocol numbers that have no decoder here.
pub fn ip_protocol_name(n: u8) -> &'static str {
    match n {
        0 => "HOPOPT",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPv4",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "NoNext",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        136 => "UDPLite",
        _ => "IP",
    }
}

impl<W: Write> JsonLines<W> {
    /// Appends the object of one frame (and its newline) to `w`.
    fn frame_into(&self, w: &mut String, row: &Row<'_, '_>) {
        let p = row.packet;
        w.push_str("{\"type\":\"frame\",\"no\":");
        push_u64(w, row.frame.number);
        w.push_str(",\"time\":");
        if row.frame.ts.is_absent() {
            // A pcapng Simple Packet Block carries no timestamp: tshark shows none either.
            w.push_str("null");
        } else {
            push_seconds(w, row.frame.ts.nanos_since(row.first.or_zero()), 9);
        }
        w.push_str(",\"len\":");
        push_u64(w, u64::from(row.frame.orig_len));
        w.push_str(",\"caplen\":");
        push_u64(w, row.frame.data.len() as u64);
        w.push_str(",\"src\":");
        opt_ip(w, p.src_ip());
        w.push_str(",\"dst\":");
        opt_ip(w, p.dst_ip());
        w.push_str(",\"proto\":");
        match proto_name(p) {
            Some(n) => {
                w.push('"');
                w.push_str(n);
                w.push('"');
            }
            None => w.push_str("null"),
        }
        // Ports also of a TCP header cut short after them, as tshark shows them.
        let (sport, dport) = p.ports().map_or((None, None), |(s, d)| (Some(s), Some(d)));
        w.push_str(",\"sport\":");
        opt_u64(w, sport.map(u64::from));
        w.push_str(",\"dport\":");
        opt_u64(w, dport.map(u64::from));
        w.push_str(",\"flags\":[");
        if let Transport::Tcp(t) = &p.transport {
            let mut first = true;
            for name in t.flags.names(9) {
                if !first {
                    w.push(',');
                }
                first = false;
                w.push('"');
                w.push_str(name);
                w.push('"');
            }
            if t.flags.0 & 0xe00 != 0 {
                if !first {
                    w.push(',');
                }
                w.push_str("\"RES\"");
            }
        }
        w.push(']');
        let tcp = match &p.transport {
            Transport::Tcp(t) => Some(t),
            _ => None,
        };
        let tf = row.facts.tcp.as_ref();
        let (seq, ack) = match (tcp, tf) {
            (Some(_), Some(f)) if !self.absolute_seq => (Some(f.rel_seq), Some(f.rel_ack)),
            (Some(t), _) => (Some(t.seq), Some(t.ack)),
            _ => (None, None),
        };
        w.push_str(",\"seq\":");
        opt_u64(w, seq.map(u64::from));
        w.push_str(",\"ack\":");
        opt_u64(w, ack.map(u64::from));
        w.push_str(",\"raw_seq\":");
        opt_u64(w, tcp.map(|t| u64::from(t.seq)));
        w.push_str(",\"raw_ack\":");
        opt_u64(w, tcp.map(|t| u64::from(t.ack)));
        w.push_str(",\"win\":");
        opt_u64(w, tcp.map(|t| tf.map_or(u64::from(t.window), |f| f.window)));
        w.push_str(",\"payload_len\":");
        opt_u64(w, p.declared_payload_len().map(u64::from));
        w.push_str(",\"stream\":");
        opt_u64(w, row.facts.stream);
        w.push_str(",\"analysis\":[");
        if let Some(f) = tf {
            for (i, name) in f.analysis.names().enumerate() {
                if i > 0 {
                    w.push(',');
                }
                w.push('"');
                w.push_str(name);
                w.push('"');
            }
        }
        w.push_str("],\"info\":");
        push_json_string(w, &row.note.info);
        w.push_str(",\"note\":");
        push_json_string(w, &row.note.text);
        w.push_str("}\n");
    }
}

fn opt_ip(w: &mut String, ip: Option<std::net::IpAddr>) {
    match ip {
        Some(ip) => {
            w.push('"');
            push_ip(w, ip);
            w.push('"');
        }
        None => w.push_str("null"),
    }
}

fn opt_u64(w: &mut String, v: Option<u64>) {
    match v {
        Some(n) => push_u64(w, n),
        None => w.push_str("null"),
    }
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it: `"` and `\\`,
/// the short escapes `\b \f \n \r \t`, other control bytes as `\u00xx`, all else as is.
pub fn push_json_string(w: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs an escape, then byte by byte.
        let end = match bytes.get(i..i + 8) {
            Some(chunk) => {
                let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
                if !word_needs_escape(word) {
                    i += 8;
                    continue;
                }
                i + 8
            }
            None => bytes.len(),
        };
        for (i, &b) in bytes.iter().enumerate().take(end).skip(i) {
            let short = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            // `i` is at an ASCII byte, so both slices end on character boundaries.
            w.push_str(s.get(start..i).unwrap_or(""));
            if short.is_empty() {
                w.push_str("\\u00");
                w.push(char::from(HEX[usize::from(b >> 4)]));
                w.push(char::from(HEX[usize::from(b & 0xf)]));
            } else {
                w.push_str(short);
            }
            start = i + 1;
        }
        i = end;
    }
    w.push_str(s.get(start..).unwrap_or(""));
    w.push('"');
}

/// Whether any of the eight bytes of `word` is a control byte (< 0x20), `"` or `\\`
/// (the exact "has a byte less than n" and "has a zero byte" word tests).
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH != 0;
    below_space || has_zero(word ^ (ONES * u64::from(b'"'))) || has_zero(word ^ (ONES * u64::from(b'\\')))
}

impl<W: Write> View for JsonLines<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.frame_into(&mut line, row);
        let r = self.out.write_all(line.as_bytes());
        self.line = line;
        r
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        // Once per conversation, not per frame: serde_json builds the object (keys sorted).
        for r in rows {
            let c = r.conversation;
            let v = serde_json::json!({
                "type": "conversation",
                "proto": match c.proto { Proto::Tcp => "TCP", Proto::Udp => "UDP" },
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
            serde_json::to_writer(&mut self.out, &v).map_err(io::Error::from)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Timestamp;
    use crate::track::{Conversation, Endpoint, SideStats};

    #[test]
    fn test_json_string_word_scan_matches_serde_json() {
        let pieces = ["a", "b", "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "é", "→", "\u{7f}", "~"];
        let mut x: u64 = 99;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (x >> 58) as usize;
            let s: String = (0..n).map(|i| pieces[((x >> (i % 40)) as usize + i) % pieces.len()]).collect();
            let mut w = String::new();
            push_json_string(&mut w, &s);
            assert_eq!(w, serde_json::to_string(&s).unwrap());
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
            let mut mine = String::new();
            push_json_string(&mut mine, s);
            assert_eq!(mine, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    /// The conversation objects are byte for byte what `serde_json::json!` wrote before.
    #[test]
    fn test_conversation_object_matches_json_macro() {
        let ep = |ip: &str, port| Endpoint { ip: ip.parse().unwrap(), port };
        let side = |frames, bytes, payload_bytes| SideStats { frames, bytes, payload_bytes };
        let c = Conversation {
            proto: Proto::Tcp,
            stream: 7,
            client: ep("fd00::1:2", 40000),
            server: ep("10.2.0.1", 8888),
            from_client: side(5, 400, 11),
            from_server: side(4, 300, 11),
            first_frame: 3,
            last_frame: 99,
            start: Timestamp { secs: 12, nanos: 345_678_901 },
            end: Timestamp { secs: 13, nanos: 1 },
            zeek_state: "SF",
            history: "ShADadFf".into(),
            initial_rtt_ns: Some(123_456),
            first_fin_by: None,
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 0,
        };
        let first = Timestamp { secs: 10, nanos: 0 };
        for rtt in [Some(123_456), None, Some(1)] {
            let c = Conversation { initial_rtt_ns: rtt, ..c.clone() };
            let row = ConversationRow { conversation: &c, verdict: "complete: \"x\"\n", first };
            let mut out = Vec::new();
            JsonLines::new(&mut out, false).conversations(&[row]).unwrap();
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
            assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", serde_json::to_string(&v).unwrap()));
        }
    }
}
