//! Notes for hand-built packets and facts: the lab's TCP and UDP exchanges,
//! a refused connection, analysis flags, ICMP, ARP and undecoded frames.

use std::net::Ipv4Addr;

use super::super::{Explainer, Note, Options, Tone};
use crate::decode::{
    Arp, FragmentInfo, Icmp, Ipv4, Link, Net, Packet, Problem, ProblemKind, Quoted, Tcp, TcpFlags,
    TcpOption, Transport, Udp,
};
use crate::source::{Frame, Timestamp};
use crate::track::{Analysis, Direction, Facts, Proto, TcpFacts, UdpFacts};

const CLIENT_ISN: u32 = 2631065158;
const SERVER_ISN: u32 = 1000;

fn frame(number: u64) -> Frame<'static> {
    Frame {
        number,
        ts: Timestamp::default(),
        linktype: crate::source::LinkType(1),
        orig_len: 60,
        data: &[],
        comments: crate::source::Comments::NONE,
    }
}

pub(crate) fn ipv4(protocol: u8) -> Net {
    Net::Ipv4(Ipv4 {
        src: Ipv4Addr::LOCALHOST,
        dst: Ipv4Addr::LOCALHOST,
        header_len: 20,
        total_len: 60,
        identification: 1,
        dont_fragment: true,
        more_fragments: false,
        fragment_offset: 0,
        ttl: 64,
        protocol,
        checksum: 0,
        dscp: 0,
        ecn: 0,
        route_dst: None,
    })
}

pub(crate) fn eth() -> Link {
    Link::Ethernet {
        src: [0; 6],
        dst: [0; 6],
        vlans: Box::new([]),
    }
}

/// A TCP segment from the client (port 58458) or the server (port 23456).
fn seg(
    from_client: bool,
    flags: u16,
    raw_seq: u32,
    raw_ack: u32,
    payload: &'static [u8],
) -> Packet<'static> {
    let (src_port, dst_port) = if from_client {
        (58458, 23456)
    } else {
        (23456, 58458)
    };
    Packet {
        link: eth(),
        net: ipv4(6),
        transport: Transport::Tcp(Tcp {
            src_port,
            dst_port,
            seq: raw_seq,
            ack: raw_ack,
            header_len: 20,
            flags: TcpFlags(flags),
            window: 512,
            checksum: 0,
            urgent_ptr: 0,
            options: Default::default(),
            payload_len: payload.len() as u32,
            short: false,
        }),
        payload,
        payload_at: None,
        problem: None,
        tunnel: None,
        fragment: None,
        cut_tcp_ports: None,
        app: None,
        checksum: Default::default(),
    }
}

fn tfacts(from_client: bool, rel_seq: u32, rel_ack: u32, f: impl FnOnce(&mut TcpFacts)) -> Facts {
    let mut t = TcpFacts {
        rel_seq,
        rel_ack,
        window: 65536,
        ..TcpFacts::default()
    };
    f(&mut t);
    Facts {
        stream: Some(0),
        proto: Some(Proto::Tcp),
        direction: Some(if from_client {
            Direction::FromClient
        } else {
            Direction::FromServer
        }),
        tcp: Some(t),
        ..Facts::default()
    }
}

/// Frame 1 opens its conversation (as the tracker says of a conversation's first frame).
fn run(e: &mut Explainer, n: u64, p: &Packet<'_>, f: &Facts) -> Note {
    let mut f = f.clone();
    f.opens_conversation |= n == 1;
    e.explain(&frame(n), p, &f)
}

const SYN: u16 = TcpFlags::SYN;
const ACK: u16 = TcpFlags::ACK;
const PSH: u16 = TcpFlags::PSH;
const FIN: u16 = TcpFlags::FIN;
const RST: u16 = TcpFlags::RST;

