//! The Info column and the plain-language note for one frame, with the little
//! per-conversation memory they need (handshake seen, last request, FINs and
//! their ACKs, ICMP echo requests). Memory is bounded and dropped when a
//! conversation closes; no I/O.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::info;
use super::lab::{Comparison, Part, Words};
use super::{Note, Options, Tone};
use crate::decode::{
    ChecksumStatus, Icmp, Link, Net, Packet, ProblemKind, Tcp, TcpFlags, Transport,
};
use crate::fmt::push_u32;
use crate::fmt::push_u64;
use crate::source::Frame;
use crate::text;
use crate::track::{Analysis, Direction, Facts, Proto, TcpFacts};
use table::{Key, Table};

mod table;

/// Open conversations remembered at once; beyond, the oldest is forgotten.
pub const MAX_STREAMS: usize = 16_384;
/// Conversation summaries kept for the verdicts.
pub const MAX_SUMMARIES: usize = 1 << 20;
/// ICMP echo requests remembered to pair replies.
const MAX_ECHOES: usize = 4096;

/// What the verdict needs to know about a conversation's data, kept after it closes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Requests: runs of data from the client.
    pub requests: u32,
    /// Replies: runs of data from the server.
    pub replies: u32,
    /// The server answered the client's SYN with a RST.
    pub refused: bool,
}

/// What is remembered about one open conversation.
#[derive(Debug, Default)]
struct Stream {
    /// Direction of the last data seen.
    last_data: Option<Direction>,
}

/// The explainer's memory across frames.
#[derive(Debug, Default)]
pub struct Memory {
    /// Boxed: a closed or forgotten conversation's slot costs 8 bytes.
    streams: Table<Box<Stream>, MAX_STREAMS>,
    /// Kept for every conversation seen (up to MAX_SUMMARIES).
    summaries: Table<Summary, MAX_SUMMARIES>,
    /// Echo requests by (addresses, lower first; checksum key; identifier and sequence):
    /// their frame, and whether a reply took them (see `pair_echo`).
    echoes: HashMap<(IpAddr, IpAddr, u32, u32), (u64, bool)>,
}

fn proto_key(proto: Proto) -> u8 {
    match proto {
        Proto::Tcp => 0,
        Proto::Udp => 1,
        Proto::Icmp => 2,
        Proto::Other(_) => 3,
    }
}

impl Memory {
    /// The summary of a conversation, when it was seen.
    pub fn summary(&self, proto: Proto, stream: u64) -> Option<Summary> {
        self.summaries.get((proto_key(proto), stream)).copied()
    }
}

fn side(dir: Option<Direction>) -> &'static str {
    match dir {
        Some(Direction::FromClient) => "client",
        Some(Direction::FromServer) => "server",
        None => "sender",
    }
}

fn peer(dir: Option<Direction>) -> &'static str {
    match dir {
        Some(Direction::FromClient) => "server",
        Some(Direction::FromServer) => "client",
        None => "peer",
    }
}

fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push_str("; ");
    }
}

pub(crate) fn write_endpoint(out: &mut String, ip: IpAddr, port: u16) {
    let _ = match ip {
        IpAddr::V4(a) => write!(out, "{a}:{port}"),
        IpAddr::V6(a) => write!(out, "[{a}]:{port}"),
    };
}

fn write_len(out: &mut String, declared: u64, captured: usize) {
    let unit = if declared == 1 { "byte" } else { "bytes" };
    out.push('(');
    push_u64(out, declared);
    out.push(' ');
    out.push_str(unit);
    if (captured as u64) < declared {
        out.push_str(", ");
        push_u64(out, captured as u64);
        out.push_str(" captured");
    }
    out.push(')');
}

