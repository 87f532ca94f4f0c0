//! Unit tests of the tracker, named `test_<state>_<event>`: packets are built by
//! hand (the decode types are plain structs), fed in order, and the facts checked.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::decode::{Icmp, Ipv4, Net, Quoted, Tcp, TcpFlags, TcpOption, Udp};

const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const LOOP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

const S: u16 = TcpFlags::SYN;
const SA: u16 = TcpFlags::SYN | TcpFlags::ACK;
const A: u16 = TcpFlags::ACK;
const PA: u16 = TcpFlags::PSH | TcpFlags::ACK;
const FA: u16 = TcpFlags::FIN | TcpFlags::ACK;
const RA: u16 = TcpFlags::RST | TcpFlags::ACK;

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr) -> Ipv4 {
    Ipv4 {
        src,
        dst,
        header_len: 20,
        total_len: 0,
        identification: 0,
        dont_fragment: true,
        more_fragments: false,
        fragment_offset: 0,
        ttl: 64,
        protocol: 6,
        checksum: 0,
        dscp: 0,
        ecn: 0,
        route_dst: None,
    }
}

/// One TCP segment: (src ip, src port) → (dst ip, dst port).
#[allow(clippy::too_many_arguments)]
fn seg(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    flags: u16,
    seq: u32,
    ack: u32,
    window: u16,
    len: u32,
    options: Vec<TcpOption>,
) -> Packet<'static> {
    Packet {
        net: Net::Ipv4(ipv4(src.0, dst.0)),
        transport: Transport::Tcp(Tcp {
            src_port: src.1,
            dst_port: dst.1,
            seq,
            ack,
            header_len: 20,
            flags: TcpFlags(flags),
            window,
            checksum: 0,
            urgent_ptr: 0,
            options: options.into(),
            payload_len: len,
            short: false,
        }),
        ..Packet::default()
    }
}

fn datagram(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), len: u32) -> Packet<'static> {
    Packet {
        net: Net::Ipv4(ipv4(src.0, dst.0)),
        transport: Transport::Udp(Udp {
            src_port: src.1,
            dst_port: dst.1,
            length: u16::try_from(len + 8).unwrap_or(u16::MAX),
            checksum: 0,
            payload_len: len,
        }),
        ..Packet::default()
    }
}

/// Feeds packets as frames 1, 2, ... one millisecond apart.
struct Run {
    tracker: Tracker,
    frame: u64,
}

impl Run {
    fn new() -> Self {
        Run {
            tracker: Tracker::new(),
            frame: 0,
        }
    }
    fn feed(&mut self, p: &Packet<'_>) -> Facts {
        self.frame += 1;
        let ms = i64::try_from(self.frame).unwrap_or(0);
        let ts = Timestamp {
            secs: 1000 + ms / 1000,
            nanos: u32::try_from((ms % 1000) * 1_000_000).unwrap_or(0),
        };
        self.tracker.observe(
            FrameMeta {
                number: self.frame,
                ts,
                orig_len: 60,
            },
            p,
        )
    }
    fn tcp(&mut self, p: &Packet<'_>) -> TcpFacts {
        self.feed(p).tcp.unwrap_or_default()
    }
}

const C: (Ipv4Addr, u16) = (CLIENT, 40000);
const SV: (Ipv4Addr, u16) = (SERVER, 12000);

/// SYN, SYN-ACK, ACK with ISNs 1000 (client) and 5000 (server).
fn handshake(run: &mut Run) -> [TcpFacts; 3] {
    [
        run.tcp(&seg(
            C,
            SV,
            S,
            1000,
            0,
            65535,
            0,
            vec![TcpOption::WindowScale(7)],
        )),
        run.tcp(&seg(
            SV,
            C,
            SA,
            5000,
            1001,
            65000,
            0,
            vec![TcpOption::WindowScale(2)],
        )),
        run.tcp(&seg(C, SV, A, 1001, 5001, 512, 0, vec![])),
    ]
}

