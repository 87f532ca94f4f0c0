//! Zeek's judgement of a connection: the `history` letters, the endpoint states
//! behind `conn_state`, Zeek's orientation (originator and responder) and its byte
//! counts, following Zeek's TCP, UDP and ICMP analyzers and `base/protocols/conn`.
//! Facts only: no words, no I/O, no allocation per frame.
//!
//! What is modelled (all of it from Zeek's documented rules and its source):
//! - TCP endpoint states (`TCP_ENDPOINT_*`) and their transitions, per endpoint;
//! - history letters: `S H A D F R` (the first of each per direction; S, H, F and R
//!   again for each new sequence number), `I` (FIN+RST), `Q` (SYN with FIN or RST),
//!   `T` retransmitted payload, `W` zero window and `G` content gap, the last three
//!   written at the 1st, 10th, 100th, ... occurrence; `^` when Zeek flips the roles;
//!   upper case from the originator, lower case from the responder;
//! - the flip: a connection first seen without a plain SYN whose source port is a
//!   likely server port (and whose destination port is not), a UDP flow from a likely
//!   server port to another port, and the SYN/SYN-ACK reversal;
//! - UDP: `D` for every datagram (empty ones too), both sides' activity;
//! - sizes: TCP's from sequence numbers (Zeek's `TCP_Endpoint::Size`), UDP's and
//!   ICMP's from the declared payload lengths; `missed_bytes` from content gaps;
//! - bad checksums: `C`/`c` (TCP and UDP, 1st, 10th, 100th, ... per side), and the packet
//!   is otherwise not analysed nor counted, as Zeek's analyzers drop it (ICMP: dropped,
//!   no letter). What is bad is the decoder's [`ChecksumStatus::Bad`]: an offloaded
//!   (partial) checksum is not.

use crate::decode::TcpFlags;
use crate::source::Timestamp;

/// Letters of a history kept (Zeek's is unbounded; beyond this, letters are dropped).
pub const MAX_HISTORY: usize = 30;

/// Zeek's `likely_server_ports` for TCP, as its base protocol scripts add them.
const LIKELY_TCP: &[u16] = &[
    21, 22, 25, 53, 80, 81, 88, 102, 135, 139, 143, 389, 443, 445, 502, 563, 585, 587, 614, 631,
    636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269,
    5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
];
/// Zeek's `likely_server_ports` for UDP (note: DHCP adds 67 only, not the client's 68).
const LIKELY_UDP: &[u16] = &[
    53, 67, 69, 88, 123, 137, 161, 162, 443, 514, 1812, 2123, 2152, 3544, 4789, 5060, 5072, 5353,
    5355, 6081, 20000,
];

/// True if Zeek's `likely_server_ports` holds `port` for TCP (`tcp`) or UDP.
pub fn likely_server_port(port: u16, tcp: bool) -> bool {
    let table = if tcp { LIKELY_TCP } else { LIKELY_UDP };
    table.binary_search(&port).is_ok()
}

/// Zeek's choice at a connection's first packet (`WantConnection`): true when the
/// packet's destination, not its source, is the originator. `tcp_opening`: the
/// packet is a plain SYN (TCP only); `broadcast`: the destination is 255.255.255.255.
pub fn flips_first_packet(
    tcp: bool,
    tcp_flags: TcpFlags,
    src_port: u16,
    dst_port: u16,
    broadcast: bool,
) -> bool {
    if broadcast || !likely_server_port(src_port, tcp) {
        return false;
    }
    let dst_likely = likely_server_port(dst_port, tcp);
    if !tcp {
        return !dst_likely;
    }
    let syn = tcp_flags.has(TcpFlags::SYN);
    let ack = tcp_flags.has(TcpFlags::ACK);
    if syn && !ack {
        // An opening SYN: its sender is the originator.
        return false;
    }
    if dst_likely {
        // Both plausible: flip only a non-SYN towards the higher port.
        !syn && src_port < dst_port
    } else {
        true
    }
}

/// Zeek's ICMP "ports": the type, and the counterpart type (echo request and reply
/// pair up) or, for a one-way message, the code. Returns (counterpart, one_way).
pub fn icmp_counterpart(icmp_type: u8, code: u8, v6: bool) -> (u8, bool) {
    let pair = if v6 {
        match icmp_type {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            131 => Some(130),
            139 => Some(140),
            140 => Some(139),
            _ => None,
        }
    } else {
        match icmp_type {
            8 => Some(0),
            0 => Some(8),
            10 => Some(9),
            9 => Some(10),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    };
    match pair {
        Some(t) => (t, false),
        None => (code, true),
    }
}

/// Zeek's view of one TCP endpoint (`TCP_ENDPOINT_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ZeekEndpoint {
    /// Nothing sent yet.
    #[default]
    Inactive,
    /// Sent a SYN, no SYN-ACK seen yet.
    SynSent,
    /// Sent a SYN-ACK without having seen the peer's SYN.
    SynAckSent,
    /// Sent traffic without a SYN (picked up mid-stream).
    Partial,
    /// The handshake completed.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

/// Bits of [`History::seen`]: letters recorded once per direction (Zeek's `CheckHistory`).
mod bit {
    pub const SYN: u16 = 1 << 0;
    pub const FIN: u16 = 1 << 1;
    pub const RST: u16 = 1 << 2;
    pub const ACK: u16 = 1 << 3;
    pub const DATA: u16 = 1 << 4;
    pub const FIN_RST: u16 = 1 << 5;
    pub const MULTI: u16 = 1 << 6;
    /// The responder's bits are these shifted by 8.
    pub const RESP_SHIFT: u16 = 8;
}

/// Zeek's history string, stored inline (at most [`MAX_HISTORY`] letters): upper
/// case for the originator, lower case for the responder, in the order seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    letters: [u8; MAX_HISTORY],
    len: u8,
    /// Once-per-direction letters already recorded (see [`bit`]).
    seen: u16,
}

impl History {
    /// Appends one letter (upper-case form) for the originator or the responder.
    fn push(&mut self, upper: u8, from_orig: bool) {
        let letter = if from_orig {
            upper
        } else {
            upper.to_ascii_lowercase()
        };
        self.push_raw(letter);
    }

    fn push_raw(&mut self, letter: u8) {
        if let Some(slot) = self.letters.get_mut(usize::from(self.len)) {
            *slot = letter;
            self.len += 1;
        }
    }

