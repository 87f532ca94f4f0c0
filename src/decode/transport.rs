//! Transport headers: TCP (with every option, in order), UDP, ICMP and ICMPv6
//! (echo ids, and the header an error quotes), and the dispatch into tunnels (IP
//! protocols 4, 41 and 47; UDP ports 4789 and 1701). Lengths are the ones the
//! headers declare, as Wireshark shows them. Records the span of every field as it
//! reads it; must not interpret application data (that is for the application
//! dissectors, see [`super::spans::payload`]).

use etherparse::{Icmpv4Slice, Icmpv6Slice, UdpHeaderSlice};

use super::app::{self, L4};
use super::link::set;
use super::names::{
    icmp_code_name, icmp_type_name, icmpv6_code_name, icmpv6_type_name, ip_proto_name,
};
use super::spans::{Bits, FieldSink, Hex, data_layer, payload as payload_spans};
use super::{
    Bytes, ChecksumStatus, Icmp, Packet, Tcp, TcpFlags, TcpOptions, Transport, Udp, be16, be32,
    checksum, ip, len_u32, malformed, set_payload, truncated, tunnel,
};

/// Fixed TCP header length.
const TCP_MIN: usize = 20;
/// UDP header length.
const UDP_LEN: usize = 8;

/// Decodes the transport header of IP protocol `protocol` from `bytes` (which hold
/// the IP payload as declared by the IP header).
pub(crate) fn decode_transport<'a, S: FieldSink>(
    protocol: u8,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    match protocol {
        6 => tcp(bytes, packet, s),
        17 => udp(bytes, packet, s),
        1 => icmp(bytes, packet, false, s),
        58 => icmp(bytes, packet, true, s),
        4 | 41 | 47 if tunnel::ip_protocol(protocol, bytes, packet, s) => {}
        other => {
            packet.transport = Transport::Other { protocol: other };
            set_payload(packet, bytes.data, bytes.at);
            if S::ON {
                other_spans(other, bytes, s);
            }
        }
    }
}

/// The spans of an IP protocol not decoded: its bytes as data (after the AH header,
/// for AH; nothing for "no next header").
fn other_spans<S: FieldSink>(protocol: u8, bytes: Bytes<'_>, s: &mut S) {
    let (b, at) = (bytes.data, bytes.at);
    let (mut protocol, mut off) = (protocol, 0usize);
    if protocol == 51 {
        // AH (RFC 4302): next header, payload length in 4-byte words minus 2.
        let (Some(&next), Some(&l)) = (b.first(), b.get(1)) else {
            s.layer(ip_proto_name(51), at, 2);
            return s.cut(at, 2);
        };
        let len = (usize::from(l) + 2) * 4;
        s.layer(ip_proto_name(51), at, len);
        s.field(
            at,
            1,
            "Next header",
            next,
            format_args!("{} follows", ip_proto_name(next)),
        );
        s.field(
            at + 1,
            1,
            "Header extension length",
            l,
            format_args!("{len} bytes in all"),
        );
        if b.len() < len {
            return s.cut(at, len);
        }
        (protocol, off) = (next, len);
    }
    if protocol == 59 {
        return;
    }
    let rest = b.get(off..).unwrap_or(&[]);
    let why = format!(
        "IP protocol {protocol} ({}) not decoded",
        ip_proto_name(protocol)
    );
    data_layer(rest, at + off, rest.len(), &why, s);
}

