//! IPv4 and IPv6 headers (options, extension headers, fragments) and the IP header
//! quoted inside ICMP errors. Works out the declared datagram length and hands the
//! transport bytes on to `transport`; records the span of every header field as it
//! goes. Must not parse transport headers itself (except the two port numbers of a
//! quoted header).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{Ipv6FragmentHeaderSlice, Ipv6HeaderSlice, Ipv6RawExtHeaderSlice};

use super::link::set;
use super::names::ip_proto_name;
use super::spans::{Bits, FieldSink, Hex, data_layer};
use super::{
    Bytes, FragmentInfo, Ipv4, Ipv6, Ipv6Fragment, Net, Packet, Quoted, Transport, be16, be32,
    malformed, set_payload, transport, truncated,
};

/// Fixed IPv4 header length.
const IPV4_MIN: usize = 20;
/// Fixed IPv6 header length.
const IPV6_LEN: usize = 40;
/// IPv6 extension headers followed before giving up (each is at least 8 bytes anyway).
const MAX_EXTENSIONS: usize = 32;

/// Raw IP: the version nibble of the first byte says IPv4 or IPv6.
pub(crate) fn ip_any_version<'a, S: FieldSink>(
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    layer: &'static str,
    s: &mut S,
) {
    match bytes.data.first().map(|b| b >> 4) {
        Some(4) => ipv4(bytes, packet, s),
        Some(6) => ipv6(bytes, packet, s),
        Some(v) => {
            if S::ON {
                s.layer("Raw IP", bytes.at, bytes.data.len());
                s.field(
                    bytes.at,
                    1,
                    "Version",
                    v,
                    "neither 4 nor 6: not an IP packet",
                );
            }
            malformed(packet, layer, format!("IP version {v}, expected 4 or 6"))
        }
        None => {
            s.layer("Raw IP", bytes.at, 1);
            s.cut(bytes.at, 1);
            truncated(packet, layer, 1, 0)
        }
    }
}

/// The fixed 20 bytes of an IPv4 header (read by hand: a fixed layout, on most
/// frames), whatever its IHL says, so that a header whose options were cut short (or
/// whose IHL is bogus) still shows its addresses; the real IHL is returned
/// alongside, in bytes. The version is not checked here.
fn ipv4_fixed(data: &[u8]) -> Option<(Ipv4, usize)> {
    let [
        version_ihl,
        tos,
        len_hi,
        len_lo,
        id_hi,
        id_lo,
        flags_offset_hi,
        offset_lo,
        ttl,
        protocol,
        checksum_hi,
        checksum_lo,
        s0,
        s1,
        s2,
        s3,
        d0,
        d1,
        d2,
        d3,
    ] = *data.first_chunk::<IPV4_MIN>()?;
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    let ip = Ipv4 {
        src: Ipv4Addr::new(s0, s1, s2, s3),
        dst: Ipv4Addr::new(d0, d1, d2, d3),
        header_len: u8::try_from(header_len).unwrap_or(u8::MAX),
        total_len: u16::from_be_bytes([len_hi, len_lo]),
        identification: u16::from_be_bytes([id_hi, id_lo]),
        dont_fragment: flags_offset_hi & 0x40 != 0,
        more_fragments: flags_offset_hi & 0x20 != 0,
        // The field counts 8-byte units: at most 8191 × 8 = 65528, which fits.
        fragment_offset: u16::from_be_bytes([flags_offset_hi & 0x1f, offset_lo]) * 8,
        ttl,
        protocol,
        checksum: u16::from_be_bytes([checksum_hi, checksum_lo]),
        // DSCP is the high 6 bits of the old type-of-service byte, ECN the low 2.
        dscp: tos >> 2,
        ecn: tos & 0x03,
        route_dst: None,
    };
    Some((ip, header_len))
}

/// The final destination of a loose (131) or strict (137) source route option:
/// the last address of its route data, as Wireshark takes it for `ip.dst`, when
/// the option's length holds whole addresses and its pointer is sane.
fn source_route_dst(options: &[u8]) -> Option<Ipv4Addr> {
    let mut at = 0usize;
    while let Some(&kind) = options.get(at) {
        match kind {
            0 => return None,
            1 => {
                at += 1;
                continue;
            }
            _ => {}
        }
        let len = usize::from(*options.get(at + 1)?);
        if len < 2 {
            return None;
        }
        if matches!(kind, 0x83 | 0x89) {
            let pointer = usize::from(*options.get(at + 2)?);
            if len < 7 || (len - 3) % 4 != 0 || pointer < 4 || pointer % 4 != 0 || pointer > len + 1
            {
                return None;
            }
            let last = options.get(at + len - 4..at + len)?;
            let octets: [u8; 4] = last.try_into().ok()?;
            return Some(Ipv4Addr::from(octets));
        }
        at += len;
    }
    None
}

