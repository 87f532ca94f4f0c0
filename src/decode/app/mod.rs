//! Application protocols above TCP and UDP: which payloads get a dissector, and one file
//! per protocol that reads its bytes. The choice follows tshark's: its port tables
//! (`udp.port`, `tcp.port`), the lower port tried first, each protocol's own content check
//! able to decline, and what no dissector takes stays data (tshark's "Data"; the lab's own
//! frames keep their TCP/UDP Info). Classifying a frame costs a port `match` and never
//! allocates; the protocol's parser runs only later, in `explain`, for a frame whose words
//! are written. No parser here can panic, whatever the bytes.
//!
//! Adding a protocol: a variant of [`AppProto`] (its tshark name in [`AppProto::name`], its
//! Zeek service in [`AppProto::zeek_service`]), its ports in [`by_port`], its content check
//! in [`accepts`], a file here with the parser, and a file in `explain/app/` with its
//! Protocol, Info and note.

pub mod dhcp;
pub mod dhcpv6;
pub mod dns;
pub mod gquic;
pub mod http;
pub mod nbns;
pub mod ntp;
pub mod quic;
pub mod ssdp;
pub mod ssh;
pub mod tls;
pub mod web;

/// The application protocols wirelab names (tshark's dissectors of the same name).
///
/// Network-layer protocols of issue 14 (ARP, IGMP, ICMP, ICMPv6 neighbour discovery) are not
/// here: they are decoded by their own layer (`Net::Arp`, `Transport::Other`, `Transport::Icmp*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AppProto {
    /// Domain Name System (UDP and TCP port 53).
    Dns,
    /// Multicast DNS (UDP 5353): DNS messages announcing and finding local devices.
    Mdns,
    /// Link-Local Multicast Name Resolution (UDP and TCP 5355), Windows' local names.
    Llmnr,
    /// NetBIOS Name Service (UDP 137).
    Nbns,
    /// DHCP, or BOOTP when the message has no DHCP message type (UDP 67 and 68).
    Dhcp,
    /// DHCPv6 (UDP 546 and 547).
    Dhcpv6,
    /// Network Time Protocol (UDP 123).
    Ntp,
    /// Simple Service Discovery Protocol (UDP 1900): HTTP-like lines over UDP.
    Ssdp,
    /// HTTP/1.x (TCP 80, 8080, ...).
    Http,
    /// TLS (TCP 443, ...).
    Tls,
    /// QUIC (UDP 443).
    Quic,
    /// SSH (TCP 22).
    Ssh,
}

impl AppProto {
    /// Every protocol, in declaration order.
    pub const ALL: [AppProto; 12] = [
        AppProto::Dns,
        AppProto::Mdns,
        AppProto::Llmnr,
        AppProto::Nbns,
        AppProto::Dhcp,
        AppProto::Dhcpv6,
        AppProto::Ntp,
        AppProto::Ssdp,
        AppProto::Http,
        AppProto::Tls,
        AppProto::Quic,
        AppProto::Ssh,
    ];

    /// tshark's short name of the protocol: its Protocol column unless the dissector
    /// writes a more precise one (BOOTP for a DHCP message without a message type,
    /// TLSv1.2 or TLSv1.3 for TLS, SSHv2 for SSH).
    pub fn name(&self) -> &'static str {
        match self {
            AppProto::Dns => "DNS",
            AppProto::Mdns => "MDNS",
            AppProto::Llmnr => "LLMNR",
            AppProto::Nbns => "NBNS",
            AppProto::Dhcp => "DHCP",
            AppProto::Dhcpv6 => "DHCPv6",
            AppProto::Ntp => "NTP",
            AppProto::Ssdp => "SSDP",
            AppProto::Http => "HTTP",
            AppProto::Tls => "TLS",
            AppProto::Quic => "QUIC",
            AppProto::Ssh => "SSH",
        }
    }

    /// The service name Zeek writes in `conn.log` for a connection of this protocol
    /// (`dns`, `http`, `ssl`, `quic`, `dhcp`, `ntp`, `ssh`), or `""` where Zeek has no
    /// analyzer for it (DHCPv6, SSDP) and writes `-`. Zeek's DNS analyzer also takes
    /// mDNS, LLMNR and NetBIOS names (its ports 137, 5353 and 5355), so all four are `dns`.
    pub fn zeek_service(&self) -> &'static str {
        match self {
            AppProto::Dns | AppProto::Mdns | AppProto::Llmnr | AppProto::Nbns => "dns",
            AppProto::Dhcp => "dhcp",
            AppProto::Ntp => "ntp",
            AppProto::Http => "http",
            AppProto::Tls => "ssl",
            AppProto::Quic => "quic",
            AppProto::Ssh => "ssh",
            AppProto::Dhcpv6 | AppProto::Ssdp => "",
        }
    }
}

