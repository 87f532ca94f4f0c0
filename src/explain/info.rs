//! The Wireshark columns: Source, Destination, Protocol and Info, written the
//! way Wireshark 4.0 writes them for what wirelab decodes (TCP, UDP, ICMP,
//! ICMPv6, ARP, IP fragments). Formatting only: no state beyond its arguments.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use crate::decode::{
    Arp, Icmp, Ipv4, Ipv6, Link, Net, Packet, ProblemKind, Tcp, TcpFlags, TcpOption, Transport, Udp,
};
use crate::track::{Analysis, TcpFacts};

use crate::fmt::push_u32;

pub use crate::decode::names::{
    icmp_code_name, icmp_type_name, icmpv6_code_name, icmpv6_type_name, ip_proto_name, link_name,
};

/// Writes a MAC address as Wireshark does without name resolution
/// (`Broadcast` for ff:ff:ff:ff:ff:ff).
pub fn write_mac(out: &mut String, mac: &[u8]) {
    if mac.len() == 6 && mac.iter().all(|b| *b == 0xff) {
        out.push_str("Broadcast");
        return;
    }
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
}

/// Writes the Source and Destination columns.
pub fn write_addresses(src: &mut String, dst: &mut String, packet: &Packet<'_>) {
    match &packet.net {
        Net::Ipv4(h) => {
            crate::fmt::push_ip(src, std::net::IpAddr::V4(h.src));
            crate::fmt::push_ip(dst, std::net::IpAddr::V4(h.route_dst.unwrap_or(h.dst)));
            return;
        }
        Net::Ipv6(h) => {
            crate::fmt::push_ipv6(src, h.src);
            crate::fmt::push_ipv6(dst, h.dst);
            return;
        }
        _ => {}
    }
    // A tunnel whose inner packet has no IP header: the outer IP addresses.
    if let Some(t) = &packet.tunnel {
        crate::fmt::push_ip(src, t.src);
        crate::fmt::push_ip(dst, t.dst);
        return;
    }
    match &packet.link {
        Link::Ethernet { src: s, dst: d, .. } => {
            write_mac(src, s);
            write_mac(dst, d);
        }
        Link::LinuxSll { addr, .. } | Link::LinuxSll2 { addr, .. } if !addr.is_empty() => {
            write_mac(src, addr);
        }
        _ => {}
    }
}

/// Slots of an [`AddressCache`].
const ADDRESS_SLOTS: usize = 4096;

/// The text of recently written IP addresses, one slot per hash of the address
/// (about 200 KiB once full): most frames come from and go to a few hosts, and
/// copying an address's text costs a third of writing it digit by digit.
#[derive(Debug, Default)]
pub struct AddressCache {
    /// Made on first use; an empty text is an empty slot.
    slots: Vec<(IpAddr, String)>,
}

impl AddressCache {
    /// Writes the Source and Destination columns, as [`write_addresses`].
    pub fn write_addresses(&mut self, src: &mut String, dst: &mut String, packet: &Packet<'_>) {
        match &packet.net {
            Net::Ipv4(h) => {
                self.push(src, IpAddr::V4(h.src));
                self.push(dst, IpAddr::V4(h.route_dst.unwrap_or(h.dst)));
            }
            Net::Ipv6(h) => {
                self.push(src, IpAddr::V6(h.src));
                self.push(dst, IpAddr::V6(h.dst));
            }
            _ => write_addresses(src, dst, packet),
        }
    }

    /// Appends `ip` as its `Display` writes it.
    fn push(&mut self, out: &mut String, ip: IpAddr) {
        if self.slots.is_empty() {
            self.slots.resize(
                ADDRESS_SLOTS,
                (IpAddr::V4(Ipv4Addr::UNSPECIFIED), String::new()),
            );
        }
        // Fibonacci hashing of the address bits: the top 12 bits of the product.
        let bits = match ip {
            IpAddr::V4(a) => u64::from(a.to_bits()),
            IpAddr::V6(a) => {
                let b = a.to_bits();
                (b as u64) ^ ((b >> 64) as u64)
            }
        };
        let slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize;
        match self.slots.get_mut(slot) {
            Some((key, text)) => {
                if *key != ip || text.is_empty() {
                    text.clear();
                    crate::fmt::push_ip(text, ip);
                    *key = ip;
                }
                out.push_str(text);
            }
            None => crate::fmt::push_ip(out, ip),
        }
    }
}

