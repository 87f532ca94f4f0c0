//! Tunnels: IP-in-IP (IP protocol 4), 6in4 (41), GRE (47), VXLAN (UDP port 4789)
//! and L2TP version 2 data (UDP port 1701), decoded to the inner packet the way
//! tshark shows it: the packet's `net`, `transport` and `payload` become the inner
//! packet's, its outer header goes to [`Packet::tunnel`], and its `link` stays the
//! outer link. Records the spans of each tunnel header. Nesting is bounded by
//! [`MAX_TUNNELS`]; must not decode anything above the inner network header itself.

use super::link::{by_ethertype, ethernet, ppp, set};
use super::names::ethertype_name;
use super::spans::{Bits, FieldSink};
use super::{Bytes, Net, Packet, ProblemKind, Tunnel, TunnelKind, be16, be32};
use super::{ip, set_problem, truncated};

/// Tunnels decoded inside one another before the innermost is left as data (each
/// costs a header and a stack frame; crafted frames could nest thousands).
pub const MAX_TUNNELS: u8 = 4;
/// UDP port of VXLAN (IANA).
pub const VXLAN_PORT: u16 = 4789;
/// UDP port of L2TP (IANA).
pub const L2TP_PORT: u16 = 1701;

/// Decodes the tunnel of IP protocol `protocol` (4, 41 or 47) in `bytes` (the IP
/// payload). False when it is not one wirelab decodes into (a GRE header it cannot
/// follow, too deep a nesting): the caller then shows the outer packet.
pub(crate) fn ip_protocol<'a, S: FieldSink>(
    protocol: u8,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) -> bool {
    if !room(bytes, packet) {
        return false;
    }
    match protocol {
        4 => enter(TunnelKind::IpInIp, packet, |p| {
            ip::ipv4(inner(bytes), p, s);
        }),
        41 => enter(TunnelKind::Ipv6InIp, packet, |p| {
            ip::ipv6(inner(bytes), p, s);
        }),
        47 => gre(bytes, packet, s),
        _ => false,
    }
}

/// Decodes the tunnel a UDP datagram between `src_port` and `dst_port` carries in
/// `bytes` (its payload): VXLAN on 4789, L2TP on 1701, either port, as tshark's
/// port table has them. False when it carries none (or one wirelab cannot follow).
pub(crate) fn udp_port<'a, S: FieldSink>(
    src_port: u16,
    dst_port: u16,
    bytes: Bytes<'a>,
    packet: &mut Packet<'a>,
    s: &mut S,
) -> bool {
    let is = |port: u16| src_port == port || dst_port == port;
    if !(is(VXLAN_PORT) || is(L2TP_PORT)) || !room(bytes, packet) {
        return false;
    }
    if is(VXLAN_PORT) {
        vxlan(bytes, packet, s)
    } else {
        l2tp(bytes, packet, s)
    }
}

/// True when one more tunnel may be entered; records the problem otherwise.
fn room(bytes: Bytes<'_>, packet: &mut Packet<'_>) -> bool {
    if bytes.tunnels < MAX_TUNNELS {
        return true;
    }
    set_problem(
        packet,
        "tunnel",
        ProblemKind::Unsupported(format!(
            "more than {MAX_TUNNELS} tunnels inside one another"
        )),
    );
    false
}

