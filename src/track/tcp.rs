//! One TCP conversation: per-side sequence state, Wireshark 4.0's sequence
//! analysis (`tcp_analyze_sequence_number`: the same checks in the same order),
//! the window as Wireshark calculates it, the RFC 9293 state of each side and
//! the Zeek summary. Facts only: no words, no I/O. Memory per conversation is
//! bounded (the unacknowledged-segment list is capped at [`MAX_UNACKED`]).

use super::ring::SmallDeque;
use super::seq::SeqNumber;
use super::zeek::{ZeekSegment, ZeekSeq, ZeekTcp};
use super::{Analysis, Direction, TcpFacts, TcpState};
use crate::decode::{Tcp, TcpFlags, TcpOption};
use crate::source::Timestamp;

/// At most this many unacknowledged segments are remembered per side (they only
/// serve `acks_frame` and `retransmits`; the analysis flags do not need them).
pub const MAX_UNACKED: usize = 256;
/// Unacknowledged segments per side kept in the side's own state, before they move to
/// the heap.
const INLINE_UNACKED: usize = 4;
/// A retransmission this soon after the last duplicate ACK is a fast retransmission.
const FAST_RETRANSMISSION_NS: i128 = 20_000_000;
/// Out-of-order threshold when the initial RTT is unknown.
const DEFAULT_OOO_NS: i128 = 3_000_000;

/// What is known of one side's window scaling (Wireshark's `win_scale`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum WinScale {
    /// No handshake seen yet (-1): the window is shown unscaled.
    #[default]
    Unknown,
    /// The handshake showed scaling is not used (-2).
    NotUsed,
    /// The shift count announced in this side's SYN.
    Shift(u8),
}

/// One segment this side sent that the other side has not acknowledged yet.
#[derive(Debug, Clone, Copy, Default)]
struct Unacked {
    frame: u64,
    seq: SeqNumber,
    next_seq: SeqNumber,
}

/// Sequence analysis state of one direction (Wireshark's `tcp_flow_t`).
/// Raw numbers use 0 as "not set", exactly as Wireshark does.
#[derive(Debug, Clone)]
struct Flow {
    base_seq: Option<u32>,
    win_scale: WinScale,
    /// Last window field (unscaled, as Wireshark's analysis keeps it) this side
    /// advertised; `u32::MAX` before any.
    window: u32,
    /// Analysis flags of the last segment this side sent.
    last_flags: u32,
    next_seq: u32,
    next_seq_frame: u64,
    next_seq_time: Timestamp,
    max_seq_to_be_acked: u32,
    last_ack: u32,
    last_ack_time: Timestamp,
    last_non_dup_ack: u64,
    dup_ack_num: i32,
    unacked: Flight,
    /// No ACK (outside a SYN) sent yet.
    is_first_ack: bool,
    /// RFC 9293 state of this side.
    state: TcpState,
    /// Raw sequence number just after this side's FIN, once it sent one.
    fin_next: Option<SeqNumber>,
    /// Highest acknowledgement this side sent (for `newly_acked`).
    max_ack_sent: Option<SeqNumber>,
    /// Frames with a SYN flag seen from this side (plain SYN or SYN-ACK).
    sent_syn: bool,
    sent_synack: Option<SeqNumber>,
    /// Any segment seen from this side.
    active: bool,
    /// A TCP Fast Open SYN with data was seen from this side.
    sent_tfo_syn: bool,
    /// Zeek's per-side sequence marks, counters and reassembly front.
    zeek: ZeekSeq,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            base_seq: None,
            win_scale: WinScale::Unknown,
            window: u32::MAX,
            last_flags: 0,
            next_seq: 0,
            next_seq_frame: 0,
            next_seq_time: Timestamp::default(),
            max_seq_to_be_acked: 0,
            last_ack: 0,
            last_ack_time: Timestamp::default(),
            last_non_dup_ack: 0,
            dup_ack_num: 0,
            unacked: Flight::default(),
            is_first_ack: true,
            state: TcpState::Closed,
            fin_next: None,
            max_ack_sent: None,
            sent_syn: false,
            sent_synack: None,
            active: false,
            sent_tfo_syn: false,
            zeek: ZeekSeq::default(),
        }
    }
}

/// Something one side did or saw, for its RFC 9293 state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    SendSyn,
    SendSynAck,
    SendFin,
    SendRst,
    /// A segment without SYN, FIN or RST (data and/or ACK).
    SendOther,
    RecvSyn,
    RecvSynAck,
    /// A FIN from the peer; `acks_fin`: it also acknowledges our FIN.
    RecvFin {
        acks_fin: bool,
    },
    RecvRst,
    /// Any other segment from the peer; `acks_fin`: it acknowledges our FIN.
    RecvOther {
        acks_fin: bool,
    },
}

/// RFC 9293 transitions for one side, as far as the wire shows them.
/// `fresh`: this is the first segment of a conversation picked up without a SYN.
fn next_state(state: TcpState, event: Event, fresh: bool) -> TcpState {
    use Event as E;
    use TcpState as S;
    match (state, event) {
        // A reset aborts the connection at once, whatever the state.
        (_, E::SendRst) | (_, E::RecvRst) => S::Closed,
        // Mid-stream pick-up: the connection was open before the capture began.
        (S::Closed, E::SendOther | E::RecvOther { .. }) if fresh => S::Established,
        // Active open: the client sends its SYN (again, if retransmitted).
        (S::Closed | S::Listen | S::SynSent, E::SendSyn) => S::SynSent,
        // Passive open: a SYN reaches the listening server.
        (S::Closed | S::Listen, E::RecvSyn) => S::SynReceived,
        // Simultaneous open: both sides sent a SYN.
        (S::SynSent, E::RecvSyn) => S::SynReceived,
        // The server answers with its SYN-ACK (or repeats it).
        (S::Closed | S::Listen | S::SynReceived, E::SendSynAck) => S::SynReceived,
        // The client receives the SYN-ACK: established (it will send step 3).
        (S::SynSent, E::RecvSynAck) => S::Established,
        // The server receives the handshake's final ACK (or data).
        (S::SynReceived, E::RecvOther { .. }) => S::Established,
        // Active close: this side sends the first FIN.
        (S::Established | S::SynReceived, E::SendFin) => S::FinWait1,
        // Passive close: the peer's FIN arrives first.
        (S::Established | S::SynReceived, E::RecvFin { .. }) => S::CloseWait,
        // Our FIN is acknowledged; now wait for the peer's FIN.
        (S::FinWait1, E::RecvOther { acks_fin: true }) => S::FinWait2,
        // The peer's FIN that also acknowledges ours.
        (S::FinWait1, E::RecvFin { acks_fin: true }) => S::TimeWait,
        // Simultaneous close: the peer's FIN before the ACK of ours.
        (S::FinWait1, E::RecvFin { acks_fin: false }) => S::Closing,
        // The peer's FIN after ours was acknowledged.
        (S::FinWait2, E::RecvFin { .. }) => S::TimeWait,
        // Simultaneous close completes when our FIN is acknowledged.
        (S::Closing, E::RecvOther { acks_fin: true } | E::RecvFin { acks_fin: true }) => {
            S::TimeWait
        }
        // The passive closer sends its own FIN.
        (S::CloseWait, E::SendFin) => S::LastAck,
        // The passive closer's FIN is acknowledged: fully closed.
        (S::LastAck, E::RecvOther { acks_fin: true } | E::RecvFin { acks_fin: true }) => S::Closed,
        // Anything else (data, ACKs, retransmissions) leaves the state as it is.
        (s, _) => s,
    }
}

