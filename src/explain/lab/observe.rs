//! Follows the conversations that may be lab runs as their frames go by: the request
//! and the reply in stream order (TCP segments put in order by their relative sequence
//! numbers, retransmitted bytes once), a reply from another socket or to another port
//! matched to its run, ICMP port unreachable errors, and the frames that show the
//! handshake and the teardown (the facts themselves come from `track`); for each frame,
//! which part of the request or the reply it carries and, on the one that decides it,
//! how the reply compares. Bounded: at
//! most [`MAX_FOLLOWED`] conversations, [`MAX_OUT_OF_ORDER`] held segments each.

use std::collections::HashMap;

use super::claim::claimed_by_app;
use super::upper::{Comparison, Request, Stream, looks_like_text};
use super::{Icmp, Message, Reply, Run, Scope, TcpRun};
use crate::decode::{Packet, TcpFlags, Transport};
use crate::source::Timestamp;
use crate::track::{Conversation, Direction, Endpoint, Facts, Proto};

/// Conversations followed as possible lab runs; later ones are not judged (and "What the
/// lab shows" says how many). Each costs about 20 KB of comparison state, so 512 keep the
/// model under about 10 MiB: at 4,096 the benchmark's 2,000,000-frame file peaked at
/// 114 MiB and its timeline took 2.6x the CPU time.
pub const MAX_FOLLOWED: usize = 512;
/// Out-of-order segments held per direction until the gap before them fills.
pub const MAX_OUT_OF_ORDER: usize = 16;
/// Out-of-order bytes held by all followed conversations together; past it (or past
/// [`MAX_OUT_OF_ORDER`]) a direction counts as having a gap and lets go of what it held.
pub const MAX_HELD_BYTES: usize = 4 << 20;
/// A reply from another socket is matched to a request at most this long after it.
pub const MATCH_WINDOW_NS: i128 = 10_000_000_000;
/// UDP requests waiting for a reply that may come from another socket.
const MAX_AWAITING: usize = 256;

/// What the lab says of one frame, for its note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Words {
    /// Nothing (not a lab conversation, or nothing decided on this frame).
    Nothing,
    /// A segment or datagram carrying the next bytes of the request or of the reply.
    Part(Part),
    /// The server's FIN (without data) ends the reply, judged so; `request_len`: the
    /// request's bytes.
    Reply {
        judged: Comparison,
        request_len: u64,
    },
    /// The server's RST ends a partial reply: it closed with `unread` request bytes
    /// unread; the reply is judged so.
    ResetUnread {
        unread: u64,
        judged: Comparison,
        request_len: u64,
    },
    /// A datagram from another socket of the server (or to another client port),
    /// taken as the reply to the request in `request_frame`.
    Stray {
        request_frame: u64,
        client: Endpoint,
        server: Endpoint,
        judged: Option<Comparison>,
    },
}

/// Which bytes of the request or of the reply one frame brought, in stream order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// A part of the reply (false: of the request).
    pub reply: bool,
    /// 1, 2, …: the frames that brought new bytes of this message so far.
    pub number: u32,
    /// Its first and last byte in the message, counted from 1 (`last` = `first` - 1
    /// for an empty datagram).
    pub first: u64,
    pub last: u64,
    /// For the reply while it is still being judged: the bytes expected (the length of
    /// the request's uppercase).
    pub expected: Option<u64>,
    /// TCP: PSH is not set, so the sender has more of this message queued.
    pub more: bool,
    /// On the part that decides the reply: how it compares with the request.
    pub judged: Option<Comparison>,
    /// The request's bytes (so far, for a part of the request).
    pub request_len: u64,
}

type Key = (Proto, u64);

/// Stream order of one direction of a TCP conversation.
#[derive(Debug, Default)]
struct Order {
    /// The next relative sequence number expected.
    next: Option<u32>,
    /// Segments that came before their turn (relative seq, bytes).
    held: Vec<(u32, Vec<u8>)>,
    /// Bytes were lost (held segments overflowed, or missing from the capture).
    gap: bool,
}