/// Writes Info, text and tone for one frame. `tcp_info`: a TCP segment's Info as
/// [`super::tcp_info`] wrote it (a pure function of packet and facts), used as it is.
/// `app_claimed`: an application writer ([`super::app`], [`super::web`]) already wrote the
/// Info and the note of the payload; then a UDP datagram gets no more words, and a TCP
/// segment only its TCP words (handshake, analysis, acknowledgement), never the lab's
/// request/reply words.
#[allow(clippy::too_many_arguments)]
pub fn write(
    memory: &mut Memory,
    app_claimed: bool,
    options: Options,
    frame: &Frame<'_>,
    packet: &Packet<'_>,
    facts: &Facts,
    note: &mut Note,
    tcp_info: Option<&str>,
    lab: &Words,
) {
    let Note {
        info, text, tone, ..
    } = note;
    match (&packet.net, &packet.transport) {
        (Net::PppControl { protocol, code }, _) => {
            let name = crate::decode::names::ppp_control_code_name(*protocol, *code);
            match name {
                Some(n) => info.push_str(n),
                None => {
                    let _ = write!(info, "Unknown code {code}");
                }
            }
            let _ = write!(
                text,
                "{} {}: PPP sets up the link before it carries IP",
                crate::decode::names::ppp_protocol_name(*protocol),
                name.unwrap_or("packet")
            );
        }
        (Net::Ipv4(ip), Transport::Fragment { .. } | Transport::None)
            if info::ipv4_is_fragment(ip) =>
        {
            info::write_ipv4_fragment_info(info, ip);
            let id = format!("ID 0x{:04x}", ip.identification);
            fragment_note(
                text,
                "IPv4",
                ip.protocol,
                &id,
                ip.fragment_offset,
                ip.more_fragments,
                packet,
            );
        }
        (Net::Ipv6(ip), Transport::Fragment { .. } | Transport::None) if ip.fragment.is_some() => {
            info::write_ipv6_fragment_info(info, ip);
            if let Some(f) = ip.fragment {
                let id = format!("identification 0x{:08x}", f.identification);
                fragment_note(
                    text,
                    "IPv6",
                    ip.protocol,
                    &id,
                    f.offset,
                    f.more_fragments,
                    packet,
                );
            }
        }
        (_, Transport::None) if packet.cut_tcp_ports.is_some() => {
            if let Some((sport, dport)) = packet.cut_tcp_ports {
                // Wireshark writes the ports, then meets the end of the bytes.
                let _ = write!(info, "{sport} → {dport}");
                info::write_problem_suffix(info, packet);
                let _ = write!(
                    text,
                    "TCP segment {sport} → {dport}: only the ports were captured"
                );
            }
        }
        (_, Transport::Tcp(tcp)) => tcp_note(
            memory,
            options,
            packet,
            facts,
            tcp,
            info,
            text,
            tone,
            tcp_info,
            app_claimed,
            lab,
        ),
        (_, Transport::Udp(_)) if app_claimed => {}
        (_, Transport::Udp(udp)) => {
            info::write_udp_info(info, udp);
            udp_note(
                memory,
                packet,
                facts,
                udp.src_port,
                udp.dst_port,
                u64::from(udp.payload_len),
                text,
                lab,
            );
        }
        (_, Transport::Icmpv4(icmp)) => {
            icmp_note(memory, frame, packet, icmp, false, info, text, tone)
        }
        (_, Transport::Icmpv6(icmp)) => {
            icmp_note(memory, frame, packet, icmp, true, info, text, tone)
        }
        (_, Transport::Fragment { protocol }) => {
            let _ = write!(
                info,
                "Fragment of an IP datagram (proto={} {protocol})",
                info::ip_proto_name(*protocol)
            );
            text.push_str("IP fragment: data only, the transport header is in the first fragment");
        }
        (Net::Ipv4(_) | Net::Ipv6(_), Transport::Other { protocol: 2 })
            if crate::decode::igmp::parse(packet.payload).is_some() =>
        {
            if let Some(igmp) = crate::decode::igmp::parse(packet.payload) {
                info::write_igmp_info(info, &igmp);
                igmp_note(text, &igmp);
            }
        }
        (Net::Ipv4(_) | Net::Ipv6(_), Transport::Other { protocol }) => {
            let _ = write!(
                info,
                "{} (IP protocol {protocol})",
                info::ip_proto_name(*protocol)
            );
            let _ = write!(
                text,
                "IP protocol {protocol} ({}): not decoded by wirelab",
                info::ip_proto_name(*protocol)
            );
        }
        (Net::Arp(arp), _) => {
            info::write_arp_info(info, arp);
            arp_note(arp, text);
        }
        (Net::Other { ethertype }, _) => {
            info.push_str(match packet.link {
                Link::Ethernet { .. } => "Ethernet II",
                Link::LinuxSll { .. } => "Linux cooked capture v1",
                Link::LinuxSll2 { .. } => "Linux cooked capture v2",
                Link::Ppp { .. } => "Point-to-Point Protocol",
                _ => "Data",
            });
            let _ = write!(
                text,
                "EtherType 0x{ethertype:04x}: a protocol wirelab does not decode"
            );
        }
        _ => {
            // Nothing above the link (or the network header) decoded.
            match &packet.problem {
                Some(p) => {
                    let _ = write!(info, "{p}");
                }
                None => match packet.link {
                    Link::Unsupported { linktype } => {
                        let _ = write!(
                            info,
                            "link type {linktype} ({}) not decoded",
                            info::link_name(linktype)
                        );
                    }
                    _ => info.push_str("no network layer"),
                },
            }
        }
    }
    if let Some(f) = packet.fragment.filter(|f| f.reassembled) {
        let mut head = String::new();
        let _ = write!(
            head,
            "last fragment to arrive: reassembled {} fragments (from frame {}) into 1 {} datagram of {} bytes",
            f.index,
            f.first_frame,
            info::ip_proto_name(packet.ip_protocol().unwrap_or(0)),
            f.datagram_len.unwrap_or(0)
        );
        if !text.is_empty() {
            head.push_str("; ");
        }
        text.insert_str(0, &head);
    }
    if let Some(t) = &packet.tunnel {
        let mut head = String::new();
        tunnel_note(&mut head, t);
        if !text.is_empty() {
            head.push_str(": ");
        }
        text.insert_str(0, &head);
    }
    if packet.checksum == ChecksumStatus::Bad {
        let (layer, what) = match packet.transport {
            Transport::Tcp(_) => ("TCP", "segment"),
            Transport::Udp(_) => ("UDP", "datagram"),
            Transport::Icmpv6(_) => ("ICMPv6", "message"),
            _ => ("ICMP", "message"),
        };
        sep(text);
        let _ = write!(
            text,
            "the {layer} checksum is wrong (not the partial sum a checksum offload leaves): the receiving host discards this {what}, and Zeek writes C"
        );
        if *tone == Tone::Plain || *tone == Tone::Control {
            *tone = Tone::Warning;
        }
    }
    if let Some(p) = &packet.problem {
        sep(text);
        match &p.kind {
            ProblemKind::Truncated { .. } => {
                let _ = write!(text, "cut short by the capture's snap length: {p}");
            }
            ProblemKind::Malformed(_) => {
                let _ = write!(text, "{p}");
            }
            ProblemKind::Unsupported(_) => {
                let _ = write!(text, "{p}");
            }
        }
        if *tone == Tone::Plain || *tone == Tone::Control {
            *tone = Tone::Warning;
        }
    }
}

