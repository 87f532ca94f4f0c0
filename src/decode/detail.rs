//! Packet detail: every header field of one frame with its offset, length, value and
//! meaning, layer by layer (Wireshark's middle pane). Reads the frame's bytes with `get`
//! only and never panics: a header cut short ends with a "[cut short]" field.
//! Pure: no I/O, no words beyond the field meanings; the detail view prints it.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::source::Frame;

/// One header field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name, e.g. "Header length".
    pub name: String,
    /// Its value as shown, e.g. "20 bytes (5)".
    pub value: String,
    /// What the value means, e.g. "IHL × 4; no options".
    pub meaning: String,
    /// Offset of its first byte in the frame.
    pub offset: usize,
    /// Its length in bytes (the bytes holding it, for bit fields).
    pub len: usize,
    /// For bit fields: the bits, e.g. ".... ...1 ...." (Wireshark's bit view).
    pub bits: Option<String>,
}

/// One protocol layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// E.g. "Internet Protocol Version 4".
    pub name: String,
    /// A one-line summary, e.g. "127.0.0.1 → 127.0.0.1".
    pub summary: String,
    /// Offset of the layer's first byte in the frame.
    pub offset: usize,
    /// Its length in captured bytes.
    pub len: usize,
    /// Its fields, in header order.
    pub fields: Vec<Field>,
}

/// Relative TCP numbers (from the tracker), shown next to the raw ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelativeSeq {
    pub seq: u32,
    pub ack: u32,
}

/// Walks every header of `frame`. Never panics, whatever the bytes.
pub fn dissect(frame: &Frame<'_>, rel: Option<RelativeSeq>) -> Vec<Layer> {
    let mut d = Dissector {
        data: frame.data,
        layers: Vec::new(),
        rel,
    };
    d.link(frame.linktype);
    d.layers
}

struct Dissector<'a> {
    data: &'a [u8],
    layers: Vec<Layer>,
    rel: Option<RelativeSeq>,
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn hex(b: &[u8], max: usize) -> String {
    let mut s: String = b.iter().take(max).map(|x| format!("{x:02x}")).collect();
    if b.len() > max {
        s.push('…');
    }
    s
}

/// The bits of `mask` within a `width`-bit value, others as dots, in groups of four.
pub fn bit_pattern(value: u32, mask: u32, width: u32) -> String {
    let mut s = String::new();
    for i in (0..width.min(32)).rev() {
        let bit = 1u32 << i;
        s.push(if mask & bit == 0 {
            '.'
        } else if value & bit != 0 {
            '1'
        } else {
            '0'
        });
        if i % 4 == 0 && i != 0 {
            s.push(' ');
        }
    }
    s
}

fn set(b: bool) -> &'static str {
    if b { "set" } else { "not set" }
}

/// Name of an EtherType.
pub fn ethertype_name(t: u16) -> &'static str {
    match t {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q VLAN",
        0x88a8 => "802.1ad QinQ",
        0x8847 => "MPLS",
        0x8863 | 0x8864 => "PPPoE",
        0x88cc => "LLDP",
        _ => "unknown",
    }
}

/// Name of an IP protocol number.
pub fn ip_proto_name(p: u8) -> &'static str {
    match p {
        0 => "IPv6 Hop-by-Hop Options",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPv4 in IP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6 in IP",
        43 => "IPv6 Routing",
        44 => "IPv6 Fragment",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "No Next Header",
        60 => "IPv6 Destination Options",
        132 => "SCTP",
        _ => "other",
    }
}

