//! Frame bytes → typed [`Packet`], with etherparse and a few hand-written link
//! headers (Linux SLL2, BSD NULL/LOOP). The only module that reads raw bytes.
//! It never panics: whatever cannot be decoded becomes a [`Problem`] on the packet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::source::Frame;

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
    /// What could not be decoded, if anything (the first problem met).
    pub problem: Option<Problem>,
}

/// The link-layer header of a frame, by link type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Link {
    /// Not decoded (yet): the default.
    #[default]
    None,
    /// Ethernet II (LINKTYPE_ETHERNET = 1), with its 802.1Q/802.1ad tags, outer first.
    Ethernet { src: [u8; 6], dst: [u8; 6], vlans: Vec<u16> },
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL = 113).
    LinuxSll { packet_type: u16, protocol: u16, addr: Vec<u8> },
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 = 276).
    LinuxSll2 { packet_type: u8, protocol: u16, ifindex: u32, addr: Vec<u8> },
    /// BSD loopback (LINKTYPE_NULL = 0 host order, LINKTYPE_LOOP = 108 network order).
    Null { family: u32 },
    /// Raw IP, no link header (LINKTYPE_RAW 101, 12, 14, IPV4 228, IPV6 229).
    RawIp,
    /// A link type wirelab does not decode.
    Unsupported { linktype: u32 },
}

/// The network layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Net {
    /// No network layer decoded.
    #[default]
    None,
    /// ARP request or reply.
    Arp(Arp),
    /// IPv4.
    Ipv4(Ipv4),
    /// IPv6.
    Ipv6(Ipv6),
    /// Some other EtherType, not decoded.
    Other { ethertype: u16 },
}

/// An ARP packet (Ethernet/IPv4 addresses when `hw_type` is 1 and `proto_type` 0x0800).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arp {
    /// 1 = request, 2 = reply.
    pub operation: u16,
    pub hw_type: u16,
    pub proto_type: u16,
    pub sender_hw: Vec<u8>,
    pub sender_proto: Vec<u8>,
    pub target_hw: Vec<u8>,
    pub target_proto: Vec<u8>,
}

/// The fields of an IPv4 header that the analysis and views need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4 {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// Header length in bytes (IHL × 4), options included.
    pub header_len: u8,
    /// Total length field (header + payload), in bytes.
    pub total_len: u16,
    pub identification: u16,
    pub dont_fragment: bool,
    pub more_fragments: bool,
    /// Fragment offset in bytes (the field × 8).
    pub fragment_offset: u16,
    pub ttl: u8,
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...).
    pub protocol: u8,
    pub checksum: u16,
    pub dscp: u8,
    pub ecn: u8,
}

/// The fields of an IPv6 header (and its extension headers) that the analysis needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6 {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    /// Payload length field (extension headers + transport), in bytes.
    pub payload_len: u16,
    pub hop_limit: u8,
    pub traffic_class: u8,
    pub flow_label: u32,
    /// Next-header value in the fixed header.
    pub next_header: u8,
    /// Extension headers in order (their next-header numbers: 0 hop-by-hop, 43 routing, 44 fragment, 60 dest opts, ...).
    pub extensions: Vec<u8>,
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
    pub more_fragments: bool,
    pub identification: u32,
}

/// The transport layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Transport {
    /// No transport decoded.
    #[default]
    None,
    Tcp(Tcp),
    Udp(Udp),
    Icmpv4(Icmp),
    Icmpv6(Icmp),
    /// A non-first IP fragment: only data, the transport header is in the first fragment.
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
    /// True if every bit in `mask` is set.
    pub fn has(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
}

/// One TCP option, in the order it appears in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpOption {
    Eol,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    /// SACK blocks: (left edge, right edge), raw sequence numbers.
    Sack(Vec<(u32, u32)>),
    Timestamps { tsval: u32, tsecr: u32 },
    /// TCP Fast Open cookie (kind 34).
    FastOpen(Vec<u8>),
    /// Any other kind, with its data length.
    Unknown { kind: u8, len: u8 },
}

/// A decoded TCP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// Header length in bytes (data offset × 4), options included.
    pub header_len: u8,
    pub flags: TcpFlags,
    /// The raw window field (not scaled).
    pub window: u16,
    pub checksum: u16,
    pub urgent_ptr: u16,
    pub options: Vec<TcpOption>,
    /// Segment length from the IP header (what Wireshark calls tcp.len),
    /// which may exceed the captured payload when the frame was cut short.
    pub payload_len: u32,
}

/// A decoded UDP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Udp {
    pub src_port: u16,
    pub dst_port: u16,
    /// The length field (8 header bytes + payload).
    pub length: u16,
    pub checksum: u16,
    /// Payload length as declared by the header (`length - 8`, saturating).
    pub payload_len: u32,
}

/// A decoded ICMP or ICMPv6 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmp {
    pub icmp_type: u8,
    pub code: u8,
    pub checksum: u16,
    /// Echo identifier and sequence number, for echo request/reply.
    pub echo: Option<(u16, u16)>,
    /// The IP header (and first transport bytes) quoted inside an error message.
    pub quoted: Option<Quoted>,
}

/// The header an ICMP error quotes: which datagram caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quoted {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
}

/// Why (part of) a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The layer where decoding stopped, e.g. "Ethernet", "IPv4", "TCP".
    pub layer: &'static str,
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

impl Packet<'_> {
    /// Outermost IP source address, if any.
    pub fn src_ip(&self) -> Option<IpAddr> {
        match &self.net {
            Net::Ipv4(h) => Some(IpAddr::V4(h.src)),
            Net::Ipv6(h) => Some(IpAddr::V6(h.src)),
            _ => None,
        }
    }
    /// Outermost IP destination address, if any.
    pub fn dst_ip(&self) -> Option<IpAddr> {
        match &self.net {
            Net::Ipv4(h) => Some(IpAddr::V4(h.dst)),
            Net::Ipv6(h) => Some(IpAddr::V6(h.dst)),
            _ => None,
        }
    }
}

/// Decodes one frame. Never panics, whatever the bytes.
pub fn decode<'a>(frame: &Frame<'a>) -> Packet<'a> {
    let _ = frame;
    Packet { link: Link::Unsupported { linktype: frame.linktype }, ..Packet::default() }
}