/// Names the outer header of the tunnel a packet came through, e.g. "inside a GRE
/// tunnel from 10.0.0.1 to 10.0.0.2".
fn tunnel_note(out: &mut String, t: &crate::decode::Tunnel) {
    use crate::decode::TunnelKind;
    let _ = write!(
        out,
        "inside {} {} tunnel from {} to {}",
        match t.kind {
            TunnelKind::IpInIp | TunnelKind::L2tp { .. } => "an",
            _ => "a",
        },
        t.kind.name(),
        t.src,
        t.dst
    );
    match t.kind {
        TunnelKind::Vxlan { vni } => {
            let _ = write!(out, " (VNI {vni})");
        }
        TunnelKind::L2tp {
            tunnel_id,
            session_id,
        } => {
            let _ = write!(out, " (tunnel id {tunnel_id}, session id {session_id})");
        }
        TunnelKind::Gre { protocol } => {
            let _ = write!(
                out,
                " (carrying {})",
                crate::decode::names::ethertype_name(protocol)
            );
        }
        TunnelKind::IpInIp | TunnelKind::Ipv6InIp => {}
    }
}

/// The summary-only path: updates the memory exactly as [`write`] does for a TCP
/// segment or UDP datagram (what the verdicts need), without writing any word.
/// Other frames leave the memory as it is, as in [`write`] (ICMP echoes aside,
/// which only serve the Info column).
pub fn observe(memory: &mut Memory, app_claimed: bool, packet: &Packet<'_>, facts: &Facts) {
    match (&packet.net, &packet.transport) {
        (Net::Ipv4(ip), Transport::Fragment { .. } | Transport::None)
            if info::ipv4_is_fragment(ip) => {}
        (Net::Ipv6(ip), Transport::Fragment { .. } | Transport::None) if ip.fragment.is_some() => {}
        (_, Transport::Tcp(tcp)) => tcp_memory(memory, app_claimed, facts, tcp),
        (_, Transport::Udp(_)) if app_claimed => {}
        (_, Transport::Udp(udp)) => {
            udp_memory(memory, facts, u64::from(udp.payload_len));
        }
        _ => {}
    }
}

/// The memory side of [`tcp_note`], step for step.
fn tcp_memory(memory: &mut Memory, app_claimed: bool, facts: &Facts, tcp: &Tcp) {
    let Some(k) = facts.stream.map(|s| (proto_key(Proto::Tcp), s)) else {
        return;
    };
    let Memory {
        streams, summaries, ..
    } = memory;
    let Some(s) = streams.get_or_insert_default(k) else {
        return;
    };
    let dir = facts.direction;
    let Some(t) = facts.tcp.as_ref() else {
        return;
    };
    let retransmitted = t.analysis.0
        & (Analysis::RETRANSMISSION
            | Analysis::FAST_RETRANSMISSION
            | Analysis::SPURIOUS_RETRANSMISSION)
        != 0;
    if t.refused
        && let Some(sum) = summaries.get_or_insert_default(k)
    {
        sum.refused = true;
    }
    if tcp.payload_len > 0 && !retransmitted && !app_claimed {
        let summary = summaries.get_or_insert_default(k);
        if let Some(d) = dir {
            data_memory(s, summary, d);
        }
    }
    if t.closes {
        streams.remove(k);
    }
}

/// The memory side of [`udp_note`], step for step.
fn udp_memory(memory: &mut Memory, facts: &Facts, declared: u64) {
    let Some(k) = facts.stream.map(|s| (proto_key(Proto::Udp), s)) else {
        return;
    };
    let Some(s) = memory.streams.get_or_insert_default(k) else {
        return;
    };
    let dir = facts.direction;
    if declared == 0 {
        s.last_data = dir;
        return;
    }
    let summary = memory.summaries.get_or_insert_default(k);
    if let Some(d) = dir {
        data_memory(s, summary, d);
    }
}

/// The note of an IP fragment shown as data: which fragment of which datagram,
/// where its bytes go, and whether more are awaited.
fn fragment_note(
    text: &mut String,
    version: &str,
    protocol: u8,
    id: &str,
    offset: u16,
    more: bool,
    packet: &Packet<'_>,
) {
    let proto = info::ip_proto_name(protocol);
    let Some(f) = packet.fragment else {
        let _ = write!(
            text,
            "{version} fragment of a {proto} datagram ({id}) at byte {offset}"
        );
        text.push_str(if more {
            ": more fragments follow"
        } else {
            ": the last one, the receiver reassembles the datagram"
        });
        return;
    };
    let _ = write!(text, "{version} fragment {} of a {proto} datagram", f.index);
    if let Some(total) = f.datagram_len {
        let _ = write!(text, " of {total} bytes");
    }
    let end = u32::from(offset).saturating_add(f.len).saturating_sub(1);
    let _ = write!(text, " ({id}): bytes {offset}-{end}");
    if more {
        text.push_str(", more fragments follow");
    } else {
        text.push_str(", the last part; waiting for the fragments still missing");
    }
    if offset == 0 {
        let _ = write!(
            text,
            "; it holds the {proto} header, shown once the datagram is whole"
        );
    }
}