/// TCP (RFC 9293). `payload_len` is the segment length Wireshark calls `tcp.len`:
/// the IP-declared length minus the TCP header, whatever was captured.
fn tcp<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "TCP";
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Transmission Control Protocol", at, TCP_MIN);
    // The fixed 20 bytes, read by hand whatever the data offset says, so that a
    // header cut in its options (or with a bogus data offset) still shows ports,
    // numbers and flags.
    let Some(&fixed) = b.first_chunk::<TCP_MIN>() else {
        // Wireshark shows the ports of a header cut before its 20 bytes.
        if let (Some(src_port), Some(dst_port)) = (be16(b, 0), be16(b, 2)) {
            packet.cut_tcp_ports = Some((src_port, dst_port));
            if S::ON {
                port_spans(src_port, dst_port, at, false, s);
            }
        }
        s.cut(at, TCP_MIN);
        return truncated(packet, LAYER, TCP_MIN, b.len());
    };
    let [
        sp0,
        sp1,
        dp0,
        dp1,
        seq0,
        seq1,
        seq2,
        seq3,
        ack0,
        ack1,
        ack2,
        ack3,
        offset_byte,
        flag_byte,
        win0,
        win1,
        ck0,
        ck1,
        urg0,
        urg1,
    ] = fixed;
    let header_len = usize::from(offset_byte >> 4) * 4;
    let mut tcp = Tcp {
        src_port: u16::from_be_bytes([sp0, sp1]),
        dst_port: u16::from_be_bytes([dp0, dp1]),
        seq: u32::from_be_bytes([seq0, seq1, seq2, seq3]),
        ack: u32::from_be_bytes([ack0, ack1, ack2, ack3]),
        header_len: u8::try_from(header_len).unwrap_or(u8::MAX),
        // Bits 8..11 of the flags field are the low nibble of byte 12 (AE, reserved).
        flags: TcpFlags(u16::from(offset_byte & 0x0f) << 8 | u16::from(flag_byte)),
        window: u16::from_be_bytes([win0, win1]),
        checksum: u16::from_be_bytes([ck0, ck1]),
        urgent_ptr: u16::from_be_bytes([urg0, urg1]),
        options: TcpOptions::new(),
        payload_len: 0,
        short: false,
    };
    // Checked once: the detail view's span and the packet's fact say the same.
    let status = checksum::status(packet, 6, b, bytes.reported, tcp.checksum);
    if S::ON {
        tcp_spans(&tcp, b, at, Some(status), s);
    }
    if header_len < TCP_MIN {
        packet.transport = Transport::Tcp(tcp);
        return malformed(
            packet,
            LAYER,
            format!(
                "header length {header_len} bytes (data offset {}) is less than 20",
                header_len / 4
            ),
        );
    }
    let options_end = header_len.min(b.len());
    let (options, bad_option) = TcpOptions::read(b.get(TCP_MIN..options_end).unwrap_or(&[]));
    tcp.options = options;
    if bytes.reported < header_len {
        tcp.short = true;
        packet.transport = Transport::Tcp(tcp);
        return malformed(
            packet,
            LAYER,
            format!(
                "header length {header_len} exceeds the {} bytes of the segment",
                bytes.reported
            ),
        );
    }
    tcp.payload_len = len_u32(bytes.reported - header_len);
    let payload_len = bytes.reported - header_len;
    packet.checksum = status;
    packet.transport = Transport::Tcp(tcp);
    if b.len() < header_len {
        return truncated(packet, LAYER, header_len, b.len());
    }
    if let Some(why) = bad_option {
        malformed(packet, "TCP option", why);
    }
    set_payload(
        packet,
        b.get(header_len..).unwrap_or(&[]),
        bytes.at.saturating_add(header_len),
    );
    if !packet.payload.is_empty()
        && let Transport::Tcp(t) = &packet.transport
    {
        packet.app = app::classify(L4::Tcp, t.src_port, t.dst_port, packet.payload);
    }
    if S::ON {
        s.field(
            at + header_len,
            0,
            "[Payload length]",
            format_args!("{payload_len} bytes"),
            "IP payload minus the TCP header: what Wireshark calls tcp.len",
        );
        payload_spans(
            packet,
            packet.payload,
            at + header_len,
            payload_len,
            "the application's bytes",
            s,
        );
    }
}

/// The spans of a TCP or UDP header's two ports; `udp` words their meanings as
/// the UDP fields do.
fn port_spans<S: FieldSink>(sp: u16, dp: u16, at: usize, udp: bool, s: &mut S) {
    let (m1, m2) = if udp {
        (
            "the sender's port (2 bytes)",
            "the receiver's port (2 bytes)",
        )
    } else {
        ("the sender's port", "the receiver's port")
    };
    s.field(at, 2, "Source port", sp, m1);
    s.field(at + 2, 2, "Destination port", dp, m2);
    s.summary(format_args!("Src Port: {sp}, Dst Port: {dp}"));
}

/// TCP control bits: (bit, name, meaning), FIN first (names as
/// [`TcpFlags::NAMES`] spells them).
const TCP_FLAG_MEANINGS: [(u16, &str); 9] = [
    (
        TcpFlags::FIN,
        "the sender has no more data: it closes its side",
    ),
    (
        TcpFlags::SYN,
        "synchronize: opens a connection and carries the initial sequence number",
    ),
    (TcpFlags::RST, "reset: abort the connection"),
    (TcpFlags::PSH, "push: hand the data to the application now"),
    (TcpFlags::ACK, "the acknowledgment number is valid"),
    (TcpFlags::URG, "the urgent pointer is valid"),
    (
        TcpFlags::ECE,
        "ECN echo: congestion was seen (or ECN is offered, on a SYN)",
    ),
    (TcpFlags::CWR, "congestion window reduced"),
    (TcpFlags::AE, "accurate ECN (was NS, nonce sum)"),
];