/// Writes the Protocol column.
pub fn write_protocol(out: &mut String, packet: &Packet<'_>, linktype: u32) {
    let ip_version = match &packet.net {
        Net::Ipv4(_) => "IPv4",
        Net::Ipv6(_) => "IPv6",
        Net::Arp(_) => {
            out.push_str("ARP");
            return;
        }
        Net::Other { ethertype } => {
            let _ = write!(out, "0x{ethertype:04x}");
            return;
        }
        Net::PppControl { protocol, .. } => {
            out.push_str(crate::decode::names::ppp_control_column(*protocol).unwrap_or("PPP"));
            return;
        }
        Net::None => {
            out.push_str(match &packet.link {
                Link::Ethernet { .. } => "Ethernet",
                Link::LinuxSll { .. } => "SLL",
                Link::LinuxSll2 { .. } => "SLL2",
                Link::Null { .. } => "Null/Loopback",
                Link::RawIp => "Raw IP",
                Link::Ppp { .. } => "PPP",
                Link::CiscoHdlc { .. } => "CHDLC",
                Link::Ieee80211 { .. } => "802.11",
                Link::Nflog { .. } => "NFLOG",
                Link::Unsupported { linktype } => link_name(*linktype),
                Link::None => link_name(linktype),
            });
            return;
        }
    };
    out.push_str(match &packet.transport {
        Transport::Tcp(_) => "TCP",
        Transport::Udp(_) => "UDP",
        Transport::Icmpv4(_) => "ICMP",
        Transport::Icmpv6(_) => "ICMPv6",
        Transport::None if packet.cut_tcp_ports.is_some() => "TCP",
        Transport::Fragment { .. } | Transport::None => ip_version,
        Transport::Other { protocol: 2 } => match crate::decode::igmp::parse(packet.payload) {
            Some(i) => match i.version {
                1 => "IGMPv1",
                2 => "IGMPv2",
                _ => "IGMPv3",
            },
            None => "IGMP",
        },
        Transport::Other { protocol } => crate::decode::names::ip_proto(*protocol)
            .column
            .unwrap_or(ip_version),
    });
}

/// Writes the IGMP Info column, e.g. "Membership Query, general", "Membership Report /
/// Join group 239.255.255.250 for any sources" (tshark's words, record by record).
pub fn write_igmp_info(out: &mut String, igmp: &crate::decode::igmp::Igmp<'_>) {
    use crate::decode::igmp::sources;
    let list = |out: &mut String, bytes: &[u8]| {
        out.push('{');
        for (i, a) in sources(bytes).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{a}");
        }
        out.push('}');
    };
    let group = igmp.group.unwrap_or(Ipv4Addr::UNSPECIFIED);
    match (igmp.igmp_type, igmp.version) {
        (0x11, 1) => out.push_str("Membership Query"),
        (0x11, _) => {
            out.push_str("Membership Query");
            if igmp.short {
            } else if group.is_unspecified() {
                out.push_str(", general");
            } else {
                let _ = write!(out, ", specific for group {group}");
            }
            if let Some(src) = igmp.query_sources().filter(|s| s.len() >= 4) {
                out.push_str(if src.len() > 4 {
                    ", sources "
                } else {
                    ", source "
                });
                list(out, src);
            }
        }
        (0x12, _) => out.push_str("Membership Report"),
        (0x16, _) => {
            let _ = write!(out, "Membership Report group {group}");
        }
        (0x17, _) => {
            let _ = write!(out, "Leave Group {group}");
        }
        _ => {
            out.push_str("Membership Report");
            for r in igmp.records() {
                let g = r.group;
                let many = r.sources.len() > 4;
                let none = r.sources.is_empty();
                match r.record_type {
                    1 | 3 if none => {
                        let _ = write!(out, " / Leave group {g}");
                    }
                    1 | 3 => {
                        let _ = write!(out, " / Join group {g} for ");
                        out.push_str(if many { "sources in " } else { "source " });
                        list(out, r.sources);
                    }
                    2 | 4 if none => {
                        let _ = write!(out, " / Join group {g} for any sources");
                    }
                    2 | 4 => {
                        let _ = write!(out, " / Join group {g}, for ");
                        out.push_str(if many {
                            "sources not in "
                        } else {
                            "source not "
                        });
                        list(out, r.sources);
                    }
                    5 if none => {
                        let _ = write!(
                            out,
                            " / Group {g}, ALLOW_NEW_SOURCES but no source specified (?)"
                        );
                    }
                    5 => {
                        let _ = write!(out, " / Group {g}, new ");
                        out.push_str(if many { "sources " } else { "source " });
                        list(out, r.sources);
                    }
                    6 if none => {
                        let _ = write!(
                            out,
                            " / Group {g}, BLOCK_OLD_SOURCES but no source specified (?)"
                        );
                    }
                    6 => {
                        let _ = write!(out, " / Group {g}, block ");
                        out.push_str(if many { "sources " } else { "source " });
                        list(out, r.sources);
                    }
                    _ => {
                        let _ = write!(out, " / Group {g}, unknown record type (?)");
                        if !none {
                            out.push_str(if many { ", sources " } else { ", source " });
                            list(out, r.sources);
                        }
                    }
                }
            }
        }
    }
    if igmp.short {
        out.push_str("[Malformed Packet]");
    }
}