fn analysis_words(out: &mut String, t: &TcpFacts, dir: Option<Direction>, ack_shown: u32) {
    /// The flags whose words do not depend on the segment, in the order they are told.
    const PLAIN: [(u32, &str); 7] = [
        (
            Analysis::PORT_REUSED,
            "port numbers reused: a new connection on the ports of an old one",
        ),
        (
            Analysis::LOST_SEGMENT,
            "previous segment not captured: a gap in the sequence numbers before this one",
        ),
        (
            Analysis::ACK_LOST_SEGMENT,
            "ACKs data that was not captured",
        ),
        (
            Analysis::KEEP_ALIVE,
            "keep-alive: checks that the peer is still there",
        ),
        (Analysis::KEEP_ALIVE_ACK, "answers a keep-alive"),
        (
            Analysis::ZERO_WINDOW_PROBE,
            "zero-window probe: asks whether the receiver has room again",
        ),
        (
            Analysis::ZERO_WINDOW_PROBE_ACK,
            "answers a zero-window probe",
        ),
    ];
    let a = t.analysis;
    for (bit, words) in PLAIN {
        if a.has(bit) {
            sep(out);
            out.push_str(words);
        }
    }
    if a.has(Analysis::WINDOW_FULL) {
        sep(out);
        let _ = write!(
            out,
            "window full: the {} filled all the room the receiver offered",
            side(dir)
        );
    }
    if a.has(Analysis::ZERO_WINDOW) {
        sep(out);
        let _ = write!(
            out,
            "zero window: the {}'s buffer is full, the {} must wait",
            side(dir),
            peer(dir)
        );
    }
    if a.has(Analysis::WINDOW_UPDATE) {
        sep(out);
        let _ = write!(
            out,
            "window update: the {} has more room now (Win={})",
            side(dir),
            t.window
        );
    }
    if a.has(Analysis::DUP_ACK) {
        sep(out);
        match t.dup_ack {
            Some((frame, n)) => {
                out.push_str("dup ACK #");
                push_u32(out, n);
                out.push_str(" of frame ");
                push_u64(out, frame);
                out.push_str(": the ");
            }
            None => out.push_str("duplicate ACK: the "),
        }
        out.push_str(side(dir));
        out.push_str(" still misses data after ");
        push_u32(out, ack_shown);
    }
    let retrans = |out: &mut String, what: &str| {
        sep(out);
        out.push_str(what);
        if let Some(f) = t.retransmits {
            out.push_str(" of frame ");
            push_u64(out, f);
        }
    };
    if a.has(Analysis::SPURIOUS_RETRANSMISSION) {
        retrans(out, "spurious retransmission");
        out.push_str(": the receiver had already acknowledged it");
    }
    if a.has(Analysis::FAST_RETRANSMISSION) {
        retrans(out, "fast retransmission");
        out.push_str(", sent again after duplicate ACKs");
    }
    if a.has(Analysis::RETRANSMISSION)
        && !a.has(Analysis::FAST_RETRANSMISSION)
        && !a.has(Analysis::SPURIOUS_RETRANSMISSION)
    {
        retrans(out, "retransmission");
        out.push_str(": sent again, no ACK came in time");
    }
    if a.has(Analysis::OUT_OF_ORDER) {
        sep(out);
        out.push_str("out of order: sent before data already seen");
    }
}

/// What a data segment or datagram was, as [`data_memory`] counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataKind {
    /// From the client: the first data of a new request, or more of it.
    Request { new_turn: bool },
    /// From the server: the first data of a reply, or more of it.
    Reply { new_turn: bool },
}

/// The memory side of a data segment or datagram: request and reply turns, the
/// summary's counts. Shared by the words and the summary-only path. (Whether a reply
/// is the uppercase of its request is the lab model's judgement, not this one's.)
fn data_memory(s: &mut Stream, summary: Option<&mut Summary>, dir: Direction) -> DataKind {
    let new_turn = s.last_data != Some(dir);
    s.last_data = Some(dir);
    if new_turn && let Some(sum) = summary {
        match dir {
            Direction::FromClient => sum.requests = sum.requests.saturating_add(1),
            Direction::FromServer => sum.replies = sum.replies.saturating_add(1),
        }
    }
    match dir {
        Direction::FromClient => DataKind::Request { new_turn },
        Direction::FromServer => DataKind::Reply { new_turn },
    }
}

/// The lab's words on a reply: ": the request in uppercase", ": not the uppercase …".
fn lab_words(out: &mut String, lab: &Words) {
    let (c, total) = match lab {
        Words::Reply {
            judged,
            request_len,
        }
        | Words::ResetUnread {
            judged,
            request_len,
            ..
        } => (*judged, Some(*request_len)),
        Words::Part(Part {
            judged: Some(judged),
            request_len,
            ..
        }) => (*judged, Some(*request_len)),
        Words::Stray {
            judged: Some(c), ..
        } => (*c, None),
        _ => return,
    };
    match c {
        Comparison::Uppercase => out.push_str(": the request in uppercase"),
        Comparison::Unchanged => out.push_str(": the request unchanged, not in uppercase"),
        Comparison::Partial { of } => {
            let _ = write!(out, ": the uppercase of the first {of}");
            if let Some(t) = total {
                let _ = write!(out, " of {t}");
            }
            out.push_str(" bytes of the request");
        }
        Comparison::Pending | Comparison::Different => {
            out.push_str(": not the uppercase of the request")
        }
    }
}