/// The spans of a TCP header whose fixed 20 bytes were read into `tcp` (`b` from
/// the header's start, at frame offset `at`).
fn tcp_spans<S: FieldSink>(
    tcp: &Tcp,
    b: &[u8],
    at: usize,
    status: Option<ChecksumStatus>,
    s: &mut S,
) {
    port_spans(tcp.src_port, tcp.dst_port, at, false, s);
    let rel = s.relative_seq();
    s.field(
        at + 4,
        4,
        "Sequence number",
        tcp.seq,
        format_args!(
            "{}",
            match rel {
                Some(r) => format!(
                    "relative {} (raw minus this side's initial sequence number)",
                    r.seq
                ),
                None => "raw: position of this segment's first byte in the sender's byte stream"
                    .to_string(),
            }
        ),
    );
    let flags = tcp.flags.0;
    let ack_meaning = match (tcp.flags.has(TcpFlags::ACK), rel) {
        (false, _) => "not used: the ACK flag is not set".to_string(),
        (true, Some(r)) => format!(
            "relative {}: the next byte expected from the other side",
            r.ack
        ),
        (true, None) => "the next sequence number expected from the other side".to_string(),
    };
    s.field(at + 8, 4, "Acknowledgment number", tcp.ack, ack_meaning);
    let hlen = usize::from(tcp.header_len);
    let hl_meaning = if hlen < TCP_MIN {
        "below the 20-byte minimum: malformed".to_string()
    } else if hlen == TCP_MIN {
        "data offset × 4: 20 fixed bytes, no options".to_string()
    } else {
        format!("data offset × 4: 20 fixed + {} bytes of options", hlen - 20)
    };
    let offset_byte = u32::from(b.get(12).copied().unwrap_or(0));
    s.bits(
        at + 12,
        1,
        Bits::new(offset_byte, 0xf0, 8),
        "Header length",
        format_args!("{hlen} bytes ({})", hlen / 4),
        hl_meaning,
    );
    let names: Vec<&str> = tcp.flags.names(TcpFlags::NAMES.len()).collect();
    let v = u32::from(flags);
    s.bits(
        at + 12,
        2,
        Bits::new(v, 0x0fff, 12),
        "Flags",
        format_args!("0x{flags:03x}"),
        format_args!(
            "{}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ),
    );
    s.open();
    s.bits(
        at + 12,
        1,
        Bits::new(v, 0x0e00, 12),
        "Reserved",
        set(flags & 0x0e00 != 0),
        "must be 0",
    );
    for ((bit, name), (_, meaning)) in TcpFlags::NAMES.iter().zip(TCP_FLAG_MEANINGS).rev() {
        s.bits(
            at + 12 + usize::from(*bit < 0x100),
            1,
            Bits::new(v, u32::from(*bit), 12),
            name,
            set(flags & bit != 0),
            meaning,
        );
    }
    s.close();
    s.field(
        at + 14,
        2,
        "Window",
        tcp.window,
        "bytes the sender can still receive (raw: multiplied by the window scale from the handshake)",
    );
    s.field(
        at + 16,
        2,
        "Checksum",
        format_args!("0x{:04x}", tcp.checksum),
        checksum_meaning(status),
    );
    s.field(
        at + 18,
        2,
        "Urgent pointer",
        tcp.urgent_ptr,
        if tcp.flags.has(TcpFlags::URG) {
            "urgent data ends here"
        } else {
            "not used: URG not set"
        },
    );
    s.layer_len(hlen.max(TCP_MIN));
    tcp_option_spans(b, at, hlen, s);
}

/// The spans of a TCP header's options (`b` from the header's start, `hlen` bytes
/// of header).
fn tcp_option_spans<S: FieldSink>(b: &[u8], at: usize, hlen: usize, s: &mut S) {
    let mut o = TCP_MIN;
    while o < hlen {
        let Some(&kind) = b.get(o) else {
            s.cut(at + o, hlen - o);
            break;
        };
        match kind {
            0 => {
                s.field(
                    at + o,
                    1,
                    "Option: End of option list",
                    0,
                    "no more options",
                );
                break;
            }
            1 => {
                s.field(
                    at + o,
                    1,
                    "Option: No-Operation (NOP)",
                    1,
                    "padding, to align the next option",
                );
                o += 1;
                continue;
            }
            _ => {}
        }
        let Some(&l) = b.get(o + 1) else {
            s.cut(at + o, 2);
            break;
        };
        let len = usize::from(l);
        if len < 2 || o + len > hlen {
            s.field(
                at + o,
                hlen - o,
                "Option",
                format_args!("kind {kind}, length {len}"),
                "malformed: the length does not fit the header",
            );
            break;
        }
        let (name, value, meaning) = match (kind, len) {
            (2, 4) => (
                "Maximum segment size",
                be16(b, o + 2).map_or(String::new(), |v| format!("{v} bytes")),
                "the largest segment the sender accepts",
            ),
            (3, 3) => (
                "Window scale",
                b.get(o + 2).map_or(String::new(), |v| {
                    format!("shift {v} (multiply by {})", 1u64 << (*v).min(30))
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
                    be32(b, o + 2).unwrap_or(0),
                    be32(b, o + 6).unwrap_or(0)
                ),
                "the sender's clock, and the last one it received (to measure RTT)",
            ),
            (34, _) => (
                "TCP Fast Open cookie",
                Hex(b.get(o + 2..o + len).unwrap_or_default(), 16).to_string(),
                "lets data ride on the SYN",
            ),
            (30, _) => ("Multipath TCP", format!("{len} bytes"), ""),
            _ => (
                "Unknown",
                format!("kind {kind}, {} data bytes", len - 2),
                "",
            ),
        };
        s.field(at + o, len, format_args!("Option: {name}"), value, meaning);
        o += len;
    }
}

/// UDP (RFC 768). `payload_len` is the length field minus the 8-byte header. The
/// payload of a VXLAN (4789) or L2TP (1701) port is a tunnel.
fn udp<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "UDP";
    let at = bytes.at;
    s.layer("User Datagram Protocol", at, UDP_LEN);
    let h = match UdpHeaderSlice::from_slice(bytes.data) {
        Ok(h) => h,
        Err(e) => {
            if S::ON
                && let (Some(sp), Some(dp)) = (be16(bytes.data, 0), be16(bytes.data, 2))
            {
                port_spans(sp, dp, at, true, s);
            }
            s.cut(at, UDP_LEN);
            return truncated(packet, LAYER, e.required_len, e.len);
        }
    };
    let length = h.length();
    let udp = Udp {
        src_port: h.source_port(),
        dst_port: h.destination_port(),
        length,
        checksum: h.checksum(),
        payload_len: u32::from(length.saturating_sub(8)),
    };
    let datagram = bytes.limit(usize::from(length));
    // Over the datagram as its length field gives it (RFC 768, as tshark sums it); checked
    // once: the detail view's span and the packet's fact say the same.
    let status = checksum::status(packet, 17, datagram.data, datagram.reported, udp.checksum);
    if S::ON {
        udp_spans(&udp, at, Some(status), s);
    }
    let (src_port, dst_port) = (udp.src_port, udp.dst_port);
    packet.transport = Transport::Udp(udp);
    if usize::from(length) < UDP_LEN {
        return malformed(
            packet,
            LAYER,
            format!("length field {length} is less than the 8-byte header"),
        );
    }
    // In a first IP fragment the datagram goes on in later fragments.
    if usize::from(length) > bytes.reported && !packet.is_ip_fragment() {
        malformed(
            packet,
            LAYER,
            format!(
                "length field {length} exceeds the {} bytes of the IP payload",
                bytes.reported
            ),
        );
    }
    packet.checksum = status;
    set_payload(
        packet,
        datagram.data.get(UDP_LEN..).unwrap_or(&[]),
        datagram.at.saturating_add(UDP_LEN),
    );
    if let Some(inner) = datagram.skip(UDP_LEN)
        && tunnel::udp_port(src_port, dst_port, inner, packet, s)
    {
        return;
    }
    if !packet.payload.is_empty() {
        packet.app = app::classify(L4::Udp, src_port, dst_port, packet.payload);
    }
    if S::ON {
        let declared = datagram.reported.saturating_sub(UDP_LEN);
        payload_spans(
            packet,
            packet.payload,
            at + UDP_LEN,
            declared,
            "the application's bytes",
            s,
        );
    }
}

/// The spans of a UDP header read into `udp`, at frame offset `at`.
fn udp_spans<S: FieldSink>(udp: &Udp, at: usize, status: Option<ChecksumStatus>, s: &mut S) {
    port_spans(udp.src_port, udp.dst_port, at, true, s);
    let len = udp.length;
    s.field(
        at + 4,
        2,
        "Length",
        format_args!("{len} bytes"),
        format_args!(
            "{}",
            if len < 8 {
                "below 8: malformed".to_string()
            } else {
                format!(
                    "8 header bytes + {} payload bytes (2 bytes)",
                    udp.payload_len
                )
            }
        ),
    );
    s.field(
        at + 6,
        2,
        "Checksum",
        format_args!("0x{:04x}", udp.checksum),
        checksum_meaning(status),
    );
}

/// What the detail view says of a TCP, UDP or ICMP checksum: the decoder's own check
/// ([`ChecksumStatus`], the fact the notes and Zeek's `c`/`C` use too), or `None` for
/// a header quoted in an ICMP error, which is not checked.
fn checksum_meaning(status: Option<ChecksumStatus>) -> &'static str {
    match status {
        Some(ChecksumStatus::Good) => "correct",
        Some(ChecksumStatus::Bad) => {
            "wrong (not the partial sum an offload leaves either): the receiver discards it"
        }
        Some(ChecksumStatus::Partial) => {
            "not computed: the sender left it to the network card (checksum offload), \
             which on loopback and veth never fills it in"
        }
        Some(ChecksumStatus::Absent) => "0: no checksum (allowed over IPv4 only)",
        Some(ChecksumStatus::Unverified) => {
            "not verified: the segment is not all in the capture (cut short, or an IP \
             fragment not reassembled)"
        }
        None => "not verified (in the quoted header)",
    }
}

