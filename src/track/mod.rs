//! Conversations and TCP analysis: a canonical key per conversation, stream
//! numbers as tshark's `tcp.stream`/`udp.stream`, relative sequence numbers,
//! Wireshark's TCP analysis flags, UDP request/reply pairing and the Zeek-style
//! connection state. Facts only: no words, no I/O.

use std::collections::HashMap as StdHashMap;

/// The conversation hash: foldhash keyed with a per-process random seed (from the operating
/// system's randomness, through std's `RandomState`). Keys come off the wire: with an
/// unkeyed hash, crafted addresses that all collide would make every lookup walk them all
/// (100,000 such SYNs took 128 s, issue 13). Every table of the tracker, on every thread,
/// hashes with this one seed, so a hash computed ahead on one thread is valid on another.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Keyed;

impl std::hash::BuildHasher for Keyed {
    type Hasher = foldhash::fast::FoldHasher<'static>;
    fn build_hasher(&self) -> Self::Hasher {
        static SEED: std::sync::OnceLock<(u64, foldhash::SharedSeed)> = std::sync::OnceLock::new();
        let (per_hasher, shared) = SEED.get_or_init(|| {
            let random = std::hash::RandomState::new();
            (
                random.hash_one(0x5eed_u64),
                foldhash::SharedSeed::from_u64(random.hash_one(0xfeed_u64)),
            )
        });
        foldhash::fast::FoldHasher::with_seed(*per_hasher, shared)
    }
}
use std::hash::BuildHasher as _;

type HashMap<K, V> = StdHashMap<K, V, Keyed>;
use std::net::IpAddr;

use crate::decode::{Packet, TcpFlags, Transport};
use crate::hints::Hints;
use crate::source::Timestamp;
use compact::{Ts, U40};

/// A small xorshift generator for the tests' random cases (the same seed, the same cases).
#[cfg(test)]
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

mod compact;
mod index;
#[cfg(test)]
mod oracle_tests;
mod ring;
pub mod seq;
mod tcp;
#[cfg(test)]
mod tests;
mod udp;
mod zeek;

pub use seq::SeqNumber;
use tcp::TcpConv;
use udp::UdpConv;
pub use zeek::MAX_HISTORY;
use zeek::{ZeekFlow, ZeekTcp};

/// Which transport a conversation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
    /// ICMP or ICMPv6 (Zeek's flows: echo request and reply together, each error
    /// message type one-way); its "ports" are the type and the counterpart type or code.
    Icmp,
    /// Another IP protocol (its number): one flow per pair of addresses, no ports.
    Other(u8),
}

impl Proto {
    /// "TCP", "UDP", "ICMP", or "IP" for another IP protocol.
    pub fn upper(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Icmp => "ICMP",
            Proto::Other(_) => "IP",
        }
    }

    /// "tcp", "udp", "icmp", or "ip" (as `--stream` and the JSON check objects spell them).
    pub fn lower(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
            Proto::Other(_) => "ip",
        }
    }
}

/// Direction of a frame within its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the side that opened the conversation (sent the SYN or the first datagram).
    FromClient,
    /// From the other side.
    FromServer,
}

/// An IP address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

/// Wireshark's TCP analysis flags, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Analysis(pub u32);

impl Analysis {
    pub const RETRANSMISSION: u32 = 1 << 0;
    pub const FAST_RETRANSMISSION: u32 = 1 << 1;
    pub const SPURIOUS_RETRANSMISSION: u32 = 1 << 2;
    pub const OUT_OF_ORDER: u32 = 1 << 3;
    pub const DUP_ACK: u32 = 1 << 4;
    pub const LOST_SEGMENT: u32 = 1 << 5;
    pub const ACK_LOST_SEGMENT: u32 = 1 << 6;
    pub const WINDOW_UPDATE: u32 = 1 << 7;
    pub const ZERO_WINDOW: u32 = 1 << 8;
    pub const KEEP_ALIVE: u32 = 1 << 9;
    pub const PORT_REUSED: u32 = 1 << 10;
    pub const KEEP_ALIVE_ACK: u32 = 1 << 11;
    pub const ZERO_WINDOW_PROBE: u32 = 1 << 12;
    pub const ZERO_WINDOW_PROBE_ACK: u32 = 1 << 13;
    pub const WINDOW_FULL: u32 = 1 << 14;
    /// A SYN carrying data with a TCP Fast Open cookie (tshark's `tcp.analysis.tfo_syn`).
    /// Not in [`Analysis::ALL`]: Wireshark shows no Info label for it.
    pub const TFO_SYN: u32 = 1 << 15;
    /// A SYN-ACK acknowledging more than the peer's SYN (its data: tshark's
    /// `tcp.analysis.tfo_ack`). No Info label.
    pub const TFO_ACK: u32 = 1 << 16;
    /// A SYN-ACK acknowledging only the SYN of a TCP Fast Open SYN with data (tshark's
    /// `tcp.analysis.tfo_ignored`). No Info label.
    pub const TFO_IGNORED: u32 = 1 << 17;

