//! The web's protocols over a capture: which TCP and UDP conversations carry HTTP,
//! TLS, SSH or QUIC (ports, then content checks, as Wireshark's tables and
//! heuristics), and TCP reassembly of their PDUs as Wireshark 4.0 does it in one
//! pass (`tcp_dissect_pdus` and `desegment_len`): a segment in the middle of a
//! PDU is a "TCP segment of a reassembled PDU", the one that completes it carries
//! the message. Facts per frame ([`WebFrame`]); no words. Bounded: see the consts.

use std::collections::HashMap;
use std::net::IpAddr;

use super::http::{self, BodyLength, Chunked, HeadParse, StartLine};
use super::quic::{self, QuicConn, QuicPacket};
use super::ssh::{self, SshFrame, SshSession};
use super::tls::{self, TlsFrame, TlsSession};
use crate::decode::{Packet, TcpFlags, Transport};

/// Most conversations followed at once; past it, new ones are not dissected.
pub const MAX_CONVERSATIONS: usize = 65_536;

/// Most bytes of one PDU kept while it is reassembled (a TLS record is at most
/// 18,437 bytes; an SSH packet in clear, or an HTTP head, rarely more than a few
/// KiB). Past it the PDU is still followed to its end, and its first bytes dissected.
pub const MAX_PDU_BYTES: usize = 64 * 1024;

/// Which protocol a conversation carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebProto {
    /// HTTP/1.x over TCP.
    Http,
    /// TLS over TCP.
    Tls,
    /// SSH over TCP.
    Ssh,
    /// QUIC over UDP.
    Quic,
}

impl WebProto {
    /// The application protocol this is (its names, Zeek's service among them).
    pub fn app(self) -> super::AppProto {
        match self {
            WebProto::Http => super::AppProto::Http,
            WebProto::Tls => super::AppProto::Tls,
            WebProto::Ssh => super::AppProto::Ssh,
            WebProto::Quic => super::AppProto::Quic,
        }
    }
}

/// One HTTP message as a frame shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMessage {
    /// The first line, without its line end.
    pub first_line: String,
    /// `GET`, `POST`, ... for a request.
    pub method: Option<String>,
    /// The request target for a request.
    pub target: Option<String>,
    /// The status code of a response.
    pub status: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
    /// Header lines (name, value), in order.
    pub headers: Vec<(String, String)>,
    /// The Content-Type without parameters, lower case.
    pub content_type: Option<String>,
    /// Bytes of body (after de-chunking: chunk data only).
    pub body_len: u64,
    /// The first bytes of the body (image signatures).
    pub body_start: Vec<u8>,
    /// The whole message is here (false: it continues in later segments).
    pub complete: bool,
    /// Frame number where the message started (its head), when not this one.
    pub started_in: Option<u64>,
    /// The frame was cut by the snap length inside this message.
    pub truncated: bool,
}

/// What a frame of a web conversation is, in Wireshark's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebContent {
    /// A segment inside a PDU that starts earlier and ends later (or a PDU whose
    /// start this frame holds but which it does not complete, when the dissector
    /// wrote nothing first): TCP, Info + `[TCP segment of a reassembled PDU]`.
    Segment,
    /// HTTP messages (the first one names the frame).
    Http(Vec<HttpMessage>),
    /// HTTP data that is no message start and no part of a followed message.
    HttpContinuation,
    /// TLS records.
    Tls(TlsFrame),
    /// SSH banner and packets.
    Ssh(SshFrame),
    /// QUIC packets of one datagram.
    Quic(Vec<QuicPacket>),
}

/// The web facts of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebFrame {
    /// The conversation's protocol.
    pub proto: WebProto,
    /// Sent by the client (the side that did not use the protocol's port).
    pub from_client: bool,
    /// What the frame holds.
    pub content: WebContent,
    /// Nothing was completed in this frame and a PDU waits for more segments:
    /// Wireshark shows the Protocol column as TCP and appends
    /// `[TCP segment of a reassembled PDU]`.
    pub incomplete: bool,
    /// The frame where the PDU completed here began, when earlier.
    pub reassembled_from: Option<u64>,
}

/// A conversation: its endpoints, canonical (smaller first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    a: (IpAddr, u16),
    b: (IpAddr, u16),
    tcp: bool,
}