/// IPv4 (RFC 791). The datagram ends where its total length says (Ethernet padding
/// is not part of it); a total length of 0 (TCP segmentation offload) means "up to
/// the end of the frame", as Wireshark reads it.
pub(crate) fn ipv4<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "IPv4";
    let b = bytes.data;
    // Wireshark's "ip" dissector follows the version nibble: IPv6 where IPv4 was
    // announced (EtherType 0x0800, LINKTYPE_IPV4, ...) is decoded as IPv6. The
    // IPv6 dissector is strict.
    match b.first().map(|x| x >> 4) {
        Some(6) => return ipv6(bytes, packet, s),
        Some(version) if version != 4 => {
            if S::ON {
                s.layer("Internet Protocol Version 4", bytes.at, b.len());
                s.field(bytes.at, 1, "Version", version, "not 4: malformed");
            }
            return malformed(packet, LAYER, format!("version {version}, expected 4"));
        }
        _ => {}
    }
    let Some((mut ip, header_len)) = ipv4_fixed(b) else {
        s.layer("Internet Protocol Version 4", bytes.at, IPV4_MIN);
        s.cut(bytes.at, IPV4_MIN);
        return truncated(packet, LAYER, IPV4_MIN, b.len());
    };
    if S::ON {
        ipv4_spans(&ip, b, bytes.at, false, s);
    }
    if header_len > IPV4_MIN {
        ip.route_dst = b.get(IPV4_MIN..header_len).and_then(source_route_dst);
    }
    if header_len < IPV4_MIN {
        return malformed(
            packet,
            LAYER,
            format!(
                "header length {header_len} bytes (IHL {}) is less than 20",
                header_len / 4
            ),
        );
    }
    let (protocol, fragment_offset, total_len) = (ip.protocol, ip.fragment_offset, ip.total_len);
    let is_fragment = ip.more_fragments || fragment_offset > 0;
    packet.net = Net::Ipv4(ip);
    if b.len() < header_len {
        return truncated(packet, LAYER, header_len, b.len());
    }
    let total = if total_len == 0 {
        bytes.reported
    } else {
        usize::from(total_len)
    };
    if total < header_len {
        return malformed(
            packet,
            LAYER,
            format!("total length {total} is less than the header length {header_len}"),
        );
    }
    s.set_datagram_end(bytes.at.saturating_add(total));
    if total > bytes.reported {
        malformed(
            packet,
            LAYER,
            format!(
                "total length {total} exceeds the {} bytes on the wire",
                bytes.reported
            ),
        );
    }
    let Some(payload) = bytes.limit(total).skip(header_len) else {
        return;
    };
    // Wireshark reassembles a fragment whose data is all there (declared and
    // captured); one cut short is shown on its own.
    if is_fragment
        && bytes.defrag
        && payload.reported > 0
        && payload.reported == total - header_len
        && payload.data.len() == payload.reported
    {
        hold_fragment(protocol, payload, packet);
        return;
    }
    if fragment_offset > 0 {
        // A later fragment: its bytes continue a datagram whose transport header
        // came in the first fragment.
        packet.transport = Transport::Fragment { protocol };
        set_payload(packet, payload.data, payload.at);
        if S::ON {
            let why = format!(
                "a later fragment of a {} datagram: its transport header was in the first fragment",
                ip_proto_name(protocol)
            );
            data_layer(payload.data, payload.at, payload.data.len(), &why, s);
        }
        return;
    }
    transport::decode_transport(protocol, payload, packet, s);
}

