//! Facts → words: the Wireshark-style Protocol and Info columns, the
//! plain-language note for each frame, and the one-sentence verdict for each
//! conversation. Pure functions and a little per-conversation memory; no I/O.

pub mod app;
pub mod info;
pub mod lab;
pub mod note;
pub mod verdict;
pub mod web;

#[cfg(test)]
mod oracle_tests;

use crate::decode::Packet;
use crate::decode::app::web::{WebContent, WebDissector};
use crate::hints::Hints;
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
/// Its memory is bounded: per open conversation a few counters (and the lab model's
/// bounded state, see [`lab::observe`]), dropped when the conversation closes
/// (RST, or both FINs acknowledged) and evicted oldest-first beyond
/// [`note::MAX_STREAMS`] open conversations.
#[derive(Debug)]
pub struct Explainer {
    options: Options,
    memory: note::Memory,
    app: app::Memory,
    addresses: info::AddressCache,
    /// The web's protocols (HTTP, TLS, SSH, QUIC), followed across frames.
    web: WebDissector,
    /// Scratch for the TCP Info of a segment inside a web PDU.
    web_tcp_info: String,
    /// The lab model's memory: which conversations are lab runs, and how they went.
    lab: lab::Observer,
    /// Run numbers per conversation, once the last frame was seen ([`Explainer::close_lab`]).
    run_numbers: std::collections::HashMap<(crate::track::Proto, u64), u32>,
}

impl Default for Explainer {
    fn default() -> Self {
        Explainer::new(Options::default())
    }
}

impl Explainer {
    /// An explainer with these options.
    pub fn new(options: Options) -> Self {
        Self {
            options,
            memory: note::Memory::default(),
            app: app::Memory::default(),
            addresses: info::AddressCache::default(),
            lab: lab::Observer::new(lab::Scope::Auto),
            run_numbers: std::collections::HashMap::new(),
            web: WebDissector::new(),
            web_tcp_info: String::new(),
        }
    }

    /// Which conversations the lab model judges (by default [`lab::Scope::Auto`]).
    pub fn set_lab_scope(&mut self, scope: lab::Scope) {
        self.lab = lab::Observer::new(scope);
    }

    /// After the last frame: numbers the lab runs (UDP and TCP each from 1, by first frame).
    pub fn close_lab(&mut self) {
        let mut next = (0u32, 0u32);
        self.run_numbers = self
            .lab
            .run_order()
            .into_iter()
            .map(|key| {
                let n = match key.0 {
                    crate::track::Proto::Udp => &mut next.0,
                    _ => &mut next.1,
                };
                *n += 1;
                (key, *n)
            })
            .collect();
    }

    /// The lab run a finished conversation is (after [`Explainer::close_lab`]).
    pub fn lab_run(&self, conversation: &Conversation) -> Option<lab::Run> {
        let n = self
            .run_numbers
            .get(&(conversation.proto, conversation.stream))?;
        self.lab.run(conversation, *n)
    }

    /// Conversations the lab model could not follow (beyond its bound).
    pub fn lab_not_followed(&self) -> u64 {
        self.lab.not_followed()
    }

    /// The lab's words on a conversation for its verdict.
    fn lab_words(&self, conversation: &Conversation) -> Option<String> {
        if let Some(run) = self.lab_run(conversation) {
            return Some(run.verdict_words());
        }
        let (client, server) = self.lab.stray_of(conversation)?;
        let mut s = String::from("the reply to the lab request of ");
        note::write_endpoint(&mut s, client.ip, client.port);
        s.push_str(", not from the server's port ");
        s.push_str(&server.port.to_string());
        Some(s)
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
        self.explain_with(frame, packet, facts, note, Hints::default());
    }