/// The transport an application payload came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L4 {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// [`http::TCP_PORTS`] as a set.
static HTTP_TCP_PORTS: PortSet = PortSet::of(&http::TCP_PORTS);
/// [`tls::TCP_PORTS`] as a set.
static TLS_TCP_PORTS: PortSet = PortSet::of(&tls::TCP_PORTS);

/// A set of ports made at compile time from a list: one bit per port, so that asking
/// whether a port is in it costs one load, whatever the list's length (the port tables
/// are asked about every TCP and UDP payload).
pub(crate) struct PortSet([u64; 1024]);

impl PortSet {
    /// The set of `ports`.
    pub(crate) const fn of(ports: &[u16]) -> PortSet {
        let mut bits = [0u64; 1024];
        let mut i = 0;
        while i < ports.len() {
            let p = ports[i] as usize;
            bits[p >> 6] |= 1 << (p & 63);
            i += 1;
        }
        PortSet(bits)
    }

    /// True when `port` is in the set.
    #[inline]
    pub(crate) fn contains(&self, port: u16) -> bool {
        let p = usize::from(port);
        self.0.get(p >> 6).is_some_and(|w| (w >> (p & 63)) & 1 == 1)
    }
}

/// The protocol tshark registers on `port` of transport `l4` (its `tcp.port` and
/// `udp.port` tables, for the protocols wirelab dissects). No content check.
#[inline]
pub fn by_port(l4: L4, port: u16) -> Option<AppProto> {
    Some(match (l4, port) {
        (_, 53) => AppProto::Dns,
        (L4::Udp, 5353) => AppProto::Mdns,
        (_, 5355) => AppProto::Llmnr,
        (L4::Udp, 137) => AppProto::Nbns,
        (L4::Udp, 67 | 68) => AppProto::Dhcp,
        (L4::Udp, 546 | 547) => AppProto::Dhcpv6,
        (L4::Udp, 123) => AppProto::Ntp,
        (L4::Udp, 1900) => AppProto::Ssdp,
        (L4::Tcp, p) if HTTP_TCP_PORTS.contains(p) => AppProto::Http,
        (L4::Tcp, p) if TLS_TCP_PORTS.contains(p) => AppProto::Tls,
        (L4::Tcp, ssh::TCP_PORT) => AppProto::Ssh,
        (L4::Udp, quic::UDP_PORT) => AppProto::Quic,
        _ => return None,
    })
}

/// The content check of `proto` on a payload that came to one of its ports: false when
/// the protocol's dissector would decline it (tshark then tries the other port, then shows
/// the payload as data).
fn accepts(proto: AppProto, l4: L4, payload: &[u8]) -> bool {
    match proto {
        AppProto::Dns | AppProto::Mdns | AppProto::Llmnr | AppProto::Nbns => {
            dns::accepts(l4, payload)
        }
        // tshark's DHCP, DHCPv6, NTP and SSDP dissectors take every payload on their
        // UDP ports (a bad one is shown malformed, or as SSDP "Continuation").
        AppProto::Dhcp | AppProto::Dhcpv6 | AppProto::Ntp | AppProto::Ssdp => {
            l4 == L4::Udp && !payload.is_empty()
        }
        // HTTP, TLS and SSH take every segment on their ports: whether it starts a
        // message or continues one is the TCP reassembly's question (`web`), which
        // follows the conversation (and finds them on other ports by content too).
        AppProto::Http | AppProto::Tls | AppProto::Ssh => l4 == L4::Tcp,
        // Google QUIC (versions Q0xx) is another protocol, not dissected.
        AppProto::Quic => l4 == L4::Udp && !quic::is_gquic(payload),
    }
}

/// The dissector tshark gives an application payload: the protocol of the lower port, if
/// its content check accepts the payload, else that of the higher port (port 0 is never
/// looked up), else `None` (data, or the lab's own exchange). An empty payload is never
/// claimed (a bare TCP ACK on port 53 is TCP). Allocation-free.
///
/// This is the predicate the lab model uses to leave DNS, HTTP, TLS and the rest out of its
/// judgement: a conversation is claimed when its first payload is.
#[inline]
pub fn classify(l4: L4, src_port: u16, dst_port: u16, payload: &[u8]) -> Option<AppProto> {
    if payload.is_empty() {
        return None;
    }
    low_first(src_port, dst_port)
        .filter_map(|p| by_port(l4, p))
        .find(|proto| accepts(*proto, l4, payload))
}