impl<'a> Dissector<'a> {
    fn u8(&self, at: usize) -> Option<u8> {
        self.data.get(at).copied()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        let s = self.data.get(at..at.checked_add(2)?)?;
        Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.data.get(at..at.checked_add(4)?)?;
        Some(u32::from_be_bytes([
            *s.first()?,
            *s.get(1)?,
            *s.get(2)?,
            *s.get(3)?,
        ]))
    }
    fn bytes(&self, at: usize, n: usize) -> Option<&'a [u8]> {
        self.data.get(at..at.checked_add(n)?)
    }

    fn layer(&mut self, name: &str, offset: usize, len: usize) {
        let len = len.min(self.data.len().saturating_sub(offset));
        self.layers.push(Layer {
            name: name.to_string(),
            summary: String::new(),
            offset,
            len,
            fields: Vec::new(),
        });
    }

    fn summary(&mut self, s: String) {
        if let Some(l) = self.layers.last_mut() {
            l.summary = s;
        }
    }

    fn field(
        &mut self,
        name: &str,
        value: impl Into<String>,
        meaning: impl Into<String>,
        offset: usize,
        len: usize,
    ) {
        if let Some(l) = self.layers.last_mut() {
            l.fields.push(Field {
                name: name.to_string(),
                value: value.into(),
                meaning: meaning.into(),
                offset,
                len,
                bits: None,
            });
        }
    }

    fn bits(
        &mut self,
        name: &str,
        value: impl Into<String>,
        meaning: impl Into<String>,
        offset: usize,
        len: usize,
        bits: String,
    ) {
        if let Some(l) = self.layers.last_mut() {
            l.fields.push(Field {
                name: name.to_string(),
                value: value.into(),
                meaning: meaning.into(),
                offset,
                len,
                bits: Some(bits),
            });
        }
    }

    /// Marks the current layer as cut short: `needed` bytes from `offset`.
    fn cut(&mut self, offset: usize, needed: usize) {
        let have = self.data.len().saturating_sub(offset);
        self.field(
            "[cut short]",
            format!("{have} of {needed} bytes captured"),
            "the snap length or the file ended inside this header",
            offset,
            have,
        );
    }

    fn link(&mut self, linktype: u32) {
        match linktype {
            1 => self.ethernet(),
            113 => self.sll(),
            276 => self.sll2(),
            0 | 108 => self.null(linktype),
            101 | 12 | 14 => self.raw_ip(0),
            228 => {
                self.ipv4(0, 0);
            }
            229 => {
                self.ipv6(0, 0);
            }
            other => {
                self.layer(&format!("Link type {other}"), 0, self.data.len());
                self.field(
                    "Data",
                    format!("{} bytes", self.data.len()),
                    "a link type wirelab does not decode",
                    0,
                    self.data.len(),
                );
            }
        }
    }

    fn ethernet(&mut self) {
        self.layer("Ethernet II", 0, 14);
        let (Some(dst), Some(src)) = (self.bytes(0, 6), self.bytes(6, 6)) else {
            self.cut(0, 14);
            return;
        };
        self.summary(format!("Src: {}, Dst: {}", mac(src), mac(dst)));
        let zero = |b: &[u8]| {
            if b.iter().all(|&x| x == 0) {
                "all zeros: the loopback interface has no real MAC address"
            } else {
                "MAC address"
            }
        };
        self.field(
            "Destination",
            mac(dst),
            if dst.iter().all(|&x| x == 0xff) {
                "broadcast: every host on the link"
            } else {
                zero(dst)
            },
            0,
            6,
        );
        self.field("Source", mac(src), zero(src), 6, 6);
        let mut at = 12;
        let mut tags = 0;
        loop {
            let Some(t) = self.u16(at) else {
                self.cut(at, 2);
                return;
            };
            if matches!(t, 0x8100 | 0x88a8 | 0x9100) && tags < 4 {
                tags += 1;
                self.field(
                    "Type",
                    format!("0x{t:04x}"),
                    format!("{}: a VLAN tag follows", ethertype_name(t)),
                    at,
                    2,
                );
                let Some(tci) = self.u16(at + 2) else {
                    self.cut(at + 2, 2);
                    return;
                };
                self.bits(
                    "Priority (PCP)",
                    (tci >> 13).to_string(),
                    "802.1p priority class",
                    at + 2,
                    2,
                    bit_pattern(u32::from(tci), 0xe000, 16),
                );
                self.bits(
                    "Drop eligible (DEI)",
                    ((tci >> 12) & 1).to_string(),
                    "may be dropped under congestion when 1",
                    at + 2,
                    2,
                    bit_pattern(u32::from(tci), 0x1000, 16),
                );
                self.bits(
                    "VLAN ID",
                    (tci & 0x0fff).to_string(),
                    "which virtual LAN the frame belongs to",
                    at + 2,
                    2,
                    bit_pattern(u32::from(tci), 0x0fff, 16),
                );
                at += 4;
                continue;
            }
            self.field(
                "Type",
                format!("0x{t:04x}"),
                format!("EtherType: {} follows", ethertype_name(t)),
                at,
                2,
            );
            if let Some(l) = self.layers.last_mut() {
                l.len = (at + 2).min(self.data.len());
            }
            let end = self.ethertype(t, at + 2);
            if let Some(end) = end {
                self.trailer(end);
            }
            return;
        }
    }

    /// Bytes after the network-layer datagram (Ethernet padding to 60 bytes, or a trailer).
    fn trailer(&mut self, end: usize) {
        let extra = self.data.len().saturating_sub(end);
        if extra > 0 {
            let b = self.data.get(end..).unwrap_or_default();
            self.layer("Ethernet padding / trailer", end, extra);
            let why = if b.iter().all(|&x| x == 0) {
                "zero padding: Ethernet frames are at least 60 bytes (64 with the FCS)"
            } else {
                "bytes after the IP datagram, not part of it"
            };
            self.field(
                "Padding",
                format!("{extra} bytes ({})", hex(b, 16)),
                why,
                end,
                extra,
            );
        }
    }

    /// Dispatches on an EtherType; returns where the network datagram ends, when known.
    fn ethertype(&mut self, t: u16, at: usize) -> Option<usize> {
        match t {
            0x0800 => self.ipv4(at, 0),
            0x86dd => self.ipv6(at, 0),
            0x0806 => self.arp(at),
            _ => {
                self.data_layer(
                    at,
                    self.data.len().saturating_sub(at),
                    &format!("EtherType 0x{t:04x} ({}) not decoded", ethertype_name(t)),
                );
                None
            }
        }
    }

    fn sll(&mut self) {
        self.layer("Linux cooked capture v1 (SLL)", 0, 16);
        let Some(pt) = self.u16(0) else {
            self.cut(0, 16);
            return;
        };
        self.field("Packet type", pt.to_string(), packet_type(pt), 0, 2);
        let Some(hw) = self.u16(2) else {
            return self.cut(2, 14);
        };
        self.field("Link-layer address type", hw.to_string(), arphrd(hw), 2, 2);
        let Some(alen) = self.u16(4) else {
            return self.cut(4, 12);
        };
        self.field(
            "Link-layer address length",
            alen.to_string(),
            "bytes of the address used (of 8)",
            4,
            2,
        );
        let Some(addr) = self.bytes(6, 8) else {
            return self.cut(6, 10);
        };
        let used = addr.get(..usize::from(alen.min(8))).unwrap_or(addr);
        self.field(
            "Source address",
            mac(used),
            "the sender's link-layer address",
            6,
            8,
        );
        let Some(p) = self.u16(14) else {
            return self.cut(14, 2);
        };
        self.field(
            "Protocol",
            format!("0x{p:04x}"),
            format!("EtherType: {} follows", ethertype_name(p)),
            14,
            2,
        );
        self.summary("captured on Linux's \"any\" pseudo-interface".to_string());
        self.ethertype(p, 16);
    }

    fn sll2(&mut self) {
        self.layer("Linux cooked capture v2 (SLL2)", 0, 20);
        let Some(p) = self.u16(0) else {
            return self.cut(0, 20);
        };
        self.field(
            "Protocol",
            format!("0x{p:04x}"),
            format!("EtherType: {} follows", ethertype_name(p)),
            0,
            2,
        );
        self.field(
            "Reserved",
            self.u16(2).map_or(String::new(), |v| v.to_string()),
            "always 0",
            2,
            2,
        );
        let Some(ifindex) = self.u32(4) else {
            return self.cut(4, 16);
        };
        self.field(
            "Interface index",
            ifindex.to_string(),
            "which interface the frame was seen on (ip link shows the numbers)",
            4,
            4,
        );
        let Some(hw) = self.u16(8) else {
            return self.cut(8, 12);
        };
        self.field("Link-layer address type", hw.to_string(), arphrd(hw), 8, 2);
        let Some(pt) = self.u8(10) else {
            return self.cut(10, 10);
        };
        self.field(
            "Packet type",
            pt.to_string(),
            packet_type(u16::from(pt)),
            10,
            1,
        );
        let Some(alen) = self.u8(11) else {
            return self.cut(11, 9);
        };
        self.field(
            "Link-layer address length",
            alen.to_string(),
            "bytes of the address used (of 8)",
            11,
            1,
        );
        let Some(addr) = self.bytes(12, 8) else {
            return self.cut(12, 8);
        };
        let used = addr.get(..usize::from(alen.min(8))).unwrap_or(addr);
        self.field(
            "Source address",
            mac(used),
            "the sender's link-layer address",
            12,
            8,
        );
        self.summary(format!(
            "interface {ifindex}, captured on Linux's \"any\" pseudo-interface"
        ));
        self.ethertype(p, 20);
    }

    fn null(&mut self, linktype: u32) {
        self.layer(
            if linktype == 0 {
                "BSD loopback (NULL)"
            } else {
                "OpenBSD loopback (LOOP)"
            },
            0,
            4,
        );
        let Some(b) = self.bytes(0, 4) else {
            return self.cut(0, 4);
        };
        let b4 = <[u8; 4]>::try_from(b).unwrap_or([0; 4]);
        let be = u32::from_be_bytes(b4);
        let le = u32::from_le_bytes(b4);
        let v = if linktype == 108 || le > 0xffff {
            be
        } else {
            le
        };
        let (what, ip) = match v {
            2 => ("AF_INET: IPv4 follows", Some(4)),
            10 | 24 | 28 | 30 => (
                "AF_INET6 (the number differs per OS): IPv6 follows",
                Some(6),
            ),
            0x0800 => ("an EtherType (IPv4) where a family was expected", Some(4)),
            0x86dd => ("an EtherType (IPv6) where a family was expected", Some(6)),
            _ => ("unknown address family", None),
        };
        self.field(
            "Family",
            v.to_string(),
            format!("{what}; in the capturing host's byte order"),
            0,
            4,
        );
        match ip {
            Some(4) => {
                self.ipv4(4, 0);
            }
            Some(_) => {
                self.ipv6(4, 0);
            }
            None => self.data_layer(4, self.data.len().saturating_sub(4), "not decoded"),
        }
    }

    fn raw_ip(&mut self, at: usize) {
        match self.u8(at).map(|b| b >> 4) {
            Some(4) => {
                self.ipv4(at, 0);
            }
            Some(6) => {
                self.ipv6(at, 0);
            }
            _ => {
                self.layer("Raw IP", at, self.data.len());
                self.field(
                    "Version",
                    self.u8(at).map_or("-".into(), |b| (b >> 4).to_string()),
                    "neither 4 nor 6: not an IP packet",
                    at,
                    1,
                );
            }
        }
    }

    fn arp(&mut self, at: usize) -> Option<usize> {
        self.layer("Address Resolution Protocol", at, 28);
        let (Some(hw), Some(pt), Some(hs), Some(ps), Some(op)) = (
            self.u16(at),
            self.u16(at + 2),
            self.u8(at + 4),
            self.u8(at + 5),
            self.u16(at + 6),
        ) else {
            self.cut(at, 8);
            return None;
        };
        self.field(
            "Hardware type",
            hw.to_string(),
            if hw == 1 { "Ethernet" } else { "other" },
            at,
            2,
        );
        self.field(
            "Protocol type",
            format!("0x{pt:04x}"),
            ethertype_name(pt),
            at + 2,
            2,
        );
        self.field(
            "Hardware size",
            hs.to_string(),
            "bytes in a hardware (MAC) address",
            at + 4,
            1,
        );
        self.field(
            "Protocol size",
            ps.to_string(),
            "bytes in a protocol (IP) address",
            at + 5,
            1,
        );
        let opname = match op {
            1 => "request: who has the target IP? tell the sender",
            2 => "reply: the sender IP is at the sender MAC",
            _ => "other",
        };
        self.field("Opcode", op.to_string(), opname, at + 6, 2);
        let (hs, ps) = (usize::from(hs), usize::from(ps));
        let mut off = at + 8;
        for (name, size, is_hw) in [
            ("Sender MAC address", hs, true),
            ("Sender IP address", ps, false),
            ("Target MAC address", hs, true),
            ("Target IP address", ps, false),
        ] {
            let Some(b) = self.bytes(off, size) else {
                self.cut(off, size);
                return None;
            };
            let v = match <[u8; 4]>::try_from(b) {
                Ok(a) if !is_hw => Ipv4Addr::from(a).to_string(),
                _ => mac(b),
            };
            let m = if is_hw && name.starts_with("Target") && op == 1 {
                "unknown yet: this is what the request asks"
            } else {
                ""
            };
            self.field(name, v, m, off, size);
            off += size;
        }
        self.summary(opname.to_string());
        Some(off)
    }

    /// IPv4 at `at`; returns where the datagram ends. `depth` > 0 inside an ICMP error.
    fn ipv4(&mut self, at: usize, depth: u8) -> Option<usize> {
        let name = if depth > 0 {
            "Quoted IPv4 header (the datagram that caused the error)"
        } else {
            "Internet Protocol Version 4"
        };
        self.layer(name, at, 20);
        let Some(b0) = self.u8(at) else {
            self.cut(at, 20);
            return None;
        };
        let version = b0 >> 4;
        let ihl = usize::from(b0 & 0x0f) * 4;
        self.bits(
            "Version",
            version.to_string(),
            if version == 4 {
                "IPv4"
            } else {
                "not 4: malformed"
            },
            at,
            1,
            bit_pattern(u32::from(b0), 0xf0, 8),
        );
        let opt = ihl.saturating_sub(20);
        let hl_meaning = if ihl < 20 {
            "below the 20-byte minimum: malformed".to_string()
        } else if opt == 0 {
            "IHL × 4 bytes: the fixed 20 bytes, no options".to_string()
        } else {
            format!("IHL × 4 bytes: 20 fixed + {opt} bytes of options")
        };
        self.bits(
            "Header length",
            format!("{ihl} bytes ({})", b0 & 0x0f),
            hl_meaning,
            at,
            1,
            bit_pattern(u32::from(b0), 0x0f, 8),
        );
        if let Some(l) = self.layers.last_mut() {
            l.len = ihl.max(20).min(self.data.len().saturating_sub(at));
        }
        let Some(tos) = self.u8(at + 1) else {
            self.cut(at, 20);
            return None;
        };
        self.bits(
            "Differentiated services (DSCP)",
            (tos >> 2).to_string(),
            if tos >> 2 == 0 {
                "default class (best effort)"
            } else {
                "a traffic class"
            },
            at + 1,
            1,
            bit_pattern(u32::from(tos), 0xfc, 8),
        );
        let ecn = match tos & 3 {
            0 => "Not-ECT: no congestion notification",
            3 => "CE: congestion experienced",
            _ => "ECT: ECN-capable transport",
        };
        self.bits(
            "Explicit congestion notification (ECN)",
            (tos & 3).to_string(),
            ecn,
            at + 1,
            1,
            bit_pattern(u32::from(tos), 0x03, 8),
        );
        let (
            Some(total),
            Some(id),
            Some(ff),
            Some(ttl),
            Some(proto),
            Some(sum),
            Some(src),
            Some(dst),
        ) = (
            self.u16(at + 2),
            self.u16(at + 4),
            self.u16(at + 6),
            self.u8(at + 8),
            self.u8(at + 9),
            self.u16(at + 10),
            self.bytes(at + 12, 4),
            self.bytes(at + 16, 4),
        )
        else {
            self.cut(at, 20);
            return None;
        };
        let total_us = usize::from(total);
        let payload = total_us.saturating_sub(ihl);
        self.field(
            "Total length",
            format!("{total} bytes"),
            format!(
                "header {ihl} + payload {payload} ({})",
                ip_proto_name(proto)
            ),
            at + 2,
            2,
        );
        self.field(
            "Identification",
            format!("0x{id:04x} ({id})"),
            "groups the fragments of one datagram",
            at + 4,
            2,
        );
        let df = ff & 0x4000 != 0;
        let mf = ff & 0x2000 != 0;
        let frag = (ff & 0x1fff) * 8;
        self.bits(
            "Flags",
            format!("0x{:x}", ff >> 13),
            match (df, mf) {
                (true, _) => "Don't Fragment",
                (false, true) => "More Fragments",
                _ => "none",
            },
            at + 6,
            2,
            bit_pattern(u32::from(ff), 0xe000, 16),
        );
        self.bits(
            "  Reserved bit",
            set(ff & 0x8000 != 0),
            "must be 0",
            at + 6,
            1,
            bit_pattern(u32::from(ff >> 8), 0x80, 8),
        );
        self.bits(
            "  Don't fragment",
            set(df),
            if df {
                "routers must drop rather than fragment it (path MTU discovery)"
            } else {
                "may be fragmented"
            },
            at + 6,
            1,
            bit_pattern(u32::from(ff >> 8), 0x40, 8),
        );
        self.bits(
            "  More fragments",
            set(mf),
            if mf {
                "more fragments of this datagram follow"
            } else {
                "last (or only) fragment"
            },
            at + 6,
            1,
            bit_pattern(u32::from(ff >> 8), 0x20, 8),
        );
        self.bits(
            "Fragment offset",
            format!("{} ({frag} bytes)", ff & 0x1fff),
            "field × 8 = where this fragment's data goes in the datagram",
            at + 6,
            2,
            bit_pattern(u32::from(ff), 0x1fff, 16),
        );
        self.field(
            "Time to live",
            ttl.to_string(),
            "hops left: each router subtracts 1 and drops it at 0 (Linux starts at 64)",
            at + 8,
            1,
        );
        self.field(
            "Protocol",
            proto.to_string(),
            format!("{} (0x{proto:02x}) is inside", ip_proto_name(proto)),
            at + 9,
            1,
        );
        let hdr = self.bytes(at, ihl.max(20));
        let sum_meaning = match hdr {
            Some(h) if ihl >= 20 => {
                let mut acc: u32 = 0;
                for pair in h.chunks(2) {
                    acc += u32::from(u16::from_be_bytes([
                        *pair.first().unwrap_or(&0),
                        *pair.get(1).unwrap_or(&0),
                    ]));
                }
                while acc > 0xffff {
                    acc = (acc & 0xffff) + (acc >> 16);
                }
                if acc == 0xffff {
                    "correct: the header's 16-bit words add up to 0xffff".to_string()
                } else {
                    "incorrect (or computed later by the network card)".to_string()
                }
            }
            _ => "not verified: header cut short".to_string(),
        };
        self.field(
            "Header checksum",
            format!("0x{sum:04x}"),
            sum_meaning,
            at + 10,
            2,
        );
        let s = Ipv4Addr::from(<[u8; 4]>::try_from(src).unwrap_or([0; 4]));
        let t = Ipv4Addr::from(<[u8; 4]>::try_from(dst).unwrap_or([0; 4]));
        self.field(
            "Source address",
            s.to_string(),
            if s.is_loopback() {
                "loopback: this host"
            } else {
                ""
            },
            at + 12,
            4,
        );
        self.field(
            "Destination address",
            t.to_string(),
            if t.is_loopback() {
                "loopback: this host"
            } else {
                ""
            },
            at + 16,
            4,
        );
        self.summary(format!("Src: {s}, Dst: {t}"));
        // options
        let mut o = at + 20;
        let end_opts = at + ihl;
        while o < end_opts {
            let Some(kind) = self.u8(o) else {
                self.cut(o, end_opts - o);
                break;
            };
            let (oname, copied) = (ipv4_option_name(kind), kind & 0x80 != 0);
            if kind == 0 || kind == 1 {
                self.field(
                    &format!("Option: {oname}"),
                    kind.to_string(),
                    if kind == 0 {
                        "end of the option list"
                    } else {
                        "padding"
                    },
                    o,
                    1,
                );
                o += 1;
                if kind == 0 {
                    break;
                }
                continue;
            }
            let Some(len) = self.u8(o + 1) else {
                self.cut(o, 2);
                break;
            };
            let len = usize::from(len);
            if len < 2 || o + len > end_opts {
                self.field(
                    &format!("Option: {oname}"),
                    format!("length {len}"),
                    "malformed: the length does not fit the header",
                    o,
                    end_opts - o,
                );
                break;
            }
            let data = self.bytes(o + 2, len - 2).unwrap_or_default();
            self.field(
                &format!("Option: {oname}"),
                format!("kind {kind}, length {len}"),
                format!(
                    "copied into fragments: {}; data {}",
                    if copied { "yes" } else { "no" },
                    hex(data, 16)
                ),
                o,
                len,
            );
            o += len;
        }
        if ihl < 20 {
            return None;
        }
        let end = at.saturating_add(total_us.max(ihl));
        if depth > 0 {
            // an ICMP error quotes the header and the first 8 bytes of the transport
            let rest = self.data.len().saturating_sub(at + ihl);
            if rest > 0 {
                self.transport(proto, at + ihl, self.data.len(), depth);
            }
            return Some(self.data.len());
        }
        if frag > 0 {
            let n = end.min(self.data.len()).saturating_sub(at + ihl);
            self.data_layer(at + ihl, n, &format!("a later fragment of a {} datagram: its transport header was in the first fragment", ip_proto_name(proto)));
            return Some(end);
        }
        self.transport(proto, at + ihl, end.min(self.data.len()), depth);
        Some(end)
    }

    /// IPv6 at `at`; returns where the packet ends.
    fn ipv6(&mut self, at: usize, depth: u8) -> Option<usize> {
        let name = if depth > 0 {
            "Quoted IPv6 header (the packet that caused the error)"
        } else {
            "Internet Protocol Version 6"
        };
        self.layer(name, at, 40);
        let (Some(w0), Some(plen), Some(nh), Some(hop), Some(src), Some(dst)) = (
            self.u32(at),
            self.u16(at + 4),
            self.u8(at + 6),
            self.u8(at + 7),
            self.bytes(at + 8, 16),
            self.bytes(at + 24, 16),
        ) else {
            self.cut(at, 40);
            return None;
        };
        let version = w0 >> 28;
        self.bits(
            "Version",
            version.to_string(),
            if version == 6 {
                "IPv6"
            } else {
                "not 6: malformed"
            },
            at,
            1,
            bit_pattern(w0 >> 24, 0xf0, 8),
        );
        let tc = (w0 >> 20) & 0xff;
        self.bits(
            "Traffic class",
            format!("0x{tc:02x}"),
            format!("DSCP {} and ECN {}", tc >> 2, tc & 3),
            at,
            2,
            bit_pattern(w0 >> 16, 0x0ff0, 16),
        );
        self.bits(
            "Flow label",
            format!("0x{:05x}", w0 & 0xfffff),
            "marks packets of one flow (0: none)",
            at + 1,
            3,
            bit_pattern(w0 & 0xfffff, 0xfffff, 20),
        );
        self.field(
            "Payload length",
            format!("{plen} bytes"),
            "extension headers + transport: everything after these 40 bytes",
            at + 4,
            2,
        );
        self.field(
            "Next header",
            nh.to_string(),
            format!("{} (0x{nh:02x}) follows", ip_proto_name(nh)),
            at + 6,
            1,
        );
        self.field(
            "Hop limit",
            hop.to_string(),
            "hops left (IPv6's TTL): each router subtracts 1",
            at + 7,
            1,
        );
        let s = Ipv6Addr::from(<[u8; 16]>::try_from(src).unwrap_or([0; 16]));
        let t = Ipv6Addr::from(<[u8; 16]>::try_from(dst).unwrap_or([0; 16]));
        self.field(
            "Source address",
            s.to_string(),
            if s.is_loopback() {
                "loopback ::1: this host"
            } else {
                ""
            },
            at + 8,
            16,
        );
        self.field(
            "Destination address",
            t.to_string(),
            if t.is_loopback() {
                "loopback ::1: this host"
            } else {
                ""
            },
            at + 24,
            16,
        );
        self.summary(format!("Src: {s}, Dst: {t}"));
        let end = at.saturating_add(40).saturating_add(usize::from(plen));
        let end_cap = if depth > 0 {
            self.data.len()
        } else {
            end.min(self.data.len())
        };
        let mut next = nh;
        let mut off = at + 40;
        for _ in 0..16 {
            match next {
                0 | 43 | 60 | 51 => {
                    let ename = ip_proto_name(next);
                    let (Some(n2), Some(l)) = (self.u8(off), self.u8(off + 1)) else {
                        self.layer(ename, off, 2);
                        self.cut(off, 2);
                        return Some(end);
                    };
                    let len = if next == 51 {
                        (usize::from(l) + 2) * 4
                    } else {
                        (usize::from(l) + 1) * 8
                    };
                    self.layer(ename, off, len);
                    self.field(
                        "Next header",
                        n2.to_string(),
                        format!("{} follows", ip_proto_name(n2)),
                        off,
                        1,
                    );
                    self.field(
                        "Header extension length",
                        l.to_string(),
                        format!("{len} bytes in all"),
                        off + 1,
                        1,
                    );
                    if next == 43 {
                        if let (Some(rt), Some(sl)) = (self.u8(off + 2), self.u8(off + 3)) {
                            self.field("Routing type", rt.to_string(), "", off + 2, 1);
                            self.field(
                                "Segments left",
                                sl.to_string(),
                                "route segments still to visit",
                                off + 3,
                                1,
                            );
                        }
                    } else if next != 51 {
                        self.ipv6_options(off + 2, off + len);
                    }
                    if self.bytes(off, len).is_none() {
                        self.cut(off, len);
                        return Some(end);
                    }
                    next = n2;
                    off += len;
                }
                44 => {
                    self.layer("IPv6 Fragment", off, 8);
                    let (Some(n2), Some(fo), Some(id)) =
                        (self.u8(off), self.u16(off + 2), self.u32(off + 4))
                    else {
                        self.cut(off, 8);
                        return Some(end);
                    };
                    self.field(
                        "Next header",
                        n2.to_string(),
                        format!("{} follows", ip_proto_name(n2)),
                        off,
                        1,
                    );
                    self.bits(
                        "Fragment offset",
                        format!("{} ({} bytes)", fo >> 3, (fo >> 3) * 8),
                        "field × 8",
                        off + 2,
                        2,
                        bit_pattern(u32::from(fo), 0xfff8, 16),
                    );
                    self.bits(
                        "More fragments",
                        set(fo & 1 != 0),
                        "",
                        off + 2,
                        2,
                        bit_pattern(u32::from(fo), 0x0001, 16),
                    );
                    self.field(
                        "Identification",
                        format!("0x{id:08x}"),
                        "groups the fragments of one packet",
                        off + 4,
                        4,
                    );
                    off += 8;
                    if fo >> 3 != 0 {
                        let n = end_cap.saturating_sub(off);
                        self.data_layer(
                            off,
                            n,
                            &format!("a later fragment of a {} packet", ip_proto_name(n2)),
                        );
                        return Some(end);
                    }
                    next = n2;
                }
                59 => return Some(end),
                p => {
                    self.transport(p, off, end_cap, depth);
                    return Some(end);
                }
            }
        }
        Some(end)
    }

    fn ipv6_options(&mut self, mut o: usize, end: usize) {
        while o < end {
            let Some(t) = self.u8(o) else { return };
            if t == 0 {
                self.field("Option: Pad1", "0", "one byte of padding", o, 1);
                o += 1;
                continue;
            }
            let Some(l) = self.u8(o + 1) else { return };
            let len = usize::from(l) + 2;
            let n = match t {
                1 => "PadN",
                5 => "Router Alert",
                0xc2 => "Jumbo Payload",
                0xc9 => "Home Address",
                _ => "unknown",
            };
            let data = self.bytes(o + 2, usize::from(l)).unwrap_or_default();
            self.field(
                &format!("Option: {n}"),
                format!("type {t}, length {l}"),
                format!("data {}", hex(data, 16)),
                o,
                len,
            );
            o += len;
        }
    }

    fn transport(&mut self, proto: u8, at: usize, end: usize, depth: u8) {
        match proto {
            6 => self.tcp(at, end, depth),
            17 => self.udp(at, end, depth),
            1 => self.icmp(at, end, depth, false),
            58 => self.icmp(at, end, depth, true),
            p => self.data_layer(
                at,
                end.saturating_sub(at),
                &format!("IP protocol {p} ({}) not decoded", ip_proto_name(p)),
            ),
        }
    }

    fn tcp(&mut self, at: usize, end: usize, depth: u8) {
        self.layer("Transmission Control Protocol", at, 20);
        let (Some(sp), Some(dp)) = (self.u16(at), self.u16(at + 2)) else {
            self.cut(at, 20);
            return;
        };
        self.field("Source port", sp.to_string(), "the sender's port", at, 2);
        self.field(
            "Destination port",
            dp.to_string(),
            "the receiver's port",
            at + 2,
            2,
        );
        self.summary(format!("Src Port: {sp}, Dst Port: {dp}"));
        if depth > 0 && self.u32(at + 4).is_none() {
            return;
        }
        let Some(seq) = self.u32(at + 4) else {
            return self.cut(at, 20);
        };
        let rel = if depth == 0 { self.rel } else { None };
        let seq_meaning = match rel {
            Some(r) => format!(
                "relative {} (raw minus this side's initial sequence number)",
                r.seq
            ),
            None => {
                "raw: position of this segment's first byte in the sender's byte stream".to_string()
            }
        };
        self.field("Sequence number", seq.to_string(), seq_meaning, at + 4, 4);
        if depth > 0 {
            return;
        }
        let (Some(ack), Some(ofl), Some(win), Some(sum), Some(urg)) = (
            self.u32(at + 8),
            self.u16(at + 12),
            self.u16(at + 14),
            self.u16(at + 16),
            self.u16(at + 18),
        ) else {
            return self.cut(at, 20);
        };
        let flags = ofl & 0x0fff;
        let ack_meaning = match (flags & 0x010 != 0, rel) {
            (false, _) => "not used: the ACK flag is not set".to_string(),
            (true, Some(r)) => format!(
                "relative {}: the next byte expected from the other side",
                r.ack
            ),
            (true, None) => "the next sequence number expected from the other side".to_string(),
        };
        self.field(
            "Acknowledgment number",
            ack.to_string(),
            ack_meaning,
            at + 8,
            4,
        );
        let hlen = usize::from(ofl >> 12) * 4;
        let hl_meaning = if hlen < 20 {
            "below the 20-byte minimum: malformed".to_string()
        } else if hlen == 20 {
            "data offset × 4: 20 fixed bytes, no options".to_string()
        } else {
            format!("data offset × 4: 20 fixed + {} bytes of options", hlen - 20)
        };
        self.bits(
            "Header length",
            format!("{hlen} bytes ({})", ofl >> 12),
            hl_meaning,
            at + 12,
            1,
            bit_pattern(u32::from(ofl >> 8), 0xf0, 8),
        );
        let names: Vec<&str> = TCP_FLAGS
            .iter()
            .filter(|f| flags & f.0 != 0)
            .map(|f| f.1)
            .collect();
        self.bits(
            "Flags",
            format!("0x{flags:03x}"),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            },
            at + 12,
            2,
            bit_pattern(u32::from(flags), 0x0fff, 12),
        );
        self.bits(
            "  Reserved",
            set(flags & 0x0e00 != 0),
            "must be 0",
            at + 12,
            1,
            bit_pattern(u32::from(flags), 0x0e00, 12),
        );
        for &(bit, name, meaning) in TCP_FLAGS.iter().rev() {
            self.bits(
                &format!("  {name}"),
                set(flags & bit != 0),
                meaning,
                at + 12 + usize::from(bit < 0x100),
                1,
                bit_pattern(u32::from(flags), u32::from(bit), 12),
            );
        }
        self.field("Window", win.to_string(), "bytes the sender can still receive (raw: multiplied by the window scale from the handshake)", at + 14, 2);
        self.field(
            "Checksum",
            format!("0x{sum:04x}"),
            "not verified (the sending host often leaves it to the network card)",
            at + 16,
            2,
        );
        self.field(
            "Urgent pointer",
            urg.to_string(),
            if flags & 0x020 != 0 {
                "urgent data ends here"
            } else {
                "not used: URG not set"
            },
            at + 18,
            2,
        );
        if let Some(l) = self.layers.last_mut() {
            l.len = hlen.max(20).min(self.data.len().saturating_sub(at));
        }
        let mut o = at + 20;
        let oend = at + hlen;
        while o < oend {
            let Some(kind) = self.u8(o) else {
                self.cut(o, oend - o);
                break;
            };
            match kind {
                0 => {
                    self.field("Option: End of option list", "0", "no more options", o, 1);
                    break;
                }
                1 => {
                    self.field(
                        "Option: No-Operation (NOP)",
                        "1",
                        "padding, to align the next option",
                        o,
                        1,
                    );
                    o += 1;
                    continue;
                }
                _ => {}
            }
            let Some(l) = self.u8(o + 1) else {
                self.cut(o, 2);
                break;
            };
            let len = usize::from(l);
            if len < 2 || o + len > oend {
                self.field(
                    "Option",
                    format!("kind {kind}, length {len}"),
                    "malformed: the length does not fit the header",
                    o,
                    oend - o,
                );
                break;
            }
            let (n, v, m) = match (kind, len) {
                (2, 4) => (
                    "Maximum segment size",
                    self.u16(o + 2)
                        .map_or(String::new(), |v| format!("{v} bytes")),
                    "the largest segment the sender accepts",
                ),
                (3, 3) => (
                    "Window scale",
                    self.u8(o + 2).map_or(String::new(), |v| {
                        format!("shift {v} (multiply by {})", 1u64 << v.min(30))
                    }),
                    "later Window fields are multiplied by this",
                ),
                (4, 2) => (
                    "SACK permitted",
                    String::new(),
                    "the sender understands selective acknowledgments",
                ),
                (5, _) => (
                    "SACK",
                    format!("{} block(s)", (len - 2) / 8),
                    "byte ranges received beyond the Ack",
                ),
                (8, 10) => (
                    "Timestamps",
                    format!(
                        "TSval {}, TSecr {}",
                        self.u32(o + 2).unwrap_or(0),
                        self.u32(o + 6).unwrap_or(0)
                    ),
                    "the sender's clock, and the last one it received (to measure RTT)",
                ),
                (34, _) => (
                    "TCP Fast Open cookie",
                    hex(self.bytes(o + 2, len - 2).unwrap_or_default(), 16),
                    "lets data ride on the SYN",
                ),
                (30, _) => ("Multipath TCP", format!("{} bytes", len), ""),
                _ => (
                    "Unknown",
                    format!("kind {kind}, {} data bytes", len - 2),
                    "",
                ),
            };
            self.field(&format!("Option: {n}"), v, m, o, len);
            o += len;
        }
        let payload_at = at + hlen.max(20);
        let n = end.saturating_sub(payload_at);
        self.field(
            "[Payload length]",
            format!("{n} bytes"),
            "IP payload minus the TCP header: what Wireshark calls tcp.len",
            payload_at,
            0,
        );
        if n > 0 {
            self.data_layer(payload_at, n, "the application's bytes");
        }
    }

    fn udp(&mut self, at: usize, end: usize, depth: u8) {
        self.layer("User Datagram Protocol", at, 8);
        let (Some(sp), Some(dp)) = (self.u16(at), self.u16(at + 2)) else {
            return self.cut(at, 8);
        };
        self.field(
            "Source port",
            sp.to_string(),
            "the sender's port (2 bytes)",
            at,
            2,
        );
        self.field(
            "Destination port",
            dp.to_string(),
            "the receiver's port (2 bytes)",
            at + 2,
            2,
        );
        self.summary(format!("Src Port: {sp}, Dst Port: {dp}"));
        let (Some(len), Some(sum)) = (self.u16(at + 4), self.u16(at + 6)) else {
            if depth == 0 {
                self.cut(at, 8);
            }
            return;
        };
        let payload = usize::from(len).saturating_sub(8);
        let m = if len < 8 {
            "below 8: malformed".to_string()
        } else {
            format!("8 header bytes + {payload} payload bytes (2 bytes)")
        };
        self.field("Length", format!("{len} bytes"), m, at + 4, 2);
        self.field(
            "Checksum",
            format!("0x{sum:04x}"),
            if sum == 0 {
                "0: no checksum (allowed over IPv4 only)"
            } else {
                "not verified (2 bytes)"
            },
            at + 6,
            2,
        );
        if depth > 0 {
            return;
        }
        let n = end
            .min(at.saturating_add(usize::from(len).max(8)))
            .saturating_sub(at + 8);
        if n > 0 {
            self.data_layer(at + 8, n, "the application's bytes");
        }
    }

    fn icmp(&mut self, at: usize, end: usize, depth: u8, v6: bool) {
        self.layer(
            if v6 {
                "Internet Control Message Protocol v6"
            } else {
                "Internet Control Message Protocol"
            },
            at,
            8,
        );
        let (Some(t), Some(c), Some(sum)) = (self.u8(at), self.u8(at + 1), self.u16(at + 2)) else {
            return self.cut(at, 4);
        };
        let name = if v6 { icmpv6_name(t) } else { icmp_name(t) };
        self.field("Type", t.to_string(), name, at, 1);
        self.field("Code", c.to_string(), icmp_code(v6, t, c), at + 1, 1);
        self.field(
            "Checksum",
            format!("0x{sum:04x}"),
            "not verified",
            at + 2,
            2,
        );
        self.summary(name.to_string());
        if depth > 0 {
            return;
        }
        let echo = if v6 {
            t == 128 || t == 129
        } else {
            t == 0 || t == 8
        };
        let error = if v6 {
            (1..=4).contains(&t)
        } else {
            matches!(t, 3 | 4 | 5 | 11 | 12)
        };
        if echo {
            let (Some(id), Some(sq)) = (self.u16(at + 4), self.u16(at + 6)) else {
                return self.cut(at, 8);
            };
            self.field(
                "Identifier",
                format!("0x{id:04x} ({id})"),
                "pairs the reply with its request",
                at + 4,
                2,
            );
            self.field(
                "Sequence number",
                sq.to_string(),
                "counts the requests",
                at + 6,
                2,
            );
            let n = end.saturating_sub(at + 8);
            if n > 0 {
                self.data_layer(at + 8, n, "echo data (returned unchanged in the reply)");
            }
        } else if error {
            let Some(rest) = self.u32(at + 4) else {
                return self.cut(at, 8);
            };
            let m = match (v6, t) {
                (false, 3) if c == 4 => format!("next-hop MTU {}", rest & 0xffff),
                (true, 2) => format!("MTU {rest}"),
                _ => "unused".to_string(),
            };
            self.field("Rest of header", format!("0x{rest:08x}"), m, at + 4, 4);
            match self.u8(at + 8).map(|b| b >> 4) {
                Some(4) => {
                    self.ipv4(at + 8, depth + 1);
                }
                Some(6) => {
                    self.ipv6(at + 8, depth + 1);
                }
                _ => {}
            }
        } else if v6 && (t == 135 || t == 136) {
            let Some(tg) = self.bytes(at + 8, 16) else {
                return;
            };
            let a = Ipv6Addr::from(<[u8; 16]>::try_from(tg).unwrap_or([0; 16]));
            self.field(
                "Target address",
                a.to_string(),
                if t == 135 {
                    "whose link-layer address is asked for"
                } else {
                    "whose link-layer address is given"
                },
                at + 8,
                16,
            );
        } else {
            let n = end.saturating_sub(at + 4);
            if n > 0 {
                self.field("Message body", format!("{n} bytes"), "", at + 4, n);
            }
        }
    }

    fn data_layer(&mut self, at: usize, n: usize, why: &str) {
        let have = self
            .bytes(at, n)
            .or_else(|| self.data.get(at..))
            .unwrap_or_default();
        self.layer(&format!("Data ({n} bytes)"), at, n);
        let mut text = String::new();
        for &b in have.iter().take(64) {
            text.push(crate::text::dump_char(b));
        }
        if have.len() > 64 {
            text.push('…');
        }
        let _ = write!(text, "");
        self.field(
            "Data",
            hex(have, 32),
            format!("{why}; as text: {text}"),
            at,
            have.len(),
        );
        if have.len() < n {
            self.field(
                "[cut short]",
                format!("{} of {n} bytes captured", have.len()),
                "the snap length cut the frame",
                at + have.len(),
                0,
            );
        }
    }
}