    /// Zeek's `CheckHistory`: records `upper` the first time `mask` is seen from this
    /// direction; returns true if it had been seen before.
    fn check(&mut self, mask: u16, upper: u8, from_orig: bool) -> bool {
        let mask = if from_orig {
            mask
        } else {
            mask << bit::RESP_SHIFT
        };
        if self.seen & mask != 0 {
            return true;
        }
        self.seen |= mask;
        self.push(upper, from_orig);
        false
    }

    /// Zeek's `FlipRoles`: a `^`, and the once-only letters change sides with the roles.
    fn flip(&mut self) {
        self.push_raw(b'^');
        let low = self.seen & 0xff;
        let high = self.seen >> bit::RESP_SHIFT;
        self.seen = low << bit::RESP_SHIFT | high;
    }

    /// An empty history, or one opened by Zeek's flip at the first packet (`^`).
    fn opened(caret: bool) -> Self {
        let mut h = History::default();
        if caret {
            h.push_raw(b'^');
        }
        h
    }

    /// A UDP datagram: `D` once per direction (empty datagrams too, as Zeek does).
    pub fn add_udp(&mut self, from_orig: bool) {
        self.check(bit::DATA, b'D', from_orig);
    }

    /// The history string.
    pub fn as_str(&self) -> &str {
        let letters = self.letters.get(..usize::from(self.len)).unwrap_or(&[]);
        // Only ASCII letters and `^` are ever stored.
        std::str::from_utf8(letters).unwrap_or("")
    }
}

/// Zeek's logarithmic letters (`ScaledHistoryEntry`): true at the 1st, 10th, 100th, ...
/// occurrence counted in `count`.
fn scaled(count: &mut u32) -> bool {
    *count = count.saturating_add(1);
    let mut n = *count;
    while n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

/// `a - b` in sequence space (Zeek's `seq_delta`).
fn seq_delta(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// Sequence jumps beyond this are not believed on a SYN or RST (Zeek's `TOO_LARGE_SEQ_DELTA`).
const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;

/// What a TCP endpoint keeps for the whole conversation (the summary needs it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeekEnd {
    pub state: ZeekEndpoint,
    prev_state: ZeekEndpoint,
    start_seq: u32,
    last_seq: u32,
    ack_seq: u32,
    /// A FIN was seen from this endpoint.
    fin_seen: bool,
    /// Zeek's `did_close`.
    did_close: bool,
    /// A first packet was seen from this side (Zeek's `first_packet_seen`).
    seen: bool,
}

impl ZeekEnd {
    fn set_state(&mut self, s: ZeekEndpoint) {
        if s != self.state {
            self.prev_state = self.state;
            self.state = s;
        }
    }

    fn init_seq(&mut self, start: u32, last: u32) {
        self.start_seq = start;
        self.ack_seq = start;
        self.last_seq = last;
    }

    /// Zeek's `TCP_Endpoint::Size`: payload bytes from the sequence numbers seen or acknowledged.
    pub fn size(&self) -> u64 {
        let last = if seq_delta(self.last_seq, self.ack_seq) > 0 {
            self.last_seq
        } else {
            self.ack_seq
        };
        // The SYN's number, and the FIN's, are no payload.
        let size = u64::from(last.wrapping_sub(self.start_seq)).saturating_sub(1);
        if self.fin_seen {
            size.saturating_sub(1)
        } else {
            size
        }
    }

    fn is_clean(&self) -> bool {
        self.state == ZeekEndpoint::Established
            || (self.state == ZeekEndpoint::Closed && self.prev_state == ZeekEndpoint::Established)
    }
}

/// What a TCP endpoint keeps while its conversation is live (dropped at a freeze):
/// the last sequence numbers of SYN, FIN and RST, the logarithmic counters, and the
/// reassembly front for content gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeekSeq {
    last_syn: u32,
    last_fin: u32,
    last_rst: u32,
    /// Relative sequence number just after this side's FIN (0: no FIN).
    fin_rel: u32,
    rexmit: u32,
    zero_window: u32,
    gaps: u32,
    /// Relative sequence number up to which this side's data was seen in order
    /// (`None`: unknown, after a freeze: no gap is judged).
    reassem: Option<u32>,
    /// Highest acknowledgement applied to this side's data.
    trim: u32,
    /// Data seen beyond a hole: up to two ranges (relative `[lo, hi)`), merged when
    /// more come (which can only make a gap look smaller).
    above: [(u32, u32); 2],
    n_above: u8,
}

impl Default for ZeekSeq {
    fn default() -> Self {
        ZeekSeq {
            last_syn: 0,
            last_fin: 0,
            last_rst: 0,
            fin_rel: 0,
            rexmit: 0,
            zero_window: 0,
            gaps: 0,
            reassem: Some(1),
            trim: 1,
            above: [(0, 0); 2],
            n_above: 0,
        }
    }
}

impl ZeekSeq {
    /// State after a freeze: sequence marks forgotten, no gap judged any more.
    pub fn thawed() -> Self {
        ZeekSeq {
            reassem: None,
            ..ZeekSeq::default()
        }
    }

    /// Zeek's `DataSent` into the reassembler: `seq..seq+len` (relative), with the
    /// part already acknowledged by the peer (`acked`) cut off.
    fn data_sent(&mut self, seq: u32, len: u32, acked: u32) {
        let Some(front) = self.reassem else { return };
        let (mut lo, hi) = (seq, seq.wrapping_add(len));
        if seq_delta(lo, acked) < 0 {
            if seq_delta(hi, acked) <= 0 {
                return;
            }
            lo = acked;
        }
        if seq_delta(hi, front) <= 0 {
            return;
        }
        if seq_delta(lo, front) <= 0 {
            self.advance(hi);
        } else {
            self.remember(lo, hi);
        }
    }

    /// The in-order front reaches `hi`; ranges seen beyond that now touch it join it.
    fn advance(&mut self, hi: u32) {
        let mut front = hi;
        loop {
            let n = usize::from(self.n_above);
            let Some(i) = self
                .above
                .iter()
                .take(n)
                .position(|&(lo, _)| seq_delta(lo, front) <= 0)
            else {
                break;
            };
            let (_, h) = self.above.get(i).copied().unwrap_or((front, front));
            if seq_delta(h, front) > 0 {
                front = h;
            }
            self.remove(i);
        }
        self.reassem = Some(front);
    }