    /// (bit, JSON name, Wireshark Info label) for every flag, in the order of the JSON
    /// names (the Info column's is [`Analysis::INFO_ORDER`]).
    pub const ALL: &'static [(u32, &'static str, &'static str)] = &[
        (Self::PORT_REUSED, "port_reused", "TCP Port numbers reused"),
        (
            Self::LOST_SEGMENT,
            "lost_segment",
            "TCP Previous segment not captured",
        ),
        (
            Self::ACK_LOST_SEGMENT,
            "ack_lost_segment",
            "TCP ACKed unseen segment",
        ),
        (Self::KEEP_ALIVE, "keep_alive", "TCP Keep-Alive"),
        (Self::KEEP_ALIVE_ACK, "keep_alive_ack", "TCP Keep-Alive ACK"),
        (
            Self::ZERO_WINDOW_PROBE,
            "zero_window_probe",
            "TCP ZeroWindowProbe",
        ),
        (
            Self::ZERO_WINDOW_PROBE_ACK,
            "zero_window_probe_ack",
            "TCP ZeroWindowProbeAck",
        ),
        (Self::WINDOW_FULL, "window_full", "TCP Window Full"),
        (Self::ZERO_WINDOW, "zero_window", "TCP ZeroWindow"),
        (Self::WINDOW_UPDATE, "window_update", "TCP Window Update"),
        (Self::DUP_ACK, "dup_ack", "TCP Dup ACK"),
        (
            Self::SPURIOUS_RETRANSMISSION,
            "spurious_retransmission",
            "TCP Spurious Retransmission",
        ),
        (
            Self::FAST_RETRANSMISSION,
            "fast_retransmission",
            "TCP Fast Retransmission",
        ),
        (Self::RETRANSMISSION, "retransmission", "TCP Retransmission"),
        (Self::OUT_OF_ORDER, "out_of_order", "TCP Out-Of-Order"),
    ];

    /// True if `bit` is set.
    pub fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }
    /// True if no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags with an Info label, in the order Wireshark's Info column shows them.
    /// Wireshark writes the labels in front of the column as it checks the flags (the
    /// retransmission kinds, reused ports, previous segment not captured, ACKed unseen
    /// segment, window update, window full, keep-alive, its ACK, duplicate ACK, zero
    /// window probe, zero window, the probe's ACK), so the last one written comes first.
    pub const INFO_ORDER: [u32; 15] = [
        Self::ZERO_WINDOW_PROBE_ACK,
        Self::ZERO_WINDOW,
        Self::ZERO_WINDOW_PROBE,
        Self::DUP_ACK,
        Self::KEEP_ALIVE_ACK,
        Self::KEEP_ALIVE,
        Self::WINDOW_FULL,
        Self::WINDOW_UPDATE,
        Self::ACK_LOST_SEGMENT,
        Self::LOST_SEGMENT,
        Self::PORT_REUSED,
        Self::SPURIOUS_RETRANSMISSION,
        Self::FAST_RETRANSMISSION,
        Self::RETRANSMISSION,
        Self::OUT_OF_ORDER,
    ];

    /// The Info labels Wireshark shows for these flags, in [`Analysis::INFO_ORDER`].
    ///
    /// The tracker sets [`Analysis::RETRANSMISSION`] together with
    /// [`Analysis::FAST_RETRANSMISSION`] and [`Analysis::SPURIOUS_RETRANSMISSION`]
    /// (as tshark's `tcp.analysis.retransmission` matches those too), but
    /// Wireshark's Info column then shows only the specific label: this
    /// iterator leaves the generic one out in that case.
    pub fn info_labels(self) -> impl Iterator<Item = (u32, &'static str)> {
        let specific =
            self.has(Self::FAST_RETRANSMISSION) || self.has(Self::SPURIOUS_RETRANSMISSION);
        Self::INFO_ORDER.into_iter().filter_map(move |bit| {
            let shown = self.has(bit) && !(bit == Self::RETRANSMISSION && specific);
            let label = Self::ALL.iter().find(|(b, _, _)| *b == bit).map(|e| e.2);
            label.filter(|_| shown).map(|l| (bit, l))
        })
    }

    /// The JSON names of the flags set, in [`Analysis::ALL`] order (plus `tfo_syn`,
    /// `tfo_ack` and `tfo_ignored`).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let tfo = [
            (Self::TFO_SYN, "tfo_syn"),
            (Self::TFO_ACK, "tfo_ack"),
            (Self::TFO_IGNORED, "tfo_ignored"),
        ]
        .into_iter()
        .filter_map(move |(bit, name)| self.has(bit).then_some(name));
        Self::ALL
            .iter()
            .filter_map(move |&(bit, name, _)| self.has(bit).then_some(name))
            .chain(tfo)
    }
}

/// What the tracker learned about one TCP segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpFacts {
    /// Sequence number relative to this side's ISN (tshark's tcp.seq).
    pub rel_seq: u32,
    /// Acknowledgement number relative to the peer's ISN (tshark's tcp.ack; 0 when unknown).
    pub rel_ack: u32,
    /// The next sequence number (relative) this side will use after this segment
    /// (seq + len, + 1 for SYN and FIN) — tshark's tcp.nxtseq.
    pub next_seq: u32,
    /// The window as Wireshark calculates it (scaled when the scale is known).
    pub window: u64,
    /// The window scale multiplier applied, when known (`None`: not seen in a handshake).
    pub window_scale: Option<u32>,
    /// Analysis flags for this segment.
    pub analysis: Analysis,
    /// For a duplicate ACK: the frame number of the original ACK and the count (`#n`).
    pub dup_ack: Option<(u64, u32)>,
    /// For a retransmission: the frame number of the segment it repeats, when known.
    pub retransmits: Option<u64>,
    /// Step of the three-way handshake this segment is (1 SYN, 2 SYN-ACK, 3 ACK).
    pub handshake_step: Option<u8>,
    /// Bytes this segment acknowledges for the first time (growth of the peer's acked data).
    pub newly_acked: u32,
    /// Frame number whose data (or FIN) this segment is the first to acknowledge.
    pub acks_frame: Option<u64>,
    /// This segment carries the first FIN of the conversation.
    pub first_fin: bool,
    /// RFC 9293 state of the sending side after this segment (as far as it can be seen).
    pub state: TcpState,
    /// The conversation negotiated Accurate ECN (SYN and SYN-ACK agreed), so the ECN
    /// flags read as the ACE counter (as Wireshark shows them).
    pub accurate_ecn: bool,
    /// This RST answers the client's SYN before any SYN-ACK: the connection is refused.
    pub refused: bool,
    /// The frame of the peer's FIN that this segment is the first to acknowledge
    /// (Ack = the FIN's Seq + 1).
    pub acks_fin: Option<u64>,
    /// This segment ends the connection: a RST, or the ACK of the second FIN.
    pub closes: bool,
}

/// TCP connection states, in RFC 9293 spelling, as seen from the wire for one side.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TcpState {
    #[default]
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

/// What the tracker learned about one UDP datagram.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UdpFacts {
    /// The frame number of the request this datagram answers (a datagram in the
    /// other direction, whose source IP and port are this one's destination).
    pub reply_to: Option<u64>,
    /// For the first datagram of a conversation: an earlier conversation from the
    /// same client IP to the same server endpoint, with its client port (a new client run).
    pub previous_client_port: Option<u16>,
}

