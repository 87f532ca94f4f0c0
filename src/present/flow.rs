//! The flow diagram: one ladder per conversation, with a client lane and a server lane
//! (IP and port, so it stays right on loopback where both ends are 127.0.0.1), one arrow
//! per frame with its time, flags, Seq, Ack, Len and payload text. Direction comes from the
//! tracker (who opened the conversation), never from addresses. Memory is bounded: at most
//! [`MAX_ARROWS`] arrows per conversation and [`MAX_CONVERSATIONS`] conversations are kept.

use std::collections::HashMap;
use std::io::{self, Write};

use super::common::{pad_left, pad_right, proto_name, seconds, stream_spec, truncate};
use super::timeline::endpoint;
use super::{ConversationRow, Row, View};
use crate::decode::TcpFlags;
use crate::text::{Style, escape};
use crate::track::{Analysis, Direction, Endpoint, Proto};

/// Arrows kept per conversation; the rest are counted in a "… K more" line.
pub const MAX_ARROWS: usize = 100;
/// Conversations kept; later ones are only counted.
pub const MAX_CONVERSATIONS: usize = 1000;
/// Payload bytes kept per arrow (for its text).
const PAYLOAD_KEEP: usize = 64;
/// Characters of payload text shown after an arrow.
const PAYLOAD_SHOWN: usize = 40;

/// One frame of a conversation, as an arrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// Frame number in the file.
    pub number: u64,
    /// Nanoseconds since the first frame of the capture.
    pub nanos: i128,
    /// True when the frame goes from the client to the server.
    pub to_server: bool,
    /// "[PSH, ACK] Seq=1 Ack=1 Len=5" (TCP) or "Len=5" (UDP).
    pub label: String,
    /// The first payload bytes.
    pub payload: Vec<u8>,
    /// The captured payload length.
    pub payload_len: usize,
}

/// The kept arrows of one conversation.
#[derive(Debug, Clone)]
pub struct FlowConversation {
    pub proto: Proto,
    pub stream: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    pub arrows: Vec<Arrow>,
    /// Frames not drawn (beyond [`MAX_ARROWS`]).
    pub more: u64,
    /// The last frame not drawn.
    pub last_more: u64,
    /// The verdict, filled in at the end.
    pub verdict: String,
}

/// Collects arrows while frames go by; shared by the text ladder, the SVG and the report.
#[derive(Debug, Default)]
pub struct FlowData {
    /// Conversations in order of their first frame.
    pub conversations: Vec<FlowConversation>,
    index: HashMap<(bool, u64), usize>,
    /// Frames outside any TCP/UDP conversation (ARP, ICMP, ...), not drawn.
    pub other_frames: u64,
    /// Conversations beyond [`MAX_CONVERSATIONS`], not drawn.
    pub dropped_conversations: u64,
    /// The highest stream number not drawn, per protocol (TCP, UDP): streams are numbered
    /// in the order conversations begin, so a higher one is a new conversation. Nothing is
    /// kept per conversation not drawn.
    newest_dropped: [Option<u64>; 2],
    absolute_seq: bool,
}

impl FlowData {
    /// A collector; `absolute_seq` shows raw sequence numbers.
    pub fn new(absolute_seq: bool) -> Self {
        FlowData {
            absolute_seq,
            ..FlowData::default()
        }
    }