/// The spans of an IPv4 header whose fixed 20 bytes were read into `ip`; `b` holds
/// the header's captured bytes on, at frame offset `at`. `quoted`: the header an
/// ICMP error quotes.
fn ipv4_spans<S: FieldSink>(ip: &Ipv4, b: &[u8], at: usize, quoted: bool, s: &mut S) {
    s.layer(
        if quoted {
            "Quoted IPv4 header (the datagram that caused the error)"
        } else {
            "Internet Protocol Version 4"
        },
        at,
        IPV4_MIN,
    );
    let ihl = usize::from(ip.header_len);
    let b0 = u32::from(b.first().copied().unwrap_or(0));
    s.bits(at, 1, Bits::new(b0, 0xf0, 8), "Version", 4, "IPv4");
    let opt = ihl.saturating_sub(IPV4_MIN);
    s.bits(
        at,
        1,
        Bits::new(b0, 0x0f, 8),
        "Header length",
        format_args!("{ihl} bytes ({})", ihl / 4),
        format_args!(
            "{}",
            if ihl < IPV4_MIN {
                "below the 20-byte minimum: malformed".to_string()
            } else if opt == 0 {
                "IHL × 4 bytes: the fixed 20 bytes, no options".to_string()
            } else {
                format!("IHL × 4 bytes: 20 fixed + {opt} bytes of options")
            }
        ),
    );
    s.layer_len(ihl.max(IPV4_MIN));
    let tos = u32::from(ip.dscp) << 2 | u32::from(ip.ecn);
    s.bits(
        at + 1,
        1,
        Bits::new(tos, 0xfc, 8),
        "Differentiated services (DSCP)",
        ip.dscp,
        if ip.dscp == 0 {
            "default class (best effort)"
        } else {
            "a traffic class"
        },
    );
    s.bits(
        at + 1,
        1,
        Bits::new(tos, 0x03, 8),
        "Explicit congestion notification (ECN)",
        ip.ecn,
        match ip.ecn {
            0 => "Not-ECT: no congestion notification",
            3 => "CE: congestion experienced",
            _ => "ECT: ECN-capable transport",
        },
    );
    let total = usize::from(ip.total_len);
    s.field(
        at + 2,
        2,
        "Total length",
        format_args!("{total} bytes"),
        format_args!(
            "header {ihl} + payload {} ({})",
            total.saturating_sub(ihl),
            ip_proto_name(ip.protocol)
        ),
    );
    let id = ip.identification;
    s.field(
        at + 4,
        2,
        "Identification",
        format_args!("0x{id:04x} ({id})"),
        "groups the fragments of one datagram",
    );
    let ff = u32::from(be16(b, 6).unwrap_or(0));
    let (df, mf) = (ip.dont_fragment, ip.more_fragments);
    s.bits(
        at + 6,
        2,
        Bits::new(ff, 0xe000, 16),
        "Flags",
        format_args!("0x{:x}", ff >> 13),
        match (df, mf) {
            (true, _) => "Don't Fragment",
            (false, true) => "More Fragments",
            _ => "none",
        },
    );
    s.open();
    s.bits(
        at + 6,
        1,
        Bits::new(ff >> 8, 0x80, 8),
        "Reserved bit",
        set(ff & 0x8000 != 0),
        "must be 0",
    );
    s.bits(
        at + 6,
        1,
        Bits::new(ff >> 8, 0x40, 8),
        "Don't fragment",
        set(df),
        if df {
            "routers must drop rather than fragment it (path MTU discovery)"
        } else {
            "may be fragmented"
        },
    );
    s.bits(
        at + 6,
        1,
        Bits::new(ff >> 8, 0x20, 8),
        "More fragments",
        set(mf),
        if mf {
            "more fragments of this datagram follow"
        } else {
            "last (or only) fragment"
        },
    );
    s.close();
    s.bits(
        at + 6,
        2,
        Bits::new(ff, 0x1fff, 16),
        "Fragment offset",
        format_args!("{} ({} bytes)", ip.fragment_offset / 8, ip.fragment_offset),
        "field × 8 = where this fragment's data goes in the datagram",
    );
    s.field(
        at + 8,
        1,
        "Time to live",
        ip.ttl,
        "hops left: each router subtracts 1 and drops it at 0 (Linux starts at 64)",
    );
    s.field(
        at + 9,
        1,
        "Protocol",
        ip.protocol,
        format_args!(
            "{} (0x{:02x}) is inside",
            ip_proto_name(ip.protocol),
            ip.protocol
        ),
    );
    let sum_meaning = match b.get(..ihl.max(IPV4_MIN)) {
        Some(h) if ihl >= IPV4_MIN => {
            let mut acc: u32 = 0;
            for pair in h.chunks(2) {
                acc += u32::from(u16::from_be_bytes([
                    pair.first().copied().unwrap_or(0),
                    pair.get(1).copied().unwrap_or(0),
                ]));
            }
            while acc > 0xffff {
                acc = (acc & 0xffff) + (acc >> 16);
            }
            if acc == 0xffff {
                "correct: the header's 16-bit words add up to 0xffff"
            } else {
                "incorrect (or computed later by the network card)"
            }
        }
        _ => "not verified: header cut short",
    };
    s.field(
        at + 10,
        2,
        "Header checksum",
        format_args!("0x{:04x}", ip.checksum),
        sum_meaning,
    );
    let loopback = |a: Ipv4Addr| {
        if a.is_loopback() {
            "loopback: this host"
        } else {
            ""
        }
    };
    s.field(at + 12, 4, "Source address", ip.src, loopback(ip.src));
    s.field(at + 16, 4, "Destination address", ip.dst, loopback(ip.dst));
    s.summary(format_args!("Src: {}, Dst: {}", ip.src, ip.dst));
    ipv4_option_spans(b, at, ihl, s);
}

/// The spans of the options of an IPv4 header of `ihl` bytes (`b` from its start).
fn ipv4_option_spans<S: FieldSink>(b: &[u8], at: usize, ihl: usize, s: &mut S) {
    let mut o = IPV4_MIN;
    while o < ihl {
        let Some(&kind) = b.get(o) else {
            s.cut(at + o, ihl - o);
            break;
        };
        let (name, copied) = (ipv4_option_name(kind), kind & 0x80 != 0);
        if kind == 0 || kind == 1 {
            s.field(
                at + o,
                1,
                format_args!("Option: {name}"),
                kind,
                if kind == 0 {
                    "end of the option list"
                } else {
                    "padding"
                },
            );
            o += 1;
            if kind == 0 {
                break;
            }
            continue;
        }
        let Some(&len) = b.get(o + 1) else {
            s.cut(at + o, 2);
            break;
        };
        let len = usize::from(len);
        if len < 2 || o + len > ihl {
            s.field(
                at + o,
                ihl - o,
                format_args!("Option: {name}"),
                format_args!("length {len}"),
                "malformed: the length does not fit the header",
            );
            break;
        }
        let data = b.get(o + 2..o + len).unwrap_or_default();
        s.field(
            at + o,
            len,
            format_args!("Option: {name}"),
            format_args!("kind {kind}, length {len}"),
            format_args!(
                "copied into fragments: {}; data {}",
                if copied { "yes" } else { "no" },
                Hex(data, 16)
            ),
        );
        o += len;
    }
}

/// The name of an IPv4 option kind (IANA's ip-parameters registry).
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

