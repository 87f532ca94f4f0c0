//! Link layers by pcap link type (Ethernet with VLAN tags, Linux SLL and SLL2,
//! BSD NULL/LOOP, raw IP, PPP, Cisco HDLC, IEEE 802.11 with or without radiotap,
//! NFLOG), then the EtherType dispatch (IPv4, IPv6, ARP, PPPoE session, MPLS).
//! Records the span of each field as it reads it. Hands IP on to `ip`; must not
//! look above the network header.

use etherparse::ArpPacketSlice;

use super::names::{
    ethertype_name, linktype_name, ppp_control_code_name, ppp_control_column, ppp_protocol_name,
};
use super::spans::{Bits, FieldSink, Mac, data_layer};
use super::{
    Arp, Bytes, Link, LinkAddr, Net, Packet, ProblemKind, be16, be32, ip, malformed, set_problem,
    truncated,
};

/// EtherTypes that announce a VLAN tag: 802.1Q, 802.1ad (QinQ) and the old 0x9100/0x9200.
const VLAN_TYPES: [u16; 4] = [0x8100, 0x88a8, 0x9100, 0x9200];
const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_ARP: u16 = 0x0806;
const ETH_PPPOE_SESSION: u16 = 0x8864;
const ETH_MPLS_UNICAST: u16 = 0x8847;
const ETH_MPLS_MULTICAST: u16 = 0x8848;
/// Most VLAN tags or MPLS labels followed before giving up (each takes 4 bytes anyway).
pub const MAX_STACK: usize = 16;
/// Most NFLOG TLVs read before giving up (a real log entry has about a dozen).
pub const MAX_NFLOG_TLVS: usize = 64;

/// "set" or "not set", for a flag bit.
pub(crate) fn set(b: bool) -> &'static str {
    if b { "set" } else { "not set" }
}

/// Decodes the link header named by `linktype` and everything above it.
pub(crate) fn decode_link<'a, S: FieldSink>(
    linktype: u32,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    match linktype {
        1 => ethernet(bytes, packet, s),
        113 => linux_sll(bytes, packet, s),
        276 => linux_sll2(bytes, packet, s),
        0 | 108 => null_loop(linktype, bytes, packet, s),
        9 | 50 => ppp(bytes, packet, s),
        104 => cisco_hdlc(bytes, packet, s),
        105 => ieee80211(bytes, packet, false, s),
        127 => radiotap(bytes, packet, s),
        239 => nflog(bytes, packet, s),
        12 | 14 | 101 => {
            packet.link = Link::RawIp;
            ip::ip_any_version(bytes, packet, "Raw IP", s);
        }
        228 => {
            packet.link = Link::RawIp;
            ip::ipv4(bytes, packet, s);
        }
        229 => {
            packet.link = Link::RawIp;
            ip::ipv6(bytes, packet, s);
        }
        other => {
            packet.link = Link::Unsupported { linktype: other };
            set_problem(
                packet,
                "link",
                ProblemKind::Unsupported(linktype_name(other)),
            );
            if S::ON {
                let n = bytes.data.len();
                s.layer(format_args!("Link type {other}"), bytes.at, n);
                s.field(
                    bytes.at,
                    n,
                    "Data",
                    format_args!("{n} bytes"),
                    "a link type wirelab does not decode",
                );
            }
        }
    }
}

/// What a MAC address is, for the detail view.
fn mac_meaning(mac: &[u8]) -> &'static str {
    if mac.iter().all(|&x| x == 0xff) {
        "broadcast: every host on the link"
    } else if mac.iter().all(|&x| x == 0) {
        "all zeros: the loopback interface has no real MAC address"
    } else {
        "MAC address"
    }
}

/// Ethernet II (14 bytes: destination MAC, source MAC, EtherType), then VLAN tags.
/// Read by hand: a fixed layout, on every frame of most captures. After the
/// datagram, the detail view shows the padding or trailer.
pub(crate) fn ethernet<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LEN: usize = 14;
    let at = bytes.at;
    s.layer("Ethernet II", at, LEN);
    let Some(&header) = bytes.data.first_chunk::<LEN>() else {
        if S::ON {
            if let (Some(dst), Some(src)) = (bytes.data.get(..6), bytes.data.get(6..12)) {
                s.field(at, 6, "Destination", Mac(dst), mac_meaning(dst));
                s.field(at + 6, 6, "Source", Mac(src), mac_meaning(src));
                s.cut(at + 12, 2);
            } else {
                s.cut(at, LEN);
            }
        }
        return truncated(packet, "Ethernet", LEN, bytes.data.len());
    };
    let [d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, t0, t1] = header;
    let (dst, src) = ([d0, d1, d2, d3, d4, d5], [s0, s1, s2, s3, s4, s5]);
    let ethertype = u16::from_be_bytes([t0, t1]);
    if S::ON {
        s.summary(format_args!("Src: {}, Dst: {}", Mac(&src), Mac(&dst)));
        s.field(at, 6, "Destination", Mac(&dst), mac_meaning(&dst));
        s.field(at + 6, 6, "Source", Mac(&src), mac_meaning(&src));
    }
    let mut vlans = Vec::new();
    let next = bytes
        .skip(LEN)
        .and_then(|rest| peel_vlans(ethertype, rest, &mut vlans, true, packet, s));
    packet.link = Link::Ethernet {
        src,
        dst,
        vlans: vlans.into_boxed_slice(),
    };
    if let Some((ethertype, rest)) = next {
        s.layer_len(rest.at.saturating_sub(at));
        by_ethertype(ethertype, rest, packet, s);
        if S::ON
            && let Some(end) = s.datagram_end()
        {
            trailer(bytes, end, s);
        }
    }
}

/// The bytes of an Ethernet frame after its network datagram (which ends at frame
/// offset `end`): padding to the 60-byte minimum, or a trailer.
fn trailer<S: FieldSink>(frame: Bytes<'_>, end: usize, s: &mut S) {
    let from = end.saturating_sub(frame.at);
    let Some(b) = frame.data.get(from..).filter(|b| !b.is_empty()) else {
        return;
    };
    let extra = b.len();
    s.layer("Ethernet padding / trailer", end, extra);
    let why = if b.iter().all(|&x| x == 0) {
        "zero padding: Ethernet frames are at least 60 bytes (64 with the FCS)"
    } else {
        "bytes after the IP datagram, not part of it"
    };
    s.field(
        end,
        extra,
        "Padding",
        format_args!("{extra} bytes ({})", super::spans::Hex(b, 16)),
        why,
    );
}