/// The tracker's facts for one frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Conversation index for the frame's transport (tshark's tcp.stream / udp.stream).
    pub stream: Option<u64>,
    /// TCP or UDP, when the frame belongs to a conversation.
    pub proto: Option<Proto>,
    /// Direction within the conversation.
    pub direction: Option<Direction>,
    /// First frame of its conversation.
    pub opens_conversation: bool,
    /// Number of this frame within its conversation, 1-based.
    pub index_in_conversation: u64,
    /// TCP facts.
    pub tcp: Option<TcpFacts>,
    /// UDP facts.
    pub udp: Option<UdpFacts>,
    /// ICMP and other IP protocols: the flow the frame counts in, as its conversation
    /// summary numbers it (`Proto::Icmp` or `Proto::Other`, and its `stream`). tshark
    /// numbers no stream for these, so [`Facts::stream`] stays empty.
    pub flow: Option<(Proto, u64)>,
}

/// Per-direction counters of a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideStats {
    pub frames: u64,
    /// Bytes on the wire (frame lengths).
    pub bytes: u64,
    /// Application payload bytes.
    pub payload_bytes: u64,
    /// IP bytes (the IP header's total length; Zeek's `num_bytes_ip`).
    pub ip_bytes: u64,
}

/// What Zeek would write for a conversation in its conn.log, oriented as Zeek
/// orients it (its originator may be wirelab's server).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeekSummary {
    /// Zeek's originator is wirelab's server.
    pub orig_is_server: bool,
    /// Payload bytes as Zeek counts them (TCP: from sequence numbers), originator first.
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    /// Bytes missed in content gaps.
    pub missed_bytes: u64,
    /// From the first packet to the last one Zeek counts (TCP: not past both closes;
    /// not to a packet dropped for a bad checksum).
    pub duration_ns: i128,
    /// Packets Zeek's analyzers dropped for a bad checksum, and their IP bytes, by
    /// wirelab side (client first): not in Zeek's packet and IP byte counts.
    pub dropped_pkts: [u64; 2],
    pub dropped_ip_bytes: [u64; 2],
}

impl ZeekSummary {
    /// The dropped packets' counts of `corrupt`, if any.
    fn dropped(&mut self, corrupt: Option<&zeek::Corrupt>) {
        if let Some(c) = corrupt {
            let [a, b] = c.pkts;
            self.dropped_pkts = [u64::from(a), u64::from(b)];
            self.dropped_ip_bytes = c.ip_bytes;
        }
    }
}

/// One conversation, summarised at the end (or when evicted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub proto: Proto,
    pub stream: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    pub from_client: SideStats,
    pub from_server: SideStats,
    pub first_frame: u64,
    pub last_frame: u64,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Zeek conn_state: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH.
    pub zeek_state: &'static str,
    /// Zeek history string (e.g. "ShADadFf").
    pub history: String,
    /// SYN → ACK of the handshake (initial RTT), in nanoseconds, for TCP.
    pub initial_rtt_ns: Option<i128>,
    /// Which side sent the first FIN, if any.
    pub first_fin_by: Option<Direction>,
    /// Which side sent the first RST, if any.
    pub first_rst_by: Option<Direction>,
    /// Handshake: SYN, SYN-ACK and ACK seen.
    pub handshake_complete: bool,
    /// Both FINs seen and acknowledged.
    pub teardown_complete: bool,
    /// UDP: datagrams from the client that got a reply from the server.
    pub udp_answered: u64,
    /// Zeek's orientation, byte counts and duration (for the conn.log).
    pub zeek: ZeekSummary,
    /// Zeek's `service` (its name of the application protocol a dissector took), when
    /// one was recognised.
    pub service: Option<&'static str>,
}

/// Context of a frame the tracker needs besides the packet.
#[derive(Debug, Clone, Copy)]
pub struct FrameMeta {
    pub number: u64,
    pub ts: Timestamp,
    pub orig_len: u32,
}

/// The IP datagram's length as its header gives it (Zeek's `num_bytes_ip`).
fn ip_len(packet: &Packet<'_>) -> u32 {
    match &packet.net {
        crate::decode::Net::Ipv4(v4) => u32::from(v4.total_len),
        crate::decode::Net::Ipv6(v6) => u32::from(v6.payload_len) + 40,
        _ => 0,
    }
}

/// The IP payload's length as the IP header declares it (IPv6: its payload length,
/// extension headers included).
fn ip_payload_len(packet: &Packet<'_>) -> u32 {
    match &packet.net {
        crate::decode::Net::Ipv4(v4) => {
            u32::from(v4.total_len).saturating_sub(u32::from(v4.header_len))
        }
        crate::decode::Net::Ipv6(v6) => u32::from(v6.payload_len),
        _ => 0,
    }
}

/// The limited broadcast address (Zeek never flips a flow sent to it).
fn is_broadcast(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.is_broadcast())
}

/// Fills a UDP, ICMP or other flow's Zeek fields.
/// `corrupt`: the flow's packets dropped for a bad checksum, if any.
fn flow_summary(c: &mut Conversation, z: &ZeekFlow, udp: bool, corrupt: Option<&zeek::Corrupt>) {
    c.history = z.history.as_str().to_string();
    c.zeek_state = z.conn_state(udp);
    let (orig_bytes, resp_bytes) = z.orig_resp(z.bytes);
    // Zeek's last time: a dropped packet does not move it.
    let end = corrupt.map_or(c.end, |k| k.last_analysed);
    c.zeek = ZeekSummary {
        orig_is_server: z.orig_is_server,
        orig_bytes,
        resp_bytes,
        missed_bytes: 0,
        duration_ns: end.nanos_since(c.start).max(0),
        ..ZeekSummary::default()
    };
    c.zeek.dropped(corrupt);
}

/// The conversation protocol of a flow of IP protocol `protocol` (not TCP nor UDP).
fn other_proto(protocol: u8) -> Proto {
    match protocol {
        1 | 58 => Proto::Icmp,
        p => Proto::Other(p),
    }
}

/// The dropped-packet record of conversation `key` in `records` (see
/// [`Tracker::corrupt`]) when this packet's checksum is bad (`bad`), created with Zeek's
/// last time so far (`before`); else, for a conversation that has one, its last time
/// moves to `ts`.
fn checksum_record(
    records: &mut HashMap<(u8, usize), zeek::Corrupt>,
    key: (u8, usize),
    bad: bool,
    before: Timestamp,
    ts: Timestamp,
) -> Option<&mut zeek::Corrupt> {
    if bad {
        return Some(records.entry(key).or_insert_with(|| zeek::Corrupt {
            last_analysed: before,
            ..zeek::Corrupt::default()
        }));
    }
    if !records.is_empty()
        && let Some(c) = records.get_mut(&key)
    {
        c.analysed_at(ts);
    }
    None
}