/// Marks a fragment as held for reassembly: its data is the payload, and the
/// [`super::Decoder`] fills in [`Packet::fragment`].
fn hold_fragment<'a>(protocol: u8, data: Bytes<'a>, packet: &mut Packet<'a>) {
    packet.transport = Transport::Fragment { protocol };
    set_payload(packet, data.data, data.at);
    packet.fragment = Some(FragmentInfo::default());
}

/// Decodes the IP payload of a reassembled datagram: for IPv6, `protocol` is the
/// fragment header's next header, and extension headers of the fragmentable part
/// come first.
pub(crate) fn reassembled<'a, S: FieldSink>(
    protocol: u8,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    packet.transport = Transport::None;
    packet.payload = &[];
    packet.payload_at = None;
    let Net::Ipv6(ip) = &mut packet.net else {
        return transport::decode_transport(protocol, bytes, packet, s);
    };
    let walk = walk_extensions(protocol, bytes.data, false);
    if !walk.extensions.is_empty() {
        ip.extensions = ip
            .extensions
            .iter()
            .chain(&walk.extensions)
            .copied()
            .collect();
    }
    ip.protocol = walk.protocol;
    if let Some((needed, _)) = walk.short {
        return malformed(
            packet,
            "IPv6 extension",
            format!(
                "header of {needed} bytes exceeds the reassembled {} bytes",
                bytes.reported
            ),
        );
    }
    if let Some(rest) = bytes.skip(walk.len) {
        transport::decode_transport(walk.protocol, rest, packet, s);
    }
}

/// What the walk over IPv6 extension headers found.
struct ExtWalk {
    /// Next-header numbers of the extension headers, in order.
    extensions: Vec<u8>,
    fragment: Option<Ipv6Fragment>,
    /// The protocol after the last extension header.
    protocol: u8,
    /// Bytes taken by the extension headers.
    len: usize,
    /// Set when an extension header runs past the bytes: (needed, available).
    short: Option<(usize, usize)>,
}

/// Walks the IPv6 extension headers that share the generic layout (hop-by-hop,
/// routing, destination options, mobility, HIP, shim6, experimental) and the
/// fragment header. AH and ESP end the walk, as in Wireshark's protocol column.
/// After a non-first fragment header the rest is fragment data, not headers; with
/// `stop_at_fragment`, the walk stops after any fragment header of a real fragment
/// (what follows is the fragmentable part, held for reassembly).
fn walk_extensions(mut next: u8, data: &[u8], stop_at_fragment: bool) -> ExtWalk {
    let mut walk = ExtWalk {
        extensions: Vec::new(),
        fragment: None,
        protocol: next,
        len: 0,
        short: None,
    };
    for _ in 0..MAX_EXTENSIONS {
        let rest = data.get(walk.len..).unwrap_or(&[]);
        match next {
            0 | 43 | 60 | 135 | 139 | 140 | 253 | 254 => {
                match Ipv6RawExtHeaderSlice::from_slice(rest) {
                    Ok(h) => {
                        walk.extensions.push(next);
                        next = h.next_header().0;
                        walk.len = walk.len.saturating_add(h.slice().len());
                    }
                    Err(e) => {
                        walk.short = Some((walk.len.saturating_add(e.required_len), data.len()));
                        break;
                    }
                }
            }
            44 => match Ipv6FragmentHeaderSlice::from_slice(rest) {
                Ok(h) => {
                    walk.extensions.push(next);
                    next = h.next_header().0;
                    walk.len = walk.len.saturating_add(h.slice().len());
                    let offset = h.fragment_offset().value().saturating_mul(8);
                    walk.fragment = Some(Ipv6Fragment {
                        offset,
                        more_fragments: h.more_fragments(),
                        identification: h.identification(),
                    });
                    if offset > 0 || (stop_at_fragment && h.more_fragments()) {
                        break;
                    }
                }
                Err(e) => {
                    walk.short = Some((walk.len.saturating_add(e.required_len), data.len()));
                    break;
                }
            },
            _ => break,
        }
    }
    walk.protocol = next;
    walk
}

/// The spans of the extension headers `walk` found in `data` (the bytes after the
/// fixed IPv6 header, at frame offset `at`), first announced by `next`; a header
/// the walk stopped in is shown as far as it was captured.
fn extension_spans<S: FieldSink>(mut next: u8, data: &[u8], at: usize, walk: &ExtWalk, s: &mut S) {
    let mut off = 0usize;
    let count = walk.extensions.len() + usize::from(walk.short.is_some());
    for _ in 0..count {
        let o = at + off;
        let name = ip_proto_name(next);
        let (Some(&n2), Some(&l)) = (data.get(off), data.get(off + 1)) else {
            s.layer(name, o, 2);
            return s.cut(o, 2);
        };
        if next == 44 {
            s.layer(name, o, 8);
            let (Some(fo), Some(id)) = (be16(data, off + 2), be32(data, off + 4)) else {
                return s.cut(o, 8);
            };
            s.field(
                o,
                1,
                "Next header",
                n2,
                format_args!("{} follows", ip_proto_name(n2)),
            );
            s.bits(
                o + 2,
                2,
                Bits::new(u32::from(fo), 0xfff8, 16),
                "Fragment offset",
                format_args!("{} ({} bytes)", fo >> 3, (fo >> 3) * 8),
                "field × 8",
            );
            s.bits(
                o + 2,
                2,
                Bits::new(u32::from(fo), 0x0001, 16),
                "More fragments",
                set(fo & 1 != 0),
                "",
            );
            s.field(
                o + 4,
                4,
                "Identification",
                format_args!("0x{id:08x}"),
                "groups the fragments of one packet",
            );
            off += 8;
        } else {
            let len = (usize::from(l) + 1) * 8;
            s.layer(name, o, len);
            s.field(
                o,
                1,
                "Next header",
                n2,
                format_args!("{} follows", ip_proto_name(n2)),
            );
            s.field(
                o + 1,
                1,
                "Header extension length",
                l,
                format_args!("{len} bytes in all"),
            );
            if next == 43 {
                if let (Some(&rt), Some(&sl)) = (data.get(off + 2), data.get(off + 3)) {
                    s.field(o + 2, 1, "Routing type", rt, "");
                    s.field(
                        o + 3,
                        1,
                        "Segments left",
                        sl,
                        "route segments still to visit",
                    );
                }
            } else if matches!(next, 0 | 60) {
                ipv6_option_spans(data, off + 2, off + len, at, s);
            }
            if data.get(off..off + len).is_none() {
                return s.cut(o, len);
            }
            off += len;
        }
        next = n2;
    }
}