    fn remove(&mut self, i: usize) {
        let n = usize::from(self.n_above);
        if i < n {
            for j in i..n.saturating_sub(1) {
                if let Some(&next) = self.above.get(j + 1)
                    && let Some(slot) = self.above.get_mut(j)
                {
                    *slot = next;
                }
            }
            self.n_above -= 1;
        }
    }

    fn remember(&mut self, lo: u32, hi: u32) {
        let n = usize::from(self.n_above);
        // Overlapping or touching a range already held: merge.
        for r in self.above.iter_mut().take(n) {
            if seq_delta(lo, r.1) <= 0 && seq_delta(hi, r.0) >= 0 {
                if seq_delta(lo, r.0) < 0 {
                    r.0 = lo;
                }
                if seq_delta(hi, r.1) > 0 {
                    r.1 = hi;
                }
                return;
            }
        }
        if let Some(slot) = self.above.get_mut(n) {
            *slot = (lo, hi);
            self.n_above += 1;
        } else if let Some(last) = self.above.last_mut() {
            // Full: widen the last range (the bytes between count as seen).
            if seq_delta(lo, last.0) < 0 {
                last.0 = lo;
            }
            if seq_delta(hi, last.1) > 0 {
                last.1 = hi;
            }
        }
    }

    /// Zeek's `AckReceived` then `Undelivered`: the peer acknowledged up to `ack`
    /// (relative); returns the lengths of the holes it reveals, in order (at most three).
    fn ack_received(&mut self, ack: u32, partial: bool) -> [u32; 3] {
        let mut holes = [0u32; 3];
        let Some(mut front) = self.reassem else {
            return holes;
        };
        let mut ack = ack;
        if self.fin_rel != 0 && seq_delta(ack, self.fin_rel) >= 0 {
            ack = self.fin_rel.wrapping_sub(1);
        }
        if seq_delta(ack, self.trim) <= 0 {
            return holes;
        }
        if seq_delta(ack, front) > 0 {
            if ack.wrapping_sub(1) <= 1 && partial {
                // A partial connection's first ACK: its faked initial numbers, no gap.
                return holes;
            }
            let mut k = 0;
            // Ranges seen beyond the hole, in order, each preceded by a gap.
            loop {
                let n = usize::from(self.n_above);
                let next = self
                    .above
                    .iter()
                    .take(n)
                    .enumerate()
                    .filter(|(_, r)| seq_delta(r.0, ack) < 0)
                    .min_by_key(|(_, r)| r.0.wrapping_sub(front))
                    .map(|(i, &r)| (i, r));
                let Some((i, (lo, hi))) = next else { break };
                if seq_delta(lo, front) > 0 {
                    if let Some(h) = holes.get_mut(k) {
                        *h = lo.wrapping_sub(front);
                    }
                    k += 1;
                }
                if seq_delta(hi, front) > 0 {
                    front = hi;
                }
                self.remove(i);
            }
            if seq_delta(ack, front) > 0 {
                if let Some(h) = holes.get_mut(k.min(2)) {
                    *h = h.saturating_add(ack.wrapping_sub(front));
                }
                front = ack;
            }
            self.reassem = Some(front);
        }
        self.trim = ack;
        holes
    }
}

/// The packets of a connection that Zeek's analyzers dropped for a bad checksum, kept
/// apart from the connection (by the tracker, for the few connections that have any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corrupt {
    /// Packets dropped, by wirelab side (client first): also the counts behind the
    /// scaled `C` letters (Zeek's per-endpoint `chk_cnt`).
    pub pkts: [u32; 2],
    /// Their IP bytes (the IP headers' lengths), by wirelab side.
    pub ip_bytes: [u64; 2],
    /// UDP and ICMP: the time of the last packet analysed (Zeek's last time of the
    /// connection; a dropped packet does not move it). TCP keeps its own.
    pub last_analysed: Timestamp,
}

impl Corrupt {
    /// Counts one dropped packet from wirelab's client (`from_client`) or server, of
    /// `ip_len` IP bytes; true when its letter is written (1st, 10th, 100th, ...).
    pub fn count(&mut self, from_client: bool, ip_len: u32) -> bool {
        let i = usize::from(!from_client);
        if let Some(b) = self.ip_bytes.get_mut(i) {
            *b += u64::from(ip_len);
        }
        self.pkts.get_mut(i).is_some_and(scaled)
    }

    /// A packet at `ts` whose checksum is not bad (UDP, ICMP): it moves Zeek's last time.
    pub fn analysed_at(&mut self, ts: Timestamp) {
        if ts > self.last_analysed {
            self.last_analysed = ts;
        }
    }
}

/// One TCP segment as Zeek's analyzer reads it.
#[derive(Debug, Clone, Copy)]
pub struct ZeekSegment {
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    pub window: u16,
}

/// Zeek's state of one TCP connection: both endpoints (indexed by wirelab's side:
/// 0 the client, 1 the server), which of them Zeek takes as the originator, the
/// history and the bytes missed in content gaps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeekTcp {
    pub ends: [ZeekEnd; 2],
    /// Zeek's originator is wirelab's server (the roles were flipped).
    pub orig_is_server: bool,
    /// Zeek's `is_partial` (the connection did not start with a proper SYN).
    partial: bool,
    /// The next segment had a bad checksum: [`ZeekTcp::observe`] drops it.
    drop_next: bool,
    pub history: History,
    pub missed_bytes: u64,
}

impl ZeekTcp {
    /// A connection whose originator is wirelab's server when `orig_is_server`;
    /// `caret`: Zeek flipped the roles at the first packet (a `^` opens the history).
    pub fn new(orig_is_server: bool, caret: bool) -> Self {
        ZeekTcp {
            orig_is_server,
            history: History::opened(caret),
            ..ZeekTcp::default()
        }
    }

    fn flip(&mut self) {
        self.orig_is_server = !self.orig_is_server;
        self.history.flip();
        self.partial = false;
    }

    /// The endpoints as (originator, responder).
    pub fn orig_resp(&self) -> (ZeekEnd, ZeekEnd) {
        let [c, s] = self.ends;
        if self.orig_is_server { (s, c) } else { (c, s) }
    }