    /// [`Explainer::explain_into`], with what `hints` already hold: a TCP segment's Info
    /// column written by [`tcp_info`] (the threaded reader may write it on its other
    /// thread). The note is the same either way.
    pub(crate) fn explain_with(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        facts: &Facts,
        note: &mut Note,
        hints: Hints<'_>,
    ) {
        note.source.clear();
        note.destination.clear();
        note.protocol.clear();
        note.info.clear();
        note.text.clear();
        note.tone = Tone::Plain;
        self.addresses
            .write_addresses(&mut note.source, &mut note.destination, packet);
        info::write_protocol(&mut note.protocol, packet, frame.linktype.0);
        let dissected = self.web.dissect(frame.number, packet);
        let claimed = match dissected.as_ref() {
            // HTTP, TLS, SSH, QUIC: their own columns and note (explain::web)
            Some(w) => {
                self.web_tcp_info.clear();
                if matches!(w.content, WebContent::Segment) {
                    write_tcp_info(&mut self.web_tcp_info, packet, facts, self.options);
                }
                note.protocol.clear();
                note.protocol.push_str(web::protocol(w));
                web::write_info(&mut note.info, w, &self.web_tcp_info);
                web::write_note(&mut note.text, w);
                true
            }
            None => app::app_frame(Some(frame), packet, facts).is_some_and(|f| {
                let Note {
                    protocol,
                    info,
                    text,
                    tone,
                    ..
                } = note;
                let mut words = app::Words {
                    protocol,
                    info,
                    text,
                    tone,
                };
                app::write(&mut self.app, &f, &mut words) == app::Claim::Written
            }),
        };
        let words = self.lab.observe(frame.number, frame.ts, packet, facts);
        note::write(
            &mut self.memory,
            claimed,
            self.options,
            frame,
            packet,
            facts,
            note,
            hints.tcp_info,
            &words,
        );
    }

    /// The options this explainer writes with.
    pub fn options(&self) -> Options {
        self.options
    }

    /// Remembers what the verdicts need of one frame, without writing its words:
    /// the fast path for a view that shows no frame. Calling it instead of
    /// [`Explainer::explain_into`] gives the same verdicts.
    pub fn observe(&mut self, frame: &Frame<'_>, packet: &Packet<'_>, facts: &Facts) {
        let web = self.web.dissect(frame.number, packet).is_some();
        let claimed = web
            || app::app_frame(Some(frame), packet, facts)
                .is_some_and(|f| app::observe(&mut self.app, &f) == app::Claim::Written);
        let _ = self.lab.observe(frame.number, frame.ts, packet, facts);
        note::observe(&mut self.memory, claimed, packet, facts);
    }

    /// Zeek's `service` of a finished conversation: the protocol of the web's dissector
    /// when it followed the conversation (HTTP, TLS, SSH or QUIC found by port or, on
    /// another port, by content), else that of the dissector the tracker saw take a
    /// payload (`Conversation::service`); `None` when no dissector took it.
    pub fn service(&self, conversation: &Conversation) -> Option<&'static str> {
        let (c, sv) = (&conversation.client, &conversation.server);
        let tcp = conversation.proto == crate::track::Proto::Tcp;
        let udp = conversation.proto == crate::track::Proto::Udp;
        if (tcp || udp)
            && let Some(p) = self.web.proto_of((c.ip, c.port), (sv.ip, sv.port), tcp)
        {
            return Some(p.app().zeek_service());
        }
        conversation.service
    }

    /// One sentence on a finished conversation, e.g.
    /// "complete: handshake, one request and its reply, closed by the server first".
    pub fn verdict(&self, conversation: &Conversation) -> String {
        if let Some(v) = app::verdict(&self.app, conversation.proto, conversation.stream) {
            return v;
        }
        let (c, sv) = (&conversation.client, &conversation.server);
        let tcp = conversation.proto == crate::track::Proto::Tcp;
        if let Some(v) = self
            .web
            .summary((c.ip, c.port), (sv.ip, sv.port), tcp)
            .and_then(|s| web::verdict(&s))
        {
            return v;
        }
        verdict::verdict(
            conversation,
            self.memory.summary(conversation.proto, conversation.stream),
            self.lab_words(conversation).as_deref(),
        )
    }
}

/// A TCP segment's Info column, a pure function of the packet and the tracker's facts, so
/// that either thread of the threaded reader may write it. False (nothing written) for a
/// frame that is not a TCP segment, nor for one whose payload a dissector claims (its Info
/// is the protocol's).
pub(crate) fn tcp_info(
    out: &mut String,
    packet: &Packet<'_>,
    facts: &Facts,
    options: Options,
) -> bool {
    if packet.app.is_some() {
        return false;
    }
    write_tcp_info(out, packet, facts, options)
}