/// The whole lab TCP exchange: handshake, "hello" → "HELLO", the server closes first.
#[test]
fn test_established_lab_exchange() {
    let mut e = Explainer::new(Options::default());
    let c = CLIENT_ISN;
    let s = SERVER_ISN;

    let n = run(
        &mut e,
        1,
        &seg(true, SYN, c, 0, b""),
        &tfacts(true, 0, 0, |t| t.handshake_step = Some(1)),
    );
    assert_eq!(
        n.text,
        "1/3 SYN: the client picks its initial sequence number (ISN) 2631065158, shown as Seq=0"
    );
    assert_eq!(n.tone, Tone::Control);
    assert_eq!(n.protocol, "TCP");
    assert_eq!(n.source, "127.0.0.1");

    let n = run(
        &mut e,
        2,
        &seg(false, SYN | ACK, s, c + 1, b""),
        &tfacts(false, 0, 1, |t| t.handshake_step = Some(2)),
    );
    assert_eq!(
        n.text,
        "2/3 SYN-ACK: Ack=1 = client ISN + 1, because a SYN uses one sequence number"
    );

    let n = run(
        &mut e,
        3,
        &seg(true, ACK, c + 1, s + 1, b""),
        &tfacts(true, 1, 1, |t| t.handshake_step = Some(3)),
    );
    assert_eq!(n.text, "3/3 ACK: handshake complete");
    assert_eq!(n.tone, Tone::Plain);

    let n = run(
        &mut e,
        4,
        &seg(true, PSH | ACK, c + 1, s + 1, b"hello"),
        &tfacts(true, 1, 1, |_| {}),
    );
    assert_eq!(n.text, "request \"hello\" (5 bytes)");
    assert_eq!(
        n.info,
        "58458 → 23456 [PSH, ACK] Seq=1 Ack=1 Win=65536 Len=5"
    );

    let n = run(
        &mut e,
        5,
        &seg(false, ACK, s + 1, c + 6, b""),
        &tfacts(false, 1, 6, |t| t.newly_acked = 5),
    );
    assert_eq!(n.text, "Ack 6 = 1 + 5 bytes received");

    let n = run(
        &mut e,
        6,
        &seg(false, PSH | ACK, s + 1, c + 6, b"HELLO"),
        &tfacts(false, 1, 6, |_| {}),
    );
    assert_eq!(n.text, "reply \"HELLO\": the request in uppercase");

    let n = run(
        &mut e,
        7,
        &seg(true, ACK, c + 6, s + 6, b""),
        &tfacts(true, 6, 6, |t| t.newly_acked = 5),
    );
    assert_eq!(n.text, "Ack 6 = 1 + 5 bytes received");

    let n = run(
        &mut e,
        8,
        &seg(false, FIN | ACK, s + 6, c + 6, b""),
        &tfacts(false, 6, 6, |t| t.first_fin = true),
    );
    assert_eq!(
        n.text,
        "the server closes first: FIN uses one sequence number"
    );
    assert_eq!(n.tone, Tone::Control);

    let n = run(
        &mut e,
        9,
        &seg(true, FIN | ACK, c + 6, s + 7, b""),
        &tfacts(true, 6, 7, |t| {
            t.newly_acked = 1;
            t.acks_fin = Some(8);
        }),
    );
    assert_eq!(
        n.text,
        "Ack 7 acknowledges the server's FIN (frame 8); FIN: the client closes its side too"
    );

    let n = run(
        &mut e,
        10,
        &seg(false, ACK, s + 7, c + 7, b""),
        &tfacts(false, 7, 7, |t| {
            t.newly_acked = 1;
            t.acks_fin = Some(9);
            t.closes = true;
        }),
    );
    assert_eq!(
        n.text,
        "ACK of the client's FIN (frame 9): Ack 7 = its Seq 6 + 1"
    );
    // Both FINs acknowledged: the conversation's memory is dropped, its summary kept.
    assert!(e.memory.streams.is_empty());
    let sum = e.memory.summary(Proto::Tcp, 0).unwrap();
    assert_eq!((sum.requests, sum.replies), (1, 1));
}

