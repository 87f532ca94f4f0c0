//! The Info column and the plain-language note for one frame, with the little
//! per-conversation memory they need (handshake seen, last request, FINs and
//! their ACKs, ICMP echo requests). Memory is bounded and dropped when a
//! conversation closes; no I/O. One file per protocol: `tcp`, `udp`, `icmp` (with neighbour
//! discovery), `ip` (tunnels, fragments, IGMP), `link` (ARP); this one dispatches.

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

mod icmp;
mod ip;
mod link;
mod table;
mod tcp;
mod udp;

use icmp::*;
use ip::*;
use link::*;
use tcp::*;
use udp::*;

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

#[cfg(test)]
pub(crate) mod tests;