/// TCP control bits: (bit, name, meaning), FIN first.
const TCP_FLAGS: [(u16, &str, &str); 9] = [
    (
        0x001,
        "FIN",
        "the sender has no more data: it closes its side",
    ),
    (
        0x002,
        "SYN",
        "synchronize: opens a connection and carries the initial sequence number",
    ),
    (0x004, "RST", "reset: abort the connection"),
    (0x008, "PSH", "push: hand the data to the application now"),
    (0x010, "ACK", "the acknowledgment number is valid"),
    (0x020, "URG", "the urgent pointer is valid"),
    (
        0x040,
        "ECE",
        "ECN echo: congestion was seen (or ECN is offered, on a SYN)",
    ),
    (0x080, "CWR", "congestion window reduced"),
    (0x100, "AE", "accurate ECN (was NS, nonce sum)"),
];

fn ipv4_option_name(kind: u8) -> &'static str {
    match kind {
        0 => "End of Options List",
        1 => "No-Operation",
        7 => "Record Route",
        68 => "Timestamp",
        130 => "Security",
        131 => "Loose Source Route",
        136 => "Stream ID",
        137 => "Strict Source Route",
        148 => "Router Alert",
        _ => "unknown",
    }
}

fn packet_type(pt: u16) -> &'static str {
    match pt {
        0 => "unicast to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "unicast to another host",
        4 => "sent by us",
        _ => "unknown",
    }
}