#[test]
fn test_closed_syn_opens_stream() {
    let mut run = Run::new();
    let f = run.feed(&seg(C, SV, S, 1000, 0, 65535, 0, vec![]));
    assert_eq!(f.stream, Some(0));
    assert_eq!(f.proto, Some(Proto::Tcp));
    assert_eq!(f.direction, Some(Direction::FromClient));
    assert!(f.opens_conversation);
    let t = f.tcp.unwrap_or_default();
    assert_eq!((t.rel_seq, t.rel_ack, t.next_seq), (0, 0, 1));
    assert_eq!(t.handshake_step, Some(1));
    assert_eq!(t.state, TcpState::SynSent);
    assert_eq!(t.window, 65535);
}

#[test]
fn test_syn_sent_synack_then_ack_completes_handshake() {
    let mut run = Run::new();
    let [_, synack, ack] = handshake(&mut run);
    assert_eq!(synack.handshake_step, Some(2));
    assert_eq!((synack.rel_seq, synack.rel_ack), (0, 1));
    assert_eq!(synack.state, TcpState::SynReceived);
    assert_eq!(synack.acks_frame, Some(1));
    assert_eq!(ack.handshake_step, Some(3));
    assert_eq!((ack.rel_seq, ack.rel_ack), (1, 1));
    assert_eq!(ack.state, TcpState::Established);
    // Both sides sent WS: the client's window is scaled by 2^7 after the SYN.
    assert_eq!(ack.window, 512 * 128);
    assert_eq!(ack.window_scale, Some(128));
    let conv = run.tracker.finish();
    assert!(conv[0].handshake_complete);
    assert_eq!(conv[0].initial_rtt_ns, Some(2_000_000));
}

#[test]
fn test_established_data_newly_acked() {
    let mut run = Run::new();
    handshake(&mut run);
    let data = run.tcp(&seg(C, SV, PA, 1001, 5001, 512, 5, vec![]));
    assert_eq!((data.rel_seq, data.next_seq), (1, 6));
    let ack = run.tcp(&seg(SV, C, A, 5001, 1006, 250, 0, vec![]));
    assert_eq!(ack.rel_ack, 6);
    assert_eq!(ack.newly_acked, 5);
    assert_eq!(ack.acks_frame, Some(4));
    assert_eq!(ack.window, 250 * 4);
}

#[test]
fn test_established_fin_first_fin_and_teardown() {
    let mut run = Run::new();
    handshake(&mut run);
    let fin1 = run.tcp(&seg(SV, C, FA, 5001, 1001, 250, 0, vec![]));
    assert!(fin1.first_fin);
    assert_eq!(fin1.state, TcpState::FinWait1);
    let ack1 = run.tcp(&seg(C, SV, A, 1001, 5002, 512, 0, vec![]));
    assert_eq!(ack1.state, TcpState::CloseWait);
    assert_eq!(ack1.newly_acked, 0, "a FIN's sequence number is not data");
    assert_eq!(
        ack1.acks_fin,
        Some(4),
        "the first ACK of the server's FIN (frame 4)"
    );
    assert!(!ack1.closes);
    let fin2 = run.tcp(&seg(C, SV, FA, 1001, 5002, 512, 0, vec![]));
    assert!(!fin2.first_fin);
    assert_eq!(fin2.state, TcpState::LastAck);
    assert_eq!(
        fin2.acks_fin, None,
        "frame 4's FIN was acknowledged already"
    );
    let last = run.tcp(&seg(SV, C, A, 5002, 1002, 250, 0, vec![]));
    assert_eq!(last.state, TcpState::TimeWait);
    assert_eq!(last.acks_fin, Some(6));
    assert!(last.closes, "both FINs acknowledged");
    let conv = run.tracker.finish();
    let c = &conv[0];
    assert_eq!(c.first_fin_by, Some(Direction::FromServer));
    assert!(c.teardown_complete);
    assert_eq!(c.zeek_state, "SF");
    assert_eq!(c.history, "ShAfFa");
    assert_eq!(c.from_client.frames, 4);
    assert_eq!(c.from_server.frames, 3);
}

