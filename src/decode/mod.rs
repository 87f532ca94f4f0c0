//! Frame bytes → typed [`Packet`], with etherparse and hand-written headers (link
//! types, tunnels). The only module that reads raw bytes, and the one parser: as it
//! parses, it records where each header and field lies into a [`spans::FieldSink`]
//! (a no-op on the timeline path, the detail view's recorder in [`decode_spans`]).
//! Names of registries live in [`names`]. It never panics: whatever cannot be
//! decoded becomes a [`Problem`] on the packet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::source::Frame;
use spans::FieldSink;

pub mod app;
mod checksum;
mod defrag;
pub mod igmp;
mod ip;
mod link;
pub mod names;
pub mod nd;
pub mod spans;
mod tcp_options;
mod transport;
mod tunnel;

pub use defrag::{
    Decoder, MAX_BUFFERED_BYTES, MAX_DATAGRAMS_IN_PROGRESS, MAX_FRAGMENTS_PER_DATAGRAM,
};

pub use names::linktype_name;
pub use tcp_options::{Iter as TcpOptionsIter, MAX_OPTION_BYTES, TcpOption, TcpOptions};

/// Everything the later stages know about one frame.
#[derive(Debug, Clone, Default)]
pub struct Packet<'a> {
    /// The link-layer header.
    pub link: Link,
    /// The network layer (IP, ARP, ...).
    pub net: Net,
    /// The transport layer (TCP, UDP, ICMP, ...).
    pub transport: Transport,
    /// The application bytes actually captured (may be shorter than the
    /// header-declared payload length when the frame was cut short).
    pub payload: &'a [u8],
    /// Where [`Packet::payload`] starts in the frame's bytes, when it lies there (`None`
    /// for the payload of a reassembled datagram, which lies in the [`Decoder`]'s buffer,
    /// and for a packet built by hand): how the payload is found again in a copy of the
    /// frame (see [`Packet::payload_span`]).
    pub payload_at: Option<u32>,
    /// What could not be decoded, if anything (the first problem met). Boxed: rare,
    /// and a packet is moved several times per frame.
    pub problem: Option<Box<Problem>>,
    /// The outer header of the tunnel the packet came through (the outermost, when
    /// tunnels nest), if any: `net`, `transport` and `payload` are then the inner
    /// packet's, as tshark's columns show it; `link` stays the outer link. Boxed: rare.
    pub tunnel: Option<Box<Tunnel>>,
    /// For an IP fragment that went through reassembly (see [`Decoder`]): where it
    /// stands in its datagram. `None` for a frame that is not a fragment, and for
    /// every frame decoded by the stateless [`decode`].
    pub fragment: Option<FragmentInfo>,
    /// The two ports of a TCP header cut short (by the snap length) before its
    /// fixed 20 bytes: the transport is then [`Transport::None`] with a
    /// [`Problem`], but Wireshark still shows the ports (see [`Packet::ports`]).
    pub cut_tcp_ports: Option<(u16, u16)>,
    /// The application protocol whose dissector takes the TCP or UDP payload (ports plus
    /// content check, see [`app::classify`]); `None` for data, the lab's own exchange and
    /// frames without payload. Only the choice: the protocol is parsed where its words
    /// are written.
    pub app: Option<app::AppProto>,
    /// What the TCP, UDP, ICMP or ICMPv6 header's checksum says (of the innermost
    /// transport, when tunnelled); [`ChecksumStatus::Unverified`] for other packets.
    pub checksum: ChecksumStatus,
}

/// What a transport checksum says, as the decoder verified it. tshark by default
/// verifies none; Zeek verifies every one and drops a packet whose checksum is wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// Not verified: no TCP, UDP or ICMP header, the segment not captured whole, an IP
    /// fragment not reassembled, or an IPv6 routing header.
    #[default]
    Unverified,
    /// Correct.
    Good,
    /// Wrong: neither correct nor an offloaded partial sum (Zeek's history letter `C`).
    Bad,
    /// TCP or UDP whose field holds only the pseudo-header's sum: the sender left the
    /// checksum to its network card (checksum offload, as Linux leaves it on loopback
    /// and veth, so in every lab capture). Not computed yet, not wrong.
    Partial,
    /// UDP over IPv4 with the field 0: the sender computed none (allowed by RFC 768).
    Absent,
}

