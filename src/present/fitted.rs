//! The timeline laid out for a terminal of a given width (`crate::width`): the columns
//! sized to the values of the first rows (addresses, protocols, frame numbers), what does
//! not fit its column shortened with `…`, each note on its own indented line under its
//! row, wrapped, and every conversation line packed into the width. Piped output uses
//! [`super::timeline::Timeline`] instead (full rows, nothing cut).

use std::io::{self, Write};

use super::common::proto_name;
use super::text::{TimeColumn, ansi, time_column};
use super::timeline::{conversations_heading, push_endpoint, row_colour};
use super::{ConversationRow, Row, TimeFormat, View};
use crate::explain::Tone;
use crate::fmt::{push_date_time, push_seconds, push_u64};
use crate::source::Timestamp;
use crate::text::{Style, escape};
use crate::width::{Packer, display_width, push_spaces, shorten, shorten_middle};

/// Rows read before the column widths are chosen (fewer when the output is flushed first,
/// as a live capture does when idle).
pub const LOOKAHEAD: usize = 200;
/// Columns the Info column keeps at the least when addresses are shortened for it.
const INFO_MIN: usize = 24;
/// Below this many columns left for Info on the row, Info starts on the next line.
const INFO_LEAST: usize = 12;
/// Columns an address column keeps at the least (an IPv4 loopback address is 9).
const ADDR_MIN: usize = 9;
/// How far a note's lines are indented under their row.
const NOTE_INDENT: usize = 6;
/// How far a conversation line's continuation lines are indented.
pub const CONTINUATION_INDENT: usize = 4;

/// One row held until the widths are chosen.
#[derive(Debug, Clone)]
struct Held {
    number: u64,
    time: String,
    source: String,
    destination: String,
    protocol: String,
    length: u64,
    info: String,
    note: String,
    tone: Tone,
    /// The frame's own pcapng comments, escaped.
    comments: Vec<String>,
}

/// The chosen column widths.
#[derive(Debug, Clone, Copy)]
struct Columns {
    no: usize,
    time: usize,
    source: usize,
    destination: usize,
    protocol: usize,
    length: usize,
}

impl Columns {
    /// Widths for `rows` in `width` columns.
    fn choose(rows: &[Held], width: usize) -> Columns {
        let max = |f: &dyn Fn(&Held) -> usize, least: usize| {
            rows.iter().map(f).max().unwrap_or(0).max(least)
        };
        let digits = |n: u64| n.checked_ilog10().map_or(1, |d| d as usize + 1);
        let no = max(&|r| digits(r.number), 3);
        let time = max(&|r| display_width(&r.time), 4);
        let protocol = max(&|r| display_width(&r.protocol), 5).min(10);
        let length = max(&|r| digits(r.length), 3);
        let mut source = max(&|r| display_width(&r.source), 6);
        let mut destination = max(&|r| display_width(&r.destination), 11);
        let info_wanted = max(&|r| display_width(&r.info), 4);
        // Six spaces between seven columns.
        let fixed = no + time + protocol + length + 6;
        let rest = width.saturating_sub(fixed);
        let info_least = info_wanted.min(INFO_MIN);
        if source + destination + info_least > rest {
            // Addresses give way first, each down to its share (never below ADDR_MIN).
            let share = rest.saturating_sub(info_least) / 2;
            source = source.min(share.max(ADDR_MIN));
            destination = destination.min(share.max(ADDR_MIN));
        }
        Columns {
            no,
            time,
            source,
            destination,
            protocol,
            length,
        }
    }
}

/// Streams the timeline fitted to `width` columns.
pub struct FittedTimeline<W: Write> {
    out: W,
    time: TimeFormat,
    color: bool,
    width: usize,
    previous: Option<Timestamp>,
    held: Vec<Held>,
    columns: Option<Columns>,
    line: String,
    conversations_started: bool,
}

impl<W: Write> FittedTimeline<W> {
    /// A timeline writing to `out`, each line at most `width` columns.
    pub fn new(out: W, time: TimeFormat, color: bool, width: usize) -> Self {
        FittedTimeline {
            out,
            time,
            color,
            width,
            previous: None,
            held: Vec::new(),
            columns: None,
            line: String::new(),
            conversations_started: false,
        }
    }