#[test]
fn test_fin_wait1_fin_ack_time_wait() {
    let mut run = Run::new();
    handshake(&mut run);
    let fin1 = run.tcp(&seg(C, SV, FA, 1001, 5001, 512, 0, vec![]));
    assert_eq!(fin1.state, TcpState::FinWait1);
    // The server's FIN also acknowledges the client's FIN.
    run.tcp(&seg(SV, C, FA, 5001, 1002, 250, 0, vec![]));
    let conv = run.tracker.finish();
    assert_eq!(conv[0].zeek_state, "SF");
}

#[test]
fn test_closed_syn_new_isn_reuses_ports() {
    let mut run = Run::new();
    handshake(&mut run);
    run.tcp(&seg(C, SV, RA, 1001, 5001, 512, 0, vec![]));
    let f = run.feed(&seg(C, SV, S, 9000, 0, 65535, 0, vec![]));
    assert_eq!(f.stream, Some(1));
    assert!(f.opens_conversation);
    let t = f.tcp.unwrap_or_default();
    assert!(t.analysis.has(Analysis::PORT_REUSED));
    assert_eq!(t.rel_seq, 0);
    let conv = run.tracker.finish();
    assert_eq!(conv.len(), 2);
    assert_eq!(conv[0].zeek_state, "RSTO");
    assert_eq!(conv[0].first_rst_by, Some(Direction::FromClient));
}

#[test]
fn test_syn_sent_same_isn_retransmission() {
    let mut run = Run::new();
    run.tcp(&seg(C, SV, S, 1000, 0, 65535, 0, vec![]));
    let f = run.feed(&seg(C, SV, S, 1000, 0, 65535, 0, vec![]));
    assert_eq!(f.stream, Some(0));
    let t = f.tcp.unwrap_or_default();
    assert!(t.analysis.has(Analysis::RETRANSMISSION));
    assert_eq!(t.retransmits, Some(1));
}

#[test]
fn test_syn_sent_rst_rejected() {
    let mut run = Run::new();
    run.tcp(&seg(C, SV, S, 1000, 0, 65535, 0, vec![]));
    let rst = run.tcp(&seg(SV, C, RA, 0, 1001, 0, 0, vec![]));
    assert_eq!(rst.rel_ack, 1);
    assert!(rst.analysis.is_empty());
    assert!(
        rst.refused,
        "a RST from the server answers the SYN: refused"
    );
    assert!(rst.closes);
    let conv = run.tracker.finish();
    assert_eq!(conv[0].zeek_state, "REJ");
    assert_eq!(conv[0].history, "Sr");
    assert!(!conv[0].handshake_complete);
}

#[test]
fn test_established_dup_ack_counts() {
    let mut run = Run::new();
    handshake(&mut run);
    run.tcp(&seg(C, SV, A, 1001, 5001, 512, 100, vec![]));
    let gap = run.tcp(&seg(C, SV, A, 1201, 5001, 512, 100, vec![]));
    assert!(gap.analysis.has(Analysis::LOST_SEGMENT));
    run.tcp(&seg(SV, C, A, 5001, 1101, 250, 0, vec![]));
    let d1 = run.tcp(&seg(SV, C, A, 5001, 1101, 250, 0, vec![]));
    let d2 = run.tcp(&seg(SV, C, A, 5001, 1101, 250, 0, vec![]));
    assert_eq!(d1.dup_ack, Some((6, 1)));
    assert_eq!(d2.dup_ack, Some((6, 2)));
    let fast = run.tcp(&seg(C, SV, A, 1101, 5001, 512, 100, vec![]));
    assert!(fast.analysis.has(Analysis::FAST_RETRANSMISSION));
    assert!(fast.analysis.has(Analysis::RETRANSMISSION));
    let labels: Vec<_> = fast.analysis.info_labels().map(|(_, l)| l).collect();
    assert_eq!(labels, vec!["TCP Fast Retransmission"]);
}