/// Where an IP fragment stands in the reassembly of its datagram, as Wireshark's
/// default reassembly shows it: every fragment is data until the one that completes
/// the datagram, which carries the transport of the whole datagram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FragmentInfo {
    /// Which fragment of its datagram this is, 1-based, in the order they arrived.
    pub index: u32,
    /// Bytes of fragment data this frame carries.
    pub len: u32,
    /// Length of the whole datagram's IP payload (transport header and data), once
    /// the last fragment (the one without "more fragments") has been seen.
    pub datagram_len: Option<u32>,
    /// True when this frame completed the datagram: its transport (ports, flags,
    /// payload, ...) is that of the reassembled datagram.
    pub reassembled: bool,
    /// Frame number of the first fragment of the datagram that arrived.
    pub first_frame: u64,
}

/// The outer header of a tunnel (see [`Packet::tunnel`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tunnel {
    /// Which tunnel.
    pub kind: TunnelKind,
    /// Source address of the outer IP header.
    pub src: IpAddr,
    /// Destination address of the outer IP header.
    pub dst: IpAddr,
}

/// The tunnels wirelab decodes into, each to the inner packet as tshark shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelKind {
    /// IPv4 in IP (IP protocol 4, RFC 2003).
    IpInIp,
    /// IPv6 in IP (IP protocol 41): 6in4 (RFC 4213) over IPv4, or IPv6 in IPv6.
    Ipv6InIp,
    /// GRE (IP protocol 47, RFC 2784/2890), with the EtherType it carries
    /// (0x0800 IPv4, 0x86dd IPv6, 0x6558 Ethernet, 0x880b PPP).
    Gre { protocol: u16 },
    /// VXLAN (UDP port 4789, RFC 7348): Ethernet inside, on network `vni`.
    Vxlan { vni: u32 },
    /// L2TP version 2 data (UDP port 1701, RFC 2661): PPP inside.
    L2tp { tunnel_id: u16, session_id: u16 },
}

impl TunnelKind {
    /// The tunnel's name, as a note says it: "GRE", "VXLAN", ...
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::IpInIp => "IP-in-IP",
            TunnelKind::Ipv6InIp => "6in4",
            TunnelKind::Gre { .. } => "GRE",
            TunnelKind::Vxlan { .. } => "VXLAN",
            TunnelKind::L2tp { .. } => "L2TP",
        }
    }
}

/// The link-layer header of a frame, by link type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Link {
    /// Not decoded (yet): the default.
    #[default]
    None,
    /// Ethernet II (LINKTYPE_ETHERNET = 1), with the VLAN ids of its 802.1Q/802.1ad
    /// tags, outer first (boxed: most frames have none, and then nothing is allocated).
    Ethernet {
        src: [u8; 6],
        dst: [u8; 6],
        vlans: Box<[u16]>,
    },
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL = 113).
    LinuxSll {
        packet_type: u16,
        protocol: u16,
        addr: LinkAddr,
    },
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 = 276).
    LinuxSll2 {
        packet_type: u8,
        protocol: u16,
        ifindex: u32,
        addr: LinkAddr,
    },
    /// BSD loopback (LINKTYPE_NULL = 0 host order, LINKTYPE_LOOP = 108 network order).
    Null { family: u32 },
    /// Raw IP, no link header (LINKTYPE_RAW 101, 12, 14, IPV4 228, IPV6 229).
    RawIp,
    /// PPP (LINKTYPE_PPP = 9, LINKTYPE_PPP_HDLC = 50): the optional address and
    /// control bytes (0xff 0x03), then the PPP protocol (0x0021 IPv4, 0x0057
    /// IPv6, 0x0281 MPLS unicast, ...).
    Ppp { protocol: u16 },
    /// Cisco HDLC (LINKTYPE_C_HDLC = 104): address (0x0f unicast, 0x8f broadcast),
    /// control, then an EtherType.
    CiscoHdlc { address: u8, protocol: u16 },
    /// IEEE 802.11 (LINKTYPE_IEEE802_11 = 105), or behind a radiotap header
    /// (LINKTYPE_IEEE802_11_RADIOTAP = 127): the frame control field (type, subtype
    /// and flags, as the two bytes of the frame, first byte high).
    Ieee80211 { frame_control: u16, radiotap: bool },
    /// Linux netfilter log (LINKTYPE_NFLOG = 239): the address family of the
    /// logged packet and the log group (resource id).
    Nflog { family: u8, group: u16 },
    /// A link type wirelab does not decode.
    Unsupported { linktype: u32 },
}