/// Follows 802.1Q / 802.1ad tags (4 bytes each: priority, DEI, VLAN id, inner
/// EtherType), collecting the VLAN ids outer first. `ethertype` is the 2 bytes
/// just before `bytes`; with `type_field`, its span is recorded here too (Ethernet's
/// Type; a cooked header records its own Protocol field). Returns the EtherType
/// after the last tag and the bytes it announces, or `None` when a tag was cut short.
fn peel_vlans<'a, S: FieldSink>(
    mut ethertype: u16,
    mut bytes: Bytes<'a>,
    vlans: &mut Vec<u16>,
    type_field: bool,
    packet: &mut Packet<'a>,
    s: &mut S,
) -> Option<(u16, Bytes<'a>)> {
    let mut record_type = type_field;
    for _ in 0..MAX_STACK {
        if !VLAN_TYPES.contains(&ethertype) {
            break;
        }
        let at = bytes.at;
        if S::ON && record_type {
            s.field(
                at.saturating_sub(2),
                2,
                "Type",
                format_args!("0x{ethertype:04x}"),
                format_args!("{}: a VLAN tag follows", ethertype_name(ethertype)),
            );
        }
        record_type = true;
        // Priority (3 bits), DEI (1), VLAN id (12); then the inner EtherType.
        let (Some(tci), Some(inner)) = (be16(bytes.data, 0), be16(bytes.data, 2)) else {
            s.cut(at, 4);
            truncated(packet, "VLAN", 4, bytes.data.len());
            return None;
        };
        if S::ON {
            let v = u32::from(tci);
            s.bits(
                at,
                2,
                Bits::new(v, 0xe000, 16),
                "Priority (PCP)",
                tci >> 13,
                "802.1p priority class",
            );
            s.bits(
                at,
                2,
                Bits::new(v, 0x1000, 16),
                "Drop eligible (DEI)",
                (tci >> 12) & 1,
                "may be dropped under congestion when 1",
            );
            s.bits(
                at,
                2,
                Bits::new(v, 0x0fff, 16),
                "VLAN ID",
                tci & 0x0fff,
                "which virtual LAN the frame belongs to",
            );
        }
        vlans.push(tci & 0x0fff);
        ethertype = inner;
        bytes = bytes.skip(4)?;
    }
    if VLAN_TYPES.contains(&ethertype) {
        malformed(packet, "VLAN", format!("more than {MAX_STACK} tags"));
        return None;
    }
    if S::ON && record_type {
        s.field(
            bytes.at.saturating_sub(2),
            2,
            "Type",
            format_args!("0x{ethertype:04x}"),
            format_args!("EtherType: {} follows", ethertype_name(ethertype)),
        );
    }
    Some((ethertype, bytes))
}

/// What a Linux cooked header's packet type says.
fn packet_type_meaning(pt: u16) -> &'static str {
    match pt {
        0 => "unicast to us",
        1 => "broadcast",
        2 => "multicast",
        3 => "unicast to another host",
        4 => "sent by us",
        _ => "unknown",
    }
}

/// What a Linux ARPHRD link-layer address type says.
fn arphrd_meaning(hw: u16) -> &'static str {
    match hw {
        1 => "Ethernet",
        772 => "loopback",
        776 => "IPv6-in-IPv4 tunnel",
        65534 => "none (e.g. a tun device)",
        _ => "other",
    }
}

/// Linux cooked capture v1, 16 bytes: packet type, ARPHRD type, address length,
/// 8 address bytes, protocol (EtherType), all big-endian. Read by hand because
/// etherparse's `LinuxSllHeaderSlice` refuses ARPHRD types it does not know.
fn linux_sll<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LEN: usize = 16;
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Linux cooked capture v1 (SLL)", at, LEN);
    let (Some(packet_type), Some(hw), Some(addr_len), Some(protocol), Some(addr)) = (
        be16(b, 0),
        be16(b, 2),
        be16(b, 4),
        be16(b, 14),
        b.get(6..14),
    ) else {
        s.cut(at, LEN);
        return truncated(packet, "Linux SLL", LEN, b.len());
    };
    let addr = LinkAddr::new(addr.get(..usize::from(addr_len).min(8)).unwrap_or(addr));
    if S::ON {
        s.field(
            at,
            2,
            "Packet type",
            packet_type,
            packet_type_meaning(packet_type),
        );
        s.field(at + 2, 2, "Link-layer address type", hw, arphrd_meaning(hw));
        s.field(
            at + 4,
            2,
            "Link-layer address length",
            addr_len,
            "bytes of the address used (of 8)",
        );
        s.field(
            at + 6,
            8,
            "Source address",
            Mac(&addr),
            "the sender's link-layer address",
        );
        s.field(
            at + 14,
            2,
            "Protocol",
            format_args!("0x{protocol:04x}"),
            format_args!("EtherType: {} follows", ethertype_name(protocol)),
        );
        s.summary("captured on Linux's \"any\" pseudo-interface");
    }
    packet.link = Link::LinuxSll {
        packet_type,
        protocol,
        addr,
    };
    cooked_payload(protocol, bytes, LEN, packet, s);
}

/// Linux cooked capture v2, 20 bytes: protocol (EtherType) u16, reserved u16,
/// interface index u32, ARPHRD type u16, packet type u8, address length u8,
/// 8 address bytes, all big-endian. etherparse has no SLL2.
fn linux_sll2<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LEN: usize = 20;
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Linux cooked capture v2 (SLL2)", at, LEN);
    let (
        Some(protocol),
        Some(reserved),
        Some(ifindex),
        Some(hw),
        Some(&packet_type),
        Some(&addr_len),
        Some(addr),
    ) = (
        be16(b, 0),
        be16(b, 2),
        be32(b, 4),
        be16(b, 8),
        b.get(10),
        b.get(11),
        b.get(12..20),
    )
    else {
        s.cut(at, LEN);
        return truncated(packet, "Linux SLL2", LEN, b.len());
    };
    let addr = LinkAddr::new(addr.get(..usize::from(addr_len).min(8)).unwrap_or(addr));
    if S::ON {
        s.field(
            at,
            2,
            "Protocol",
            format_args!("0x{protocol:04x}"),
            format_args!("EtherType: {} follows", ethertype_name(protocol)),
        );
        s.field(at + 2, 2, "Reserved", reserved, "always 0");
        s.field(
            at + 4,
            4,
            "Interface index",
            ifindex,
            "which interface the frame was seen on (ip link shows the numbers)",
        );
        s.field(at + 8, 2, "Link-layer address type", hw, arphrd_meaning(hw));
        s.field(
            at + 10,
            1,
            "Packet type",
            packet_type,
            packet_type_meaning(u16::from(packet_type)),
        );
        s.field(
            at + 11,
            1,
            "Link-layer address length",
            addr_len,
            "bytes of the address used (of 8)",
        );
        s.field(
            at + 12,
            8,
            "Source address",
            Mac(&addr),
            "the sender's link-layer address",
        );
        s.summary(format_args!(
            "interface {ifindex}, captured on Linux's \"any\" pseudo-interface"
        ));
    }
    packet.link = Link::LinuxSll2 {
        packet_type,
        protocol,
        ifindex,
        addr,
    };
    cooked_payload(protocol, bytes, LEN, packet, s);
}

/// What follows a Linux cooked header: its protocol field is an EtherType (VLAN
/// tags are normally stripped by the kernel, but are followed when present).
fn cooked_payload<'a, S: FieldSink>(
    protocol: u16,
    bytes: Bytes<'a>,
    header_len: usize,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    let Some(rest) = bytes.skip(header_len) else {
        return;
    };
    let mut vlans = Vec::new();
    if let Some((ethertype, rest)) = peel_vlans(protocol, rest, &mut vlans, false, packet, s) {
        by_ethertype(ethertype, rest, packet, s);
    }
}