impl Order {
    /// Takes a segment; returns the bytes now in order (possibly several segments').
    /// `first`: where this side's data starts (relative 1 after a SYN seen), or None when
    /// the capture began after the handshake (the first segment seen starts it).
    /// `held_bytes`: out-of-order bytes held by every conversation (see [`MAX_HELD_BYTES`]).
    fn take(
        &mut self,
        first: Option<u32>,
        seq: u32,
        bytes: &[u8],
        out: &mut Vec<u8>,
        held_bytes: &mut usize,
    ) {
        let next = *self.next.get_or_insert(first.unwrap_or(seq));
        let delta = seq.wrapping_sub(next) as i32;
        if delta > 0 {
            if !self.gap
                && self.held.len() < MAX_OUT_OF_ORDER
                && held_bytes.saturating_add(bytes.len()) <= MAX_HELD_BYTES
            {
                *held_bytes += bytes.len();
                self.held.push((seq, bytes.to_vec()));
            } else {
                self.lose(held_bytes);
            }
            return;
        }
        let skip = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
        if let Some(fresh) = bytes.get(skip..).filter(|b| !b.is_empty()) {
            out.extend_from_slice(fresh);
            self.next = Some(next.wrapping_add(u32::try_from(fresh.len()).unwrap_or(0)));
        }
        // Held segments that now fit.
        while let Some(at) = self.next {
            let Some(i) = self
                .held
                .iter()
                .position(|(s, _)| (s.wrapping_sub(at) as i32) <= 0)
            else {
                break;
            };
            let (s, b) = self.held.swap_remove(i);
            *held_bytes = held_bytes.saturating_sub(b.len());
            let skip = usize::try_from(at.wrapping_sub(s)).unwrap_or(usize::MAX);
            if let Some(fresh) = b.get(skip..).filter(|b| !b.is_empty()) {
                out.extend_from_slice(fresh);
                self.next = Some(at.wrapping_add(u32::try_from(fresh.len()).unwrap_or(0)));
            }
        }
    }
}

impl Order {
    /// Bytes of this direction are lost for good: it has a gap, and what it held is let go
    /// (its turn would never come).
    fn lose(&mut self, held_bytes: &mut usize) {
        self.gap = true;
        for (_, b) in self.held.drain(..) {
            *held_bytes = held_bytes.saturating_sub(b.len());
        }
        self.held = Vec::new();
    }
}

/// One followed conversation.
#[derive(Debug)]
struct Followed {
    proto: Proto,
    stream: u64,
    client: Endpoint,
    server: Endpoint,
    first_frame: u64,
    last_frame: u64,
    /// The conversation is a lab conversation (port scope), or may be one (auto scope).
    decided: bool,
    request: Request,
    request_frames: Option<(u64, u64)>,
    request_ts: Timestamp,
    /// The request's first datagram (UDP) or segment was seen.
    requested: bool,
    /// Frames that brought new bytes of the request.
    request_parts: u32,
    reply: Option<ReplyState>,
    judged: Option<Comparison>,
    extra_turns: u32,
    icmp: Option<Icmp>,
    order: [Order; 2],
    syns: u32,
    syn_frame: Option<u64>,
    last_syn_frame: Option<u64>,
    synack_frame: Option<u64>,
    ack_frame: Option<u64>,
    fin_frames: [Option<u64>; 2],
    rst: Option<(u64, Direction)>,
    /// The server answered the client's SYN with a RST.
    refused: bool,
    /// A conversation whose datagrams are the reply of another one's request.
    linked_to: Option<Key>,
}

#[derive(Debug)]
struct ReplyState {
    stream: Stream,
    frames: (u64, u64),
    from: Endpoint,
    to: Endpoint,
    via: u64,
    /// Frames that brought new bytes of the reply.
    parts: u32,
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::FromClient => 0,
        Direction::FromServer => 1,
    }
}

/// The lab's memory across frames.
#[derive(Debug)]
pub struct Observer {
    scope: Scope,
    followed: HashMap<Key, Box<Followed>, crate::track::Keyed>,
    /// UDP runs with a request and no reply yet, oldest first.
    awaiting: Vec<Key>,
    /// Conversations that could not be followed (over [`MAX_FOLLOWED`]).
    not_followed: u64,
    /// Reused buffer of in-order bytes.
    buf: Vec<u8>,
    frames: u64,
    /// Out-of-order bytes held now, over every conversation (at most [`MAX_HELD_BYTES`]).
    held_bytes: usize,
}