/// A PDU in progress on one side of a TCP conversation.
#[derive(Debug, Clone)]
enum Pending {
    /// Bytes of a PDU (TLS record, SSH packet or banner, HTTP head): `total` bytes
    /// in all from the start, or `None` to re-dissect with every new segment.
    Bytes {
        total: Option<usize>,
        buf: Vec<u8>,
        /// Bytes of the PDU seen (may pass `buf.len()` past [`MAX_PDU_BYTES`]).
        seen: usize,
        first_frame: u64,
    },
    /// The body of an HTTP message whose head was dissected.
    HttpBody {
        msg: Box<HttpMessage>,
        body: Body,
        first_frame: u64,
    },
}

/// How much of an HTTP body is still to come.
#[derive(Debug, Clone, Copy)]
enum Body {
    Left(u64),
    Chunked(Chunked),
    UntilFin,
}

/// One side of a TCP conversation.
#[derive(Debug, Clone, Default)]
struct Side {
    /// The sequence number after the last byte seen.
    next_seq: Option<u32>,
    pending: Option<Pending>,
    /// Where the pending PDU ends, when its length is known.
    pending_end: Option<u32>,
    /// Bytes of the pending PDU were not captured: it never completes.
    gap: bool,
    /// A segment was cut by the snap length: what follows is dissected only from
    /// the next PDU start.
    lost: bool,
}

/// True when sequence number `a` is at or after `b` (RFC 9293 arithmetic).
fn seq_at_or_after(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) < 1 << 31
}

/// HTTP requests not answered yet, oldest first: true for HEAD, whose response has
/// no body whatever its Content-Length says (at most [`MAX_PIPELINED`] kept).
type HeadRequests = std::collections::VecDeque<bool>;

/// Requests remembered per HTTP conversation while their responses are awaited.
pub const MAX_PIPELINED: usize = 64;

#[derive(Debug, Clone)]
enum State {
    Http(Box<HeadRequests>),
    Tls(Box<TlsSession>),
    Ssh(Box<SshSession>),
    Quic(Box<QuicConn>),
}

impl State {
    /// The protocol followed.
    fn proto(&self) -> WebProto {
        match self {
            State::Http(_) => WebProto::Http,
            State::Tls(_) => WebProto::Tls,
            State::Ssh(_) => WebProto::Ssh,
            State::Quic(_) => WebProto::Quic,
        }
    }
}

/// One followed conversation.
#[derive(Debug, Clone)]
struct Conv {
    /// The server's endpoint.
    server: (IpAddr, u16),
    state: State,
    sides: [Side; 2],
    /// HTTP: the whole messages seen, briefly ("GET /", "200 OK"), at most
    /// [`MAX_HTTP_LOG`], and how many in all.
    http_log: Vec<String>,
    http_count: u32,
}

/// HTTP messages of one conversation kept for its verdict.
pub const MAX_HTTP_LOG: usize = 6;

/// What has been learnt of one conversation, for verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebSummary {
    /// HTTP: the first whole messages, briefly ("GET /", "200 OK"), and how many in all.
    Http(Vec<String>, u32),
    /// TLS.
    Tls(Box<TlsSession>),
    /// SSH.
    Ssh(Box<SshSession>),
    /// QUIC.
    Quic(Box<QuicConn>),
}

/// Follows the web conversations of a capture, frame by frame in capture order.
#[derive(Debug, Default)]
pub struct WebDissector {
    convs: HashMap<Key, Conv>,
    /// TCP conversations found by content (not by port): while there are none, a TCP
    /// segment on other ports costs no lookup (it cannot be in `convs`).
    tcp_by_content: usize,
    /// QUIC conversations followed: while there are none, a UDP datagram costs no lookup.
    udp_convs: usize,
}

/// The web protocol Wireshark gives TCP `port`, if any (the application port table's
/// choice, [`super::by_port`]).
fn tcp_port_proto(port: u16) -> Option<WebProto> {
    match super::by_port(super::L4::Tcp, port)? {
        super::AppProto::Http => Some(WebProto::Http),
        super::AppProto::Tls => Some(WebProto::Tls),
        super::AppProto::Ssh => Some(WebProto::Ssh),
        _ => None,
    }
}