#[test]
fn test_established_reply_not_uppercase() {
    let mut e = Explainer::new(Options::default());
    run(
        &mut e,
        1,
        &seg(true, PSH | ACK, 1, 1, b"hello"),
        &tfacts(true, 1, 1, |_| {}),
    );
    let n = run(
        &mut e,
        2,
        &seg(false, PSH | ACK, 1, 6, b"hellO"),
        &tfacts(false, 1, 6, |_| {}),
    );
    assert_eq!(
        n.text,
        "reply \"hellO\" (5 bytes): not the uppercase of the request"
    );
}

#[test]
fn test_established_absolute_numbers() {
    let mut e = Explainer::new(Options { absolute_seq: true });
    let n = run(
        &mut e,
        1,
        &seg(true, SYN, CLIENT_ISN, 0, b""),
        &tfacts(true, 0, 0, |t| t.handshake_step = Some(1)),
    );
    assert_eq!(
        n.text,
        "1/3 SYN: the client picks its initial sequence number (ISN) 2631065158"
    );
    assert_eq!(n.info, "58458 → 23456 [SYN] Seq=2631065158 Win=65536 Len=0");
}

#[test]
fn test_syn_sent_rst_refused() {
    let mut e = Explainer::new(Options::default());
    run(
        &mut e,
        1,
        &seg(true, SYN, CLIENT_ISN, 0, b""),
        &tfacts(true, 0, 0, |t| t.handshake_step = Some(1)),
    );
    let mut p = seg(false, RST | ACK, 0, CLIENT_ISN + 1, b"");
    if let Transport::Tcp(t) = &mut p.transport {
        t.src_port = 9;
    }
    let n = run(
        &mut e,
        2,
        &p,
        &tfacts(false, 1, 1, |t| {
            t.refused = true;
            t.closes = true;
        }),
    );
    assert_eq!(n.text, "connection refused: nothing listens on port 9");
    assert_eq!(n.tone, Tone::Reset);
    assert!(e.memory.summary(Proto::Tcp, 0).unwrap().refused);
    assert!(e.memory.streams.is_empty());
}

#[test]
fn test_established_rst_abort() {
    let mut e = Explainer::new(Options::default());
    let n = run(
        &mut e,
        1,
        &seg(true, RST | ACK, 10, 10, b""),
        &tfacts(true, 10, 10, |_| {}),
    );
    assert_eq!(
        n.text,
        "RST: the client aborts the connection at once, no FIN exchange"
    );
    assert_eq!(n.tone, Tone::Reset);
}

#[test]
fn test_established_dup_ack() {
    let mut e = Explainer::new(Options::default());
    let f = tfacts(false, 1, 6, |t| {
        t.analysis = Analysis(Analysis::DUP_ACK);
        t.dup_ack = Some((6, 1));
    });
    let n = run(&mut e, 8, &seg(false, ACK, 1, 6, b""), &f);
    assert_eq!(
        n.info,
        "[TCP Dup ACK 6#1] 23456 → 58458 [ACK] Seq=1 Ack=6 Win=65536 Len=0"
    );
    assert_eq!(
        n.text,
        "dup ACK #1 of frame 6: the server still misses data after 6"
    );
    assert_eq!(n.tone, Tone::Warning);
}

#[test]
fn test_established_retransmission_not_a_new_request() {
    let mut e = Explainer::new(Options::default());
    run(
        &mut e,
        4,
        &seg(true, PSH | ACK, 1, 1, b"hello"),
        &tfacts(true, 1, 1, |_| {}),
    );
    let f = tfacts(true, 1, 1, |t| {
        t.analysis = Analysis(Analysis::RETRANSMISSION);
        t.retransmits = Some(4);
    });
    let n = run(&mut e, 5, &seg(true, PSH | ACK, 1, 1, b"hello"), &f);
    assert_eq!(
        n.text,
        "retransmission of frame 4: sent again, no ACK came in time; data \"hello\" (5 bytes)"
    );
    assert_eq!(e.memory.summary(Proto::Tcp, 0).unwrap().requests, 1);
}