    /// The next segment, from wirelab's client (`from_client`) or server, of `ip_len`
    /// IP bytes, has a bad checksum: Zeek's TCP analyzer writes `C` (`c` from the
    /// responder) at the 1st, 10th, 100th, ... such segment of that endpoint, and drops
    /// the segment: [`ZeekTcp::observe`] then changes nothing else, and its packets and
    /// IP bytes are not counted (Zeek's `ValidateChecksum` returns before them).
    /// `corrupt`: the connection's dropped packets (counted here).
    pub fn checksum_error(&mut self, corrupt: &mut Corrupt, from_client: bool, ip_len: u32) {
        let is_orig = from_client != self.orig_is_server;
        if corrupt.count(from_client, ip_len) {
            self.history.push(b'C', is_orig);
        }
        self.drop_next = true;
    }

    /// Takes one segment from wirelab's client (`from_client`) or server. `seqs`:
    /// the live per-side state of both sides (client first). Returns whether the
    /// connection's last time moves (Zeek keeps it once both sides closed).
    pub fn observe(&mut self, seqs: [&mut ZeekSeq; 2], from_client: bool, s: &ZeekSegment) -> bool {
        if std::mem::take(&mut self.drop_next) {
            // A bad checksum (see `checksum_error`): nothing else is judged.
            return false;
        }
        let [cs, ss] = seqs;
        let (me_i, peer_i, me_seq, peer_seq) = if from_client {
            (0, 1, cs, ss)
        } else {
            (1, 0, ss, cs)
        };
        let flags = s.flags;
        let syn = flags.has(TcpFlags::SYN);
        let fin = flags.has(TcpFlags::FIN);
        let rst = flags.has(TcpFlags::RST);
        let ack = flags.has(TcpFlags::ACK);
        let is_orig = from_client != self.orig_is_server;

        // Zeek's SetPartialStatus, at each side's first packet.
        let first_from_me = !self.end(me_i).seen;
        if first_from_me {
            if is_orig {
                self.partial = !syn || ack;
            } else if !self.partial {
                self.partial = !syn;
            }
        }

        let mut seg_len = s.len + u32::from(syn) + u32::from(fin);
        if rst {
            seg_len = seg_len.wrapping_sub(s.len);
        }
        let one_past = s.seq.wrapping_add(seg_len);
        self.init_endpoint(me_i, flags, s.seq, one_past);
        let me = self.end(me_i);
        let rel_seq = s.seq.wrapping_sub(me.start_seq);
        let underflow = seq_delta(s.seq, me.start_seq) < 0;

        self.update_history(me_seq, is_orig, flags, rel_seq, s.len);

        // Zero window (scaling cannot make a zero window anything else).
        let peer_state = self.end(peer_i).state;
        if s.window == 0
            && !rst
            && peer_state != ZeekEndpoint::Closed
            && self.end(me_i).state != ZeekEndpoint::Reset
            && scaled(&mut me_seq.zero_window)
        {
            self.history.push(b'W', is_orig);
        }

        let moves_time = !(self.ends[0].did_close && self.ends[1].did_close);

        if fin {
            me_seq.fin_rel = rel_seq.wrapping_add(seg_len);
            if let Some(e) = self.ends.get_mut(me_i) {
                e.fin_seen = true;
            }
        }

        // The acknowledgement: initialises a silent peer, or moves its ack_seq.
        let mut rel_ack = 0u32;
        if ack {
            let peer = self.end(peer_i);
            if peer.state == ZeekEndpoint::Inactive {
                rel_ack = 1;
                let base = s.ack.wrapping_sub(1);
                if let Some(p) = self.ends.get_mut(peer_i) {
                    p.init_seq(base, base);
                }
            } else if seq_delta(s.ack, peer.start_seq) < 0 {
                rel_ack = 0;
            } else {
                rel_ack = s.ack.wrapping_sub(peer.start_seq);
                let delta = seq_delta(s.ack, peer.ack_seq);
                let broken = s.ack == 0 && delta > TOO_LARGE_SEQ_DELTA;
                if !rst
                    && !broken
                    && delta > 0
                    && let Some(p) = self.ends.get_mut(peer_i)
                {
                    p.ack_seq = s.ack;
                }
            }
        }

        // Zeek's update_last_seq, with the retransmission letter.
        let me = self.end(me_i);
        let delta_last = seq_delta(one_past, me.last_seq);
        let mut new_last = None;
        if (syn || rst) && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta_last) {
            // Not believed.
        } else if fin && me.last_seq == me.start_seq.wrapping_add(1) {
            new_last = Some(one_past);
        } else if me.state == ZeekEndpoint::Reset {
            // Nothing after a RST is trusted.
        } else if delta_last > 0 {
            new_last = Some(one_past);
        } else if s.len > 0 && scaled(&mut me_seq.rexmit) {
            self.history.push(b'T', is_orig);
        }
        if let (Some(l), Some(e)) = (new_last, self.ends.get_mut(me_i)) {
            e.last_seq = l;
        }

        let do_close = self.update_state_machine(me_i, peer_i, is_orig, s);

        // The ACK may reveal a content gap in the peer's data.
        if ack {
            let holes = peer_seq.ack_received(rel_ack, self.partial);
            for h in holes.into_iter().filter(|&h| h > 0) {
                if self.ends[0].is_clean() && self.ends[1].is_clean() {
                    let peer_is_orig = !is_orig;
                    if scaled(&mut peer_seq.gaps) {
                        self.history.push(b'G', peer_is_orig);
                    }
                    self.missed_bytes += u64::from(h);
                }
            }
        }

        if s.len > 0 && !rst && !underflow {
            let me = self.end(me_i);
            let acked = me.ack_seq.wrapping_sub(me.start_seq);
            let data_seq = if syn {
                rel_seq.wrapping_add(1)
            } else {
                rel_seq
            };
            me_seq.data_sent(data_seq, s.len, acked);
        }