/// A TCP conversation (one `tcp.stream`).
///
/// What it keeps for its whole life is small (the Zeek judgement, the handshake and
/// close facts, the initial RTT); the per-side analysis state lives in [`Store`]: in full
/// while the tracker counts the conversation among its live ones, compacted once it closes
/// or the tracker needs its room (see [`TcpConv::freeze`]).
#[derive(Debug, Clone)]
pub struct TcpConv {
    store: Store,
    /// Zeek's judgement of the connection (its history included).
    pub zeek: ZeekTcp,
    /// Handshake steps seen: 1 SYN, 2 SYN-ACK, 4 ACK.
    handshake: u8,
    pub first_fin_by: Option<Direction>,
    pub first_rst_by: Option<Direction>,
    /// Handshake and ECN bits the notes and Info need ([`control`] bits), forgotten when
    /// the connection closes.
    control: u8,
    /// A segment was seen.
    seen: bool,
}

/// Where a conversation's per-side analysis state lives.
#[derive(Debug, Clone)]
enum Store {
    /// In full, boxed: the conversation is one of the tracker's live ones.
    Live(Box<Live>),
    /// Closed, or idle beyond the tracker's bound: what a late segment needs, boxed.
    Frozen(Box<FrozenPair>),
    /// Idle, and only one side ever sent (a SYN nobody answered, say): its few numbers in
    /// place, no allocation.
    Quiet(Quiet),
}

/// The first frame of a conversation (number and time), which the tracker keeps: what a
/// quiet conversation leaves out because it is the same.
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    pub frame: u64,
    pub ts: Timestamp,
}

/// The full analysis state of a live conversation.
#[derive(Debug, Clone, Default)]
struct Live {
    /// Index 0: the client (sent the SYN, or the first frame); 1: the server.
    sides: [Flow; 2],
    /// Time of the most recent plain SYN.
    mru_syn: Option<Timestamp>,
    /// Each side's last FIN (frame, relative sequence number of the FIN) and whether the
    /// peer acknowledged it; reset at the close.
    fins: [FinSeen; 2],
    /// A segment came since the tracker's last sweep over its live conversations.
    referenced: bool,
    /// Position in the tracker's list of live conversations.
    slot: u32,
    /// Initial RTT (SYN → first ACK after it), Wireshark's `ts_first_rtt`.
    rtt: Option<i128>,
    /// Zeek's last time of the connection (it stops once both sides closed).
    zeek_last: Timestamp,
}

/// Bits of [`TcpConv::control`].
mod control {
    /// The first plain SYN came from the client side.
    pub const SYN_BY_CLIENT: u8 = 1;
    /// A SYN-ACK was seen.
    pub const SYNACK_SEEN: u8 = 2;
    /// The SYN asked for Accurate ECN (AE, CWR and ECE all set).
    pub const ACCECN_SYN: u8 = 4;
    /// The SYN-ACK agreed to Accurate ECN.
    pub const ACCECN_SYNACK: u8 = 8;
}

/// The control facts of one segment (see [`TcpConv::control`]).
struct Control {
    accurate_ecn: bool,
    refused: bool,
    acks_fin: Option<u64>,
    closes: bool,
}

/// One side's FIN, for the note of the ACK that acknowledges it.
#[derive(Debug, Clone, Copy, Default)]
struct FinSeen {
    /// Frame number and relative sequence number of the FIN.
    fin: Option<(u64, u32)>,
    /// The peer acknowledged it (Ack = its Seq + 1).
    acked: bool,
}

/// What a frozen conversation keeps of one side once its live state is freed: everything
/// a late segment (a retransmission after the close) is analysed with, but the
/// unacknowledged segments, the times of the last segments and Zeek's sequence marks.
#[derive(Debug, Clone, Copy, Default)]
struct Frozen {
    base_seq: Option<u32>,
    next_seq: u32,
    next_seq_frame: u64,
    max_seq_to_be_acked: u32,
    last_ack: u32,
    last_non_dup_ack: u64,
    dup_ack_num: i32,
    last_flags: u32,
    window: u32,
    win_scale: WinScale,
    state: TcpState,
    fin_next: Option<SeqNumber>,
    max_ack_sent: Option<SeqNumber>,
    sent_synack: Option<SeqNumber>,
    sent_syn: bool,
    active: bool,
    is_first_ack: bool,
    sent_tfo_syn: bool,
}

impl Frozen {
    fn of(f: &Flow) -> Self {
        Frozen {
            base_seq: f.base_seq,
            next_seq: f.next_seq,
            next_seq_frame: f.next_seq_frame,
            max_seq_to_be_acked: f.max_seq_to_be_acked,
            last_ack: f.last_ack,
            last_non_dup_ack: f.last_non_dup_ack,
            dup_ack_num: f.dup_ack_num,
            last_flags: f.last_flags,
            window: f.window,
            win_scale: f.win_scale,
            state: f.state,
            fin_next: f.fin_next,
            max_ack_sent: f.max_ack_sent,
            sent_synack: f.sent_synack,
            sent_syn: f.sent_syn,
            active: f.active,
            is_first_ack: f.is_first_ack,
            sent_tfo_syn: f.sent_tfo_syn,
        }
    }

    fn thaw(&self) -> Flow {
        Flow {
            base_seq: self.base_seq,
            next_seq: self.next_seq,
            next_seq_frame: self.next_seq_frame,
            max_seq_to_be_acked: self.max_seq_to_be_acked,
            last_ack: self.last_ack,
            last_non_dup_ack: self.last_non_dup_ack,
            dup_ack_num: self.dup_ack_num,
            last_flags: self.last_flags,
            window: self.window,
            win_scale: self.win_scale,
            state: self.state,
            fin_next: self.fin_next,
            max_ack_sent: self.max_ack_sent,
            sent_synack: self.sent_synack,
            sent_syn: self.sent_syn,
            active: self.active,
            is_first_ack: self.is_first_ack,
            sent_tfo_syn: self.sent_tfo_syn,
            zeek: ZeekSeq::thawed(),
            ..Flow::default()
        }
    }
}

/// Both sides of a frozen conversation, and the time of its last plain SYN.
#[derive(Debug, Clone, Copy)]
struct FrozenPair {
    sides: [Frozen; 2],
    mru_syn: Option<Timestamp>,
    rtt: Option<i128>,
    zeek_last: Timestamp,
}

impl FrozenPair {
    fn of(live: &Live) -> Self {
        let [c, s] = &live.sides;
        FrozenPair {
            sides: [Frozen::of(c), Frozen::of(s)],
            mru_syn: live.mru_syn,
            rtt: live.rtt,
            zeek_last: live.zeek_last,
        }
    }

    fn thaw(&self) -> Live {
        let [c, s] = &self.sides;
        Live {
            sides: [c.thaw(), s.thaw()],
            mru_syn: self.mru_syn,
            rtt: self.rtt,
            zeek_last: self.zeek_last,
            ..Live::default()
        }
    }
}

/// An idle conversation in which only one side ever sent, its segments leaving nothing
/// but a base and a next sequence number and a window (the unanswered SYN of a scan or a
/// flood): 12 bytes in place of the frozen state. Everything else either has its default
/// value or is the conversation's first frame ([`Origin`]), as [`Quiet::of`] checks.
#[derive(Debug, Clone, Copy, Default)]
struct Quiet {
    base_seq: u32,
    /// The next sequence number's distance from the base (low half) and the window
    /// (high half): both below 2^16.
    next_and_window: u32,
    /// [`quiet`] bits.
    bits: u32,
}