/// The link-layer address of a Linux cooked capture header: at most 8 bytes (the
/// header's address field), read as a byte slice.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkAddr {
    bytes: [u8; 8],
    len: u8,
}

impl LinkAddr {
    /// The first 8 bytes of `addr` (all a cooked header holds).
    pub fn new(addr: &[u8]) -> Self {
        let mut out = LinkAddr::default();
        for (slot, b) in out.bytes.iter_mut().zip(addr) {
            *slot = *b;
            out.len += 1;
        }
        out
    }
}

impl std::ops::Deref for LinkAddr {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl std::fmt::Debug for LinkAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl From<Vec<u8>> for LinkAddr {
    fn from(addr: Vec<u8>) -> Self {
        LinkAddr::new(&addr)
    }
}

/// The network layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Net {
    /// No network layer decoded.
    #[default]
    None,
    /// ARP request or reply (boxed: rare, and four addresses long).
    Arp(Box<Arp>),
    /// IPv4.
    Ipv4(Ipv4),
    /// IPv6.
    Ipv6(Ipv6),
    /// A PPP control protocol packet (LCP 0xc021, IPCP 0x8021, IPv6CP 0x8057, CCP
    /// 0x80fd, PAP 0xc023, CHAP 0xc223, ...): its PPP protocol and its code
    /// (1 Configure-Request, 2 Configure-Ack, ...).
    PppControl { protocol: u16, code: u8 },
    /// Some other EtherType, not decoded.
    Other { ethertype: u16 },
}

/// An ARP packet (Ethernet/IPv4 addresses when `hw_type` is 1 and `proto_type` 0x0800).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arp {
    /// 1 = request, 2 = reply.
    pub operation: u16,
    /// Hardware type (1 = Ethernet).
    pub hw_type: u16,
    /// Protocol type, an EtherType (0x0800 = IPv4).
    pub proto_type: u16,
    /// Sender hardware (MAC) address.
    pub sender_hw: Vec<u8>,
    /// Sender protocol (IP) address.
    pub sender_proto: Vec<u8>,
    /// Target hardware (MAC) address (zeros in a request).
    pub target_hw: Vec<u8>,
    /// Target protocol (IP) address.
    pub target_proto: Vec<u8>,
}

/// The fields of an IPv4 header that the analysis and views need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4 {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Header length in bytes (IHL × 4), options included.
    pub header_len: u8,
    /// Total length field (header + payload), in bytes.
    pub total_len: u16,
    /// Identification field (groups the fragments of one datagram).
    pub identification: u16,
    /// DF flag.
    pub dont_fragment: bool,
    /// MF flag: more fragments follow.
    pub more_fragments: bool,
    /// Fragment offset in bytes (the field × 8).
    pub fragment_offset: u16,
    /// Time to live.
    pub ttl: u8,
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...).
    pub protocol: u8,
    /// Header checksum (not verified).
    pub checksum: u16,
    /// Differentiated services code point (6 bits).
    pub dscp: u8,
    /// Explicit congestion notification (2 bits).
    pub ecn: u8,
    /// The final destination of a strict or loose source route option (the last
    /// address of its route), which Wireshark shows as the destination (`ip.dst`;
    /// the header's `dst` is then the current hop).
    pub route_dst: Option<Ipv4Addr>,
}

