//! The Markdown lab report (`--view report [-o FILE.md]`): the timeline as a Markdown
//! table, the flow diagram, the conversations, the lab checks and the answers to the
//! classic Wireshark lab questions, each with the frame that shows it. Bounded: at most
//! [`MAX_TIMELINE`] timeline rows, the flow's own caps, payloads of at most
//! [`MAX_CHECKED`] conversations, and a few key frames of the first TCP and UDP conversation.

use std::io::{self, Write};
use std::path::PathBuf;

use super::common::{millis, seconds};
use super::conversations::{HEADER, PAIR_HEADER, Pairing, cells, pair_cells};
use super::flow::{self, FlowData};
use super::timeline::endpoint;
use super::{ConversationRow, Row, View};
use crate::decode::{Net, TcpFlags, TcpOption};
use crate::fmt::push_date_time;
use crate::lab::checks::{self, Collector};
use crate::source::Timestamp;
use crate::text::{Style, escape, markdown};
use crate::track::{Conversation, Direction, Endpoint, Proto};

/// Timeline rows written to the report.
pub const MAX_TIMELINE: usize = 500;
/// Conversations whose payloads are kept for the lab checks.
pub const MAX_CHECKED: usize = 64;
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

/// Key frames of the first TCP conversation.
#[derive(Debug, Default)]
struct TcpKey {
    stream: Option<u64>,
    syn: Option<TcpFrame>,
    syn_ack: Option<TcpFrame>,
    ack: Option<TcpFrame>,
    request: Option<TcpFrame>,
    request_ack: Option<TcpFrame>,
    reply: Option<TcpFrame>,
    fin: Option<(TcpFrame, Direction)>,
}

/// Key frames of the first UDP conversation.
#[derive(Debug, Default)]
struct UdpKey {
    stream: Option<u64>,
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
    collector: Collector,
    checked: Vec<(bool, u64)>,
    tcp: TcpKey,
    udp: UdpKey,
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
    checked: Vec<Conversation>,
    /// The initial RTT of the TCP conversation the answers are about, once seen.
    answered_rtt: Option<Option<i128>>,
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
            collector: Collector::default(),
            checked: Vec::new(),
            tcp: TcpKey::default(),
            udp: UdpKey::default(),
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
                if *self.udp.stream.get_or_insert(stream) != stream {
                    return;
                }
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
                    Direction::FromClient if self.udp.request.is_none() => {
                        self.udp.request = Some(uf)
                    }
                    Direction::FromServer if self.udp.reply.is_none() => self.udp.reply = Some(uf),
                    _ => {}
                }
            }
            Proto::Tcp => {
                let (Some(t), Some(tf)) = (row.packet.tcp(), f.tcp.as_ref()) else {
                    return;
                };
                let is_syn = t.flags.has(TcpFlags::SYN) && !t.flags.has(TcpFlags::ACK);
                if self.tcp.stream.is_none() && !is_syn {
                    return; // the answers want a conversation seen from its SYN
                }
                if *self.tcp.stream.get_or_insert(stream) != stream {
                    return;
                }
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
                let k = &mut self.tcp;
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

    fn checks_section(&mut self) -> Vec<checks::Check> {
        let convs = std::mem::take(&mut self.ends.checked);
        let observed = std::mem::take(&mut self.collector).finish(convs);
        let mut out = Vec::new();
        for proto in [Proto::Udp, Proto::Tcp] {
            let mine: Vec<_> = observed
                .iter()
                .filter(|o| o.conversation.proto == proto)
                .cloned()
                .collect();
            // Each run is checked against its own request (a saved capture does not say what
            // the student typed), without the "N runs expected" line; then the ports line.
            for o in &mine {
                out.extend(
                    checks::checks(std::slice::from_ref(o), proto, &o.request, 1)
                        .into_iter()
                        .skip(1),
                );
            }
            if mine.len() > 1 {
                let n = u32::try_from(mine.len()).unwrap_or(u32::MAX);
                out.extend(checks::checks(&mine, proto, b"", n).pop());
            }
        }
        out
    }

    fn answers(&self, s: &mut String) {
        s.push_str("## Answers to the Wireshark lab questions\n\n");
        let t = |b: &[u8]| markdown(&escape(b, Style::Plain));
        let u = &self.udp;
        if let Some(q) = &u.request {
            s.push_str(&format!("### UDP (stream {})\n\n", u.stream.unwrap_or(0)));
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
            match &u.reply {
                Some(r) => s.push_str(&format!(
                    "6. **The reply** \"{}\" came from {} back to {}: its ports are the request's, swapped (frame {}). UDP needs no handshake: the first datagram already carries the data.\n",
                    t(&r.payload),
                    ep(r.src),
                    ep(r.dst),
                    r.number
                )),
                None => s.push_str("6. **The reply**: none was captured.\n"),
            }
            s.push('\n');
        }
        let k = &self.tcp;
        if let Some(syn) = &k.syn {
            s.push_str(&format!("### TCP (stream {})\n\n", k.stream.unwrap_or(0)));
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
            if let (Some(rtt), Some(ack)) = (self.ends.answered_rtt, &k.ack) {
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
        if let (Some(p), Some(s), Some(d)) =
            (row.facts.proto, row.facts.stream, row.facts.direction)
        {
            let key = (p == Proto::Tcp, s);
            if !self.checked.contains(&key) && self.checked.len() < MAX_CHECKED {
                self.checked.push(key);
            }
            if self.checked.contains(&key) {
                self.collector.add(p, s, d, row.packet.payload);
            }
        }
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
            } else {
                e.udp += 1;
            }
            if e.listed < MAX_LISTED {
                e.listed += 1;
                md_row(&mut e.table, cells(r));
            } else {
                e.not_listed += 1;
            }
            if self.checked.contains(&(tcp, c.stream)) {
                e.checked.push(c.clone());
            }
            if tcp && Some(c.stream) == self.tcp.stream {
                e.answered_rtt = Some(c.initial_rtt_ns);
            }
        }
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
        flow::render(&mut ladder, &self.flow, self.ascii);
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
        let checks = self.checks_section();
        if checks.is_empty() {
            s.push_str("No conversation to check.\n");
        }
        for c in &checks {
            s.push_str(&format!(
                "- {} {}\n",
                if c.ok { "✓" } else { "✗" },
                markdown(&c.text)
            ));
        }
        s.push('\n');
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