#[test]
fn test_established_keep_alive_then_ack() {
    let mut run = Run::new();
    handshake(&mut run);
    let ka = run.tcp(&seg(C, SV, A, 1000, 5001, 512, 0, vec![]));
    assert!(ka.analysis.has(Analysis::KEEP_ALIVE));
    assert!(!ka.analysis.has(Analysis::RETRANSMISSION));
    run.tcp(&seg(SV, C, A, 5001, 1001, 250, 0, vec![]));
    let ack = run.tcp(&seg(SV, C, A, 5001, 1001, 250, 0, vec![]));
    // The server repeats its ACK while the client's last segment is the keep-alive.
    assert!(ack.analysis.has(Analysis::KEEP_ALIVE_ACK));
}

#[test]
fn test_established_zero_window_then_update() {
    let mut run = Run::new();
    handshake(&mut run);
    let zw = run.tcp(&seg(SV, C, A, 5001, 1001, 0, 0, vec![]));
    assert!(zw.analysis.has(Analysis::ZERO_WINDOW));
    let probe = run.tcp(&seg(C, SV, A, 1001, 5001, 512, 1, vec![]));
    assert!(probe.analysis.has(Analysis::ZERO_WINDOW_PROBE));
    let upd = run.tcp(&seg(SV, C, A, 5001, 1001, 100, 0, vec![]));
    assert!(upd.analysis.has(Analysis::WINDOW_UPDATE));
}

#[test]
fn test_closed_midstream_data_relative_from_one() {
    let mut run = Run::new();
    let f = run.feed(&seg(SV, C, PA, 777, 3333, 300, 10, vec![]));
    // Without a SYN, the sender of the first frame is the client.
    assert_eq!(f.direction, Some(Direction::FromClient));
    let t = f.tcp.unwrap_or_default();
    assert_eq!((t.rel_seq, t.rel_ack), (1, 1));
    assert_eq!(t.window, 300, "no handshake: the window is not scaled");
    assert_eq!(t.state, TcpState::Established);
    let conv = run.tracker.finish();
    assert_eq!(conv[0].client.ip, IpAddr::V4(SERVER));
    assert_eq!(conv[0].zeek_state, "OTH");
}

#[test]
fn test_closed_synack_first_server_is_sender() {
    let mut run = Run::new();
    let f = run.feed(&seg(SV, C, SA, 5000, 1001, 300, 0, vec![]));
    assert_eq!(f.direction, Some(Direction::FromServer));
}

#[test]
fn test_loopback_same_ip_direction_by_port() {
    let mut run = Run::new();
    let cl = (LOOP, 58458);
    let sv = (LOOP, 23456);
    run.feed(&seg(cl, sv, S, 1, 0, 65495, 0, vec![]));
    let synack = run.feed(&seg(sv, cl, SA, 9, 2, 65483, 0, vec![]));
    assert_eq!(synack.direction, Some(Direction::FromServer));
    let ack = run.feed(&seg(cl, sv, A, 2, 10, 512, 0, vec![]));
    assert_eq!(ack.direction, Some(Direction::FromClient));
    assert_eq!(ack.stream, Some(0));
}

#[test]
fn test_established_icmp_error_changes_nothing() {
    let mut run = Run::new();
    handshake(&mut run);
    let icmp = Packet {
        net: Net::Ipv4(ipv4(SERVER, CLIENT)),
        transport: Transport::Icmpv4(Icmp {
            icmp_type: 3,
            code: 3,
            checksum: 0,
            rest_of_header: [0; 4],
            echo: None,
            quoted: Some(Quoted {
                src: IpAddr::V4(CLIENT),
                dst: IpAddr::V4(SERVER),
                protocol: 6,
                src_port: Some(C.1),
                dst_port: Some(SV.1),
            }),
        }),
        ..Packet::default()
    };
    // No TCP facts: only the ICMP flow it counts in.
    assert_eq!(
        run.feed(&icmp),
        Facts {
            flow: Some((Proto::Icmp, 0)),
            ..Facts::default()
        }
    );
    let conv = run.tracker.finish();
    // The TCP conversation is untouched; the error is an ICMP flow of its own (Zeek's
    // one-way flow: type 3 as the source "port", code 3 as the destination's).
    assert_eq!(conv.len(), 2);
    assert_eq!(conv[0].from_client.frames + conv[0].from_server.frames, 3);
    assert_eq!(conv[1].proto, Proto::Icmp);
    assert_eq!((conv[1].client.port, conv[1].server.port), (3, 3));
    assert_eq!(conv[1].zeek_state, "OTH");
}