/// Bits of [`Quiet::bits`].
mod quiet {
    /// The side that sent is the server.
    pub const SERVER: u32 = 1;
    /// Shifts of the 5-bit window scale codes of the sender and of the other side.
    pub const SCALE: u32 = 1;
    pub const OTHER_SCALE: u32 = 6;
    /// Shifts of the 4-bit state codes of the sender and of the other side.
    pub const STATE: u32 = 11;
    pub const OTHER_STATE: u32 = 15;
    pub const SENT_SYN: u32 = 1 << 19;
    pub const SENT_TFO_SYN: u32 = 1 << 20;
    pub const FIRST_ACK: u32 = 1 << 21;
    /// The sender's one unacknowledged segment is the first frame, from its base.
    pub const FLIGHT_AT_BASE: u32 = 1 << 22;
    /// The same, from its base + 1 (a conversation picked up without a SYN).
    pub const FLIGHT_AFTER_BASE: u32 = 1 << 23;
    /// The most recent plain SYN is the first frame.
    pub const SYN_FIRST: u32 = 1 << 24;
    /// The sender's SYN-ACK is at its base (a lone SYN-ACK).
    pub const SYNACK_AT_BASE: u32 = 1 << 25;
}

/// Every RFC 9293 state, in the order of their 4-bit codes.
const STATES: [TcpState; 11] = [
    TcpState::Closed,
    TcpState::Listen,
    TcpState::SynSent,
    TcpState::SynReceived,
    TcpState::Established,
    TcpState::FinWait1,
    TcpState::FinWait2,
    TcpState::CloseWait,
    TcpState::Closing,
    TcpState::LastAck,
    TcpState::TimeWait,
];

fn state_code(s: TcpState) -> u32 {
    STATES
        .iter()
        .position(|&t| t == s)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(0)
}

fn state_of(code: u32) -> TcpState {
    usize::try_from(code & 0xf)
        .ok()
        .and_then(|i| STATES.get(i).copied())
        .unwrap_or_default()
}

fn scale_code(w: WinScale) -> u32 {
    match w {
        WinScale::Unknown => 0,
        WinScale::NotUsed => 1,
        WinScale::Shift(s) => 2 + u32::from(s.min(14)),
    }
}

fn scale_of(code: u32) -> WinScale {
    match code & 0x1f {
        0 => WinScale::Unknown,
        1 => WinScale::NotUsed,
        c => WinScale::Shift(u8::try_from(c - 2).unwrap_or(14).min(14)),
    }
}

impl Flow {
    /// Nothing seen from this side, nor learned of it from the peer (its state and
    /// window scale aside).
    fn pristine(&self) -> bool {
        let d = Flow::default();
        !self.active
            && self.base_seq.is_none()
            && self.next_seq == 0
            && self.next_seq_frame == 0
            && self.next_seq_time == d.next_seq_time
            && self.max_seq_to_be_acked == 0
            && self.last_ack == 0
            && self.last_ack_time == d.last_ack_time
            && self.last_non_dup_ack == 0
            && self.dup_ack_num == 0
            && self.last_flags == 0
            && self.window == d.window
            && self.unacked.segments.is_empty()
            && self.is_first_ack
            && self.fin_next.is_none()
            && self.max_ack_sent.is_none()
            && !self.sent_syn
            && self.sent_synack.is_none()
            && !self.sent_tfo_syn
    }
}

impl Quiet {
    /// The quiet form of `live`, if it has one: one side sent, the other is pristine, and
    /// the sender's state is what the form can hold.
    fn of(live: &Live, origin: Origin) -> Option<Quiet> {
        let [c, s] = &live.sides;
        let (server, f, other) = if s.pristine() {
            (false, c, s)
        } else if c.pristine() {
            (true, s, c)
        } else {
            return None;
        };
        let base = f.base_seq?;
        let mut bits = if server { quiet::SERVER } else { 0 };
        bits |= scale_code(f.win_scale) << quiet::SCALE;
        bits |= scale_code(other.win_scale) << quiet::OTHER_SCALE;
        bits |= state_code(f.state) << quiet::STATE;
        bits |= state_code(other.state) << quiet::OTHER_STATE;
        for (set, bit) in [
            (f.sent_syn, quiet::SENT_SYN),
            (f.sent_tfo_syn, quiet::SENT_TFO_SYN),
            (f.is_first_ack, quiet::FIRST_ACK),
        ] {
            if set {
                bits |= bit;
            }
        }
        let mut flight = f.unacked.segments.iter();
        match (flight.next(), flight.next()) {
            (None, _) => {}
            (Some(u), None) if u.frame == origin.frame && u.next_seq == SeqNumber(f.next_seq) => {
                if u.seq == SeqNumber(base) {
                    bits |= quiet::FLIGHT_AT_BASE;
                } else if u.seq == SeqNumber(base) + 1 {
                    bits |= quiet::FLIGHT_AFTER_BASE;
                } else {
                    return None;
                }
            }
            _ => return None,
        }
        match live.mru_syn {
            None => {}
            Some(t) if t == origin.ts => bits |= quiet::SYN_FIRST,
            Some(_) => return None,
        }
        match f.sent_synack {
            None => {}
            Some(isn) if isn == SeqNumber(base) => bits |= quiet::SYNACK_AT_BASE,
            Some(_) => return None,
        }
        let next = u16::try_from(f.next_seq.wrapping_sub(base)).ok()?;
        let window = u16::try_from(f.window).ok()?;
        let keeps = f.active
            && live.rtt.is_none()
            && live.zeek_last == origin.ts
            && f.next_seq_frame == origin.frame
            && f.next_seq_time == origin.ts
            && f.max_seq_to_be_acked == f.next_seq
            && f.last_ack == 0
            && f.last_non_dup_ack == 0
            && f.dup_ack_num == 0
            && f.last_flags & (Analysis::KEEP_ALIVE | Analysis::ZERO_WINDOW_PROBE) == 0
            && f.fin_next.is_none()
            && f.max_ack_sent.is_none()
            && live.fins.iter().all(|x| x.fin.is_none());
        keeps.then_some(Quiet {
            base_seq: base,
            next_and_window: u32::from(next) | u32::from(window) << 16,
            bits,
        })
    }

    fn has(self, bit: u32) -> bool {
        self.bits & bit != 0
    }

    fn next_seq(self) -> u32 {
        self.base_seq.wrapping_add(self.next_and_window & 0xffff)
    }

    fn window(self) -> u32 {
        self.next_and_window >> 16
    }

