//! The Markdown lab report (`--view report [-o FILE.md]`): the timeline as a Markdown
//! table, the flow diagram, the conversations, the lab checks and the answers to the
//! classic Wireshark lab questions, each with the frame that shows it. Bounded: at most
//! [`MAX_TIMELINE`] timeline rows, the flow's own caps, the first 256 payload bytes of a
//! few key frames of at most [`MAX_ANSWER_CANDIDATES`] conversations per protocol. The
//! answers are about the lab model's first run of each protocol (the first conversation
//! when there is no lab run at all); the report judges nothing itself.

use std::io::{self, Write};
use std::path::PathBuf;

use super::common::{millis, seconds};
use super::conversations::{HEADER, PAIR_HEADER, Pairing, cells, pair_cells};
use super::flow::{self, FlowData};
use super::timeline::endpoint;
use super::{ConversationRow, Row, View};
use crate::decode::{Net, TcpFlags, TcpOption};
use crate::explain::lab::LabModel;
use crate::fmt::push_date_time;
use crate::source::Timestamp;
use crate::text::{Style, escape, markdown};
use crate::track::{Direction, Endpoint, Proto};

/// Timeline rows written to the report.
pub const MAX_TIMELINE: usize = 500;
/// Conversations listed in the report's table (the rest are counted).
pub const MAX_LISTED: usize = 1000;

/// What the answers need of one UDP datagram.
#[derive(Debug, Clone)]
struct UdpFrame {
    number: u64,
    src: Endpoint,
    dst: Endpoint,
    length: u16,
    checksum: u16,
    payload: Vec<u8>,
    ip: IpInfo,
}

/// The IP header facts the answers quote.
#[derive(Debug, Clone, Copy)]
struct IpInfo {
    v6: bool,
    protocol: u8,
    header_len: u16,
    total_len: u16,
}

#[derive(Debug, Clone)]
struct TcpFrame {
    number: u64,
    ts: Timestamp,
    src: Endpoint,
    dst: Endpoint,
    seq: u32,
    ack: u32,
    rel_seq: u32,
    rel_ack: u32,
    flags: u16,
    len: u32,
    window: u16,
    mss: Option<u16>,
    payload: Vec<u8>,
}

/// Conversations of each protocol whose key frames are kept for the answers: the lab's
/// first run is among them, or the answers are about the first one (see [`Answered`]).
pub const MAX_ANSWER_CANDIDATES: usize = 64;

/// Key frames of a TCP conversation seen from its SYN.
#[derive(Debug, Default)]
struct TcpKey {
    stream: u64,
    /// Its initial RTT, once its conversation row came (None inside: no handshake).
    rtt: Option<Option<i128>>,
    syn: Option<TcpFrame>,
    syn_ack: Option<TcpFrame>,
    ack: Option<TcpFrame>,
    request: Option<TcpFrame>,
    request_ack: Option<TcpFrame>,
    reply: Option<TcpFrame>,
    fin: Option<(TcpFrame, Direction)>,
}

/// Key frames of a UDP conversation.
#[derive(Debug, Default)]
struct UdpKey {
    stream: u64,
    request: Option<UdpFrame>,
    reply: Option<UdpFrame>,
}

/// The report view.
pub struct Report<W: Write> {
    out: W,
    dest: Option<PathBuf>,
    ascii: bool,
    timeline: String,
    rows: usize,
    more_rows: u64,
    first: Option<Timestamp>,
    flow: FlowData,
    pairing: Pairing,
    /// The lab checks section, from the lab model (after the conversations).
    lab_checks: Option<String>,
    tcp: Vec<TcpKey>,
    udp: Vec<UdpKey>,
    /// Which conversations the answers are about, from the lab model.
    answered: Answered,
    /// What the report keeps of the conversations, which come in batches at the end.
    ends: Ends,
}

/// What the report keeps of the conversations as their batches come: counts, the first
/// [`MAX_LISTED`] table rows, the checked conversations, the first TCP one's RTT.
#[derive(Debug, Default)]
struct Ends {
    tcp: u64,
    udp: u64,
    table: String,
    listed: usize,
    not_listed: u64,
}