fn datagram(from_client: bool, client_port: u16, payload: &'static [u8]) -> Packet<'static> {
    let (src_port, dst_port) = if from_client {
        (client_port, 12000)
    } else {
        (12000, client_port)
    };
    Packet {
        link: eth(),
        net: ipv4(17),
        transport: Transport::Udp(Udp {
            src_port,
            dst_port,
            length: 8 + payload.len() as u16,
            checksum: 0,
            payload_len: payload.len() as u32,
        }),
        payload,
        payload_at: None,
        problem: None,
        tunnel: None,
        fragment: None,
        cut_tcp_ports: None,
        app: None,
        checksum: Default::default(),
    }
}

fn ufacts(stream: u64, from_client: bool, udp: UdpFacts) -> Facts {
    Facts {
        stream: Some(stream),
        proto: Some(Proto::Udp),
        direction: Some(if from_client {
            Direction::FromClient
        } else {
            Direction::FromServer
        }),
        udp: Some(udp),
        ..Facts::default()
    }
}

#[test]
fn test_udp_request_reply_same_port() {
    let mut e = Explainer::new(Options::default());
    let n = run(
        &mut e,
        1,
        &datagram(true, 51375, b"hello"),
        &ufacts(0, true, UdpFacts::default()),
    );
    assert_eq!(n.info, "51375 → 12000 Len=5");
    assert_eq!(n.text, "request \"hello\" (5 bytes)");
    let f = ufacts(
        0,
        false,
        UdpFacts {
            reply_to: Some(1),
            previous_client_port: None,
        },
    );
    let n = run(&mut e, 2, &datagram(false, 51375, b"HELLO"), &f);
    assert_eq!(
        n.text,
        "reply \"HELLO\": the request in uppercase; to 127.0.0.1:51375, the same IP and port the request (frame 1) came from"
    );
}

#[test]
fn test_udp_new_client_port() {
    let mut e = Explainer::new(Options::default());
    let f = ufacts(
        1,
        true,
        UdpFacts {
            reply_to: None,
            previous_client_port: Some(51375),
        },
    );
    let n = run(&mut e, 3, &datagram(true, 60937, b"hi"), &f);
    assert_eq!(
        n.text,
        "new client port 60937 (was 51375): a new socket gets a new ephemeral port; request \"hi\" (2 bytes)"
    );
}

#[test]
fn test_udp_binary_payload_escaped() {
    let mut e = Explainer::new(Options::default());
    let n = run(
        &mut e,
        1,
        &datagram(true, 5000, b"a\x00\xff\n"),
        &ufacts(0, true, UdpFacts::default()),
    );
    assert_eq!(n.text, "request \"a\\x00\\xff\\n\" (4 bytes)");
}

/// An ICMP echo of type `t` (8 request, 0 reply), id 0x1234, seq 1, with `checksum`.
fn echo(t: u8, checksum: u16) -> Packet<'static> {
    Packet {
        link: eth(),
        net: ipv4(1),
        transport: Transport::Icmpv4(Icmp {
            icmp_type: t,
            code: 0,
            checksum,
            rest_of_header: [0x12, 0x34, 0, 1],
            echo: Some((0x1234, 1)),
            quoted: None,
        }),
        payload: &[],
        payload_at: None,
        problem: None,
        tunnel: None,
        fragment: None,
        cut_tcp_ports: None,
        app: None,
        checksum: Default::default(),
    }
}

#[test]
fn test_icmp_echo_pairing() {
    let mut e = Explainer::new(Options::default());
    // A reply's checksum is its request's plus 0x0800 (the type byte went from 8 to 0).
    let n = run(&mut e, 1, &echo(8, 0x1000), &Facts::default());
    assert_eq!(n.info, "Echo (ping) request  id=0x1234, seq=1/256, ttl=64");
    assert_eq!(n.protocol, "ICMP");
    let n = run(&mut e, 2, &echo(0, 0x1800), &Facts::default());
    assert_eq!(
        n.info,
        "Echo (ping) reply    id=0x1234, seq=1/256, ttl=64 (request in 1)"
    );
    assert_eq!(n.text, "ping reply (echo) to the request in frame 1");
}