    /// The live state again. The sender's last segment is taken to be the first frame
    /// (as it is, but for repeats of it: the time of a repeat only served the fast
    /// retransmission check, which needs duplicate ACKs this side never got).
    fn thaw(self, origin: Origin) -> Live {
        let mut f = Flow {
            base_seq: Some(self.base_seq),
            win_scale: scale_of(self.bits >> quiet::SCALE),
            window: self.window(),
            next_seq: self.next_seq(),
            next_seq_frame: origin.frame,
            next_seq_time: origin.ts,
            max_seq_to_be_acked: self.next_seq(),
            last_ack_time: origin.ts,
            is_first_ack: self.has(quiet::FIRST_ACK),
            state: state_of(self.bits >> quiet::STATE),
            sent_syn: self.has(quiet::SENT_SYN),
            sent_synack: self
                .has(quiet::SYNACK_AT_BASE)
                .then_some(SeqNumber(self.base_seq)),
            active: true,
            sent_tfo_syn: self.has(quiet::SENT_TFO_SYN),
            zeek: ZeekSeq::thawed(),
            ..Flow::default()
        };
        let first = if self.has(quiet::FLIGHT_AT_BASE) {
            Some(SeqNumber(self.base_seq))
        } else if self.has(quiet::FLIGHT_AFTER_BASE) {
            Some(SeqNumber(self.base_seq) + 1)
        } else {
            None
        };
        if let Some(seq) = first {
            f.unacked.push(Unacked {
                frame: origin.frame,
                seq,
                next_seq: SeqNumber(self.next_seq()),
            });
        }
        let other = Flow {
            win_scale: scale_of(self.bits >> quiet::OTHER_SCALE),
            state: state_of(self.bits >> quiet::OTHER_STATE),
            zeek: ZeekSeq::thawed(),
            ..Flow::default()
        };
        Live {
            sides: if self.has(quiet::SERVER) {
                [other, f]
            } else {
                [f, other]
            },
            mru_syn: self.has(quiet::SYN_FIRST).then_some(origin.ts),
            zeek_last: origin.ts,
            ..Live::default()
        }
    }
}

/// What the per-segment checks of the tracker read of one side (see [`TcpConv::marks`]).
#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    base_seq: Option<u32>,
    fin_next: Option<SeqNumber>,
    max_ack_sent: Option<SeqNumber>,
}

/// The live state of a conversation, thawed from its frozen or quiet form when needed
/// (a late segment); `None` never happens (a thawed store is live).
fn live_of(store: &mut Store, origin: Origin) -> Option<&mut Live> {
    let thawed = match store {
        Store::Live(_) => None,
        Store::Frozen(f) => Some(f.thaw()),
        Store::Quiet(q) => Some(q.thaw(origin)),
    };
    if let Some(live) = thawed {
        *store = Store::Live(Box::new(live));
    }
    match store {
        Store::Live(live) => Some(live),
        _ => None,
    }
}

fn pair(sides: &mut [Flow; 2], from_client: bool) -> (&mut Flow, &mut Flow) {
    let [c, s] = sides;
    if from_client { (c, s) } else { (s, c) }
}

/// `now - then` in nanoseconds, as Wireshark's unsigned arithmetic sees it:
/// a negative difference counts as "very large".
fn elapsed(now: Timestamp, then: Timestamp) -> i128 {
    let d = now.nanos_since(then);
    if d < 0 { i128::MAX } else { d }
}

impl TcpConv {
    /// A conversation that has seen nothing yet, whose Zeek originator is wirelab's
    /// client (see [`TcpConv::with_zeek`] for the others).
    pub fn new() -> Self {
        Self::with_zeek(ZeekTcp::new(false, false))
    }

    /// A live conversation that has seen nothing yet, with Zeek's orientation given.
    pub fn with_zeek(zeek: ZeekTcp) -> Self {
        TcpConv {
            store: Store::Live(Box::default()),
            zeek,
            handshake: 0,
            first_fin_by: None,
            first_rst_by: None,
            control: 0,
            seen: false,
        }
    }

    /// Initial RTT (SYN → first ACK after it), Wireshark's `ts_first_rtt`.
    pub fn first_rtt_ns(&self) -> Option<i128> {
        match &self.store {
            Store::Live(live) => live.rtt,
            Store::Frozen(pair) => pair.rtt,
            Store::Quiet(_) => None,
        }
    }

    /// Zeek's last time of the connection (`origin`: the conversation's first frame).
    pub fn zeek_last(&self, origin: Origin) -> Timestamp {
        match &self.store {
            Store::Live(live) => live.zeek_last,
            Store::Frozen(pair) => pair.zeek_last,
            Store::Quiet(_) => origin.ts,
        }
    }

    /// Held quiet (see [`Quiet`]).
    #[cfg(test)]
    pub fn is_quiet(&self) -> bool {
        matches!(self.store, Store::Quiet(_))
    }

    /// The analysis state is held in full.
    /// Brings the first lines of its live analysis state into the cache, when it has one.
    #[inline]
    pub fn prefetch_live(&self) {
        if let Store::Live(live) = &self.store {
            crate::cache::prefetch_value(&**live);
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self.store, Store::Live(_))
    }

    /// Position in the tracker's list of live conversations (set by [`TcpConv::set_slot`]).
    pub fn slot(&self) -> Option<usize> {
        match &self.store {
            Store::Live(live) => usize::try_from(live.slot).ok(),
            _ => None,
        }
    }

    /// Records the conversation's position in the tracker's list of live conversations.
    pub fn set_slot(&mut self, slot: usize) {
        if let Store::Live(live) = &mut self.store {
            live.slot = u32::try_from(slot).unwrap_or(u32::MAX);
        }
    }

    /// True if a segment came since the last call (which forgets it).
    pub fn take_referenced(&mut self) -> bool {
        match &mut self.store {
            Store::Live(live) => std::mem::take(&mut live.referenced),
            _ => false,
        }
    }

    /// Makes the analysis state live again (a late segment is coming).
    pub fn thaw(&mut self, origin: Origin) {
        let _ = live_of(&mut self.store, origin);
    }

    /// True if a plain SYN from this direction, with sequence number `seq`,
    /// must open a new conversation (Wireshark: "TCP Port numbers reused").
    pub fn syn_reuses_ports(&self, from_client: bool, tcp: &Tcp) -> bool {
        let plain_syn = tcp.flags.0 & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN;
        plain_syn
            && self
                .marks(from_client)
                .base_seq
                .is_some_and(|base| base != tcp.seq)
    }

    /// The marks of one side, read where they live, live, frozen or quiet. The tracker
    /// asks for them on every segment: no copy of both sides' whole state.
    fn marks(&self, client: bool) -> Marks {
        let i = usize::from(!client);
        match &self.store {
            Store::Live(live) => live.sides.get(i).map_or_else(Marks::default, |f| Marks {
                base_seq: f.base_seq,
                fin_next: f.fin_next,
                max_ack_sent: f.max_ack_sent,
            }),
            Store::Frozen(pair) => pair.sides.get(i).map_or_else(Marks::default, |f| Marks {
                base_seq: f.base_seq,
                fin_next: f.fin_next,
                max_ack_sent: f.max_ack_sent,
            }),
            // Only the sender has a base; neither side a FIN or an ACK.
            Store::Quiet(q) => Marks {
                base_seq: (q.has(quiet::SERVER) != client).then_some(q.base_seq),
                ..Marks::default()
            },
        }
    }

    /// Frees the live analysis state of a closed or idle conversation, keeping what a
    /// late segment needs (see [`Frozen`] and [`Quiet`]): the unacknowledged segments, the
    /// times of the last segments, the FINs awaiting their ACK and Zeek's sequence marks
    /// are lost, so a segment after the freeze is analysed as if they were empty.
    pub fn freeze(&mut self, origin: Origin) {
        let frozen = match &self.store {
            Store::Live(live) => Some(match Quiet::of(live, origin) {
                Some(q) => Store::Quiet(q),
                None => Store::Frozen(Box::new(FrozenPair::of(live))),
            }),
            _ => None,
        };
        if let Some(store) = frozen {
            self.store = store;
        }
    }