/// Writes Wireshark's flag list (without brackets): `SYN, ACK`, `<None>` when none.
pub fn write_tcp_flags(out: &mut String, flags: TcpFlags, accurate_ecn: bool) {
    // The usual combinations as one piece (without the ACE counter, which the others need).
    const SYN_ACK: u16 = TcpFlags::SYN | TcpFlags::ACK;
    const PSH_ACK: u16 = TcpFlags::PSH | TcpFlags::ACK;
    const FIN_ACK: u16 = TcpFlags::FIN | TcpFlags::ACK;
    const FIN_PSH_ACK: u16 = TcpFlags::FIN | PSH_ACK;
    const RST_ACK: u16 = TcpFlags::RST | TcpFlags::ACK;
    let usual = match flags.0 {
        TcpFlags::ACK => "ACK",
        TcpFlags::SYN => "SYN",
        SYN_ACK => "SYN, ACK",
        PSH_ACK => "PSH, ACK",
        FIN_ACK => "FIN, ACK",
        FIN_PSH_ACK => "FIN, PSH, ACK",
        TcpFlags::RST => "RST",
        RST_ACK => "RST, ACK",
        _ => "",
    };
    if !usual.is_empty() && (!accurate_ecn || flags.has(TcpFlags::SYN)) {
        out.push_str(usual);
        return;
    }
    write_flag_list(out, flags, accurate_ecn);
}