impl Observer {
    /// An observer judging the conversations `scope` selects.
    pub fn new(scope: Scope) -> Self {
        Observer {
            scope,
            followed: HashMap::default(),
            awaiting: Vec::new(),
            not_followed: 0,
            buf: Vec::new(),
            frames: 0,
            held_bytes: 0,
        }
    }

    /// Frames observed.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Conversations that were not followed because [`MAX_FOLLOWED`] were already.
    pub fn not_followed(&self) -> u64 {
        self.not_followed
    }

    /// Takes one frame; returns what the lab says of it.
    pub fn observe(
        &mut self,
        number: u64,
        ts: Timestamp,
        packet: &Packet<'_>,
        facts: &Facts,
    ) -> Words {
        self.frames += 1;
        match &packet.transport {
            Transport::Icmpv4(i) | Transport::Icmpv6(i) => {
                self.icmp(number, i, matches!(packet.transport, Transport::Icmpv6(_)));
                return Words::Nothing;
            }
            Transport::Tcp(_) | Transport::Udp(_) => {}
            _ => return Words::Nothing,
        }
        let (Some(proto), Some(stream), Some(dir)) = (facts.proto, facts.stream, facts.direction)
        else {
            return Words::Nothing;
        };
        let key = (proto, stream);
        // Most frames belong to a conversation that is not followed and that they do not
        // open: one lookup, and nothing more.
        let followed = self.followed.contains_key(&key);
        if !followed && !facts.opens_conversation {
            return Words::Nothing;
        }
        let (Some(src), Some(dst), Some((sp, dp))) =
            (packet.src_ip(), packet.dst_ip(), packet.ports())
        else {
            return Words::Nothing;
        };
        let src = Endpoint { ip: src, port: sp };
        let dst = Endpoint { ip: dst, port: dp };
        if !followed && !self.start(key, number, ts, src, dst, dir, packet) {
            return Words::Nothing;
        }
        let linked = self.followed.get(&key).and_then(|f| f.linked_to);
        if let Some(run) = linked {
            return self.stray_datagram(run, stream, number, src, dst, packet.payload);
        }
        let Some(f) = self.followed.get_mut(&key) else {
            return Words::Nothing;
        };
        f.last_frame = number;
        let mut data = std::mem::take(&mut self.buf);
        data.clear();
        // TCP: PSH not set (the sender has more queued), and whether this segment ends
        // the server's side (FIN or RST), which ends its reply.
        let (mut more, mut ends_reply, mut reset) = (false, false, false);
        match &packet.transport {
            Transport::Tcp(tcp) => {
                let flags = tcp.flags;
                let (syn, ack, fin, rst) = (
                    flags.has(TcpFlags::SYN),
                    flags.has(TcpFlags::ACK),
                    flags.has(TcpFlags::FIN),
                    flags.has(TcpFlags::RST),
                );
                more = !flags.has(TcpFlags::PSH);
                ends_reply = (fin || rst) && dir == Direction::FromServer;
                reset = rst;
                if syn && !ack {
                    f.syns += 1;
                    f.syn_frame.get_or_insert(number);
                    f.last_syn_frame = Some(number);
                } else if syn && ack {
                    f.synack_frame.get_or_insert(number);
                }
                if let Some(t) = &facts.tcp {
                    if t.handshake_step == Some(3) {
                        f.ack_frame.get_or_insert(number);
                    }
                    if !syn && tcp.payload_len > 0 {
                        let side = &mut f.order[dir_index(dir)];
                        if tcp.payload_len as usize > packet.payload.len() {
                            side.lose(&mut self.held_bytes);
                        }
                        let syn_seen = match dir {
                            Direction::FromClient => f.syn_frame.is_some(),
                            Direction::FromServer => f.synack_frame.is_some(),
                        };
                        side.take(
                            syn_seen.then_some(1),
                            t.rel_seq,
                            packet.payload,
                            &mut data,
                            &mut self.held_bytes,
                        );
                    }
                }
                if fin && let Some(slot) = f.fin_frames.get_mut(dir_index(dir)) {
                    slot.get_or_insert(number);
                }
                if rst && f.rst.is_none() {
                    f.rst = Some((number, dir));
                }
                // The tracker says whether this RST refused the connection.
                f.refused |= facts.tcp.as_ref().is_some_and(|t| t.refused);
            }
            Transport::Udp(_) => {
                data.extend_from_slice(packet.payload);
            }
            _ => {}
        }
        let udp = proto == Proto::Udp;
        let mut words = if udp || !data.is_empty() {
            self.data(key, number, ts, dir, src, dst, &data, udp, more)
        } else {
            Words::Nothing
        };
        self.buf = data;
        if ends_reply {
            words = self.reply_ended(key, reset, words);
        }
        words
    }

