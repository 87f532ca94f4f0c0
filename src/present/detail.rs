//! Packet detail (`--view detail [--frame N]`), like Wireshark's middle and bottom panes:
//! the frame, then every layer with every header field (offset, length, bits, value and
//! meaning), the conversation facts and the note, then the hex and ASCII dump. The fields
//! are the spans the decoder records as it parses (`decode::decode_spans`); this view only
//! lays them out. Streams frame by frame.

use std::io::{self, Write};

use super::common::{hexdump, pad_left, pad_right, proto_name, seconds, stream_spec};
use super::{ConversationRow, Row, View};
use crate::decode::spans::{RelativeSeq, Span};
use crate::decode::{decode_spans, linktype_name};
use crate::fmt::push_date_time;
use crate::text::{Style, escape};
use crate::track::Direction;

/// The detail view.
pub struct Detail<W: Write> {
    out: W,
    only: Option<u64>,
    seen: u64,
    found: bool,
}

impl<W: Write> Detail<W> {
    /// Details frame `only` (or every frame shown) to `out`.
    pub fn new(out: W, only: Option<u64>) -> Self {
        Detail {
            out,
            only,
            seen: 0,
            found: false,
        }
    }
}

/// Every field of a layer in order, each with its depth (sub-fields one deeper).
fn flatten<'s>(fields: &'s [Span], depth: usize, out: &mut Vec<(usize, &'s Span)>) {
    for f in fields {
        out.push((depth, f));
        flatten(&f.children, depth + 1, out);
    }
}

/// Writes one layer: its heading, then a line per field (sub-fields indented).
pub fn render_layer(s: &mut String, l: &Span) {
    s.push_str(&l.name);
    if !l.value.is_empty() {
        s.push_str(", ");
        s.push_str(&l.value);
    }
    if l.len > 0 {
        s.push_str(&format!("  [offset {:04x}, {} bytes]", l.offset, l.len));
    }
    s.push('\n');
    let mut fields = Vec::new();
    flatten(&l.children, 0, &mut fields);
    let label = |f: &Span| match &f.bits {
        Some(b) => format!("{b} = {}", f.name),
        None => f.name.clone(),
    };
    let indent = |depth: usize| "  ".repeat(depth);
    let lw = fields
        .iter()
        .map(|(d, f)| indent(*d).len() + label(f).chars().count())
        .max()
        .unwrap_or(0);
    let vw = fields
        .iter()
        .map(|(_, f)| f.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for (depth, f) in fields {
        let indent = indent(depth);
        let mut line = String::from("    ");
        line.push_str(&format!("{:04x}", f.offset));
        line.push(' ');
        pad_left(&mut line, &f.len.to_string(), 3);
        line.push_str("  ");
        line.push_str(&indent);
        pad_right(&mut line, &label(f), lw.saturating_sub(indent.len()));
        line.push_str("  ");
        pad_right(&mut line, &f.value, vw);
        if !f.meaning.is_empty() {
            line.push_str("  ");
            line.push_str(&f.meaning);
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
}

/// The whole detail of one frame.
pub fn render(row: &Row<'_, '_>) -> String {
    let f = row.frame;
    let mut s = String::new();
    let wire = u64::from(f.orig_len);
    let cap = f.data.len();
    s.push_str(&format!(
        "Frame {}: {wire} bytes on wire ({} bits), {cap} bytes captured ({} bits), {}\n",
        f.number,
        wire * 8,
        cap * 8,
        linktype_name(f.linktype.0)
    ));
    for comment in f.comments.iter() {
        s.push_str(&format!("    Comment: {}\n", escape(comment, Style::Plain)));
    }
    if f.ts.is_absent() {
        s.push_str("    Arrival time: none (a pcapng Simple Packet Block has no timestamp)\n");
    } else {
        let mut date = String::new();
        push_date_time(&mut date, f.ts);
        s.push_str(&format!("    Arrival time: {date} UTC\n"));
        s.push_str(&format!(
            "    Time since the first frame: {} s\n",
            seconds(f.ts.nanos_since(row.first))
        ));
    }
    if usize::try_from(f.orig_len).is_ok_and(|o| o > cap) {
        s.push_str(&format!(
            "    Cut short: {} bytes were not captured (snap length)\n",
            wire.saturating_sub(cap as u64)
        ));
    }
    let facts = row.facts;
    if let (Some(p), Some(st)) = (facts.proto, facts.stream) {
        let dir = match facts.direction {
            Some(Direction::FromClient) => "client → server",
            Some(Direction::FromServer) => "server → client",
            None => "direction unknown",
        };
        s.push_str(&format!(
            "    Conversation: {} stream {st} ({}), {dir}, frame {} of the conversation\n",
            proto_name(p),
            stream_spec(p, st),
            facts.index_in_conversation
        ));
    }
    if let Some(t) = &facts.tcp {
        s.push_str(&format!(
            "    TCP analysis: relative Seq={} Ack={} next Seq={} window {}",
            t.rel_seq, t.rel_ack, t.next_seq, t.window
        ));
        for name in t.analysis.names() {
            s.push_str(&format!(", {name}"));
        }
        s.push('\n');
    }
    if !row.note.info.is_empty() {
        s.push_str(&format!("    Info: {}\n", row.note.info));
    }
    if !row.note.text.is_empty() {
        s.push_str(&format!("    Note: {}\n", row.note.text));
    }
    if let Some(p) = &row.packet.problem {
        s.push_str(&format!("    Problem: {p}\n"));
    }
    let rel = facts.tcp.as_ref().map(|t| RelativeSeq {
        seq: t.rel_seq,
        ack: t.rel_ack,
    });
    s.push_str("Layers (each field: offset in hex as in the dump below, length in bytes, bits, name, value, meaning)\n");
    let (_, layers) = decode_spans(f, rel);
    for l in &layers {
        render_layer(&mut s, l);
    }
    s.push_str("Bytes (offset in hex, hex bytes, ASCII)\n");
    hexdump(&mut s, f.data, "    ");
    s
}

impl<W: Write> View for Detail<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        if self.only.is_some_and(|n| n != row.frame.number) {
            return Ok(());
        }
        if self.found {
            self.out.write_all(b"\n")?;
        }
        self.found = true;
        self.seen += 1;
        self.out.write_all(render(row).as_bytes())
    }

    fn conversations(&mut self, _rows: &[ConversationRow<'_>]) -> io::Result<()> {
        if !self.found {
            match self.only {
                Some(n) => writeln!(self.out, "Frame {n} is not among the frames shown.")?,
                None => writeln!(self.out, "No frame to show.")?,
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