/// The protocol the first bytes of a TCP conversation's data look like.
fn tcp_content_proto(payload: &[u8]) -> Option<WebProto> {
    if http::starts_message(payload) && mentions_http_version(payload) {
        Some(WebProto::Http)
    } else if ssh::is_banner(payload) {
        Some(WebProto::Ssh)
    } else if tls::looks_like_record(payload)
        && payload.first() == Some(&tls::content::HANDSHAKE)
        && payload.get(5) == Some(&tls::handshake::CLIENT_HELLO)
    {
        Some(WebProto::Tls)
    } else {
        None
    }
}

/// True when `payload` holds ` HTTP/` or `HTTP/1` somewhere (a request line's version).
/// `memmem` looks for `HTTP/` many bytes at a time: this runs on every TCP payload that
/// starts with a method's word, on any port.
fn mentions_http_version(payload: &[u8]) -> bool {
    memchr::memmem::find_iter(payload, b"HTTP/")
        .any(|i| (i > 0 && payload.get(i - 1) == Some(&b' ')) || payload.get(i + 5) == Some(&b'1'))
}

impl WebDissector {
    /// A dissector that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Conversations followed now.
    pub fn conversation_count(&self) -> usize {
        self.convs.len()
    }

    /// The web facts of one frame (`None` for frames of other protocols). Frames
    /// must come in capture order; `number` is the frame number.
    pub fn dissect(&mut self, number: u64, packet: &Packet<'_>) -> Option<WebFrame> {
        let (src, dst) = (packet.src_ip()?, packet.dst_ip()?);
        match &packet.transport {
            Transport::Tcp(t) if !t.short => {
                let fin = t.flags.has(TcpFlags::FIN);
                if (packet.payload.is_empty() && !fin)
                    || packet.payload == [0]
                    || t.flags.has(TcpFlags::RST)
                {
                    // nothing to dissect; one zero byte is a keep-alive probe, and the
                    // data of a reset is a diagnostic: Wireshark hands neither to the
                    // application's dissector
                    return None;
                }
                let key = key(src, t.src_port, dst, t.dst_port, true);
                let by_port = tcp_port_proto(t.dst_port)
                    .map(|p| (p, (dst, t.dst_port)))
                    .or_else(|| tcp_port_proto(t.src_port).map(|p| (p, (src, t.src_port))));
                // A conversation is followed by port or by content: on other ports, with
                // none found by content, this one is not followed (no lookup needed).
                let followed =
                    (by_port.is_some() || self.tcp_by_content > 0) && self.convs.contains_key(&key);
                if !followed {
                    if packet.payload.is_empty() {
                        return None;
                    }
                    let (proto, server, by_content) = match by_port {
                        Some((p, server)) => (p, server, false),
                        None => {
                            let p = tcp_content_proto(packet.payload)?;
                            // the first data comes from the client, except SSH's
                            // banner, which the server usually sends first
                            (p, (dst, t.dst_port), true)
                        }
                    };
                    if self.convs.len() >= MAX_CONVERSATIONS {
                        return None;
                    }
                    let state = match proto {
                        WebProto::Http => State::Http(Box::default()),
                        WebProto::Tls => State::Tls(Box::default()),
                        WebProto::Ssh => State::Ssh(Box::default()),
                        WebProto::Quic => return None,
                    };
                    self.tcp_by_content += usize::from(by_content);
                    self.convs.insert(
                        key,
                        Conv {
                            server,
                            state,
                            sides: Default::default(),
                            http_log: Vec::new(),
                            http_count: 0,
                        },
                    );
                }
                let conv = self.convs.get_mut(&key)?;
                let from_client = (src, t.src_port) != conv.server;
                let truncated = u32::try_from(packet.payload.len()).ok() != Some(t.payload_len);
                conv.tcp(&Seg {
                    number,
                    from_client,
                    seq: t.seq,
                    payload: packet.payload,
                    fin,
                    truncated,
                })
            }
            Transport::Udp(u) => {
                let key = key(src, u.src_port, dst, u.dst_port, false);
                if self.udp_convs == 0 || !self.convs.contains_key(&key) {
                    if !quic::is_gquic(packet.payload)
                        && !quic::looks_like_long_header(packet.payload)
                    {
                        // a short header can only be read in a followed connection
                        return None;
                    }
                    if self.convs.len() >= MAX_CONVERSATIONS {
                        return None;
                    }
                    let server = if u.src_port == quic::UDP_PORT && u.dst_port != quic::UDP_PORT {
                        (src, u.src_port)
                    } else {
                        (dst, u.dst_port)
                    };
                    self.udp_convs += 1;
                    self.convs.insert(
                        key,
                        Conv {
                            server,
                            state: State::Quic(Box::default()),
                            sides: Default::default(),
                            http_log: Vec::new(),
                            http_count: 0,
                        },
                    );
                }
                let conv = self.convs.get_mut(&key)?;
                let from_client = (src, u.src_port) != conv.server;
                let State::Quic(q) = &mut conv.state else {
                    return None;
                };
                let packets = q.dissect(packet.payload, from_client);
                if packets.is_empty() {
                    return None;
                }
                Some(WebFrame {
                    proto: WebProto::Quic,
                    from_client,
                    content: WebContent::Quic(packets),
                    incomplete: false,
                    reassembled_from: None,
                })
            }
            _ => None,
        }
    }

