//! One name table per registry: pcap link types, EtherTypes, PPP protocols, IP
//! protocols, ICMP and ICMPv6 types and codes, well-known ports. Where tshark's
//! columns show a name, the table holds tshark's spelling. Every user (the Protocol
//! and Info columns, the notes, JSON Lines, the detail view, source banners) reads
//! these; no other module spells a registry's names. Pure lookups, no I/O.

/// A pcap link type (`LINKTYPE_*`): its registry name and Wireshark's short name
/// (the Protocol column of a frame nothing above the link decodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTypeName {
    /// The tcpdump.org registry name, e.g. `LINKTYPE_ETHERNET`.
    pub registry: &'static str,
    /// Wireshark's short name, e.g. `Ethernet`.
    pub short: &'static str,
}

/// The names of pcap link type `linktype`.
pub fn link_type(linktype: u32) -> LinkTypeName {
    let (registry, short) = match linktype {
        0 => ("LINKTYPE_NULL", "Null/Loopback"),
        1 => ("LINKTYPE_ETHERNET", "Ethernet"),
        6 => ("LINKTYPE_IEEE802_5", "Token Ring"),
        8 => ("LINKTYPE_SLIP", "SLIP"),
        9 => ("LINKTYPE_PPP", "PPP"),
        10 => ("LINKTYPE_FDDI", "FDDI"),
        12 | 14 | 101 => ("LINKTYPE_RAW", "Raw IP"),
        50 => ("LINKTYPE_PPP_HDLC", "PPP"),
        51 => ("LINKTYPE_PPP_ETHER", "PPPoE"),
        104 => ("LINKTYPE_C_HDLC", "CHDLC"),
        105 => ("LINKTYPE_IEEE802_11", "IEEE 802.11"),
        107 => ("LINKTYPE_FRELAY", "Frame Relay"),
        108 => ("LINKTYPE_LOOP", "OpenBSD loopback"),
        113 => ("LINKTYPE_LINUX_SLL", "SLL"),
        119 => ("LINKTYPE_IEEE802_11_PRISM", "Prism"),
        127 => ("LINKTYPE_IEEE802_11_RADIOTAP", "802.11 Radiotap"),
        147..=162 => ("LINKTYPE_USER", "USER"),
        163 => ("LINKTYPE_IEEE802_11_AVS", "AVS"),
        187 => ("LINKTYPE_BLUETOOTH_HCI_H4", "HCI H4"),
        189 => ("LINKTYPE_USB_LINUX", "USB"),
        195 => ("LINKTYPE_IEEE802_15_4_WITHFCS", "IEEE 802.15.4"),
        201 => ("LINKTYPE_BLUETOOTH_HCI_H4_WITH_PHDR", "HCI H4"),
        204 => ("LINKTYPE_PPP_WITH_DIR", "PPP"),
        220 => ("LINKTYPE_USB_LINUX_MMAPPED", "USB"),
        227 => ("LINKTYPE_CAN_SOCKETCAN", "CAN"),
        228 => ("LINKTYPE_IPV4", "Raw IPv4"),
        229 => ("LINKTYPE_IPV6", "Raw IPv6"),
        239 => ("LINKTYPE_NFLOG", "NFLOG"),
        249 => ("LINKTYPE_USBPCAP", "USB"),
        253 => ("LINKTYPE_NETLINK", "Netlink"),
        276 => ("LINKTYPE_LINUX_SLL2", "SLL2"),
        _ => ("unknown link type", "Unknown link type"),
    };
    LinkTypeName { registry, short }
}

/// The registry name of a pcap link type with its number, e.g.
/// `LINKTYPE_IEEE802_11 (105)` or `LINKTYPE_USER13 (160)`.
pub fn linktype_name(linktype: u32) -> String {
    match linktype {
        147..=162 => format!("LINKTYPE_USER{} ({linktype})", linktype - 147),
        _ => format!("{} ({linktype})", link_type(linktype).registry),
    }
}

/// Wireshark's short name of a pcap link type (see [`LinkTypeName::short`]).
pub fn link_name(linktype: u32) -> &'static str {
    link_type(linktype).short
}