/// A segment or datagram carrying data: request or reply, with the lab's judgement.
fn data_words(
    out: &mut String,
    stream: Option<&mut Stream>,
    summary: Option<&mut Summary>,
    dir: Option<Direction>,
    payload: &[u8],
    declared: u64,
    lab: &Words,
) {
    let (Some(s), Some(dir)) = (stream, dir) else {
        out.push_str("data ");
        text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
        out.push(' ');
        write_len(out, declared, payload.len());
        return;
    };
    if let Words::Stray {
        request_frame,
        client,
        server,
        ..
    } = lab
    {
        out.push_str("reply ");
        text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
        out.push(' ');
        write_len(out, declared, payload.len());
        lab_words(out, lab);
        let _ = write!(
            out,
            "; the answer to the request in frame {request_frame} from "
        );
        write_endpoint(out, client.ip, client.port);
        out.push_str(", but not from the server's port ");
        push_u32(out, u32::from(server.port));
        let _ = data_memory(s, summary, dir);
        return;
    }
    // One part of a message in several: which part, and which of its bytes (a whole
    // message in one frame reads as before).
    if let Words::Part(p) = lab
        && (p.number > 1 || p.more || (p.reply && p.judged.is_none()))
    {
        let _ = data_memory(s, summary, dir);
        let what = if p.reply { "reply" } else { "request" };
        let _ = write!(out, "part {} of the {what} ", p.number);
        text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
        let _ = write!(out, ", bytes {}-{}", p.first, p.last);
        if let Some(e) = p.expected {
            let _ = write!(out, " of the {e} expected");
        }
        if (payload.len() as u64) < declared {
            out.push(' ');
            write_len(out, declared, payload.len());
        }
        if p.more {
            let _ = write!(out, " (no PSH: the {} has more to send)", side(Some(dir)));
        }
        lab_words(out, lab);
        return;
    }
    match data_memory(s, summary, dir) {
        DataKind::Request { new_turn } => {
            out.push_str(if new_turn {
                "request "
            } else {
                "more request data "
            });
            text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
            out.push(' ');
            write_len(out, declared, payload.len());
        }
        DataKind::Reply { new_turn } => {
            out.push_str(if new_turn { "reply " } else { "more reply " });
            text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
            // A whole reply in one piece, the request in uppercase, needs no length.
            let whole_uppercase = matches!(
                lab,
                Words::Part(Part {
                    judged: Some(Comparison::Uppercase),
                    ..
                })
            );
            if !(new_turn && whole_uppercase) {
                out.push(' ');
                write_len(out, declared, payload.len());
            }
            lab_words(out, lab);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn tcp_note(
    memory: &mut Memory,
    options: Options,
    packet: &Packet<'_>,
    facts: &Facts,
    tcp: &Tcp,
    info_out: &mut String,
    out: &mut String,
    tone: &mut Tone,
    given_info: Option<&str>,
    app_claimed: bool,
    lab: &Words,
) {
    let Memory {
        streams, summaries, ..
    } = memory;
    // The conversation's memory, looked up once for the whole frame.
    let mut stream: Option<(Key, &mut Stream)> = facts.stream.and_then(|n| {
        let k = (proto_key(Proto::Tcp), n);
        Some((k, &mut **streams.get_or_insert_default(k)?))
    });
    let dir = facts.direction;
    let flags = tcp.flags;
    let syn = flags.has(TcpFlags::SYN);
    let ack = flags.has(TcpFlags::ACK);
    let fin = flags.has(TcpFlags::FIN);
    let rst = flags.has(TcpFlags::RST);

    match given_info {
        // The application protocol's Info is written already.
        _ if app_claimed => {}
        Some(given) => info_out.push_str(given),
        None => info::write_tcp_info(info_out, tcp, facts.tcp.as_ref(), options.absolute_seq),
    }

    let Some(t) = facts.tcp.as_ref() else {
        // No conversation facts: say what the segment carries.
        if tcp.payload_len > 0 && !app_claimed {
            data_words(
                out,
                None,
                None,
                None,
                packet.payload,
                u64::from(tcp.payload_len),
                &Words::Nothing,
            );
        }
        *tone = if rst {
            Tone::Reset
        } else if syn || fin {
            Tone::Control
        } else {
            Tone::Plain
        };
        return;
    };
    let absolute = options.absolute_seq;
    let ack_shown = if absolute { tcp.ack } else { t.rel_ack };
    let retransmitted = t.analysis.0
        & (Analysis::RETRANSMISSION
            | Analysis::FAST_RETRANSMISSION
            | Analysis::SPURIOUS_RETRANSMISSION)
        != 0;

    if !t.analysis.is_empty() {
        analysis_words(out, t, dir, ack_shown);
    }

    *tone = if rst {
        Tone::Reset
    } else if !t.analysis.is_empty() {
        Tone::Warning
    } else if syn || fin {
        Tone::Control
    } else {
        Tone::Plain
    };

    if syn && !ack {
        sep(out);
        if retransmitted && (t.handshake_step == Some(1) || t.handshake_step.is_none()) {
            // The same SYN again: no SYN-ACK (nor RST) came back in time.
            out.push_str("1/3 SYN again, with the same ISN ");
            push_u64(out, u64::from(tcp.seq));
        } else if t.handshake_step == Some(1) || t.handshake_step.is_none() {
            out.push_str("1/3 SYN: the ");
            out.push_str(side(dir));
            out.push_str(" picks its initial sequence number (ISN) ");
            push_u64(out, u64::from(tcp.seq));
            if !absolute {
                out.push_str(", shown as Seq=0");
            }
        } else {
            out.push_str("SYN");
        }
    } else if syn && ack {
        sep(out);
        out.push_str("2/3 SYN-ACK: Ack=");
        push_u64(out, u64::from(ack_shown));
        out.push_str(" = ");
        out.push_str(peer(dir));
        out.push_str(" ISN + 1, because a SYN uses one sequence number");
    } else if rst {
        sep(out);
        if t.refused {
            out.push_str("connection refused: nothing listens on port ");
            push_u32(out, u32::from(tcp.src_port));
            if let Some(sum) = stream
                .as_ref()
                .and_then(|(k, _)| summaries.get_or_insert_default(*k))
            {
                sum.refused = true;
            }
        } else {
            out.push_str("RST: the ");
            out.push_str(side(dir));
            out.push_str(" aborts the connection at once, no FIN exchange");
            if let Words::ResetUnread { unread, .. } = lab {
                let _ = write!(
                    out,
                    ": it closed with {unread} bytes unread, so Linux resets instead of FIN; the reply ends here"
                );
                lab_words(out, lab);
            }
        }
    } else if t.handshake_step == Some(3) {
        sep(out);
        out.push_str("3/3 ACK: handshake complete");
    }

    // Data, unless it is a copy of data already explained, or the application
    // protocol's note told it.
    if app_claimed {
    } else if tcp.payload_len > 0 && !retransmitted {
        sep(out);
        let summary = stream
            .as_ref()
            .and_then(|(k, _)| summaries.get_or_insert_default(*k));
        data_words(
            out,
            stream.as_mut().map(|(_, s)| &mut **s),
            summary,
            dir,
            packet.payload,
            u64::from(tcp.payload_len),
            lab,
        );
    } else if tcp.payload_len > 0 {
        sep(out);
        out.push_str("data ");
        text::write_quoted(out, packet.payload, text::MAX_SHOWN_CHARS);
        out.push(' ');
        write_len(out, u64::from(tcp.payload_len), packet.payload.len());
    }

    // The acknowledgement: of a FIN, or of new bytes.
    let mut fin_acked_now = false;
    if ack && !syn && !rst {
        {
            if let Some(fin_frame) = t.acks_fin {
                fin_acked_now = true;
                sep(out);
                let fin_shown = ack_shown.wrapping_sub(1);
                if fin {
                    out.push_str("Ack ");
                    push_u64(out, u64::from(ack_shown));
                    out.push_str(" acknowledges the ");
                    out.push_str(peer(dir));
                    out.push_str("'s FIN (frame ");
                    push_u64(out, fin_frame);
                    out.push(')');
                } else {
                    out.push_str("ACK of the ");
                    out.push_str(peer(dir));
                    out.push_str("'s FIN (frame ");
                    push_u64(out, fin_frame);
                    out.push_str("): Ack ");
                    push_u64(out, u64::from(ack_shown));
                    out.push_str(" = its Seq ");
                    push_u64(out, u64::from(fin_shown));
                    out.push_str(" + 1");
                }
            }
        }
        if !fin_acked_now && t.newly_acked > 0 && t.handshake_step.is_none() {
            if out.len() < 70 {
                sep(out);
                let before = ack_shown.wrapping_sub(t.newly_acked);
                let unit = if t.newly_acked == 1 { "byte" } else { "bytes" };
                out.push_str("Ack ");
                push_u64(out, u64::from(ack_shown));
                out.push_str(" = ");
                push_u64(out, u64::from(before));
                out.push_str(" + ");
                push_u64(out, u64::from(t.newly_acked));
                out.push(' ');
                out.push_str(unit);
                out.push_str(" received");
            }
        } else if !fin_acked_now && out.is_empty() && !fin {
            out.push_str("ACK: nothing new to acknowledge (Ack=");
            push_u64(out, u64::from(ack_shown));
            out.push(')');
        }
    }

    if fin && !rst {
        sep(out);
        if t.first_fin {
            out.push_str("the ");
            out.push_str(side(dir));
            out.push_str(" closes first: FIN uses one sequence number");
        } else {
            out.push_str("FIN: the ");
            out.push_str(side(dir));
            out.push_str(" closes its side too");
        }
        // The FIN ends a reply shorter than the request's uppercase: the lab judges it here.
        if matches!(lab, Words::Reply { .. }) {
            out.push_str("; the reply ends here");
            lab_words(out, lab);
        }
    }

    if let Some((k, _)) = stream
        && t.closes
    {
        streams.remove(k);
    }
}

#[allow(clippy::too_many_arguments)]
fn udp_note(
    memory: &mut Memory,
    packet: &Packet<'_>,
    facts: &Facts,
    sport: u16,
    dport: u16,
    declared: u64,
    out: &mut String,
    lab: &Words,
) {
    let dir = facts.direction;
    let udp = facts.udp.as_ref();
    if let Some(prev) = udp.and_then(|u| u.previous_client_port)
        && prev != sport
    {
        let _ = write!(
            out,
            "new client port {sport} (was {prev}): a new socket gets a new ephemeral port"
        );
    }
    let key = facts.stream.map(|s| (proto_key(Proto::Udp), s));
    let stream = key.and_then(|k| memory.streams.get_or_insert_default(k));
    sep(out);
    if declared == 0 {
        let _ = write!(out, "empty datagram (0 bytes) from the {}", side(dir));
        lab_words(out, lab);
        if let Some(s) = stream {
            s.last_data = dir;
        }
    } else {
        let summary = key.and_then(|k| memory.summaries.get_or_insert_default(k));
        data_words(
            out,
            stream.map(|s| &mut **s),
            summary,
            dir,
            packet.payload,
            declared,
            lab,
        );
    }
    if let (Some(reply_to), Some(ip)) = (udp.and_then(|u| u.reply_to), packet.dst_ip()) {
        out.push_str("; to ");
        write_endpoint(out, ip, dport);
        let _ = write!(
            out,
            ", the same IP and port the request (frame {reply_to}) came from"
        );
    }
}

/// The ones' complement sum of two 16-bit words (RFC 1071).
fn ones_add(a: u16, b: u16) -> u16 {
    let sum = u32::from(a) + u32::from(b);
    let folded = (sum & 0xffff) + (sum >> 16);
    (folded & 0xffff) as u16
}

/// Pairs an echo reply with its request as tshark does: by the two addresses (either
/// way), the identifier and sequence number, and the checksum, which ties a reply to
/// the request whose bytes it echoes (a request's checksum is the reply's, changed by the
/// type byte), and whether the packet came inside GRE (a request through GRE and its
/// reply through another tunnel stay apart). The first reply takes the request; a second
/// one is shown unpaired. A request of the same key replaces the one before. Returns the
/// request's frame for a reply.
fn pair_echo(
    memory: &mut Memory,
    frame: &Frame<'_>,
    packet: &Packet<'_>,
    icmp: &Icmp,
    v6: bool,
) -> Option<u64> {
    let (request, reply, difference) = if v6 {
        (128, 129, 0x0100)
    } else {
        (8, 0, 0x0800)
    };
    let ((id, seq), src, dst) = (icmp.echo?, packet.src_ip()?, packet.dst_ip()?);
    let ends = if src <= dst { (src, dst) } else { (dst, src) };
    // The key is the checksum of the reply for ICMP, of the request for ICMPv6 (tshark
    // 4.0 writes a computed 0 as 0xffff), with a bit set for a packet inside GRE.
    let moved = match !ones_add(!icmp.checksum, !difference) {
        0 => 0xffff,
        k => k,
    };
    let key = match (v6, icmp.icmp_type) {
        (false, t) if t == request => moved,
        (true, t) if t != request => moved,
        _ => icmp.checksum,
    };
    let in_gre = packet
        .tunnel
        .as_deref()
        .is_some_and(|t| matches!(t.kind, crate::decode::TunnelKind::Gre { .. }));
    let key = u32::from(key) | if in_gre { 0x1_0000 } else { 0 };
    let k = (ends.0, ends.1, key, (u32::from(id) << 16) | u32::from(seq));
    if icmp.icmp_type == request {
        if memory.echoes.len() >= MAX_ECHOES {
            memory.echoes.clear();
        }
        memory.echoes.insert(k, (frame.number, false));
        None
    } else if icmp.icmp_type == reply {
        let (req, answered) = memory.echoes.get_mut(&k)?;
        if *answered {
            return None;
        }
        *answered = true;
        Some(*req)
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn icmp_note(
    memory: &mut Memory,
    frame: &Frame<'_>,
    packet: &Packet<'_>,
    icmp: &Icmp,
    v6: bool,
    info_out: &mut String,
    out: &mut String,
    tone: &mut Tone,
) {
    let (request, reply) = if v6 { (128, 129) } else { (8, 0) };
    let ttl = match &packet.net {
        Net::Ipv4(h) => Some(h.ttl),
        Net::Ipv6(h) => Some(h.hop_limit),
        _ => None,
    };
    let request_in = pair_echo(memory, frame, packet, icmp, v6);
    let nd = if v6 {
        crate::decode::nd::parse(icmp, packet.payload)
    } else {
        None
    };
    if v6 {
        info::write_icmpv6_info(info_out, icmp, ttl, request_in, nd.as_ref());
    } else {
        info::write_icmp_info(info_out, icmp, ttl, request_in);
    }
    let error = if v6 {
        icmp.icmp_type < 128
    } else {
        matches!(icmp.icmp_type, 3 | 4 | 5 | 11 | 12)
    };
    if error {
        *tone = Tone::Warning;
    }
    let t = icmp.icmp_type;
    match (v6, t) {
        (_, _) if t == request => {
            out.push_str("ping request (echo)");
            if let Some((id, seq)) = icmp.echo {
                let _ = write!(out, " id={id} seq={seq}");
            }
            out.push_str(": asks the destination to answer");
        }
        (_, _) if t == reply => {
            out.push_str("ping reply (echo)");
            match request_in {
                Some(n) => {
                    let _ = write!(out, " to the request in frame {n}");
                }
                None => out.push_str(
                    ": no request in the capture awaits it (its request was not captured, or it repeats an answered one)",
                ),
            }
        }
        (false, 3) | (true, 1) => {
            let port_unreachable = (!v6 && icmp.code == 3) || (v6 && icmp.code == 4);
            match (&icmp.quoted, port_unreachable) {
                (Some(q), true) => {
                    let _ = write!(
                        out,
                        "port unreachable: nothing listens on {} port ",
                        info::ip_proto_name(q.protocol)
                    );
                    match q.dst_port {
                        Some(p) => {
                            let _ = write!(out, "{p}");
                        }
                        None => out.push('?'),
                    }
                    let _ = write!(out, " at {}", q.dst);
                }
                _ => {
                    let name = if v6 {
                        info::icmpv6_code_name(t, icmp.code)
                    } else {
                        info::icmp_code_name(t, icmp.code)
                    };
                    let _ = write!(out, "error: {}", name.unwrap_or("destination unreachable"));
                    if let Some(q) = &icmp.quoted {
                        let _ = write!(out, ", for a datagram from {} to {}", q.src, q.dst);
                    }
                }
            }
        }
        (false, 11) | (true, 3) => {
            if icmp.code == 0 {
                out.push_str(
                    "TTL ran out on the way: a router dropped the datagram (traceroute uses this)",
                );
            } else {
                out.push_str("reassembly time exceeded: not all fragments arrived");
            }
        }
        (true, 2) => {
            out.push_str("packet too big for the next link: the sender must send smaller packets")
        }
        (true, 133..=136) => nd_note(out, packet, nd.as_ref()),
        (true, 131 | 143) => out.push_str(
            "MLD report: this host says which IPv6 multicast groups it listens to (IPv6's IGMP)",
        ),
        (true, 130) => {
            out.push_str("MLD query: a router asks which IPv6 multicast groups the hosts listen to")
        }
        (false, 5) => out.push_str("redirect: a router points to a better next hop"),
        (false, 4) => out.push_str("source quench: asks the sender to slow down (obsolete)"),
        _ => {
            let name = if v6 {
                info::icmpv6_type_name(t)
            } else {
                info::icmp_type_name(t)
            };
            let _ = write!(
                out,
                "{} {}",
                if v6 { "ICMPv6" } else { "ICMP" },
                name.unwrap_or("message")
            );
            let _ = write!(out, " (type {t}, code {})", icmp.code);
        }
    }
}

/// The note of a neighbour discovery message: IPv6's ARP, and how hosts find routers.
fn nd_note(out: &mut String, packet: &Packet<'_>, nd: Option<&crate::decode::nd::Nd<'_>>) {
    let Some(nd) = nd else {
        return;
    };
    let unspecified = packet.src_ip().is_some_and(|a| a.is_unspecified());
    let mac = |out: &mut String, m: Option<&[u8]>| {
        if let Some(m) = m {
            out.push_str(" (");
            info::write_mac(out, m);
            out.push(')');
        }
    };
    match (nd.icmp_type, nd.target) {
        (135, Some(t)) if unspecified => {
            let _ = write!(
                out,
                "neighbour solicitation for duplicate address detection: before using {t}, a host checks that nobody answers for it"
            );
        }
        (135, Some(t)) => {
            let _ = write!(out, "neighbour solicitation (IPv6's ARP): who has {t}?");
            if let Some(src) = packet.src_ip() {
                let _ = write!(out, " {src}");
                mac(out, nd.source_mac);
                out.push_str(" asks for its MAC address");
            }
        }
        (136, Some(t)) => {
            let _ = write!(out, "neighbour advertisement (IPv6's ARP reply): {t} is at");
            match nd.target_mac {
                Some(m) => {
                    out.push(' ');
                    info::write_mac(out, m);
                }
                None => out.push_str(" the sender's MAC address"),
            }
            if nd.flags & 0x80 != 0 {
                out.push_str("; the sender is a router");
            }
            if nd.flags & 0x40 != 0 {
                out.push_str("; it answers a solicitation");
            } else {
                out.push_str("; unsolicited, an announcement");
            }
        }
        (133, _) => {
            out.push_str("router solicitation: a host looks for IPv6 routers on its link");
            mac(out, nd.source_mac);
        }
        (134, _) => {
            out.push_str("router advertisement: a router announces itself");
            mac(out, nd.source_mac);
            if let Some((p, len)) = nd.prefix {
                let _ = write!(
                    out,
                    " and the prefix {p}/{len}, from which hosts make their own addresses (SLAAC)"
                );
            }
        }
        _ => out.push_str("neighbour discovery message"),
    }
}

/// The note of an IGMP message: a host joining or leaving a multicast group, or a
/// router asking who listens.
fn igmp_note(out: &mut String, igmp: &crate::decode::igmp::Igmp<'_>) {
    let group = igmp.group.filter(|g| !g.is_unspecified());
    match (igmp.igmp_type, group) {
        (0x11, None) => out.push_str(
            "IGMP query: a router asks which multicast groups the hosts on this network listen to",
        ),
        (0x11, Some(g)) => {
            let _ = write!(out, "IGMP query: a router asks who still listens to {g}");
        }
        (0x12 | 0x16, Some(g)) => {
            let _ = write!(
                out,
                "IGMP report: this host listens to the multicast group {g}"
            );
        }
        (0x17, Some(g)) => {
            let _ = write!(out, "IGMP leave: this host stops listening to {g}");
        }
        _ => {
            let groups: Vec<String> = igmp.records().map(|r| r.group.to_string()).collect();
            if groups.is_empty() {
                out.push_str("IGMP report");
            } else {
                let _ = write!(
                    out,
                    "IGMP report: this host says which multicast groups it listens to ({})",
                    groups.join(", ")
                );
            }
        }
    }
    if igmp
        .records()
        .any(|r| r.group == std::net::Ipv4Addr::new(239, 255, 255, 250))
        || group == Some(std::net::Ipv4Addr::new(239, 255, 255, 250))
    {
        out.push_str("; 239.255.255.250 is SSDP's, where devices announce themselves");
    } else if igmp
        .records()
        .any(|r| r.group == std::net::Ipv4Addr::new(224, 0, 0, 251))
        || group == Some(std::net::Ipv4Addr::new(224, 0, 0, 251))
    {
        out.push_str("; 224.0.0.251 is mDNS's, where devices announce themselves");
    }
}

fn arp_note(arp: &crate::decode::Arp, out: &mut String) {
    let mut sender = String::new();
    let mut target = String::new();
    let ip = |o: &mut String, b: &[u8]| match <[u8; 4]>::try_from(b) {
        Ok(a) => {
            let _ = write!(o, "{}", std::net::Ipv4Addr::from(a));
        }
        Err(_) => info::write_mac(o, b),
    };
    ip(&mut sender, &arp.sender_proto);
    ip(&mut target, &arp.target_proto);
    match arp.operation {
        1 if sender == target && arp.target_hw.iter().all(|b| *b == 0) => {
            let _ = write!(
                out,
                "ARP announcement: {sender} tells the network it now uses this address, with MAC "
            );
            info::write_mac(out, &arp.sender_hw);
        }
        1 if sender == target => {
            let _ = write!(out, "gratuitous ARP: {sender} announces its MAC address");
        }
        1 if arp.sender_proto.iter().all(|b| *b == 0) => {
            let _ = write!(
                out,
                "ARP probe: before using {target}, a host checks that nobody answers for it"
            );
        }
        1 => {
            let _ = write!(
                out,
                "ARP request (broadcast): who has {target}? {sender} needs its MAC address"
            );
        }
        2 => {
            let _ = write!(out, "ARP reply: {sender} answers with its MAC address ");
            info::write_mac(out, &arp.sender_hw);
        }
        op => {
            let _ = write!(out, "ARP operation {op}");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