/// The bytes of a tunnel's inner packet: one tunnel deeper.
fn inner(bytes: Bytes<'_>) -> Bytes<'_> {
    Bytes {
        tunnels: bytes.tunnels.saturating_add(1),
        ..bytes
    }
}

/// Makes `packet` the inner packet of a tunnel of `kind`: the outer addresses go
/// to [`Packet::tunnel`] (the outermost tunnel's, when they nest), `decode_inner`
/// decodes the inner packet into the network and transport, and the outer link is
/// kept. When the inner packet has no IP (or ARP) header, the outer transport stays.
/// Always true.
fn enter<'a>(
    kind: TunnelKind,
    packet: &mut Packet<'a>,
    decode_inner: impl FnOnce(&mut Packet<'a>),
) -> bool {
    if packet.tunnel.is_none()
        && let (Some(src), Some(dst)) = (packet.src_ip(), packet.dst_ip())
    {
        packet.tunnel = Some(Box::new(Tunnel { kind, src, dst }));
    }
    let link = std::mem::take(&mut packet.link);
    let outer_net = std::mem::take(&mut packet.net);
    let outer_transport = std::mem::take(&mut packet.transport);
    let outer_payload = std::mem::take(&mut packet.payload);
    let outer_payload_at = packet.payload_at.take();
    decode_inner(packet);
    packet.link = link;
    // No inner IP header (PPP's link negotiation, a cut inner packet): the outer
    // header's transport stays the frame's, as tshark's fields show it.
    if !matches!(packet.net, Net::Ipv4(_) | Net::Ipv6(_) | Net::Arp(_)) {
        packet.transport = outer_transport;
        packet.payload = outer_payload;
        packet.payload_at = outer_payload_at;
        if matches!(packet.net, Net::None) {
            packet.net = outer_net;
        }
    }
    true
}

/// GRE (RFC 2784, keys and sequence numbers of RFC 2890, PPTP's version 1 of RFC
/// 2637): flags and version, protocol type (an EtherType), then the optional
/// checksum, key and sequence (and acknowledgment) fields. IPv4, IPv6, MPLS,
/// Ethernet (0x6558) and PPP (0x880b) inside are followed; anything else, or a
/// routing field, leaves the outer packet.
fn gre<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) -> bool {
    let (b, at) = (bytes.data, bytes.at);
    let (Some(fv), Some(protocol)) = (be16(b, 0), be16(b, 2)) else {
        return false;
    };
    let (checksum, routing, key, sequence, ack) = (
        fv & 0x8000 != 0,
        fv & 0x4000 != 0,
        fv & 0x2000 != 0,
        fv & 0x1000 != 0,
        fv & 0x0080 != 0,
    );
    let version = fv & 0x7;
    let followed = matches!(
        protocol,
        0x0800 | 0x86dd | 0x6558 | 0x880b | 0x8847 | 0x8848
    );
    if routing || version > 1 || !followed {
        return false;
    }
    let mut len = 4usize;
    let checksum_at = len;
    if checksum {
        len += 4;
    }
    let key_at = len;
    if key {
        len += 4;
    }
    let seq_at = len;
    if sequence {
        len += 4;
    }
    let ack_at = len;
    if version == 1 && ack {
        len += 4;
    }
    if S::ON {
        s.layer("Generic Routing Encapsulation", at, len);
        s.summary(format_args!("({})", ethertype_name(protocol)));
        let v = u32::from(fv);
        s.bits(
            at,
            2,
            Bits::new(v, 0xffff, 16),
            "Flags and version",
            format_args!("0x{fv:04x}"),
            format_args!("version {version}"),
        );
        s.open();
        for (bit, name) in [
            (0x8000, "Checksum present"),
            (0x4000, "Routing present"),
            (0x2000, "Key present"),
            (0x1000, "Sequence number present"),
        ] {
            s.bits(at, 2, Bits::new(v, bit, 16), name, set(v & bit != 0), "");
        }
        s.close();
        s.field(
            at + 2,
            2,
            "Protocol type",
            format_args!("0x{protocol:04x}"),
            format_args!("EtherType: {} follows", ethertype_name(protocol)),
        );
        if checksum && let Some(c) = be16(b, checksum_at) {
            s.field(
                at + checksum_at,
                2,
                "Checksum",
                format_args!("0x{c:04x}"),
                "not verified",
            );
        }
        if key && let Some(k) = be32(b, key_at) {
            let meaning = if version == 1 {
                "payload length and call id (PPTP)"
            } else {
                "tells flows of one tunnel apart"
            };
            s.field(at + key_at, 4, "Key", format_args!("0x{k:08x}"), meaning);
        }
        if sequence && let Some(n) = be32(b, seq_at) {
            s.field(at + seq_at, 4, "Sequence number", n, "");
        }
        if version == 1
            && ack
            && let Some(n) = be32(b, ack_at)
        {
            s.field(at + ack_at, 4, "Acknowledgment number", n, "");
        }
    }
    let Some(rest) = bytes.skip(len) else {
        s.cut(at, len);
        truncated(packet, "GRE", len, b.len());
        return true;
    };
    enter(TunnelKind::Gre { protocol }, packet, |p| {
        let rest = inner(rest);
        match protocol {
            0x6558 => ethernet(rest, p, s),
            0x880b => ppp(rest, p, s),
            other => by_ethertype(other, rest, p, s),
        }
    })
}