/// The name of an EtherType, as the detail view names what a Type field announces
/// ("unknown" for the others).
pub fn ethertype_name(ethertype: u16) -> &'static str {
    match ethertype {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x8035 => "RARP",
        0x86dd => "IPv6",
        0x8100 => "802.1Q VLAN",
        0x88a8 => "802.1ad QinQ",
        0x9100 | 0x9200 => "QinQ (old)",
        0x6558 => "Transparent Ethernet Bridging",
        0x880b => "PPP",
        0x8847 => "MPLS",
        0x8848 => "MPLS multicast",
        0x8863 | 0x8864 => "PPPoE",
        0x888e => "802.1X",
        0x88cc => "LLDP",
        0x88e5 => "MACsec",
        0x88f7 => "PTP",
        0x8906 => "FCoE",
        _ => "unknown",
    }
}

/// Wireshark's name of a PPP protocol field value, e.g. `0x0021` "Internet Protocol
/// version 4" ("unknown" for the others).
pub fn ppp_protocol_name(protocol: u16) -> &'static str {
    match protocol {
        0x0021 => "Internet Protocol version 4",
        0x0057 => "Internet Protocol version 6",
        0x0281 => "MPLS Unicast",
        0x0283 => "MPLS Multicast",
        0x8021 => "Internet Protocol Control Protocol",
        0x8057 => "IPv6 Control Protocol",
        0x8281 => "MPLS Control Protocol",
        0xc021 => "Link Control Protocol",
        0xc023 => "Password Authentication Protocol",
        0xc025 => "Link Quality Report",
        0xc223 => "Challenge Handshake Authentication Protocol",
        _ => "unknown",
    }
}

/// Wireshark's Protocol column for a PPP control protocol packet (`PPP LCP`, ...),
/// `None` for a PPP protocol that is not one.
pub fn ppp_control_column(protocol: u16) -> Option<&'static str> {
    Some(match protocol {
        0xc021 => "PPP LCP",
        0x8021 => "PPP IPCP",
        0x8057 => "PPP IPV6CP",
        0x80fd => "PPP CCP",
        0x8281 => "PPP MPLSCP",
        0xc023 => "PPP PAP",
        0xc223 => "PPP CHAP",
        _ => return None,
    })
}

/// Wireshark's name of the code of a PPP control protocol packet (LCP and the
/// network control protocols share codes 1 to 7; LCP adds 8 to 11), as its Info
/// column shows it.
pub fn ppp_control_code_name(protocol: u16, code: u8) -> Option<&'static str> {
    Some(match (protocol, code) {
        (0xc023, 1) => "Authenticate-Request",
        (0xc023, 2) => "Authenticate-Ack",
        (0xc023, 3) => "Authenticate-Nak",
        (0xc223, 1) => "Challenge",
        (0xc223, 2) => "Response",
        (0xc223, 3) => "Success",
        (0xc223, 4) => "Failure",
        (0xc023 | 0xc223, _) => return None,
        (_, 1) => "Configuration Request",
        (_, 2) => "Configuration Ack",
        (_, 3) => "Configuration Nak",
        (_, 4) => "Configuration Reject",
        (_, 5) => "Termination Request",
        (_, 6) => "Termination Ack",
        (_, 7) => "Code Reject",
        (0xc021, 8) => "Protocol Reject",
        (0xc021, 9) => "Echo Request",
        (0xc021, 10) => "Echo Reply",
        (0xc021, 11) => "Discard Request",
        (0xc021, 12) => "Identification",
        (0xc021, 13) => "Time Remaining",
        (0x80fd, 14) => "Reset Request",
        (0x80fd, 15) => "Reset Ack",
        _ => return None,
    })
}

/// The names of an IP protocol number (IANA's protocol-numbers registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpProtoName {
    /// IANA's keyword, as JSON Lines' `proto` key shows a protocol wirelab does not
    /// decode (`IP` for one without a keyword here).
    pub keyword: &'static str,
    /// Wireshark's name, as in the Info column's "proto=UDP 17" and the notes and
    /// detail view ("Unknown" for one not listed).
    pub name: &'static str,
    /// Wireshark's Protocol column for a packet of this protocol that nothing decodes
    /// further (`None`: the column shows the IP version).
    pub column: Option<&'static str>,
}