    /// What the conversation between `client` and `server` has shown, when followed.
    pub fn summary(
        &self,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        tcp: bool,
    ) -> Option<WebSummary> {
        let k = key(client.0, client.1, server.0, server.1, tcp);
        let c = self.convs.get(&k)?;
        Some(match &c.state {
            State::Http(_) => WebSummary::Http(c.http_log.clone(), c.http_count),
            State::Tls(t) => WebSummary::Tls(t.clone()),
            State::Ssh(s) => WebSummary::Ssh(s.clone()),
            State::Quic(q) => WebSummary::Quic(q.clone()),
        })
    }

    /// The protocol of the conversation between `client` and `server`, when it is
    /// followed (found by its port or, on another port, by its content).
    pub fn proto_of(
        &self,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        tcp: bool,
    ) -> Option<WebProto> {
        let k = key(client.0, client.1, server.0, server.1, tcp);
        Some(self.convs.get(&k)?.state.proto())
    }

    /// What each followed conversation has learnt, by its endpoints (client first).
    pub fn summaries(
        &self,
    ) -> impl Iterator<Item = ((IpAddr, u16), (IpAddr, u16), WebSummary)> + '_ {
        self.convs.iter().map(|(k, c)| {
            let client = if k.a == c.server { k.b } else { k.a };
            let s = match &c.state {
                State::Http(_) => WebSummary::Http(c.http_log.clone(), c.http_count),
                State::Tls(t) => WebSummary::Tls(t.clone()),
                State::Ssh(s) => WebSummary::Ssh(s.clone()),
                State::Quic(q) => WebSummary::Quic(q.clone()),
            };
            (client, c.server, s)
        })
    }
}

/// The canonical key of a conversation.
fn key(a: IpAddr, ap: u16, b: IpAddr, bp: u16, tcp: bool) -> Key {
    if (a, ap) <= (b, bp) {
        Key {
            a: (a, ap),
            b: (b, bp),
            tcp,
        }
    } else {
        Key {
            a: (b, bp),
            b: (a, ap),
            tcp,
        }
    }
}

/// What a dissector made of some bytes.
struct Dissected {
    /// Bytes used by whole PDUs.
    used: usize,
    /// The PDU starting at `used` is incomplete: what it waits for.
    pending: Option<Pending>,
}

/// One TCP segment as the reassembly sees it.
#[derive(Debug, Clone, Copy)]
struct Seg<'p> {
    number: u64,
    from_client: bool,
    seq: u32,
    payload: &'p [u8],
    fin: bool,
    truncated: bool,
}

