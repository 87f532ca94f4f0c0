//! The annotated timeline: Wireshark's packet list (No., Time, Source,
//! Destination, Protocol, Length, Info) plus a Note column, written row by row
//! as frames arrive, then one line per conversation.

use std::io::{self, Write};

use super::text::{TimeColumn, ansi, time_column};
use super::{ConversationRow, Row, RowBuffer, TimeFormat, View};
use crate::explain::Tone;
use crate::fmt::{
    push_date_time, push_ip, push_ip_bytes, push_seconds_bytes, push_u64, push_u64_bytes,
};
use crate::source::Timestamp;
use crate::text::{Style, escape};

/// Column widths (the Info column is padded so that notes line up; longer Info pushes its note right).
const W_NO: usize = 5;
const W_ADDR: usize = 15;
const W_PROTO: usize = 8;
const W_LEN: usize = 6;
const W_INFO: usize = 56;

/// Streams the timeline to `out`.
pub struct Timeline<W: Write> {
    out: W,
    time: TimeFormat,
    color: bool,
    previous: Option<Timestamp>,
    /// Rows built as bytes and not written yet (see [`RowBuffer`]).
    rows: RowBuffer,
    /// Scratch space for a date and time column, reused.
    num: String,
    header_done: bool,
    /// The "Conversations" heading was written (rows may come in several batches).
    conversations_started: bool,
}

impl<W: Write> Timeline<W> {
    /// A timeline writing to `out`.
    pub fn new(out: W, time: TimeFormat, color: bool) -> Self {
        Self {
            out,
            time,
            color,
            previous: None,
            rows: RowBuffer::default(),
            num: String::with_capacity(32),
            header_done: false,
            conversations_started: false,
        }
    }

    fn time_width(&self) -> usize {
        match self.time {
            TimeFormat::R | TimeFormat::D => 10,
            TimeFormat::E => 17,
            TimeFormat::Ad => 26,
        }
    }

    /// The column (in characters) where the Note starts.
    fn note_column(&self) -> usize {
        W_NO + 1
            + self.time_width()
            + 1
            + W_ADDR
            + 1
            + W_ADDR
            + 1
            + W_PROTO
            + 1
            + W_LEN
            + 1
            + W_INFO
            + 1
    }

    fn header(&mut self) -> io::Result<()> {
        self.header_done = true;
        let tw = self.time_width();
        let (on, off) = if self.color {
            (ansi::HEADING, ansi::RESET)
        } else {
            ("", "")
        };
        writeln!(
            self.out,
            "{on}{:>W_NO$} {:>tw$} {:<W_ADDR$} {:<W_ADDR$} {:<W_PROTO$} {:>W_LEN$} {:<W_INFO$} Note{off}",
            "No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"
        )
    }
}

/// Spaces to pad with, pushed as one slice rather than one char at a time.
const SPACES: &[u8; 128] = &[b' '; 128];

/// Width of `s` in characters (not bytes): its bytes less the UTF-8 continuation bytes
/// (`10xxxxxx`), counted eight bytes at a time (cheaper than `chars().count()` on the short,
/// mostly ASCII columns of a row).
fn width_of(s: &str) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    // Continuation bytes have bit 7 set and bit 6 clear; the multiply adds up the eight
    // 0-or-1 bytes into the top byte.
    let continuation = |w: u64| ((((w & !(w << 1) & HIGH) >> 7).wrapping_mul(ONES)) >> 56) as usize;
    let bytes = s.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let w = word(w);
        if w & HIGH != 0 {
            n += continuation(w);
        }
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        n += match bytes.len().checked_sub(8).and_then(|i| bytes.get(i..)) {
            // The last eight bytes, less those already counted (the low ones).
            Some(last) => continuation(word(last) >> ((8 - rest.len()) * 8)),
            None => rest.iter().filter(|&&b| b & 0xc0 == 0x80).count(),
        };
    }
    bytes.len() - n
}

fn spaces(line: &mut Vec<u8>, mut n: usize) {
    while n > 0 {
        let k = n.min(SPACES.len());
        line.extend_from_slice(SPACES.get(..k).unwrap_or(&[]));
        n -= k;
    }
}