/// The names of IP protocol number `protocol`.
pub fn ip_proto(protocol: u8) -> IpProtoName {
    let (keyword, name, column) = match protocol {
        0 => ("HOPOPT", "IPv6 Hop-by-Hop Option", None),
        1 => ("ICMP", "ICMP", None),
        2 => ("IGMP", "IGMP", Some("IGMP")),
        4 => ("IPv4", "IPIP", Some("IPv4")),
        6 => ("TCP", "TCP", None),
        17 => ("UDP", "UDP", None),
        41 => ("IPv6", "IPv6", Some("IPv6")),
        43 => ("IP", "IPv6 routing", None),
        44 => ("IP", "IPv6 fragment", None),
        47 => ("GRE", "GRE", Some("GRE")),
        50 => ("ESP", "ESP", Some("ESP")),
        51 => ("AH", "AH", Some("AH")),
        58 => ("ICMPv6", "ICMPv6", None),
        59 => ("NoNext", "IPv6 no next header", None),
        60 => ("IP", "IPv6 destination option", None),
        89 => ("OSPF", "OSPF IGP", Some("OSPF")),
        103 => ("PIM", "PIM", Some("PIMv2")),
        112 => ("VRRP", "VRRP", Some("VRRP")),
        115 => ("L2TP", "L2TP", Some("L2TP")),
        132 => ("SCTP", "SCTP", Some("SCTP")),
        136 => ("UDPLite", "UDPLite", None),
        _ => ("IP", "Unknown", None),
    };
    IpProtoName {
        keyword,
        name,
        column,
    }
}

/// Wireshark's name of IP protocol `protocol` (see [`IpProtoName::name`]).
pub fn ip_proto_name(protocol: u8) -> &'static str {
    ip_proto(protocol).name
}

/// Wireshark's name of an ICMP type.
pub fn icmp_type_name(icmp_type: u8) -> Option<&'static str> {
    Some(match icmp_type {
        0 => "Echo (ping) reply",
        3 => "Destination unreachable",
        4 => "Source quench (flow control)",
        5 => "Redirect",
        8 => "Echo (ping) request",
        9 => "Router advertisement",
        10 => "Router solicitation",
        11 => "Time-to-live exceeded",
        12 => "Parameter problem",
        13 => "Timestamp request",
        14 => "Timestamp reply",
        15 => "Information request",
        16 => "Information reply",
        17 => "Address mask request",
        18 => "Address mask reply",
        30 => "Traceroute",
        40 => "Photuris",
        42 => "Extended Echo request",
        43 => "Extended Echo reply",
        _ => return None,
    })
}

/// Wireshark's name of an ICMP code, for the types that have code names.
pub fn icmp_code_name(icmp_type: u8, code: u8) -> Option<&'static str> {
    Some(match (icmp_type, code) {
        (3, 0) => "Network unreachable",
        (3, 1) => "Host unreachable",
        (3, 2) => "Protocol unreachable",
        (3, 3) => "Port unreachable",
        (3, 4) => "Fragmentation needed",
        (3, 5) => "Source route failed",
        (3, 6) => "Destination network unknown",
        (3, 7) => "Destination host unknown",
        (3, 8) => "Source host isolated",
        (3, 9) => "Network administratively prohibited",
        (3, 10) => "Host administratively prohibited",
        (3, 11) => "Network unreachable for TOS",
        (3, 12) => "Host unreachable for TOS",
        (3, 13) => "Communication administratively filtered",
        (3, 14) => "Host precedence violation",
        (3, 15) => "Precedence cutoff in effect",
        (5, 0) => "Redirect for network",
        (5, 1) => "Redirect for host",
        (5, 2) => "Redirect for TOS and network",
        (5, 3) => "Redirect for TOS and host",
        (9, 0) => "Normal router advertisement",
        (9, 16) => "Does not route common traffic",
        (11, 0) => "Time to live exceeded in transit",
        (11, 1) => "Fragment reassembly time exceeded",
        (12, 0) => "Pointer indicates the error",
        (12, 1) => "Required option missing",
        (12, 2) => "Bad length",
        _ => return None,
    })
}