/// True when the packet's transport checksum is wrong (Zeek then drops the packet).
fn bad_checksum(packet: &Packet<'_>) -> bool {
    packet.checksum == crate::decode::ChecksumStatus::Bad
}

/// The canonical key of a conversation: its two endpoints, smaller first.
///
/// Each address is packed in two words (an IPv4 address in the first, `v6`
/// telling the families apart), so hashing and comparing a key is a handful of
/// word operations: the derived `Hash` of two `IpAddr` enums cost about a tenth
/// of the tracker's time, on every frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ConvKey {
    ips: [[u64; 2]; 2],
    ports: [u16; 2],
    v6: [bool; 2],
}

impl ConvKey {
    fn new(a: Endpoint, b: Endpoint) -> Self {
        let (a_ip, a_v6) = words(a.ip);
        let (b_ip, b_v6) = words(b.ip);
        // Any total order will do: it only makes both directions share one key.
        if (a_ip, a.port, a_v6) <= (b_ip, b.port, b_v6) {
            ConvKey {
                ips: [a_ip, b_ip],
                ports: [a.port, b.port],
                v6: [a_v6, b_v6],
            }
        } else {
            ConvKey {
                ips: [b_ip, a_ip],
                ports: [b.port, a.port],
                v6: [b_v6, a_v6],
            }
        }
    }
}

/// An address as two words (big-endian halves of an IPv6 address; an IPv4
/// address in the first), and whether it is IPv6.
fn words(ip: IpAddr) -> ([u64; 2], bool) {
    match ip {
        IpAddr::V4(v4) => ([u64::from(u32::from(v4)), 0], false),
        IpAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = v6.octets();
            (
                [
                    u64::from_be_bytes([a, b, c, d, e, f, g, h]),
                    u64::from_be_bytes([i, j, k, l, m, n, o, p]),
                ],
                true,
            )
        }
    }
}

impl ConvKey {
    /// The bits of the key's hash the conversation index uses.
    fn short_hash(&self) -> u32 {
        index::short_hash(Keyed.hash_one(self))
    }
}

impl std::hash::Hash for ConvKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let [[a0, a1], [b0, b1]] = self.ips;
        let [pa, pb] = self.ports;
        let [va, vb] = self.v6;
        // Every bit of both addresses goes in on its own: words combined before hashing
        // (such as `a1 ^ b1`) would collide for every seed, whatever the hasher.
        h.write_u128(u128::from(a0) << 64 | u128::from(a1));
        h.write_u128(u128::from(b0) << 64 | u128::from(b1));
        h.write_u64(
            u64::from(pa) | u64::from(pb) << 16 | u64::from(va) << 32 | u64::from(vb) << 33,
        );
    }
}

/// What every conversation records, whatever its transport, in its stored form: the
/// counters and frame numbers in 40 bits ([`compact::U40`]), the times in 12 bytes
/// ([`compact::Ts`]). The stream number is the conversation's position in its list.
#[derive(Debug, Clone)]
struct Common {
    /// The client's and the server's endpoints.
    ends: Ends,
    /// Frames, bytes, payload bytes and IP bytes, from the client then from the server.
    counts: [U40; 8],
    first_frame: U40,
    last_frame: U40,
    start: Ts,
    end: Ts,
    /// The first application protocol a dissector took in this conversation.
    app: Option<crate::decode::app::AppProto>,
}

/// Two endpoints in 37 bytes (an `Endpoint` takes 20, with its padding): the addresses'
/// bytes (an IPv4 address in the first four), the ports, and which address is IPv6.
#[derive(Debug, Clone, Copy)]
struct Ends {
    ips: [[u8; 16]; 2],
    ports: [[u8; 2]; 2],
    /// Bit `i`: address `i` is IPv6.
    v6: u8,
}

impl Ends {
    fn new(a: Endpoint, b: Endpoint) -> Self {
        let mut ends = Ends {
            ips: [[0; 16]; 2],
            ports: [a.port.to_be_bytes(), b.port.to_be_bytes()],
            v6: 0,
        };
        for (i, (ip, e)) in ends.ips.iter_mut().zip([a, b]).enumerate() {
            match e.ip {
                IpAddr::V4(v4) => {
                    if let Some(head) = ip.get_mut(..4) {
                        head.copy_from_slice(&v4.octets());
                    }
                }
                IpAddr::V6(v6) => {
                    *ip = v6.octets();
                    ends.v6 |= 1 << i;
                }
            }
        }
        ends
    }

    /// True if endpoint `i` (0 or 1) is `e`: the port, then the address, compared as
    /// stored (no `Endpoint` built: the tracker asks on every frame).
    fn is(&self, i: usize, e: Endpoint) -> bool {
        if self.ports.get(i) != Some(&e.port.to_be_bytes()) {
            return false;
        }
        let v6 = self.v6 & (1 << i) != 0;
        match (e.ip, self.ips.get(i)) {
            (IpAddr::V4(a), Some(b)) => !v6 && b.get(..4) == Some(&a.octets()[..]),
            (IpAddr::V6(a), Some(b)) => v6 && *b == a.octets(),
            (_, None) => false,
        }
    }

    /// Endpoint `i` (0 or 1).
    fn get(&self, i: usize) -> Endpoint {
        let bytes = self.ips.get(i).copied().unwrap_or_default();
        let ip = if self.v6 & (1 << i) != 0 {
            IpAddr::from(bytes)
        } else {
            let [a, b, c, d, ..] = bytes;
            IpAddr::from([a, b, c, d])
        };
        let port = u16::from_be_bytes(self.ports.get(i).copied().unwrap_or_default());
        Endpoint { ip, port }
    }
}

impl Common {
    fn new(client: Endpoint, server: Endpoint, meta: &FrameMeta) -> Self {
        Common {
            ends: Ends::new(client, server),
            counts: [U40::default(); 8],
            first_frame: U40::new(meta.number),
            last_frame: U40::new(meta.number),
            start: meta.ts.into(),
            end: meta.ts.into(),
            app: None,
        }
    }

    /// True when a frame from `src` to `dst` belongs to this conversation's endpoints.
    fn joins(&self, src: Endpoint, dst: Endpoint) -> bool {
        let e = &self.ends;
        (e.is(0, src) && e.is(1, dst)) || (e.is(0, dst) && e.is(1, src))
    }