/// Pads `s` with spaces to `width` characters (counted as chars, not bytes);
/// returns the characters written.
fn pad(line: &mut Vec<u8>, s: &str, width: usize) -> usize {
    let w = width_of(s);
    line.extend_from_slice(s.as_bytes());
    spaces(line, width.saturating_sub(w));
    w.max(width)
}

/// Right-aligns the ASCII text `s` (a number or a time) in `width` characters; returns
/// the characters written.
fn pad_left(line: &mut Vec<u8>, s: &[u8], width: usize) -> usize {
    spaces(line, width.saturating_sub(s.len()));
    line.extend_from_slice(s);
    s.len().max(width)
}

impl<W: Write> View for Timeline<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.header()
    }

    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        if !self.header_done {
            self.header()?;
        }
        let mut line = std::mem::take(&mut self.rows.bytes);
        let note = row.note;
        let colour = row_colour(self.color, note.tone);
        if let Some(c) = colour {
            line.extend_from_slice(c.as_bytes());
        }
        let mut number = itoa::Buffer::new();
        let number = number.format(row.frame.number).as_bytes();
        let mut length = itoa::Buffer::new();
        let length = length.format(row.frame.orig_len).as_bytes();
        let tw = self.time_width();
        let time = time_column(self.time, row.frame.ts, row.first, self.previous);
        let time = match &time {
            TimeColumn::Empty => &[],
            TimeColumn::Seconds(s) => s.as_bytes(),
            TimeColumn::DateTime => {
                self.num.clear();
                push_date_time(&mut self.num, row.frame.ts);
                self.num.as_bytes()
            }
        };
        let (source, destination, protocol) = (
            note.source.as_bytes(),
            note.destination.as_bytes(),
            note.protocol.as_bytes(),
        );
        let fits = |s: &[u8], width: usize| s.len() <= width && s.is_ascii();
        // The frame number may be wider than its column (from frame 100,000 on): the
        // columns after it move right.
        let w_no = number.len().max(W_NO);
        // Characters of the columns before Info (the colour code aside).
        let used = if time.len() <= tw
            && fits(source, W_ADDR)
            && fits(destination, W_ADDR)
            && fits(protocol, W_PROTO)
            && length.len() <= W_LEN
        {
            // The common case: every column fits its width and is ASCII (one byte a
            // character), so the columns are a run of spaces the values are copied into.
            let at_time = w_no + 1;
            let at_source = at_time + tw + 1;
            let at_destination = at_source + W_ADDR + 1;
            let at_protocol = at_destination + W_ADDR + 1;
            let at_length = at_protocol + W_PROTO + 1;
            let base = line.len();
            spaces(&mut line, at_length + W_LEN + 1);
            if let Some(columns) = line.get_mut(base..) {
                let mut put = |at: usize, s: &[u8]| {
                    if let Some(slot) = columns.get_mut(at..at + s.len()) {
                        slot.copy_from_slice(s);
                    }
                };
                put(w_no - number.len(), number);
                put(at_time + tw - time.len(), time);
                put(at_source, source);
                put(at_destination, destination);
                put(at_protocol, protocol);
                put(at_length + W_LEN - length.len(), length);
            }
            w_no + tw + W_ADDR + W_ADDR + W_PROTO + W_LEN
        } else {
            let mut n = pad_left(&mut line, number, W_NO);
            line.push(b' ');
            n += pad_left(&mut line, time, tw);
            line.push(b' ');
            n += pad(&mut line, &note.source, W_ADDR);
            line.push(b' ');
            n += pad(&mut line, &note.destination, W_ADDR);
            line.push(b' ');
            n += pad(&mut line, &note.protocol, W_PROTO);
            line.push(b' ');
            n += pad_left(&mut line, length, W_LEN);
            line.push(b' ');
            n
        };
        line.extend_from_slice(note.info.as_bytes());
        if !note.text.is_empty() {
            // The note starts in the Note column; when Info runs past it (long TCP option
            // lists, IPv6 or MAC addresses), the note goes on the next line, under Info.
            let note_col = self.note_column();
            // The six one-space separators, then Info.
            let used = used + 6 + width_of(&note.info);
            if used < note_col {
                spaces(&mut line, note_col - used);
            } else {
                line.push(b'\n');
                spaces(&mut line, note_col - W_INFO - 1);
                line.extend_from_slice("↳ ".as_bytes());
            }
            if colour.is_none() && self.color {
                line.extend_from_slice(ansi::NOTE.as_bytes());
                line.extend_from_slice(note.text.as_bytes());
                line.extend_from_slice(ansi::RESET.as_bytes());
            } else {
                line.extend_from_slice(note.text.as_bytes());
            }
        }
        if colour.is_some() {
            line.extend_from_slice(ansi::RESET.as_bytes());
        }
        line.push(b'\n');
        // The frame's own comments (pcapng, from Wireshark or `editcap -a`), each on a
        // line of its own under Info.
        for comment in row.frame.comments.iter() {
            spaces(&mut line, self.note_column() - W_INFO - 1);
            line.extend_from_slice("# comment: ".as_bytes());
            line.extend_from_slice(escape(comment, Style::Plain).as_bytes());
            line.push(b'\n');
        }
        self.rows.bytes = line;
        self.previous = Some(row.frame.ts);
        self.rows.row_done(&mut self.out)
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        self.rows.write_to(&mut self.out)?;
        if rows.is_empty() {
            return Ok(());
        }
        if !self.conversations_started {
            self.conversations_started = true;
            conversations_heading(&mut self.out, self.color)?;
        }
        for r in rows {
            let line = &mut self.rows.bytes;
            let c = r.conversation;
            let proto = super::common::proto_name(c.proto);
            // "{proto} {stream:<3} client {client} → server {server}  →{n} frames {n} bytes
            //  ←{n} frames {n} bytes  start {start} s, {dur} s  {state} {history}  {verdict}"
            line.extend_from_slice(proto.as_bytes());
            line.push(b' ');
            let mark = line.len();
            push_u64_bytes(line, c.stream);
            let digits = line.len() - mark;
            spaces(line, 3usize.saturating_sub(digits));
            line.extend_from_slice(b" client ");
            push_endpoint_bytes(line, c.client.ip, c.client.port);
            line.extend_from_slice(" → server ".as_bytes());
            push_endpoint_bytes(line, c.server.ip, c.server.port);
            line.extend_from_slice("  → ".as_bytes());
            push_count(line, c.from_client.frames, c.from_client.bytes);
            line.extend_from_slice("  ← ".as_bytes());
            push_count(line, c.from_server.frames, c.from_server.bytes);
            line.extend_from_slice(b"  start ");
            push_seconds_bytes(line, c.start.nanos_since(r.first), 6);
            line.extend_from_slice(b" s, lasted ");
            push_seconds_bytes(line, c.end.nanos_since(c.start), 6);
            line.extend_from_slice(b" s  ");
            line.extend_from_slice(c.zeek_state.as_bytes());
            if !c.history.is_empty() {
                line.push(b' ');
                line.extend_from_slice(c.history.as_bytes());
            }
            line.extend_from_slice(b"  ");
            line.extend_from_slice(r.verdict.as_bytes());
            line.push(b'\n');
            self.rows.row_done(&mut self.out)?;
        }
        self.rows.write_to(&mut self.out)
    }

    fn lab(&mut self, model: &crate::explain::lab::LabModel) -> io::Result<()> {
        self.rows.write_to(&mut self.out)?;
        super::checks::write_lab_shows(&mut self.out, model, self.color, None)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.rows.write_to(&mut self.out)?;
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.rows.write_to(&mut self.out)?;
        self.out.flush()
    }
}