#[test]
fn test_closed_fragment_ignored() {
    // A fragment shown as data (not the one completing its datagram) counts nowhere.
    let mut run = Run::new();
    let mut p = datagram(C, SV, 4000);
    if let Net::Ipv4(h) = &mut p.net {
        h.more_fragments = true;
    }
    p.transport = Transport::Fragment { protocol: 17 };
    assert_eq!(run.feed(&p), Facts::default());
    assert!(run.tracker.finish().is_empty());
}

#[test]
fn test_udp_request_reply_pairs() {
    let mut run = Run::new();
    let req = run.feed(&datagram(C, SV, 5));
    assert_eq!(req.stream, Some(0));
    assert_eq!(req.proto, Some(Proto::Udp));
    assert_eq!(
        req.udp,
        Some(UdpFacts {
            reply_to: None,
            previous_client_port: None
        })
    );
    let rep = run.feed(&datagram(SV, C, 5));
    assert_eq!(rep.direction, Some(Direction::FromServer));
    assert_eq!(rep.udp.and_then(|u| u.reply_to), Some(1));
    let conv = run.tracker.finish();
    assert_eq!(conv[0].udp_answered, 1);
    assert_eq!(conv[0].zeek_state, "SF");
    assert_eq!(conv[0].history, "Dd");
}

#[test]
fn test_udp_new_client_port_previous_run() {
    let mut run = Run::new();
    run.feed(&datagram(C, SV, 5));
    run.feed(&datagram(SV, C, 5));
    let again = run.feed(&datagram((CLIENT, 40001), SV, 5));
    assert_eq!(again.stream, Some(1));
    assert!(again.opens_conversation);
    assert_eq!(again.udp.and_then(|u| u.previous_client_port), Some(40000));
}

#[test]
fn test_tcp_and_udp_streams_counted_apart() {
    let mut run = Run::new();
    assert_eq!(run.feed(&datagram(C, SV, 5)).stream, Some(0));
    assert_eq!(
        run.feed(&seg(C, SV, S, 1, 0, 100, 0, vec![])).stream,
        Some(0)
    );
    assert_eq!(run.feed(&datagram((CLIENT, 1), SV, 5)).stream, Some(1));
    let conv = run.tracker.finish();
    assert_eq!(
        conv.iter().map(|c| c.proto).collect::<Vec<_>>(),
        vec![Proto::Tcp, Proto::Udp, Proto::Udp]
    );
}

#[test]
fn test_non_ip_frame_default_facts() {
    let mut run = Run::new();
    assert_eq!(run.feed(&Packet::default()), Facts::default());
}