/// tshark pairs an echo reply with its request by addresses, identifier, sequence number
/// and checksum (a reply whose bytes differ is not the request's), and only once: a
/// second identical reply is shown without "(request in N)".
#[test]
fn r14_icmp_pairs_by_checksum_and_once_as_tshark() {
    let mut e = Explainer::new(Options::default());
    let _ = run(&mut e, 1, &echo(8, 0x1000), &Facts::default());
    let other_bytes = run(&mut e, 2, &echo(0, 0x1801), &Facts::default());
    assert!(
        !other_bytes.info.contains("request in"),
        "{}",
        other_bytes.info
    );
    let first = run(&mut e, 3, &echo(0, 0x1800), &Facts::default());
    assert!(first.info.ends_with("(request in 1)"), "{}", first.info);
    let again = run(&mut e, 4, &echo(0, 0x1800), &Facts::default());
    assert!(!again.info.contains("request in"), "{}", again.info);
}

#[test]
fn test_icmp_port_unreachable() {
    let mut e = Explainer::new(Options::default());
    let p = Packet {
        link: eth(),
        net: ipv4(1),
        transport: Transport::Icmpv4(Icmp {
            icmp_type: 3,
            code: 3,
            checksum: 0,
            rest_of_header: [0; 4],
            echo: None,
            quoted: Some(Quoted {
                src: Ipv4Addr::LOCALHOST.into(),
                dst: Ipv4Addr::LOCALHOST.into(),
                protocol: 17,
                src_port: Some(5000),
                dst_port: Some(9),
            }),
        }),
        payload: &[],
        payload_at: None,
        problem: None,
        tunnel: None,
        fragment: None,
        cut_tcp_ports: None,
        app: None,
        checksum: Default::default(),
    };
    let n = run(&mut e, 1, &p, &Facts::default());
    assert_eq!(n.info, "Destination unreachable (Port unreachable)");
    assert_eq!(
        n.text,
        "port unreachable: nothing listens on UDP port 9 at 127.0.0.1"
    );
    assert_eq!(n.tone, Tone::Warning);
}

#[test]
fn test_arp_who_has() {
    let mut e = Explainer::new(Options::default());
    let p = Packet {
        link: Link::Ethernet {
            src: [2, 0, 0, 0, 0, 1],
            dst: [0xff; 6],
            vlans: Box::new([]),
        },
        net: Net::Arp(Box::new(Arp {
            operation: 1,
            hw_type: 1,
            proto_type: 0x0800,
            sender_hw: vec![2, 0, 0, 0, 0, 1],
            sender_proto: vec![10, 0, 0, 1],
            target_hw: vec![0; 6],
            target_proto: vec![10, 0, 0, 2],
        })),
        transport: Transport::None,
        payload: &[],
        payload_at: None,
        problem: None,
        tunnel: None,
        fragment: None,
        cut_tcp_ports: None,
        app: None,
        checksum: Default::default(),
    };
    let n = run(&mut e, 1, &p, &Facts::default());
    assert_eq!(n.source, "02:00:00:00:00:01");
    assert_eq!(n.destination, "Broadcast");
    assert_eq!(n.protocol, "ARP");
    assert_eq!(n.info, "Who has 10.0.0.2? Tell 10.0.0.1");
    assert_eq!(
        n.text,
        "ARP request (broadcast): who has 10.0.0.2? 10.0.0.1 needs its MAC address"
    );
}

#[test]
fn test_unsupported_link_gets_a_row() {
    let mut e = Explainer::new(Options::default());
    let p = Packet {
        link: Link::Unsupported { linktype: 160 },
        problem: Some(Box::new(Problem {
            layer: "link",
            kind: ProblemKind::Unsupported("link type 160 (USER13)".into()),
        })),
        ..Packet::default()
    };
    let n = run(&mut e, 1, &p, &Facts::default());
    assert_eq!(n.info, "link not decoded: link type 160 (USER13)");
    assert_eq!(n.text, "link not decoded: link type 160 (USER13)");
    assert_eq!(n.protocol, "USER");
    assert_eq!(n.tone, Tone::Warning);
    assert!(n.source.is_empty());
}