/// A UDP run's reply from another socket of the server, or to another port of the client.
#[derive(Debug)]
struct StrayReply {
    prefix: Vec<u8>,
    from: Endpoint,
    to: Endpoint,
    frame: u64,
    server: Endpoint,
    client: Endpoint,
}

/// Which conversations the answers are about: the lab's first run of each protocol; the
/// first conversation when the capture holds no lab run at all; none for a protocol
/// without a run in a lab capture (a DNS query beside a UDP lab is no lab exchange).
#[derive(Debug, Default)]
struct Answered {
    /// The model had runs.
    lab: bool,
    udp: Option<u64>,
    tcp: Option<u64>,
    /// The UDP run's reply when it came from another socket or went to another port:
    /// its first bytes, sender, receiver and first frame, and the run's server and client.
    stray_reply: Option<StrayReply>,
}

/// Escapes text for a Markdown table cell ([`markdown`]: inert in Markdown and HTML).
pub fn cell(s: &str) -> String {
    markdown(s)
}

fn md_row(out: &mut String, cells: impl IntoIterator<Item = impl AsRef<str>>) {
    out.push('|');
    for c in cells {
        out.push(' ');
        out.push_str(&cell(c.as_ref()));
        out.push_str(" |");
    }
    out.push('\n');
}

fn md_rule(out: &mut String, right: &[bool]) {
    out.push('|');
    for &r in right {
        out.push_str(if r { "---:|" } else { "---|" });
    }
    out.push('\n');
}

fn ep(e: Endpoint) -> String {
    endpoint(e.ip, e.port)
}

fn ip_info(net: &Net) -> Option<IpInfo> {
    match net {
        Net::Ipv4(h) => Some(IpInfo {
            v6: false,
            protocol: h.protocol,
            header_len: u16::from(h.header_len),
            total_len: h.total_len,
        }),
        Net::Ipv6(h) => Some(IpInfo {
            v6: true,
            protocol: h.protocol,
            header_len: 40,
            total_len: h.payload_len,
        }),
        _ => None,
    }
}

impl<W: Write> Report<W> {
    /// A report written to `dest` (or to `out` when `None`).
    pub fn new(out: W, dest: Option<PathBuf>, ascii: bool, absolute_seq: bool) -> Self {
        let mut timeline = String::new();
        md_row(
            &mut timeline,
            [
                "No.",
                "Time",
                "Source",
                "Destination",
                "Protocol",
                "Length",
                "Info",
                "Note",
            ],
        );
        md_rule(
            &mut timeline,
            &[true, true, false, false, false, true, false, false],
        );
        Report {
            out,
            dest,
            ascii,
            timeline,
            rows: 0,
            more_rows: 0,
            first: None,
            flow: FlowData::new(absolute_seq),
            pairing: Pairing::default(),
            lab_checks: None,
            tcp: Vec::new(),
            udp: Vec::new(),
            answered: Answered::default(),
            ends: Ends::default(),
        }
    }

