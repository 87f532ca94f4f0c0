//! Link layers by pcap link type (Ethernet with VLAN tags, Linux SLL and SLL2,
//! BSD NULL/LOOP, raw IP), then the EtherType dispatch (IPv4, IPv6, ARP, PPPoE
//! session, MPLS). Hands IP on to `ip`; must not look above the network header.

use etherparse::ArpPacketSlice;

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
const MAX_STACK: usize = 16;

/// The name of a pcap link type, e.g. `LINKTYPE_IEEE802_11 (105)`.
pub fn linktype_name(linktype: u32) -> String {
    let name = match linktype {
        0 => "LINKTYPE_NULL",
        1 => "LINKTYPE_ETHERNET",
        6 => "LINKTYPE_IEEE802_5",
        8 => "LINKTYPE_SLIP",
        9 => "LINKTYPE_PPP",
        10 => "LINKTYPE_FDDI",
        12 | 14 | 101 => "LINKTYPE_RAW",
        50 => "LINKTYPE_PPP_HDLC",
        51 => "LINKTYPE_PPP_ETHER",
        104 => "LINKTYPE_C_HDLC",
        105 => "LINKTYPE_IEEE802_11",
        107 => "LINKTYPE_FRELAY",
        108 => "LINKTYPE_LOOP",
        113 => "LINKTYPE_LINUX_SLL",
        119 => "LINKTYPE_IEEE802_11_PRISM",
        127 => "LINKTYPE_IEEE802_11_RADIOTAP",
        147..=162 => return format!("LINKTYPE_USER{} ({linktype})", linktype - 147),
        163 => "LINKTYPE_IEEE802_11_AVS",
        187 => "LINKTYPE_BLUETOOTH_HCI_H4",
        189 => "LINKTYPE_USB_LINUX",
        195 => "LINKTYPE_IEEE802_15_4_WITHFCS",
        201 => "LINKTYPE_BLUETOOTH_HCI_H4_WITH_PHDR",
        204 => "LINKTYPE_PPP_WITH_DIR",
        220 => "LINKTYPE_USB_LINUX_MMAPPED",
        227 => "LINKTYPE_CAN_SOCKETCAN",
        228 => "LINKTYPE_IPV4",
        229 => "LINKTYPE_IPV6",
        239 => "LINKTYPE_NFLOG",
        249 => "LINKTYPE_USBPCAP",
        253 => "LINKTYPE_NETLINK",
        276 => "LINKTYPE_LINUX_SLL2",
        _ => "unknown link type",
    };
    format!("{name} ({linktype})")
}

/// Decodes the link header named by `linktype` and everything above it.
pub(crate) fn decode_link<'a>(linktype: u32, bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    match linktype {
        1 => ethernet(bytes, packet),
        113 => linux_sll(bytes, packet),
        276 => linux_sll2(bytes, packet),
        0 | 108 => null_loop(bytes, packet),
        9 | 50 => ppp(bytes, packet),
        12 | 14 | 101 => {
            packet.link = Link::RawIp;
            ip::ip_any_version(bytes, packet, "Raw IP");
        }
        228 => {
            packet.link = Link::RawIp;
            ip::ipv4(bytes, packet);
        }
        229 => {
            packet.link = Link::RawIp;
            ip::ipv6(bytes, packet);
        }
        other => {
            packet.link = Link::Unsupported { linktype: other };
            set_problem(
                packet,
                "link",
                ProblemKind::Unsupported(linktype_name(other)),
            );
        }
    }
}

/// Ethernet II (14 bytes: destination MAC, source MAC, EtherType), then VLAN tags.
/// Read by hand: a fixed layout, on every frame of most captures.
fn ethernet<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LEN: usize = 14;
    let Some(&header) = bytes.data.first_chunk::<LEN>() else {
        return truncated(packet, "Ethernet", LEN, bytes.data.len());
    };
    let [d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, t0, t1] = header;
    let (dst, src) = ([d0, d1, d2, d3, d4, d5], [s0, s1, s2, s3, s4, s5]);
    let ethertype = u16::from_be_bytes([t0, t1]);
    let mut vlans = Vec::new();
    let next = bytes
        .skip(LEN)
        .and_then(|rest| peel_vlans(ethertype, rest, &mut vlans, packet));
    packet.link = Link::Ethernet {
        src,
        dst,
        vlans: vlans.into_boxed_slice(),
    };
    if let Some((ethertype, rest)) = next {
        by_ethertype(ethertype, rest, packet);
    }
}