        if let Some(e) = self.ends.get_mut(me_i) {
            e.seen = true;
            if do_close {
                e.did_close = true;
            }
        }
        moves_time
    }

    fn end(&self, i: usize) -> ZeekEnd {
        self.ends.get(i).copied().unwrap_or_default()
    }

    fn set(&mut self, i: usize, s: ZeekEndpoint) {
        if let Some(e) = self.ends.get_mut(i) {
            e.set_state(s);
        }
    }

    /// Zeek's `init_endpoint`: sequence numbers of a side's first packet, or of a new SYN.
    fn init_endpoint(&mut self, i: usize, flags: TcpFlags, seq: u32, one_past: u32) {
        let syn = flags.has(TcpFlags::SYN);
        let Some(e) = self.ends.get_mut(i) else {
            return;
        };
        match e.state {
            ZeekEndpoint::Inactive => {
                if syn {
                    e.init_seq(seq, one_past);
                } else {
                    // As though a SYN had been seen; the first packet is no duplicate.
                    e.init_seq(seq.wrapping_sub(1), seq);
                }
            }
            ZeekEndpoint::SynSent | ZeekEndpoint::SynAckSent => {
                if syn && seq != e.start_seq {
                    e.init_seq(seq, one_past);
                }
            }
            ZeekEndpoint::Established | ZeekEndpoint::Partial => {
                if syn {
                    e.init_seq(seq, one_past);
                }
            }
            ZeekEndpoint::Reset => {
                if syn && e.prev_state == ZeekEndpoint::Inactive {
                    e.init_seq(seq, one_past);
                }
            }
            ZeekEndpoint::Closed => {}
        }
    }

    /// Zeek's `update_history`.
    fn update_history(
        &mut self,
        me: &mut ZeekSeq,
        is_orig: bool,
        flags: TcpFlags,
        rel_seq: u32,
        len: u32,
    ) {
        let syn = flags.has(TcpFlags::SYN);
        let fin = flags.has(TcpFlags::FIN);
        let rst = flags.has(TcpFlags::RST);
        let h = &mut self.history;
        match u8::from(syn) + u8::from(fin) + u8::from(rst) {
            0 => {
                if len > 0 {
                    h.check(bit::DATA, b'D', is_orig);
                } else if flags.has(TcpFlags::ACK) {
                    h.check(bit::ACK, b'A', is_orig);
                }
            }
            1 => {
                if syn {
                    let code = if flags.has(TcpFlags::ACK) { b'H' } else { b'S' };
                    if h.check(bit::SYN, code, is_orig) && rel_seq != me.last_syn {
                        h.push(code, is_orig);
                    }
                    me.last_syn = rel_seq;
                }
                if fin {
                    // A FIN's number is the one after its data.
                    let at = rel_seq.wrapping_add(len);
                    if h.check(bit::FIN, b'F', is_orig) && at != me.last_fin {
                        h.push(b'F', is_orig);
                    }
                    me.last_fin = at;
                }
                if rst {
                    if h.check(bit::RST, b'R', is_orig) && rel_seq != me.last_rst {
                        h.push(b'R', is_orig);
                    }
                    me.last_rst = rel_seq;
                }
            }
            _ => {
                if fin && rst {
                    h.check(bit::FIN_RST, b'I', is_orig);
                } else {
                    h.check(bit::MULTI, b'Q', is_orig);
                }
            }
        }
    }

    /// Zeek's `UpdateStateMachine`: the sender's state (and at times the peer's).
    /// Returns whether the sender closed (Zeek's `do_close`).
    fn update_state_machine(
        &mut self,
        me: usize,
        peer: usize,
        is_orig: bool,
        s: &ZeekSegment,
    ) -> bool {
        use ZeekEndpoint as E;
        let flags = s.flags;
        let syn = flags.has(TcpFlags::SYN);
        let fin = flags.has(TcpFlags::FIN);
        let rst = flags.has(TcpFlags::RST);
        let ack = flags.has(TcpFlags::ACK);
        let mut do_close = false;
        match self.end(me).state {
            E::Inactive => {
                if syn {
                    if is_orig {
                        // The originator's SYN (or, oddly, its SYN-ACK).
                        self.set(me, if ack { E::SynAckSent } else { E::SynSent });
                    } else {
                        if !ack
                            && self.end(peer).state == E::SynAckSent
                            && s.seq == self.end(me).start_seq
                        {
                            // SYN and SYN-ACK seen in reverse order: flip the roles.
                            self.flip();
                            self.set(peer, E::Established);
                        }
                        if self.end(peer).state == E::SynSent {
                            self.set(peer, E::Established);
                        }
                        self.set(me, E::Established);
                    }
                }
                if fin {
                    self.set(me, E::Closed);
                    do_close = true;
                }
                if rst {
                    self.set(me, E::Reset);
                    do_close = true;
                }
                if self.end(me).state == E::Inactive {
                    // No control flag moved it.
                    let orig_syn_sent = {
                        let (o, _) = self.orig_resp();
                        o.state == E::SynSent
                    };
                    if !is_orig && s.len == 0 && orig_syn_sent {
                        // An ACK of the SYN before the SYN-ACK: not a partial connection.
                    } else if ack && self.end(peer).state == E::Established {
                        // The originator's SYN was missed, its ACK was not.
                        self.set(me, E::Established);
                        self.partial = false;
                    } else {
                        self.set(me, E::Partial);
                    }
                }
            }
            E::SynSent | E::SynAckSent => {
                if fin {
                    self.set(me, E::Closed);
                    do_close = true;
                }
                if rst {
                    self.set(me, E::Reset);
                    do_close = true;
                }
            }
            E::Established | E::Partial => {
                if syn
                    && self.end(me).state == E::Partial
                    && self.end(peer).state == E::Inactive
                    && !ack
                {
                    self.set(me, E::SynSent);
                }
                if fin && !rst {
                    self.set(me, E::Closed);
                    let p = self.end(peer);
                    if p.state == E::Reset && p.prev_state == E::Closed {
                        // A FIN then a RST from the peer: a normal close after all.
                        self.set(peer, E::Closed);
                    }
                    do_close = true;
                }
                if rst {
                    self.set(me, E::Reset);
                    do_close = true;
                }
            }
            E::Closed => {
                // After a FIN exchange a RST changes nothing (the SF of "...FfR").
                if rst && self.end(peer).state != E::Closed {
                    self.set(me, E::Reset);
                    if !self.end(me).did_close {
                        do_close = true;
                    }
                }
            }
            E::Reset => {}
        }
        do_close
    }

    /// Zeek's `conn_state` for this connection.
    pub fn conn_state(&self) -> &'static str {
        use ZeekEndpoint as E;
        let (o, r) = self.orig_resp();
        let (os, rs) = (o.state, r.state);
        let o_inactive = matches!(os, E::Inactive | E::Partial);
        let r_inactive = matches!(rs, E::Inactive | E::Partial);
        if rs == E::Reset {
            if matches!(os, E::SynSent | E::SynAckSent)
                || (os == E::Reset && o.size() == 0 && r.size() == 0)
            {
                "REJ"
            } else if o_inactive {
                "RSTRH"
            } else {
                "RSTR"
            }
        } else if os == E::Reset {
            if r_inactive {
                if syn_then_reset(self.history.as_str()) {
                    "RSTOS0"
                } else {
                    "OTH"
                }
            } else {
                "RSTO"
            }
        } else if rs == E::Closed && os == E::Closed {
            "SF"
        } else if os == E::Closed {
            if r_inactive { "SH" } else { "S2" }
        } else if rs == E::Closed {
            if o_inactive { "SHR" } else { "S3" }
        } else if os == E::SynSent && rs == E::Inactive {
            "S0"
        } else if os == E::Established && rs == E::Established {
            "S1"
        } else {
            "OTH"
        }
    }
}