/// ICMP (RFC 792) or ICMPv6 (RFC 4443): type, code, checksum, the echo id and
/// sequence number, and for errors the quoted IP header.
fn icmp<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, v6: bool, s: &mut S) {
    let (b, at) = (bytes.data, bytes.at);
    let layer = if v6 { "ICMPv6" } else { "ICMP" };
    let fields = if v6 {
        Icmpv6Slice::from_slice(b).map(|s| (s.type_u8(), s.code_u8(), s.checksum(), s.bytes5to8()))
    } else {
        Icmpv4Slice::from_slice(b).map(|s| (s.type_u8(), s.code_u8(), s.checksum(), s.bytes5to8()))
    };
    let protocol = if v6 { 58 } else { 1 };
    // Checked once: the detail view's span and the packet's fact say the same.
    let status = fields
        .as_ref()
        .ok()
        .map(|&(_, _, sum, _)| checksum::status(packet, protocol, b, bytes.reported, sum));
    if S::ON {
        icmp_spans(b, at, v6, status, s);
    }
    let (icmp_type, code, checksum, rest_of_header) = match fields {
        Ok(f) => f,
        Err(e) => return truncated(packet, layer, e.required_len, e.len),
    };
    let body = b.get(8..).unwrap_or(&[]);
    let is_echo = if v6 {
        matches!(icmp_type, 128 | 129)
    } else {
        matches!(icmp_type, 0 | 8 | 13..=18)
    };
    let is_error = if v6 {
        matches!(icmp_type, 1..=4)
    } else {
        matches!(icmp_type, 3 | 4 | 5 | 11 | 12)
    };
    let [a, b1, c, d] = rest_of_header;
    let icmp = Icmp {
        icmp_type,
        code,
        checksum,
        echo: is_echo.then(|| (u16::from_be_bytes([a, b1]), u16::from_be_bytes([c, d]))),
        rest_of_header,
        quoted: if is_error { ip::quoted(body) } else { None },
    };
    packet.checksum = status.unwrap_or_default();
    packet.transport = if v6 {
        Transport::Icmpv6(icmp)
    } else {
        Transport::Icmpv4(icmp)
    };
    set_payload(packet, body, at.saturating_add(8));
}