impl Conv {
    /// One TCP segment of this conversation.
    fn tcp(&mut self, seg: &Seg<'_>) -> Option<WebFrame> {
        let (from_client, seq, payload) = (seg.from_client, seg.seq, seg.payload);
        let truncated = seg.truncated;
        let s = usize::from(!from_client);
        let len = u32::try_from(payload.len()).ok()?;
        let seg_end = seq.wrapping_add(len);
        let side = self.sides.get_mut(s)?;
        if !payload.is_empty()
            && let (Some(end), Some(next)) = (side.pending_end, side.next_seq)
        {
            if seq_at_or_after(seq, end) {
                // the PDU in progress ended before this segment (bytes were lost)
                side.pending = None;
                side.pending_end = None;
                side.gap = false;
            } else if seq != next && seq_at_or_after(seq, next) {
                side.gap = true;
            }
        }
        if side.gap && side.pending.is_some() && !payload.is_empty() {
            side.next_seq = Some(seg_end);
            return Some(WebFrame {
                proto: self.proto(),
                from_client,
                content: WebContent::Segment,
                incomplete: true,
                reassembled_from: None,
            });
        }
        if side.lost && !payload.is_empty() {
            let starts = match self.state {
                State::Http(_) => http::starts_message(payload),
                State::Tls(_) => tls::looks_like_record(payload),
                State::Ssh(_) => false,
                State::Quic(_) => false,
            };
            if !starts {
                side.next_seq = Some(seg_end);
                return None;
            }
            side.lost = false;
        }
        let frame = self.tcp_inner(seg);
        if let Some(WebFrame {
            content: WebContent::Http(msgs),
            ..
        }) = &frame
        {
            for m in msgs.iter().filter(|m| m.complete) {
                self.http_count = self.http_count.saturating_add(1);
                if self.http_log.len() < MAX_HTTP_LOG {
                    self.http_log.push(brief(m));
                }
            }
        }
        let side = self.sides.get_mut(s)?;
        side.lost |= truncated;
        side.pending_end = match &side.pending {
            Some(Pending::Bytes {
                total: Some(t),
                seen,
                ..
            }) => u32::try_from(t.saturating_sub(*seen))
                .ok()
                .map(|r| seg_end.wrapping_add(r)),
            Some(Pending::HttpBody {
                body: Body::Left(left),
                ..
            }) => u32::try_from(*left).ok().map(|r| seg_end.wrapping_add(r)),
            _ => None,
        };
        if side.pending.is_none() {
            side.gap = false;
        }
        frame
    }

    /// The protocol of this conversation.
    fn proto(&self) -> WebProto {
        match self.state {
            State::Http(_) => WebProto::Http,
            State::Tls(_) => WebProto::Tls,
            State::Ssh(_) => WebProto::Ssh,
            State::Quic(_) => WebProto::Quic,
        }
    }

