//! Conversations and TCP analysis: a canonical key per conversation, stream
//! numbers as tshark's `tcp.stream`/`udp.stream`, relative sequence numbers,
//! Wireshark's TCP analysis flags, UDP request/reply pairing and the Zeek-style
//! connection state. Facts only: no words, no I/O.

use std::net::IpAddr;

use crate::decode::Packet;
use crate::source::Timestamp;

/// Which transport a conversation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
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

    /// (bit, JSON name, Wireshark Info label) for every flag, in Wireshark's Info order.
    pub const ALL: &'static [(u32, &'static str, &'static str)] = &[
        (Self::PORT_REUSED, "port_reused", "TCP Port numbers reused"),
        (Self::LOST_SEGMENT, "lost_segment", "TCP Previous segment not captured"),
        (Self::ACK_LOST_SEGMENT, "ack_lost_segment", "TCP ACKed unseen segment"),
        (Self::KEEP_ALIVE, "keep_alive", "TCP Keep-Alive"),
        (Self::KEEP_ALIVE_ACK, "keep_alive_ack", "TCP Keep-Alive ACK"),
        (Self::ZERO_WINDOW_PROBE, "zero_window_probe", "TCP ZeroWindowProbe"),
        (Self::ZERO_WINDOW_PROBE_ACK, "zero_window_probe_ack", "TCP ZeroWindowProbeAck"),
        (Self::WINDOW_FULL, "window_full", "TCP Window Full"),
        (Self::ZERO_WINDOW, "zero_window", "TCP ZeroWindow"),
        (Self::WINDOW_UPDATE, "window_update", "TCP Window Update"),
        (Self::DUP_ACK, "dup_ack", "TCP Dup ACK"),
        (Self::SPURIOUS_RETRANSMISSION, "spurious_retransmission", "TCP Spurious Retransmission"),
        (Self::FAST_RETRANSMISSION, "fast_retransmission", "TCP Fast Retransmission"),
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
}

/// Per-direction counters of a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideStats {
    pub frames: u64,
    /// Bytes on the wire (frame lengths).
    pub bytes: u64,
    /// Application payload bytes.
    pub payload_bytes: u64,
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
}

/// Context of a frame the tracker needs besides the packet.
#[derive(Debug, Clone, Copy)]
pub struct FrameMeta {
    pub number: u64,
    pub ts: Timestamp,
    pub orig_len: u32,
}

/// Follows conversations across frames.
#[derive(Debug, Default)]
pub struct Tracker {}

impl Tracker {
    /// A tracker that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one frame, in capture order, and returns its facts.
    pub fn observe(&mut self, meta: FrameMeta, packet: &Packet<'_>) -> Facts {
        let _ = (meta, packet);
        Facts::default()
    }

    /// All conversations, in order of their stream index (TCP first, then UDP).
    pub fn finish(self) -> Vec<Conversation> {
        Vec::new()
    }
}