/// BSD loopback: a 4-byte address family, in the capturing host's byte order for
/// LINKTYPE_NULL and network order for LINKTYPE_LOOP; both byte orders are
/// accepted for both. 2 is IPv4; 24, 28 and 30 are IPv6 (NetBSD/OpenBSD, FreeBSD,
/// macOS), and 10 / 23 (Linux / Windows AF_INET6) are accepted too. When neither
/// byte order gives a known family but half of the field holds the IPv4 or IPv6
/// EtherType (some writers do that), the EtherType is followed.
fn null_loop<'a, S: FieldSink>(
    linktype: u32,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    const LEN: usize = 4;
    let at = bytes.at;
    s.layer(
        if linktype == 0 {
            "BSD loopback (NULL)"
        } else {
            "OpenBSD loopback (LOOP)"
        },
        at,
        LEN,
    );
    let Some(raw) = bytes
        .data
        .get(..LEN)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
    else {
        s.cut(at, LEN);
        return truncated(packet, "Null/Loopback", LEN, bytes.data.len());
    };
    let known = |f: u32| matches!(f, 2 | 10 | 23 | 24 | 28 | 30);
    let (le, be) = (u32::from_le_bytes(raw), u32::from_be_bytes(raw));
    let family = if known(le) {
        le
    } else if known(be) {
        be
    } else if le <= 0xffff {
        le
    } else {
        be
    };
    packet.link = Link::Null { family };
    // Some writers put an EtherType in one half of the field instead of a family.
    let [b0, b1, b2, b3] = raw;
    let ethertype = [u16::from_be_bytes([b2, b3]), u16::from_be_bytes([b0, b1])]
        .into_iter()
        .find(|t| matches!(*t, ETH_IPV4 | ETH_IPV6));
    if S::ON {
        let what = match (family, ethertype) {
            (2, _) => "AF_INET: IPv4 follows",
            (10 | 23 | 24 | 28 | 30, _) => "AF_INET6 (the number differs per OS): IPv6 follows",
            (_, Some(ETH_IPV4)) => "an EtherType (IPv4) where a family was expected",
            (_, Some(_)) => "an EtherType (IPv6) where a family was expected",
            (_, None) => "unknown address family",
        };
        s.field(
            at,
            LEN,
            "Family",
            family,
            format_args!("{what}; in the capturing host's byte order"),
        );
    }
    let Some(rest) = bytes.skip(LEN) else { return };
    match (family, ethertype) {
        (2, _) => ip::ipv4(rest, packet, s),
        (10 | 23 | 24 | 28 | 30, _) => ip::ipv6(rest, packet, s),
        (_, Some(ethertype)) => by_ethertype(ethertype, rest, packet, s),
        (other, None) => {
            data_layer(rest.data, rest.at, rest.data.len(), "not decoded", s);
            set_problem(
                packet,
                "Null/Loopback",
                ProblemKind::Unsupported(format!("address family {other}")),
            );
        }
    }
}

/// Decodes what an EtherType announces.
pub(crate) fn by_ethertype<'a, S: FieldSink>(
    ethertype: u16,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    match ethertype {
        ETH_IPV4 => ip::ipv4(bytes, packet, s),
        ETH_IPV6 => ip::ipv6(bytes, packet, s),
        ETH_ARP => arp(bytes, packet, s),
        ETH_PPPOE_SESSION => pppoe_session(bytes, packet, s),
        ETH_MPLS_UNICAST | ETH_MPLS_MULTICAST => mpls(ethertype, bytes, packet, s),
        other => {
            packet.net = Net::Other { ethertype: other };
            if S::ON {
                let why = format!(
                    "EtherType 0x{other:04x} ({}) not decoded",
                    ethertype_name(other)
                );
                data_layer(bytes.data, bytes.at, bytes.data.len(), &why, s);
            }
        }
    }
}

/// ARP (RFC 826): hardware type, protocol type, address lengths, operation, then
/// sender and target addresses of the announced lengths.
fn arp<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    if S::ON {
        arp_fields(bytes, s);
    }
    match ArpPacketSlice::from_slice(bytes.data) {
        Ok(a) => {
            packet.net = Net::Arp(Box::new(Arp {
                operation: a.operation().0,
                hw_type: a.hw_addr_type().0,
                proto_type: a.proto_addr_type().0,
                sender_hw: a.sender_hw_addr().to_vec(),
                sender_proto: a.sender_protocol_addr().to_vec(),
                target_hw: a.target_hw_addr().to_vec(),
                target_proto: a.target_protocol_addr().to_vec(),
            }));
        }
        Err(e) => truncated(packet, "ARP", e.required_len, e.len),
    }
}

/// The spans of an ARP packet's fields (etherparse reads the values).
fn arp_fields<S: FieldSink>(bytes: Bytes<'_>, s: &mut S) {
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Address Resolution Protocol", at, 28);
    let (Some(hw), Some(pt), Some(&hs), Some(&ps), Some(op)) =
        (be16(b, 0), be16(b, 2), b.get(4), b.get(5), be16(b, 6))
    else {
        return s.cut(at, 8);
    };
    s.field(
        at,
        2,
        "Hardware type",
        hw,
        if hw == 1 { "Ethernet" } else { "other" },
    );
    s.field(
        at + 2,
        2,
        "Protocol type",
        format_args!("0x{pt:04x}"),
        ethertype_name(pt),
    );
    s.field(
        at + 4,
        1,
        "Hardware size",
        hs,
        "bytes in a hardware (MAC) address",
    );
    s.field(
        at + 5,
        1,
        "Protocol size",
        ps,
        "bytes in a protocol (IP) address",
    );
    let opname = match op {
        1 => "request: who has the target IP? tell the sender",
        2 => "reply: the sender IP is at the sender MAC",
        _ => "other",
    };
    s.field(at + 6, 2, "Opcode", op, opname);
    let (hs, ps) = (usize::from(hs), usize::from(ps));
    let mut off = 8usize;
    for (name, size, is_hw) in [
        ("Sender MAC address", hs, true),
        ("Sender IP address", ps, false),
        ("Target MAC address", hs, true),
        ("Target IP address", ps, false),
    ] {
        let Some(v) = b.get(off..off + size) else {
            return s.cut(at + off, size);
        };
        let m = if is_hw && name.starts_with("Target") && op == 1 {
            "unknown yet: this is what the request asks"
        } else {
            ""
        };
        match <[u8; 4]>::try_from(v) {
            Ok(a) if !is_hw => s.field(at + off, size, name, std::net::Ipv4Addr::from(a), m),
            _ => s.field(at + off, size, name, Mac(v), m),
        }
        off += size;
    }
    s.summary(opname);
    s.set_datagram_end(at + off);
}

/// The PPP protocol field at the start of `b` (after any address and control
/// bytes): 2 bytes, or 1 when compressed (an odd first byte). `None` when cut short,
/// with the bytes it needed.
fn ppp_protocol_field(b: &[u8]) -> Result<(u16, usize), usize> {
    match b.first() {
        None => Err(1),
        Some(&first) if first & 1 == 1 => Ok((u16::from(first), 1)),
        Some(_) => be16(b, 0).map(|p| (p, 2)).ok_or(2),
    }
}

/// PPP (RFC 1661) as pcap stores it: the HDLC address and control bytes
/// (0xff 0x03) when present, then the protocol field, 2 bytes, or 1 when
/// compressed (an odd first byte). IPv4, IPv6 and MPLS are followed; other
/// protocols (LCP, IPCP, ...) are named and not decoded.
pub(crate) fn ppp<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "PPP";
    let (b, at) = (bytes.data, bytes.at);
    let start = if b.get(..2) == Some(&[0xff, 0x03][..]) {
        2
    } else {
        0
    };
    s.layer("Point-to-Point Protocol", at, start + 2);
    if S::ON && start == 2 {
        s.field(at, 1, "Address", "0xff", "all stations (HDLC-like framing)");
        s.field(at + 1, 1, "Control", "0x03", "unnumbered information");
    }
    let (protocol, len) = match ppp_protocol_field(b.get(start..).unwrap_or(&[])) {
        Ok(p) => p,
        Err(needed) => {
            s.cut(at + start, needed);
            return truncated(packet, LAYER, start + needed, b.len());
        }
    };
    s.layer_len(start + len);
    if S::ON {
        s.field(
            at + start,
            len,
            "Protocol",
            format_args!("0x{protocol:04x}"),
            format_args!("{} follows", ppp_protocol_name(protocol)),
        );
        s.summary(ppp_protocol_name(protocol));
    }
    packet.link = Link::Ppp { protocol };
    let Some(rest) = bytes.skip(start + len) else {
        return;
    };
    ppp_protocol(protocol, rest, packet, s);
}