    fn keep_key_frames(&mut self, row: &Row<'_, '_>) {
        let f = row.facts;
        let (Some(proto), Some(stream), Some(dir), Some(src), Some(dst), Some((sp, dp))) = (
            f.proto,
            f.stream,
            f.direction,
            row.packet.src_ip(),
            row.packet.dst_ip(),
            row.packet.ports(),
        ) else {
            return;
        };
        let src = Endpoint { ip: src, port: sp };
        let dst = Endpoint { ip: dst, port: dp };
        let payload = row
            .packet
            .payload
            .get(..row.packet.payload.len().min(256))
            .unwrap_or_default()
            .to_vec();
        match proto {
            Proto::Udp => {
                let Some(key) = candidate(&mut self.udp, stream, true, |k| &mut k.stream) else {
                    return;
                };
                let (Some(u), Some(ip)) = (row.packet.udp(), ip_info(&row.packet.net)) else {
                    return;
                };
                let uf = UdpFrame {
                    number: row.frame.number,
                    src,
                    dst,
                    length: u.length,
                    checksum: u.checksum,
                    payload,
                    ip,
                };
                match dir {
                    Direction::FromClient if key.request.is_none() => key.request = Some(uf),
                    Direction::FromServer if key.reply.is_none() => key.reply = Some(uf),
                    _ => {}
                }
            }
            // Frames of ICMP and other flows carry no stream facts.
            Proto::Icmp | Proto::Other(_) => {}
            Proto::Tcp => {
                let (Some(t), Some(tf)) = (row.packet.tcp(), f.tcp.as_ref()) else {
                    return;
                };
                // The answers want a conversation seen from its SYN.
                let is_syn = t.flags.has(TcpFlags::SYN) && !t.flags.has(TcpFlags::ACK);
                let Some(k) = candidate(&mut self.tcp, stream, is_syn, |k| &mut k.stream) else {
                    return;
                };
                let mss = t.options.iter().find_map(|o| {
                    if let TcpOption::Mss(m) = o {
                        Some(m)
                    } else {
                        None
                    }
                });
                let tfr = TcpFrame {
                    number: row.frame.number,
                    ts: row.frame.ts,
                    src,
                    dst,
                    seq: t.seq,
                    ack: t.ack,
                    rel_seq: tf.rel_seq,
                    rel_ack: tf.rel_ack,
                    flags: t.flags.0,
                    len: t.payload_len,
                    window: t.window,
                    mss,
                    payload,
                };
                let (syn, ack, fin) = (
                    t.flags.has(TcpFlags::SYN),
                    t.flags.has(TcpFlags::ACK),
                    t.flags.has(TcpFlags::FIN),
                );
                if syn && !ack && k.syn.is_none() {
                    k.syn = Some(tfr);
                } else if syn && ack && k.syn_ack.is_none() {
                    k.syn_ack = Some(tfr);
                } else if tf.handshake_step == Some(3) && k.ack.is_none() {
                    k.ack = Some(tfr);
                } else if t.payload_len > 0 && dir == Direction::FromClient && k.request.is_none() {
                    k.request = Some(tfr);
                } else if t.payload_len > 0 && dir == Direction::FromServer && k.reply.is_none() {
                    k.reply = Some(tfr.clone());
                    if k.request
                        .as_ref()
                        .is_some_and(|r| tf.acks_frame == Some(r.number))
                        && k.request_ack.is_none()
                    {
                        k.request_ack = Some(tfr);
                    }
                } else if dir == Direction::FromServer
                    && k.request
                        .as_ref()
                        .is_some_and(|r| tf.acks_frame == Some(r.number))
                    && k.request_ack.is_none()
                {
                    k.request_ack = Some(tfr.clone());
                    if fin && k.fin.is_none() {
                        k.fin = Some((tfr, dir));
                    }
                } else if fin && k.fin.is_none() {
                    k.fin = Some((tfr, dir));
                }
            }
        }
    }