    /// The connection ended: reset by either side, or both FINs acknowledged.
    pub fn is_closed(&self) -> bool {
        self.first_rst_by.is_some() || self.teardown_complete()
    }

    /// SYN, SYN-ACK and the final ACK were all seen.
    pub fn handshake_complete(&self) -> bool {
        self.handshake == 7
    }

    /// Both sides sent a FIN and each FIN was acknowledged.
    pub fn teardown_complete(&self) -> bool {
        let acked = |me: bool| match (self.marks(me).fin_next, self.marks(!me).max_ack_sent) {
            (Some(fin), Some(ack)) => ack.ge(fin),
            _ => false,
        };
        acked(true) && acked(false)
    }

    /// Takes one segment of this conversation and returns its facts.
    /// `reused`: this SYN opened the conversation on reused ports.
    pub fn observe(
        &mut self,
        frame: u64,
        ts: Timestamp,
        from_client: bool,
        tcp: &Tcp,
        reused: bool,
        origin: Origin,
    ) -> TcpFacts {
        let flags = tcp.flags;
        let syn = flags.has(TcpFlags::SYN);
        let ack_flag = flags.has(TcpFlags::ACK);
        let fin = flags.has(TcpFlags::FIN);
        let rst = flags.has(TcpFlags::RST);
        let direction = if from_client {
            Direction::FromClient
        } else {
            Direction::FromServer
        };
        let fresh = !self.seen && !syn;
        self.seen = true;

        // Both sides, thawed once for the whole segment.
        let Some(live) = live_of(&mut self.store, origin) else {
            return TcpFacts::default();
        };
        live.referenced = true;

        // Initial RTT: from the most recent plain SYN to the first ACK after it.
        if syn && !ack_flag {
            live.mru_syn = Some(ts);
        }
        if ack_flag
            && !syn
            && live.rtt.is_none()
            && let Some(t0) = live.mru_syn
        {
            live.rtt = Some(ts.nanos_since(t0));
        }
        let first_rtt = live.rtt;
        let (fwd, rev) = pair(&mut live.sides, from_client);

        // The window as Wireshark calculates it: never scaled on a SYN.
        let (window, window_scale) = {
            let raw = u32::from(tcp.window);
            match fwd.win_scale {
                WinScale::Shift(s) if !syn => (raw << s, Some(1u32 << s)),
                _ => (raw, None),
            }
        };

        let mut analysis = if reused { Analysis::PORT_REUSED } else { 0 };
        let seg = Segment {
            frame,
            ts,
            seq: tcp.seq,
            ack: tcp.ack,
            len: tcp.payload_len,
            flags,
            // Wireshark's analysis takes the window field as it is, unscaled: a window
            // repeated after the SYN-ACK is a duplicate ACK, not an update.
            window: u32::from(tcp.window),
        };
        // A SYN-ACK with another initial sequence number than its side had: tshark marks
        // the ports reused, keeps the stream, and numbers this side from the new one.
        let synack_renumbers = syn && ack_flag && fwd.base_seq.is_some_and(|base| base != tcp.seq);
        let result = analyze(fwd, rev, first_rtt, &seg, &mut analysis);
        if synack_renumbers {
            analysis |= Analysis::PORT_REUSED;
            fwd.base_seq = Some(tcp.seq);
        }

        if syn && !ack_flag && tcp.payload_len > 0 && has_fast_open(tcp) {
            analysis |= Analysis::TFO_SYN;
            fwd.sent_tfo_syn = true;
        }
        // A SYN-ACK after the peer's SYN was seen: tshark's TCP Fast Open verdicts.
        if syn
            && ack_flag
            && rev.sent_syn
            && let Some(base) = rev.base_seq
        {
            let acked = tcp.ack.wrapping_sub(base);
            if SeqNumber(tcp.ack).gt(SeqNumber(base) + 1) {
                analysis |= Analysis::TFO_ACK;
            } else if acked == 1 && rev.sent_tfo_syn {
                analysis |= Analysis::TFO_IGNORED;
            }
        }

        // Window scale option: only a SYN announces it; then check both sides agree.
        if syn {
            let ws = tcp.options.iter().find_map(|o| match o {
                TcpOption::WindowScale(s) => Some(s.min(14)),
                _ => None,
            });
            if let Some(shift) = ws {
                fwd.win_scale = WinScale::Shift(shift);
            }
            if fwd.win_scale == WinScale::Unknown {
                fwd.win_scale = WinScale::NotUsed;
                rev.win_scale = WinScale::NotUsed;
            } else if ack_flag && rev.win_scale == WinScale::NotUsed {
                fwd.win_scale = WinScale::NotUsed;
            }
        }

        // Relative numbers.
        let base = fwd.base_seq.unwrap_or(tcp.seq);
        let rel_seq = tcp.seq.wrapping_sub(base);
        let rel_ack = if ack_flag {
            tcp.ack.wrapping_sub(rev.base_seq.unwrap_or(0))
        } else {
            0
        };
        let phantom = u32::from(syn) + u32::from(fin);
        let next_seq = rel_seq.wrapping_add(tcp.payload_len).wrapping_add(phantom);

        // Handshake steps.
        let mut handshake_step = None;
        if syn && !ack_flag {
            fwd.sent_syn = true;
            handshake_step = Some(1);
            self.handshake |= 1;
        } else if syn {
            fwd.sent_synack = Some(SeqNumber(tcp.seq));
            handshake_step = Some(2);
            self.handshake |= 2;
        } else if ack_flag
            && fwd.sent_syn
            && self.handshake & 4 == 0
            && let Some(isn) = rev.sent_synack
            && SeqNumber(tcp.ack) == isn + 1
        {
            handshake_step = Some(3);
            self.handshake |= 4;
        }

        // Newly acknowledged payload bytes (the SYN's and FIN's phantom bytes excluded).
        let mut newly_acked = 0;
        if ack_flag {
            let ack = SeqNumber(tcp.ack);
            let prev = fwd.max_ack_sent.or(rev.base_seq.map(|b| SeqNumber(b) + 1));
            if let Some(prev) = prev
                && ack.gt(prev)
            {
                let mut n = ack - prev;
                if let Some(fin_next) = rev.fin_next
                    && fin_next.gt(prev)
                    && fin_next.le(ack)
                {
                    n = n.saturating_sub(1);
                }
                newly_acked = n;
            }
            if prev.is_none_or(|p| ack.gt(p)) {
                fwd.max_ack_sent = Some(ack);
            }
        }

        // First FIN and RST of the conversation.
        let retransmitted =
            analysis & (Analysis::RETRANSMISSION | Analysis::SPURIOUS_RETRANSMISSION) != 0;
        let mut first_fin = false;
        if fin && self.first_fin_by.is_none() && !retransmitted {
            self.first_fin_by = Some(direction);
            first_fin = true;
        }
        if rst && self.first_rst_by.is_none() {
            self.first_rst_by = Some(direction);
        }
        if fin && fwd.fin_next.is_none() {
            fwd.fin_next = Some(SeqNumber(tcp.seq) + tcp.payload_len + 1);
        }

        // RFC 9293 states: the sender's, then the receiver's. Data and ACKs between
        // two established sides change neither: the bulk of a conversation skips
        // the transitions.
        let settled = !(syn || fin || rst)
            && fwd.state == TcpState::Established
            && rev.state == TcpState::Established;
        if !settled {
            let acks_fin = ack_flag && rev.fin_next.is_some_and(|f| SeqNumber(tcp.ack).ge(f));
            let send = if rst {
                Event::SendRst
            } else if syn && ack_flag {
                Event::SendSynAck
            } else if syn {
                Event::SendSyn
            } else if fin {
                Event::SendFin
            } else {
                Event::SendOther
            };
            let recv = if rst {
                Event::RecvRst
            } else if syn && ack_flag {
                Event::RecvSynAck
            } else if syn {
                Event::RecvSyn
            } else if fin {
                Event::RecvFin { acks_fin }
            } else {
                Event::RecvOther { acks_fin }
            };
            // The passive side of a fresh SYN was listening.
            if syn && !ack_flag && rev.state == TcpState::Closed && !rev.active {
                rev.state = TcpState::Listen;
            }
            fwd.state = next_state(fwd.state, send, fresh);
            rev.state = next_state(rev.state, recv, fresh);
        }
        fwd.active = true;
        let state = fwd.state;

        let seg = ZeekSegment {
            flags,
            seq: tcp.seq,
            ack: tcp.ack,
            len: tcp.payload_len,
            window: tcp.window,
        };
        let seqs = if from_client {
            [&mut fwd.zeek, &mut rev.zeek]
        } else {
            [&mut rev.zeek, &mut fwd.zeek]
        };
        if self.zeek.observe(seqs, from_client, &seg) {
            live.zeek_last = ts;
        }

        let Control {
            accurate_ecn,
            refused,
            acks_fin,
            closes,
        } = control(
            &mut self.control,
            &mut live.fins,
            frame,
            direction,
            tcp,
            rel_seq,
            rel_ack,
            analysis
                & (Analysis::RETRANSMISSION
                    | Analysis::FAST_RETRANSMISSION
                    | Analysis::SPURIOUS_RETRANSMISSION)
                != 0,
        );

        TcpFacts {
            rel_seq,
            rel_ack,
            next_seq,
            window: u64::from(window),
            window_scale,
            analysis: Analysis(analysis),
            dup_ack: result.dup_ack,
            retransmits: result.retransmits,
            handshake_step,
            newly_acked,
            acks_frame: result.acks_frame,
            first_fin,
            state,
            accurate_ecn,
            refused,
            acks_fin,
            closes,
        }
    }