/// The spans of an ICMP or ICMPv6 message (`b` from its start, at frame offset
/// `at`); `quoted`: the start of one quoted in an error (type, code, checksum).
/// `status`: the checksum's, or `None` for the header an ICMP error quotes.
fn icmp_spans<S: FieldSink>(
    b: &[u8],
    at: usize,
    v6: bool,
    status: Option<ChecksumStatus>,
    s: &mut S,
) {
    let quoted = status.is_none();
    s.layer(
        if v6 {
            "Internet Control Message Protocol v6"
        } else {
            "Internet Control Message Protocol"
        },
        at,
        8,
    );
    let (Some(&t), Some(&c), Some(sum)) = (b.first(), b.get(1), be16(b, 2)) else {
        return s.cut(at, 4);
    };
    let (name, code) = if v6 {
        (icmpv6_type_name(t), icmpv6_code_name(t, c))
    } else {
        (icmp_type_name(t), icmp_code_name(t, c))
    };
    let name = name.unwrap_or("unknown");
    s.field(at, 1, "Type", t, name);
    s.field(at + 1, 1, "Code", c, code.unwrap_or(""));
    s.field(
        at + 2,
        2,
        "Checksum",
        format_args!("0x{sum:04x}"),
        checksum_meaning(status),
    );
    s.summary(name);
    if quoted {
        return;
    }
    let echo = if v6 {
        matches!(t, 128 | 129)
    } else {
        matches!(t, 0 | 8)
    };
    let error = if v6 {
        (1..=4).contains(&t)
    } else {
        matches!(t, 3 | 4 | 5 | 11 | 12)
    };
    if echo {
        let (Some(id), Some(sq)) = (be16(b, 4), be16(b, 6)) else {
            return s.cut(at, 8);
        };
        s.field(
            at + 4,
            2,
            "Identifier",
            format_args!("0x{id:04x} ({id})"),
            "pairs the reply with its request",
        );
        s.field(at + 6, 2, "Sequence number", sq, "counts the requests");
        let data = b.get(8..).unwrap_or(&[]);
        if !data.is_empty() {
            data_layer(
                data,
                at + 8,
                data.len(),
                "echo data (returned unchanged in the reply)",
                s,
            );
        }
    } else if error {
        let Some(rest) = be32(b, 4) else {
            return s.cut(at, 8);
        };
        let m = match (v6, t) {
            (false, 3) if c == 4 => format!("next-hop MTU {}", rest & 0xffff),
            (true, 2) => format!("MTU {rest}"),
            _ => "unused".to_string(),
        };
        s.field(at + 4, 4, "Rest of header", format_args!("0x{rest:08x}"), m);
        ip::quoted_spans(b.get(8..).unwrap_or(&[]), at + 8, s);
    } else if v6 && matches!(t, 135 | 136) {
        let Some(target) = b.get(8..24).and_then(|x| <[u8; 16]>::try_from(x).ok()) else {
            return;
        };
        s.field(
            at + 8,
            16,
            "Target address",
            std::net::Ipv6Addr::from(target),
            if t == 135 {
                "whose link-layer address is asked for"
            } else {
                "whose link-layer address is given"
            },
        );
    } else {
        let n = b.len().saturating_sub(4);
        if n > 0 {
            s.field(at + 4, n, "Message body", format_args!("{n} bytes"), "");
        }
    }
}

