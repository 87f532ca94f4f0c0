//! The conversations table, like Wireshark's Statistics → Conversations: the two endpoints
//! with their roles, frames and bytes each way, start, duration, initial RTT, the Zeek-style
//! state and history, and the verdict; then UDP's requests paired with their replies.
//! Per frame it keeps only a few recent UDP requests per conversation (bounded).

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};

use comfy_table::{CellAlignment, ColumnConstraint, Table, presets};

use super::common::{millis, proto_name};
use super::{ConversationRow, Row, View};
use crate::fmt::push_u64;
use crate::track::{Direction, Proto};

/// UDP requests remembered per conversation while waiting for their reply.
const PENDING: usize = 32;
/// Request/reply pairs listed per conversation.
pub const MAX_PAIRS: usize = 20;
/// UDP conversations whose pairs are listed.
const MAX_PAIRED_CONVERSATIONS: usize = 1000;
/// Above this many conversations, the table is written as fixed-width rows, one
/// batch at a time, instead of a table that holds every row before printing.
pub const MAX_TABLE_ROWS: usize = 4096;
/// Width of each column of the fixed-width rows (the verdict, last, is not padded).
const WIDTHS: [usize; 12] = [10, 24, 24, 10, 11, 10, 11, 11, 12, 12, 6, 9];

/// One UDP request and its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub request: u64,
    pub reply: u64,
    pub request_len: usize,
    pub reply_len: usize,
    /// Reply time minus request time, nanoseconds.
    pub delay: i128,
}

#[derive(Debug, Default)]
struct UdpPairs {
    pending: VecDeque<(u64, crate::source::Timestamp, usize)>,
    pairs: Vec<Pair>,
    more: u64,
}

/// Pairs UDP requests with their replies as frames go by (the tracker says which request a
/// reply answers); bounded per conversation.
#[derive(Debug, Default)]
pub struct Pairing {
    convs: HashMap<u64, UdpPairs>,
    order: Vec<u64>,
}

impl Pairing {
    /// Records one frame.
    pub fn add(&mut self, row: &Row<'_, '_>) {
        let f = row.facts;
        let (Some(Proto::Udp), Some(stream), Some(dir)) = (f.proto, f.stream, f.direction) else {
            return;
        };
        if !self.convs.contains_key(&stream) {
            if self.order.len() >= MAX_PAIRED_CONVERSATIONS {
                return;
            }
            self.order.push(stream);
        }
        let c = self.convs.entry(stream).or_default();
        let len = row.packet.payload.len();
        match dir {
            Direction::FromClient => {
                if c.pending.len() >= PENDING {
                    c.pending.pop_front();
                }
                c.pending.push_back((row.frame.number, row.frame.ts, len));
            }
            Direction::FromServer => {
                let Some(req) = f.udp.as_ref().and_then(|u| u.reply_to) else {
                    return;
                };
                let Some(&(n, ts, rlen)) = c.pending.iter().find(|p| p.0 == req) else {
                    return;
                };
                if c.pairs.len() >= MAX_PAIRS {
                    c.more += 1;
                    return;
                }
                c.pairs.push(Pair {
                    request: n,
                    reply: row.frame.number,
                    request_len: rlen,
                    reply_len: len,
                    delay: row.frame.ts.nanos_since(ts),
                });
            }
        }
    }

    /// (stream, pairs, pairs not listed) for each UDP conversation with a pair.
    pub fn pairs(&self) -> impl Iterator<Item = (u64, &[Pair], u64)> {
        self.order.iter().filter_map(|s| {
            self.convs
                .get(s)
                .filter(|c| !c.pairs.is_empty())
                .map(|c| (*s, c.pairs.as_slice(), c.more))
        })
    }
}

/// The column headings of the conversations table.
pub const HEADER: [&str; 13] = [
    "Conv",
    "Client (A)",
    "Server (B)",
    "Frames A→B",
    "Bytes A→B",
    "Frames B→A",
    "Bytes B→A",
    "Start (s)",
    "Duration (s)",
    "Initial RTT",
    "State",
    "History",
    "Verdict",
];

/// The cells of one conversation, in [`HEADER`] order.
pub fn cells(r: &ConversationRow<'_>) -> [String; 13] {
    let mut out: [String; 13] = Default::default();
    fill_cells(r, &mut out);
    out
}

/// [`cells`] into reused strings (cleared first): no allocation once they have grown.
pub fn fill_cells(r: &ConversationRow<'_>, out: &mut [String; 13]) {
    use super::timeline::push_endpoint;
    let c = r.conversation;
    for cell in out.iter_mut() {
        cell.clear();
    }
    let [
        conv,
        client,
        server,
        fa,
        ba,
        fb,
        bb,
        start,
        duration,
        rtt,
        state,
        history,
        verdict,
    ] = out;
    conv.push_str(proto_name(c.proto));
    conv.push(' ');
    push_u64(conv, c.stream);
    push_endpoint(client, c.client.ip, c.client.port);
    push_endpoint(server, c.server.ip, c.server.port);
    push_u64(fa, c.from_client.frames);
    push_u64(ba, c.from_client.bytes);
    push_u64(fb, c.from_server.frames);
    push_u64(bb, c.from_server.bytes);
    crate::fmt::push_seconds(start, c.start.nanos_since(r.first), 6);
    crate::fmt::push_seconds(duration, c.end.nanos_since(c.start), 6);
    match (c.proto, c.initial_rtt_ns) {
        (_, Some(ns)) => rtt.push_str(&millis(ns)),
        (Proto::Tcp, None) => rtt.push_str("no handshake"),
        (Proto::Udp, None) => rtt.push_str("n/a (UDP)"),
    }
    state.push_str(c.zeek_state);
    history.push_str(&c.history);
    verdict.push_str(r.verdict);
}