    /// Chooses the widths from the rows held (if not chosen yet), writes the heading and
    /// every row held.
    fn release(&mut self) -> io::Result<()> {
        if self.columns.is_none() {
            let c = Columns::choose(&self.held, self.width);
            self.columns = Some(c);
            let mut head = String::new();
            cell(&mut head, "No.", c.no, true);
            head.push(' ');
            cell(&mut head, "Time", c.time, true);
            head.push(' ');
            cell(&mut head, "Source", c.source, false);
            head.push(' ');
            let destination = if c.destination < 11 {
                "Dest"
            } else {
                "Destination"
            };
            cell(&mut head, destination, c.destination, false);
            head.push(' ');
            cell(&mut head, "Proto", c.protocol, false);
            head.push(' ');
            cell(&mut head, "Len", c.length, true);
            head.push_str(" Info");
            let (on, off) = if self.color {
                (ansi::HEADING, ansi::RESET)
            } else {
                ("", "")
            };
            writeln!(self.out, "{on}{}{off}", shorten(&head, self.width, false))?;
        }
        let held = std::mem::take(&mut self.held);
        for r in &held {
            self.write_row(r)?;
        }
        self.held = held;
        self.held.clear();
        Ok(())
    }

    fn write_row(&mut self, r: &Held) -> io::Result<()> {
        let Some(c) = self.columns else {
            return Ok(());
        };
        let line = &mut self.line;
        line.clear();
        let mut n = String::new();
        push_u64(&mut n, r.number);
        cell(line, &n, c.no, true);
        line.push(' ');
        cell(line, &shorten(&r.time, c.time, false), c.time, true);
        line.push(' ');
        cell(line, &shorten_middle(&r.source, c.source), c.source, false);
        line.push(' ');
        cell(
            line,
            &shorten_middle(&r.destination, c.destination),
            c.destination,
            false,
        );
        line.push(' ');
        cell(
            line,
            &shorten(&r.protocol, c.protocol, false),
            c.protocol,
            false,
        );
        line.push(' ');
        n.clear();
        push_u64(&mut n, r.length);
        cell(line, &n, c.length, true);
        line.push(' ');
        // Info wraps at its spaces onto lines of its own column (nothing of it is cut); when
        // the columns before it leave it too little room (`-t ad` on a narrow terminal), it
        // starts on the next line instead, indented as the note.
        let mut at_info = display_width(line);
        if at_info + INFO_LEAST > self.width {
            let end = line.trim_end().len();
            line.truncate(end);
            line.push('\n');
            push_spaces(line, NOTE_INDENT + 2);
            at_info = NOTE_INDENT + 2;
        }
        let mut p = Packer::continuing(line, self.width, at_info, at_info);
        p.words(&r.info, "");
        p.end();
        if line.ends_with('\n') {
            line.pop();
        }
        let colour = row_colour(self.color, r.tone);
        let mut note = String::new();
        if !r.note.is_empty() {
            push_spaces(&mut note, NOTE_INDENT);
            note.push_str("↳ ");
            let mut p = Packer::continuing(&mut note, self.width, NOTE_INDENT + 2, NOTE_INDENT + 2);
            p.words(&r.note, "");
            p.end();
        }
        // The frame's own comments, each on lines of its own under the note.
        for comment in &r.comments {
            push_spaces(&mut note, NOTE_INDENT);
            note.push_str("# comment: ");
            let at = NOTE_INDENT + 11;
            let mut p = Packer::continuing(&mut note, self.width, at, at);
            p.words(comment, "");
            p.end();
        }
        match (colour, self.color) {
            (Some(c), _) => {
                for l in self.line.lines() {
                    paint(&mut self.out, c, l)?;
                }
                for l in note.lines() {
                    paint(&mut self.out, c, l)?;
                }
            }
            (None, true) => {
                writeln!(self.out, "{}", self.line)?;
                for l in note.lines() {
                    paint(&mut self.out, ansi::NOTE, l)?;
                }
            }
            (None, false) => {
                writeln!(self.out, "{}", self.line)?;
                self.out.write_all(note.as_bytes())?;
            }
        }
        Ok(())
    }
}

/// Writes `text` in colour `c`, then a newline.
fn paint(out: &mut impl Write, c: &str, text: &str) -> io::Result<()> {
    writeln!(out, "{c}{text}{}", ansi::RESET)
}

/// Appends `s` padded to `width` columns (right-aligned when `right`).
fn cell(line: &mut String, s: &str, width: usize, right: bool) {
    let pad = width.saturating_sub(display_width(s));
    if right {
        push_spaces(line, pad);
    }
    line.push_str(s);
    if !right {
        push_spaces(line, pad);
    }
}