    fn client(&self) -> Endpoint {
        self.ends.get(0)
    }

    /// True if `e` is the client's endpoint.
    fn is_client(&self, e: Endpoint) -> bool {
        self.ends.is(0, e)
    }

    fn server(&self) -> Endpoint {
        self.ends.get(1)
    }

    /// The counters of one side (0: from the client, 1: from the server).
    fn side(&self, server: bool) -> SideStats {
        let at = |i: usize| {
            self.counts
                .get(i + 4 * usize::from(server))
                .map_or(0, |c| c.get())
        };
        SideStats {
            frames: at(0),
            bytes: at(1),
            payload_bytes: at(2),
            ip_bytes: at(3),
        }
    }

    /// The time of the first frame.
    fn start(&self) -> Timestamp {
        self.start.into()
    }

    /// Counts one frame; returns its 1-based index within the conversation.
    fn count(&mut self, meta: &FrameMeta, from_client: bool, payload_len: u32, ip_len: u32) -> u64 {
        let base = if from_client { 0 } else { 4 };
        let adds = [
            1,
            u64::from(meta.orig_len),
            u64::from(payload_len),
            u64::from(ip_len),
        ];
        if let Some(side) = self.counts.get_mut(base..base + 4) {
            for (c, v) in side.iter_mut().zip(adds) {
                c.add(v);
            }
        }
        self.last_frame = U40::new(meta.number);
        if meta.ts > Timestamp::from(self.end) {
            self.end = meta.ts.into();
        }
        let frames = |i: usize| self.counts.get(i).map_or(0, |c| c.get());
        frames(0) + frames(4)
    }

    fn summary(&self, proto: Proto, stream: u64) -> Conversation {
        Conversation {
            proto,
            stream,
            client: self.client(),
            server: self.server(),
            from_client: self.side(false),
            from_server: self.side(true),
            first_frame: self.first_frame.get(),
            last_frame: self.last_frame.get(),
            start: self.start.into(),
            end: self.end.into(),
            zeek_state: "OTH",
            history: String::new(),
            initial_rtt_ns: None,
            first_fin_by: None,
            first_rst_by: None,
            handshake_complete: false,
            teardown_complete: false,
            udp_answered: 0,
            zeek: ZeekSummary::default(),
            // Zeek's service: its name for the application protocol (none where Zeek
            // has no analyzer for it).
            service: self.app.map(|a| a.zeek_service()).filter(|s| !s.is_empty()),
        }
    }
}

/// At most this many TCP conversations hold their full analysis state (about 700 bytes
/// each) at once. A conversation gives it up when it closes (a RST, or both FINs
/// acknowledged), or, when a new or late conversation needs room, when it is the least
/// recently active one (a clock sweep over them); see [`TcpConv::freeze`].
pub const MAX_LIVE: usize = 16_384;

/// The steps of [`Tracker::prefetch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ahead {
    Slot,
    Conversation,
    Live,
}

/// Follows conversations across frames.
///
/// Memory grows with the number of conversations, never with the number of frames: at
/// most [`MAX_LIVE`] TCP conversations keep their full analysis state (with at most
/// [`tcp::MAX_UNACKED`] remembered segments per side); the others keep their summary, Zeek's
/// judgement and a frozen form of it (an unanswered SYN's in place: about 250 bytes a
/// conversation in all, its index slot included).
#[derive(Debug, Default)]
pub struct Tracker {
    /// The current TCP conversation for each endpoint pair (the newest, after port reuse).
    tcp_by_key: index::Index,
    tcp: Chunked<(Common, TcpConv)>,
    udp_by_key: index::Index,
    udp: Chunked<(Common, UdpConv)>,
    /// ICMP flows and flows of other IP protocols (Zeek logs them; tshark has no stream).
    other_by_key: index::Index,
    other: Chunked<(Common, OtherConv)>,
    /// For UDP: (client IP, server endpoint) → client port of the latest conversation.
    udp_last_client_port: HashMap<(IpAddr, Endpoint), u16>,
    /// The TCP conversations whose analysis state is live (positions in `tcp`), at most
    /// [`MAX_LIVE`]; each knows its place here.
    live: Vec<u32>,
    /// Where the clock sweep over `live` goes on.
    hand: usize,
    /// The packets Zeek dropped for a bad checksum, by conversation (its list: 0 TCP,
    /// 1 UDP, 2 the others; its index there): only the few conversations that have any.
    corrupt: HashMap<(u8, usize), zeek::Corrupt>,
}

/// The first frame of a conversation, as its TCP state takes it.
fn origin(c: &Common) -> tcp::Origin {
    tcp::Origin {
        frame: c.first_frame.get(),
        ts: c.start(),
    }
}

/// An ICMP flow or a flow of another IP protocol.
#[derive(Debug, Clone)]
struct OtherConv {
    /// The IP protocol number (1 and 58 for ICMP).
    protocol: u8,
    /// An ICMP message without a counterpart type (an error, say): one direction only.
    one_way: bool,
    zeek: ZeekFlow,
}

/// A growable list stored in fixed chunks: growing never copies (no 2x peak) and
/// wastes at most one chunk.
#[derive(Debug)]
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}
const CHUNK: usize = 4096;
impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}
impl<T> Chunked<T> {
    fn len(&self) -> usize {
        self.len
    }
    fn push(&mut self, v: T) {
        if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(c) = self.chunks.last_mut() {
            c.push(v);
            self.len += 1;
        }
    }
    fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks
            .get_mut(i / CHUNK)
            .and_then(|c| c.get_mut(i % CHUNK))
    }
    /// Every element by value, each chunk freed as soon as it is consumed.
    fn drain_chunks(self) -> impl Iterator<Item = T> {
        self.chunks.into_iter().flat_map(|c| c.into_iter())
    }
}

impl Tracker {
    /// A tracker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one frame, in capture order, and returns its facts.
    ///
    /// Frames that are not TCP or UDP get no stream: an ICMP message or a packet of
    /// another IP protocol counts in its flow (named in [`Facts::flow`]); ARP, IP
    /// fragments shown as data and undecodable frames get `Facts::default()` and
    /// change nothing. The header an ICMP error quotes never touches a conversation.
    /// The fragment that completes a reassembled datagram carries its transport
    /// and counts like any segment or datagram.
    pub fn observe(&mut self, meta: FrameMeta, packet: &Packet<'_>) -> Facts {
        self.observe_with(meta, packet, Hints::default())
    }