/// The spans of the options of a hop-by-hop or destination options header, from
/// `o` to `end` in `data` (at frame offset `at`).
fn ipv6_option_spans<S: FieldSink>(data: &[u8], mut o: usize, end: usize, at: usize, s: &mut S) {
    while o < end {
        let Some(&t) = data.get(o) else { return };
        if t == 0 {
            s.field(at + o, 1, "Option: Pad1", 0, "one byte of padding");
            o += 1;
            continue;
        }
        let Some(&l) = data.get(o + 1) else { return };
        let len = usize::from(l) + 2;
        let name = match t {
            1 => "PadN",
            5 => "Router Alert",
            0xc2 => "Jumbo Payload",
            0xc9 => "Home Address",
            _ => "unknown",
        };
        let value = data.get(o + 2..o + len).unwrap_or_default();
        s.field(
            at + o,
            len,
            format_args!("Option: {name}"),
            format_args!("type {t}, length {l}"),
            format_args!("data {}", Hex(value, 16)),
        );
        o += len;
    }
}

/// The spans of the fixed IPv6 header `h` at frame offset `at`.
fn ipv6_spans<S: FieldSink>(h: &Ipv6HeaderSlice<'_>, at: usize, s: &mut S) {
    let w0 = be32(h.slice(), 0).unwrap_or(0);
    s.bits(at, 1, Bits::new(w0 >> 24, 0xf0, 8), "Version", 6, "IPv6");
    let tc = h.traffic_class();
    s.bits(
        at,
        2,
        Bits::new(w0 >> 16, 0x0ff0, 16),
        "Traffic class",
        format_args!("0x{tc:02x}"),
        format_args!("DSCP {} and ECN {}", tc >> 2, tc & 3),
    );
    let flow = h.flow_label().value();
    s.bits(
        at + 1,
        3,
        Bits::new(flow, 0xfffff, 20),
        "Flow label",
        format_args!("0x{flow:05x}"),
        "marks packets of one flow (0: none)",
    );
    s.field(
        at + 4,
        2,
        "Payload length",
        format_args!("{} bytes", h.payload_length()),
        "extension headers + transport: everything after these 40 bytes",
    );
    let nh = h.next_header().0;
    s.field(
        at + 6,
        1,
        "Next header",
        nh,
        format_args!("{} (0x{nh:02x}) follows", ip_proto_name(nh)),
    );
    s.field(
        at + 7,
        1,
        "Hop limit",
        h.hop_limit(),
        "hops left (IPv6's TTL): each router subtracts 1",
    );
    let loopback = |a: Ipv6Addr| {
        if a.is_loopback() {
            "loopback ::1: this host"
        } else {
            ""
        }
    };
    let (src, dst) = (h.source_addr(), h.destination_addr());
    s.field(at + 8, 16, "Source address", src, loopback(src));
    s.field(at + 24, 16, "Destination address", dst, loopback(dst));
    s.summary(format_args!("Src: {src}, Dst: {dst}"));
}

/// The layer name of an IPv6 header.
fn ipv6_layer(quoted: bool) -> &'static str {
    if quoted {
        "Quoted IPv6 header (the packet that caused the error)"
    } else {
        "Internet Protocol Version 6"
    }
}