fn arphrd(hw: u16) -> &'static str {
    match hw {
        1 => "Ethernet",
        772 => "loopback",
        776 => "IPv6-in-IPv4 tunnel",
        65534 => "none (e.g. a tun device)",
        _ => "other",
    }
}

fn icmp_name(t: u8) -> &'static str {
    match t {
        0 => "Echo (ping) reply",
        3 => "Destination unreachable",
        4 => "Source quench",
        5 => "Redirect",
        8 => "Echo (ping) request",
        9 => "Router advertisement",
        10 => "Router solicitation",
        11 => "Time exceeded",
        12 => "Parameter problem",
        13 => "Timestamp request",
        14 => "Timestamp reply",
        17 => "Address mask request",
        18 => "Address mask reply",
        _ => "other",
    }
}

fn icmpv6_name(t: u8) -> &'static str {
    match t {
        1 => "Destination unreachable",
        2 => "Packet too big",
        3 => "Time exceeded",
        4 => "Parameter problem",
        128 => "Echo (ping) request",
        129 => "Echo (ping) reply",
        133 => "Router solicitation",
        134 => "Router advertisement",
        135 => "Neighbor solicitation",
        136 => "Neighbor advertisement",
        143 => "Multicast listener report v2",
        _ => "other",
    }
}