    /// The hash of a TCP or UDP packet's conversation key, as [`Tracker::observe_with`]
    /// takes it in its hints: computed ahead, by another thread; `None` for other packets.
    pub(crate) fn key_hash(packet: &Packet<'_>) -> Option<u32> {
        let (src_port, dst_port) = match &packet.transport {
            Transport::Tcp(t) => (t.src_port, t.dst_port),
            Transport::Udp(u) => (u.src_port, u.dst_port),
            _ => return None,
        };
        let (src, dst) = (packet.src_ip()?, packet.dst_ip()?);
        Some(
            ConvKey::new(
                Endpoint {
                    ip: src,
                    port: src_port,
                },
                Endpoint {
                    ip: dst,
                    port: dst_port,
                },
            )
            .short_hash(),
        )
    }

    /// Brings into the cache, ahead of [`Tracker::observe_with`], what it will touch for a
    /// TCP (`tcp`) or UDP packet whose key hashes to `hash` ([`Tracker::key_hash`]), one
    /// step at a time, each a few frames after the one before: the index slot
    /// ([`Ahead::Slot`], farthest ahead), the conversation, its live TCP state (nearest).
    /// A hint: nothing changes. Tracking waits on memory mostly (thousands of
    /// conversations interleaved are more than the CPU's caches hold).
    #[inline]
    pub(crate) fn prefetch(&self, tcp: bool, hash: u32, ahead: Ahead) {
        let by_key = if tcp {
            &self.tcp_by_key
        } else {
            &self.udp_by_key
        };
        if let Ahead::Slot = ahead {
            by_key.prefetch(hash);
            return;
        }
        let Some(at) = by_key.likely(hash) else {
            return;
        };
        match (ahead, tcp) {
            (Ahead::Conversation, true) => {
                if let Some(c) = self.tcp.get(at) {
                    crate::cache::prefetch_value(c);
                }
            }
            (Ahead::Conversation, false) => {
                if let Some(c) = self.udp.get(at) {
                    crate::cache::prefetch_value(c);
                }
            }
            (Ahead::Live, true) => {
                if let Some((_, conv)) = self.tcp.get(at) {
                    conv.prefetch_live();
                }
            }
            _ => {}
        }
    }

    /// [`Tracker::observe`], with the packet's [`Tracker::key_hash`] in `hints` when it is
    /// known (the same facts either way).
    pub(crate) fn observe_with(
        &mut self,
        meta: FrameMeta,
        packet: &Packet<'_>,
        hints: Hints<'_>,
    ) -> Facts {
        let hash = hints.key_hash;
        let (Some(src_ip), Some(dst_ip)) = (packet.src_ip(), packet.dst_ip()) else {
            return Facts::default();
        };
        match &packet.transport {
            Transport::Tcp(tcp) => {
                let src = Endpoint {
                    ip: src_ip,
                    port: tcp.src_port,
                };
                let dst = Endpoint {
                    ip: dst_ip,
                    port: tcp.dst_port,
                };
                let hash = hash.unwrap_or_else(|| ConvKey::new(src, dst).short_hash());
                self.observe_tcp(&meta, src, dst, hash, tcp, packet)
            }
            Transport::Udp(udp) => {
                let src = Endpoint {
                    ip: src_ip,
                    port: udp.src_port,
                };
                let dst = Endpoint {
                    ip: dst_ip,
                    port: udp.dst_port,
                };
                let hash = hash.unwrap_or_else(|| ConvKey::new(src, dst).short_hash());
                self.observe_udp(&meta, src, dst, hash, udp, packet)
            }
            Transport::Icmpv4(icmp) | Transport::Icmpv6(icmp) => {
                let v6 = matches!(packet.transport, Transport::Icmpv6(_));
                let (counterpart, one_way) = zeek::icmp_counterpart(icmp.icmp_type, icmp.code, v6);
                let src = Endpoint {
                    ip: src_ip,
                    port: u16::from(icmp.icmp_type),
                };
                let dst = Endpoint {
                    ip: dst_ip,
                    port: u16::from(counterpart),
                };
                // What follows the ICMP header's 8 bytes, as the IP header declares it.
                let payload = ip_payload_len(packet).saturating_sub(8);
                let protocol = if v6 { 58 } else { 1 };
                let flow = self.observe_other(
                    &meta,
                    src,
                    dst,
                    (protocol, one_way),
                    payload,
                    ip_len(packet),
                    bad_checksum(packet),
                );
                Facts {
                    flow,
                    ..Facts::default()
                }
            }
            Transport::Other { protocol } => {
                let src = Endpoint {
                    ip: src_ip,
                    port: 0,
                };
                let dst = Endpoint {
                    ip: dst_ip,
                    port: 0,
                };
                let payload = ip_payload_len(packet);
                let flow = self.observe_other(
                    &meta,
                    src,
                    dst,
                    (*protocol, false),
                    payload,
                    ip_len(packet),
                    false,
                );
                Facts {
                    flow,
                    ..Facts::default()
                }
            }
            _ => Facts::default(),
        }
    }

    /// Counts one ICMP message or packet of another IP protocol in its flow, and returns
    /// the flow (as its summary names it). The frame gets no stream: tshark numbers none.
    /// `kind`: the IP protocol, and whether the ICMP message is one-way; `corrupt`: its
    /// checksum is wrong (Zeek's ICMP analyzer drops it).
    #[allow(clippy::too_many_arguments)]
    fn observe_other(
        &mut self,
        meta: &FrameMeta,
        src: Endpoint,
        dst: Endpoint,
        kind: (u8, bool),
        payload: u32,
        ip_len: u32,
        corrupt: bool,
    ) -> Option<(Proto, u64)> {
        let (protocol, one_way) = kind;
        // The protocol joins the key's hash through the ports (only the hash: every
        // candidate is compared on the flow itself).
        let salt = u16::from(protocol) << 8;
        let hash = ConvKey::new(
            Endpoint {
                ip: src.ip,
                port: src.port ^ salt,
            },
            Endpoint {
                ip: dst.ip,
                port: dst.port ^ salt,
            },
        )
        .short_hash();
        let joins = |c: &Common, o: &OtherConv| {
            o.protocol == protocol
                && o.one_way == one_way
                && if one_way {
                    c.ends.is(0, src) && c.ends.is(1, dst)
                } else {
                    c.joins(src, dst)
                }
        };
        let convs = &self.other;
        let existing = self
            .other_by_key
            .find(hash, |at| convs.get(at).is_some_and(|(c, o)| joins(c, o)));
        let index = match existing {
            Some(i) => i,
            None => {
                let i = self.other.len();
                let conv = OtherConv {
                    protocol,
                    one_way,
                    zeek: ZeekFlow::new(false, false),
                };
                self.other.push((Common::new(src, dst, meta), conv));
                self.other_by_key.set(hash, i, |_| false);
                i
            }
        };
        let (common, conv) = self.other.get_mut(index)?;
        let from_client = common.is_client(src);
        let before = Timestamp::from(common.end);
        common.count(meta, from_client, payload, ip_len);
        if let Some(record) =
            checksum_record(&mut self.corrupt, (2, index), corrupt, before, meta.ts)
        {
            conv.zeek.checksum_error(record, from_client, ip_len, false);
        }
        conv.zeek.observe(from_client, payload, false);
        Some((
            other_proto(protocol),
            u64::try_from(index).unwrap_or(u64::MAX),
        ))
    }