/// Wireshark's name of an ICMPv6 type.
pub fn icmpv6_type_name(icmp_type: u8) -> Option<&'static str> {
    Some(match icmp_type {
        1 => "Destination Unreachable",
        2 => "Packet Too Big",
        3 => "Time Exceeded",
        4 => "Parameter Problem",
        128 => "Echo (ping) request",
        129 => "Echo (ping) reply",
        130 => "Multicast Listener Query",
        131 => "Multicast Listener Report",
        132 => "Multicast Listener Done",
        133 => "Router Solicitation",
        134 => "Router Advertisement",
        135 => "Neighbor Solicitation",
        136 => "Neighbor Advertisement",
        137 => "Redirect",
        138 => "Router Renumbering",
        141 => "Inverse Neighbor Discovery Solicitation",
        142 => "Inverse Neighbor Discovery Advertisement",
        143 => "Multicast Listener Report Message v2",
        _ => return None,
    })
}

/// Wireshark's name of an ICMPv6 code, for the types that have code names.
pub fn icmpv6_code_name(icmp_type: u8, code: u8) -> Option<&'static str> {
    Some(match (icmp_type, code) {
        (1, 0) => "no route to destination",
        (1, 1) => "communication with destination administratively prohibited",
        (1, 2) => "beyond scope of source address",
        (1, 3) => "address unreachable",
        (1, 4) => "port unreachable",
        (1, 5) => "source address failed ingress/egress policy",
        (1, 6) => "reject route to destination",
        (3, 0) => "hop limit exceeded in transit",
        (3, 1) => "fragment reassembly time exceeded",
        (4, 0) => "erroneous header field encountered",
        (4, 1) => "unrecognized Next Header type encountered",
        (4, 2) => "unrecognized IPv6 option encountered",
        _ => return None,
    })
}

/// The IANA service name of a well-known or registered port (as Zeek's `service`
/// and Wireshark's name resolution spell them), for the ports wirelab's users meet.
pub fn port_service(port: u16) -> Option<&'static str> {
    Some(match port {
        20 => "ftp-data",
        21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 => "smtp",
        53 => "domain",
        67 => "bootps",
        68 => "bootpc",
        69 => "tftp",
        80 => "http",
        110 => "pop3",
        123 => "ntp",
        137 => "netbios-ns",
        143 => "imap",
        161 => "snmp",
        443 => "https",
        514 => "syslog",
        546 => "dhcpv6-client",
        547 => "dhcpv6-server",
        993 => "imaps",
        1701 => "l2tp",
        4789 => "vxlan",
        5353 => "mdns",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_link_type_names_both_columns() {
        assert_eq!(linktype_name(105), "LINKTYPE_IEEE802_11 (105)");
        assert_eq!(linktype_name(160), "LINKTYPE_USER13 (160)");
        assert_eq!(linktype_name(99999), "unknown link type (99999)");
        assert_eq!(link_name(127), "802.11 Radiotap");
        assert_eq!(link_name(12), link_name(101));
    }

    #[test]
    fn test_ip_proto_one_spelling_per_column() {
        let hop = ip_proto(0);
        assert_eq!(
            (hop.keyword, hop.name),
            ("HOPOPT", "IPv6 Hop-by-Hop Option")
        );
        assert_eq!(ip_proto(250).keyword, "IP");
        assert_eq!(ip_proto(250).name, "Unknown");
        assert_eq!(ip_proto(103).column, Some("PIMv2"));
    }

    #[test]
    fn test_icmp_names_are_tsharks() {
        assert_eq!(icmp_type_name(11), Some("Time-to-live exceeded"));
        assert_eq!(icmpv6_type_name(3), Some("Time Exceeded"));
        assert_eq!(icmp_code_name(3, 3), Some("Port unreachable"));
        assert_eq!(icmpv6_code_name(1, 4), Some("port unreachable"));
        assert_eq!(ethertype_name(0x8864), "PPPoE");
        assert_eq!(port_service(53), Some("domain"));
    }
}