/// Thousands of interleaved conversations (the index grows several times), ports
/// reused, UDP beside TCP: the hash computed ahead gives the same facts as none.
#[test]
fn test_many_conversations_hash_given_same_facts() {
    let mut plain = Run::new();
    let mut hashed = Run::new();
    let mut packets = Vec::new();
    for round in 0..2u32 {
        for port in 0..3000u16 {
            let client = (CLIENT, 20000 + port);
            // The second round reuses every port with a new ISN, after a reset.
            let isn = 1000 + round * 100_000;
            packets.push(seg(client, SV, S, isn, 0, 65535, 0, vec![]));
            packets.push(datagram((LOOP, 30000 + port), (SERVER, 53), 10));
        }
        for port in 0..3000u16 {
            let client = (CLIENT, 20000 + port);
            let isn = 1000 + round * 100_000;
            packets.push(seg(SV, client, SA, 5000, isn + 1, 65000, 0, vec![]));
            packets.push(datagram((SERVER, 53), (LOOP, 30000 + port), 10));
            packets.push(seg(client, SV, RA, isn + 1, 5001, 512, 0, vec![]));
        }
    }
    for p in &packets {
        let a = plain.feed(p);
        hashed.frame += 1;
        let ms = i64::try_from(hashed.frame).unwrap_or(0);
        let ts = Timestamp {
            secs: 1000 + ms / 1000,
            nanos: u32::try_from((ms % 1000) * 1_000_000).unwrap_or(0),
        };
        let meta = FrameMeta {
            number: hashed.frame,
            ts,
            orig_len: 60,
        };
        let b = hashed.tracker.observe_with(
            meta,
            p,
            crate::hints::Hints {
                key_hash: Tracker::key_hash(p),
                tcp_info: None,
            },
        );
        assert_eq!(a, b, "frame {}", hashed.frame);
    }
    let conversations = plain.tracker.finish();
    // 6000 TCP streams (3000 ports, each used twice), 3000 UDP ones.
    assert_eq!(
        conversations
            .iter()
            .filter(|c| c.proto == Proto::Tcp)
            .count(),
        6000
    );
    assert_eq!(
        conversations
            .iter()
            .filter(|c| c.proto == Proto::Udp)
            .count(),
        3000
    );
    assert!(
        conversations
            .iter()
            .all(|c| c.from_client.frames + c.from_server.frames >= 2)
    );
}

#[test]
fn test_established_rst_not_refused() {
    let mut run = Run::new();
    handshake(&mut run);
    let rst = run.tcp(&seg(SV, C, RA, 5001, 1001, 0, 0, vec![]));
    assert!(
        !rst.refused,
        "after a SYN-ACK, a RST aborts; it does not refuse"
    );
    assert!(rst.closes);
}

#[test]
fn test_syn_sent_accurate_ecn_negotiated() {
    let ecn = TcpFlags::AE | TcpFlags::CWR | TcpFlags::ECE;
    let mut run = Run::new();
    let syn = run.tcp(&seg(C, SV, S | ecn, 1000, 0, 65535, 0, vec![]));
    assert!(!syn.accurate_ecn, "only the SYN asked so far");
    let synack = run.tcp(&seg(SV, C, SA | TcpFlags::AE, 5000, 1001, 65000, 0, vec![]));
    assert!(synack.accurate_ecn);
    let ack = run.tcp(&seg(C, SV, A | TcpFlags::CWR, 1001, 5001, 512, 0, vec![]));
    assert!(
        ack.accurate_ecn,
        "the ECN flags of later segments are the ACE counter"
    );
    // Without the SYN's request, nothing is negotiated.
    let mut plain = Run::new();
    plain.tcp(&seg(C, SV, S, 1000, 0, 65535, 0, vec![]));
    let synack = plain.tcp(&seg(SV, C, SA | TcpFlags::AE, 5000, 1001, 65000, 0, vec![]));
    assert!(!synack.accurate_ecn);
}

/// The client of the `i`-th conversation of a flood (distinct ports, then addresses).
fn flood_client(i: u32) -> (Ipv4Addr, u16) {
    let [a, b] = u16::try_from(i / 50_000).unwrap_or(0).to_be_bytes();
    (
        Ipv4Addr::new(10, 1, a, b),
        10_000 + u16::try_from(i % 50_000).unwrap_or(0),
    )
}