/// The colour of a row of tone `tone` (`None`: plain, or no colour at all).
pub(super) fn row_colour(color: bool, tone: Tone) -> Option<&'static str> {
    match (color, tone) {
        (false, _) | (true, Tone::Plain) => None,
        (true, Tone::Control) => Some(ansi::CONTROL),
        (true, Tone::Reset) => Some(ansi::RESET_FLAG),
        (true, Tone::Warning) => Some(ansi::WARNING),
    }
}

/// The blank line and the "Conversations" heading before the conversation lines.
pub(super) fn conversations_heading(out: &mut impl Write, color: bool) -> io::Result<()> {
    let (on, off) = if color {
        (ansi::HEADING, ansi::RESET)
    } else {
        ("", "")
    };
    writeln!(out)?;
    writeln!(out, "{on}Conversations{off}")
}

/// `5 frames, 363 bytes` (singular for one).
fn push_count(line: &mut Vec<u8>, frames: u64, bytes: u64) {
    push_u64_bytes(line, frames);
    line.extend_from_slice(if frames == 1 {
        b" frame, "
    } else {
        b" frames, "
    });
    push_u64_bytes(line, bytes);
    line.extend_from_slice(if bytes == 1 { b" byte" } else { b" bytes" });
}

/// `ip:port`, with IPv6 addresses in brackets.
pub fn endpoint(ip: std::net::IpAddr, port: u16) -> String {
    let mut s = String::with_capacity(24);
    push_endpoint(&mut s, ip, port);
    s
}