#[test]
fn test_truncated_tcp_payload_warns() {
    let mut e = Explainer::new(Options::default());
    let mut p = seg(true, PSH | ACK, 1, 1, b"hel");
    if let Transport::Tcp(t) = &mut p.transport {
        t.payload_len = 5;
        t.options.push(TcpOption::Nop);
    }
    p.problem = Some(Box::new(Problem {
        layer: "TCP",
        kind: ProblemKind::Truncated {
            needed: 5,
            available: 3,
        },
    }));
    let n = run(&mut e, 1, &p, &tfacts(true, 1, 1, |_| {}));
    assert!(
        n.text
            .starts_with("request \"hel\" (5 bytes, 3 captured); cut short"),
        "{}",
        n.text
    );
    assert_eq!(n.tone, Tone::Warning);
}

#[test]
fn test_memory_bounded_streams() {
    let mut e = Explainer::new(Options::default());
    for i in 0..(super::MAX_STREAMS as u64 + 10) {
        run(
            &mut e,
            i + 1,
            &datagram(true, 5000, b"x"),
            &ufacts(i, true, UdpFacts::default()),
        );
    }
    assert!(e.memory.streams.len() <= super::MAX_STREAMS);
}

/// An IPv4 header of a fragment of a UDP datagram (id 0x9c89).
fn fragment_net(offset: u16, more: bool) -> Net {
    let mut net = ipv4(17);
    if let Net::Ipv4(h) = &mut net {
        h.identification = 0x9c89;
        h.fragment_offset = offset;
        h.more_fragments = more;
        h.dont_fragment = false;
    }
    net
}

#[test]
fn test_held_fragment_is_data_with_its_place() {
    let mut e = Explainer::new(Options::default());
    let p = Packet {
        net: fragment_net(0, true),
        transport: Transport::Fragment { protocol: 17 },
        fragment: Some(FragmentInfo {
            index: 1,
            len: 1480,
            datagram_len: None,
            reassembled: false,
            first_frame: 1,
        }),
        ..Packet::default()
    };
    let n = run(&mut e, 1, &p, &Facts::default());
    assert_eq!(
        n.info,
        "Fragmented IP protocol (proto=UDP 17, off=0, ID=9c89)"
    );
    assert_eq!(
        n.text,
        "IPv4 fragment 1 of a UDP datagram (ID 0x9c89): bytes 0-1479, more fragments follow; \
         it holds the UDP header, shown once the datagram is whole"
    );
    assert_eq!(n.protocol, "IPv4");
}

#[test]
fn test_completing_fragment_shows_the_datagram() {
    let mut e = Explainer::new(Options::default());
    let p = Packet {
        net: fragment_net(2960, false),
        transport: Transport::Udp(Udp {
            src_port: 2049,
            dst_port: 1023,
            length: 4060,
            checksum: 0,
            payload_len: 4052,
        }),
        fragment: Some(FragmentInfo {
            index: 3,
            len: 1100,
            datagram_len: Some(4060),
            reassembled: true,
            first_frame: 1,
        }),
        ..Packet::default()
    };
    let n = run(&mut e, 3, &p, &Facts::default());
    assert_eq!(n.info, "2049 → 1023 Len=4052");
    assert!(
        n.text.starts_with(
            "last fragment to arrive: reassembled 3 fragments (from frame 1) into 1 UDP datagram of 4060 bytes; "
        ),
        "{}",
        n.text
    );
    assert_eq!(n.protocol, "UDP");
}

#[test]
fn test_tcp_header_cut_before_20_bytes_shows_ports() {
    let mut e = Explainer::new(Options::default());
    let p = Packet {
        net: ipv4(6),
        cut_tcp_ports: Some((12336, 12336)),
        problem: Some(Box::new(Problem {
            layer: "TCP",
            kind: ProblemKind::Truncated {
                needed: 20,
                available: 12,
            },
        })),
        ..Packet::default()
    };
    let n = run(&mut e, 1, &p, &Facts::default());
    assert_eq!(n.info, "12336 → 12336[Packet size limited during capture]");
    assert_eq!(n.protocol, "TCP");
}