    fn answers(&self, s: &mut String) {
        let a = &self.answered;
        let pick = |run: Option<u64>, first: Option<u64>| if a.lab { run } else { first };
        let udp_stream = pick(a.udp, self.udp.first().map(|k| k.stream));
        let tcp_stream = pick(a.tcp, self.tcp.first().map(|k| k.stream));
        let none_udp = UdpKey::default();
        let none_tcp = TcpKey::default();
        s.push_str("## Answers to the Wireshark lab questions\n\n");
        let t = |b: &[u8]| markdown(&escape(b, Style::Plain));
        let u = udp_stream
            .and_then(|n| self.udp.iter().find(|k| k.stream == n))
            .unwrap_or(&none_udp);
        if let Some(q) = &u.request {
            s.push_str(&format!("### UDP (stream {})\n\n", u.stream));
            s.push_str(&format!(
                "1. **Client and server.** The client {} sent the request \"{}\" to the server {} (frame {}).\n",
                ep(q.src),
                t(&q.payload),
                ep(q.dst),
                q.number
            ));
            s.push_str(&format!(
                "2. **UDP header fields.** Four fields of 2 bytes each, 8 bytes in all: source port {}, destination port {}, length {}, checksum 0x{:04x} (frame {}).\n",
                q.src.port, q.dst.port, q.length, q.checksum, q.number
            ));
            s.push_str(&format!(
                "3. **The length field** counts the 8 header bytes plus the payload: {} = 8 + {} bytes of \"{}\" (frame {}).\n",
                q.length,
                q.length.saturating_sub(8),
                t(&q.payload),
                q.number
            ));
            let ip = q.ip;
            if ip.v6 {
                s.push_str(&format!(
                    "4. **Protocol number.** The IPv6 Next Header field is {} (0x{:02x}): UDP is protocol 17, 0x11 (frame {}); the IPv6 payload length {} is the whole UDP datagram.\n",
                    ip.protocol, ip.protocol, q.number, ip.total_len
                ));
            } else {
                s.push_str(&format!(
                    "4. **Protocol number.** The IPv4 Protocol field is {} (0x{:02x}): UDP is protocol 17, 0x11 (frame {}); IPv4 total length {} = {} header + {} UDP.\n",
                    ip.protocol,
                    ip.protocol,
                    q.number,
                    ip.total_len,
                    ip.header_len,
                    ip.total_len.saturating_sub(ip.header_len)
                ));
            }
            s.push_str("5. **Largest payload.** The length field is 16 bits, so at most 65,535 − 8 = 65,527 bytes; over IPv4 the 20-byte IP header leaves 65,507. The largest port number is 65,535.\n");
            match (&u.reply, &a.stray_reply) {
                (_, Some(r)) => {
                    let why = if r.from != r.server {
                        format!(
                            "not from the server's port {}: the server answered from a new socket",
                            r.server.port
                        )
                    } else {
                        format!(
                            "not to the client's port {}: the server sent it to another port",
                            r.client.port
                        )
                    };
                    s.push_str(&format!(
                        "6. **The reply** \"{}\" came from {} to {} (frame {}), {why} (see the reply_endpoint check).\n",
                        t(&r.prefix),
                        ep(r.from),
                        ep(r.to),
                        r.frame
                    ));
                }
                (Some(r), None) => s.push_str(&format!(
                    "6. **The reply** \"{}\" came from {} back to {}: its ports are the request's, swapped (frame {}). UDP needs no handshake: the first datagram already carries the data.\n",
                    t(&r.payload),
                    ep(r.src),
                    ep(r.dst),
                    r.number
                )),
                (None, None) => s.push_str("6. **The reply**: none was captured.\n"),
            }
            s.push('\n');
        }
        let k = tcp_stream
            .and_then(|n| self.tcp.iter().find(|k| k.stream == n))
            .unwrap_or(&none_tcp);
        if let Some(syn) = &k.syn {
            s.push_str(&format!("### TCP (stream {})\n\n", k.stream));
            s.push_str(&format!(
                "1. **Client and server.** The client {} connects to the server {} (frame {}).\n",
                ep(syn.src),
                ep(syn.dst),
                syn.number
            ));
            s.push_str(&format!(
                "2. **The SYN.** Its sequence number is {} (the client's initial sequence number, shown as relative 0); it is a SYN because the SYN flag (0x002) is set in the flags and ACK is not (frame {}){}.\n",
                syn.seq,
                syn.number,
                syn.mss.map_or(String::new(), |m| format!("; it also offers MSS {m} and window {}", syn.window))
            ));
            match &k.syn_ack {
                Some(sa) => s.push_str(&format!(
                    "3. **The SYN-ACK.** Sequence number {} (the server's own ISN), acknowledgment number {} = the client's ISN {} + 1, because a SYN uses one sequence number; SYN and ACK (0x012) are both set (frame {}).\n",
                    sa.seq, sa.ack, syn.seq, sa.number
                )),
                None => s.push_str("3. **The SYN-ACK**: none was captured.\n"),
            }
            if let Some(a) = &k.ack {
                s.push_str(&format!("4. **The ACK** that completes the three-way handshake: relative Seq={} Ack={} (frame {}).\n", a.rel_seq, a.rel_ack, a.number));
            }
            if let Some(r) = &k.request {
                s.push_str(&format!(
                    "5. **The request** \"{}\" is in the segment with sequence number {} (relative {}), {} bytes, flags {} (frame {}).\n",
                    t(&r.payload),
                    r.seq,
                    r.rel_seq,
                    r.len,
                    flag_names(r.flags),
                    r.number
                ));
                if let Some(a) = &k.request_ack {
                    s.push_str(&format!(
                        "6. **Its acknowledgment**: Ack={} = {} + {} bytes, {} after it (frame {}): one sample of the round-trip time.\n",
                        a.rel_ack,
                        r.rel_seq,
                        r.len,
                        millis(a.ts.nanos_since(r.ts)),
                        a.number
                    ));
                }
            }
            if let (Some(rtt), Some(ack)) = (k.rtt, &k.ack) {
                match rtt {
                    Some(ns) => s.push_str(&format!(
                        "7. **Initial RTT** (SYN to the handshake's ACK): {} (frames {} to {}).\n",
                        millis(ns),
                        syn.number,
                        ack.number
                    )),
                    None => s.push_str("7. **Initial RTT**: the handshake is incomplete.\n"),
                }
            }
            if let Some(r) = &k.reply {
                s.push_str(&format!(
                    "8. **The reply** \"{}\", {} bytes, comes from {} (frame {}).\n",
                    t(&r.payload),
                    r.len,
                    ep(r.src),
                    r.number
                ));
            }
            if let Some((f, d)) = &k.fin {
                let who = if *d == Direction::FromClient {
                    "client"
                } else {
                    "server"
                };
                s.push_str(&format!("9. **Teardown.** The {who} sends the first FIN (frame {}); each FIN uses one sequence number and is acknowledged with its Seq + 1.\n", f.number));
            }
            s.push('\n');
        }
        if u.request.is_none() && k.syn.is_none() {
            s.push_str(
                "No UDP request and no TCP handshake in this capture: nothing to answer.\n\n",
            );
        }
    }
}

