//! The annotated timeline: Wireshark's packet list (No., Time, Source,
//! Destination, Protocol, Length, Info) plus a Note column, written row by row
//! as frames arrive, then one line per conversation.

use std::io::{self, Write};

use super::text::{ansi, push_seconds, push_time};
use super::{ConversationRow, Row, TimeFormat, View};
use crate::explain::Tone;
use crate::source::Timestamp;
use crate::track::Proto;

/// Column widths (the Info column is padded so that notes line up; longer Info pushes its note right).
const W_NO: usize = 5;
const W_ADDR: usize = 15;
const W_PROTO: usize = 8;
const W_LEN: usize = 6;
const W_INFO: usize = 60;

/// Streams the timeline to `out`.
pub struct Timeline<W: Write> {
    out: W,
    time: TimeFormat,
    color: bool,
    previous: Option<Timestamp>,
    line: String,
    header_done: bool,
}

impl<W: Write> Timeline<W> {
    /// A timeline writing to `out`.
    pub fn new(out: W, time: TimeFormat, color: bool) -> Self {
        Self { out, time, color, previous: None, line: String::with_capacity(256), header_done: false }
    }

    fn time_width(&self) -> usize {
        match self.time {
            TimeFormat::R | TimeFormat::D => 10,
            TimeFormat::E => 17,
            TimeFormat::Ad => 26,
        }
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

/// Pads `s` with spaces to `width` characters (counted as chars, not bytes).
fn pad(line: &mut String, s: &str, width: usize) {
    line.push_str(s);
    let n = s.chars().count();
    for _ in n..width {
        line.push(' ');
    }
}

fn pad_left(line: &mut String, s: &str, width: usize) {
    let n = s.chars().count();
    for _ in n..width {
        line.push(' ');
    }
    line.push_str(s);
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
        let mut num = itoa_buf(row.frame.number);
        pad_left(&mut line, &num, W_NO);
        line.push(' ');
        num.clear();
        push_time(&mut num, self.time, row.frame.ts, row.first, self.previous);
        pad_left(&mut line, &num, self.time_width());
        line.push(' ');
        pad(&mut line, &row.note.source, W_ADDR);
        line.push(' ');
        pad(&mut line, &row.note.destination, W_ADDR);
        line.push(' ');
        pad(&mut line, &row.note.protocol, W_PROTO);
        line.push(' ');
        pad_left(&mut line, &itoa_buf(u64::from(row.frame.orig_len)), W_LEN);
        line.push(' ');
        if row.note.text.is_empty() {
            line.push_str(&row.note.info);
        } else {
            pad(&mut line, &row.note.info, W_INFO);
            line.push(' ');
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
        self.previous = Some(row.frame.ts);
        r
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (on, off) = if self.color { (ansi::HEADING, ansi::RESET) } else { ("", "") };
        writeln!(self.out)?;
        writeln!(self.out, "{on}Conversations{off}")?;
        for r in rows {
            let c = r.conversation;
            let proto = match c.proto {
                Proto::Tcp => "TCP",
                Proto::Udp => "UDP",
            };
            let mut start = String::new();
            push_seconds(&mut start, c.start.nanos_since(r.first), 6);
            let mut dur = String::new();
            push_seconds(&mut dur, c.end.nanos_since(c.start), 6);
            let state = if c.history.is_empty() {
                c.zeek_state.to_string()
            } else {
                format!("{} {}", c.zeek_state, c.history)
            };
            writeln!(
                self.out,
                "{proto} {:<3} client {} → server {}  →{} frames {} bytes  ←{} frames {} bytes  start {start} s, {dur} s  {state}  {}",
                c.stream,
                endpoint(c.client.ip, c.client.port),
                endpoint(c.server.ip, c.server.port),
                c.from_client.frames,
                c.from_client.bytes,
                c.from_server.frames,
                c.from_server.bytes,
                r.verdict
            )?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `ip:port`, with IPv6 addresses in brackets.
pub fn endpoint(ip: std::net::IpAddr, port: u16) -> String {
    match ip {
        std::net::IpAddr::V4(a) => format!("{a}:{port}"),
        std::net::IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

fn itoa_buf(n: u64) -> String {
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Packet;
    use crate::explain::Note;
    use crate::source::Frame;
    use crate::track::Facts;

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
