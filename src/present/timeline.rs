//! The annotated timeline: Wireshark's packet list (No., Time, Source,
//! Destination, Protocol, Length, Info) plus a Note column, written row by row
//! as frames arrive, then one line per conversation.

use std::io::{self, Write};

use super::text::{ansi, push_ip, push_seconds, push_time, push_u64};
use super::{ConversationRow, Row, TimeFormat, View};
use crate::explain::Tone;
use crate::source::Timestamp;
use crate::track::Proto;

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
    /// The row being built, reused from frame to frame (no allocation per row).
    line: String,
    /// Scratch space for one number column, reused.
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
            line: String::with_capacity(512),
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
        W_NO + 1 + self.time_width() + 1 + W_ADDR + 1 + W_ADDR + 1 + W_PROTO + 1 + W_LEN + 1 + W_INFO + 1
    }

    fn header(&mut self) -> io::Result<()> {
        self.header_done = true;
        let tw = self.time_width();
        let (on, off) = if self.color { (ansi::HEADING, ansi::RESET) } else { ("", "") };
        writeln!(
            self.out,
            "{on}{:>W_NO$} {:>tw$} {:<W_ADDR$} {:<W_ADDR$} {:<W_PROTO$} {:>W_LEN$} {:<W_INFO$} Note{off}",
            "No.", "Time", "Source", "Destination", "Protocol", "Length", "Info"
        )
    }
}

/// Spaces to pad with, pushed as one slice rather than one char at a time.
const SPACES: &str = "                                                                ";

