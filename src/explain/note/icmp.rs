//! Notes for ICMP and ICMPv6: echo pairing, errors and what they quote, neighbour
//! discovery.

use super::*;

/// The ones' complement sum of two 16-bit words (RFC 1071).
pub(super) fn ones_add(a: u16, b: u16) -> u16 {
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
pub(super) fn pair_echo(
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
pub(super) fn icmp_note(
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
pub(super) fn nd_note(
    out: &mut String,
    packet: &Packet<'_>,
    nd: Option<&crate::decode::nd::Nd<'_>>,
) {
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
