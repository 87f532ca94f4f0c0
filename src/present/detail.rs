//! Packet detail (`--view detail [--frame N]`), like Wireshark's middle and bottom panes:
//! the frame, then every layer with every header field (offset, length, bits, value and
//! meaning), the conversation facts and the note, then the hex and ASCII dump. The fields
//! come from `decode::detail::dissect`; this view only lays them out. Streams frame by frame.

use std::io::{self, Write};

use super::common::{hexdump, pad_left, pad_right, proto_name, seconds, stream_spec};
use super::{ConversationRow, Row, View};
use crate::decode::detail::{Layer, RelativeSeq, dissect};
use crate::decode::linktype_name;
use crate::fmt::push_date_time;
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

/// Writes one layer: its heading, then a line per field.
pub fn render_layer(s: &mut String, l: &Layer) {
    s.push_str(&l.name);
    if !l.summary.is_empty() {
        s.push_str(", ");
        s.push_str(&l.summary);
    }
    if l.len > 0 {
        s.push_str(&format!("  [offset {:04x}, {} bytes]", l.offset, l.len));
    }
    s.push('\n');
    let label = |f: &crate::decode::detail::Field| match &f.bits {
        Some(b) => format!("{b} = {}", f.name.trim_start()),
        None => f.name.clone(),
    };
    let indent =
        |f: &crate::decode::detail::Field| if f.name.starts_with("  ") { "  " } else { "" };
    let lw = l
        .fields
        .iter()
        .map(|f| indent(f).len() + label(f).chars().count())
        .max()
        .unwrap_or(0);
    let vw = l
        .fields
        .iter()
        .map(|f| f.value.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for f in &l.fields {
        let mut line = String::from("    ");
        line.push_str(&format!("{:04x}", f.offset));
        line.push(' ');
        pad_left(&mut line, &f.len.to_string(), 3);
        line.push_str("  ");
        line.push_str(indent(f));
        pad_right(&mut line, &label(f), lw.saturating_sub(indent(f).len()));
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
        linktype_name(f.linktype)
    ));
    let mut date = String::new();
    push_date_time(&mut date, f.ts);
    s.push_str(&format!("    Arrival time: {date} UTC\n"));
    s.push_str(&format!(
        "    Time since the first frame: {} s\n",
        seconds(f.ts.nanos_since(row.first))
    ));
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
    for l in dissect(f, rel) {
        render_layer(&mut s, &l);
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