/// Width of `s` in characters (not bytes), with a fast path for ASCII.
fn width_of(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

fn spaces(line: &mut String, mut n: usize) {
    while n > 0 {
        let k = n.min(SPACES.len());
        line.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Pads `s` with spaces to `width` characters (counted as chars, not bytes);
/// returns the characters written.
fn pad(line: &mut String, s: &str, width: usize) -> usize {
    let w = width_of(s);
    line.push_str(s);
    if let Some(n) = width.checked_sub(w).filter(|&n| n > 0) {
        match SPACES.get(..n) {
            Some(pad) => line.push_str(pad),
            None => spaces(line, n),
        }
    }
    w.max(width)
}

/// Right-aligns the ASCII text `s` (a number or a time) in `width` characters; returns
/// the characters written.
fn pad_left(line: &mut String, s: &str, width: usize) -> usize {
    let w = width_of(s);
    if let Some(n) = width.checked_sub(w).filter(|&n| n > 0) {
        match SPACES.get(..n) {
            Some(pad) => line.push_str(pad),
            None => spaces(line, n),
        }
    }
    line.push_str(s);
    w.max(width)
}

impl<W: Write> View for Timeline<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.header()
    }

    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        if !self.header_done {
            self.header()?;
        }
        let mut line = std::mem::take(&mut self.line);
        let mut num = std::mem::take(&mut self.num);
        line.clear();
        let colour = if self.color {
            match row.note.tone {
                Tone::Plain => None,
                Tone::Control => Some(ansi::CONTROL),
                Tone::Reset => Some(ansi::RESET_FLAG),
                Tone::Warning => Some(ansi::WARNING),
            }
        } else {
            None
        };
        if let Some(c) = colour {
            line.push_str(c);
        }
        // Characters of the columns before Info (the colour code aside).
        let mut used = 0;
        num.clear();
        push_u64(&mut num, row.frame.number);
        used += pad_left(&mut line, &num, W_NO);
        line.push(' ');
        num.clear();
        push_time(&mut num, self.time, row.frame.ts, row.first, self.previous);
        used += pad_left(&mut line, &num, self.time_width());
        line.push(' ');
        used += pad(&mut line, &row.note.source, W_ADDR);
        line.push(' ');
        used += pad(&mut line, &row.note.destination, W_ADDR);
        line.push(' ');
        used += pad(&mut line, &row.note.protocol, W_PROTO);
        line.push(' ');
        num.clear();
        push_u64(&mut num, u64::from(row.frame.orig_len));
        used += pad_left(&mut line, &num, W_LEN);
        line.push(' ');
        line.push_str(&row.note.info);
        if !row.note.text.is_empty() {
            // The note starts in the Note column; when Info runs past it (long TCP option
            // lists, IPv6 or MAC addresses), the note goes on the next line, under Info.
            let note_col = self.note_column();
            // The six one-space separators, then Info.
            let used = used + 6 + width_of(&row.note.info);
            if used < note_col {
                spaces(&mut line, note_col - used);
            } else {
                line.push('\n');
                spaces(&mut line, note_col - W_INFO - 1);
                line.push_str("↳ ");
            }
            if colour.is_none() && self.color {
                line.push_str(ansi::NOTE);
                line.push_str(&row.note.text);
                line.push_str(ansi::RESET);
            } else {
                line.push_str(&row.note.text);
            }
        }
        if colour.is_some() {
            line.push_str(ansi::RESET);
        }
        line.push('\n');
        let r = self.out.write_all(line.as_bytes());
        self.line = line;
        self.num = num;
        self.previous = Some(row.frame.ts);
        r
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        if !self.conversations_started {
            self.conversations_started = true;
            let (on, off) = if self.color { (ansi::HEADING, ansi::RESET) } else { ("", "") };
            writeln!(self.out)?;
            writeln!(self.out, "{on}Conversations{off}")?;
        }
        let mut line = std::mem::take(&mut self.line);
        for r in rows {
            let c = r.conversation;
            let proto = match c.proto {
                Proto::Tcp => "TCP",
                Proto::Udp => "UDP",
            };
            // "{proto} {stream:<3} client {client} → server {server}  →{n} frames {n} bytes
            //  ←{n} frames {n} bytes  start {start} s, {dur} s  {state} {history}  {verdict}"
            line.clear();
            line.push_str(proto);
            line.push(' ');
            let mark = line.len();
            push_u64(&mut line, c.stream);
            let digits = line.len() - mark;
            spaces(&mut line, 3usize.saturating_sub(digits));
            line.push_str(" client ");
            push_endpoint(&mut line, c.client.ip, c.client.port);
            line.push_str(" → server ");
            push_endpoint(&mut line, c.server.ip, c.server.port);
            line.push_str("  → ");
            push_count(&mut line, c.from_client.frames, c.from_client.bytes);
            line.push_str("  ← ");
            push_count(&mut line, c.from_server.frames, c.from_server.bytes);
            line.push_str("  start ");
            push_seconds(&mut line, c.start.nanos_since(r.first), 6);
            line.push_str(" s, lasted ");
            push_seconds(&mut line, c.end.nanos_since(c.start), 6);
            line.push_str(" s  ");
            line.push_str(c.zeek_state);
            if !c.history.is_empty() {
                line.push(' ');
                line.push_str(&c.history);
            }
            line.push_str("  ");
            line.push_str(r.verdict);
            line.push('\n');
            if let Err(e) = self.out.write_all(line.as_bytes()) {
                self.line = line;
                return Err(e);
            }
        }
        self.line = line;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `5 frames, 363 bytes` (singular for one).
fn push_count(line: &mut String, frames: u64, bytes: u64) {
    push_u64(line, frames);
    line.push_str(if frames == 1 { " frame, " } else { " frames, " });
    push_u64(line, bytes);
    line.push_str(if bytes == 1 { " byte" } else { " bytes" });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Packet;
    use crate::explain::Note;
    use crate::source::Frame;
    use crate::track::Facts;

    /// The conversation lines are what the `writeln!` format wrote before, and rows given in
    /// several batches print one heading (so the pipeline may stream them).
    #[test]
    fn test_conversations_batches_match_format() {
        use crate::track::{Conversation, Endpoint, SideStats};
        let ep = |ip: &str, port| Endpoint { ip: ip.parse().unwrap(), port };
        let side = |frames, bytes| SideStats { frames, bytes, payload_bytes: 0 };
        let conv = |stream, client: Endpoint, history: &str| Conversation {
            proto: if stream % 2 == 0 { Proto::Tcp } else { Proto::Udp },
            stream,
            client,
            server: ep("10.2.0.1", 8888),
            from_client: side(5, 400),
            from_server: side(4, 300),
            first_frame: 1,
            last_frame: 9,
            start: Timestamp { secs: 12, nanos: 345_678_901 },
            end: Timestamp { secs: 13, nanos: 1 },
            zeek_state: "SF",
            history: history.into(),
            initial_rtt_ns: None,
            first_fin_by: None,
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 0,
        };
        let convs = [conv(0, ep("fd00::1:2", 40000), "ShADadFf"), conv(1, ep("10.1.0.9", 5), ""), conv(1234, ep("::1", 1), "D")];
        let first = Timestamp { secs: 10, nanos: 0 };
        let rows: Vec<ConversationRow<'_>> = convs.iter().map(|c| ConversationRow { conversation: c, verdict: "complete", first }).collect();
        let mut expected = String::from("\nConversations\n");
        for r in &rows {
            let c = r.conversation;
            let mut start = String::new();
            push_seconds(&mut start, c.start.nanos_since(r.first), 6);
            let mut dur = String::new();
            push_seconds(&mut dur, c.end.nanos_since(c.start), 6);
            let state = if c.history.is_empty() { c.zeek_state.to_string() } else { format!("{} {}", c.zeek_state, c.history) };
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
        Timeline::new(&mut one, TimeFormat::R, false).conversations(&rows).unwrap();
        assert_eq!(String::from_utf8(one).unwrap(), expected);
        let mut two = Vec::new();
        let mut t = Timeline::new(&mut two, TimeFormat::R, false);
        t.conversations(&rows[..1]).unwrap();
        t.conversations(&rows[1..]).unwrap();
        assert_eq!(String::from_utf8(two).unwrap(), expected);
    }

    #[test]
    fn test_long_info_puts_note_on_next_line_under_info() {
        let mut out = Vec::new();
        let mut t = Timeline::new(&mut out, TimeFormat::R, false);
        let frame = Frame { number: 1, ts: Timestamp { secs: 1, nanos: 0 }, linktype: 1, orig_len: 74, data: &[] };
        let note = Note {
            source: "127.0.0.1".into(),
            destination: "127.0.0.1".into(),
            protocol: "TCP".into(),
            info: "44610 → 23456 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=1335915 TSecr=0 WS=1024".into(),
            text: "1/3 SYN".into(),
            tone: Tone::Control,
        };
        let (packet, facts) = (Packet::default(), Facts::default());
        t.frame(&Row { frame: &frame, packet: &packet, facts: &facts, note: &note, first: frame.ts }).unwrap();
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
        let frame = Frame { number: 3, ts: Timestamp { secs: 10, nanos: 500_000 }, linktype: 1, orig_len: 47, data: &[] };
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
        let row = Row { frame: &frame, packet: &packet, facts: &facts, note: &note, first: Timestamp { secs: 10, nanos: 0 } };
        t.frame(&row).unwrap();
        let s = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("  No.       Time Source"));
        assert!(lines[1].starts_with("    3   0.000500 127.0.0.1       127.0.0.1       UDP          47 32887 → 23457 Len=5"));
        assert!(lines[1].ends_with(" request \"hello\" (5 bytes)"));
        let col = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(col(lines[0], "Note"), col(lines[1], "request"));
    }
}