/// The column headings of the UDP pairs table.
pub const PAIR_HEADER: [&str; 6] = [
    "Conv",
    "Request frame",
    "Reply frame",
    "Request bytes",
    "Reply bytes",
    "Reply after",
];

/// The cells of one pair.
pub fn pair_cells(stream: u64, p: &Pair) -> [String; 6] {
    [
        format!("UDP {stream}"),
        p.request.to_string(),
        p.reply.to_string(),
        p.request_len.to_string(),
        p.reply_len.to_string(),
        millis(p.delay),
    ]
}

fn table(ascii: bool) -> Table {
    let mut t = Table::new();
    t.load_style(if ascii {
        presets::ASCII_FULL_CONDENSED
    } else {
        presets::UTF8_FULL_CONDENSED
    });
    t.force_no_tty();
    t
}

/// The conversations view.
pub struct Conversations<W: Write> {
    out: W,
    ascii: bool,
    pairing: Pairing,
    /// How many conversations the pipeline will hand over, when it says so before
    /// the first batch ([`View::conversations_coming`]): above [`MAX_TABLE_ROWS`], rows
    /// are streamed.
    total: Option<u64>,
    /// Fixed-width rows were written (the UDP pairs then follow at the end).
    streamed: bool,
    line: String,
    /// The cells of the row being written (reused).
    cells: [String; 13],
}

impl<W: Write> Conversations<W> {
    /// A conversations view writing to `out`.
    pub fn new(out: W, ascii: bool) -> Self {
        Conversations {
            out,
            ascii,
            pairing: Pairing::default(),
            total: None,
            streamed: false,
            line: String::new(),
            cells: Default::default(),
        }
    }

    /// Writes one batch of a long list as fixed-width rows (the heading first).
    fn stream_rows(&mut self, total: u64, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        if !self.streamed {
            self.streamed = true;
            writeln!(self.out, "Conversations: {total}")?;
            line.clear();
            fixed_row(&mut line, HEADER.iter().copied(), self.ascii);
            self.out.write_all(line.as_bytes())?;
        }
        let mut scratch = std::mem::take(&mut self.cells);
        for r in rows {
            line.clear();
            fill_cells(r, &mut scratch);
            fixed_row(&mut line, scratch.iter().map(String::as_str), self.ascii);
            self.out.write_all(line.as_bytes())?;
        }
        self.cells = scratch;
        self.line = line;
        Ok(())
    }

    /// The UDP request/reply pairs table.
    fn write_pairs(&mut self) -> io::Result<()> {
        let pairs: Vec<_> = self.pairing.pairs().collect();
        if !pairs.is_empty() {
            writeln!(self.out)?;
            writeln!(self.out, "UDP requests and their replies")?;
            let mut t = table(self.ascii);
            t.set_header(PAIR_HEADER);
            let mut more = 0;
            for (stream, ps, m) in &pairs {
                for p in *ps {
                    t.add_row(pair_cells(*stream, p));
                }
                more += m;
            }
            for i in 1..=5 {
                if let Some(col) = t.column_mut(i) {
                    col.set_cell_alignment(CellAlignment::Right);
                }
            }
            writeln!(self.out, "{t}")?;
            if more > 0 {
                writeln!(
                    self.out,
                    "… {more} more pair(s) not listed (at most {MAX_PAIRS} per conversation)"
                )?;
            }
        }
        Ok(())
    }
}

/// One fixed-width row: each cell padded to its column (numbers to the right),
/// two spaces apart, the verdict last; a newline at the end.
fn fixed_row<'s>(line: &mut String, cells: impl Iterator<Item = &'s str>, ascii: bool) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let width = WIDTHS.get(i).copied().unwrap_or(0);
        let chars = if cell.is_ascii() {
            cell.len()
        } else {
            cell.chars().count()
        };
        let pad = width.saturating_sub(chars);
        let right = (3..=9).contains(&i);
        if right {
            spaces(line, pad);
        }
        if ascii && cell.contains('→') {
            line.push_str(&cell.replace('→', "->"));
        } else {
            line.push_str(cell);
        }
        if !right && i + 1 < HEADER.len() {
            spaces(line, pad);
        }
    }
    line.push('\n');
}

/// Appends `n` spaces (a slice at a time, not one char at a time).
fn spaces(line: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        line.push_str(SPACES.get(..k).unwrap_or(""));
        n -= k;
    }
}

impl<W: Write> View for Conversations<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        self.pairing.add(row);
        Ok(())
    }

    fn conversations_coming(&mut self, total: u64) {
        self.total = Some(total);
    }
    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        let ascii = self.ascii;
        let fix = |s: &str| {
            if ascii {
                s.replace('→', "->")
            } else {
                s.to_string()
            }
        };
        if let Some(total) = self.total.filter(|&n| n > MAX_TABLE_ROWS as u64) {
            return self.stream_rows(total, rows);
        }
        writeln!(self.out, "Conversations: {}", rows.len())?;
        if rows.is_empty() {
            writeln!(self.out, "(no TCP or UDP conversation)")?;
            return Ok(());
        }
        let mut t = table(ascii);
        t.set_header(HEADER.iter().map(|h| fix(h)));
        for r in rows {
            t.add_row(cells(r).iter().map(|c| fix(c)));
        }
        for i in 3..=9 {
            if let Some(col) = t.column_mut(i) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        if let Some(col) = t.column_mut(12) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
        writeln!(self.out, "{t}")?;
        self.write_pairs()
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.streamed {
            self.streamed = false;
            self.write_pairs()?;
        }
        self.out.flush()
    }
}