    /// Records one frame.
    pub fn add(&mut self, row: &Row<'_, '_>) {
        let facts = row.facts;
        let (Some(proto), Some(stream), Some(dir)) = (facts.proto, facts.stream, facts.direction)
        else {
            self.other_frames += 1;
            return;
        };
        let key = (proto == Proto::Tcp, stream);
        let to_server = dir == Direction::FromClient;
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                if self.conversations.len() >= MAX_CONVERSATIONS {
                    let newest = self
                        .newest_dropped
                        .get_mut(usize::from(proto != Proto::Tcp));
                    if let Some(newest) = newest
                        && newest.is_none_or(|n| stream > n)
                    {
                        *newest = Some(stream);
                        self.dropped_conversations += 1;
                    }
                    return;
                }
                let (Some(src), Some(dst), Some((sp, dp))) =
                    (row.packet.src_ip(), row.packet.dst_ip(), row.packet.ports())
                else {
                    self.other_frames += 1;
                    return;
                };
                let a = Endpoint { ip: src, port: sp };
                let b = Endpoint { ip: dst, port: dp };
                let (client, server) = if to_server { (a, b) } else { (b, a) };
                self.conversations.push(FlowConversation {
                    proto,
                    stream,
                    client,
                    server,
                    arrows: Vec::new(),
                    more: 0,
                    last_more: 0,
                    verdict: String::new(),
                });
                self.index.insert(key, self.conversations.len() - 1);
                self.conversations.len() - 1
            }
        };
        let Some(conv) = self.conversations.get_mut(i) else {
            return;
        };
        if conv.arrows.len() >= MAX_ARROWS {
            conv.more += 1;
            conv.last_more = row.frame.number;
            return;
        }
        let payload = row.packet.payload;
        conv.arrows.push(Arrow {
            number: row.frame.number,
            nanos: row.frame.ts.nanos_since(row.first),
            to_server,
            label: label(row, self.absolute_seq),
            payload: payload
                .get(..PAYLOAD_KEEP.min(payload.len()))
                .unwrap_or_default()
                .to_vec(),
            payload_len: payload.len(),
        });
    }

    /// Takes the verdicts (and the tracker's client and server) from the finished conversations.
    pub fn set_verdicts(&mut self, rows: &[ConversationRow<'_>]) {
        for r in rows {
            let c = r.conversation;
            let i = self.index.get(&(c.proto == Proto::Tcp, c.stream)).copied();
            if let Some(fc) = i.and_then(|i| self.conversations.get_mut(i)) {
                fc.verdict = r.verdict.to_string();
                fc.client = c.client;
                fc.server = c.server;
            }
        }
    }
}

/// The text on an arrow: TCP flags, Seq, Ack, Len (and analysis labels), or UDP's Len.
pub fn label(row: &Row<'_, '_>, absolute_seq: bool) -> String {
    let mut s = String::new();
    if let Some(t) = row.packet.tcp() {
        let f = t.flags;
        let names: Vec<&str> = f.names(8).collect();
        let tf = row.facts.tcp.as_ref();
        if let Some(tf) = tf {
            for (bit, lab) in tf.analysis.info_labels() {
                if bit != Analysis::WINDOW_UPDATE {
                    s.push_str(&format!("[{lab}] "));
                }
            }
        }
        s.push_str(&format!("[{}]", names.join(", ")));
        let (seq, ack) = match tf {
            Some(tf) if !absolute_seq => (tf.rel_seq, tf.rel_ack),
            _ => (t.seq, t.ack),
        };
        s.push_str(&format!(" Seq={seq}"));
        if f.has(TcpFlags::ACK) {
            s.push_str(&format!(" Ack={ack}"));
        }
        s.push_str(&format!(" Len={}", t.payload_len));
    } else if let Some(u) = row.packet.udp() {
        s.push_str(&format!("UDP Len={}", u.payload_len));
    }
    s
}

/// The glyphs of one drawing style.
struct Glyphs {
    lane: char,
    line: char,
    right: char,
    left: char,
    ellipsis: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    lane: '│',
    line: '─',
    right: '▶',
    left: '◀',
    ellipsis: "…",
};
const ASCII: Glyphs = Glyphs {
    lane: '|',
    line: '-',
    right: '>',
    left: '<',
    ellipsis: "...",
};

/// Width of the No. and Time columns before the client lane.
const PREFIX: usize = 5 + 1 + 10 + 2;
/// Arrow widths (characters between the lanes).
const MIN_WIDTH: usize = 30;
const MAX_WIDTH: usize = 64;