/// Issue 13, item 14: a flood of SYNs nobody answers. At most [`MAX_LIVE`] conversations
/// hold their full state; every other one is held quiet (no allocation of its own), and a
/// quiet one that is answered later gets the very facts and summary it would have got had
/// it stayed live.
#[test]
fn test_syn_sent_flood_live_state_bounded() {
    let n = u32::try_from(MAX_LIVE).unwrap_or(u32::MAX) + 3000;
    let mut run = Run::new();
    for i in 0..n {
        run.tcp(&seg(flood_client(i), SV, S, 1000 + i, 0, 64240, 0, vec![]));
        assert!(run.tracker.live_conversations() <= MAX_LIVE, "SYN {i}");
    }
    assert_eq!(run.tracker.live_conversations(), MAX_LIVE);
    let quiet = run
        .tracker
        .tcp
        .chunks
        .iter()
        .flatten()
        .filter(|(_, conv)| conv.is_quiet())
        .count();
    assert_eq!(quiet, 3000, "the 3,000 least recent SYNs are held quiet");
    // The first conversation, quiet by now, is answered and used.
    let first = flood_client(0);
    let late = [
        seg(SV, first, SA, 5000, 1001, 65535, 0, vec![]),
        seg(first, SV, A, 1001, 5001, 64240, 0, vec![]),
        seg(first, SV, PA, 1001, 5001, 64240, 10, vec![]),
        seg(SV, first, A, 5001, 1011, 65535, 0, vec![]),
    ];
    let got: Vec<TcpFacts> = late.iter().map(|p| run.tcp(p)).collect();
    // The same conversation alone, its frames numbered and timed as in the flood.
    let mut alone = Run::new();
    alone.tcp(&seg(first, SV, S, 1000, 0, 64240, 0, vec![]));
    alone.frame = u64::from(n);
    let expected: Vec<TcpFacts> = late.iter().map(|p| alone.tcp(p)).collect();
    assert_eq!(got, expected);
    assert_eq!(got.first().map(|t| t.acks_frame), Some(Some(1)));
    let conversations = run.tracker.finish();
    let alone = alone.tracker.finish();
    assert_eq!(conversations.first(), alone.first());
    assert_eq!(conversations.len(), usize::try_from(n).unwrap_or(0));
    assert!(conversations.iter().skip(1).all(|c| c.zeek_state == "S0"));
}

/// A connection that closes (both FINs acknowledged) gives its live state up at once; a
/// late retransmission of its FIN is still analysed as one, and it is given up again.
#[test]
fn test_time_wait_closed_frees_live_state() {
    let mut run = Run::new();
    handshake(&mut run);
    run.tcp(&seg(C, SV, PA, 1001, 5001, 512, 10, vec![]));
    run.tcp(&seg(SV, C, A, 5001, 1011, 512, 0, vec![]));
    run.tcp(&seg(C, SV, FA, 1011, 5001, 512, 0, vec![]));
    run.tcp(&seg(SV, C, FA, 5001, 1012, 512, 0, vec![]));
    assert_eq!(run.tracker.live_conversations(), 1);
    let closing = run.tcp(&seg(C, SV, A, 1012, 5002, 512, 0, vec![]));
    assert!(closing.closes);
    assert_eq!(run.tracker.live_conversations(), 0);
    let again = run.tcp(&seg(SV, C, FA, 5001, 1012, 512, 0, vec![]));
    assert!(again.analysis.has(Analysis::RETRANSMISSION), "{again:?}");
    assert_eq!(again.rel_seq, 1);
    let dup = run.tcp(&seg(C, SV, A, 1012, 5002, 512, 0, vec![]));
    assert_eq!(dup.dup_ack, Some((8, 1)), "{dup:?}");
    assert_eq!(run.tracker.live_conversations(), 0);
    let conversations = run.tracker.finish();
    assert!(conversations.first().is_some_and(|c| c.teardown_complete));
}

/// What every conversation keeps for its whole life, in the tracker's list (its index
/// slot aside): the README's figure.
#[test]
fn test_conversation_record_size_bounded() {
    assert!(
        std::mem::size_of::<(Common, TcpConv)>() <= 224,
        "{}",
        std::mem::size_of::<(Common, TcpConv)>()
    );
}