    /// [`Conv::tcp`] once lost bytes are accounted for.
    fn tcp_inner(&mut self, seg: &Seg<'_>) -> Option<WebFrame> {
        let Seg {
            number,
            from_client,
            seq,
            payload,
            fin,
            truncated,
        } = *seg;
        let s = usize::from(!from_client);
        let proto = match self.state {
            State::Http(_) => WebProto::Http,
            State::Tls(_) => WebProto::Tls,
            State::Ssh(_) => WebProto::Ssh,
            State::Quic(_) => return None,
        };
        let frame = |content, incomplete, reassembled_from| WebFrame {
            proto,
            from_client,
            content,
            incomplete,
            reassembled_from,
        };
        let side = self.sides.get_mut(s)?;
        if payload.is_empty() {
            // a FIN without data ends only a body that runs until the close
            let Some(Pending::HttpBody {
                mut msg,
                body: Body::UntilFin,
                first_frame,
            }) = side.pending.take()
            else {
                return None;
            };
            msg.complete = true;
            msg.started_in = (first_frame != number).then_some(first_frame);
            let from = msg.started_in;
            return Some(frame(WebContent::Http(vec![*msg]), false, from));
        }
        let len = u32::try_from(payload.len()).ok()?;
        // old data (a retransmission): Wireshark does not hand it to the dissector
        let mut data = payload;
        if let Some(next) = side.next_seq {
            let behind = next.wrapping_sub(seq);
            if behind != 0 && behind < 1 << 31 {
                if behind >= len {
                    return None;
                }
                data = payload.get(usize::try_from(behind).ok()?..)?;
            }
        }
        let end = seq.wrapping_add(len);
        if side.next_seq.is_none_or(|n| end.wrapping_sub(n) < 1 << 31) {
            side.next_seq = Some(end);
        }
        let mut out = Output::new(proto);
        let mut reassembled_from = None;
        // a PDU in progress takes the segment's bytes first
        match side.pending.take() {
            None => {}
            Some(Pending::Bytes {
                total,
                mut buf,
                seen,
                first_frame,
            }) => {
                let need = total.map(|t| t.saturating_sub(seen));
                let take = need.map_or(data.len(), |n| n.min(data.len()));
                let (head, rest) = data.split_at(take);
                let room = MAX_PDU_BYTES.saturating_sub(buf.len());
                buf.extend_from_slice(head.get(..room.min(head.len())).unwrap_or(&[]));
                let seen = seen + take;
                if total.is_some_and(|t| seen < t) {
                    side.pending = Some(Pending::Bytes {
                        total,
                        buf,
                        seen,
                        first_frame,
                    });
                    return Some(frame(WebContent::Segment, true, None));
                }
                let capped = seen > buf.len();
                // complete, or (one more segment) dissected again with it
                let mut d =
                    self.state
                        .dissect(&buf, from_client, fin && rest.is_empty(), number, &mut out);
                if capped {
                    d.pending = None;
                }
                let side = self.sides.get_mut(s)?;
                match d.pending {
                    Some(p) if d.used == 0 => {
                        // nothing completed: the PDU keeps its first frame
                        side.pending = Some(match p {
                            Pending::Bytes {
                                total, buf, seen, ..
                            } => Pending::Bytes {
                                total,
                                buf,
                                seen,
                                first_frame,
                            },
                            Pending::HttpBody { msg, body, .. } => Pending::HttpBody {
                                msg,
                                body,
                                first_frame,
                            },
                        });
                        return Some(frame(out.incomplete_content(), true, None));
                    }
                    Some(p) => {
                        side.pending = Some(p);
                        append(side, rest);
                        return Some(frame(out.content(), false, Some(first_frame)));
                    }
                    None => {}
                }
                reassembled_from = (first_frame != number).then_some(first_frame);
                data = rest;
            }
            Some(Pending::HttpBody {
                mut msg,
                body,
                first_frame,
            }) => {
                let (used, body, done) = feed_body(body, &mut msg, data, fin);
                if !done {
                    let shown = match body {
                        // Wireshark dissects a chunked message again with each segment
                        Body::Chunked(_) => {
                            let mut m = (*msg).clone();
                            m.complete = false;
                            WebContent::Http(vec![m])
                        }
                        _ => WebContent::Segment,
                    };
                    side.pending = Some(Pending::HttpBody {
                        msg,
                        body,
                        first_frame,
                    });
                    return Some(frame(shown, true, None));
                }
                msg.complete = true;
                msg.started_in = (first_frame != number).then_some(first_frame);
                reassembled_from = msg.started_in;
                out.http.push(*msg);
                data = data.get(used..).unwrap_or(&[]);
            }
        }
        if !data.is_empty() {
            let mut d = self.state.dissect(data, from_client, fin, number, &mut out);
            if truncated {
                // bytes missing from the capture: Wireshark does not wait for them,
                // and shows the message it has as it is
                d.pending = None;
                for m in &mut out.http {
                    if !m.complete {
                        m.complete = true;
                        m.truncated = true;
                    }
                }
            }
            if let Some(p) = d.pending {
                self.sides.get_mut(s)?.pending = Some(p);
                if !out.completed() {
                    return Some(frame(out.incomplete_content(), true, None));
                }
            }
        }
        if !out.completed() {
            return None;
        }
        Some(frame(out.content(), false, reassembled_from))
    }
}

/// Appends bytes to a side's pending PDU.
fn append(side: &mut Side, bytes: &[u8]) {
    if let Some(Pending::Bytes { buf, seen, .. }) = &mut side.pending {
        let room = MAX_PDU_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
        *seen += bytes.len();
    }
}

/// Feeds body bytes to an HTTP message; returns the bytes used, the new body state
/// and whether the body is complete.
fn feed_body(body: Body, msg: &mut HttpMessage, data: &[u8], fin: bool) -> (usize, Body, bool) {
    let keep = |msg: &mut HttpMessage, bytes: &[u8]| {
        let room = 16usize.saturating_sub(msg.body_start.len());
        msg.body_start
            .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
    };
    match body {
        Body::Left(left) => {
            let n = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
            keep(msg, data.get(..n).unwrap_or(&[]));
            msg.body_len += u64::try_from(n).unwrap_or(0);
            let left = left - u64::try_from(n).unwrap_or(0);
            (n, Body::Left(left), left == 0)
        }
        Body::Chunked(mut c) => {
            let before = c.data_len;
            let n = c.feed(data);
            msg.body_len += c.data_len - before;
            if msg.body_start.is_empty() {
                // the first data bytes of the first chunk, approximately: after its size line
                if let Some(p) = data.iter().position(|b| *b == b'\n') {
                    keep(msg, data.get(p + 1..).unwrap_or(&[]));
                }
            }
            let done = c.is_done() || c.is_broken() || fin;
            (n, Body::Chunked(c), done)
        }
        Body::UntilFin => {
            keep(msg, data);
            msg.body_len += u64::try_from(data.len()).unwrap_or(0);
            (data.len(), Body::UntilFin, fin)
        }
    }
}