/// A TCP segment's Info column, written without the explainer's memory (false, nothing
/// written, for a frame that is not a TCP segment).
fn write_tcp_info(out: &mut String, packet: &Packet<'_>, facts: &Facts, options: Options) -> bool {
    match &packet.transport {
        crate::decode::Transport::Tcp(tcp) => {
            info::write_tcp_info(out, tcp, facts.tcp.as_ref(), options.absolute_seq);
            true
        }
        _ => false,
    }
}

/// The capture files in these folders of the repository, sorted.
#[cfg(test)]
fn fixture_files(dirs: &[&str]) -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = dirs
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(root.join(d))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            (n.ends_with(".pcap") || n.ends_with(".pcapng")) && !n.contains(".oracle.")
        })
        .collect();
    files.sort();
    files
}

/// Reads a capture file through the decoder and a new tracker, giving each frame with
/// its packet and facts to `each`; returns the tracker after the last frame (None when
/// the file cannot be opened).
#[cfg(test)]
pub(crate) fn each_tracked_frame(
    path: &std::path::Path,
    mut each: impl FnMut(&Frame<'_>, &Packet<'_>, &Facts),
) -> Option<crate::track::Tracker> {
    use crate::track::{FrameMeta, Tracker};
    let mut source = crate::source::FileSource::open(path).ok()?;
    let (mut decoder, mut tracker) = (crate::decode::Decoder::new(), Tracker::new());
    while let Ok(Some(frame)) = source.next_frame() {
        let packet = decoder.decode(&frame);
        let meta = FrameMeta {
            number: frame.number,
            ts: frame.ts,
            orig_len: frame.orig_len,
        };
        let facts = tracker.observe(meta, &packet);
        each(&frame, &packet, &facts);
    }
    Some(tracker)
}

#[cfg(test)]
mod given_info_tests {
    use super::*;

    /// A note written with the TCP Info from [`tcp_info`] is the note written
    /// without it, on every frame of every fixture (Accurate ECN ones included), with
    /// relative and absolute sequence numbers.
    #[test]
    fn test_given_tcp_info_same_notes_on_every_fixture() {
        let files = fixture_files(&["fixtures", "fixtures/public"]);
        let (mut given, mut redone) = (0, 0);
        for absolute_seq in [false, true] {
            let options = Options { absolute_seq };
            for path in &files {
                let (mut plain, mut with) = (Explainer::new(options), Explainer::new(options));
                let mut info = String::new();
                each_tracked_frame(path, |frame, packet, facts| {
                    let expected = plain.explain(frame, packet, facts);
                    info.clear();
                    let tcp = tcp_info(&mut info, packet, facts, options);
                    let mut note = Note::default();
                    with.explain_with(
                        frame,
                        packet,
                        facts,
                        &mut note,
                        Hints {
                            key_hash: None,
                            tcp_info: tcp.then_some(info.as_str()),
                        },
                    );
                    assert_eq!(note, expected, "{} frame {}", path.display(), frame.number);
                    // the web's protocols write their own Info (explain::web)
                    if tcp && note.protocol == "TCP" && !note.info.ends_with(web::SEGMENT_SUFFIX) {
                        given += 1;
                        redone += usize::from(note.info != info);
                    }
                });
            }
        }
        assert!(given > 400, "only {given} TCP frames");
        // No fixture negotiates Accurate ECN (`note::tests` checks that case).
        assert_eq!(redone, 0);
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    /// The summary-only path gives the same verdicts as the full explanation, on every fixture.
    #[test]
    fn test_observe_only_fixtures_same_verdicts() {
        let files = fixture_files(&["fixtures"]);
        assert!(!files.is_empty());
        let mut frames = 0;
        for path in files {
            let (mut full, mut quick) = (Explainer::default(), Explainer::default());
            let Some(t1) = each_tracked_frame(&path, |frame, packet, facts| {
                frames += 1;
                let _ = full.explain(frame, packet, facts);
            }) else {
                continue;
            };
            each_tracked_frame(&path, |frame, packet, facts| {
                quick.observe(frame, packet, facts)
            });
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