/// The fields of an IPv6 header (and its extension headers) that the analysis needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6 {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Payload length field (extension headers + transport), in bytes.
    pub payload_len: u16,
    /// Hop limit.
    pub hop_limit: u8,
    /// Traffic class (DSCP and ECN).
    pub traffic_class: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// Next-header value in the fixed header.
    pub next_header: u8,
    /// Extension headers in order (their next-header numbers: 0 hop-by-hop, 43 routing, 44 fragment, 60 dest opts, ...).
    pub extensions: Box<[u8]>,
    /// The fragment header, when there is one.
    pub fragment: Option<Ipv6Fragment>,
    /// The protocol after the last extension header (6, 17, 58, ...).
    pub protocol: u8,
}

/// An IPv6 fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Offset in bytes.
    pub offset: u16,
    /// M flag: more fragments follow.
    pub more_fragments: bool,
    /// Identification (groups the fragments of one packet).
    pub identification: u32,
}

/// The transport layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Transport {
    /// No transport decoded.
    #[default]
    None,
    /// A TCP segment.
    Tcp(Tcp),
    /// A UDP datagram.
    Udp(Udp),
    /// An ICMP (IPv4) message.
    Icmpv4(Icmp),
    /// An ICMPv6 message.
    Icmpv6(Icmp),
    /// An IP fragment shown as data: a non-first fragment, or (under a [`Decoder`])
    /// any fragment that does not complete its datagram.
    Fragment {
        /// IP protocol number of the fragmented datagram.
        protocol: u8,
    },
    /// Another IP protocol, not decoded.
    Other { protocol: u8 },
}

/// TCP control bits, in header order (bit 0 = FIN ... bit 8 = AE/NS; bits 9..11 reserved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const AE: u16 = 0x100;
    /// The flag names in header order (bit 0 first), as Wireshark spells them.
    pub const NAMES: [(u16, &'static str); 9] = [
        (Self::FIN, "FIN"),
        (Self::SYN, "SYN"),
        (Self::RST, "RST"),
        (Self::PSH, "PSH"),
        (Self::ACK, "ACK"),
        (Self::URG, "URG"),
        (Self::ECE, "ECE"),
        (Self::CWR, "CWR"),
        (Self::AE, "AE"),
    ];
    /// The names of the flags set among the first `first` of [`TcpFlags::NAMES`], in header order.
    pub fn names(self, first: usize) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .iter()
            .take(first)
            .filter(move |(bit, _)| self.has(*bit))
            .map(|(_, n)| *n)
    }
    /// True if every bit in `mask` is set.
    pub fn has(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
}

/// A decoded TCP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Raw sequence number.
    pub seq: u32,
    /// Raw acknowledgment number (meaningful when ACK is set).
    pub ack: u32,
    /// Header length in bytes (data offset × 4), options included.
    pub header_len: u8,
    /// Control bits.
    pub flags: TcpFlags,
    /// The raw window field (not scaled).
    pub window: u16,
    /// Checksum (not verified).
    pub checksum: u16,
    /// Urgent pointer.
    pub urgent_ptr: u16,
    /// Options, in header order.
    pub options: TcpOptions,
    /// Segment length from the IP header (what Wireshark calls tcp.len),
    /// which may exceed the captured payload when the frame was cut short.
    /// 0 for a [`Tcp::short`] segment.
    pub payload_len: u32,
    /// The IP payload is shorter than the header length (Wireshark's "Short
    /// segment"): there is no segment length (`tcp.len`), and no sequence analysis.
    pub short: bool,
}

/// A decoded UDP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// The length field (8 header bytes + payload).
    pub length: u16,
    /// Checksum (not verified).
    pub checksum: u16,
    /// Payload length as declared by the header (`length - 8`, saturating).
    pub payload_len: u32,
}

/// A decoded ICMP or ICMPv6 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp {
    /// Message type (e.g. 8 echo request, 3 destination unreachable).
    pub icmp_type: u8,
    /// Message code within the type.
    pub code: u8,
    /// Checksum (not verified).
    pub checksum: u16,
    /// Identifier and sequence number, for the messages that have them (ICMP echo,
    /// timestamp, information and address mask requests and replies; ICMPv6 echo).
    pub echo: Option<(u16, u16)>,
    /// The four bytes after the checksum (identifier and sequence, the NA flags, the
    /// MTU, a pointer, ...), as they are.
    pub rest_of_header: [u8; 4],
    /// The IP header (and first transport bytes) quoted inside an error message.
    pub quoted: Option<Quoted>,
}