/// IPv6 (RFC 8200) and its extension headers. A payload length of 0 (jumbogram or
/// segmentation offload) means "up to the end of the frame".
pub(crate) fn ipv6<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "IPv6";
    let b = bytes.data;
    s.layer(ipv6_layer(false), bytes.at, IPV6_LEN);
    if let Some(version) = b.first().map(|x| x >> 4)
        && version != 6
    {
        s.field(bytes.at, 1, "Version", version, "not 6: malformed");
        return malformed(packet, LAYER, format!("version {version}, expected 6"));
    }
    let h = match Ipv6HeaderSlice::from_slice(b) {
        Ok(h) => h,
        Err(etherparse::err::ipv6::HeaderSliceError::Len(e)) => {
            s.cut(bytes.at, IPV6_LEN);
            return truncated(packet, LAYER, e.required_len, e.len);
        }
        Err(etherparse::err::ipv6::HeaderSliceError::Content(e)) => {
            return malformed(packet, LAYER, e.to_string());
        }
    };
    if S::ON {
        ipv6_spans(&h, bytes.at, s);
    }
    let Some(rest) = bytes.skip(IPV6_LEN) else {
        return;
    };
    let payload_len = h.payload_length();
    let declared = if payload_len == 0 {
        rest.reported
    } else {
        usize::from(payload_len)
    };
    s.set_datagram_end(rest.at.saturating_add(declared));
    let over = declared > rest.reported;
    let rest = rest.limit(declared);
    let mut walk = walk_extensions(h.next_header().0, rest.data, rest.defrag);
    // A fragment is held for reassembly when its data is all there; one cut
    // short is shown on its own (as Wireshark does).
    let held = match (walk.fragment, rest.skip(walk.len)) {
        (Some(f), Some(data)) if rest.defrag && (f.offset > 0 || f.more_fragments) => {
            (data.reported > 0 && data.data.len() == data.reported && walk.short.is_none())
                .then_some(data)
        }
        _ => None,
    };
    if rest.defrag && held.is_none() && walk.fragment.is_some_and(|f| f.offset == 0) {
        walk = walk_extensions(h.next_header().0, rest.data, false);
    }
    if S::ON {
        extension_spans(h.next_header().0, rest.data, rest.at, &walk, s);
    }
    packet.net = Net::Ipv6(Ipv6 {
        src: h.source_addr(),
        dst: h.destination_addr(),
        payload_len,
        hop_limit: h.hop_limit(),
        traffic_class: h.traffic_class(),
        flow_label: h.flow_label().value(),
        next_header: h.next_header().0,
        extensions: walk.extensions.into_boxed_slice(),
        fragment: walk.fragment,
        protocol: walk.protocol,
    });
    if over {
        malformed(
            packet,
            LAYER,
            format!(
                "payload length {declared} exceeds the {} bytes on the wire",
                rest.reported
            ),
        );
    }
    if let Some(data) = held {
        return hold_fragment(walk.protocol, data, packet);
    }
    if let Some((needed, available)) = walk.short {
        if rest.data.len() < rest.reported {
            truncated(packet, "IPv6 extension", needed, available);
        } else {
            malformed(
                packet,
                "IPv6 extension",
                format!("header of {needed} bytes exceeds the payload length {declared}"),
            );
        }
        return;
    }
    let Some(payload) = rest.skip(walk.len) else {
        return;
    };
    if walk.fragment.is_some_and(|f| f.offset > 0) {
        packet.transport = Transport::Fragment {
            protocol: walk.protocol,
        };
        set_payload(packet, payload.data, payload.at);
        if S::ON {
            let why = format!(
                "a later fragment of a {} packet",
                ip_proto_name(walk.protocol)
            );
            data_layer(payload.data, payload.at, payload.data.len(), &why, s);
        }
        return;
    }
    transport::decode_transport(walk.protocol, payload, packet, s);
}

/// The IP header (and, for TCP and UDP, the two ports) that an ICMP or ICMPv6 error
/// quotes. `None` when fewer bytes than the fixed IP header were quoted.
pub(crate) fn quoted(data: &[u8]) -> Option<Quoted> {
    let (src, dst, protocol, transport_at) = match data.first().map(|b| b >> 4) {
        Some(4) => {
            let (ip, header_len) = ipv4_fixed(data)?;
            let at = if ip.fragment_offset > 0 || header_len < IPV4_MIN {
                None
            } else {
                Some(header_len)
            };
            (IpAddr::V4(ip.src), IpAddr::V4(ip.dst), ip.protocol, at)
        }
        Some(6) => {
            let h = Ipv6HeaderSlice::from_slice(data).ok()?;
            let rest = data.get(IPV6_LEN..).unwrap_or(&[]);
            let walk = walk_extensions(h.next_header().0, rest, false);
            let later_fragment = walk.fragment.is_some_and(|f| f.offset > 0);
            let at = if walk.short.is_some() || later_fragment {
                None
            } else {
                IPV6_LEN.checked_add(walk.len)
            };
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                walk.protocol,
                at,
            )
        }
        _ => return None,
    };
    let ports = match (protocol, transport_at) {
        (6 | 17, Some(at)) => (
            be16(data, at),
            at.checked_add(2).and_then(|a| be16(data, a)),
        ),
        _ => (None, None),
    };
    Some(Quoted {
        src,
        dst,
        protocol,
        src_port: ports.0,
        dst_port: ports.1,
    })
}

