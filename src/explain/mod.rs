//! Facts → words: the Wireshark-style Protocol and Info columns, the
//! plain-language note for each frame, and the one-sentence verdict for each
//! conversation. Pure functions and a little per-conversation memory; no I/O.

pub mod info;
pub mod note;
pub mod text;
pub mod verdict;

#[cfg(test)]
mod oracle_tests;

use crate::decode::Packet;
use crate::source::Frame;
use crate::track::{Conversation, Facts};

/// How sequence numbers are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Show raw sequence and acknowledgement numbers instead of relative ones.
    pub absolute_seq: bool,
}

/// What a frame looks like to a reader, for colouring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tone {
    /// Nothing special.
    #[default]
    Plain,
    /// Opening or closing a connection (SYN, FIN).
    Control,
    /// A reset.
    Reset,
    /// An analysis warning (retransmission, lost segment, ...) or a problem.
    Warning,
}

/// The words for one frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// Source column: IP address, or MAC address for non-IP frames.
    pub source: String,
    /// Destination column.
    pub destination: String,
    /// Protocol column, as Wireshark names it ("TCP", "UDP", "ARP", "ICMP", ...).
    pub protocol: String,
    /// Info column, as Wireshark 4 writes it.
    pub info: String,
    /// The plain-language explanation.
    pub text: String,
    /// How to colour the row.
    pub tone: Tone,
}

/// Writes notes; remembers what it needs across frames (e.g. the last request per conversation).
///
/// Its memory is bounded: per open conversation at most [`note::MAX_REQUEST_BYTES`]
/// of the last request plus a few counters, dropped when the conversation closes
/// (RST, or both FINs acknowledged) and evicted oldest-first beyond
/// [`note::MAX_STREAMS`] open conversations.
#[derive(Debug, Default)]
pub struct Explainer {
    options: Options,
    memory: note::Memory,
}

impl Explainer {
    /// An explainer with these options.
    pub fn new(options: Options) -> Self {
        Self {
            options,
            memory: note::Memory::default(),
        }
    }

    /// The words for one frame.
    pub fn explain(&mut self, frame: &Frame<'_>, packet: &Packet<'_>, facts: &Facts) -> Note {
        let mut note = Note::default();
        self.explain_into(frame, packet, facts, &mut note);
        note
    }

    /// The words for one frame, written into `note` (its strings are cleared
    /// first and their capacity reused: the fast path for millions of frames).
    pub fn explain_into(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        facts: &Facts,
        note: &mut Note,
    ) {
        note.source.clear();
        note.destination.clear();
        note.protocol.clear();
        note.info.clear();
        note.text.clear();
        note.tone = Tone::Plain;
        info::write_addresses(&mut note.source, &mut note.destination, packet);
        info::write_protocol(&mut note.protocol, packet, frame.linktype);
        note::write(&mut self.memory, self.options, frame, packet, facts, note);
    }

    /// One sentence on a finished conversation, e.g.
    /// "complete: handshake, one request and its reply, closed by the server first".
    pub fn verdict(&self, conversation: &Conversation) -> String {
        verdict::verdict(
            conversation,
            self.memory.summary(conversation.proto, conversation.stream),
        )
    }
}