/// The header an ICMP error quotes: which datagram caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol of the quoted datagram.
    pub protocol: u8,
    /// Source port of the quoted TCP/UDP header, when quoted.
    pub src_port: Option<u16>,
    /// Destination port of the quoted TCP/UDP header, when quoted.
    pub dst_port: Option<u16>,
}

/// Why (part of) a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The layer where decoding stopped, e.g. "Ethernet", "IPv4", "TCP".
    pub layer: &'static str,
    /// What went wrong.
    pub kind: ProblemKind,
}

/// The kinds of [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The capture holds fewer bytes than the header needs (cut by the snap length).
    Truncated { needed: usize, available: usize },
    /// The bytes are there but make no sense (bad length field, bad version, ...).
    Malformed(String),
    /// A link type or protocol wirelab does not decode.
    Unsupported(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ProblemKind::Truncated { needed, available } => write!(
                f,
                "{} header cut short: {} bytes needed, {} captured",
                self.layer, needed, available
            ),
            ProblemKind::Malformed(why) => write!(f, "malformed {}: {}", self.layer, why),
            ProblemKind::Unsupported(what) => write!(f, "{} not decoded: {}", self.layer, what),
        }
    }
}

impl<'a> Packet<'a> {
    /// The same packet with its payload taken from elsewhere (the same bytes, moved to
    /// another buffer: how a packet crosses from one thread to another).
    pub fn with_payload<'b>(self, payload: &'b [u8]) -> Packet<'b> {
        let Packet {
            link,
            net,
            transport,
            payload: _,
            payload_at,
            problem,
            tunnel,
            fragment,
            cut_tcp_ports,
            app,
            checksum,
        } = self;
        Packet {
            link,
            net,
            transport,
            payload,
            payload_at,
            problem,
            tunnel,
            fragment,
            cut_tcp_ports,
            app,
            checksum,
        }
    }

    /// Where [`Packet::payload`] lies in the frame's bytes (`None` when it does not lie
    /// there, see [`Packet::payload_at`]): how the payload is found again in a copy of
    /// the frame.
    pub fn payload_span(&self) -> Option<std::ops::Range<usize>> {
        let at = usize::try_from(self.payload_at?).ok()?;
        Some(at..at.checked_add(self.payload.len())?)
    }
}