/// VXLAN (RFC 7348), 8 bytes: flags (0x08: the network identifier is valid),
/// reserved, the 24-bit network identifier (VNI), reserved; Ethernet follows.
fn vxlan<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) -> bool {
    const LEN: usize = 8;
    let (b, at) = (bytes.data, bytes.at);
    let (Some(flags), Some(word)) = (be16(b, 0), be32(b, 4)) else {
        return false;
    };
    let vni = word >> 8;
    if S::ON {
        s.layer("Virtual eXtensible Local Area Network", at, LEN);
        s.summary(format_args!("VNI {vni}"));
        s.field(
            at,
            2,
            "Flags",
            format_args!("0x{flags:04x}"),
            if flags & 0x0800 != 0 {
                "the VXLAN network identifier is valid"
            } else {
                "the VXLAN network identifier is not marked valid"
            },
        );
        s.field(
            at + 2,
            2,
            "Group policy id",
            be16(b, 2).unwrap_or(0),
            "0 unless group-based policy is used",
        );
        s.bits(
            at + 4,
            3,
            Bits::new(vni, 0xff_ffff, 24),
            "VXLAN network identifier (VNI)",
            vni,
            "which virtual network the frame belongs to",
        );
        s.field(at + 7, 1, "Reserved", word & 0xff, "always 0");
    }
    let Some(rest) = bytes.skip(LEN) else {
        return false;
    };
    enter(TunnelKind::Vxlan { vni }, packet, |p| {
        ethernet(inner(rest), p, s);
    })
}