    /// A segment whose header does not fit in its IP payload: no analysis, raw
    /// numbers (what tshark shows for a "Short segment").
    pub fn observe_unanalysed(&mut self, from_client: bool, tcp: &Tcp, origin: Origin) -> TcpFacts {
        let state = live_of(&mut self.store, origin)
            .and_then(|live| live.sides.get(usize::from(!from_client)))
            .map(|f| f.state)
            .unwrap_or_default();
        TcpFacts {
            rel_seq: tcp.seq,
            rel_ack: tcp.ack,
            next_seq: tcp.seq,
            window: u64::from(tcp.window),
            state,
            ..TcpFacts::default()
        }
    }
}

/// The control facts of one segment: whether the conversation negotiated Accurate ECN
/// (which decides how Wireshark shows the ECN flags), whether this RST refuses the
/// client's SYN, and which FIN of the peer this segment is the first to acknowledge.
/// All of it is forgotten once the connection closes (a RST, or both FINs
/// acknowledged): a later segment starts afresh.
#[allow(clippy::too_many_arguments)]
fn control(
    bits: &mut u8,
    fins: &mut [FinSeen; 2],
    frame: u64,
    direction: Direction,
    tcp: &Tcp,
    rel_seq: u32,
    rel_ack: u32,
    retransmitted: bool,
) -> Control {
    use control::*;
    let flags = tcp.flags;
    let syn = flags.has(TcpFlags::SYN);
    let ack = flags.has(TcpFlags::ACK);
    let fin = flags.has(TcpFlags::FIN);
    let rst = flags.has(TcpFlags::RST);
    let from_server = direction == Direction::FromServer;
    // Accurate ECN (RFC 9768): the SYN sets AE, CWR and ECE; the SYN-ACK answers with
    // one of the three agreeing patterns.
    let ecn = flags.0 & (TcpFlags::AE | TcpFlags::CWR | TcpFlags::ECE);
    if syn && !ack {
        *bits &= !ACCECN_SYN;
        if ecn == TcpFlags::AE | TcpFlags::CWR | TcpFlags::ECE {
            *bits |= ACCECN_SYN;
        }
    } else if syn && ack && *bits & ACCECN_SYN != 0 {
        *bits &= !ACCECN_SYNACK;
        if ecn & (TcpFlags::AE | TcpFlags::CWR) == TcpFlags::CWR
            || ecn & (TcpFlags::AE | TcpFlags::ECE) == TcpFlags::AE
            || ecn == TcpFlags::AE | TcpFlags::CWR
        {
            *bits |= ACCECN_SYNACK;
        }
    }
    let accurate_ecn = *bits & (ACCECN_SYN | ACCECN_SYNACK) == ACCECN_SYN | ACCECN_SYNACK;
    let mut refused = false;
    let mut closed = false;
    if syn && !ack {
        *bits &= !SYN_BY_CLIENT;
        if !from_server {
            *bits |= SYN_BY_CLIENT;
        }
    } else if syn && ack {
        *bits |= SYNACK_SEEN;
    } else if rst {
        refused = *bits & (SYN_BY_CLIENT | SYNACK_SEEN) == SYN_BY_CLIENT && from_server;
        closed = true;
    }
    let me = usize::from(from_server);
    let peer = 1 - me;
    let mut acks_fin = None;
    if ack
        && !syn
        && !rst
        && let Some(FinSeen {
            fin: Some((fin_frame, fin_seq)),
            acked: acked @ false,
        }) = fins.get_mut(peer)
        && rel_ack == fin_seq.wrapping_add(1)
    {
        *acked = true;
        acks_fin = Some(*fin_frame);
    }
    if fin
        && !rst
        && let Some(side) = fins.get_mut(me)
        && (side.fin.is_none() || !retransmitted)
    {
        side.fin = Some((frame, rel_seq.wrapping_add(tcp.payload_len)));
    }
    let both_acked = fins.iter().all(|s| s.acked);
    if closed || both_acked {
        *bits = 0;
        *fins = [FinSeen::default(); 2];
    }
    Control {
        accurate_ecn,
        refused,
        acks_fin,
        closes: closed || both_acked,
    }
}