/// Zeek's `/\^?S[^HAFGIQ]*R.*/`: the originator's SYN, then its RST, with no
/// handshake, ACK, FIN, gap or odd flags from it in between.
fn syn_then_reset(history: &str) -> bool {
    let h = history.strip_prefix('^').unwrap_or(history);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if matches!(c, 'H' | 'A' | 'F' | 'G' | 'I' | 'Q') {
            return false;
        }
    }
    false
}

/// Zeek's state of a UDP flow, an ICMP flow or a flow of another IP protocol:
/// who sent anything, how many payload bytes, the history, the orientation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ZeekFlow {
    /// Zeek's originator is wirelab's server.
    pub orig_is_server: bool,
    /// Anything seen from wirelab's client, from its server.
    pub active: [bool; 2],
    /// The next packet had a bad checksum: [`ZeekFlow::observe`] drops it.
    drop_next: bool,
    /// Payload bytes (UDP: declared lengths; ICMP: after the 8-byte header), client first.
    pub bytes: [u64; 2],
    pub history: History,
}

impl ZeekFlow {
    /// A flow whose originator is wirelab's server when `orig_is_server`;
    /// `caret`: Zeek flipped the roles at the first packet (a `^` opens the history).
    pub fn new(orig_is_server: bool, caret: bool) -> Self {
        ZeekFlow {
            orig_is_server,
            history: History::opened(caret),
            ..ZeekFlow::default()
        }
    }

    /// The next packet, from wirelab's client or server, of `ip_len` IP bytes, has a bad
    /// checksum: Zeek's UDP analyzer writes `C` (`c` from the responder) at the 1st,
    /// 10th, 100th, ... such datagram (`udp`; its ICMP analyzer writes nothing) and
    /// drops the packet: [`ZeekFlow::observe`] then changes nothing, the packet is not
    /// counted (in `corrupt`, the flow's dropped packets) and the flow's last time
    /// stays `corrupt.last_analysed`.
    pub fn checksum_error(
        &mut self,
        corrupt: &mut Corrupt,
        from_client: bool,
        ip_len: u32,
        udp: bool,
    ) {
        let is_orig = from_client != self.orig_is_server;
        if corrupt.count(from_client, ip_len) && udp {
            self.history.push(b'C', is_orig);
        }
        self.drop_next = true;
    }

    /// One packet from wirelab's client or server, with `payload` bytes.
    /// `udp`: writes Zeek's `D` (ICMP and other protocols write no letters).
    pub fn observe(&mut self, from_client: bool, payload: u32, udp: bool) {
        if std::mem::take(&mut self.drop_next) {
            // A bad checksum (see `checksum_error`).
            return;
        }
        let i = usize::from(!from_client);
        if let Some(a) = self.active.get_mut(i) {
            *a = true;
        }
        if let Some(b) = self.bytes.get_mut(i) {
            *b += u64::from(payload);
        }
        if udp {
            self.history.add_udp(from_client != self.orig_is_server);
        }
    }

    /// (originator, responder) of a per-side pair.
    pub fn orig_resp<T: Copy>(&self, pair: [T; 2]) -> (T, T) {
        let [c, s] = pair;
        if self.orig_is_server { (s, c) } else { (c, s) }
    }

