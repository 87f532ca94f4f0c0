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
    addresses: info::AddressCache,
}

impl Explainer {
    /// An explainer with these options.
    pub fn new(options: Options) -> Self {
        Self {
            options,
            memory: note::Memory::default(),
            addresses: info::AddressCache::default(),
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
        self.addresses
            .write_addresses(&mut note.source, &mut note.destination, packet);
        info::write_protocol(&mut note.protocol, packet, frame.linktype);
        note::write(&mut self.memory, self.options, frame, packet, facts, note);
    }

    /// Remembers what the verdicts need of one frame, without writing its words:
    /// the fast path for a view that shows no frame. Calling it instead of
    /// [`Explainer::explain_into`] gives the same verdicts.
    pub fn observe(&mut self, frame: &Frame<'_>, packet: &Packet<'_>, facts: &Facts) {
        note::observe(&mut self.memory, frame, packet, facts);
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

#[cfg(test)]
mod summary_tests {
    use super::*;
    use crate::source::FileSource;
    use crate::track::{FrameMeta, Tracker};

    /// The summary-only path gives the same verdicts as the full explanation, on every fixture.
    #[test]
    fn test_observe_only_fixtures_same_verdicts() {
        let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let n = p.to_string_lossy();
                (n.ends_with(".pcap") || n.ends_with(".pcapng")) && !n.contains(".oracle.")
            })
            .collect();
        files.sort();
        assert!(!files.is_empty());
        let mut frames = 0;
        for path in files {
            let Ok(mut source) = FileSource::open(&path) else {
                continue;
            };
            let (mut t1, mut t2) = (Tracker::new(), Tracker::new());
            let (mut full, mut quick) = (Explainer::default(), Explainer::default());
            let mut decoder = crate::decode::Decoder::new();
            while let Ok(Some(frame)) = source.next_frame() {
                frames += 1;
                let packet = decoder.decode(&frame);
                let meta = FrameMeta {
                    number: frame.number,
                    ts: frame.ts,
                    orig_len: frame.orig_len,
                };
                let f1 = t1.observe(meta, &packet);
                let f2 = t2.observe(meta, &packet);
                let _ = full.explain(&frame, &packet, &f1);
                quick.observe(&frame, &packet, &f2);
            }
            for c in t1.finish() {
                assert_eq!(
                    full.verdict(&c),
                    quick.verdict(&c),
                    "{} stream {}",
                    path.display(),
                    c.stream
                );
            }
        }
        assert!(frames > 0);
    }
}