/// The kept key frames of conversation `stream` (`id` reads a key's stream): found, or a
/// new entry when `opens` and fewer than [`MAX_ANSWER_CANDIDATES`] are kept.
fn candidate<K: Default>(
    keys: &mut Vec<K>,
    stream: u64,
    opens: bool,
    id: fn(&mut K) -> &mut u64,
) -> Option<&mut K> {
    match keys.iter_mut().position(|k| *id(k) == stream) {
        Some(i) => keys.get_mut(i),
        None if opens && keys.len() < MAX_ANSWER_CANDIDATES => {
            let mut k = K::default();
            *id(&mut k) = stream;
            keys.push(k);
            keys.last_mut()
        }
        None => None,
    }
}

/// A Markdown code fence longer than any run of backticks in `text` (payload text may hold some).
pub fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat(longest.max(2) + 1)
}

fn flag_names(flags: u16) -> String {
    // The six classic flags the lab questions ask about.
    TcpFlags(flags).names(6).collect::<Vec<_>>().join(", ")
}

impl<W: Write> View for Report<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        self.first.get_or_insert(row.first);
        if self.rows < MAX_TIMELINE {
            self.rows += 1;
            let n = &row.note;
            md_row(
                &mut self.timeline,
                [
                    row.frame.number.to_string(),
                    seconds(row.frame.ts.nanos_since(row.first)),
                    n.source.clone(),
                    n.destination.clone(),
                    n.protocol.clone(),
                    row.frame.orig_len.to_string(),
                    n.info.clone(),
                    n.text.clone(),
                ],
            );
        } else {
            self.more_rows += 1;
        }
        self.flow.add(row);
        self.pairing.add(row);
        self.keep_key_frames(row);
        Ok(())
    }

    /// Takes a batch of conversations: keeps only what the report shows of them.
    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        self.flow.set_verdicts(rows);
        let e = &mut self.ends;
        for r in rows {
            let c = r.conversation;
            let tcp = c.proto == Proto::Tcp;
            if tcp {
                e.tcp += 1;
            } else if c.proto == Proto::Udp {
                e.udp += 1;
            }
            if e.listed < MAX_LISTED {
                e.listed += 1;
                md_row(&mut e.table, cells(r));
            } else {
                e.not_listed += 1;
            }
            if let Some(k) = self.tcp.iter_mut().find(|k| tcp && k.stream == c.stream) {
                k.rtt = Some(c.initial_rtt_ns);
            }
        }
        Ok(())
    }

    /// The same checks as the terminal's "What the lab shows", runs numbered the same.
    fn lab(&mut self, model: &LabModel) -> io::Result<()> {
        let first = |p: Proto| model.runs.iter().find(|r| r.proto == p);
        let udp = first(Proto::Udp);
        self.answered = Answered {
            lab: !model.runs.is_empty(),
            udp: udp.map(|r| r.stream),
            tcp: first(Proto::Tcp).map(|r| r.stream),
            stray_reply: udp.and_then(|r| {
                let reply = r.reply.as_ref()?;
                (reply.from != r.server || reply.to != r.client).then(|| StrayReply {
                    prefix: reply.message.prefix.clone(),
                    from: reply.from,
                    to: reply.to,
                    frame: reply.message.frames.0,
                    server: r.server,
                    client: r.client,
                })
            }),
        };
        let mut s = String::new();
        if model.is_empty() {
            s.push_str("No lab run in this capture.\n");
        }
        if let Some(n) = model.interrupted_after {
            s.push_str(&format!("The lab was interrupted after {n} frames.\n\n"));
        }
        for c in &model.checks {
            s.push_str(&format!(
                "- {} {}\n",
                super::checks::mark(c.result),
                markdown(&c.text)
            ));
        }
        if !model.is_empty() {
            s.push_str(&format!("\n{}.\n", super::checks::summary_line(model)));
        }
        s.push('\n');
        self.lab_checks = Some(s);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut s = String::new();
        s.push_str("# wirelab lab report\n\n");
        let (tcp, udp) = (self.ends.tcp, self.ends.udp);
        let frames = self.rows as u64 + self.more_rows;
        match self.first {
            Some(first) => {
                let mut d = String::new();
                push_date_time(&mut d, first);
                s.push_str(&format!(
                    "{frames} frames from {d} UTC; {tcp} TCP and {udp} UDP conversation(s).\n\n"
                ));
            }
            None => s.push_str("No frames.\n\n"),
        }
        s.push_str("## Timeline\n\n");
        s.push_str(&self.timeline);
        if self.more_rows > 0 {
            s.push_str(&format!(
                "\n… {} more frame(s) not listed (at most {MAX_TIMELINE}).\n",
                self.more_rows
            ));
        }
        s.push_str("\n## Flow diagram\n\n");
        let mut ladder = String::new();
        flow::render(&mut ladder, &self.flow, self.ascii, None);
        let fence = fence_for(&ladder);
        s.push_str(&format!(
            "{fence}text\n{ladder}{fence}\n\n## Conversations\n\n"
        ));
        if self.ends.listed == 0 {
            s.push_str("No TCP or UDP conversation.\n\n");
        } else {
            md_row(&mut s, HEADER);
            md_rule(
                &mut s,
                &[
                    false, false, false, true, true, true, true, true, true, true, false, false,
                    false,
                ],
            );
            s.push_str(&self.ends.table);
            if self.ends.not_listed > 0 {
                s.push_str(&format!(
                    "\n… {} more conversation(s) not listed (at most {MAX_LISTED}).\n",
                    self.ends.not_listed
                ));
            }
            s.push('\n');
        }
        let pairs: Vec<_> = self.pairing.pairs().collect();
        if !pairs.is_empty() {
            s.push_str("### UDP requests and their replies\n\n");
            md_row(&mut s, PAIR_HEADER);
            md_rule(&mut s, &[false, true, true, true, true, true]);
            for (stream, ps, _) in &pairs {
                for p in *ps {
                    md_row(&mut s, pair_cells(*stream, p));
                }
            }
            s.push('\n');
        }
        s.push_str("## Lab checks\n\n");
        match self.lab_checks.take() {
            Some(checks) => s.push_str(&checks),
            None => s.push_str("No lab run in this capture.\n\n"),
        }
        self.answers(&mut s);
        let text = s;
        match &self.dest {
            Some(path) => {
                std::fs::write(path, text.as_bytes()).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "cannot write the report to {}: {e}",
                            crate::text::show_path(path)
                        ),
                    )
                })?;
                writeln!(
                    self.out,
                    "wirelab: report written to {}",
                    crate::text::show_path(path)
                )?;
            }
            None => self.out.write_all(text.as_bytes())?,
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cell_escapes_pipes_and_markup() {
        assert_eq!(
            cell("a|b <script>\nc ![i](u)"),
            "a\\|b &lt;script&gt; c !\\[i\\](u)"
        );
    }

    #[test]
    fn test_fence_longer_than_backticks() {
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