/// `5 frames, 363 bytes` (singular for one).
fn count(frames: u64, bytes: u64) -> String {
    format!(
        "{frames} {}, {bytes} {}",
        if frames == 1 { "frame" } else { "frames" },
        if bytes == 1 { "byte" } else { "bytes" }
    )
}

/// The timeline's line of one conversation packed into `width` columns (continuation
/// lines indented by [`CONTINUATION_INDENT`]): the same pieces as the full line.
pub fn conversation_line(out: &mut String, r: &ConversationRow<'_>, width: usize) {
    let c = r.conversation;
    let mut piece = String::new();
    let mut p = Packer::new(out, width, CONTINUATION_INDENT);
    piece.push_str(proto_name(c.proto));
    piece.push(' ');
    push_u64(&mut piece, c.stream);
    p.piece(&piece, "");
    piece.clear();
    piece.push_str("client ");
    push_endpoint(&mut piece, c.client.ip, c.client.port);
    p.piece(&piece, " ");
    piece.clear();
    piece.push_str("→ server ");
    push_endpoint(&mut piece, c.server.ip, c.server.port);
    p.piece(&piece, " ");
    p.piece(
        &format!("→ {}", count(c.from_client.frames, c.from_client.bytes)),
        "  ",
    );
    p.piece(
        &format!("← {}", count(c.from_server.frames, c.from_server.bytes)),
        "  ",
    );
    piece.clear();
    piece.push_str("start ");
    push_seconds(&mut piece, c.start.nanos_since(r.first), 6);
    piece.push_str(" s, lasted ");
    push_seconds(&mut piece, c.end.nanos_since(c.start), 6);
    piece.push_str(" s");
    p.piece(&piece, "  ");
    piece.clear();
    piece.push_str(c.zeek_state);
    if !c.history.is_empty() {
        piece.push(' ');
        piece.push_str(&c.history);
    }
    p.piece(&piece, "  ");
    p.piece(r.verdict, "  ");
    p.end();
}

impl<W: Write> View for FittedTimeline<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        let note = row.note;
        let mut time = String::new();
        match time_column(self.time, row.frame.ts, row.first, self.previous) {
            TimeColumn::Empty => {}
            TimeColumn::Seconds(s) => {
                time.push_str(std::str::from_utf8(s.as_bytes()).unwrap_or(""))
            }
            TimeColumn::DateTime => push_date_time(&mut time, row.frame.ts),
        }
        self.previous = Some(row.frame.ts);
        let held = Held {
            number: row.frame.number,
            time,
            source: note.source.clone(),
            destination: note.destination.clone(),
            protocol: note.protocol.clone(),
            length: u64::from(row.frame.orig_len),
            info: note.info.clone(),
            note: note.text.clone(),
            tone: note.tone,
            comments: row
                .frame
                .comments
                .iter()
                .map(|c| escape(c, Style::Plain))
                .collect(),
        };
        if self.columns.is_some() {
            return self.write_row(&held);
        }
        self.held.push(held);
        if self.held.len() >= LOOKAHEAD {
            self.release()?;
        }
        Ok(())
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        if !self.held.is_empty() {
            self.release()?;
        }
        if rows.is_empty() {
            return Ok(());
        }
        if !self.conversations_started {
            self.conversations_started = true;
            conversations_heading(&mut self.out, self.color)?;
        }
        let mut s = String::new();
        for r in rows {
            s.clear();
            conversation_line(&mut s, r, self.width);
            self.out.write_all(s.as_bytes())?;
        }
        Ok(())
    }

    fn lab(&mut self, model: &crate::explain::lab::LabModel) -> io::Result<()> {
        if !self.held.is_empty() {
            self.release()?;
        }
        super::checks::write_lab_shows(&mut self.out, model, self.color, Some(self.width))
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.held.is_empty() {
            self.release()?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.held.is_empty() {
            self.release()?;
        }
        self.out.flush()
    }
}

/// `out` with every line wider than `width` wrapped at its spaces (a hanging indent of its
/// own indent plus two), or `out` itself when `width` is `None`: for the views whose
/// lines are text to read rather than columns (detail, follow's text).
pub fn fit(out: Box<dyn Write>, width: Option<usize>) -> Box<dyn Write> {
    match width {
        Some(width) => Box::new(FitLines {
            out,
            width,
            partial: Vec::new(),
        }),
        None => out,
    }
}

/// A writer that wraps the long lines written through it (see [`fit`]).
pub struct FitLines<W: Write> {
    out: W,
    width: usize,
    /// The start of a line not ended yet.
    partial: Vec<u8>,
}