/// [`classify`] for a conversation seen before its first payload (the lab model's
/// question "is this exchange the lab's?"): the protocol registered on either port,
/// the lower first, without a content check.
pub fn claims_ports(l4: L4, port_a: u16, port_b: u16) -> Option<AppProto> {
    low_first(port_a, port_b).find_map(|p| by_port(l4, p))
}

/// The two ports in the order tshark looks them up: the lower first, port 0 never.
fn low_first(a: u16, b: u16) -> impl Iterator<Item = u16> {
    [a.min(b), a.max(b)].into_iter().filter(|p| *p != 0)
}

/// Records the detail view's fields of the payload a dissector claims (`packet.app`),
/// `payload` being the captured bytes at frame offset `at`; false when no dissector here
/// writes fields for it (the caller then shows the bytes as data). Called only with a
/// recording sink (the detail view).
pub fn fields<S: crate::decode::spans::FieldSink>(
    packet: &super::Packet<'_>,
    payload: &[u8],
    at: usize,
    s: &mut S,
) -> bool {
    let Some(proto) = packet.app else {
        return false;
    };
    let l4 = match packet.transport {
        super::Transport::Tcp(_) => L4::Tcp,
        super::Transport::Udp(_) => L4::Udp,
        _ => return false,
    };
    let s = &mut s.at(at);
    match proto {
        AppProto::Dns | AppProto::Mdns | AppProto::Llmnr | AppProto::Nbns => {
            dns::fields(proto, l4, payload, s)
        }
        AppProto::Dhcp => dhcp::fields(payload, s),
        AppProto::Http if l4 == L4::Tcp => return http::fields(payload, s),
        AppProto::Tls if l4 == L4::Tcp => return tls::fields(payload, s),
        _ => return false,
    }
    true
}

/// Reads a big-endian `u16` at `at` of `b`, if there.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    super::be16(b, at)
}

/// Reads a big-endian `u32` at `at` of `b`, if there.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    super::be32(b, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_classify_lower_port_first() {
        let query = dns::tests::QUERY_A;
        assert_eq!(
            classify(L4::Udp, 5353, 53, &query),
            Some(AppProto::Dns),
            "53 is lower"
        );
        assert_eq!(classify(L4::Udp, 5353, 5353, &query), Some(AppProto::Mdns));
        assert_eq!(
            classify(L4::Udp, 40000, 5355, &query),
            Some(AppProto::Llmnr)
        );
        assert_eq!(classify(L4::Tcp, 40000, 53, &query), Some(AppProto::Dns));
        assert_eq!(
            classify(L4::Tcp, 40000, 53, &[0]),
            None,
            "no room for the length"
        );
    }

    #[test]
    fn test_classify_lab_ports_and_empty_are_unclaimed() {
        assert_eq!(classify(L4::Udp, 40000, 23457, b"hello"), None);
        assert_eq!(classify(L4::Tcp, 58458, 23456, b"hello"), None);
        assert_eq!(classify(L4::Udp, 40000, 53, b""), None);
        assert_eq!(classify(L4::Udp, 0, 0, b"hello"), None);
    }

    #[test]
    fn test_port_sets_hold_their_lists_only() {
        for p in 0..=u16::MAX {
            assert_eq!(
                HTTP_TCP_PORTS.contains(p),
                http::TCP_PORTS.contains(&p),
                "{p}"
            );
            assert_eq!(
                TLS_TCP_PORTS.contains(p),
                tls::TCP_PORTS.contains(&p),
                "{p}"
            );
        }
    }

    #[test]
    fn test_claims_ports() {
        assert_eq!(claims_ports(L4::Tcp, 53, 40000), Some(AppProto::Dns));
        assert_eq!(claims_ports(L4::Udp, 40000, 23457), None);
    }

    #[test]
    fn test_zeek_services() {
        let services: Vec<&str> = AppProto::ALL.iter().map(|p| p.zeek_service()).collect();
        assert_eq!(
            services,
            [
                "dns", "dns", "dns", "dns", "dhcp", "", "ntp", "", "http", "ssl", "quic", "ssh"
            ]
        );
    }
}