/// What a PPP protocol field announces (shared by PPP, PPPoE and tunnels).
fn ppp_protocol<'a, S: FieldSink>(
    protocol: u16,
    rest: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    match protocol {
        0x0021 => ip::ipv4(rest, packet, s),
        0x0057 => ip::ipv6(rest, packet, s),
        0x0281 => mpls(ETH_MPLS_UNICAST, rest, packet, s),
        0x0283 => mpls(ETH_MPLS_MULTICAST, rest, packet, s),
        other if ppp_control_column(other).is_some() => ppp_control(other, rest, packet, s),
        other => {
            if S::ON {
                let why = format!(
                    "PPP protocol 0x{other:04x} ({}) not decoded",
                    ppp_protocol_name(other)
                );
                data_layer(rest.data, rest.at, rest.data.len(), &why, s);
            }
            set_problem(
                packet,
                "PPP",
                ProblemKind::Unsupported(format!("PPP protocol 0x{other:04x}")),
            )
        }
    }
}

/// A PPP control protocol packet (RFC 1661 §5 and the protocols built on it):
/// code, identifier, length, then data (options) not decoded.
fn ppp_control<'a, S: FieldSink>(
    protocol: u16,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    let (b, at) = (bytes.data, bytes.at);
    s.layer(format_args!("PPP {}", ppp_protocol_name(protocol)), at, 4);
    let (Some(&code), Some(&id), Some(len)) = (b.first(), b.get(1), be16(b, 2)) else {
        s.cut(at, 4);
        return truncated(packet, "PPP", 4, b.len());
    };
    packet.net = Net::PppControl { protocol, code };
    if S::ON {
        let name = ppp_control_code_name(protocol, code).unwrap_or("unknown");
        s.summary(name);
        s.field(at, 1, "Code", code, name);
        s.field(
            at + 1,
            1,
            "Identifier",
            id,
            "pairs a reply with its request",
        );
        s.field(
            at + 2,
            2,
            "Length",
            format_args!("{len} bytes"),
            "code, identifier, length and data",
        );
        let n = usize::from(len).saturating_sub(4);
        if let Some(rest) = bytes.skip(4).filter(|_| n > 0) {
            let rest = rest.limit(n);
            s.field(
                rest.at,
                rest.data.len(),
                "Data",
                format_args!("{n} bytes"),
                "options, not decoded",
            );
        }
    }
}

/// PPPoE session stage (RFC 2516): version/type, code, session id, length (6 bytes),
/// then PPP's protocol field: 0x0021 IPv4, 0x0057 IPv6 (a 1-byte compressed
/// protocol field is accepted). Other PPP protocols (LCP, IPCP, ...) are not decoded.
fn pppoe_session<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LEN: usize = 6;
    packet.net = Net::Other {
        ethertype: ETH_PPPOE_SESSION,
    };
    let (b, at) = (bytes.data, bytes.at);
    s.layer("PPP-over-Ethernet Session", at, LEN);
    let (Some(&vt), Some(&code), Some(session), Some(len)) =
        (b.first(), b.get(1), be16(b, 2), be16(b, 4))
    else {
        s.cut(at, LEN);
        return truncated(packet, "PPPoE", LEN + 1, b.len());
    };
    if S::ON {
        let v = u32::from(vt);
        s.bits(at, 1, Bits::new(v, 0xf0, 8), "Version", vt >> 4, "always 1");
        s.bits(at, 1, Bits::new(v, 0x0f, 8), "Type", vt & 0x0f, "always 1");
        s.field(
            at + 1,
            1,
            "Code",
            format_args!("0x{code:02x}"),
            if code == 0 {
                "session data"
            } else {
                "not session data"
            },
        );
        s.field(
            at + 2,
            2,
            "Session ID",
            format_args!("0x{session:04x}"),
            "which PPP session of the access concentrator",
        );
        s.field(
            at + 4,
            2,
            "Payload length",
            format_args!("{len} bytes"),
            "the PPP frame that follows (protocol field included)",
        );
        s.summary(format_args!("Session ID: 0x{session:04x}"));
    }
    let Some(rest) = bytes.skip(LEN) else {
        return;
    };
    s.layer("Point-to-Point Protocol", rest.at, 2);
    let (protocol, ppp_len) = match ppp_protocol_field(rest.data) {
        Ok(p) => p,
        Err(needed) => {
            s.cut(rest.at, needed);
            return truncated(
                packet,
                if needed == 1 { "PPPoE" } else { "PPP" },
                LEN + needed,
                b.len(),
            );
        }
    };
    s.layer_len(ppp_len);
    if S::ON {
        s.field(
            rest.at,
            ppp_len,
            "Protocol",
            format_args!("0x{protocol:04x}"),
            format_args!("{} follows", ppp_protocol_name(protocol)),
        );
        s.summary(ppp_protocol_name(protocol));
    }
    let Some(inner) = rest.skip(ppp_len) else {
        return;
    };
    // The PPPoE length counts the PPP protocol field and what follows.
    let inner = if usize::from(len) >= ppp_len {
        inner.limit(usize::from(len) - ppp_len)
    } else {
        inner
    };
    if matches!(protocol, 0x0021 | 0x0057 | 0x0281 | 0x0283)
        || ppp_control_column(protocol).is_some()
    {
        packet.net = Net::None;
    }
    ppp_protocol(protocol, inner, packet, s);
}

/// MPLS label stack (RFC 3032): 4-byte entries until the bottom-of-stack bit; the
/// payload is IP when its first nibble says 4 or 6 (as Wireshark guesses it).
fn mpls<'a, S: FieldSink>(
    ethertype: u16,
    mut bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    packet.net = Net::Other { ethertype };
    for _ in 0..MAX_STACK {
        s.layer("MultiProtocol Label Switching Header", bytes.at, 4);
        let Some(entry) = be32(bytes.data, 0) else {
            s.cut(bytes.at, 4);
            return truncated(packet, "MPLS", 4, bytes.data.len());
        };
        let bottom = entry & 0x100 != 0;
        if S::ON {
            let at = bytes.at;
            let (label, tc, ttl) = (entry >> 12, (entry >> 9) & 7, entry & 0xff);
            s.summary(format_args!(
                "Label: {label}, Exp: {tc}, S: {}, TTL: {ttl}",
                u8::from(bottom)
            ));
            s.bits(
                at,
                4,
                Bits::new(entry, 0xffff_f000, 32),
                "Label",
                label,
                "the forwarding label (16 and up: assigned by the network)",
            );
            s.bits(
                at,
                4,
                Bits::new(entry, 0x0e00, 32),
                "Traffic class",
                tc,
                "priority (was EXP)",
            );
            s.bits(
                at,
                4,
                Bits::new(entry, 0x0100, 32),
                "Bottom of stack",
                u8::from(bottom),
                if bottom {
                    "the last label: the packet follows"
                } else {
                    "another label follows"
                },
            );
            s.bits(
                at,
                4,
                Bits::new(entry, 0xff, 32),
                "Time to live",
                ttl,
                "hops left",
            );
        }
        let Some(rest) = bytes.skip(4) else { return };
        bytes = rest;
        if bottom {
            match bytes.data.first().map(|b| b >> 4) {
                Some(4) => {
                    packet.net = Net::None;
                    ip::ipv4(bytes, packet, s);
                }
                Some(6) => {
                    packet.net = Net::None;
                    ip::ipv6(bytes, packet, s);
                }
                _ => data_layer(
                    bytes.data,
                    bytes.at,
                    bytes.data.len(),
                    "MPLS payload, not IP: not decoded",
                    s,
                ),
            }
            return;
        }
    }
    malformed(packet, "MPLS", format!("more than {MAX_STACK} labels"));
}