    fn observe_tcp(
        &mut self,
        meta: &FrameMeta,
        src: Endpoint,
        dst: Endpoint,
        hash: u32,
        tcp: &crate::decode::Tcp,
        packet: &Packet<'_>,
    ) -> Facts {
        let (ip_len, app) = (ip_len(packet), packet.app);
        let convs = &self.tcp;
        let existing = self.tcp_by_key.find(hash, |at| {
            convs.get(at).is_some_and(|(c, _)| c.joins(src, dst))
        });
        // A plain SYN with another ISN than the one this side used before opens
        // a new stream on the same ports (Wireshark: "TCP Port numbers reused").
        // Only a plain SYN can: other segments skip the look at the conversation.
        let plain_syn = tcp.flags.0 & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN;
        let reused = plain_syn
            && existing
                .and_then(|i| self.tcp.get(i))
                .is_some_and(|(c, conv)| conv.syn_reuses_ports(c.is_client(src), tcp));
        let (index, opens) = match existing {
            Some(i) if !reused => (i, false),
            _ => {
                let i = self.tcp.len();
                // The client sent the SYN; without one, the sender of the first frame
                // (a lone SYN-ACK comes from the server), unless, as for Zeek, the first
                // frame comes from a likely server port.
                let synack =
                    tcp.flags.0 & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN | TcpFlags::ACK;
                let flip = zeek::flips_first_packet(
                    true,
                    tcp.flags,
                    src.port,
                    dst.port,
                    is_broadcast(dst.ip),
                );
                let (client, server) = if synack || flip {
                    (dst, src)
                } else {
                    (src, dst)
                };
                // Zeek's originator is the first sender unless it flipped: a lone
                // SYN-ACK from an unlikely port makes wirelab's server Zeek's originator.
                let orig_is_server = synack && !flip;
                let conv = TcpConv::with_zeek(ZeekTcp::new(orig_is_server, flip));
                self.tcp.push((Common::new(client, server, meta), conv));
                let convs = &self.tcp;
                self.tcp_by_key.set(hash, i, |at| {
                    convs.get(at).is_some_and(|(c, _)| c.joins(src, dst))
                });
                (i, true)
            }
        };
        if opens {
            self.admit(index);
        } else if self.tcp.get(index).is_some_and(|(_, conv)| !conv.is_live()) {
            // A late segment of a closed or idle conversation: live again for it.
            self.admit(index);
        }
        let Some((common, conv)) = self.tcp.get_mut(index) else {
            return Facts::default();
        };
        let from_client = common.is_client(src);
        let n = common.count(meta, from_client, tcp.payload_len, ip_len);
        if common.app.is_none() {
            common.app = app;
        }
        if bad_checksum(packet)
            && !tcp.short
            && let Some(record) =
                checksum_record(&mut self.corrupt, (0, index), true, common.start(), meta.ts)
        {
            // Zeek drops it (tshark's analysis, which verifies no checksum, does not).
            conv.zeek.checksum_error(record, from_client, ip_len);
        }
        let at = origin(common);
        // A segment shorter than its header (Wireshark's "Short segment") is
        // counted, but gets no sequence analysis: its numbers stay raw.
        let observed = if tcp.short {
            conv.observe_unanalysed(from_client, tcp, at)
        } else {
            conv.observe(meta.number, meta.ts, from_client, tcp, reused, at)
        };
        // A closed connection gives its live state up at once.
        if conv.is_closed()
            && let Some(slot) = conv.slot()
        {
            conv.freeze(at);
            self.release(slot);
        }
        Facts {
            stream: Some(u64::try_from(index).unwrap_or(u64::MAX)),
            proto: Some(Proto::Tcp),
            direction: Some(if from_client {
                Direction::FromClient
            } else {
                Direction::FromServer
            }),
            opens_conversation: opens,
            index_in_conversation: n,
            tcp: Some(observed),
            udp: None,
            flow: None,
        }
    }

    /// Makes the TCP conversation at `index` one of the live ones: thawed if it was
    /// frozen, given a place in `live`, the least recently active one frozen first when
    /// all [`MAX_LIVE`] places are taken.
    fn admit(&mut self, index: usize) {
        if self.live.len() >= MAX_LIVE {
            self.evict_one();
        }
        let slot = self.live.len();
        let Ok(at) = u32::try_from(index) else {
            return;
        };
        if let Some((common, conv)) = self.tcp.get_mut(index) {
            conv.thaw(origin(common));
            conv.set_slot(slot);
            self.live.push(at);
        }
    }

    /// Freezes one live conversation: the first the clock hand finds that had no segment
    /// since the hand last passed it (so two turns at most).
    fn evict_one(&mut self) {
        for _ in 0..=2 * self.live.len() {
            if self.hand >= self.live.len() {
                self.hand = 0;
            }
            let Some(&at) = self.live.get(self.hand) else {
                return;
            };
            let Some((common, conv)) = self.tcp.get_mut(at as usize) else {
                self.release(self.hand);
                return;
            };
            if conv.take_referenced() {
                self.hand += 1;
                continue;
            }
            conv.freeze(origin(common));
            self.release(self.hand);
            return;
        }
    }

    /// Removes place `slot` from `live` (its conversation was frozen); the last live
    /// conversation takes the place.
    fn release(&mut self, slot: usize) {
        if slot >= self.live.len() {
            return;
        }
        self.live.swap_remove(slot);
        if let Some(&moved) = self.live.get(slot)
            && let Some((_, conv)) = self.tcp.get_mut(moved as usize)
        {
            conv.set_slot(slot);
        }
    }