/// Appends `ip:port`, with IPv6 addresses in brackets (as [`endpoint`] returns it).
pub fn push_endpoint(out: &mut String, ip: std::net::IpAddr, port: u16) {
    let v6 = ip.is_ipv6();
    if v6 {
        out.push('[');
    }
    push_ip(out, ip);
    out.push_str(if v6 { "]:" } else { ":" });
    push_u64(out, u64::from(port));
}

/// [`push_endpoint`] into a byte buffer.
pub fn push_endpoint_bytes(out: &mut Vec<u8>, ip: std::net::IpAddr, port: u16) {
    let v6 = ip.is_ipv6();
    if v6 {
        out.push(b'[');
    }
    push_ip_bytes(out, ip);
    out.extend_from_slice(if v6 { b"]:" } else { b":" });
    push_u64_bytes(out, u64::from(port));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Packet;
    use crate::explain::Note;
    use crate::fmt::push_seconds;
    use crate::source::Frame;
    use crate::track::Facts;
    use crate::track::Proto;

    /// The conversation lines are what the `writeln!` format wrote before, and rows given in
    /// several batches print one heading (so the pipeline may stream them).
    #[test]
    fn test_conversations_batches_match_format() {
        use crate::track::{Conversation, Endpoint, SideStats};
        let ep = |ip: &str, port| Endpoint {
            ip: ip.parse().unwrap(),
            port,
        };
        let side = |frames, bytes| SideStats {
            frames,
            bytes,
            payload_bytes: 0,
            ip_bytes: 0,
        };
        let conv = |stream, client: Endpoint, history: &str| Conversation {
            proto: if stream % 2 == 0 {
                Proto::Tcp
            } else {
                Proto::Udp
            },
            stream,
            client,
            server: ep("10.2.0.1", 8888),
            from_client: side(5, 400),
            from_server: side(4, 300),
            first_frame: 1,
            last_frame: 9,
            start: Timestamp {
                secs: 12,
                nanos: 345_678_901,
            },
            end: Timestamp { secs: 13, nanos: 1 },
            zeek_state: "SF",
            history: history.into(),
            initial_rtt_ns: None,
            first_fin_by: None,
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 0,
            zeek: Default::default(),
            service: None,
        };
        let convs = [
            conv(0, ep("fd00::1:2", 40000), "ShADadFf"),
            conv(1, ep("10.1.0.9", 5), ""),
            conv(1234, ep("::1", 1), "D"),
        ];
        let first = Timestamp { secs: 10, nanos: 0 };
        let rows: Vec<ConversationRow<'_>> = convs
            .iter()
            .map(|c| ConversationRow {
                conversation: c,
                verdict: "complete",
                first,
            })
            .collect();
        let mut expected = String::from("\nConversations\n");
        for r in &rows {
            let c = r.conversation;
            let mut start = String::new();
            push_seconds(&mut start, c.start.nanos_since(r.first), 6);
            let mut dur = String::new();
            push_seconds(&mut dur, c.end.nanos_since(c.start), 6);
            let state = if c.history.is_empty() {
                c.zeek_state.to_string()
            } else {
                format!("{} {}", c.zeek_state, c.history)
            };
            let proto = if c.proto == Proto::Tcp { "TCP" } else { "UDP" };
            let client = match c.client.ip {
                std::net::IpAddr::V4(a) => format!("{a}:{}", c.client.port),
                std::net::IpAddr::V6(a) => format!("[{a}]:{}", c.client.port),
            };
            expected.push_str(&format!(
                "{proto} {:<3} client {} → server {}  → {} frames, {} bytes  ← {} frames, {} bytes  start {start} s, lasted {dur} s  {state}  {}\n",
                c.stream, client, "10.2.0.1:8888", c.from_client.frames, c.from_client.bytes, c.from_server.frames, c.from_server.bytes, r.verdict
            ));
        }
        let mut one = Vec::new();
        Timeline::new(&mut one, TimeFormat::R, false)
            .conversations(&rows)
            .unwrap();
        assert_eq!(String::from_utf8(one).unwrap(), expected);
        let mut two = Vec::new();
        let mut t = Timeline::new(&mut two, TimeFormat::R, false);
        t.conversations(&rows[..1]).unwrap();
        t.conversations(&rows[1..]).unwrap();
        assert_eq!(String::from_utf8(two).unwrap(), expected);
    }

    #[test]
    fn test_width_of_counts_chars() {
        let pieces = ["a", "→", "é", "😀", " ", "↳", "z9"];
        let mut x: u64 = 7;
        for _ in 0..5_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (x >> 58) as usize;
            let s: String = (0..n)
                .map(|i| pieces[((x >> (i % 40)) as usize + i) % pieces.len()])
                .collect();
            assert_eq!(width_of(&s), s.chars().count(), "{s:?}");
        }
    }

    /// Rows whose columns fit (copied into a run of spaces) and rows whose columns do not
    /// (padded one by one) are what `format!` pads them to, counting characters.
    #[test]
    fn test_row_columns_match_format_padding() {
        let cases = [
            (3, "10.1.2.3", "10.2.0.1", "TCP", 74),
            (123_456, "10.1.2.3", "10.2.0.1", "UDP", 1514),
            (7, "fe80::1234:5678:9abc:def0", "ff02::1", "ICMPv6", 86),
            (8, "café→", "ß", "Protokoll→", 60),
            (9, "", "", "", 4_000_000),
        ];
        for (number, source, destination, protocol, orig_len) in cases {
            let mut out = Vec::new();
            let mut t = Timeline::new(&mut out, TimeFormat::R, false);
            let frame = Frame {
                number,
                ts: Timestamp {
                    secs: 10,
                    nanos: 500_000,
                },
                linktype: crate::source::LinkType(1),
                orig_len,
                data: &[],
                comments: crate::source::Comments::NONE,
            };
            let note = Note {
                source: source.into(),
                destination: destination.into(),
                protocol: protocol.into(),
                info: "32887 → 23457 Len=5".into(),
                text: "a note".into(),
                tone: Tone::Plain,
            };
            let (packet, facts) = (Packet::default(), Facts::default());
            t.frame(&Row {
                frame: &frame,
                packet: &packet,
                facts: &facts,
                note: &note,
                first: Timestamp { secs: 10, nanos: 0 },
            })
            .unwrap();
            t.finish().unwrap();
            let s = String::from_utf8(out).unwrap();
            let row = s.lines().nth(1).unwrap();
            let columns = format!(
                "{number:>W_NO$} {:>10} {source:<W_ADDR$} {destination:<W_ADDR$} {protocol:<W_PROTO$} {orig_len:>W_LEN$} 32887 → 23457 Len=5",
                "0.000500"
            );
            assert!(row.starts_with(&columns), "{row:?} vs {columns:?}");
            let used = columns.chars().count();
            let note_col =
                W_NO + 1 + 10 + 1 + W_ADDR + 1 + W_ADDR + 1 + W_PROTO + 1 + W_LEN + 1 + W_INFO + 1;
            let expected = if used < note_col {
                format!("{columns}{}a note", " ".repeat(note_col - used))
            } else {
                columns
            };
            assert_eq!(s.lines().nth(1).unwrap(), expected);
        }
    }

    /// Rows gather in memory and go out in large writes, whole rows only, all of them
    /// by the flush.
    #[test]
    fn test_rows_gathered_then_written_whole() {
        let mut out = Vec::new();
        let mut t = Timeline::new(&mut out, TimeFormat::R, false);
        let note = Note {
            source: "10.0.0.1".into(),
            destination: "10.0.0.2".into(),
            protocol: "UDP".into(),
            info: "1 → 2 Len=5".into(),
            text: "a note".into(),
            tone: Tone::Plain,
        };
        let (packet, facts) = (Packet::default(), Facts::default());
        let mut written_early = 0;
        for number in 1..=2000u64 {
            let frame = Frame {
                number,
                ts: Timestamp { secs: 1, nanos: 0 },
                linktype: crate::source::LinkType(1),
                orig_len: 60,
                data: &[],
                comments: crate::source::Comments::NONE,
            };
            t.frame(&Row {
                frame: &frame,
                packet: &packet,
                facts: &facts,
                note: &note,
                first: frame.ts,
            })
            .unwrap();
            if number == 1000 {
                written_early = t.out.len();
            }
        }
        assert!(
            written_early > 0,
            "rows past {} bytes are written before the flush",
            crate::present::ROW_BUFFER_BYTES
        );
        assert!(t.out.ends_with(b"\n"));
        t.flush().unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2001);
        assert!(lines[2000].starts_with(" 2000 "), "{}", lines[2000]);
    }

    #[test]
    fn test_long_info_puts_note_on_next_line_under_info() {
        let mut out = Vec::new();
        let mut t = Timeline::new(&mut out, TimeFormat::R, false);
        let frame = Frame {
            number: 1,
            ts: Timestamp { secs: 1, nanos: 0 },
            linktype: crate::source::LinkType(1),
            orig_len: 74,
            data: &[],
            comments: crate::source::Comments::NONE,
        };
        let note = Note {
            source: "127.0.0.1".into(),
            destination: "127.0.0.1".into(),
            protocol: "TCP".into(),
            info: "44610 → 23456 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=1335915 TSecr=0 WS=1024".into(),
            text: "1/3 SYN".into(),
            tone: Tone::Control,
        };
        let (packet, facts) = (Packet::default(), Facts::default());
        t.frame(&Row {
            frame: &frame,
            packet: &packet,
            facts: &facts,
            note: &note,
            first: frame.ts,
        })
        .unwrap();
        t.finish().unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[1].ends_with("WS=1024"), "{s}");
        let col = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(col(lines[2], "↳ 1/3 SYN"), col(lines[0], "Info"), "{s}");
    }

    #[test]
    fn test_timeline_row_columns() {
        let mut out = Vec::new();
        let mut t = Timeline::new(&mut out, TimeFormat::R, false);
        let frame = Frame {
            number: 3,
            ts: Timestamp {
                secs: 10,
                nanos: 500_000,
            },
            linktype: crate::source::LinkType(1),
            orig_len: 47,
            data: &[],
            comments: crate::source::Comments::NONE,
        };
        let note = Note {
            source: "127.0.0.1".into(),
            destination: "127.0.0.1".into(),
            protocol: "UDP".into(),
            info: "32887 → 23457 Len=5".into(),
            text: "request \"hello\" (5 bytes)".into(),
            tone: Tone::Plain,
        };
        let packet = Packet::default();
        let facts = Facts::default();
        let row = Row {
            frame: &frame,
            packet: &packet,
            facts: &facts,
            note: &note,
            first: Timestamp { secs: 10, nanos: 0 },
        };
        t.frame(&row).unwrap();
        t.finish().unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("  No.       Time Source"));
        assert!(lines[1].starts_with(
            "    3   0.000500 127.0.0.1       127.0.0.1       UDP          47 32887 → 23457 Len=5"
        ));
        assert!(lines[1].ends_with(" request \"hello\" (5 bytes)"));
        let col = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(col(lines[0], "Note"), col(lines[1], "request"));
    }
}