/// Cisco HDLC (LINKTYPE_C_HDLC): address (0x0f unicast, 0x8f broadcast), control
/// (0), then an EtherType (0x0800 IPv4, 0x86dd IPv6, 0x8035 SLARP keepalives).
fn cisco_hdlc<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LEN: usize = 4;
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Cisco HDLC", at, LEN);
    let (Some(&address), Some(&control), Some(protocol)) = (b.first(), b.get(1), be16(b, 2)) else {
        s.cut(at, LEN);
        return truncated(packet, "Cisco HDLC", LEN, b.len());
    };
    if S::ON {
        s.field(
            at,
            1,
            "Address",
            format_args!("0x{address:02x}"),
            match address {
                0x0f => "unicast",
                0x8f => "broadcast",
                _ => "unknown",
            },
        );
        s.field(
            at + 1,
            1,
            "Control",
            format_args!("0x{control:02x}"),
            "always 0",
        );
        s.field(
            at + 2,
            2,
            "Protocol",
            format_args!("0x{protocol:04x}"),
            format_args!("EtherType: {} follows", ethertype_name(protocol)),
        );
        s.summary(match address {
            0x8f => "broadcast",
            _ => "unicast",
        });
    }
    packet.link = Link::CiscoHdlc { address, protocol };
    if let Some(rest) = bytes.skip(LEN) {
        by_ethertype(protocol, rest, packet, s);
    }
}

/// Radiotap (LINKTYPE_IEEE802_11_RADIOTAP): version, pad, length (little-endian),
/// presence bitmaps, then the fields they announce; an 802.11 frame follows the
/// header. Only the Flags field is read (it says whether the frame ends with its
/// 4-byte FCS, and whether the 802.11 header is padded to 32 bits).
fn radiotap<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "Radiotap";
    let (b, at) = (bytes.data, bytes.at);
    let (Some(&version), Some(len), Some(present)) = (
        b.first(),
        b.get(2..4).and_then(|x| <[u8; 2]>::try_from(x).ok()),
        b.get(4..8).and_then(|x| <[u8; 4]>::try_from(x).ok()),
    ) else {
        s.layer("Radiotap Header", at, 8);
        s.cut(at, 8);
        return truncated(packet, LAYER, 8, b.len());
    };
    let len = usize::from(u16::from_le_bytes(len));
    let present = u32::from_le_bytes(present);
    s.layer("Radiotap Header", at, len);
    if S::ON {
        s.summary(format_args!("Length {len}"));
        s.field(at, 1, "Header revision", version, "always 0");
        s.field(at + 1, 1, "Header pad", b.get(1).copied().unwrap_or(0), "");
        s.field(
            at + 2,
            2,
            "Header length",
            format_args!("{len} bytes"),
            "the radio information before the 802.11 frame",
        );
        s.field(
            at + 4,
            4,
            "Present flags",
            format_args!("0x{present:08x}"),
            "which radio fields follow",
        );
    }
    if version != 0 || len < 8 {
        return malformed(
            packet,
            LAYER,
            format!("version {version}, length {len} (expected version 0, length >= 8)"),
        );
    }
    // The fields start after the last presence bitmap (bit 31: another follows).
    let mut fields_at = 8usize;
    let mut word = present;
    for _ in 0..8 {
        if word & 0x8000_0000 == 0 {
            break;
        }
        match b
            .get(fields_at..fields_at + 4)
            .and_then(|x| <[u8; 4]>::try_from(x).ok())
        {
            Some(w) => word = u32::from_le_bytes(w),
            None => break,
        }
        fields_at += 4;
    }
    // TSFT (bit 0) is 8 bytes aligned to 8; Flags (bit 1) is one byte after it.
    let mut flags = 0u8;
    if present & 0x2 != 0 {
        let mut off = fields_at;
        if present & 0x1 != 0 {
            off = off.div_ceil(8) * 8 + 8;
        }
        if off < len
            && let Some(&f) = b.get(off)
        {
            flags = f;
            s.field(
                at + off,
                1,
                "Flags",
                format_args!("0x{f:02x}"),
                if f & 0x10 != 0 {
                    "the frame ends with its 4-byte FCS"
                } else {
                    "no FCS at the end"
                },
            );
        }
    }
    let Some(rest) = bytes.skip(len) else {
        return truncated(packet, LAYER, len, b.len());
    };
    // The FCS is not part of the 802.11 frame's data.
    let rest = if flags & 0x10 != 0 {
        rest.limit(rest.reported.saturating_sub(4))
    } else {
        rest
    };
    ieee80211(rest, packet, flags & 0x20 != 0, s);
    if let Link::Ieee80211 { radiotap, .. } = &mut packet.link {
        *radiotap = true;
    } else if matches!(packet.link, Link::None) {
        packet.link = Link::Ieee80211 {
            frame_control: 0,
            radiotap: true,
        };
    }
}