/// The spans of the start of the transport header an ICMP error quotes (`b`, at
/// frame offset `at`): ports and sequence number of TCP, the UDP header, the
/// start of an ICMP message, or data.
pub(crate) fn quoted_transport_spans<S: FieldSink>(protocol: u8, b: &[u8], at: usize, s: &mut S) {
    match protocol {
        6 => {
            s.layer("Transmission Control Protocol", at, TCP_MIN);
            let (Some(sp), Some(dp)) = (be16(b, 0), be16(b, 2)) else {
                return s.cut(at, TCP_MIN);
            };
            port_spans(sp, dp, at, false, s);
            if let Some(seq) = be32(b, 4) {
                s.field(
                    at + 4,
                    4,
                    "Sequence number",
                    seq,
                    "raw: position of this segment's first byte in the sender's byte stream",
                );
            }
        }
        17 => {
            s.layer("User Datagram Protocol", at, UDP_LEN);
            let (Some(sp), Some(dp)) = (be16(b, 0), be16(b, 2)) else {
                return s.cut(at, UDP_LEN);
            };
            match (be16(b, 4), be16(b, 6)) {
                (Some(length), Some(checksum)) => {
                    let udp = Udp {
                        src_port: sp,
                        dst_port: dp,
                        length,
                        checksum,
                        payload_len: u32::from(length.saturating_sub(8)),
                    };
                    udp_spans(&udp, at, None, s);
                }
                _ => port_spans(sp, dp, at, true, s),
            }
        }
        1 | 58 => icmp_spans(b, at, protocol == 58, None, s),
        p => {
            let why = format!("IP protocol {p} ({}) not decoded", ip_proto_name(p));
            data_layer(b, at, b.len(), &why, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{IPV4_UDP, frame_of};
    use super::super::*;

    /// IPv4 header, 10.0.0.1 → 10.0.0.2, protocol `proto`, total length `total`.
    fn ipv4_header(proto: u8, total: u16) -> Vec<u8> {
        let mut v = vec![0x45, 0x00]; // version 4, IHL 5, DSCP/ECN 0
        v.extend_from_slice(&total.to_be_bytes()); // total length
        v.extend_from_slice(&[0x00, 0x01, 0x40, 0x00]); // id 1, DF
        v.extend_from_slice(&[64, proto, 0x00, 0x00]); // TTL, protocol, checksum
        v.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]); // source, destination
        v
    }

    /// A SYN with MSS, SACK_PERM, timestamps, NOP, window scale (Linux's order).
    fn syn_segment() -> Vec<u8> {
        let mut v = ipv4_header(6, 20 + 40);
        v.extend_from_slice(&[
            0xe4, 0x5a, 0x5b, 0xa0, // ports 58458 → 23456
            0x00, 0x00, 0x03, 0xe8, // seq 1000
            0x00, 0x00, 0x00, 0x00, // ack 0
            0xa0, 0x02, // data offset 10 (40 bytes), SYN
            0xff, 0xd7, // window 65495
            0x00, 0x00, 0x00, 0x00, // checksum, urgent pointer
            0x02, 0x04, 0xff, 0xd7, // MSS 65495
            0x04, 0x02, // SACK permitted
            0x08, 0x0a, 0x78, 0x0a, 0x6e, 0x4f, 0x00, 0x00, 0x00,
            0x00, // TSval 2013949519, TSecr 0
            0x01, // NOP
            0x03, 0x03, 0x0a, // window scale 10
        ]);
        v
    }

    #[test]
    fn test_tcp_syn_options_in_order() {
        let v = syn_segment();
        let p = decode(&frame_of(228, &v));
        let t = p.tcp().expect("TCP");
        assert_eq!(
            (t.src_port, t.dst_port, t.seq, t.header_len),
            (58458, 23456, 1000, 40)
        );
        assert!(t.flags.has(TcpFlags::SYN) && !t.flags.has(TcpFlags::ACK));
        assert_eq!(
            t.options,
            vec![
                TcpOption::Mss(65495),
                TcpOption::SackPermitted,
                TcpOption::Timestamps {
                    tsval: 0x780a6e4f,
                    tsecr: 0
                },
                TcpOption::Nop,
                TcpOption::WindowScale(10),
            ]
        );
        assert_eq!(t.payload_len, 0);
        assert_eq!(p.problem, None);
    }

    #[test]
    fn test_tcp_sack_blocks_fastopen_unknown_eol() {
        let mut v = ipv4_header(6, 20 + 60 + 3);
        v.extend_from_slice(&[
            0x00, 0x50, 0x04, 0x00, // ports 80 → 1024
            0x00, 0x00, 0x00, 0x01, // seq 1
            0x00, 0x00, 0x00, 0x02, // ack 2
            0xf1, 0x18, // data offset 15 (60 bytes), AE bit, PSH+ACK
            0x01, 0x00, 0x00, 0x00, 0x00, 0x00, // window 256, checksum, urgent
            0x01, 0x01, // NOP, NOP
            0x05, 0x12, // SACK, 2 blocks (18 bytes)
            0, 0, 0, 10, 0, 0, 0, 20, // block 10-20
            0, 0, 0, 30, 0, 0, 0, 40, // block 30-40
            0x22, 0x06, 0xca, 0xfe, 0xba, 0xbe, // Fast Open cookie cafebabe
            0x1e, 0x04, 0x00, 0x00, // MPTCP (kind 30), 2 data bytes: unknown
            0x00, // EOL
            0, 0, 0, 0, 0, 0, 0, 0, 0, // padding to 40 option bytes
        ]);
        v.extend_from_slice(b"abc");
        let p = decode(&frame_of(228, &v));
        let t = p.tcp().expect("TCP");
        assert!(t.flags.has(TcpFlags::AE | TcpFlags::PSH | TcpFlags::ACK));
        assert_eq!(
            t.options,
            vec![
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Sack(vec![(10, 20), (30, 40)]),
                TcpOption::FastOpen(vec![0xca, 0xfe, 0xba, 0xbe]),
                TcpOption::Unknown { kind: 30, len: 2 },
                TcpOption::Eol,
            ]
        );
        assert_eq!(t.payload_len, 3);
        assert_eq!(p.payload, b"abc");
    }

    #[test]
    fn test_tcp_experimental_fastopen_and_accecn() {
        let mut v = ipv4_header(6, 20 + 20 + 20);
        v.extend_from_slice(&[
            0x00, 0x50, 0x40, 0x31, // ports 80 → 16433
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // seq, ack
            0xa0, 0x12, 0xfe, 0x88, 0x00, 0x00, 0x00, 0x00, // data offset 10, SYN ACK, window
            0xfe, 0x04, 0xf9, 0x89, // experimental TFO, cookie request
            0xfe, 0x0d, 0xac, 0xc0, // experimental AccECN order 0 ...
            0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0xff, 0xff,
            0xff, // EE0B 1, ECEB 0, EE1B 2^24-1
            0x00, 0x00, 0x00, // EOL and padding
        ]);
        let p = decode(&frame_of(228, &v));
        let t = p.tcp().expect("TCP");
        assert_eq!(
            t.options,
            vec![
                TcpOption::FastOpen(vec![]),
                TcpOption::AccEcn(vec![("EE0B", 1), ("ECEB", 0), ("EE1B", 16_777_215)]),
                TcpOption::Eol,
            ]
        );
    }

    #[test]
    fn test_tcp_accecn_order1_partial() {
        assert_eq!(
            super::super::tcp_options::accecn(1, &[0, 0, 5, 0, 0]),
            TcpOption::AccEcn(vec![("EE1B", 5)])
        );
    }

    #[test]
    fn test_tcp_data_offset_too_small_malformed() {
        let mut v = syn_segment();
        v[32] = 0x40; // data offset 4
        let p = decode(&frame_of(228, &v));
        assert_eq!(p.ports(), Some((58458, 23456)));
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "TCP",
                kind: ProblemKind::Malformed(_)
            })
        ));
    }

    #[test]
    fn test_tcp_option_past_header_malformed() {
        let mut v = syn_segment();
        v[58] = 0x04; // the last option (window scale) claims 4 bytes: past the header
        let p = decode(&frame_of(228, &v));
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "TCP option",
                ..
            })
        ));
    }

    #[test]
    fn test_tcp_snapped_reports_declared_len() {
        let mut v = ipv4_header(6, 20 + 20 + 100);
        v.extend_from_slice(&[
            0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0, 1, 0, 0, 0, 0,
        ]);
        v.extend_from_slice(&[b'x'; 10]); // only 10 of the 100 payload bytes captured
        let mut f = frame_of(228, &v);
        f.orig_len = 140;
        let p = decode(&f);
        assert_eq!(p.tcp().map(|t| t.payload_len), Some(100));
        assert_eq!(p.payload.len(), 10);
        assert_eq!(p.problem, None);
    }

    #[test]
    fn test_tcp_truncated_in_options() {
        let v = syn_segment();
        let mut f = frame_of(228, &v[..50]); // 20 IP + 30 of the 40 TCP bytes
        f.orig_len = 60;
        let p = decode(&f);
        assert_eq!(p.ports(), Some((58458, 23456)));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "TCP",
                kind: ProblemKind::Truncated {
                    needed: 40,
                    available: 30
                }
            })
        );
        assert_eq!(p.tcp().map(|t| t.payload_len), Some(0));
    }

    #[test]
    fn test_tcp_truncated_fixed_header() {
        let v = syn_segment();
        let mut f = frame_of(228, &v[..30]);
        f.orig_len = 60;
        let p = decode(&f);
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "TCP",
                kind: ProblemKind::Truncated {
                    needed: 20,
                    available: 10
                }
            })
        );
        assert_eq!(p.transport, Transport::None);
        assert_eq!(p.ports(), Some((58458, 23456)));
    }

    #[test]
    fn test_tcp_header_longer_than_segment_is_short() {
        let mut v = ipv4_header(6, 20 + 20);
        v.extend_from_slice(&[
            0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, // ports 1 → 2, seq 1, ack 1
            0x70, 0x10, 0, 1, 0, 0, 0, 0, // data offset 7 (28 bytes), ACK
        ]);
        let p = decode(&frame_of(228, &v));
        assert!(p.tcp().is_some_and(|t| t.short));
        assert_eq!(p.declared_payload_len(), None);
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "TCP",
                kind: ProblemKind::Malformed(_)
            })
        ));
    }

    #[test]
    fn test_udp_length_below_header_malformed() {
        let mut v = IPV4_UDP;
        v[25] = 4; // UDP length 4
        let p = decode(&frame_of(228, &v));
        assert_eq!(p.udp().map(|u| u.payload_len), Some(0));
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "UDP",
                kind: ProblemKind::Malformed(_)
            })
        ));
    }

    #[test]
    fn test_udp_truncated() {
        let mut f = frame_of(228, &IPV4_UDP[..24]);
        f.orig_len = 33;
        let p = decode(&f);
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "UDP",
                kind: ProblemKind::Truncated {
                    needed: 8,
                    available: 4
                }
            })
        );
    }

    #[test]
    fn test_icmp_echo_request() {
        let mut v = ipv4_header(1, 20 + 8 + 4);
        v.extend_from_slice(&[
            0x08, 0x00, 0x00, 0x00, // echo request, code 0, checksum
            0x12, 0x34, 0x00, 0x07, // id 0x1234, seq 7
            b'p', b'i', b'n', b'g', // data
        ]);
        let p = decode(&frame_of(228, &v));
        let i = p.icmp().expect("ICMP");
        assert_eq!((i.icmp_type, i.code, i.echo), (8, 0, Some((0x1234, 7))));
        assert_eq!(i.quoted, None);
        assert_eq!(p.ports(), None);
    }

    #[test]
    fn test_icmp_port_unreachable_quotes_udp() {
        let mut v = ipv4_header(1, 20 + 8 + 33);
        v.extend_from_slice(&[
            0x03, 0x03, 0x00, 0x00, // destination unreachable, port unreachable
            0x00, 0x00, 0x00, 0x00, // unused
        ]);
        v.extend_from_slice(&IPV4_UDP); // the datagram that caused it
        let p = decode(&frame_of(228, &v));
        let Transport::Icmpv4(i) = &p.transport else {
            panic!("not ICMP")
        };
        assert_eq!(i.echo, None);
        let q = i.quoted.as_ref().expect("quoted header");
        assert_eq!(q.src, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(
            (q.protocol, q.src_port, q.dst_port),
            (17, Some(32887), Some(23457))
        );
        assert_eq!(p.ports(), None);
    }

    #[test]
    fn test_icmpv6_echo_reply() {
        let mut v = vec![0x60, 0, 0, 0, 0x00, 0x08, 58, 64];
        v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v.extend_from_slice(&[
            0x81, 0x00, 0x00, 0x00, // echo reply, code 0, checksum
            0x00, 0x01, 0x00, 0x02, // id 1, seq 2
        ]);
        let p = decode(&frame_of(229, &v));
        let Transport::Icmpv6(i) = &p.transport else {
            panic!("not ICMPv6")
        };
        assert_eq!((i.icmp_type, i.echo), (129, Some((1, 2))));
    }

    #[test]
    fn test_icmp_truncated() {
        let mut v = ipv4_header(1, 28);
        v.extend_from_slice(&[0x08, 0x00, 0x00]);
        let mut f = frame_of(228, &v);
        f.orig_len = 28;
        let p = decode(&f);
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "ICMP",
                kind: ProblemKind::Truncated {
                    needed: 8,
                    available: 3
                }
            })
        );
    }
}