fn icmp_code(v6: bool, t: u8, c: u8) -> &'static str {
    match (v6, t, c) {
        (false, 3, 0) => "network unreachable",
        (false, 3, 1) => "host unreachable",
        (false, 3, 2) => "protocol unreachable",
        (false, 3, 3) => "port unreachable: nothing listens on that UDP port",
        (false, 3, 4) => "fragmentation needed but DF set",
        (false, 3, 13) => "communication administratively prohibited",
        (false, 11, 0) => "TTL reached 0 in transit",
        (false, 11, 1) => "fragment reassembly time exceeded",
        (true, 1, 4) => "port unreachable: nothing listens on that UDP port",
        (true, 1, 0) => "no route to destination",
        (true, 1, 3) => "address unreachable",
        (true, 3, 0) => "hop limit reached 0 in transit",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tests_support::{IPV4_UDP, IPV6_UDP, frame_of};

    fn field<'l>(layers: &'l [Layer], layer: &str, name: &str) -> &'l Field {
        layers
            .iter()
            .filter(|l| l.name.starts_with(layer))
            .flat_map(|l| &l.fields)
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {layer} / {name} in {layers:#?}"))
    }

    #[test]
    fn test_udp_over_ipv4_lengths() {
        let layers = dissect(&frame_of(228, &IPV4_UDP), None);
        assert_eq!(
            field(&layers, "Internet Protocol Version 4", "Total length").value,
            "33 bytes"
        );
        assert_eq!(
            field(&layers, "Internet Protocol Version 4", "Total length").meaning,
            "header 20 + payload 13 (UDP)"
        );
        let p = field(&layers, "Internet Protocol Version 4", "Protocol");
        assert_eq!(
            (p.value.as_str(), p.meaning.as_str()),
            ("17", "UDP (0x11) is inside")
        );
        let l = field(&layers, "User Datagram Protocol", "Length");
        assert_eq!((l.value.as_str(), l.offset, l.len), ("13 bytes", 24, 2));
        assert!(l.meaning.starts_with("8 header bytes + 5 payload bytes"));
        assert!(layers.iter().any(|l| l.name == "Data (5 bytes)"));
    }

    #[test]
    fn test_udp_over_ipv6_next_header() {
        let layers = dissect(&frame_of(229, &IPV6_UDP), None);
        assert_eq!(
            field(&layers, "Internet Protocol Version 6", "Next header").value,
            "17"
        );
        assert_eq!(
            field(&layers, "User Datagram Protocol", "Source port").value,
            "5353"
        );
    }

    #[test]
    fn test_tcp_syn_flags_bits_and_relative() {
        let mut b = IPV4_UDP[..20].to_vec();
        b[3] = 44; // total length 20 + 24
        b[9] = 6; // TCP
        b.extend_from_slice(&[
            0x9c, 0x40, 0x22, 0xb8, // ports 40000 → 8888
            0x00, 0x00, 0x03, 0xe8, // seq 1000
            0x00, 0x00, 0x00, 0x00, // ack 0
            0x60, 0x02, 0xff, 0xff, // data offset 6 (24 bytes), SYN, window 65535
            0x00, 0x00, 0x00, 0x00, // checksum, urgent pointer
            0x02, 0x04, 0x05, 0xb4, // MSS 1460
        ]);
        let layers = dissect(&frame_of(228, &b), Some(RelativeSeq { seq: 0, ack: 0 }));
        let f = field(&layers, "Transmission Control Protocol", "Flags");
        assert_eq!((f.value.as_str(), f.meaning.as_str()), ("0x002", "SYN"));
        assert_eq!(f.bits.as_deref(), Some("0000 0000 0010"));
        let syn = field(&layers, "Transmission Control Protocol", "  SYN");
        assert_eq!(
            (syn.value.as_str(), syn.bits.as_deref()),
            ("set", Some(".... .... ..1."))
        );
        assert!(
            field(&layers, "Transmission Control Protocol", "Sequence number")
                .meaning
                .starts_with("relative 0")
        );
        assert_eq!(
            field(&layers, "Transmission Control Protocol", "Header length").value,
            "24 bytes (6)"
        );
        assert_eq!(
            field(
                &layers,
                "Transmission Control Protocol",
                "Option: Maximum segment size"
            )
            .value,
            "1460 bytes"
        );
    }

    #[test]
    fn test_every_prefix_every_linktype_no_panic() {
        for lt in [0, 1, 12, 101, 108, 113, 228, 229, 276, 160] {
            for n in 0..=IPV6_UDP.len() {
                let _ = dissect(&frame_of(lt, IPV6_UDP.get(..n).unwrap_or(&[])), None);
                let _ = dissect(
                    &frame_of(lt, IPV4_UDP.get(..n.min(IPV4_UDP.len())).unwrap_or(&[])),
                    None,
                );
            }
        }
    }

    #[test]
    fn test_bit_pattern_groups() {
        assert_eq!(bit_pattern(0x45, 0xf0, 8), "0100 ....");
        assert_eq!(bit_pattern(0x4000, 0x4000, 16), ".1.. .... .... ....");
    }
}