/// Follows 802.1Q / 802.1ad tags (4 bytes each: priority, DEI, VLAN id, inner
/// EtherType), collecting the VLAN ids outer first. Returns the EtherType after the
/// last tag and the bytes it announces, or `None` when a tag was cut short.
fn peel_vlans<'a>(
    mut ethertype: u16,
    mut bytes: Bytes<'a>,
    vlans: &mut Vec<u16>,
    packet: &mut Packet<'a>,
) -> Option<(u16, Bytes<'a>)> {
    for _ in 0..MAX_STACK {
        if !VLAN_TYPES.contains(&ethertype) {
            break;
        }
        // Priority (3 bits), DEI (1), VLAN id (12); then the inner EtherType.
        let (Some(tci), Some(inner)) = (be16(bytes.data, 0), be16(bytes.data, 2)) else {
            truncated(packet, "VLAN", 4, bytes.data.len());
            return None;
        };
        vlans.push(tci & 0x0fff);
        ethertype = inner;
        bytes = bytes.skip(4)?;
    }
    Some((ethertype, bytes))
}

/// Linux cooked capture v1, 16 bytes: packet type, ARPHRD type, address length,
/// 8 address bytes, protocol (EtherType), all big-endian. Read by hand because
/// etherparse's `LinuxSllHeaderSlice` refuses ARPHRD types it does not know.
fn linux_sll<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LEN: usize = 16;
    let b = bytes.data;
    let (Some(packet_type), Some(addr_len), Some(protocol), Some(addr)) =
        (be16(b, 0), be16(b, 4), be16(b, 14), b.get(6..14))
    else {
        return truncated(packet, "Linux SLL", LEN, b.len());
    };
    let addr = LinkAddr::new(addr.get(..usize::from(addr_len).min(8)).unwrap_or(addr));
    packet.link = Link::LinuxSll {
        packet_type,
        protocol,
        addr,
    };
    cooked_payload(protocol, bytes, LEN, packet);
}

/// Linux cooked capture v2, 20 bytes: protocol (EtherType) u16, reserved u16,
/// interface index u32, ARPHRD type u16, packet type u8, address length u8,
/// 8 address bytes, all big-endian. etherparse has no SLL2.
fn linux_sll2<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LEN: usize = 20;
    let b = bytes.data;
    let (Some(protocol), Some(ifindex), Some(&packet_type), Some(&addr_len), Some(addr)) =
        (be16(b, 0), be32(b, 4), b.get(10), b.get(11), b.get(12..20))
    else {
        return truncated(packet, "Linux SLL2", LEN, b.len());
    };
    let addr = LinkAddr::new(addr.get(..usize::from(addr_len).min(8)).unwrap_or(addr));
    packet.link = Link::LinuxSll2 {
        packet_type,
        protocol,
        ifindex,
        addr,
    };
    cooked_payload(protocol, bytes, LEN, packet);
}

/// What follows a Linux cooked header: its protocol field is an EtherType (VLAN
/// tags are normally stripped by the kernel, but are followed when present).
fn cooked_payload<'a>(protocol: u16, bytes: Bytes<'a>, header_len: usize, packet: &mut Packet<'a>) {
    let Some(rest) = bytes.skip(header_len) else {
        return;
    };
    let mut vlans = Vec::new();
    if let Some((ethertype, rest)) = peel_vlans(protocol, rest, &mut vlans, packet) {
        by_ethertype(ethertype, rest, packet);
    }
}

/// BSD loopback: a 4-byte address family, in the capturing host's byte order for
/// LINKTYPE_NULL and network order for LINKTYPE_LOOP; both byte orders are
/// accepted for both. 2 is IPv4; 24, 28 and 30 are IPv6 (NetBSD/OpenBSD, FreeBSD,
/// macOS), and 10 / 23 (Linux / Windows AF_INET6) are accepted too. When neither
/// byte order gives a known family but half of the field holds the IPv4 or IPv6
/// EtherType (some writers do that), the EtherType is followed.
fn null_loop<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LEN: usize = 4;
    let Some(raw) = bytes
        .data
        .get(..LEN)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
    else {
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
    let Some(rest) = bytes.skip(LEN) else { return };
    // Some writers put an EtherType in one half of the field instead of a family.
    let [b0, b1, b2, b3] = raw;
    let ethertype = [u16::from_be_bytes([b2, b3]), u16::from_be_bytes([b0, b1])]
        .into_iter()
        .find(|t| matches!(*t, ETH_IPV4 | ETH_IPV6));
    match (family, ethertype) {
        (2, _) => ip::ipv4(rest, packet),
        (10 | 23 | 24 | 28 | 30, _) => ip::ipv6(rest, packet),
        (_, Some(ethertype)) => by_ethertype(ethertype, rest, packet),
        (other, None) => set_problem(
            packet,
            "Null/Loopback",
            ProblemKind::Unsupported(format!("address family {other}")),
        ),
    }
}

/// Decodes what an EtherType announces.
pub(crate) fn by_ethertype<'a>(ethertype: u16, bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    match ethertype {
        ETH_IPV4 => ip::ipv4(bytes, packet),
        ETH_IPV6 => ip::ipv6(bytes, packet),
        ETH_ARP => arp(bytes, packet),
        ETH_PPPOE_SESSION => pppoe_session(bytes, packet),
        ETH_MPLS_UNICAST | ETH_MPLS_MULTICAST => mpls(ethertype, bytes, packet),
        other => packet.net = Net::Other { ethertype: other },
    }
}

