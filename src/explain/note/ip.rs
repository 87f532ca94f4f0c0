//! Notes for the IP layer: tunnels, fragments, IGMP.

use super::*;

/// Names the outer header of the tunnel a packet came through, e.g. "inside a GRE
/// tunnel from 10.0.0.1 to 10.0.0.2".
pub(super) fn tunnel_note(out: &mut String, t: &crate::decode::Tunnel) {
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

/// The note of an IP fragment shown as data: which fragment of which datagram,
/// where its bytes go, and whether more are awaited.
pub(super) fn fragment_note(
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

/// The note of an IGMP message: a host joining or leaving a multicast group, or a
/// router asking who listens.
pub(super) fn igmp_note(out: &mut String, igmp: &crate::decode::igmp::Igmp<'_>) {
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