/// The spans of the IP header an ICMP error quotes (`data`, at frame offset `at`),
/// with the start of the transport header it quotes.
pub(crate) fn quoted_spans<S: FieldSink>(data: &[u8], at: usize, s: &mut S) {
    match data.first().map(|b| b >> 4) {
        Some(4) => {
            let Some((ip, ihl)) = ipv4_fixed(data) else {
                s.layer(
                    "Quoted IPv4 header (the datagram that caused the error)",
                    at,
                    IPV4_MIN,
                );
                return s.cut(at, IPV4_MIN);
            };
            ipv4_spans(&ip, data, at, true, s);
            if ihl >= IPV4_MIN
                && ip.fragment_offset == 0
                && let Some(rest) = data.get(ihl..).filter(|r| !r.is_empty())
            {
                transport::quoted_transport_spans(ip.protocol, rest, at + ihl, s);
            }
        }
        Some(6) => {
            s.layer(ipv6_layer(true), at, IPV6_LEN);
            let Ok(h) = Ipv6HeaderSlice::from_slice(data) else {
                return s.cut(at, IPV6_LEN);
            };
            ipv6_spans(&h, at, s);
            let rest = data.get(IPV6_LEN..).unwrap_or(&[]);
            let walk = walk_extensions(h.next_header().0, rest, false);
            extension_spans(h.next_header().0, rest, at + IPV6_LEN, &walk, s);
            if walk.short.is_none()
                && walk.fragment.is_none_or(|f| f.offset == 0)
                && let Some(t) = rest.get(walk.len..).filter(|r| !r.is_empty())
            {
                transport::quoted_transport_spans(walk.protocol, t, at + IPV6_LEN + walk.len, s);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{IPV4_UDP, IPV6_UDP, frame_of};
    use super::super::*;

    #[test]
    fn test_ipv4_udp_fields() {
        let p = decode(&frame_of(228, &IPV4_UDP));
        let Net::Ipv4(ip) = &p.net else {
            panic!("not IPv4: {p:?}")
        };
        assert_eq!(ip.src, Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(ip.header_len, 20);
        assert_eq!(ip.total_len, 33);
        assert_eq!(ip.identification, 0x1234);
        assert!(ip.dont_fragment);
        assert_eq!(ip.ttl, 64);
        assert_eq!(ip.protocol, 17);
        assert!(!p.is_ip_fragment());
    }

    #[test]
    fn test_ipv4_options_header_len() {
        let f = [
            0x46, 0x00, 0x00, 0x25, // version 4, IHL 6 (24 bytes), total length 37
            0x00, 0x01, 0x00, 0x00, // id 1, no flags
            0x40, 0x11, 0x00, 0x00, // TTL 64, UDP, checksum
            10, 0, 0, 1, // source
            10, 0, 0, 2, // destination
            0x94, 0x04, 0x00, 0x00, // option: router alert (4 bytes)
            0x00, 0x07, 0x00, 0x09, 0x00, 0x0d, 0x00, 0x00, // UDP 7 → 9, length 13
            b'h', b'e', b'l', b'l', b'o', // payload
        ];
        let p = decode(&frame_of(228, &f));
        assert!(matches!(&p.net, Net::Ipv4(ip) if ip.header_len == 24));
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.payload, b"hello");
    }

    #[test]
    fn test_ipv4_bad_ihl_malformed() {
        let mut f = IPV4_UDP;
        f[0] = 0x44; // IHL 4: 16 bytes, less than the fixed header
        let p = decode(&frame_of(228, &f));
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "IPv4",
                kind: ProblemKind::Malformed(_)
            })
        ));
        assert_eq!(p.transport, Transport::None);
    }

    #[test]
    fn test_ipv4_total_len_below_header_malformed() {
        let mut f = IPV4_UDP;
        f[3] = 10; // total length 10 < 20
        let p = decode(&frame_of(228, &f));
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "IPv4",
                kind: ProblemKind::Malformed(_)
            })
        ));
        assert!(matches!(p.net, Net::Ipv4(_)));
    }

    #[test]
    fn test_ipv4_truncated_keeps_addresses() {
        let mut f = IPV4_UDP.to_vec();
        f[0] = 0x46; // IHL 6, but only 22 bytes captured
        f.truncate(22);
        let p = decode(&frame_of(228, &f));
        assert_eq!(p.src_ip(), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "IPv4",
                kind: ProblemKind::Truncated {
                    needed: 24,
                    available: 22
                }
            })
        );
    }

    #[test]
    fn test_ipv4_first_fragment_decodes_transport() {
        let mut f = IPV4_UDP;
        f[6] = 0x20; // MF set, offset 0
        let p = decode(&frame_of(228, &f));
        assert!(p.is_ip_fragment());
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_ipv4_later_fragment_is_data() {
        let mut f = IPV4_UDP;
        f[6] = 0x00;
        f[7] = 0xb9; // offset 185 × 8 = 1480 bytes, last fragment
        let p = decode(&frame_of(228, &f));
        assert!(p.is_ip_fragment());
        assert_eq!(p.transport, Transport::Fragment { protocol: 17 });
        assert_eq!(p.ports(), None);
        assert_eq!(p.payload.len(), 13);
        assert!(matches!(&p.net, Net::Ipv4(ip) if ip.fragment_offset == 1480));
    }

    /// IPv6 header with `next` as next header and `plen` as payload length, ::1 → ::1.
    fn ipv6_header(next: u8, plen: u16) -> Vec<u8> {
        let mut v = vec![0x60, 0x00, 0x00, 0x00]; // version 6, class 0, flow 0
        v.extend_from_slice(&plen.to_be_bytes()); // payload length
        v.extend_from_slice(&[next, 64]); // next header, hop limit
        v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets()); // source
        v.extend_from_slice(&Ipv6Addr::LOCALHOST.octets()); // destination
        v
    }

    #[test]
    fn test_ipv6_extension_headers_walked() {
        let mut f = ipv6_header(0, 8 + 8 + 13); // hop-by-hop first
        f.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop → dest opts, PadN
        f.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // dest opts → UDP, PadN
        f.extend_from_slice(&[0x00, 0x07, 0x00, 0x09, 0x00, 0x0d, 0x00, 0x00]); // UDP 7 → 9, len 13
        f.extend_from_slice(b"hello");
        let p = decode(&frame_of(229, &f));
        let Net::Ipv6(ip) = &p.net else {
            panic!("not IPv6")
        };
        assert_eq!(*ip.extensions, [0, 60]);
        assert_eq!(ip.next_header, 0);
        assert_eq!(ip.protocol, 17);
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.payload, b"hello");
    }

    #[test]
    fn test_ipv6_first_fragment_then_later_fragment() {
        let mut f = ipv6_header(44, 8 + 13);
        f.extend_from_slice(&[17, 0, 0x00, 0x01, 0, 0, 0x12, 0x34]); // → UDP, offset 0, MF, id 0x1234
        f.extend_from_slice(&[0x00, 0x07, 0x00, 0x09, 0x00, 0x0d, 0x00, 0x00]); // UDP header
        f.extend_from_slice(b"hello");
        let p = decode(&frame_of(229, &f));
        let Net::Ipv6(ip) = &p.net else {
            panic!("not IPv6")
        };
        assert_eq!(
            ip.fragment,
            Some(Ipv6Fragment {
                offset: 0,
                more_fragments: true,
                identification: 0x1234
            })
        );
        assert_eq!(p.ports(), Some((7, 9)));
        assert!(p.is_ip_fragment());

        let mut g = ipv6_header(44, 8 + 13);
        g.extend_from_slice(&[17, 0, 0x00, 0xb8, 0, 0, 0x12, 0x34]); // offset 23 × 8 = 184, last
        g.extend_from_slice(&[0u8; 13]);
        let q = decode(&frame_of(229, &g));
        assert_eq!(q.transport, Transport::Fragment { protocol: 17 });
        assert_eq!(q.payload.len(), 13);
    }

    #[test]
    fn test_ipv6_extension_truncated() {
        let mut f = ipv6_header(0, 16);
        f.extend_from_slice(&[17, 1, 0, 0]); // hop-by-hop claiming 16 bytes, 4 captured
        let mut frame = frame_of(229, &f);
        frame.orig_len = 56;
        let p = decode(&frame);
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "IPv6 extension",
                kind: ProblemKind::Truncated {
                    needed: 8,
                    available: 4
                }
            })
        );
    }

    #[test]
    fn test_ipv6_truncated_header() {
        let p = decode(&frame_of(229, &IPV6_UDP[..30]));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "IPv6",
                kind: ProblemKind::Truncated {
                    needed: 40,
                    available: 30
                }
            })
        );
    }

    #[test]
    fn test_ipv4_strict_source_route_final_destination() {
        let f = [
            0x47, 0x00, 0x00, 0x24, // version 4, IHL 7 (28 bytes), total length 36
            0x33, 0x4c, 0x00, 0x00, // id, no flags
            0x40, 0x01, 0x00, 0x00, // TTL 64, ICMP, checksum
            10, 0, 0, 6, // source
            10, 0, 0, 138,  // destination: the current hop
            0x01, // NOP
            0x89, 0x07, 0x04, // strict source route, length 7, pointer 4
            192, 0, 2, 1, // route: the final destination
            0x08, 0x00, 0x00, 0x00, 0x9a, 0xf6, 0x00, 0x02, // ICMP echo request
        ];
        let p = decode(&frame_of(228, &f));
        assert!(matches!(&p.net, Net::Ipv4(ip) if ip.dst == Ipv4Addr::new(10, 0, 0, 138)));
        assert_eq!(p.dst_ip(), Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))));
        assert!(p.icmp().is_some());
    }

    #[test]
    fn test_ipv4_source_route_bad_pointer_ignored() {
        assert_eq!(
            super::source_route_dst(&[0x83, 0x07, 0x05, 1, 2, 3, 4]),
            None
        );
        assert_eq!(super::source_route_dst(&[0x83, 0x03, 0x04]), None);
        assert_eq!(
            super::source_route_dst(&[0x01, 0x83, 0x07, 0x08, 1, 2, 3, 4]),
            Some(Ipv4Addr::new(1, 2, 3, 4))
        );
    }

    #[test]
    fn test_ipv6_under_ipv4_link_type_followed() {
        let p = decode(&frame_of(228, &IPV6_UDP));
        assert!(matches!(p.net, Net::Ipv6(_)));
        assert_eq!(p.ports(), Some((5353, 53)));
        // The IPv6 decoder is strict: IPv4 under link type 229 is malformed.
        let q = decode(&frame_of(229, &IPV4_UDP));
        assert!(matches!(
            q.problem.as_deref(),
            Some(Problem {
                layer: "IPv6",
                kind: ProblemKind::Malformed(_)
            })
        ));
    }

    #[test]
    fn test_quoted_ipv4_udp_ports() {
        let q = super::quoted(&IPV4_UDP).expect("quoted");
        assert_eq!(q.protocol, 17);
        assert_eq!((q.src_port, q.dst_port), (Some(32887), Some(23457)));
        assert!(super::quoted(&IPV4_UDP[..10]).is_none());
    }
}