/// Wireshark's `tcp_analyze_sequence_number`, check for check: `fwd` sent the
/// segment, `rev` is its peer.
fn analyze(
    fwd: &mut Flow,
    rev: &mut Flow,
    first_rtt: Option<i128>,
    s: &Segment,
    a: &mut u32,
) -> AnalyzeResult {
    let syn = s.flags.has(TcpFlags::SYN);
    let fin = s.flags.has(TcpFlags::FIN);
    let rst = s.flags.has(TcpFlags::RST);
    let ack_flag = s.flags.has(TcpFlags::ACK);
    let syn_fin_rst = syn || fin || rst;
    let (seq, ack, len, window) = (SeqNumber(s.seq), s.ack, s.len, s.window);
    let mut out = AnalyzeResult::default();

    // Base sequence numbers: the SYN's ISN, or one before the first segment seen.
    if fwd.base_seq.is_none() {
        fwd.base_seq = Some(if syn { s.seq } else { s.seq.wrapping_sub(1) });
    }
    // The peer's base: from the first ACK (its ISN is ack - 1).
    if rev.base_seq.is_none() && ack_flag {
        rev.base_seq = Some(ack.wrapping_sub(1));
    }

    let next = SeqNumber(fwd.next_seq);
    'forward: {
        // Zero window probe: one byte at the next sequence number into a closed window.
        if len == 1 && s.seq == fwd.next_seq && rev.window == 0 {
            *a |= Analysis::ZERO_WINDOW_PROBE;
            break 'forward;
        }
        // Zero window: this side closes its receive window.
        if window == 0 && !syn_fin_rst {
            *a |= Analysis::ZERO_WINDOW;
        }
        // Previous segment not captured: a hole before this segment.
        if fwd.next_seq != 0 && seq.gt(next) && !rst {
            *a |= Analysis::LOST_SEGMENT;
        }
        // Keep-alive: 0 or 1 byte one before the next sequence number.
        if (len == 0 || len == 1) && s.seq == fwd.next_seq.wrapping_sub(1) && !syn_fin_rst {
            *a |= Analysis::KEEP_ALIVE;
        }
        // Window update: nothing new but the window.
        if len == 0
            && window != 0
            && window != fwd.window
            && s.seq == fwd.next_seq
            && ack == fwd.last_ack
            && !syn_fin_rst
        {
            *a |= Analysis::WINDOW_UPDATE;
        }
        // Window full: the data reaches the right edge of the peer's window.
        if len > 0 && rev.win_scale != WinScale::Unknown && !syn_fin_rst {
            let shift = match rev.win_scale {
                WinScale::Shift(sh) if !rev.is_first_ack => u32::from(sh),
                _ => 0,
            };
            let edge = rev
                .last_ack
                .wrapping_add(rev.window.checked_shl(shift).unwrap_or(0));
            if s.seq.wrapping_add(len) == edge {
                *a |= Analysis::WINDOW_FULL;
            }
        }
        let repeats = len == 0
            && window == fwd.window
            && s.seq == fwd.next_seq
            && ack == fwd.last_ack
            && !syn_fin_rst;
        // Keep-alive ACK: repeats the last ACK after a keep-alive from the peer.
        if repeats && window != 0 && rev.last_flags & Analysis::KEEP_ALIVE != 0 {
            *a |= Analysis::KEEP_ALIVE_ACK;
            break 'forward;
        }
        // Zero window probe ACK: repeats the zero window after a probe.
        if repeats && window == 0 && rev.last_flags & Analysis::ZERO_WINDOW_PROBE != 0 {
            *a |= Analysis::ZERO_WINDOW_PROBE_ACK;
            break 'forward;
        }
        // Duplicate ACK: same seq, ack and window, no data.
        if repeats && window != 0 {
            // After an ACKed unseen segment (-1, see below) the count starts again at 1.
            fwd.dup_ack_num = if fwd.dup_ack_num == -1 {
                1
            } else {
                fwd.dup_ack_num.saturating_add(1)
            };
            *a |= Analysis::DUP_ACK;
            out.dup_ack = Some((
                fwd.last_non_dup_ack,
                u32::try_from(fwd.dup_ack_num).unwrap_or(0),
            ));
        }
    }
    // A new acknowledgement number resets the duplicate-ACK count.
    if ack != fwd.last_ack {
        fwd.last_non_dup_ack = s.frame;
        fwd.dup_ack_num = 0;
    }

    // ACKed unseen segment: the ACK covers data never seen from the peer.
    if rev.max_seq_to_be_acked != 0
        && SeqNumber(ack).gt(SeqNumber(rev.max_seq_to_be_acked))
        && ack_flag
    {
        if rev.max_seq_to_be_acked < rev.next_seq {
            // The peer sent beyond a hole (tshark 4.0 compares the two as plain numbers):
            // report, and raise the bar to what the peer sent, so that this hole is
            // reported once.
            rev.max_seq_to_be_acked = rev.next_seq;
            *a |= Analysis::ACK_LOST_SEGMENT;
        } else {
            // No hole: the peer's data was acknowledged beyond what it sent. Report it
            // unless the peer's duplicate-ACK count says it was already (-1, set here,
            // until the peer acknowledges something new; its next duplicate ACK then
            // counts as the first), or the peer has just sent duplicate ACKs.
            if rev.dup_ack_num == 0 {
                *a |= Analysis::ACK_LOST_SEGMENT;
            }
            rev.dup_ack_num = -1;
        }
    }

    // Retransmission, fast retransmission, spurious retransmission, out-of-order.
    if len > 0 || syn || fin {
        let mut not_advanced = fwd.next_seq != 0 && seq.lt(next);
        'kind: {
            if *a & Analysis::KEEP_ALIVE != 0 {
                break 'kind;
            }
            // More than one byte just after a possible zero window probe is new data.
            if len > 1 && fwd.next_seq.wrapping_sub(1) == s.seq {
                not_advanced = false;
            }
            // Spurious: every byte was already acknowledged by the peer.
            if len > 0 && rev.last_ack != 0 && (seq + len).le(SeqNumber(rev.last_ack)) {
                *a |= Analysis::SPURIOUS_RETRANSMISSION | Analysis::RETRANSMISSION;
                break 'kind;
            }
            // Fast: after two or more duplicate ACKs for this very byte, within 20 ms.
            // Wireshark's count is unsigned: the -1 an ACKed unseen segment leaves counts
            // as very many.
            if not_advanced
                && (rev.dup_ack_num >= 2 || rev.dup_ack_num < 0)
                && rev.last_ack == s.seq
                && elapsed(s.ts, rev.last_ack_time) < FAST_RETRANSMISSION_NS
            {
                *a |= Analysis::FAST_RETRANSMISSION | Analysis::RETRANSMISSION;
                break 'kind;
            }
            // Out-of-order: soon after the highest segment, and not a copy of it.
            let threshold = match first_rtt {
                Some(rtt) if rtt != 0 => rtt,
                _ => DEFAULT_OOO_NS,
            };
            let this_next = s.seq.wrapping_add(len).wrapping_add(u32::from(syn || fin));
            if not_advanced
                && elapsed(s.ts, fwd.next_seq_time) < threshold
                && fwd.next_seq != this_next
            {
                *a |= Analysis::OUT_OF_ORDER;
                break 'kind;
            }
            if not_advanced {
                *a |= Analysis::RETRANSMISSION;
                out.retransmits = Some(fwd.unacked.oldest_frame().unwrap_or(fwd.next_seq_frame));
            }
        }
    }

    // Remember this segment and the highest sequence number seen.
    let mut next_seq = seq + len;
    if syn || fin {
        next_seq = next_seq + 1;
    }
    if len > 0 || syn || fin {
        fwd.unacked.push(Unacked {
            frame: s.frame,
            seq,
            next_seq,
        });
    }
    let probe = *a & Analysis::ZERO_WINDOW_PROBE != 0;
    if (next_seq.gt(next) || fwd.next_seq == 0) && !probe {
        fwd.next_seq = next_seq.raw();
        fwd.next_seq_frame = s.frame;
        fwd.next_seq_time = s.ts;
    }
    if (s.seq == fwd.max_seq_to_be_acked || fwd.max_seq_to_be_acked == 0) && !probe {
        fwd.max_seq_to_be_acked = fwd.next_seq;
    }
    fwd.window = window;
    fwd.last_ack = ack;
    fwd.last_ack_time = s.ts;
    fwd.last_flags = *a;
    if ack_flag && !syn {
        fwd.is_first_ack = false;
    }

    // Drop the peer's segments this ACK covers; note the one it completes.
    out.acks_frame = rev.unacked.ack(SeqNumber(ack));
    out
}