    /// Zeek's `conn_state` for UDP (`udp`) or ICMP and the rest (always OTH).
    pub fn conn_state(&self, udp: bool) -> &'static str {
        if !udp {
            return "OTH";
        }
        match self.orig_resp(self.active) {
            (true, true) => "SF",
            (true, false) => "S0",
            (false, true) => "SHR",
            (false, false) => "OTH",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: TcpFlags = TcpFlags(TcpFlags::SYN);
    const SA: TcpFlags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
    const A: TcpFlags = TcpFlags(TcpFlags::ACK);
    const PA: TcpFlags = TcpFlags(TcpFlags::PSH | TcpFlags::ACK);
    const FA: TcpFlags = TcpFlags(TcpFlags::FIN | TcpFlags::ACK);
    const R: TcpFlags = TcpFlags(TcpFlags::RST);
    const RA: TcpFlags = TcpFlags(TcpFlags::RST | TcpFlags::ACK);
    const FR: TcpFlags = TcpFlags(TcpFlags::FIN | TcpFlags::RST);
    const SF: TcpFlags = TcpFlags(TcpFlags::SYN | TcpFlags::FIN);

    /// A scripted connection: client ISN 1000, server ISN 5000; each step is
    /// (flags, from_client, relative seq of the sender, payload length, window).
    struct Script {
        z: ZeekTcp,
        seq: [ZeekSeq; 2],
        next: [u32; 2],
    }

    /// A connection after its handshake (`ShA`).
    fn opened() -> Script {
        let mut s = Script::new(false, false);
        s.send(S, true, 0).send(SA, false, 0).send(A, true, 0);
        s
    }

    impl Script {
        fn new(orig_is_server: bool, caret: bool) -> Self {
            Script {
                z: ZeekTcp::new(orig_is_server, caret),
                seq: [ZeekSeq::default(); 2],
                next: [0, 0],
            }
        }
        /// Sends at the sender's current sequence number, acknowledging all the peer sent.
        fn send(&mut self, flags: TcpFlags, from_client: bool, len: u32) -> &mut Self {
            let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
            let at = self.next[me];
            self.send_at(flags, from_client, at, len, 1000, self.next[peer])
        }
        fn send_at(
            &mut self,
            flags: TcpFlags,
            from_client: bool,
            rel: u32,
            len: u32,
            window: u16,
            peer_rel_ack: u32,
        ) -> &mut Self {
            let (me, peer) = if from_client { (0, 1) } else { (1, 0) };
            let isn = [1000u32, 5000u32];
            let seg = ZeekSegment {
                flags,
                seq: isn[me].wrapping_add(rel),
                ack: if flags.has(TcpFlags::ACK) {
                    isn[peer].wrapping_add(peer_rel_ack)
                } else {
                    0
                },
                len,
                window,
            };
            let [c, s] = &mut self.seq;
            self.z.observe([c, s], from_client, &seg);
            let end = rel
                + len
                + u32::from(flags.has(TcpFlags::SYN))
                + u32::from(flags.has(TcpFlags::FIN));
            if end > self.next[me] {
                self.next[me] = end;
            }
            self
        }
        fn result(&self) -> (String, &'static str) {
            (self.z.history.as_str().to_string(), self.z.conn_state())
        }
    }

    #[test]
    fn test_established_fin_both_sf() {
        let mut s = opened();
        s.send(PA, true, 5)
            .send(A, false, 0)
            .send(PA, false, 5)
            .send(FA, true, 0)
            .send(FA, false, 0)
            .send(A, true, 0);
        assert_eq!(s.result(), ("ShADadFf".into(), "SF"));
        let (o, r) = s.z.orig_resp();
        assert_eq!((o.size(), r.size()), (5, 5));
    }

    #[test]
    fn test_syn_sent_rst_reply_rej() {
        let mut s = Script::new(false, false);
        s.send(S, true, 0).send(RA, false, 0);
        assert_eq!(s.result(), ("Sr".into(), "REJ"));
    }

    #[test]
    fn test_syn_sent_no_reply_s0() {
        let mut s = Script::new(false, false);
        s.send(S, true, 0).send_at(S, true, 0, 0, 1000, 0);
        // A retransmitted SYN (same number) is not written again.
        assert_eq!(s.result(), ("S".into(), "S0"));
    }

    #[test]
    fn test_syn_new_number_restarts_numbering() {
        // A SYN with another number re-initialises the side's numbers (Zeek's
        // init_endpoint): relative to them it is at 0 again, and not written twice.
        let mut s = Script::new(false, false);
        s.send(S, true, 0).send_at(S, true, 7, 0, 1000, 0);
        assert_eq!(s.result().0, "S");
    }

    #[test]
    fn test_fin_new_number_written_again() {
        let mut s = opened();
        s.send_at(FA, true, 1, 0, 1000, 1)
            // The same FIN again: not written; a FIN further on: written.
            .send_at(FA, true, 1, 0, 1000, 1)
            .send_at(FA, true, 1, 4, 1000, 1);
        assert_eq!(s.result().0, "ShAFF");
    }

    #[test]
    fn test_syn_sent_orig_reset_rstos0() {
        let mut s = Script::new(false, false);
        s.send(S, true, 0).send_at(R, true, 1, 0, 0, 0);
        assert_eq!(s.result(), ("SR".into(), "RSTOS0"));
    }

    #[test]
    fn test_established_orig_reset_rsto() {
        let mut s = opened();
        s.send(R, true, 0);
        assert_eq!(s.result(), ("ShAR".into(), "RSTO"));
    }

    #[test]
    fn test_established_no_close_s1() {
        let s = opened();
        assert_eq!(s.result(), ("ShA".into(), "S1"));
    }

    #[test]
    fn test_established_orig_fin_s2() {
        let mut s = Script::new(false, false);
        s.send(S, true, 0).send(SA, false, 0).send(FA, true, 0);
        assert_eq!(s.result().1, "S2");
    }

    #[test]
    fn test_midstream_data_oth() {
        let mut s = Script::new(false, false);
        s.send_at(PA, true, 1, 3, 1000, 1)
            .send_at(A, false, 1, 0, 1000, 4);
        assert_eq!(s.result(), ("Da".into(), "OTH"));
    }

    #[test]
    fn test_both_fins_then_rst_keeps_sf() {
        let mut s = opened();
        s.send(PA, true, 3)
            .send(A, false, 0)
            .send(PA, false, 3)
            .send(FA, false, 0)
            .send(FA, true, 0)
            .send(R, false, 0);
        assert_eq!(s.result(), ("ShADadfFr".into(), "SF"));
    }

    #[test]
    fn test_fin_then_rst_from_closer_peer_fin_sf() {
        // A FIN then a RST from the server, then the client's FIN: a normal close.
        let mut s = opened();
        s.send(FA, false, 0).send(R, false, 0).send(FA, true, 0);
        assert_eq!(s.result().1, "SF");
    }

    #[test]
    fn test_retransmitted_payload_t() {
        let mut s = opened();
        s.send(PA, true, 10).send_at(PA, true, 1, 10, 1000, 1);
        assert_eq!(s.result().0, "ShADT");
    }

    #[test]
    fn test_retransmissions_scaled_1_10_100() {
        let history = |copies: usize| {
            let mut s = opened();
            s.send(PA, true, 10);
            for _ in 0..copies {
                s.send_at(PA, true, 1, 10, 1000, 1);
            }
            s.result().0
        };
        assert_eq!(history(9), "ShADT");
        assert_eq!(history(10), "ShADTT");
        assert_eq!(history(99), "ShADTT");
        assert_eq!(history(100), "ShADTTT");
    }

    #[test]
    fn test_zero_window_w() {
        let mut s = opened();
        s.send(PA, true, 10).send_at(A, false, 1, 0, 0, 11);
        assert_eq!(s.result().0, "ShADaw");
    }

    #[test]
    fn test_ack_beyond_data_content_gap_g() {
        let mut s = opened();
        s.send(PA, true, 10)
            // 10 bytes at 11..21 were never seen; the ACK covers them.
            .send_at(PA, true, 21, 10, 1000, 1)
            .send_at(A, false, 1, 0, 1000, 31);
        assert_eq!(s.result().0, "ShADaG");
        assert_eq!(s.z.missed_bytes, 10);
        let (o, _) = s.z.orig_resp();
        assert_eq!(o.size(), 30);
    }

    #[test]
    fn test_fin_rst_together_i_and_syn_fin_q() {
        let mut s = Script::new(false, false);
        s.send(SF, true, 0).send_at(FR, false, 0, 0, 0, 0);
        assert_eq!(s.result().0, "Qi");
    }

    #[test]
    fn test_flipped_at_first_packet_caret() {
        // The server's data (from a likely server port) seen first: the first packet's
        // destination is the originator, and wirelab's client too.
        let mut s = Script::new(false, true);
        s.send_at(PA, false, 1, 5, 1000, 1)
            .send_at(A, true, 1, 0, 1000, 6);
        assert_eq!(s.result().0, "^dA");
    }

    #[test]
    fn test_synack_before_syn_reversal_flips() {
        // The SYN-ACK (from the server) is seen first: Zeek's originator is the server
        // until the SYN arrives with the number the SYN-ACK acknowledged.
        let mut s = Script::new(true, false);
        s.send_at(SA, false, 0, 0, 1000, 1)
            .send_at(S, true, 0, 0, 1000, 0)
            .send_at(A, true, 1, 0, 1000, 1);
        let (h, state) = s.result();
        assert!(h.starts_with("Hs^"), "{h}");
        assert!(!s.z.orig_is_server);
        assert_eq!(state, "S1");
    }

    #[test]
    fn test_scaled_counts_powers_of_ten() {
        let mut n = 0;
        let hits: Vec<u32> = (1..=1000).filter(|_| scaled(&mut n)).collect();
        assert_eq!(hits, vec![1, 10, 100, 1000]);
    }

    #[test]
    fn test_likely_ports_sorted_and_flip_rules() {
        assert!(LIKELY_TCP.windows(2).all(|w| w[0] < w[1]));
        assert!(LIKELY_UDP.windows(2).all(|w| w[0] < w[1]));
        // DHCP: only 67 is a server port; a reply from 67 to 68 flips.
        assert!(flips_first_packet(false, TcpFlags(0), 67, 68, false));
        assert!(!flips_first_packet(false, TcpFlags(0), 68, 67, false));
        assert!(!flips_first_packet(false, TcpFlags(0), 67, 68, true));
        // DNS answer seen first.
        assert!(flips_first_packet(false, TcpFlags(0), 53, 40000, false));
        // TCP: a plain SYN never flips; data from port 80 does.
        assert!(!flips_first_packet(true, S, 80, 40000, false));
        assert!(flips_first_packet(true, PA, 80, 40000, false));
        assert!(flips_first_packet(true, SA, 80, 40000, false));
    }

    #[test]
    fn test_udp_empty_datagram_writes_d() {
        let mut f = ZeekFlow::new(false, false);
        f.observe(true, 0, true);
        assert_eq!(f.history.as_str(), "D");
        assert_eq!(f.conn_state(true), "S0");
        f.observe(false, 4, true);
        f.observe(false, 4, true);
        assert_eq!(f.history.as_str(), "Dd");
        assert_eq!(f.conn_state(true), "SF");
        assert_eq!(f.orig_resp(f.bytes), (0, 8));
    }

    #[test]
    fn test_udp_flipped_reply_first_shr_caret() {
        // The server's reply from port 67 seen first: wirelab's client is its
        // destination, as Zeek's originator is.
        let mut f = ZeekFlow::new(false, true);
        f.observe(false, 300, true);
        assert_eq!(f.history.as_str(), "^d");
        assert_eq!(f.conn_state(true), "SHR");
    }

    #[test]
    fn test_icmp_counterparts() {
        assert_eq!(icmp_counterpart(8, 0, false), (0, false));
        assert_eq!(icmp_counterpart(0, 0, false), (8, false));
        assert_eq!(icmp_counterpart(3, 3, false), (3, true));
        assert_eq!(icmp_counterpart(128, 0, true), (129, false));
        assert_eq!(icmp_counterpart(1, 4, true), (4, true));
    }

    #[test]
    fn test_three_ranges_beyond_hole_merge_into_two() {
        // Data at 11..21, 31..41 and 51..61 beyond a hole at 1..11: at most two ranges
        // are kept, so the last two merge (41..51 counts as seen).
        let mut z = ZeekSeq::default();
        for lo in [11u32, 31, 51] {
            z.data_sent(lo, 10, 0);
        }
        assert_eq!(z.n_above, 2);
        assert_eq!(z.ack_received(61, false), [10, 10, 0]);
        assert_eq!(z.reassem, Some(61));
    }

    #[test]
    fn test_established_bad_checksum_c_then_data_d() {
        // The client's data with a bad checksum: `C`, and dropped (no `D`, no sequence
        // numbers moved); the same data again, good: its first `D`, no retransmission.
        let mut s = opened();
        let mut corrupt = Corrupt::default();
        s.z.checksum_error(&mut corrupt, true, 50);
        s.send_at(PA, true, 1, 10, 1000, 1);
        assert_eq!(s.result(), ("ShAC".into(), "S1"));
        s.send_at(PA, true, 1, 10, 1000, 1).send(A, false, 0);
        assert_eq!(s.result().0, "ShACDa");
        let (o, _) = s.z.orig_resp();
        assert_eq!(o.size(), 10);
        assert_eq!((corrupt.pkts, corrupt.ip_bytes), ([1, 0], [50, 0]));
    }

    #[test]
    fn test_responder_bad_checksums_scaled_lower_c() {
        let mut s = opened();
        let mut corrupt = Corrupt::default();
        for _ in 0..10 {
            s.z.checksum_error(&mut corrupt, false, 40);
            s.send(A, false, 0);
        }
        assert_eq!(s.result().0, "ShAcc");
    }

    #[test]
    fn test_bad_checksum_only_syn_oth() {
        // A SYN whose checksum is wrong: Zeek's connection exists, nothing moved.
        let mut s = Script::new(false, false);
        s.z.checksum_error(&mut Corrupt::default(), true, 40);
        s.send(S, true, 0);
        assert_eq!(s.result(), ("C".into(), "OTH"));
    }

    #[test]
    fn test_udp_bad_checksum_inactive_side() {
        let mut f = ZeekFlow::new(false, false);
        f.checksum_error(&mut Corrupt::default(), true, 33, true);
        f.observe(true, 5, true);
        f.observe(false, 5, true);
        assert_eq!(f.history.as_str(), "Cd");
        // The originator's only datagram was dropped: only the responder was active.
        assert_eq!(f.conn_state(true), "SHR");
        assert_eq!(f.orig_resp(f.bytes), (0, 5));
        // ICMP: dropped, no letter.
        let mut icmp = ZeekFlow::new(false, false);
        icmp.checksum_error(&mut Corrupt::default(), true, 84, false);
        icmp.observe(true, 56, false);
        assert_eq!((icmp.history.as_str(), icmp.bytes), ("", [0, 0]));
    }

    #[test]
    fn test_history_bounded() {
        let mut h = History::default();
        for _ in 0..100 {
            h.push(b'T', true);
        }
        assert_eq!(h.as_str().len(), MAX_HISTORY);
    }
}