/// L2TP version 2 (RFC 2661): flags and version, optional length, tunnel and
/// session ids, optional Ns/Nr, optional offset; a data message carries PPP.
/// Control messages (the T bit) and other versions are not tunnels here.
fn l2tp<'a, S: FieldSink>(bytes: Bytes<'a>, packet: &mut Packet<'a>, s: &mut S) -> bool {
    let (b, at) = (bytes.data, bytes.at);
    let Some(fv) = be16(b, 0) else {
        return false;
    };
    let (control, has_len, has_seq, has_offset) = (
        fv & 0x8000 != 0,
        fv & 0x4000 != 0,
        fv & 0x0800 != 0,
        fv & 0x0200 != 0,
    );
    if control || fv & 0x000f != 2 {
        return false;
    }
    let mut off = 2usize;
    let len_at = off;
    if has_len {
        off += 2;
    }
    let (Some(tunnel_id), Some(session_id)) = (be16(b, off), be16(b, off + 2)) else {
        return false;
    };
    let ids_at = off;
    off += 4;
    let seq_at = off;
    if has_seq {
        off += 4;
    }
    if has_offset {
        let Some(size) = be16(b, off) else {
            return false;
        };
        off += 2 + usize::from(size);
    }
    if S::ON {
        s.layer("Layer 2 Tunneling Protocol", at, off);
        s.summary(format_args!(
            "version 2, tunnel id {tunnel_id}, session id {session_id}"
        ));
        s.field(
            at,
            2,
            "Flags and version",
            format_args!("0x{fv:04x}"),
            "a data message, version 2",
        );
        if has_len && let Some(l) = be16(b, len_at) {
            s.field(at + len_at, 2, "Length", format_args!("{l} bytes"), "");
        }
        s.field(
            at + ids_at,
            2,
            "Tunnel id",
            tunnel_id,
            "which tunnel, as the receiver numbered it",
        );
        s.field(
            at + ids_at + 2,
            2,
            "Session id",
            session_id,
            "which session (PPP link) in the tunnel",
        );
        if has_seq && let (Some(ns), Some(nr)) = (be16(b, seq_at), be16(b, seq_at + 2)) {
            s.field(at + seq_at, 2, "Ns", ns, "");
            s.field(at + seq_at + 2, 2, "Nr", nr, "");
        }
    }
    let Some(rest) = bytes.skip(off) else {
        return false;
    };
    enter(
        TunnelKind::L2tp {
            tunnel_id,
            session_id,
        },
        packet,
        |p| ppp(inner(rest), p, s),
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::{IPV4_UDP, frame_of};
    use super::super::*;
    use super::MAX_TUNNELS;

    /// An IPv4 header from 192.0.2.1 to 192.0.2.2 of protocol `proto` around `inner`.
    fn outer(proto: u8, inner: &[u8]) -> Vec<u8> {
        let total = u16::try_from(20 + inner.len()).unwrap_or(u16::MAX);
        let mut v = vec![0x45, 0x00]; // version 4, IHL 5
        v.extend_from_slice(&total.to_be_bytes()); // total length
        v.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]); // id, DF, TTL, protocol, checksum
        v.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]); // source, destination
        v.extend_from_slice(inner);
        v
    }

    #[test]
    fn test_ip_in_ip_inner_packet_outer_in_tunnel() {
        let bytes = outer(4, &IPV4_UDP);
        let p = decode(&frame_of(228, &bytes));
        assert_eq!(p.ports(), Some((32887, 23457)));
        assert_eq!(p.src_ip(), Some("127.0.0.1".parse().expect("address")));
        let t = p.tunnel.as_deref().expect("tunnel");
        assert_eq!(t.kind, TunnelKind::IpInIp);
        assert_eq!(
            t.src,
            "192.0.2.1".parse::<std::net::IpAddr>().expect("address")
        );
    }

    #[test]
    fn test_tunnels_nested_past_the_bound_stop_with_a_problem() {
        let mut frame = IPV4_UDP.to_vec();
        for _ in 0..6 {
            frame = outer(4, &frame);
        }
        let p = decode(&frame_of(228, &frame));
        assert_eq!(p.transport, Transport::Other { protocol: 4 });
        assert!(matches!(
            p.problem.as_deref(),
            Some(Problem {
                layer: "tunnel",
                kind: ProblemKind::Unsupported(_)
            })
        ));
        let (_, layers) = decode_spans(&frame_of(228, &frame), None);
        let ip = layers
            .iter()
            .filter(|l| l.name.starts_with("Internet Protocol"))
            .count();
        assert_eq!(ip, usize::from(MAX_TUNNELS) + 1);
    }

    #[test]
    fn test_gre_unknown_protocol_stays_the_outer_packet() {
        let gre = [0x00, 0x00, 0x88, 0xbe]; // no flags, version 0, ERSPAN: not followed
        let bytes = outer(47, &gre);
        let p = decode(&frame_of(228, &bytes));
        assert_eq!(p.transport, Transport::Other { protocol: 47 });
        assert!(p.tunnel.is_none());
    }

    #[test]
    fn test_gre_key_and_sequence_skipped() {
        let mut gre = vec![0x30, 0x00, 0x08, 0x00]; // K and S, IPv4
        gre.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 1]); // key 7, sequence 1
        gre.extend_from_slice(&IPV4_UDP);
        let bytes = outer(47, &gre);
        let p = decode(&frame_of(228, &bytes));
        assert_eq!(p.ports(), Some((32887, 23457)));
        assert_eq!(
            p.tunnel.map(|t| t.kind),
            Some(TunnelKind::Gre { protocol: 0x0800 })
        );
    }

    #[test]
    fn test_fragments_inside_a_tunnel_reassemble() {
        // The 28-byte UDP datagram of IPV4_UDP's header fields, cut in two fragments.
        let udp = [
            0x00, 0x07, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00, // UDP 7 -> 9, length 16
            b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', // data
        ];
        let fragment = |offset: u16, more: bool, data: &[u8]| {
            let total = u16::try_from(20 + data.len()).unwrap_or(0);
            let field = (offset / 8) | if more { 0x2000 } else { 0 };
            let mut v = vec![0x45, 0x00];
            v.extend_from_slice(&total.to_be_bytes()); // total length
            v.extend_from_slice(&[0x55, 0x66]); // identification
            v.extend_from_slice(&field.to_be_bytes()); // flags and offset
            v.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
            v.extend_from_slice(data);
            outer(4, &v)
        };
        let (first, second) = (fragment(0, true, &udp[..8]), fragment(8, false, &udp[8..]));
        let mut d = Decoder::new();
        let p = d.decode(&frame_of(228, &first));
        assert!(matches!(p.transport, Transport::Fragment { protocol: 17 }));
        assert!(p.tunnel.is_some());
        let p = d.decode(&frame_of(228, &second));
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.payload, b"abcdefgh");
        assert_eq!(p.tunnel.map(|t| t.kind), Some(TunnelKind::IpInIp));
    }

    #[test]
    fn test_every_prefix_of_a_tunnel_no_panic() {
        let mut gre = vec![0x20, 0x00, 0x65, 0x58, 0, 0, 0, 9]; // K, Ethernet, key 9
        gre.extend_from_slice(&[0u8; 12]); // MACs
        gre.extend_from_slice(&[0x08, 0x00]); // IPv4
        gre.extend_from_slice(&IPV4_UDP);
        let frame = outer(47, &gre);
        for n in 0..=frame.len() {
            let mut f = frame_of(228, frame.get(..n).unwrap_or(&[]));
            f.orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
            let _ = decode(&f);
            let _ = decode_spans(&f, None);
        }
    }
}