/// Writes the ladder of one conversation.
pub fn render_conversation(out: &mut String, c: &FlowConversation, ascii: bool) {
    let g = if ascii { &ASCII } else { &UNICODE };
    let client = format!("client {}", endpoint(c.client.ip, c.client.port));
    let server = format!("server {}", endpoint(c.server.ip, c.server.port));
    let longest = c
        .arrows
        .iter()
        .map(|a| a.label.chars().count())
        .max()
        .unwrap_or(0);
    let width = (longest + 8)
        .max(client.chars().count() + 2)
        .clamp(MIN_WIDTH, MAX_WIDTH);
    let arrow_label_max = width - 6;
    let arrow_word = if c.arrows.len() + usize::try_from(c.more).unwrap_or(usize::MAX) == 1 {
        "frame"
    } else {
        "frames"
    };
    out.push_str(&format!(
        "{} stream {} ({}): {} {}",
        proto_name(c.proto),
        c.stream,
        stream_spec(c.proto, c.stream),
        c.arrows.len() as u64 + c.more,
        arrow_word
    ));
    if !c.verdict.is_empty() {
        out.push_str(&format!(", {}", c.verdict));
    }
    out.push('\n');
    // lane headings
    let mut head = String::new();
    pad_left(&mut head, "No.", 5);
    head.push(' ');
    pad_left(&mut head, "Time", 10);
    head.push_str("  ");
    pad_right(&mut head, &client, width + 1);
    head.push_str(&server);
    out.push_str(head.trim_end());
    out.push('\n');
    for a in &c.arrows {
        let mut line = String::new();
        pad_left(&mut line, &a.number.to_string(), 5);
        line.push(' ');
        pad_left(&mut line, &seconds(a.nanos), 10);
        line.push_str("  ");
        line.push(g.lane);
        let text = truncate(&a.label, arrow_label_max, ascii);
        let used = text.chars().count() + 4; // two dashes, two spaces
        let fill = width.saturating_sub(used + 1);
        if a.to_server {
            line.push(g.line);
            line.push(g.line);
            line.push(' ');
            line.push_str(&text);
            line.push(' ');
            line.extend(std::iter::repeat_n(g.line, fill));
            line.push(g.right);
        } else {
            line.push(g.left);
            line.push(g.line);
            line.push(g.line);
            line.push(' ');
            line.push_str(&text);
            line.push(' ');
            line.extend(std::iter::repeat_n(g.line, fill));
        }
        line.push(g.lane);
        if !a.payload.is_empty() {
            let mut t = escape(&a.payload, if ascii { Style::Ascii } else { Style::Plain });
            if a.payload_len > a.payload.len() {
                t.push_str(g.ellipsis);
            }
            line.push_str("  \"");
            line.push_str(&truncate(&t, PAYLOAD_SHOWN, ascii));
            line.push('"');
        }
        out.push_str(&line);
        out.push('\n');
    }
    if c.more > 0 {
        let mut line = String::new();
        line.extend(std::iter::repeat_n(' ', PREFIX));
        line.push(g.lane);
        let note = truncate(
            &format!(
                " {} {} more, up to frame {}",
                g.ellipsis, c.more, c.last_more
            ),
            width,
            ascii,
        );
        pad_right(&mut line, &note, width);
        line.push(g.lane);
        out.push_str(&line);
        out.push('\n');
    }
}

/// Writes every ladder, then what was left out.
pub fn render(out: &mut String, data: &FlowData, ascii: bool) {
    out.push_str("Flow diagram: one ladder per conversation, client lane on the left, server lane on the right\n");
    out.push_str("(the client is the side that opened the conversation; arrows follow the ports, not only the addresses)\n");
    if data.conversations.is_empty() {
        out.push_str("\nNo TCP or UDP conversation to draw.\n");
    }
    for c in &data.conversations {
        out.push('\n');
        render_conversation(out, c, ascii);
    }
    if data.dropped_conversations > 0 || data.other_frames > 0 {
        out.push('\n');
    }
    if data.dropped_conversations > 0 {
        out.push_str(&format!(
            "{} more conversation(s) not drawn (at most {MAX_CONVERSATIONS}).\n",
            data.dropped_conversations
        ));
    }
    if data.other_frames > 0 {
        out.push_str(&format!(
            "{} frame(s) outside TCP/UDP conversations (ARP, ICMP, fragments, ...) not drawn.\n",
            data.other_frames
        ));
    }
}