/// IEEE 802.11 (LINKTYPE_IEEE802_11): frame control, duration, addresses, sequence
/// control, QoS control (QoS data), HT control (when the order bit is set on a QoS
/// frame), then for a data frame the LLC/SNAP header and its EtherType. Management
/// and control frames are named, not decoded; protected (encrypted) data is data.
/// `padded`: the header is padded to a multiple of 4 bytes (radiotap's flag).
fn ieee80211<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, padded: bool, s: &mut S) {
    const LAYER: &str = "802.11";
    let (b, at) = (bytes.data, bytes.at);
    s.layer("IEEE 802.11", at, 24);
    let (Some(&fc0), Some(&fc1)) = (b.first(), b.get(1)) else {
        s.cut(at, 2);
        return truncated(packet, LAYER, 2, b.len());
    };
    packet.link = Link::Ieee80211 {
        frame_control: u16::from_be_bytes([fc0, fc1]),
        radiotap: false,
    };
    let (frame_type, subtype) = ((fc0 >> 2) & 3, fc0 >> 4);
    let (to_ds, from_ds, protected, order) =
        (fc1 & 1 != 0, fc1 & 2 != 0, fc1 & 0x40 != 0, fc1 & 0x80 != 0);
    let name = ieee80211_frame_name(frame_type, subtype);
    if S::ON {
        s.summary(name);
        let v = u32::from(fc0);
        s.bits(at, 1, Bits::new(v, 0xf0, 8), "Subtype", subtype, name);
        s.bits(
            at,
            1,
            Bits::new(v, 0x0c, 8),
            "Type",
            frame_type,
            match frame_type {
                0 => "management",
                1 => "control",
                2 => "data",
                _ => "extension",
            },
        );
        s.bits(at, 1, Bits::new(v, 0x03, 8), "Version", fc0 & 3, "always 0");
        s.field(
            at + 1,
            1,
            "Flags",
            format_args!("0x{fc1:02x}"),
            match (to_ds, from_ds) {
                (false, false) => "not to or from a distribution system",
                (true, false) => "to the access point (To DS)",
                (false, true) => "from the access point (From DS)",
                (true, true) => "between access points (To DS and From DS)",
            },
        );
        s.open();
        for (bit, flag) in [
            (0x01, "To DS"),
            (0x02, "From DS"),
            (0x04, "More fragments"),
            (0x08, "Retry"),
            (0x10, "Power management"),
            (0x20, "More data"),
            (0x40, "Protected"),
            (0x80, "Order (+HTC)"),
        ] {
            s.bits(
                at + 1,
                1,
                Bits::new(u32::from(fc1), bit, 8),
                flag,
                set(fc1 & (bit as u8) != 0),
                "",
            );
        }
        s.close();
    }
    if frame_type != 2 {
        // Management and control frames: the addresses depend on the subtype.
        let n = b.len().saturating_sub(2);
        s.layer_len(b.len());
        s.field(
            at + 2,
            n,
            "Body",
            format_args!("{n} bytes"),
            "a management or control frame: not decoded",
        );
        return set_problem(
            packet,
            LAYER,
            ProblemKind::Unsupported(format!("802.11 {name}")),
        );
    }
    // Data: duration, address 1..3, sequence control, address 4 (To DS and From
    // DS), QoS control (QoS subtypes), HT control (order bit on a QoS frame).
    let qos = subtype & 0x8 != 0;
    let mut hdr = 24usize;
    if to_ds && from_ds {
        hdr += 6;
    }
    let qos_at = hdr;
    if qos {
        hdr += 2;
        if order {
            hdr += 4;
        }
    }
    let Some(fixed) = b.get(..24) else {
        s.cut(at, hdr);
        return truncated(packet, LAYER, hdr, b.len());
    };
    if S::ON {
        let duration = be16(fixed, 2).map(u16::swap_bytes).unwrap_or(0);
        s.field(
            at + 2,
            2,
            "Duration",
            format_args!("{duration} µs"),
            "how long the medium stays reserved",
        );
        let (a1, a2, a3) = (
            fixed.get(4..10).unwrap_or(&[]),
            fixed.get(10..16).unwrap_or(&[]),
            fixed.get(16..22).unwrap_or(&[]),
        );
        let (n1, n2, n3) = match (to_ds, from_ds) {
            (false, false) => ("Receiver / destination", "Transmitter / source", "BSS Id"),
            (true, false) => ("Receiver / BSS Id", "Transmitter / source", "Destination"),
            (false, true) => ("Receiver / destination", "Transmitter / BSS Id", "Source"),
            (true, true) => ("Receiver", "Transmitter", "Destination"),
        };
        s.field(at + 4, 6, n1, Mac(a1), mac_meaning(a1));
        s.field(at + 10, 6, n2, Mac(a2), mac_meaning(a2));
        s.field(at + 16, 6, n3, Mac(a3), mac_meaning(a3));
        let sc = be16(fixed, 22).map(u16::swap_bytes).unwrap_or(0);
        s.field(
            at + 22,
            2,
            "Sequence control",
            format_args!("sequence {}, fragment {}", sc >> 4, sc & 0xf),
            "",
        );
        if to_ds
            && from_ds
            && let Some(a4) = b.get(24..30)
        {
            s.field(at + 24, 6, "Source", Mac(a4), mac_meaning(a4));
        }
        if qos && let Some(q) = be16(b, qos_at) {
            let q = q.swap_bytes();
            s.field(
                at + qos_at,
                2,
                "QoS control",
                format_args!("0x{q:04x}"),
                format_args!("traffic identifier {}", q & 0xf),
            );
        }
        if qos && order {
            s.field(at + qos_at + 2, 4, "HT control", "", "");
        }
    }
    if padded {
        hdr = hdr.div_ceil(4) * 4;
    }
    s.layer_len(hdr);
    let Some(body) = bytes.skip(hdr) else {
        s.cut(at, hdr);
        return truncated(packet, LAYER, hdr, b.len());
    };
    // Null data frames (subtype 4 and 12) carry nothing.
    if subtype & 0x4 != 0 || body.data.is_empty() && body.reported == 0 {
        return;
    }
    if protected {
        data_layer(
            body.data,
            body.at,
            body.reported,
            "encrypted data (WEP/TKIP/CCMP): not decoded",
            s,
        );
        return set_problem(
            packet,
            LAYER,
            ProblemKind::Unsupported("protected (encrypted) data".into()),
        );
    }
    llc(body, packet, s);
}

/// tshark's name of an 802.11 frame type and subtype.
fn ieee80211_frame_name(frame_type: u8, subtype: u8) -> &'static str {
    match (frame_type, subtype) {
        (0, 0) => "Association Request",
        (0, 1) => "Association Response",
        (0, 2) => "Reassociation Request",
        (0, 3) => "Reassociation Response",
        (0, 4) => "Probe Request",
        (0, 5) => "Probe Response",
        (0, 8) => "Beacon frame",
        (0, 9) => "ATIM",
        (0, 10) => "Disassociate",
        (0, 11) => "Authentication",
        (0, 12) => "Deauthentication",
        (0, 13) => "Action",
        (1, 8) => "802.11 Block Ack Req",
        (1, 9) => "802.11 Block Ack",
        (1, 10) => "Power-Save poll",
        (1, 11) => "Request-to-send",
        (1, 12) => "Clear-to-send",
        (1, 13) => "Acknowledgement",
        (2, 0) => "Data",
        (2, 4) => "Null function (No data)",
        (2, 8) => "QoS Data",
        (2, 12) => "QoS Null function (No data)",
        (0, _) => "Management frame",
        (1, _) => "Control frame",
        (2, _) => "Data frame",
        _ => "Extension frame",
    }
}

/// IEEE 802.2 LLC with a SNAP header (0xaa 0xaa 0x03, an OUI, an EtherType): how
/// 802.11 data frames carry IP.
fn llc<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LEN: usize = 8;
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Logical-Link Control", at, LEN);
    let (Some(dsap), Some(ssap), Some(control)) = (b.first(), b.get(1), b.get(2)) else {
        s.cut(at, 3);
        return truncated(packet, "LLC", 3, b.len());
    };
    if S::ON {
        s.field(
            at,
            1,
            "DSAP",
            format_args!("0x{dsap:02x}"),
            if *dsap == 0xaa { "SNAP" } else { "" },
        );
        s.field(
            at + 1,
            1,
            "SSAP",
            format_args!("0x{ssap:02x}"),
            if *ssap == 0xaa { "SNAP" } else { "" },
        );
        s.field(
            at + 2,
            1,
            "Control",
            format_args!("0x{control:02x}"),
            "unnumbered information",
        );
    }
    if (*dsap, *ssap, *control) != (0xaa, 0xaa, 0x03) {
        let why = "LLC without SNAP: not decoded";
        if let Some(rest) = bytes.skip(3) {
            data_layer(rest.data, rest.at, rest.reported, why, s);
        }
        packet.net = Net::None;
        return set_problem(packet, "LLC", ProblemKind::Unsupported(why.into()));
    }
    let (Some(oui), Some(ethertype)) = (b.get(3..6), be16(b, 6)) else {
        s.cut(at + 3, 5);
        return truncated(packet, "LLC", LEN, b.len());
    };
    if S::ON {
        s.field(
            at + 3,
            3,
            "Organization code",
            super::spans::Hex(oui, 3),
            if oui == [0, 0, 0] {
                "encapsulated Ethernet"
            } else {
                ""
            },
        );
        s.field(
            at + 6,
            2,
            "Type",
            format_args!("0x{ethertype:04x}"),
            format_args!("EtherType: {} follows", ethertype_name(ethertype)),
        );
        s.summary(format_args!("SNAP, type {}", ethertype_name(ethertype)));
    }
    if let Some(rest) = bytes.skip(LEN) {
        by_ethertype(ethertype, rest, packet, s);
    }
}