impl Packet<'_> {
    /// The IP source address, if any: that of the innermost IP header, as
    /// Wireshark's column shows it (a tunnel's outer one when its inner packet has
    /// no IP header).
    pub fn src_ip(&self) -> Option<IpAddr> {
        match &self.net {
            Net::Ipv4(h) => Some(IpAddr::V4(h.src)),
            Net::Ipv6(h) => Some(IpAddr::V6(h.src)),
            _ => self.tunnel.as_ref().map(|t| t.src),
        }
    }
    /// The IP destination address, if any, as [`Packet::src_ip`]: for IPv4 with a
    /// source route, its final destination, as Wireshark shows it.
    pub fn dst_ip(&self) -> Option<IpAddr> {
        match &self.net {
            Net::Ipv4(h) => Some(IpAddr::V4(h.route_dst.unwrap_or(h.dst))),
            Net::Ipv6(h) => Some(IpAddr::V6(h.dst)),
            _ => self.tunnel.as_ref().map(|t| t.dst),
        }
    }

    /// The TCP header, when the frame carries one (not one quoted in an ICMP error).
    pub fn tcp(&self) -> Option<&Tcp> {
        match &self.transport {
            Transport::Tcp(t) => Some(t),
            _ => None,
        }
    }

    /// The UDP header, when the frame carries one.
    pub fn udp(&self) -> Option<&Udp> {
        match &self.transport {
            Transport::Udp(u) => Some(u),
            _ => None,
        }
    }

    /// The ICMP or ICMPv6 message, when the frame carries one.
    pub fn icmp(&self) -> Option<&Icmp> {
        match &self.transport {
            Transport::Icmpv4(i) | Transport::Icmpv6(i) => Some(i),
            _ => None,
        }
    }

    /// The ARP packet, when the frame is ARP.
    pub fn arp(&self) -> Option<&Arp> {
        match &self.net {
            Net::Arp(a) => Some(a),
            _ => None,
        }
    }

    /// (source port, destination port) of the frame's own TCP or UDP header (also
    /// of a TCP header cut before its 20 bytes). `None` for everything else, ICMP
    /// errors quoting a TCP/UDP header included.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Transport::Tcp(t) => Some((t.src_port, t.dst_port)),
            Transport::None => self.cut_tcp_ports,
            Transport::Udp(u) => Some((u.src_port, u.dst_port)),
            _ => None,
        }
    }

    /// The IP protocol number carried (after IPv6 extension headers), if IP.
    pub fn ip_protocol(&self) -> Option<u8> {
        match &self.net {
            Net::Ipv4(h) => Some(h.protocol),
            Net::Ipv6(h) => Some(h.protocol),
            _ => None,
        }
    }

    /// True when the frame is part of a fragmented IP datagram, as Wireshark's
    /// `ip.flags.mf || ip.frag_offset > 0` or an IPv6 Fragment header says. Under a
    /// [`Decoder`], fragments are [`Transport::Fragment`] except the one that
    /// completes its datagram (see [`Packet::fragment`]); under [`decode`], the first
    /// fragment has its transport header decoded and later ones are data.
    pub fn is_ip_fragment(&self) -> bool {
        match &self.net {
            Net::Ipv4(h) => h.more_fragments || h.fragment_offset > 0,
            Net::Ipv6(h) => h.fragment.is_some(),
            _ => false,
        }
    }

    /// True when the frame was cut short (by the snap length) somewhere.
    pub fn is_truncated(&self) -> bool {
        matches!(
            self.problem.as_deref(),
            Some(Problem {
                kind: ProblemKind::Truncated { .. },
                ..
            })
        )
    }

    /// Payload length as the transport header declares it (Wireshark's `tcp.len`, or
    /// `udp.length - 8`); `None` for other transports, and for a TCP segment
    /// shorter than its header (where tshark has no `tcp.len`).
    pub fn declared_payload_len(&self) -> Option<u32> {
        match &self.transport {
            Transport::Tcp(t) if t.short => None,
            Transport::Tcp(t) => Some(t.payload_len),
            Transport::Udp(u) => Some(u.payload_len),
            _ => None,
        }
    }
}

/// Decodes one frame. Never panics, whatever the bytes.
///
/// Dispatches on `frame.linktype` (pcap `LINKTYPE_*`), then on the EtherType,
/// address family or IP version, then on the IP protocol. Lengths follow
/// Wireshark: the IP-declared lengths count, never the Ethernet padding, and a
/// frame cut by the snap length still reports what its headers declare
/// (`frame.orig_len` is the reported length on the wire).
///
/// Stateless: every IP fragment is shown on its own (a first fragment with its
/// transport header, later ones as data), as tshark shows them with reassembly
/// off. A [`Decoder`] reassembles fragments as Wireshark does by default.
pub fn decode<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let mut packet = Packet::default();
    decode_into(frame, false, &mut packet);
    packet
}

/// Decodes one frame as [`decode`] does (stateless: fragments are shown on their
/// own), recording the span of every header and field (see [`spans`]) for the
/// detail view; `rel` gives the TCP fields the tracker's relative numbers. The same
/// code as [`decode`], with a recorder instead of [`spans::NoFields`]: only for the
/// frames a user asked to see.
pub fn decode_spans<'a>(
    frame: &Frame<'a>,
    rel: Option<spans::RelativeSeq>,
) -> (Packet<'a>, Vec<spans::Span>) {
    let mut packet = Packet::default();
    let mut sink = spans::Spans::new(frame.data.len()).with_relative_seq(rel);
    decode_with(frame, false, &mut packet, &mut sink);
    (packet, sink.into_layers())
}