impl<W: Write> FitLines<W> {
    /// Wraps and writes `line` (with its newline, if any).
    fn put(&mut self, line: &[u8]) -> io::Result<()> {
        match std::str::from_utf8(line) {
            Ok(s) if display_width(s.trim_end_matches('\n')) > self.width => self
                .out
                .write_all(crate::width::wrap_lines(s, self.width).as_bytes()),
            _ => self.out.write_all(line),
        }
    }
}

impl<W: Write> Write for FitLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(i + 1);
            if self.partial.is_empty() {
                self.put(line)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.put(&whole)?;
            }
            rest = after;
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.partial.is_empty() {
            let partial = std::mem::take(&mut self.partial);
            self.put(&partial)?;
        }
        self.out.flush()
    }
}

impl<W: Write> Drop for FitLines<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Packet;
    use crate::explain::Note;
    use crate::source::Frame;
    use crate::track::Facts;

    fn render(rows: &[(&str, &str, &str, &str)], width: usize) -> String {
        render_with(rows, width, TimeFormat::R)
    }

    fn render_with(rows: &[(&str, &str, &str, &str)], width: usize, time: TimeFormat) -> String {
        let mut out = Vec::new();
        let mut t = FittedTimeline::new(&mut out, time, false, width);
        for (i, (source, destination, info, text)) in rows.iter().enumerate() {
            let frame = Frame {
                number: i as u64 + 1,
                ts: Timestamp { secs: 1, nanos: 0 },
                linktype: crate::source::LinkType(1),
                orig_len: 74,
                data: &[],
                comments: crate::source::Comments::NONE,
            };
            let note = Note {
                source: (*source).into(),
                destination: (*destination).into(),
                protocol: "TCP".into(),
                info: (*info).into(),
                text: (*text).into(),
                tone: Tone::Plain,
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
        }
        t.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn test_rows_fit_width_addresses_shortened_in_the_middle() {
        let info = "44610 → 23456 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=1335915 TSecr=0 WS=1024";
        let note = "1/3 SYN: the client picks its initial sequence number (ISN) 3963842944, shown as Seq=0";
        let s = render(
            &[
                ("fe80::1234:5678:9abc:def0", "ff02::1:ff00:1234", info, note),
                ("127.0.0.1", "127.0.0.1", "1 → 2 Len=5", ""),
            ],
            80,
        );
        for l in s.lines() {
            assert!(display_width(l) <= 80, "{l:?}\n{s}");
        }
        assert!(s.contains("fe80::"), "{s}");
        assert!(s.contains('…'), "the long address is shortened: {s}");
        // Info and the note are wrapped, never cut.
        let words: Vec<&str> = s.split_whitespace().collect();
        for w in info.split(' ').chain(note.split(' ')) {
            assert!(words.contains(&w), "{w:?} lost:\n{s}");
        }
        // The note has its own line, after the arrow, under the row.
        let arrow = s
            .lines()
            .position(|l| l.trim_start().starts_with("↳ 1/3 SYN"));
        assert!(arrow.is_some_and(|i| i >= 2), "{s}");
        // Without a note, a row is one line.
        assert!(
            s.lines().last().is_some_and(|l| l.ends_with("1 → 2 Len=5")),
            "{s}"
        );
    }

    #[test]
    fn test_columns_sized_to_the_addresses_present() {
        let s = render(&[("10.0.0.1", "10.0.0.2", "1 → 2 Len=5", "a note")], 100);
        let header = s.lines().next().unwrap();
        // "Source" is 6 wide, the addresses 8: the Destination heading starts 9 columns on.
        let at = |pat: &str| header.find(pat).unwrap();
        assert_eq!(at("Destination") - at("Source"), 9, "{s}");
    }

    #[test]
    fn test_date_time_column_at_60_columns_moves_info_down() {
        let info = "44610 → 23456 [SYN] Seq=0 Win=65495 Len=0 MSS=65495";
        let s = render_with(
            &[("fe80::1234:5678:9abc:def0", "ff02::1", info, "1/3 SYN")],
            60,
            TimeFormat::Ad,
        );
        for l in s.lines() {
            assert!(display_width(l) <= 60, "{l:?}\n{s}");
        }
        let words: Vec<&str> = s.split_whitespace().collect();
        for w in info.split(' ') {
            assert!(words.contains(&w), "{w:?} lost:\n{s}");
        }
    }
}