/// Linux netfilter log (LINKTYPE_NFLOG): family, version, resource id (the log
/// group), then TLVs (length and type in the capturing host's byte order, each
/// padded to 4 bytes); the logged packet is the payload TLV (type 9), IPv4 or IPv6
/// by the family.
fn nflog<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) {
    const LAYER: &str = "NFLOG";
    const LEN: usize = 4;
    let (b, at) = (bytes.data, bytes.at);
    s.layer("Linux Netfilter NFLOG", at, b.len());
    let (Some(&family), Some(&version), Some(group)) = (b.first(), b.get(1), be16(b, 2)) else {
        s.cut(at, LEN);
        return truncated(packet, LAYER, LEN, b.len());
    };
    packet.link = Link::Nflog { family, group };
    if S::ON {
        s.summary(format_args!("group {group}"));
        s.field(
            at,
            1,
            "Family",
            family,
            match family {
                2 => "AF_INET: IPv4 was logged",
                10 => "AF_INET6: IPv6 was logged",
                _ => "another address family",
            },
        );
        s.field(at + 1, 1, "Version", version, "always 0");
        s.field(
            at + 2,
            2,
            "Resource id",
            group,
            "the log group (nflog-group, --nflog-group)",
        );
    }
    let mut off = LEN;
    for _ in 0..MAX_NFLOG_TLVS {
        let Some(rest) = b.get(off..).filter(|r| !r.is_empty()) else {
            break;
        };
        let (Some(lo), Some(to)) = (
            rest.get(0..2).and_then(|x| <[u8; 2]>::try_from(x).ok()),
            rest.get(2..4).and_then(|x| <[u8; 2]>::try_from(x).ok()),
        ) else {
            s.cut(at + off, 4);
            return truncated(packet, LAYER, off + 4, b.len());
        };
        // Host byte order: little-endian on the hosts that write these, unless
        // that gives a length that cannot be.
        let (len_le, len_be) = (
            usize::from(u16::from_le_bytes(lo)),
            usize::from(u16::from_be_bytes(lo)),
        );
        let big = !(4..=rest.len()).contains(&len_le) && (4..=rest.len()).contains(&len_be);
        let (tlv_len, tlv_type) = if big {
            (len_be, u16::from_be_bytes(to))
        } else {
            (len_le, u16::from_le_bytes(to))
        };
        let tlv_type = tlv_type & 0x7fff;
        if tlv_len < 4 {
            s.field(
                at + off,
                4,
                "TLV",
                format_args!("length {tlv_len}"),
                "malformed: below 4",
            );
            return malformed(packet, LAYER, format!("TLV length {tlv_len} (< 4)"));
        }
        let value_len = tlv_len - 4;
        if S::ON {
            s.field(
                at + off,
                tlv_len.min(rest.len()),
                format_args!("TLV: {}", nflog_tlv_name(tlv_type)),
                format_args!("type {tlv_type}, length {tlv_len}"),
                "",
            );
        }
        if tlv_type == 9 {
            let Some(payload) = bytes.skip(off + 4) else {
                return;
            };
            let payload = payload.limit(value_len);
            s.layer_len(off + 4);
            return match family {
                2 => ip::ipv4(payload, packet, s),
                10 => ip::ipv6(payload, packet, s),
                _ => ip::ip_any_version(payload, packet, LAYER, s),
            };
        }
        off = off.saturating_add(tlv_len.div_ceil(4) * 4);
    }
    s.layer_len(off);
}