/// [`decode`] into `packet` (a [`Packet::default`]: decoding only sets what it
/// finds), with IP fragments held for reassembly when `defrag` is set (the
/// [`Decoder`] then completes the packet).
#[inline]
pub(crate) fn decode_into<'a>(frame: &Frame<'a>, defrag: bool, packet: &mut Packet<'a>) {
    decode_with(frame, defrag, packet, &mut spans::NoFields);
}

/// [`decode_into`], recording spans into `s`.
#[inline]
fn decode_with<'a, S: FieldSink>(
    frame: &Frame<'a>,
    defrag: bool,
    packet: &mut Packet<'a>,
    s: &mut S,
) {
    // A record claiming fewer bytes on the wire than it holds is taken at its
    // captured length, as Wireshark does.
    let orig = usize::try_from(frame.orig_len).unwrap_or(usize::MAX);
    let bytes = Bytes {
        data: frame.data,
        reported: orig.max(frame.data.len()),
        defrag,
        at: 0,
        tunnels: 0,
    };
    link::decode_link(frame.linktype.0, bytes, packet, s);
}

/// The bytes of one layer onwards: what was captured, and how many bytes the
/// frame had from here on the wire (the "reported" length, which upper layers
/// shrink to what their headers declare).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bytes<'a> {
    /// The captured bytes from this layer on.
    pub data: &'a [u8],
    /// Bytes from this layer on as reported on the wire (`>= data.len()`).
    pub reported: usize,
    /// IP fragments are held for reassembly (by a [`Decoder`]) instead of having
    /// the transport header of a first fragment decoded.
    pub defrag: bool,
    /// Offset of `data` in the frame (where the spans of this layer lie).
    pub at: usize,
    /// Tunnels entered on the way here (see [`tunnel::MAX_TUNNELS`]).
    pub tunnels: u8,
}

impl<'a> Bytes<'a> {
    /// The bytes after the first `n`, or `None` when fewer than `n` were captured.
    pub fn skip(self, n: usize) -> Option<Bytes<'a>> {
        Some(Bytes {
            data: self.data.get(n..)?,
            reported: self.reported.saturating_sub(n),
            at: self.at.saturating_add(n),
            ..self
        })
    }

    /// The first `n` bytes as reported (captured bytes cut to at most `n`).
    pub fn limit(self, n: usize) -> Bytes<'a> {
        let reported = self.reported.min(n);
        Bytes {
            data: self.data.get(..reported).unwrap_or(self.data),
            reported,
            ..self
        }
    }
}

/// Sets the packet's payload to `data`, which starts `at` bytes into the frame.
pub(crate) fn set_payload<'a>(packet: &mut Packet<'a>, data: &'a [u8], at: usize) {
    packet.payload = data;
    packet.payload_at = u32::try_from(at).ok();
}

/// Reads a big-endian `u16` at `at`, if the bytes are there.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(s.try_into().ok()?))
}

/// Reads a big-endian `u32` at `at`, if the bytes are there.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(s.try_into().ok()?))
}

/// Records `problem` unless an earlier one was already recorded (the first one met wins).
pub(crate) fn set_problem(packet: &mut Packet<'_>, layer: &'static str, kind: ProblemKind) {
    if packet.problem.is_none() {
        packet.problem = Some(Box::new(Problem { layer, kind }));
    }
}

/// Records that `layer` needed `needed` bytes but only `available` were captured.
pub(crate) fn truncated(
    packet: &mut Packet<'_>,
    layer: &'static str,
    needed: usize,
    available: usize,
) {
    set_problem(packet, layer, ProblemKind::Truncated { needed, available });
}

/// Records that `layer` holds bytes that make no sense.
pub(crate) fn malformed(packet: &mut Packet<'_>, layer: &'static str, why: String) {
    set_problem(packet, layer, ProblemKind::Malformed(why));
}

/// Saturating `usize` to `u32` (lengths in a capture never exceed `u32`, but never panic).
pub(crate) fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Test helpers shared by the decode unit tests: frames and sample datagrams.
#[cfg(test)]
pub(crate) mod tests_support {
    use crate::source::{Frame, Timestamp};