/// Issue 15, "Dup ACK vs Window Update on gaps": tshark compares window fields unscaled,
/// so after a scaled handshake an ACK repeating the SYN-ACK's field is a duplicate ACK
/// (wirelab compared 512 << 7 with the SYN-ACK's unscaled 512: a window update).
#[test]
fn test_established_gap_dup_ack_compares_unscaled_windows() {
    let mut run = Run::new();
    let ws = || vec![TcpOption::WindowScale(7)];
    run.tcp(&seg(C, SV, S, 1000, 0, 64240, 0, ws()));
    run.tcp(&seg(SV, C, SA, 5000, 1001, 512, 0, ws()));
    run.tcp(&seg(C, SV, A, 1001, 5001, 502, 0, vec![]));
    let gap = run.tcp(&seg(C, SV, PA, 1011, 5001, 502, 10, vec![]));
    assert!(gap.analysis.has(Analysis::LOST_SEGMENT));
    let dup = run.tcp(&seg(SV, C, A, 5001, 1001, 512, 0, vec![]));
    assert_eq!(dup.analysis, Analysis(Analysis::DUP_ACK), "{dup:?}");
    assert_eq!(dup.dup_ack, Some((2, 1)));
    assert_eq!(dup.window, 65536, "the facts keep the scaled window");
}

/// Issue 15, "ACKed unseen segment raised where tshark raises nothing": without a hole,
/// an ACK beyond what the peer sent is reported only while the peer has no duplicate ACK
/// counted, and once (the peer's count is -1 until it acknowledges something new; its
/// next duplicate ACK is #1).
#[test]
fn test_established_acked_unseen_reported_once() {
    let mut run = Run::new();
    handshake(&mut run);
    let dup = run.tcp(&seg(SV, C, A, 5001, 1001, 65000, 0, vec![]));
    assert!(dup.analysis.has(Analysis::DUP_ACK));
    let beyond = run.tcp(&seg(C, SV, A, 1001, 5006, 512, 0, vec![]));
    assert!(
        !beyond.analysis.has(Analysis::ACK_LOST_SEGMENT),
        "{beyond:?}"
    );
    let again = run.tcp(&seg(SV, C, A, 5001, 1001, 65000, 0, vec![]));
    assert_eq!(again.dup_ack.map(|d| d.1), Some(1), "{again:?}");
    // A hole in the server's data, then an ACK beyond it: reported.
    run.tcp(&seg(SV, C, PA, 5011, 1001, 65000, 10, vec![]));
    let hole = run.tcp(&seg(C, SV, A, 1001, 5021, 512, 0, vec![]));
    assert!(hole.analysis.has(Analysis::ACK_LOST_SEGMENT), "{hole:?}");
}

/// Issue 15, "relative sequence numbers after port reuse": a SYN-ACK with another initial
/// sequence number keeps its stream, is marked as reusing the ports, and its side is
/// numbered from the new number from then on (the other side from its old one).
#[test]
fn test_syn_received_synack_new_isn_renumbers_its_side() {
    let mut run = Run::new();
    run.tcp(&seg(C, SV, S, 1000, 0, 1000, 0, vec![]));
    run.tcp(&seg(SV, C, SA, 5000, 1001, 1000, 0, vec![]));
    let f = run.feed(&seg(SV, C, SA, 6000, 1001, 1000, 0, vec![]));
    assert_eq!(f.stream, Some(0));
    assert!(!f.opens_conversation);
    let t = f.tcp.unwrap_or_default();
    assert!(t.analysis.has(Analysis::PORT_REUSED), "{t:?}");
    assert_eq!((t.rel_seq, t.rel_ack), (0, 1));
    let ack = run.tcp(&seg(C, SV, A, 1001, 6001, 1000, 0, vec![]));
    assert_eq!((ack.rel_seq, ack.rel_ack), (1, 1));
}

/// tshark writes each analysis label in front of the Info column as it checks the flags,
/// so they read in the reverse of its checking order.
#[test]
fn test_analysis_info_labels_in_tshark_order() {
    let a = Analysis(
        Analysis::PORT_REUSED
            | Analysis::LOST_SEGMENT
            | Analysis::ACK_LOST_SEGMENT
            | Analysis::ZERO_WINDOW
            | Analysis::KEEP_ALIVE,
    );
    let labels: Vec<&str> = a.info_labels().map(|(_, l)| l).collect();
    assert_eq!(
        labels,
        [
            "TCP ZeroWindow",
            "TCP Keep-Alive",
            "TCP ACKed unseen segment",
            "TCP Previous segment not captured",
            "TCP Port numbers reused"
        ]
    );
}