/// ARP (RFC 826): hardware type, protocol type, address lengths, operation, then
/// sender and target addresses of the announced lengths.
fn arp<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
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

/// PPP (RFC 1661) as pcap stores it: the HDLC address and control bytes
/// (0xff 0x03) when present, then the protocol field, 2 bytes, or 1 when
/// compressed (an odd first byte). IPv4, IPv6 and MPLS are followed; other
/// protocols (LCP, IPCP, ...) are named and not decoded.
fn ppp<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LAYER: &str = "PPP";
    let b = bytes.data;
    let start = if b.get(..2) == Some(&[0xff, 0x03][..]) {
        2
    } else {
        0
    };
    let Some(&first) = b.get(start) else {
        return truncated(packet, LAYER, start + 1, b.len());
    };
    let (protocol, len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        match be16(b, start) {
            Some(p) => (p, 2),
            None => return truncated(packet, LAYER, start + 2, b.len()),
        }
    };
    packet.link = Link::Ppp { protocol };
    let Some(rest) = bytes.skip(start + len) else {
        return;
    };
    ppp_protocol(protocol, rest, packet);
}

/// What a PPP protocol field announces (shared by PPP and PPPoE).
fn ppp_protocol<'a>(protocol: u16, rest: Bytes<'a>, packet: &mut Packet<'a>) {
    match protocol {
        0x0021 => ip::ipv4(rest, packet),
        0x0057 => ip::ipv6(rest, packet),
        0x0281 => mpls(ETH_MPLS_UNICAST, rest, packet),
        0x0283 => mpls(ETH_MPLS_MULTICAST, rest, packet),
        other => set_problem(
            packet,
            "PPP",
            ProblemKind::Unsupported(format!("PPP protocol 0x{other:04x}")),
        ),
    }
}

/// PPPoE session stage (RFC 2516): version/type, code, session id, length (6 bytes),
/// then PPP's protocol field: 0x0021 IPv4, 0x0057 IPv6 (a 1-byte compressed
/// protocol field is accepted). Other PPP protocols (LCP, IPCP, ...) are not decoded.
fn pppoe_session<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    packet.net = Net::Other {
        ethertype: ETH_PPPOE_SESSION,
    };
    let b = bytes.data;
    let Some(&first) = b.get(6) else {
        return truncated(packet, "PPPoE", 7, b.len());
    };
    // An odd first byte is a compressed (1-byte) protocol field.
    let (protocol, ppp_len) = if first & 1 == 1 {
        (u16::from(first), 1)
    } else {
        match be16(b, 6) {
            Some(p) => (p, 2),
            None => return truncated(packet, "PPP", 8, b.len()),
        }
    };
    let Some(rest) = bytes.skip(6 + ppp_len) else {
        return;
    };
    // The PPPoE length counts the PPP protocol field and what follows.
    let rest = match be16(b, 4) {
        Some(len) if usize::from(len) >= ppp_len => rest.limit(usize::from(len) - ppp_len),
        _ => rest,
    };
    if matches!(protocol, 0x0021 | 0x0057 | 0x0281 | 0x0283) {
        packet.net = Net::None;
    }
    ppp_protocol(protocol, rest, packet);
}

/// MPLS label stack (RFC 3032): 4-byte entries until the bottom-of-stack bit; the
/// payload is IP when its first nibble says 4 or 6 (as Wireshark guesses it).
fn mpls<'a>(ethertype: u16, mut bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    packet.net = Net::Other { ethertype };
    for _ in 0..MAX_STACK {
        let Some(entry) = be32(bytes.data, 0) else {
            return truncated(packet, "MPLS", 4, bytes.data.len());
        };
        let Some(rest) = bytes.skip(4) else { return };
        bytes = rest;
        if entry & 0x100 != 0 {
            match bytes.data.first().map(|b| b >> 4) {
                Some(4) => {
                    packet.net = Net::None;
                    ip::ipv4(bytes, packet);
                }
                Some(6) => {
                    packet.net = Net::None;
                    ip::ipv6(bytes, packet);
                }
                _ => {}
            }
            return;
        }
    }
    malformed(packet, "MPLS", format!("more than {MAX_STACK} labels"));
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{IPV4_UDP, IPV6_UDP, frame_of};
    use super::super::*;

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
    fn test_ppp_lcp_not_decoded_and_truncated() {
        let p = decode(&frame_of(50, &[0xff, 0x03, 0xc0, 0x21, 0x01]));
        assert_eq!(p.link, Link::Ppp { protocol: 0xc021 });
        assert!(matches!(
            p.problem.as_deref(),
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
        let p = decode(&frame_of(105, &[1, 2, 3]));
        assert_eq!(p.link, Link::Unsupported { linktype: 105 });
        assert_eq!(
            p.problem.as_deref(),
            Some(&Problem {
                layer: "link",
                kind: ProblemKind::Unsupported("LINKTYPE_IEEE802_11 (105)".into())
            })
        );
        assert_eq!(linktype_name(160), "LINKTYPE_USER13 (160)");
    }
}