/// [`write_tcp_flags`], name by name.
fn write_flag_list(out: &mut String, flags: TcpFlags, accurate_ecn: bool) {
    let start = out.len();
    let ace = accurate_ecn && !flags.has(TcpFlags::SYN);
    // With the ACE counter, ECE, CWR and AE are shown as one number instead.
    for name in flags.names(if ace { 6 } else { 9 }) {
        if out.len() > start {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    if ace {
        let value = (flags.0 >> 6) & 0x7;
        let value = ((value & 0b100) >> 2) | (value & 0b010) | ((value & 0b001) << 2);
        // ACE = AE·4 + CWR·2 + ECE.
        if out.len() > start {
            out.push_str(", ");
        }
        let _ = write!(out, "ACE={value}");
    }
    if flags.0 & 0x0e00 != 0 {
        if out.len() > start {
            out.push_str(", ");
        }
        out.push_str("Reserved");
    }
    if out.len() == start {
        out.push_str("<None>");
    }
}

/// Writes the analysis labels that Wireshark puts in front of the Info column,
/// each as `[label] `.
pub fn write_analysis_labels(out: &mut String, facts: &TcpFacts) {
    if facts.analysis.is_empty() {
        return;
    }
    // A fast or spurious retransmission is also flagged as a retransmission, but
    // Wireshark's Info shows only the more precise label (`info_labels` leaves it out).
    for (bit, label) in facts.analysis.info_labels() {
        if bit == Analysis::DUP_ACK {
            match facts.dup_ack {
                Some((frame, n)) => {
                    out.push_str("[TCP Dup ACK ");
                    crate::fmt::push_u64(out, frame);
                    out.push('#');
                    push_u32(out, n);
                    out.push_str("] ");
                }
                None => out.push_str("[TCP Dup ACK] "),
            }
        } else {
            out.push('[');
            out.push_str(label);
            out.push_str("] ");
        }
    }
}

/// Writes the TCP Info column, e.g.
/// `[TCP Retransmission] 58458 → 23456 [PSH, ACK] Seq=1 Ack=1 Win=65536 Len=11`: a pure
/// function of the segment and the tracker's facts (when the conversation negotiated
/// Accurate ECN, the ECN flags read as the ACE counter).
pub fn write_tcp_info(out: &mut String, tcp: &Tcp, facts: Option<&TcpFacts>, absolute: bool) {
    if let Some(f) = facts {
        write_analysis_labels(out, f);
    }
    push_u32(out, u32::from(tcp.src_port));
    out.push_str(" → ");
    push_u32(out, u32::from(tcp.dst_port));
    out.push_str(" [");
    write_tcp_flags(out, tcp.flags, facts.is_some_and(|f| f.accurate_ecn));
    out.push(']');
    let relative = !absolute && facts.is_some();
    let (seq, ack) = match facts {
        Some(f) if relative => (f.rel_seq, f.rel_ack),
        _ => (tcp.seq, tcp.ack),
    };
    out.push_str(" Seq=");
    push_u32(out, seq);
    if tcp.flags.has(TcpFlags::ACK) {
        out.push_str(" Ack=");
        push_u32(out, ack);
    }
    let window = facts.map_or(u64::from(tcp.window), |f| f.window);
    out.push_str(" Win=");
    crate::fmt::push_u64(out, window);
    if tcp.flags.has(TcpFlags::URG) {
        let _ = write!(out, " Urg={}", tcp.urgent_ptr);
    }
    if tcp.short {
        // Wireshark stops at the header that runs past the segment.
        out.push_str("[Malformed Packet]");
        return;
    }
    out.push_str(" Len=");
    push_u32(out, tcp.payload_len);
    // Relative SACK edges count from the peer's base: raw ack − relative ack.
    let peer_base = match facts {
        Some(f) if relative && tcp.flags.has(TcpFlags::ACK) => {
            Some(tcp.ack.wrapping_sub(f.rel_ack))
        }
        _ => None,
    };
    for option in &tcp.options {
        write_tcp_option(out, &option, peer_base, relative);
    }
}

fn write_tcp_option(out: &mut String, option: &TcpOption, peer_base: Option<u32>, relative: bool) {
    match option {
        TcpOption::Eol | TcpOption::Nop | TcpOption::Unknown { .. } => {}
        TcpOption::Mss(mss) => {
            out.push_str(" MSS=");
            push_u32(out, u32::from(*mss));
        }
        TcpOption::WindowScale(shift) => {
            // Wireshark caps the shift at 14 (RFC 7323) before showing the multiplier.
            let shift = u32::from(*shift).min(14);
            out.push_str(" WS=");
            push_u32(out, 1u32 << shift);
        }
        TcpOption::SackPermitted => out.push_str(" SACK_PERM"),
        TcpOption::Sack(blocks) => {
            for (left, right) in blocks {
                let (l, r) = match peer_base {
                    Some(base) if relative => (left.wrapping_sub(base), right.wrapping_sub(base)),
                    _ => (*left, *right),
                };
                out.push_str(" SLE=");
                push_u32(out, l);
                out.push_str(" SRE=");
                push_u32(out, r);
            }
        }
        TcpOption::Timestamps { tsval, tsecr } => {
            out.push_str(" TSval=");
            push_u32(out, *tsval);
            out.push_str(" TSecr=");
            push_u32(out, *tsecr);
        }
        TcpOption::AccEcn(counters) => {
            for (name, value) in counters {
                let _ = write!(out, " {name}={value}");
            }
        }
        TcpOption::FastOpen(cookie) => {
            out.push_str(if cookie.is_empty() {
                " TFO=R"
            } else {
                " TFO=C"
            });
        }
    }
}

/// Writes the UDP Info column: `32887 → 23457 Len=5` (Len from the header's length field).
pub fn write_udp_info(out: &mut String, udp: &Udp) {
    push_u32(out, u32::from(udp.src_port));
    out.push_str(" → ");
    push_u32(out, u32::from(udp.dst_port));
    out.push_str(" Len=");
    push_u32(out, udp.payload_len);
}

/// True for the ICMP types whose code tshark names (and writes `Unknown code: N` for a
/// code it has no name for).
fn icmp_has_codes(icmp_type: u8) -> bool {
    matches!(icmp_type, 3 | 5 | 6 | 9 | 11 | 12 | 40 | 42 | 43)
}

/// True for the ICMP types whose Info shows `id=0x…, seq=…/…, ttl=…`.
fn icmp_has_id_seq(icmp_type: u8) -> bool {
    matches!(icmp_type, 0 | 8 | 13 | 14 | 15 | 16 | 17 | 18)
}

/// Writes the ICMP Info column, e.g.
/// `Echo (ping) reply    id=0xd73b, seq=0/0, ttl=40 (request in 9)`.
pub fn write_icmp_info(out: &mut String, icmp: &Icmp, ttl: Option<u8>, request_in: Option<u64>) {
    let start = out.len();
    match icmp_type_name(icmp.icmp_type) {
        // tshark names a router advertisement of code 0 or 16 as Mobile IP's.
        Some(_) if icmp.icmp_type == 9 && matches!(icmp.code, 0 | 16) => {
            out.push_str("Mobile IP Advertisement")
        }
        Some(name) => out.push_str(name),
        None => {
            let _ = write!(out, "Unknown ICMP (obsolete or malformed?)");
        }
    }
    // Wireshark pads the type name to 20 characters ("%-20s").
    while out.len() - start < 20 {
        out.push(' ');
    }
    match icmp_code_name(icmp.icmp_type, icmp.code) {
        Some(code) => {
            let _ = write!(out, " ({code})");
        }
        None if icmp_has_codes(icmp.icmp_type) => {
            let _ = write!(out, " (Unknown code: {})", icmp.code);
        }
        None => {}
    }
    if icmp_has_id_seq(icmp.icmp_type)
        && let Some((id, seq)) = icmp.echo
    {
        let _ = write!(out, " id=0x{id:04x}, seq={seq}/{}", seq.swap_bytes());
        if let Some(ttl) = ttl {
            let _ = write!(out, ", ttl={ttl}");
        }
    }
    if let Some(n) = request_in {
        let _ = write!(out, " (request in {n})");
    }
}

/// Writes the ICMPv6 Info column, e.g. `Echo (ping) request id=0x0000, seq=0, hop limit=5`.
pub fn write_icmpv6_info(
    out: &mut String,
    icmp: &Icmp,
    hop_limit: Option<u8>,
    request_in: Option<u64>,
    nd: Option<&crate::decode::nd::Nd<'_>>,
) {
    match icmpv6_type_name(icmp.icmp_type) {
        Some(name) => out.push_str(name),
        None => {
            let _ = write!(out, "Unknown ({})", icmp.icmp_type);
        }
    }
    if let Some(code) = icmpv6_code_name(icmp.icmp_type, icmp.code) {
        let _ = write!(out, " ({code})");
    }
    if matches!(icmp.icmp_type, 128 | 129)
        && let Some((id, seq)) = icmp.echo
    {
        let _ = write!(out, " id=0x{id:04x}, seq={seq}");
        if let Some(h) = hop_limit {
            let _ = write!(out, ", hop limit={h}");
        }
    }
    if let Some(nd) = nd {
        write_nd_info(out, nd);
    }
    if let Some(n) = request_in {
        let _ = write!(out, " (request in {n})");
    }
}

/// What tshark appends to a neighbour discovery message's type: "for fe80::2 from
/// 02:00:00:aa:bb:cc", "fe80::2 (rtr, sol, ovr) is at 02:00:00:11:22:33", "from MAC".
fn write_nd_info(out: &mut String, nd: &crate::decode::nd::Nd<'_>) {
    match nd.icmp_type {
        135 => {
            if let Some(t) = nd.target {
                let _ = write!(out, " for {t}");
            }
            if let Some(mac) = nd.source_mac {
                out.push_str(" from ");
                write_mac(out, mac);
            }
        }
        136 => {
            if let Some(t) = nd.target {
                let _ = write!(out, " {t}");
            }
            let names = [(0x80, "rtr"), (0x40, "sol"), (0x20, "ovr")];
            out.push_str(" (");
            let mut first = true;
            for (bit, name) in names {
                if nd.flags & bit != 0 {
                    if !first {
                        out.push_str(", ");
                    }
                    out.push_str(name);
                    first = false;
                }
            }
            out.push(')');
            if let Some(mac) = nd.target_mac {
                out.push_str(" is at ");
                write_mac(out, mac);
            }
        }
        133 | 134 => {
            if let Some(mac) = nd.source_mac {
                out.push_str(" from ");
                write_mac(out, mac);
            }
        }
        _ => {}
    }
}

fn write_ip4(out: &mut String, bytes: &[u8]) {
    match <[u8; 4]>::try_from(bytes) {
        Ok(a) => {
            let _ = write!(out, "{}", std::net::Ipv4Addr::from(a));
        }
        Err(_) => write_mac(out, bytes),
    }
}

/// Writes the ARP Info column: `Who has 10.0.0.2? Tell 10.0.0.1`, `10.0.0.2 is at aa:bb:…`.
pub fn write_arp_info(out: &mut String, arp: &Arp) {
    let gratuitous = arp.sender_proto == arp.target_proto && !arp.sender_proto.is_empty();
    match arp.operation {
        // tshark: an announcement is a gratuitous request whose target MAC is all zeros.
        1 if gratuitous && arp.target_hw.iter().all(|b| *b == 0) => {
            out.push_str("ARP Announcement for ");
            write_ip4(out, &arp.sender_proto);
        }
        1 if gratuitous => {
            out.push_str("Gratuitous ARP for ");
            write_ip4(out, &arp.sender_proto);
            out.push_str(" (Request)");
        }
        1 if arp.sender_proto.iter().all(|b| *b == 0) => {
            out.push_str("Who has ");
            write_ip4(out, &arp.target_proto);
            out.push_str("? (ARP Probe)");
        }
        1 => {
            out.push_str("Who has ");
            write_ip4(out, &arp.target_proto);
            out.push_str("? Tell ");
            write_ip4(out, &arp.sender_proto);
        }
        2 if gratuitous => {
            out.push_str("Gratuitous ARP for ");
            write_ip4(out, &arp.sender_proto);
            out.push_str(" (Reply)");
        }
        2 => {
            write_ip4(out, &arp.sender_proto);
            out.push_str(" is at ");
            write_mac(out, &arp.sender_hw);
        }
        op => {
            let _ = write!(out, "Unknown ARP opcode 0x{op:04x}");
        }
    }
}

/// Writes the Info of an IPv4 fragment that is shown as data:
/// `Fragmented IP protocol (proto=UDP 17, off=0, ID=9c89)`.
pub fn write_ipv4_fragment_info(out: &mut String, ip: &Ipv4) {
    let _ = write!(
        out,
        "Fragmented IP protocol (proto={} {}, off={}, ID={:04x})",
        ip_proto_name(ip.protocol),
        ip.protocol,
        ip.fragment_offset,
        ip.identification
    );
}

/// Writes the Info of an IPv6 fragment: `IPv6 fragment (off=0 more=y ident=0x002c5323 nxt=17)`.
pub fn write_ipv6_fragment_info(out: &mut String, ip: &Ipv6) {
    if let Some(f) = ip.fragment {
        let _ = write!(
            out,
            "IPv6 fragment (off={} more={} ident=0x{:08x} nxt={})",
            f.offset,
            if f.more_fragments { 'y' } else { 'n' },
            f.identification,
            ip.protocol
        );
    }
}

/// True when this IPv4 header is (part of) a fragmented datagram.
pub fn ipv4_is_fragment(ip: &Ipv4) -> bool {
    ip.more_fragments || ip.fragment_offset > 0
}

/// Writes what Wireshark appends to a frame cut short by the snap length.
pub fn write_problem_suffix(out: &mut String, packet: &Packet<'_>) {
    if let Some(p) = &packet.problem {
        match p.kind {
            ProblemKind::Truncated { .. } => out.push_str("[Packet size limited during capture]"),
            ProblemKind::Malformed(_) => out.push_str("[Malformed Packet]"),
            ProblemKind::Unsupported(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(flags: u16, options: Vec<TcpOption>, len: u32) -> Tcp {
        Tcp {
            src_port: 58458,
            dst_port: 23456,
            seq: 2631065158,
            ack: 0,
            header_len: 20,
            flags: TcpFlags(flags),
            window: 65495,
            checksum: 0,
            urgent_ptr: 0,
            options: options.into(),
            payload_len: len,
            short: false,
        }
    }

    fn info(t: &Tcp, f: Option<&TcpFacts>, abs: bool) -> String {
        let mut s = String::new();
        write_tcp_info(&mut s, t, f, abs);
        s
    }

    #[test]
    fn test_syn_info_with_options() {
        let t = tcp(
            TcpFlags::SYN,
            vec![
                TcpOption::Mss(65495),
                TcpOption::SackPermitted,
                TcpOption::Timestamps {
                    tsval: 2013912911,
                    tsecr: 0,
                },
                TcpOption::Nop,
                TcpOption::WindowScale(10),
            ],
            0,
        );
        let f = TcpFacts {
            window: 65495,
            next_seq: 1,
            ..TcpFacts::default()
        };
        assert_eq!(
            info(&t, Some(&f), false),
            "58458 → 23456 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=2013912911 TSecr=0 WS=1024"
        );
        assert_eq!(
            info(&t, Some(&f), true),
            "58458 → 23456 [SYN] Seq=2631065158 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=2013912911 TSecr=0 WS=1024"
        );
    }

    #[test]
    fn test_data_info_ack_and_labels() {
        let mut t = tcp(TcpFlags::PSH | TcpFlags::ACK, vec![], 11);
        t.ack = 100;
        let f = TcpFacts {
            rel_seq: 1,
            rel_ack: 1,
            window: 65536,
            analysis: Analysis(Analysis::RETRANSMISSION),
            ..TcpFacts::default()
        };
        assert_eq!(
            info(&t, Some(&f), false),
            "[TCP Retransmission] 58458 → 23456 [PSH, ACK] Seq=1 Ack=1 Win=65536 Len=11"
        );
    }

    #[test]
    fn test_spurious_retransmission_one_label() {
        let t = tcp(TcpFlags::PSH | TcpFlags::ACK, vec![], 1430);
        let bits = Analysis::RETRANSMISSION | Analysis::SPURIOUS_RETRANSMISSION;
        let f = TcpFacts {
            rel_seq: 1,
            rel_ack: 722,
            window: 31460,
            analysis: Analysis(bits),
            ..TcpFacts::default()
        };
        assert_eq!(
            info(&t, Some(&f), false),
            "[TCP Spurious Retransmission] 58458 → 23456 [PSH, ACK] Seq=1 Ack=722 Win=31460 Len=1430"
        );
    }

    #[test]
    fn test_dup_ack_label_and_sack_relative() {
        let mut t = tcp(
            TcpFlags::ACK,
            vec![
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Sack(vec![(1282, 1283)]),
            ],
            0,
        );
        t.ack = 1222;
        let f = TcpFacts {
            rel_seq: 3312,
            rel_ack: 222,
            window: 43520,
            analysis: Analysis(Analysis::DUP_ACK),
            dup_ack: Some((39, 1)),
            ..TcpFacts::default()
        };
        assert_eq!(
            info(&t, Some(&f), false),
            "[TCP Dup ACK 39#1] 58458 → 23456 [ACK] Seq=3312 Ack=222 Win=43520 Len=0 SLE=282 SRE=283"
        );
    }

    #[test]
    fn test_all_flags_urg() {
        let t = tcp(0xff, vec![], 0);
        let f = TcpFacts {
            rel_ack: 1,
            window: 512,
            ..TcpFacts::default()
        };
        assert_eq!(
            info(&t, Some(&f), false),
            "58458 → 23456 [FIN, SYN, RST, PSH, ACK, URG, ECE, CWR] Seq=0 Ack=1 Win=512 Urg=0 Len=0"
        );
    }

    /// The usual combinations written as one piece read as the name-by-name list.
    #[test]
    fn test_usual_flags_as_listed() {
        for bits in 0..0x1000u16 {
            for ace in [false, true] {
                let (mut fast, mut slow) = (String::new(), String::new());
                write_tcp_flags(&mut fast, TcpFlags(bits), ace);
                write_flag_list(&mut slow, TcpFlags(bits), ace);
                assert_eq!(fast, slow, "{bits:#x} {ace}");
            }
        }
    }

    #[test]
    fn test_no_flags_and_reserved() {
        let mut s = String::new();
        write_tcp_flags(&mut s, TcpFlags(0), false);
        assert_eq!(s, "<None>");
        s.clear();
        write_tcp_flags(&mut s, TcpFlags(0x100 | 0x200 | TcpFlags::ACK), false);
        assert_eq!(s, "ACK, AE, Reserved");
    }

    #[test]
    fn test_accurate_ecn_ace_counter() {
        let mut s = String::new();
        // ACK with CWR set: ACE = 2.
        write_tcp_flags(&mut s, TcpFlags(TcpFlags::ACK | TcpFlags::CWR), true);
        assert_eq!(s, "ACK, ACE=2");
        s.clear();
        // AE + ECE: ACE = 5.
        write_tcp_flags(
            &mut s,
            TcpFlags(TcpFlags::ACK | TcpFlags::AE | TcpFlags::ECE),
            true,
        );
        assert_eq!(s, "ACK, ACE=5");
    }

    #[test]
    fn test_tfo_options() {
        let t = tcp(
            TcpFlags::SYN,
            vec![TcpOption::Mss(1460), TcpOption::FastOpen(vec![])],
            0,
        );
        let f = TcpFacts {
            window: 1400,
            ..TcpFacts::default()
        };
        assert_eq!(
            info(&t, Some(&f), false),
            "58458 → 23456 [SYN] Seq=0 Win=1400 Len=0 MSS=1460 TFO=R"
        );
    }

    #[test]
    fn test_udp_info() {
        let u = Udp {
            src_port: 32887,
            dst_port: 23457,
            length: 13,
            checksum: 0,
            payload_len: 5,
        };
        let mut s = String::new();
        write_udp_info(&mut s, &u);
        assert_eq!(s, "32887 → 23457 Len=5");
    }

    #[test]
    fn test_icmp_echo_padding() {
        let req = Icmp {
            icmp_type: 8,
            code: 0,
            checksum: 0,
            rest_of_header: [0; 4],
            echo: Some((0xd73b, 0)),
            quoted: None,
        };
        let mut s = String::new();
        write_icmp_info(&mut s, &req, Some(64), None);
        assert_eq!(s, "Echo (ping) request  id=0xd73b, seq=0/0, ttl=64");
        let rep = Icmp {
            icmp_type: 0,
            ..req.clone()
        };
        s.clear();
        write_icmp_info(&mut s, &rep, Some(40), Some(9));
        assert_eq!(
            s,
            "Echo (ping) reply    id=0xd73b, seq=0/0, ttl=40 (request in 9)"
        );
        let mask = Icmp {
            icmp_type: 17,
            code: 0,
            checksum: 0,
            rest_of_header: [0; 4],
            echo: Some((0xb00c, 1536)),
            quoted: None,
        };
        s.clear();
        write_icmp_info(&mut s, &mask, Some(64), None);
        assert_eq!(s, "Address mask request id=0xb00c, seq=1536/6, ttl=64");
    }

    #[test]
    fn test_icmp_errors() {
        let mut s = String::new();
        let e = Icmp {
            icmp_type: 3,
            code: 3,
            checksum: 0,
            rest_of_header: [0; 4],
            echo: None,
            quoted: None,
        };
        write_icmp_info(&mut s, &e, Some(64), None);
        assert_eq!(s, "Destination unreachable (Port unreachable)");
        s.clear();
        write_icmp_info(
            &mut s,
            &Icmp {
                icmp_type: 5,
                code: 1,
                ..e.clone()
            },
            None,
            None,
        );
        assert_eq!(s, "Redirect             (Redirect for host)");
        s.clear();
        write_icmp_info(
            &mut s,
            &Icmp {
                icmp_type: 10,
                code: 0,
                ..e.clone()
            },
            None,
            None,
        );
        assert_eq!(s, "Router solicitation ");
        s.clear();
        write_icmp_info(
            &mut s,
            &Icmp {
                icmp_type: 4,
                code: 0,
                ..e
            },
            None,
            None,
        );
        assert_eq!(s, "Source quench (flow control)");
    }

    #[test]
    fn test_icmpv6_echo() {
        let mut s = String::new();
        let e = Icmp {
            icmp_type: 128,
            code: 0,
            checksum: 0,
            rest_of_header: [0; 4],
            echo: Some((0, 0)),
            quoted: None,
        };
        write_icmpv6_info(&mut s, &e, Some(5), None, None);
        assert_eq!(s, "Echo (ping) request id=0x0000, seq=0, hop limit=5");
    }

    #[test]
    fn test_arp_info() {
        let arp = Arp {
            operation: 1,
            hw_type: 1,
            proto_type: 0x0800,
            sender_hw: vec![0x30, 0x46, 0x9a, 0x23, 0xfb, 0xfa],
            sender_proto: vec![10, 0, 0, 1],
            target_hw: vec![0; 6],
            target_proto: vec![10, 0, 0, 2],
        };
        let mut s = String::new();
        write_arp_info(&mut s, &arp);
        assert_eq!(s, "Who has 10.0.0.2? Tell 10.0.0.1");
        s.clear();
        write_arp_info(
            &mut s,
            &Arp {
                operation: 2,
                ..arp
            },
        );
        assert_eq!(s, "10.0.0.1 is at 30:46:9a:23:fb:fa");
    }

    /// Cached or not, an address reads as its `Display`, through slot collisions.
    #[test]
    fn test_address_cache_as_display() {
        let mut cache = AddressCache::default();
        let mut x: u64 = 5;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let ip = if x.is_multiple_of(3) {
                IpAddr::V6(std::net::Ipv6Addr::from(u128::from(x >> 50) << (x % 100)))
            } else {
                IpAddr::V4(Ipv4Addr::from((x >> 40) as u32 & 0xff00_3fff))
            };
            let mut s = String::from("x");
            cache.push(&mut s, ip);
            assert_eq!(s, format!("x{ip}"));
        }
    }

    #[test]
    fn test_mac_broadcast() {
        let mut s = String::new();
        write_mac(&mut s, &[0xff; 6]);
        assert_eq!(s, "Broadcast");
    }

    #[test]
    fn test_ipv4_fragment_info() {
        let ip = Ipv4 {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            header_len: 20,
            total_len: 1500,
            identification: 0x9c89,
            dont_fragment: false,
            more_fragments: true,
            fragment_offset: 1480,
            ttl: 64,
            protocol: 17,
            checksum: 0,
            dscp: 0,
            ecn: 0,
            route_dst: None,
        };
        let mut s = String::new();
        write_ipv4_fragment_info(&mut s, &ip);
        assert_eq!(
            s,
            "Fragmented IP protocol (proto=UDP 17, off=1480, ID=9c89)"
        );
    }

    #[test]
    fn test_accecn_counters_in_info() {
        let t = tcp(
            TcpFlags::SYN | TcpFlags::ACK,
            vec![TcpOption::AccEcn(vec![
                ("EE0B", 1),
                ("ECEB", 0),
                ("EE1B", 0),
            ])],
            0,
        );
        assert_eq!(
            info(&t, None, true),
            "58458 → 23456 [SYN, ACK] Seq=2631065158 Ack=0 Win=65495 Len=0 EE0B=1 ECEB=0 EE1B=0"
        );
    }

    #[test]
    fn test_short_segment_info_ends_malformed() {
        let mut t = tcp(TcpFlags::ACK, vec![], 0);
        t.short = true;
        assert_eq!(
            info(&t, None, true),
            "58458 → 23456 [ACK] Seq=2631065158 Ack=0 Win=65495[Malformed Packet]"
        );
    }
}