    /// How many TCP conversations hold their full analysis state now (at most
    /// [`MAX_LIVE`]).
    pub fn live_conversations(&self) -> usize {
        self.live.len()
    }

    fn observe_udp(
        &mut self,
        meta: &FrameMeta,
        src: Endpoint,
        dst: Endpoint,
        hash: u32,
        udp: &crate::decode::Udp,
        packet: &Packet<'_>,
    ) -> Facts {
        let (ip_len, app) = (ip_len(packet), packet.app);
        let payload_len = udp.payload_len;
        let mut previous_client_port = None;
        let convs = &self.udp;
        let existing = self.udp_by_key.find(hash, |at| {
            convs.get(at).is_some_and(|(c, _)| c.joins(src, dst))
        });
        let (index, opens) = match existing {
            Some(i) => (i, false),
            None => {
                let i = self.udp.len();
                // A new conversation from the same client IP to the same server endpoint
                // as an earlier one: the client was run again with a new ephemeral port.
                let run = (src.ip, dst);
                if let Some(&port) = self.udp_last_client_port.get(&run)
                    && port != src.port
                {
                    previous_client_port = Some(port);
                }
                self.udp_last_client_port.insert(run, src.port);
                // Zeek's orientation: a datagram from a likely server port to another
                // port comes from the responder.
                let flip = zeek::flips_first_packet(
                    false,
                    TcpFlags(0),
                    src.port,
                    dst.port,
                    is_broadcast(dst.ip),
                );
                let (client, server) = if flip { (dst, src) } else { (src, dst) };
                self.udp.push((
                    Common::new(client, server, meta),
                    UdpConv::new(ZeekFlow::new(false, flip)),
                ));
                // A new key: nothing in the index to replace.
                self.udp_by_key.set(hash, i, |_| false);
                (i, true)
            }
        };
        let Some((common, conv)) = self.udp.get_mut(index) else {
            return Facts::default();
        };
        let from_client = common.is_client(src);
        let before = Timestamp::from(common.end);
        let n = common.count(meta, from_client, payload_len, ip_len);
        if common.app.is_none() {
            common.app = app;
        }
        if let Some(record) = checksum_record(
            &mut self.corrupt,
            (1, index),
            bad_checksum(packet),
            before,
            meta.ts,
        ) {
            // Zeek drops it; the request/reply pairing (tshark's) does not.
            conv.zeek.checksum_error(record, from_client, ip_len, true);
        }
        let reply_to = conv.observe(meta.number, from_client, payload_len);
        Facts {
            stream: Some(u64::try_from(index).unwrap_or(u64::MAX)),
            proto: Some(Proto::Udp),
            direction: Some(if from_client {
                Direction::FromClient
            } else {
                Direction::FromServer
            }),
            opens_conversation: opens,
            index_in_conversation: n,
            tcp: None,
            udp: Some(UdpFacts {
                reply_to,
                previous_client_port,
            }),
            flow: None,
        }
    }

    /// How many conversations were seen (TCP, UDP, ICMP and other IP protocols).
    pub fn conversation_count(&self) -> usize {
        self.tcp.len() + self.udp.len() + self.other.len()
    }

    /// All conversations, in order of their stream index (TCP first, then UDP, then
    /// ICMP and other IP protocols).
    pub fn finish(self) -> Vec<Conversation> {
        let mut out = Vec::with_capacity(self.conversation_count());
        out.extend(self.into_conversations());
        out
    }

    /// All conversations, in order of their stream index (TCP first, then UDP),
    /// each summary built as it is taken and each block of states freed once
    /// consumed: the way to hand over hundreds of thousands of conversations.
    pub fn into_conversations(self) -> impl Iterator<Item = Conversation> {
        let Tracker {
            tcp,
            udp,
            tcp_by_key,
            udp_by_key,
            udp_last_client_port,
            live,
            hand: _,
            other,
            other_by_key,
            corrupt,
        } = self;
        drop((
            tcp_by_key,
            udp_by_key,
            udp_last_client_port,
            live,
            other_by_key,
        ));
        // Each list's summaries look up their conversation's dropped packets.
        let dropped = move |list: u8, stream: u64| {
            let i = usize::try_from(stream).unwrap_or(usize::MAX);
            corrupt.get(&(list, i)).cloned()
        };
        let dropped_udp = dropped.clone();
        let dropped_other = dropped.clone();
        let tcp = tcp
            .drain_chunks()
            .zip(0u64..)
            .map(move |((common, conv), stream)| {
                let mut c = common.summary(Proto::Tcp, stream);
                c.history = conv.zeek.history.as_str().to_string();
                c.zeek_state = conv.zeek.conn_state();
                let (o, r) = conv.zeek.orig_resp();
                c.zeek = ZeekSummary {
                    orig_is_server: conv.zeek.orig_is_server,
                    orig_bytes: o.size(),
                    resp_bytes: r.size(),
                    missed_bytes: conv.zeek.missed_bytes,
                    duration_ns: conv
                        .zeek_last(origin(&common))
                        .nanos_since(common.start())
                        .max(0),
                    ..ZeekSummary::default()
                };
                c.zeek.dropped(dropped(0, stream).as_ref());
                c.initial_rtt_ns = if conv.handshake_complete() {
                    conv.first_rtt_ns()
                } else {
                    None
                };
                c.first_fin_by = conv.first_fin_by;
                c.first_rst_by = conv.first_rst_by;
                c.handshake_complete = conv.handshake_complete();
                c.teardown_complete = conv.teardown_complete();
                c
            });
        let udp = udp
            .drain_chunks()
            .zip(0u64..)
            .map(move |((common, conv), stream)| {
                let mut c = common.summary(Proto::Udp, stream);
                flow_summary(&mut c, &conv.zeek, true, dropped_udp(1, stream).as_ref());
                c.udp_answered = conv.answered;
                c
            });
        let other = other
            .drain_chunks()
            .zip(0u64..)
            .map(move |((common, conv), stream)| {
                let mut c = common.summary(other_proto(conv.protocol), stream);
                flow_summary(&mut c, &conv.zeek, false, dropped_other(2, stream).as_ref());
                c
            });
        tcp.chain(udp).chain(other)
    }
}