/// What one frame's dissection gathers.
struct Output {
    proto: WebProto,
    http: Vec<HttpMessage>,
    continuation: bool,
    tls: TlsFrame,
    ssh: SshFrame,
}

impl Output {
    fn new(proto: WebProto) -> Self {
        Output {
            proto,
            http: Vec::new(),
            continuation: false,
            tls: TlsFrame::default(),
            ssh: SshFrame::default(),
        }
    }
    /// Something was completed (a whole message or record, or continuation data).
    fn completed(&self) -> bool {
        self.http.iter().any(|m| m.complete)
            || self.continuation
            || !self.tls.items.is_empty()
            || !self.ssh.items.is_empty()
    }
    /// The content of a frame that completed nothing: HTTP's first line when it
    /// wrote one; SSH's empty Info (it clears the column); else a plain segment.
    fn incomplete_content(self) -> WebContent {
        match self.proto {
            WebProto::Http if !self.http.is_empty() => WebContent::Http(self.http),
            WebProto::Ssh => WebContent::Ssh(self.ssh),
            _ => WebContent::Segment,
        }
    }
    fn content(self) -> WebContent {
        match self.proto {
            WebProto::Http if self.http.is_empty() && self.continuation => {
                WebContent::HttpContinuation
            }
            WebProto::Http => WebContent::Http(self.http),
            WebProto::Tls => WebContent::Tls(self.tls),
            WebProto::Ssh => WebContent::Ssh(self.ssh),
            WebProto::Quic => WebContent::Segment,
        }
    }
}

impl State {
    /// Dissects the PDUs at the start of `data`.
    fn dissect(
        &mut self,
        data: &[u8],
        from_client: bool,
        fin: bool,
        number: u64,
        out: &mut Output,
    ) -> Dissected {
        match self {
            State::Tls(t) => {
                let (used, need) = t.dissect(data, from_client, &mut out.tls);
                Dissected {
                    used,
                    pending: need.map(|total| {
                        pending_bytes(data.get(used..).unwrap_or(&[]), Some(total), number)
                    }),
                }
            }
            State::Ssh(sess) => {
                let (used, need) = sess.dissect(data, !from_client, &mut out.ssh);
                Dissected {
                    used,
                    pending: need.map(|total| {
                        pending_bytes(data.get(used..).unwrap_or(&[]), Some(total), number)
                    }),
                }
            }
            State::Http(heads) => http_messages(data, fin, number, heads, out),
            State::Quic(_) => Dissected {
                used: data.len(),
                pending: None,
            },
        }
    }
}

/// A pending PDU of the bytes seen so far.
fn pending_bytes(rest: &[u8], total: Option<usize>, number: u64) -> Pending {
    Pending::Bytes {
        total,
        buf: rest
            .get(..MAX_PDU_BYTES.min(rest.len()))
            .unwrap_or(&[])
            .to_vec(),
        seen: rest.len(),
        first_frame: number,
    }
}

