//! Views: each writes to any `impl io::Write`; never touches pcap or etherparse.
//! A view receives one [`Row`] per frame as soon as it is read (so a live capture
//! or a 10-million-frame file streams), then the conversations at the end.

use std::io;

use crate::decode::Packet;
use crate::explain::Note;
use crate::explain::lab::LabModel;
use crate::source::{Frame, Timestamp};
use crate::track::{Conversation, Facts};

pub mod checks;
pub mod common;
pub mod connlog;
pub mod conversations;
pub mod detail;
pub mod fitted;
pub mod flow;
pub mod follow;
pub mod jsonl;
pub mod report;
pub mod svg;
pub mod text;
pub mod timeline;

pub use text::TimeFormat;

/// Bytes of rows a view gathers before it writes them: one large write instead of one
/// per row (which the output's buffer would copy once more).
pub const ROW_BUFFER_BYTES: usize = 64 * 1024;

/// Rows built as bytes and not written yet, handed to the output [`ROW_BUFFER_BYTES`] bytes at a
/// time (whole rows only) and at every flush. A view appends a row, then calls
/// [`RowBuffer::row_done`].
#[derive(Debug)]
pub struct RowBuffer {
    pub bytes: Vec<u8>,
}

impl Default for RowBuffer {
    fn default() -> Self {
        RowBuffer {
            bytes: Vec::with_capacity(ROW_BUFFER_BYTES + 4096),
        }
    }
}

impl RowBuffer {
    /// After a whole row: writes what was gathered once it is [`ROW_BUFFER_BYTES`] bytes or more.
    pub fn row_done(&mut self, out: &mut impl io::Write) -> io::Result<()> {
        if self.bytes.len() >= ROW_BUFFER_BYTES {
            self.write_to(out)
        } else {
            Ok(())
        }
    }

    /// Writes every row gathered.
    pub fn write_to(&mut self, out: &mut impl io::Write) -> io::Result<()> {
        let r = out.write_all(&self.bytes);
        self.bytes.clear();
        r
    }
}

/// Everything a view may show about one frame.
pub struct Row<'r, 'a> {
    pub frame: &'r Frame<'a>,
    pub packet: &'r Packet<'a>,
    pub facts: &'r Facts,
    pub note: &'r Note,
    /// Timestamp of the first frame of the capture (time zero).
    pub first: Timestamp,
}

/// A finished conversation with its verdict.
pub struct ConversationRow<'r> {
    pub conversation: &'r Conversation,
    pub verdict: &'r str,
    /// Timestamp of the first frame of the capture.
    pub first: Timestamp,
}

/// A view of the frame stream.
pub trait View {
    /// Called once before the first frame.
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// One frame, in capture order.
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()>;
    /// Called once after the last frame, before the first batch of conversations, with how
    /// many will come (a view may then stream a long list instead of gathering it).
    fn conversations_coming(&mut self, _total: u64) {}
    /// The conversations, after the last frame.
    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()>;
    /// The lab model (runs and checks), after the conversations. The human views show
    /// "What the lab shows" when it has runs (see [`checks::write_lab_shows`]).
    fn lab(&mut self, model: &LabModel) -> io::Result<()> {
        let _ = model;
        Ok(())
    }
    /// Flushes what is buffered.
    fn finish(&mut self) -> io::Result<()>;
    /// Pushes the rows written so far to the output (a live capture calls it when idle).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