/// The segments one side sent that the peer has not acknowledged yet, newest
/// first, at most [`MAX_UNACKED`].
///
/// An ACK drops every segment it covers, trims the one it falls into and names
/// the one it completes. In the usual flight each segment starts where the one
/// before it ended, and the whole flight spans less than 2^31: then the
/// segments an ACK inside the flight touches are the oldest ones, and
/// [`Flight::ack`] works from that end, in time proportional to what it
/// acknowledges, with exactly the result of the general scan of every segment.
#[derive(Debug, Clone, Default)]
struct Flight {
    /// The first few in place: most flights are short.
    segments: SmallDeque<Unacked, INLINE_UNACKED>,
    /// Some segment did not start where the one before it ended (a
    /// retransmission, a hole): the general scan is needed until the flight empties.
    scattered: bool,
}

impl Flight {
    /// Remembers a segment just sent (forgetting the oldest beyond [`MAX_UNACKED`]).
    fn push(&mut self, u: Unacked) {
        if self.segments.len() >= MAX_UNACKED {
            self.segments.pop_back();
        }
        // Distances below 2^31 compare as plain numbers (see `SeqNumber::distance`).
        let forward = |from: SeqNumber, to: SeqNumber| (1..1 << 31).contains(&(to - from));
        let follows = match (self.segments.front(), self.segments.back()) {
            (Some(newest), Some(oldest)) => {
                u.seq == newest.next_seq && forward(oldest.seq, u.next_seq)
            }
            _ => true,
        };
        self.scattered |= !(follows && forward(u.seq, u.next_seq));
        self.segments.push_front(u);
    }

    /// Applies an acknowledgement number; returns the frame whose segment it completes.
    fn ack(&mut self, ack: SeqNumber) -> Option<u64> {
        // Nothing in flight (the peer sent no data since its last ACK): nothing to do.
        let (Some(newest), Some(oldest)) = (self.segments.front(), self.segments.back()) else {
            return None;
        };
        let within = ack - oldest.seq <= newest.next_seq - oldest.seq;
        let acked = if within && !self.scattered {
            self.ack_in_order(ack)
        } else {
            self.ack_any(ack)
        };
        if self.segments.is_empty() {
            self.scattered = false;
            // Give back a grown buffer (a finished conversation must not keep the
            // memory of its largest flight).
            self.segments.release(8);
        }
        acked
    }

    /// [`Flight::ack`] on a contiguous flight, for an ACK that lies within it:
    /// drops the oldest segments it covers, trims the next one.
    fn ack_in_order(&mut self, ack: SeqNumber) -> Option<u64> {
        let base = self.segments.back()?.seq;
        let at = ack - base;
        while let Some(oldest) = self.segments.back_mut() {
            if oldest.next_seq == ack {
                let frame = oldest.frame;
                self.segments.pop_back();
                return Some(frame);
            }
            if oldest.next_seq - base < at {
                self.segments.pop_back();
                continue;
            }
            if oldest.seq - base < at {
                oldest.seq = ack;
            }
            break;
        }
        None
    }

    /// [`Flight::ack`] on any flight: every segment looked at.
    fn ack_any(&mut self, ack: SeqNumber) -> Option<u64> {
        let mut acked = None;
        self.segments.retain_mut(|u| {
            if ack == u.next_seq {
                acked = Some(u.frame);
                false
            } else if ack.gt(u.seq) && ack.le(u.next_seq) {
                u.seq = ack;
                true
            } else {
                // Kept while not yet acknowledged; older segments are dropped.
                u.next_seq.gt(ack)
            }
        });
        acked
    }

    /// The frame of the oldest segment remembered.
    fn oldest_frame(&self) -> Option<u64> {
        self.segments.back().map(|u| u.frame)
    }
}

impl Default for TcpConv {
    fn default() -> Self {
        Self::new()
    }
}

/// The fields of one segment the analysis needs.
struct Segment {
    frame: u64,
    ts: Timestamp,
    seq: u32,
    ack: u32,
    len: u32,
    flags: TcpFlags,
    window: u32,
}

#[derive(Default)]
struct AnalyzeResult {
    dup_ack: Option<(u64, u32)>,
    retransmits: Option<u64>,
    acks_frame: Option<u64>,
}

fn has_fast_open(tcp: &Tcp) -> bool {
    tcp.options
        .iter()
        .any(|o| matches!(o, TcpOption::FastOpen(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments of a flight, oldest first, as (frame, seq, next_seq).
    fn contents(f: &Flight) -> Vec<(u64, u32, u32)> {
        f.segments
            .iter()
            .rev()
            .map(|u| (u.frame, u.seq.0, u.next_seq.0))
            .collect()
    }

    #[test]
    fn test_flight_in_order_ack_matches_scan() {
        // Flights near the wrap, ACKs inside, behind and beyond them.
        let mut next = crate::track::xorshift(0x9e37_79b9_7f4a_7c15u64);
        for round in 0..2000u64 {
            let start = (next() as u32).wrapping_sub(1 << 20);
            let mut flight = Flight::default();
            let mut seq = start;
            for frame in 0..(next() % 12) {
                let len = 1 + (next() % 1500) as u32;
                flight.push(Unacked {
                    frame,
                    seq: SeqNumber(seq),
                    next_seq: SeqNumber(seq.wrapping_add(len)),
                });
                seq = seq.wrapping_add(len);
            }
            assert!(!flight.scattered, "round {round}: an in-order flight");
            for _ in 0..4 {
                let span = seq.wrapping_sub(start).max(1);
                let ack = match next() % 4 {
                    0 => start.wrapping_add((next() % u64::from(span)) as u32),
                    1 => seq,
                    2 => start.wrapping_sub((next() % 3000) as u32),
                    _ => next() as u32,
                };
                let mut scan = flight.clone();
                let expected = scan.ack_any(SeqNumber(ack));
                let got = flight.ack(SeqNumber(ack));
                assert_eq!(got, expected, "round {round}, ack {ack}");
                assert_eq!(
                    contents(&flight),
                    contents(&scan),
                    "round {round}, ack {ack}"
                );
            }
        }
    }

    #[test]
    fn test_conversation_state_size_bounded() {
        // Zeek's state per conversation stays small (the 2M-frame benchmark holds ~80,000
        // conversations): the conversation itself, and the live per-side state boxed apart.
        assert!(
            std::mem::size_of::<TcpConv>() <= 304,
            "{}",
            std::mem::size_of::<TcpConv>()
        );
        assert!(
            std::mem::size_of::<ZeekTcp>() <= 112,
            "{}",
            std::mem::size_of::<ZeekTcp>()
        );
    }

    #[test]
    fn test_flight_retransmission_scattered_until_empty() {
        let mut f = Flight::default();
        let seg = |frame, seq: u32, len: u32| Unacked {
            frame,
            seq: SeqNumber(seq),
            next_seq: SeqNumber(seq.wrapping_add(len)),
        };
        f.push(seg(1, 100, 10));
        f.push(seg(2, 110, 10));
        assert!(!f.scattered);
        // A retransmission of the first segment.
        f.push(seg(3, 100, 10));
        assert!(f.scattered);
        // Both copies are complete: the oldest is named (as the scan always did).
        assert_eq!(f.ack(SeqNumber(110)), Some(1));
        assert_eq!(f.ack(SeqNumber(120)), Some(2));
        assert!(f.segments.is_empty() && !f.scattered);
    }
}