    /// A frame of `linktype` holding all of `data` (nothing cut by the snap length).
    pub fn frame_of(linktype: u32, data: &[u8]) -> Frame<'_> {
        let orig_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        Frame {
            number: 1,
            ts: Timestamp::default(),
            linktype: crate::source::LinkType(linktype),
            orig_len,
            data,
            comments: crate::source::Comments::NONE,
        }
    }

    /// IPv4 + UDP, 127.0.0.1:32887 → 127.0.0.1:23457, payload "hello".
    pub const IPV4_UDP: [u8; 33] = [
        0x45, 0x00, 0x00, 0x21, // version 4, IHL 5, DSCP/ECN 0, total length 33
        0x12, 0x34, 0x40, 0x00, // id 0x1234, DF, offset 0
        0x40, 0x11, 0x00, 0x00, // TTL 64, protocol 17 (UDP), checksum (unchecked)
        127, 0, 0, 1, // source
        127, 0, 0, 1, // destination
        0x80, 0x77, 0x5b, 0xa1, // UDP ports 32887 → 23457
        0x00, 0x0d, 0x00, 0x00, // UDP length 13, checksum
        b'h', b'e', b'l', b'l', b'o', // payload
    ];

    /// IPv6 + UDP, [::1]:5353 → [::1]:53, payload "hello".
    pub const IPV6_UDP: [u8; 53] = [
        0x60, 0x00, 0x00, 0x00, // version 6, traffic class 0, flow label 0
        0x00, 0x0d, 0x11, 0x40, // payload length 13, next header 17 (UDP), hop limit 64
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // source ::1
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // destination ::1
        0x14, 0xe9, 0x00, 0x35, // UDP ports 5353 → 53
        0x00, 0x0d, 0x00, 0x00, // UDP length 13, checksum
        b'h', b'e', b'l', b'l', b'o', // payload
    ];
}

#[cfg(test)]
mod tests {
    use super::tests_support::{IPV4_UDP, frame_of};
    use super::*;

    #[test]
    fn test_packet_helpers_udp() {
        let p = decode(&frame_of(228, &IPV4_UDP));
        assert_eq!(p.ports(), Some((32887, 23457)));
        assert!(p.udp().is_some() && p.tcp().is_none() && p.icmp().is_none());
        assert_eq!(p.ip_protocol(), Some(17));
        assert_eq!(p.declared_payload_len(), Some(5));
        assert!(!p.is_truncated() && !p.is_ip_fragment());
    }

    #[test]
    fn test_every_prefix_every_linktype_no_panic() {
        for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105] {
            for n in 0..=IPV4_UDP.len() {
                let mut f = frame_of(lt, IPV4_UDP.get(..n).unwrap_or(&[]));
                f.orig_len = 33;
                let _ = decode(&f);
            }
        }
    }

    #[test]
    fn test_bytes_limit_and_skip() {
        let b = Bytes {
            data: &[1, 2, 3, 4],
            reported: 10,
            defrag: false,
            at: 0,
            tunnels: 0,
        };
        assert_eq!(b.limit(2).data, &[1, 2]);
        assert_eq!(b.limit(6).data.len(), 4);
        assert_eq!(b.limit(6).reported, 6);
        assert!(b.skip(5).is_none());
        assert_eq!(b.skip(4).map(|r| (r.reported, r.at)), Some((6, 4)));
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod size_tests {
    use super::*;

    /// A packet is built, moved between stages and threads and dropped twice per
    /// frame: what is rare (ARP, problems, tunnels, IPv6 extensions, VLAN ids) is
    /// boxed, and TCP options are raw bytes, so that it stays within 4 cache lines.
    #[test]
    fn test_packet_stays_small() {
        assert!(
            size_of::<Packet<'_>>() <= 256,
            "{}",
            size_of::<Packet<'_>>()
        );
        assert!(size_of::<Transport>() <= 68);
        assert!(size_of::<Net>() <= 72);
        assert!(size_of::<Link>() <= 32);
    }
}