/// The name of an NFLOG TLV type (`NFULA_*`).
fn nflog_tlv_name(tlv_type: u16) -> &'static str {
    match tlv_type {
        1 => "Packet header",
        2 => "Mark",
        3 => "Timestamp",
        4 => "Incoming interface",
        5 => "Outgoing interface",
        6 => "Physical incoming interface",
        7 => "Physical outgoing interface",
        8 => "Hardware address",
        9 => "Payload",
        10 => "Prefix",
        11 => "UID",
        12 => "Sequence number",
        13 => "Global sequence number",
        14 => "GID",
        15 => "Hardware type",
        16 => "Hardware header",
        17 => "Hardware header length",
        18 => "Conntrack",
        19 => "Conntrack info",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{IPV4_UDP, IPV6_UDP, frame_of};
    use super::super::*;
    use super::MAX_STACK;

    /// Ethernet header: dst, src, EtherType.
    fn eth(ethertype: [u8; 2]) -> Vec<u8> {
        let mut v = vec![
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // destination MAC
            0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, // source MAC
        ];
        v.extend_from_slice(&ethertype);
        v
    }

    #[test]
    fn test_ethernet_ipv4_udp() {
        let mut f = eth([0x08, 0x00]);
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(1, &f));
        assert_eq!(
            p.link,
            Link::Ethernet {
                src: [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb],
                dst: [0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
                vlans: Box::new([])
            }
        );
        assert_eq!(p.ports(), Some((32887, 23457)));
        assert_eq!(p.payload, b"hello");
        assert_eq!(p.problem, None);
    }

    #[test]
    fn test_ethernet_padding_not_counted() {
        let mut f = eth([0x08, 0x00]);
        f.extend_from_slice(&IPV4_UDP);
        f.extend_from_slice(&[0u8; 13]); // Ethernet padding / trailer
        let p = decode(&frame_of(1, &f));
        assert_eq!(p.udp().map(|u| u.payload_len), Some(5));
        assert_eq!(p.payload, b"hello");
    }

    #[test]
    fn test_ethernet_qinq_vlans_outer_first() {
        let mut f = eth([0x88, 0xa8]); // 802.1ad outer tag follows
        f.extend_from_slice(&[
            0x00, 0x64, // PCP 0, DEI 0, VLAN 100
            0x81, 0x00, // inner: 802.1Q
            0x20, 0xc8, // PCP 1, VLAN 200
            0x08, 0x00, // IPv4
        ]);
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(1, &f));
        assert!(matches!(&p.link, Link::Ethernet { vlans, .. } if **vlans == [100, 200]));
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_vlan_tags_past_the_bound_are_malformed() {
        let mut f = eth([0x81, 0x00]);
        for _ in 0..=MAX_STACK {
            f.extend_from_slice(&[0x00, 0x01, 0x81, 0x00]); // VLAN 1, another tag follows
        }
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(1, &f));
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "VLAN",
                kind: ProblemKind::Malformed(_)
            })
        ));
        assert!(matches!(&p.link, Link::Ethernet { vlans, .. } if vlans.len() == MAX_STACK));
    }

    #[test]
    fn test_ethernet_vlan_truncated() {
        let mut f = eth([0x81, 0x00]);
        f.extend_from_slice(&[0x00]); // half a tag
        let p = decode(&frame_of(1, &f));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "VLAN",
                kind: ProblemKind::Truncated {
                    needed: 4,
                    available: 1
                }
            })
        );
    }

    #[test]
    fn test_ethernet_truncated_header() {
        let p = decode(&frame_of(1, &[0u8; 10]));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "Ethernet",
                kind: ProblemKind::Truncated {
                    needed: 14,
                    available: 10
                }
            })
        );
        assert_eq!(p.link, Link::None);
    }

    #[test]
    fn test_ethernet_pppoe_ppp_ipv4() {
        let mut f = eth([0x88, 0x64]);
        f.extend_from_slice(&[
            0x11, 0x00, // version 1, type 1, code 0 (session data)
            0x12, 0x34, // session id
            0x00, 0x23, // length: 2 (PPP protocol) + 33 (IPv4 datagram)
            0x00, 0x21, // PPP protocol: IPv4
        ]);
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(1, &f));
        assert!(matches!(p.net, Net::Ipv4(_)));
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_ethernet_mpls_ipv6() {
        let mut f = eth([0x88, 0x47]);
        f.extend_from_slice(&[
            0x00, 0x01, 0x00, 0x40, // label 16, not bottom of stack, TTL 64
            0x00, 0x02, 0x01, 0x40, // label 32, bottom of stack, TTL 64
        ]);
        f.extend_from_slice(&IPV6_UDP);
        let p = decode(&frame_of(1, &f));
        assert!(matches!(p.net, Net::Ipv6(_)));
        assert_eq!(p.ports(), Some((5353, 53)));
    }

    #[test]
    fn test_ethernet_arp_request() {
        let mut f = eth([0x08, 0x06]);
        f.extend_from_slice(&[
            0x00, 0x01, // hardware: Ethernet
            0x08, 0x00, // protocol: IPv4
            0x06, 0x04, // address lengths 6 and 4
            0x00, 0x01, // operation: request
            0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, // sender MAC
            10, 0, 0, 1, // sender IP
            0, 0, 0, 0, 0, 0, // target MAC (unknown)
            10, 0, 0, 2, // target IP
        ]);
        f.extend_from_slice(&[0u8; 18]); // padding to 60 bytes
        let p = decode(&frame_of(1, &f));
        let a = p.arp().expect("ARP decoded");
        assert_eq!(a.operation, 1);
        assert_eq!(a.sender_proto, vec![10, 0, 0, 1]);
        assert_eq!(a.target_proto, vec![10, 0, 0, 2]);
        assert_eq!(a.sender_hw, vec![0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]);
        assert_eq!(p.src_ip(), None);
    }

    #[test]
    fn test_arp_truncated() {
        let mut f = eth([0x08, 0x06]);
        f.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x66]);
        let p = decode(&frame_of(1, &f));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "ARP",
                kind: ProblemKind::Truncated {
                    needed: 28,
                    available: 9
                }
            })
        );
    }

    #[test]
    fn test_sll_ipv4() {
        let mut f = vec![
            0x00, 0x00, // packet type: to us
            0x03, 0x04, // ARPHRD_LOOPBACK (772)
            0x00, 0x06, // address length 6
            0, 0, 0, 0, 0, 0, 0, 0, // address (8 bytes, 6 used)
            0x08, 0x00, // protocol: IPv4
        ];
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(113, &f));
        assert_eq!(
            p.link,
            Link::LinuxSll {
                packet_type: 0,
                protocol: 0x0800,
                addr: LinkAddr::new(&[0; 6])
            }
        );
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_sll2_ipv6() {
        let mut f = vec![
            0x86, 0xdd, // protocol: IPv6
            0x00, 0x00, // reserved
            0x00, 0x00, 0x00, 0x01, // interface index 1
            0x03, 0x04, // ARPHRD_LOOPBACK
            0x04, // packet type: outgoing
            0x06, // address length 6
            1, 2, 3, 4, 5, 6, 0, 0, // address
        ];
        f.extend_from_slice(&IPV6_UDP);
        let p = decode(&frame_of(276, &f));
        assert_eq!(
            p.link,
            Link::LinuxSll2 {
                packet_type: 4,
                protocol: 0x86dd,
                ifindex: 1,
                addr: LinkAddr::new(&[1, 2, 3, 4, 5, 6])
            }
        );
        assert_eq!(p.ports(), Some((5353, 53)));
    }

    #[test]
    fn test_sll2_truncated() {
        let p = decode(&frame_of(276, &[0x86, 0xdd, 0, 0, 0, 0]));
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "Linux SLL2",
                kind: ProblemKind::Truncated {
                    needed: 20,
                    available: 6
                }
            })
        );
    }

    #[test]
    fn test_null_family_host_order_little_endian() {
        let mut f = vec![0x02, 0x00, 0x00, 0x00]; // AF_INET, little-endian host
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(0, &f));
        assert_eq!(p.link, Link::Null { family: 2 });
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_null_family_host_order_big_endian() {
        let mut f = vec![0x00, 0x00, 0x00, 0x1e]; // AF_INET6 (macOS 30), big-endian host
        f.extend_from_slice(&IPV6_UDP);
        let p = decode(&frame_of(0, &f));
        assert_eq!(p.link, Link::Null { family: 30 });
        assert_eq!(p.ports(), Some((5353, 53)));
    }

    #[test]
    fn test_loop_network_order() {
        let mut f = vec![0x00, 0x00, 0x00, 0x18]; // AF_INET6 (24), network order
        f.extend_from_slice(&IPV6_UDP);
        let p = decode(&frame_of(108, &f));
        assert_eq!(p.link, Link::Null { family: 24 });
        assert!(matches!(p.net, Net::Ipv6(_)));
    }

    #[test]
    fn test_null_ethertype_in_family_field() {
        let mut f = vec![0x0f, 0x00, 0x08, 0x00]; // garbage, then EtherType IPv4
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(0, &f));
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_null_unknown_family() {
        let p = decode(&frame_of(0, &[0x07, 0x00, 0x00, 0x00, 0xff]));
        assert_eq!(p.link, Link::Null { family: 7 });
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                kind: ProblemKind::Unsupported(_),
                ..
            })
        ));
    }

    #[test]
    fn test_raw_ip_by_version_nibble() {
        for lt in [12, 14, 101] {
            assert_eq!(
                decode(&frame_of(lt, &IPV4_UDP)).ports(),
                Some((32887, 23457))
            );
            assert_eq!(decode(&frame_of(lt, &IPV6_UDP)).ports(), Some((5353, 53)));
        }
        assert_eq!(decode(&frame_of(228, &IPV4_UDP)).link, Link::RawIp);
        assert_eq!(decode(&frame_of(229, &IPV6_UDP)).ports(), Some((5353, 53)));
        let bad = decode(&frame_of(101, &[0x55, 0, 0]));
        assert!(matches!(
            bad.problem.as_deref(),
            Some(Problem {
                kind: ProblemKind::Malformed(_),
                ..
            })
        ));
    }

    #[test]
    fn test_ppp_hdlc_mpls_ipv4() {
        let mut f = vec![
            0xff, 0x03, // HDLC address and control
            0x02, 0x81, // PPP protocol: MPLS unicast
            0x18, 0x96, 0x01, 0x01, // label 100704, bottom of stack, TTL 1
        ];
        f.extend_from_slice(&IPV4_UDP);
        let p = decode(&frame_of(9, &f));
        assert_eq!(p.link, Link::Ppp { protocol: 0x0281 });
        assert!(matches!(p.net, Net::Ipv4(_)));
        assert_eq!(p.ports(), Some((32887, 23457)));
    }

    #[test]
    fn test_ppp_ipv6_without_address_control() {
        let mut f = vec![0x00, 0x57]; // PPP protocol: IPv6
        f.extend_from_slice(&IPV6_UDP);
        let p = decode(&frame_of(9, &f));
        assert_eq!(p.link, Link::Ppp { protocol: 0x0057 });
        assert_eq!(p.ports(), Some((5353, 53)));
    }

    #[test]
    fn test_ppp_lcp_code_and_unknown_protocol_and_truncated() {
        let lcp = [
            0xff, 0x03, // HDLC address and control
            0xc0, 0x21, // PPP protocol: LCP
            0x01, 0x07, 0x00, 0x04, // Configure-Request, id 7, length 4
        ];
        let p = decode(&frame_of(50, &lcp));
        assert_eq!(p.link, Link::Ppp { protocol: 0xc021 });
        assert_eq!(
            p.net,
            Net::PppControl {
                protocol: 0xc021,
                code: 1
            }
        );
        assert_eq!(p.problem, None);
        let cut = decode(&frame_of(50, &[0xff, 0x03, 0xc0, 0x21, 0x01]));
        assert!(matches!(
            cut.problem.as_deref(),
            Some(Problem {
                layer: "PPP",
                kind: ProblemKind::Truncated { .. }
            })
        ));
        let other = decode(&frame_of(9, &[0x00, 0x3d, 0x01])); // multilink: not decoded
        assert!(matches!(
            other.problem.as_deref(),
            Some(Problem {
                layer: "PPP",
                kind: ProblemKind::Unsupported(_)
            })
        ));
        let q = decode(&frame_of(9, &[0xff, 0x03, 0x00]));
        assert!(matches!(
            q.problem.as_deref(),
            Some(Problem {
                layer: "PPP",
                kind: ProblemKind::Truncated { .. }
            })
        ));
    }

    #[test]
    fn test_unsupported_link_type_named() {
        let p = decode(&frame_of(107, &[1, 2, 3]));
        assert_eq!(p.link, Link::Unsupported { linktype: 107 });
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "link",
                kind: ProblemKind::Unsupported("LINKTYPE_FRELAY (107)".into())
            })
        );
        assert_eq!(linktype_name(160), "LINKTYPE_USER13 (160)");
    }
}
