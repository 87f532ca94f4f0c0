//! JSON Lines: one object per frame (keys documented in the README and stable),
//! then one object per conversation with `"type":"conversation"`.

use std::io::{self, Write};

use super::{ConversationRow, Row, View};
use crate::decode::{Net, Packet, Transport};
use crate::track::{Analysis, Proto};

/// Streams JSON Lines to `out`.
pub struct JsonLines<W: Write> {
    out: W,
    absolute_seq: bool,
}

impl<W: Write> JsonLines<W> {
    /// A JSON Lines writer.
    pub fn new(out: W, absolute_seq: bool) -> Self {
        Self { out, absolute_seq }
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

fn opt_u64(w: &mut impl Write, v: Option<u64>) -> io::Result<()> {
    match v {
        Some(n) => write!(w, "{n}"),
        None => w.write_all(b"null"),
    }
}

fn string(w: &mut impl Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
}

impl<W: Write> View for JsonLines<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        let w = &mut self.out;
        let p = row.packet;
        let nanos = row.frame.ts.nanos_since(row.first);
        write!(w, "{{\"type\":\"frame\",\"no\":{},\"time\":", row.frame.number)?;
        let mut t = String::new();
        super::text::push_seconds(&mut t, nanos, 9);
        w.write_all(t.as_bytes())?;
        write!(w, ",\"len\":{},\"caplen\":{},\"src\":", row.frame.orig_len, row.frame.data.len())?;
        match p.src_ip() {
            Some(ip) => write!(w, "\"{ip}\"")?,
            None => w.write_all(b"null")?,
        }
        w.write_all(b",\"dst\":")?;
        match p.dst_ip() {
            Some(ip) => write!(w, "\"{ip}\"")?,
            None => w.write_all(b"null")?,
        }
        w.write_all(b",\"proto\":")?;
        match proto_name(p) {
            Some(n) => write!(w, "\"{n}\"")?,
            None => w.write_all(b"null")?,
        }
        let (sport, dport) = match &p.transport {
            Transport::Tcp(t) => (Some(t.src_port), Some(t.dst_port)),
            Transport::Udp(u) => (Some(u.src_port), Some(u.dst_port)),
            _ => (None, None),
        };
        w.write_all(b",\"sport\":")?;
        opt_u64(w, sport.map(u64::from))?;
        w.write_all(b",\"dport\":")?;
        opt_u64(w, dport.map(u64::from))?;
        w.write_all(b",\"flags\":[")?;
        if let Transport::Tcp(t) = &p.transport {
            const NAMES: [(u16, &str); 9] = [
                (0x001, "FIN"),
                (0x002, "SYN"),
                (0x004, "RST"),
                (0x008, "PSH"),
                (0x010, "ACK"),
                (0x020, "URG"),
                (0x040, "ECE"),
                (0x080, "CWR"),
                (0x100, "AE"),
            ];
            let mut first = true;
            for (bit, name) in NAMES {
                if t.flags.0 & bit != 0 {
                    if !first {
                        w.write_all(b",")?;
                    }
                    first = false;
                    write!(w, "\"{name}\"")?;
                }
            }
            if t.flags.0 & 0xe00 != 0 {
                if !first {
                    w.write_all(b",")?;
                }
                w.write_all(b"\"RES\"")?;
            }
        }
        w.write_all(b"]")?;
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
        w.write_all(b",\"seq\":")?;
        opt_u64(w, seq.map(u64::from))?;
        w.write_all(b",\"ack\":")?;
        opt_u64(w, ack.map(u64::from))?;
        w.write_all(b",\"raw_seq\":")?;
        opt_u64(w, tcp.map(|t| u64::from(t.seq)))?;
        w.write_all(b",\"raw_ack\":")?;
        opt_u64(w, tcp.map(|t| u64::from(t.ack)))?;
        w.write_all(b",\"win\":")?;
        opt_u64(w, tcp.map(|t| tf.map_or(u64::from(t.window), |f| f.window)))?;
        let payload_len = match &p.transport {
            Transport::Tcp(t) => Some(u64::from(t.payload_len)),
            Transport::Udp(u) => Some(u64::from(u.payload_len)),
            _ => None,
        };
        w.write_all(b",\"payload_len\":")?;
        opt_u64(w, payload_len)?;
        w.write_all(b",\"stream\":")?;
        opt_u64(w, row.facts.stream)?;
        w.write_all(b",\"analysis\":[")?;
        if let Some(f) = tf {
            let mut first = true;
            for (bit, name, _) in Analysis::ALL {
                if f.analysis.has(*bit) {
                    if !first {
                        w.write_all(b",")?;
                    }
                    first = false;
                    write!(w, "\"{name}\"")?;
                }
            }
        }
        w.write_all(b"],\"info\":")?;
        string(w, &row.note.info)?;
        w.write_all(b",\"note\":")?;
        string(w, &row.note.text)?;
        w.write_all(b"}\n")
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
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
                "history": c.history,
                "initial_rtt": c.initial_rtt_ns.map(|n| n as f64 / 1e9),
                "verdict": r.verdict,
            });
            serde_json::to_writer(&mut self.out, &v).map_err(io::Error::from)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