/// The dense table evicts in the same order as a B-tree map's `pop_first`,
/// through removals, re-insertions below the eviction cursor, sweeps and evictions.
#[test]
fn test_table_evicts_like_btree() {
    use std::collections::BTreeMap;
    const CAP: usize = 3000;
    let mut fast: super::Table<u32, CAP> = Default::default();
    let mut slow: BTreeMap<(u8, u64), u32> = BTreeMap::new();
    let mut x: u64 = 12345;
    for step in 0..200_000u32 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = (((x >> 60) & 1) as u8, (x >> 33) % 5000);
        match (x >> 20) % 5 {
            0 | 1 => {
                if !slow.contains_key(&k) && slow.len() >= CAP {
                    slow.pop_first();
                }
                *slow.entry(k).or_default() += 1;
                *fast.get_or_insert_default(k).unwrap() += 1;
            }
            2 => assert_eq!(fast.remove(k), slow.remove(&k)),
            3 => {
                if slow.len() >= CAP {
                    slow.pop_first();
                    fast.pop_first();
                }
                slow.insert(k, step);
                *fast.get_or_insert_default(k).unwrap() = step;
            }
            _ => {
                slow.pop_first();
                fast.pop_first();
            }
        }
        assert_eq!(fast.len(), slow.len());
        assert_eq!(fast.get(k), slow.get(&k));
    }
    for (k, v) in &slow {
        assert_eq!(fast.get(*k), Some(v));
    }
}

/// A stream number far past any seen is not remembered (no huge table for it).
#[test]
fn test_table_refuses_far_key() {
    let mut t: super::Table<u32, 10> = Default::default();
    assert!(t.get_or_insert_default((0, u64::MAX)).is_none());
    assert!(t.get_or_insert_default((1, 7)).is_some());
    assert_eq!(t.len(), 1);
}

/// The Info written apart (as the reading thread of `wirelab read` writes it) is the Info the
/// explainer writes, Accurate ECN included (a fact of the tracker): the note is the same.
#[test]
fn test_given_tcp_info_same_with_accurate_ecn() {
    let options = Options::default();
    let ecn = TcpFlags::AE | TcpFlags::CWR | TcpFlags::ECE;
    let steps = [
        (
            seg(true, TcpFlags::SYN | ecn, CLIENT_ISN, 0, b""),
            tfacts(true, 0, 0, |_| {}),
        ),
        (
            seg(
                false,
                TcpFlags::SYN | TcpFlags::ACK | TcpFlags::AE,
                SERVER_ISN,
                CLIENT_ISN + 1,
                b"",
            ),
            tfacts(false, 0, 1, |_| {}),
        ),
        (
            seg(
                true,
                TcpFlags::ACK | TcpFlags::CWR,
                CLIENT_ISN + 1,
                SERVER_ISN + 1,
                b"",
            ),
            tfacts(true, 1, 1, |t| t.accurate_ecn = true),
        ),
    ];
    let (mut plain, mut given) = (Explainer::new(options), Explainer::new(options));
    let mut infos = Vec::new();
    for (i, (packet, facts)) in steps.iter().enumerate() {
        let f = frame(i as u64 + 1);
        let expected = plain.explain(&f, packet, facts);
        let mut info = String::new();
        assert!(crate::explain::tcp_info(&mut info, packet, facts, options));
        let mut note = Note::default();
        given.explain_with(
            &f,
            packet,
            facts,
            &mut note,
            crate::hints::Hints {
                key_hash: None,
                tcp_info: Some(&info),
            },
        );
        assert_eq!(note, expected, "segment {}", i + 1);
        infos.push((info, note.info));
    }
    let (apart, explained) = &infos[2];
    assert!(
        apart.contains("ACE=2") && explained == apart,
        "{apart} / {explained}"
    );
}