/// The flow view: collects arrows, writes the ladders after the last frame.
pub struct Flow<W: Write> {
    out: W,
    data: FlowData,
    ascii: bool,
}

impl<W: Write> Flow<W> {
    /// A flow view writing to `out`.
    pub fn new(out: W, ascii: bool, absolute_seq: bool) -> Self {
        Flow {
            out,
            data: FlowData::new(absolute_seq),
            ascii,
        }
    }
}

impl<W: Write> View for Flow<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        self.data.add(row);
        Ok(())
    }

    /// Takes the verdicts of a batch of conversations (the ladder is drawn at the end).
    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        self.data.set_verdicts(rows);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut s = String::new();
        render(&mut s, &self.data, self.ascii);
        self.out.write_all(s.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(arrows: Vec<Arrow>) -> FlowConversation {
        FlowConversation {
            proto: Proto::Tcp,
            stream: 0,
            client: Endpoint {
                ip: "127.0.0.1".parse().unwrap(),
                port: 40000,
            },
            server: Endpoint {
                ip: "127.0.0.1".parse().unwrap(),
                port: 8888,
            },
            arrows,
            more: 0,
            last_more: 0,
            verdict: String::new(),
        }
    }

    fn arrow(number: u64, to_server: bool, label: &str, payload: &[u8]) -> Arrow {
        Arrow {
            number,
            nanos: 0,
            to_server,
            label: label.into(),
            payload: payload.to_vec(),
            payload_len: payload.len(),
        }
    }

    #[test]
    fn test_ladder_arrow_directions() {
        let c = conv(vec![
            arrow(1, true, "[SYN] Seq=0 Len=0", b""),
            arrow(2, false, "[SYN, ACK] Seq=0 Ack=1 Len=0", b""),
        ]);
        let mut s = String::new();
        render_conversation(&mut s, &c, false);
        let lines: Vec<&str> = s.lines().collect();
        assert!(
            lines[1].contains("client 127.0.0.1:40000")
                && lines[1].contains("server 127.0.0.1:8888")
        );
        assert!(lines[2].contains("│── [SYN] Seq=0 Len=0 ") && lines[2].ends_with("▶│"));
        assert!(lines[3].contains("│◀── [SYN, ACK]") && lines[3].ends_with("─│"));
        // both lanes line up on every line
        let lane = |l: &str, nth: usize| {
            l.char_indices()
                .filter(|(_, c)| *c == '│')
                .nth(nth)
                .map(|(i, _)| l[..i].chars().count())
        };
        assert_eq!(lane(lines[2], 0), lane(lines[3], 0));
        assert_eq!(lane(lines[2], 1), lane(lines[3], 1));
    }

    #[test]
    fn test_ladder_ascii_and_payload_escaped() {
        let c = conv(vec![arrow(
            4,
            true,
            "[PSH, ACK] Seq=1 Ack=1 Len=7",
            b"hej \xc3\xa6\x1b",
        )]);
        let mut s = String::new();
        render_conversation(&mut s, &c, true);
        assert!(s.is_ascii(), "{s}");
        assert!(
            s.contains("|-- [PSH, ACK] Seq=1 Ack=1 Len=7 ")
                && s.contains(">|  \"hej \\u{e6}\\u{1b}\""),
            "{s}"
        );
    }

    #[test]
    fn test_ladder_more_line_when_capped() {
        let mut c = conv(vec![arrow(1, true, "UDP Len=1", b"a")]);
        c.more = 5;
        c.last_more = 99;
        let mut s = String::new();
        render_conversation(&mut s, &c, false);
        assert!(s.contains("… 5 more, up to frame 99"), "{s}");
    }
}