/// The HTTP messages at the start of `data` (Wireshark's `dissect_http` loop).
fn http_messages(
    data: &[u8],
    fin: bool,
    number: u64,
    heads: &mut HeadRequests,
    out: &mut Output,
) -> Dissected {
    let mut used = 0usize;
    loop {
        let rest = data.get(used..).unwrap_or(&[]);
        if rest.is_empty() {
            return Dissected {
                used,
                pending: None,
            };
        }
        if !http::starts_message(rest) {
            if used == 0 {
                out.continuation = true;
            }
            return Dissected {
                used: data.len(),
                pending: None,
            };
        }
        match http::parse_head(rest) {
            HeadParse::Invalid => {
                if used == 0 {
                    out.continuation = true;
                }
                return Dissected {
                    used: data.len(),
                    pending: None,
                };
            }
            HeadParse::Partial => {
                if rest.len() > http::MAX_HEAD_BYTES {
                    return Dissected {
                        used: data.len(),
                        pending: None,
                    };
                }
                // Wireshark has written the first line before asking for more
                out.http.push(partial_message(rest));
                return Dissected {
                    used,
                    pending: Some(pending_bytes(rest, None, number)),
                };
            }
            HeadParse::Complete(head) => {
                let mut msg = message_of(&head);
                let body_data = rest.get(head.len..).unwrap_or(&[]);
                let head_response = match &head.start {
                    StartLine::Request { method, .. } => {
                        if heads.len() < MAX_PIPELINED {
                            heads.push_back(*method == "HEAD");
                        }
                        false
                    }
                    StartLine::Response { code, .. } if *code >= 200 => {
                        heads.pop_front().unwrap_or(false)
                    }
                    StartLine::Response { .. } => false,
                };
                let body = match head.body {
                    _ if head_response => None,
                    BodyLength::None => None,
                    BodyLength::Length(0) => None,
                    BodyLength::Length(n) => Some(Body::Left(n)),
                    BodyLength::Chunked => Some(Body::Chunked(Chunked::default())),
                    BodyLength::UntilClose => Some(Body::UntilFin),
                };
                let Some(body) = body else {
                    msg.complete = true;
                    out.http.push(msg);
                    used += head.len;
                    continue;
                };
                let (n, body, done) = feed_body(body, &mut msg, body_data, fin);
                if done {
                    msg.complete = true;
                    out.http.push(msg);
                    used += head.len + n;
                    continue;
                }
                // the body continues in later segments; the first line is written
                if used == 0 {
                    out.http.push(msg.clone());
                }
                return Dissected {
                    used,
                    pending: Some(Pending::HttpBody {
                        msg: Box::new(msg),
                        body,
                        first_frame: number,
                    }),
                };
            }
        }
    }
}

/// A message in a few words: "GET /index.html", "200 OK".
fn brief(m: &HttpMessage) -> String {
    match (&m.method, &m.target, m.status) {
        (Some(me), Some(t), _) => {
            // a long target (a query string) cut to 60 characters
            match t.char_indices().nth(60) {
                Some((at, _)) => format!("{me} {}…", t.get(..at).unwrap_or(t)),
                None => format!("{me} {t}"),
            }
        }
        (_, _, Some(c)) => format!("{c} {}", m.reason.as_deref().unwrap_or(""))
            .trim_end()
            .to_string(),
        _ => m.first_line.clone(),
    }
}

/// The message of a head whose end has not come: its first line only.
fn partial_message(rest: &[u8]) -> HttpMessage {
    HttpMessage {
        first_line: String::from_utf8_lossy(http::first_line(rest)).into_owned(),
        method: None,
        target: None,
        status: None,
        reason: None,
        headers: Vec::new(),
        content_type: None,
        body_len: 0,
        body_start: Vec::new(),
        complete: false,
        started_in: None,
        truncated: false,
    }
}

/// The message of a whole head (body still to count).
fn message_of(head: &http::Head<'_>) -> HttpMessage {
    let (method, target, status, reason) = match &head.start {
        StartLine::Request { method, target, .. } => (
            Some(method.to_string()),
            Some(target.to_string()),
            None,
            None,
        ),
        StartLine::Response { code, reason, .. } => {
            (None, None, Some(*code), Some(reason.to_string()))
        }
    };
    HttpMessage {
        first_line: String::from_utf8_lossy(head.first_line).into_owned(),
        method,
        target,
        status,
        reason,
        headers: head
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
        content_type: head.content_type.map(str::to_ascii_lowercase),
        body_len: 0,
        body_start: Vec::new(),
        complete: false,
        started_in: None,
        truncated: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mentions_http_version_as_six_byte_windows() {
        let windows = |p: &[u8]| p.windows(6).any(|w| w == b" HTTP/" || w == b"HTTP/1");
        for p in [
            &b""[..],
            b"HTTP/",
            b"HTTP/1",
            b" HTTP/",
            b"GET / HTTP/1.1",
            b"GET / HTTP/2",
            b"GET /HTTP/2",
            b"xHTTP/2",
            b"HHTTP/1",
            b"HTTP",
            b"GET / http/1.1",
        ] {
            assert_eq!(mentions_http_version(p), windows(p), "{p:?}");
        }
    }

    #[test]
    fn test_tcp_port_proto_is_the_port_table() {
        assert_eq!(tcp_port_proto(80), Some(WebProto::Http));
        assert_eq!(tcp_port_proto(8443), Some(WebProto::Tls));
        assert_eq!(tcp_port_proto(22), Some(WebProto::Ssh));
        assert_eq!(tcp_port_proto(53), None);
        assert_eq!(tcp_port_proto(23456), None);
    }
}