    /// The server's FIN or RST ends its reply (after this segment's data, if any): a reply
    /// still shorter than the uppercase is judged now (the uppercase of a first part of
    /// the request, or not).
    fn reply_ended(&mut self, key: Key, rst: bool, words: Words) -> Words {
        let Some(f) = self.followed.get_mut(&key) else {
            return words;
        };
        let Some(r) = f.reply.as_ref().filter(|_| f.judged.is_none()) else {
            return words;
        };
        let judged = f.request.compare(&r.stream, true);
        f.judged = Some(judged);
        let request_len = f.request.raw.len;
        if let Comparison::Partial { of } = judged
            && rst
            && request_len > of
        {
            return Words::ResetUnread {
                unread: request_len - of,
                judged,
                request_len,
            };
        }
        match words {
            Words::Part(mut p) if p.reply => {
                p.judged = Some(judged);
                Words::Part(p)
            }
            Words::Nothing => Words::Reply {
                judged,
                request_len,
            },
            other => other,
        }
    }

    /// Starts following a new conversation, if the scope wants it; false otherwise.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        key: Key,
        number: u64,
        ts: Timestamp,
        src: Endpoint,
        dst: Endpoint,
        dir: Direction,
        packet: &Packet<'_>,
    ) -> bool {
        let (client, server) = match dir {
            Direction::FromClient => (src, dst),
            Direction::FromServer => (dst, src),
        };
        let proto = key.0;
        // A UDP datagram from a run's server host to its client host, on other ports:
        // the reply from a new socket, or a reply sent to another port.
        let linked = if proto == Proto::Udp {
            self.awaiting_run(ts, src, dst)
        } else {
            None
        };
        let decided = match &self.scope {
            Scope::Ports(ports) => ports.contains(&server.port),
            Scope::Auto => false,
        };
        if linked.is_none() {
            let wanted = match &self.scope {
                Scope::Ports(_) => decided,
                Scope::Auto => !claimed_by_app(proto, (client.port, server.port), packet.payload),
            };
            if !wanted {
                return false;
            }
        }
        if self.followed.len() >= MAX_FOLLOWED {
            self.not_followed += 1;
            return false;
        }
        self.followed.insert(
            key,
            Box::new(Followed {
                proto,
                stream: key.1,
                client,
                server,
                first_frame: number,
                last_frame: number,
                decided,
                request: Request::default(),
                request_frames: None,
                request_ts: ts,
                requested: false,
                request_parts: 0,
                reply: None,
                judged: None,
                extra_turns: 0,
                icmp: None,
                order: [Order::default(), Order::default()],
                syns: 0,
                syn_frame: None,
                last_syn_frame: None,
                synack_frame: None,
                ack_frame: None,
                fin_frames: [None, None],
                rst: None,
                refused: false,
                linked_to: linked,
            }),
        );
        true
    }

    /// The UDP run whose server host is `src` and client host `dst`, waiting for a reply
    /// (most recent first, within [`MATCH_WINDOW_NS`]).
    fn awaiting_run(&mut self, ts: Timestamp, src: Endpoint, dst: Endpoint) -> Option<Key> {
        let followed = &self.followed;
        self.awaiting.retain(|k| {
            followed.get(k).is_some_and(|f| {
                f.reply.is_none() && ts.nanos_since(f.request_ts) <= MATCH_WINDOW_NS
            })
        });
        self.awaiting.iter().rev().copied().find(|k| {
            followed.get(k).is_some_and(|f| {
                f.server.ip == src.ip
                    && f.client.ip == dst.ip
                    && (f.server.port != src.port || f.client.port != dst.port)
            })
        })
    }

    /// Data in stream order from one side.
    #[allow(clippy::too_many_arguments)]
    fn data(
        &mut self,
        key: Key,
        number: u64,
        ts: Timestamp,
        dir: Direction,
        src: Endpoint,
        dst: Endpoint,
        data: &[u8],
        udp: bool,
        more: bool,
    ) -> Words {
        let scope_auto = matches!(self.scope, Scope::Auto);
        let Some(f) = self.followed.get_mut(&key) else {
            return Words::Nothing;
        };
        match dir {
            Direction::FromClient => {
                if f.reply.is_some() || (udp && f.requested) {
                    f.extra_turns = f.extra_turns.saturating_add(u32::from(
                        f.reply.is_some() && f.request_frames.is_some_and(|(_, l)| l < number),
                    ));
                    return Words::Nothing;
                }
                if !f.requested
                    && scope_auto
                    && (!looks_like_text(data)
                        || claimed_by_app(f.proto, (f.client.port, f.server.port), data))
                {
                    // Not a text request, or an application protocol's: never a lab run.
                    self.followed.remove(&key);
                    return Words::Nothing;
                }
                if !f.requested {
                    f.requested = true;
                    f.request_ts = ts;
                }
                let first = f.request.raw.len.saturating_add(1);
                f.request.add(data);
                f.request_parts = f.request_parts.saturating_add(1);
                let frames = f.request_frames.get_or_insert((number, number));
                frames.1 = number;
                let part = Part {
                    reply: false,
                    number: f.request_parts,
                    first,
                    last: f.request.raw.len,
                    expected: None,
                    more,
                    judged: None,
                    request_len: f.request.raw.len,
                };
                if udp {
                    if self.awaiting.len() >= MAX_AWAITING {
                        self.awaiting.remove(0);
                    }
                    self.awaiting.push(key);
                }
                Words::Part(part)
            }
            Direction::FromServer => {
                if !f.requested {
                    return Words::Nothing;
                }
                // One reply per run: a second datagram, or the answer to a later request
                // of the same connection, is not part of it.
                if f.reply.is_some() && (udp || f.extra_turns > 0) {
                    return Words::Nothing;
                }
                let reply = f.reply.get_or_insert_with(|| ReplyState {
                    stream: Stream::default(),
                    frames: (number, number),
                    from: src,
                    to: dst,
                    via: key.1,
                    parts: 0,
                });
                let first = reply.stream.len.saturating_add(1);
                reply.stream.add(data);
                reply.frames.1 = number;
                reply.parts = reply.parts.saturating_add(1);
                let mut part = Part {
                    reply: true,
                    number: reply.parts,
                    first,
                    last: reply.stream.len,
                    expected: None,
                    more,
                    judged: None,
                    request_len: f.request.raw.len,
                };
                match f.judged {
                    None => {
                        part.expected = Some(f.request.expected_len());
                        let c = f.request.compare(&reply.stream, udp);
                        if c != Comparison::Pending {
                            f.judged = Some(c);
                            part.judged = Some(c);
                        }
                    }
                    // More bytes after the whole uppercase (or the request unchanged), in
                    // the same turn: the reply is something else after all.
                    Some(Comparison::Uppercase | Comparison::Unchanged) => {
                        f.judged = Some(Comparison::Different);
                        part.judged = Some(Comparison::Different);
                    }
                    Some(_) => {}
                }
                Words::Part(part)
            }
        }
    }

    /// A datagram of a conversation linked to a run: the run's reply.
    fn stray_datagram(
        &mut self,
        run: Key,
        stray: u64,
        number: u64,
        src: Endpoint,
        dst: Endpoint,
        payload: &[u8],
    ) -> Words {
        let Some(f) = self.followed.get_mut(&run) else {
            return Words::Nothing;
        };
        let request_frame = f.request_frames.map_or(f.first_frame, |(a, _)| a);
        let (client, server) = (f.client, f.server);
        if f.reply.is_some() {
            return Words::Stray {
                request_frame,
                client,
                server,
                judged: None,
            };
        }
        let mut stream = Stream::default();
        stream.add(payload);
        let c = f.request.compare(&stream, true);
        f.reply = Some(ReplyState {
            stream,
            frames: (number, number),
            from: src,
            to: dst,
            via: stray,
            parts: 1,
        });
        f.judged = Some(c);
        Words::Stray {
            request_frame,
            client,
            server,
            judged: Some(c),
        }
    }

    /// An ICMP error quoting a UDP datagram of a followed conversation.
    fn icmp(&mut self, number: u64, icmp: &crate::decode::Icmp, v6: bool) {
        let unreachable = if v6 {
            icmp.icmp_type == 1 && icmp.code == 4
        } else {
            icmp.icmp_type == 3 && icmp.code == 3
        };
        let Some(q) = icmp.quoted.as_ref().filter(|_| unreachable) else {
            return;
        };
        let (Some(sp), Some(dp)) = (q.src_port, q.dst_port) else {
            return;
        };
        let src = Endpoint {
            ip: q.src,
            port: sp,
        };
        let dst = Endpoint {
            ip: q.dst,
            port: dp,
        };
        let hit = self.followed.values_mut().find(|f| {
            f.proto == Proto::Udp
                && ((f.client == src && f.server == dst) || (f.server == src && f.client == dst))
        });
        let Some(f) = hit else {
            return;
        };
        let (run, for_reply) = match f.linked_to {
            Some(run) => (run, true),
            None => ((f.proto, f.stream), false),
        };
        if let Some(r) = self.followed.get_mut(&run) {
            r.icmp.get_or_insert(Icmp {
                frame: number,
                for_reply,
                port: dp,
                to: dst,
            });
        }
    }

    /// Which streams are lab runs, in run order per protocol (UDP and TCP each by first frame).
    pub fn run_order(&self) -> Vec<Key> {
        let mut runs: Vec<(Proto, u64, u64)> = self
            .followed
            .values()
            .filter(|f| f.linked_to.is_none() && self.is_run(f))
            .map(|f| (f.proto, f.first_frame, f.stream))
            .collect();
        runs.sort_by_key(|&(p, first, _)| (p == Proto::Tcp, first));
        runs.into_iter().map(|(p, _, s)| (p, s)).collect()
    }

    fn is_run(&self, f: &Followed) -> bool {
        f.decided || (f.requested && (f.reply.is_some() || f.icmp.is_some()))
    }

    /// The run a finished conversation is, with `track`'s facts of it; `number` is its
    /// place among the runs of its protocol (see [`Observer::run_order`]).
    pub fn run(&self, c: &Conversation, number: u32) -> Option<Run> {
        let f = self.followed.get(&(c.proto, c.stream))?;
        if f.linked_to.is_some() || !self.is_run(f) {
            return None;
        }
        let request = f.request_frames.map(|(a, b)| Message {
            len: f.request.raw.len,
            prefix: f.request.raw.prefix.clone(),
            frames: (a, b),
            hash: f.request.raw.hash,
        });
        let ended = true;
        let judged = match (&f.reply, f.judged) {
            (Some(_), Some(j)) => Some(j),
            (Some(r), None) => Some(match f.request.compare(&r.stream, ended) {
                Comparison::Pending => Comparison::Different,
                c => c,
            }),
            (None, _) => None,
        };
        let reply = f.reply.as_ref().map(|r| Reply {
            message: Message {
                len: r.stream.len,
                prefix: r.stream.prefix.clone(),
                frames: r.frames,
                hash: r.stream.hash,
            },
            from: r.from,
            to: r.to,
            stream: r.via,
        });
        let tcp = (c.proto == Proto::Tcp).then(|| TcpRun {
            handshake_complete: c.handshake_complete,
            syns: f.syns,
            syn_frame: f.syn_frame,
            last_syn_frame: f.last_syn_frame,
            synack_frame: f.synack_frame,
            ack_frame: f.ack_frame,
            refused: f.refused || c.zeek_state == "REJ",
            teardown_complete: c.teardown_complete,
            first_fin_by: c.first_fin_by,
            fin_frames: f.fin_frames,
            rst: f.rst.map(|(n, _)| n),
            rst_by: c.first_rst_by,
            gap: f.order.iter().any(|o| o.gap || !o.held.is_empty()),
        });
        Some(Run {
            proto: c.proto,
            number,
            stream: c.stream,
            client: c.client,
            server: c.server,
            request,
            request_text: !f.request.invalid_utf8,
            reply,
            judged,
            icmp: f.icmp,
            tcp,
            extra_turns: f.extra_turns,
            first_frame: c.first_frame,
            last_frame: c.last_frame.max(f.last_frame),
            start: c.start,
            end: c.end,
        })
    }

    /// For a conversation that carried another run's reply: that run's client and server.
    pub fn stray_of(&self, c: &Conversation) -> Option<(Endpoint, Endpoint)> {
        let f = self.followed.get(&(c.proto, c.stream))?;
        let run = self.followed.get(f.linked_to.as_ref()?)?;
        Some((run.client, run.server))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Udp;

    /// A UDP datagram on 127.0.0.1 between these ports.
    fn datagram(src_port: u16, dst_port: u16, payload: &'static [u8]) -> Packet<'static> {
        use crate::explain::note::tests::{eth, ipv4};
        Packet {
            link: eth(),
            net: ipv4(17),
            transport: Transport::Udp(Udp {
                src_port,
                dst_port,
                length: 8 + payload.len() as u16,
                checksum: 0,
                payload_len: payload.len() as u32,
            }),
            payload,
            ..Packet::default()
        }
    }

    fn facts(stream: u64, dir: Direction, opens: bool) -> Facts {
        Facts {
            stream: Some(stream),
            proto: Some(Proto::Udp),
            direction: Some(dir),
            opens_conversation: opens,
            ..Facts::default()
        }
    }

    /// What the observer says of each frame of a fixture, by frame number.
    fn words_of_fixture(name: &str) -> Vec<(u64, Words)> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name);
        let mut o = Observer::new(Scope::Auto);
        let mut out = Vec::new();
        crate::explain::each_tracked_frame(&path, |frame, packet, facts| {
            out.push((
                frame.number,
                o.observe(frame.number, frame.ts, packet, facts),
            ));
        });
        out
    }

    #[test]
    fn test_request_and_reply_in_two_segments_each_segment_a_part() {
        // lab_tcp_multibyte.pcap: 2,100 bytes each way, in segments of 1448 and 652.
        let words = words_of_fixture("lab_tcp_multibyte.pcap");
        let part = |n: u64| {
            words.iter().find_map(|(f, w)| match w {
                Words::Part(p) if *f == n => Some(*p),
                _ => None,
            })
        };
        let (q1, q2, r1, r2) = (part(4), part(6), part(8), part(10));
        assert_eq!(
            q1.map(|p| (p.reply, p.number, p.first, p.last, p.more)),
            Some((false, 1, 1, 1448, true))
        );
        assert_eq!(
            q2.map(|p| (p.reply, p.number, p.first, p.last, p.more)),
            Some((false, 2, 1449, 2100, false))
        );
        assert_eq!(
            r1.map(|p| (p.reply, p.number, p.first, p.last, p.expected, p.judged)),
            Some((true, 1, 1, 1448, Some(2100), None))
        );
        assert_eq!(
            r2.map(|p| (p.number, p.first, p.last, p.judged)),
            Some((2, 1449, 2100, Some(Comparison::Uppercase)))
        );
    }

    #[test]
    fn test_partial_reply_then_rst_reset_unread_judged() {
        // lab_tcp_3000.pcap: the uppercase of the first 1024 of 3000 bytes, then the RST.
        let words = words_of_fixture("lab_tcp_3000.pcap");
        let at = |n: u64| words.iter().find(|(f, _)| *f == n).map(|(_, w)| w.clone());
        assert!(
            matches!(
                at(6),
                Some(Words::Part(Part {
                    reply: true,
                    expected: Some(3000),
                    judged: None,
                    ..
                }))
            ),
            "{:?}",
            at(6)
        );
        assert_eq!(
            at(9),
            Some(Words::ResetUnread {
                unread: 1976,
                judged: Comparison::Partial { of: 1024 },
                request_len: 3000
            })
        );
    }

    #[test]
    fn test_followed_conversations_bounded() {
        let mut o = Observer::new(Scope::Auto);
        let extra = 10u64;
        for i in 0..(MAX_FOLLOWED as u64 + extra) {
            let port = 10_000 + u16::try_from(i % 50_000).unwrap_or(0);
            let p = datagram(port, 23_000, b"hello");
            o.observe(
                i + 1,
                Timestamp::default(),
                &p,
                &facts(i, Direction::FromClient, true),
            );
        }
        assert_eq!(o.followed.len(), MAX_FOLLOWED);
        assert_eq!(o.not_followed(), extra);
    }

    #[test]
    fn test_reply_from_new_socket_linked_to_its_run() {
        let mut o = Observer::new(Scope::Auto);
        let t = Timestamp::default();
        o.observe(
            1,
            t,
            &datagram(40_000, 12_000, b"hello"),
            &facts(0, Direction::FromClient, true),
        );
        // The server answers from port 15001: the tracker sees a new conversation.
        let w = o.observe(
            2,
            t,
            &datagram(15_001, 40_000, b"HELLO"),
            &facts(1, Direction::FromClient, true),
        );
        assert!(
            matches!(
                w,
                Words::Stray {
                    request_frame: 1,
                    judged: Some(Comparison::Uppercase),
                    ..
                }
            ),
            "{w:?}"
        );
        assert_eq!(o.run_order(), vec![(Proto::Udp, 0)]);
    }

    #[test]
    fn test_binary_request_never_a_run() {
        let mut o = Observer::new(Scope::Auto);
        let t = Timestamp::default();
        o.observe(
            1,
            t,
            &datagram(40_000, 12_000, b"\x00\x01\x02"),
            &facts(0, Direction::FromClient, true),
        );
        o.observe(
            2,
            t,
            &datagram(12_000, 40_000, b"\x00\x01\x02"),
            &facts(0, Direction::FromServer, false),
        );
        assert!(o.run_order().is_empty());
    }

    #[test]
    fn test_order_retransmission_and_out_of_order() {
        let mut held = 0;
        let mut o = Order::default();
        let mut out = Vec::new();
        o.take(Some(1), 7, b"ghi", &mut out, &mut held); // out of order, held
        o.take(Some(1), 1, b"abc", &mut out, &mut held);
        o.take(Some(1), 1, b"abc", &mut out, &mut held); // retransmission
        o.take(Some(1), 2, b"bcdef", &mut out, &mut held); // overlaps, fills the gap
        assert_eq!(out, b"abcdefghi");
        assert!(!o.gap && o.held.is_empty());
    }

    #[test]
    fn test_order_bounded_holding() {
        let mut held = 0;
        let mut o = Order::default();
        let mut out = Vec::new();
        o.take(None, 1, b"a", &mut out, &mut held);
        for i in 0..(MAX_OUT_OF_ORDER as u32 + 3) {
            o.take(None, 10 + i * 2, b"x", &mut out, &mut held);
        }
        assert!(o.held.len() <= MAX_OUT_OF_ORDER);
        assert!(o.gap);
        assert_eq!(held, 0, "a direction with a gap lets go of what it held");
    }

    #[test]
    fn test_order_held_bytes_bounded_over_all_conversations() {
        // Many directions each holding a segment stop at MAX_HELD_BYTES together.
        let mut held = 0;
        let segment = vec![b'x'; 1400];
        let mut orders: Vec<Order> = Vec::new();
        let mut out = Vec::new();
        for _ in 0..(MAX_HELD_BYTES / 1400 + 100) {
            let mut o = Order::default();
            o.take(None, 1, b"a", &mut out, &mut held);
            o.take(None, 100, &segment, &mut out, &mut held);
            orders.push(o);
        }
        assert!(held <= MAX_HELD_BYTES, "{held} bytes held");
        assert!(
            orders.iter().any(|o| o.gap),
            "past the budget, a direction has a gap"
        );
    }
}
