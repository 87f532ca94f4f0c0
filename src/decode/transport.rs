//! Transport headers: TCP (with every option, in order), UDP, ICMP and ICMPv6
//! (echo ids, and the header an error quotes). Lengths are the ones the headers
//! declare, as Wireshark shows them; must not interpret application data.

use etherparse::{Icmpv4Slice, Icmpv6Slice, UdpHeaderSlice};

use super::app::{self, L4};
use super::{
    Bytes, Icmp, Packet, Tcp, TcpFlags, TcpOptions, Transport, Udp, be16, ip, len_u32, malformed,
    truncated,
};

/// Fixed TCP header length.
const TCP_MIN: usize = 20;
/// UDP header length.
const UDP_LEN: usize = 8;

/// Decodes the transport header of IP protocol `protocol` from `bytes` (which hold
/// the IP payload as declared by the IP header).
pub(crate) fn decode_transport<'a>(protocol: u8, bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    match protocol {
        6 => tcp(bytes, packet),
        17 => udp(bytes, packet),
        1 => icmp(bytes, packet, false),
        58 => icmp(bytes, packet, true),
        other => {
            packet.transport = Transport::Other { protocol: other };
            packet.payload = bytes.data;
        }
    }
}

/// TCP (RFC 9293). `payload_len` is the segment length Wireshark calls `tcp.len`:
/// the IP-declared length minus the TCP header, whatever was captured.
fn tcp<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LAYER: &str = "TCP";
    let b = bytes.data;
    // The fixed 20 bytes, read by hand whatever the data offset says, so that a
    // header cut in its options (or with a bogus data offset) still shows ports,
    // numbers and flags.
    let Some(&fixed) = b.first_chunk::<TCP_MIN>() else {
        // Wireshark shows the ports of a header cut before its 20 bytes.
        if let (Some(src_port), Some(dst_port)) = (be16(b, 0), be16(b, 2)) {
            packet.cut_tcp_ports = Some((src_port, dst_port));
        }
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
    let (src_port, dst_port) = (tcp.src_port, tcp.dst_port);
    packet.transport = Transport::Tcp(tcp);
    if b.len() < header_len {
        return truncated(packet, LAYER, header_len, b.len());
    }
    if let Some(why) = bad_option {
        malformed(packet, "TCP option", why);
    }
    packet.payload = b.get(header_len..).unwrap_or(&[]);
    if !packet.payload.is_empty() {
        packet.app = app::classify(L4::Tcp, src_port, dst_port, packet.payload);
    }
}

/// UDP (RFC 768). `payload_len` is the length field minus the 8-byte header.
fn udp<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>) {
    const LAYER: &str = "UDP";
    let h = match UdpHeaderSlice::from_slice(bytes.data) {
        Ok(h) => h,
        Err(e) => return truncated(packet, LAYER, e.required_len, e.len),
    };
    let length = h.length();
    let (src_port, dst_port) = (h.source_port(), h.destination_port());
    packet.transport = Transport::Udp(Udp {
        src_port,
        dst_port,
        length,
        checksum: h.checksum(),
        payload_len: u32::from(length.saturating_sub(8)),
    });
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
    packet.payload = bytes
        .limit(usize::from(length))
        .data
        .get(UDP_LEN..)
        .unwrap_or(&[]);
    if !packet.payload.is_empty() {
        packet.app = app::classify(L4::Udp, src_port, dst_port, packet.payload);
    }
}

/// ICMP (RFC 792) or ICMPv6 (RFC 4443): type, code, checksum, the echo id and
/// sequence number, and for errors the quoted IP header.
fn icmp<'a>(bytes: Bytes<'a>, packet: &mut Packet<'a>, v6: bool) {
    let b = bytes.data;
    let layer = if v6 { "ICMPv6" } else { "ICMP" };
    let fields = if v6 {
        Icmpv6Slice::from_slice(b).map(|s| (s.type_u8(), s.code_u8(), s.checksum(), s.bytes5to8()))
    } else {
        Icmpv4Slice::from_slice(b).map(|s| (s.type_u8(), s.code_u8(), s.checksum(), s.bytes5to8()))
    };
    let (icmp_type, code, checksum, rest_of_header) = match fields {
        Ok(f) => f,
        Err(e) => return truncated(packet, layer, e.required_len, e.len),
    };
    let body = b.get(8..).unwrap_or(&[]);
    let is_echo = if v6 {
        matches!(icmp_type, 128 | 129)
    } else {
        matches!(icmp_type, 0 | 8)
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
        quoted: if is_error { ip::quoted(body) } else { None },
    };
    packet.transport = if v6 {
        Transport::Icmpv6(icmp)
    } else {
        Transport::Icmpv4(icmp)
    };
    packet.payload = body;
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
