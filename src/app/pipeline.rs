//! The stages after the source, in two parts: [`Decoding`] (decode, track, select) and
//! [`Showing`] (explain, save, present). [`Pipeline`] runs both on one thread (live capture,
//! the lab); `app::threaded` runs them on two, in capture order, for saved files.

use std::collections::HashSet;
use std::io::{self, Write};

use super::ViewConfig;
use crate::cli::Format;
use crate::decode::{self, Packet};
use crate::error::AppError;
use crate::explain::lab::LabModel;
use crate::explain::{self, Explainer, Note};
use crate::hints::Hints;
use crate::present::fitted::FittedTimeline;
use crate::present::jsonl::JsonLines;
use crate::present::timeline::Timeline;
use crate::present::{ConversationRow, Row, View};
use crate::source::write::CaptureWriter;
use crate::source::{Frame, InterfaceStatistics, Timestamp};
use crate::track::{Conversation, Facts, FrameMeta, Proto, Tracker};

use super::{Failure, StreamSpec, output_error};
use crate::source::filter::Filter;

/// What to show, validated.
pub struct Selection {
    pub filter: Option<Filter>,
    pub stream: Option<StreamSpec>,
    pub count: Option<u64>,
    /// `--frame N` of the detail view (only checked: the view picks the frame).
    pub frame: Option<u64>,
}

impl Selection {
    /// Every frame: no filter, stream, count or frame.
    pub fn everything() -> Self {
        Selection {
            filter: None,
            stream: None,
            count: None,
            frame: None,
        }
    }

    /// True when only part of the frames is shown.
    fn narrows(&self) -> bool {
        self.filter.is_some() || self.stream.is_some() || self.count.is_some()
    }
}

/// Where the pipeline saves frames.
pub struct FrameSink {
    pub writer: CaptureWriter,
    /// Store each frame's note as a packet comment.
    pub comments: bool,
    /// Save every frame, or only those shown (as `tshark -Y ... -w` does).
    pub all: bool,
}

/// Which frames go to the saved file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    /// No file is written.
    Nothing,
    /// Only the frames shown.
    Shown,
    /// Every frame.
    All,
}

/// Tracking and selecting: follows each decoded frame's conversation and decides
/// whether the showing stage needs the frame (shown, or saved). It runs in the decoding stage,
/// or (for a view that shows no frame) at the start of the showing stage.
pub struct Tracking {
    tracker: Tracker,
    selection: Selection,
    /// Timestamp of the first frame (time zero of the relative times).
    first: Option<Timestamp>,
    shown: u64,
    /// Conversations that had a frame shown (only kept when the selection narrows).
    shown_streams: HashSet<(Proto, u64)>,
    /// Frames read, and the number of the last one.
    read: u64,
    last_number: u64,
    /// TCP and UDP conversations seen (stream numbers run from 0), for the message when
    /// `--stream` matches nothing.
    streams: [u64; 2],
    /// `--frame N`: frame N was shown.
    frame_shown: bool,
}

/// Why a run showed nothing, or showed no frame it was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatched {
    /// No frame at all was shown: an empty capture, `-c 0`, or a filter that matched none.
    NoPackets {
        /// Frames read.
        read: u64,
        /// `-c 0` was given.
        count_zero: bool,
    },
    /// `--stream` named a conversation that is not there.
    NoStream {
        spec: StreamSpec,
        /// TCP and UDP conversations there are.
        streams: [u64; 2],
    },
    /// `--frame N` is not among the frames shown.
    NoFrame {
        number: u64,
        /// Frames read, and the number of the last one.
        read: u64,
        last: u64,
    },
}

impl Unmatched {
    /// The error to report, or `None` when the message is only a note ("no packets").
    pub fn error(&self, what: &str) -> Option<AppError> {
        let range = |n: u64| match n {
            0 => "none".to_string(),
            1 => "0".to_string(),
            n => format!("0–{}", n - 1),
        };
        match self {
            Unmatched::NoPackets { .. } => None,
            Unmatched::NoStream { spec, streams } => {
                // `--stream` names a TCP or a UDP conversation only.
                let (name, other) = match spec.proto {
                    Proto::Tcp => ("tcp", "udp"),
                    _ => ("udp", "tcp"),
                };
                let (mine, theirs) = match spec.proto {
                    Proto::Tcp => (streams[0], streams[1]),
                    _ => (streams[1], streams[0]),
                };
                let has = match (mine, theirs) {
                    (0, 0) => format!("{what} has no tcp or udp stream"),
                    (0, t) => format!(
                        "{what} has no {name} stream ({other} streams: {})",
                        range(t)
                    ),
                    (m, _) => format!("{what} has {name} streams {}", range(m)),
                };
                Some(AppError::NoMatch(format!(
                    "no {name} stream {}: {has}; `--view conversations` lists them",
                    spec.index
                )))
            }
            Unmatched::NoFrame { number, read, last } => Some(AppError::NoMatch(match read {
                0 => format!("no frame {number}: {what} has no frames"),
                _ if number <= last => format!(
                    "frame {number} is not among the frames shown (the filter, --stream or -c left it out); drop them to see it"
                ),
                1 => format!("no frame {number}: {what} has frame 1 only"),
                _ => format!("no frame {number}: {what} has frames 1–{last}"),
            })),
        }
    }

    /// The note for stderr ("no packets ..."), when the run showed nothing.
    pub fn note(&self, what: &str) -> Option<String> {
        match self {
            Unmatched::NoPackets {
                count_zero: true, ..
            } => Some("no packets: -c 0 asks for none".into()),
            Unmatched::NoPackets { read: 0, .. } => Some(format!("no packets: {what} holds none")),
            Unmatched::NoPackets { read, .. } => Some(format!(
                "no packets: none of the {read} read matched the filter"
            )),
            _ => None,
        }
    }
}

/// What tracking decided of one frame the showing stage needs.
#[derive(Debug, Clone, Default)]
pub struct Selected {
    pub facts: Facts,
    pub shown: bool,
    pub save: bool,
}

impl Tracking {
    fn new(selection: Selection) -> Self {
        Tracking {
            tracker: Tracker::new(),
            selection,
            first: None,
            shown: 0,
            shown_streams: HashSet::new(),
            read: 0,
            last_number: 0,
            streams: [0; 2],
            frame_shown: false,
        }
    }

    /// What was asked for and not shown, once every frame went by.
    pub fn unmatched(&self) -> Option<Unmatched> {
        if let Some(spec) = self.selection.stream
            && self.shown == 0
        {
            let have = match spec.proto {
                Proto::Tcp => self.streams[0],
                _ => self.streams[1],
            };
            if spec.index >= have {
                return Some(Unmatched::NoStream {
                    spec,
                    streams: self.streams,
                });
            }
        }
        if self.shown == 0 {
            return Some(Unmatched::NoPackets {
                read: self.read,
                count_zero: self.selection.count == Some(0),
            });
        }
        match self.selection.frame {
            Some(number) if !self.frame_shown => Some(Unmatched::NoFrame {
                number,
                read: self.read,
                last: self.last_number,
            }),
            _ => None,
        }
    }

    /// True when only part of the frames is shown (a filter, `--stream` or `-c N`).
    pub fn narrows(&self) -> bool {
        self.selection.narrows()
    }

    /// True once `-c N` frames were shown.
    pub fn done(&self) -> bool {
        self.selection.count.is_some_and(|c| self.shown >= c)
    }

    /// Time zero: the first frame's timestamp (the epoch before any frame).
    pub fn first(&self) -> Timestamp {
        self.first.unwrap_or_default()
    }

    /// Tracks one decoded frame; `None` when it is neither shown nor saved.
    pub fn observe(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        saving: Saving,
    ) -> Option<Selected> {
        self.observe_with(frame, packet, saving, Hints::default())
    }

    /// See [`Tracker::prefetch`].
    #[inline]
    pub(crate) fn prefetch(&self, tcp: bool, hash: u32, ahead: crate::track::Ahead) {
        self.tracker.prefetch(tcp, hash, ahead);
    }

    /// [`Tracking::observe`], with what `hints` already hold (the hash of the packet's
    /// conversation key, see [`Tracker::key_hash`]).
    pub(crate) fn observe_with(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        saving: Saving,
        hints: Hints<'_>,
    ) -> Option<Selected> {
        self.first.get_or_insert(frame.ts.or_zero());
        let facts = self.tracker.observe_with(
            FrameMeta {
                number: frame.number,
                // A frame without a time counts as the epoch, as in Wireshark.
                ts: frame.ts.or_zero(),
                orig_len: frame.orig_len,
            },
            packet,
            hints,
        );
        self.read += 1;
        self.last_number = frame.number;
        if let (Some(p), Some(s)) = (facts.proto, facts.stream) {
            let seen = match p {
                Proto::Tcp => Some(&mut self.streams[0]),
                Proto::Udp => Some(&mut self.streams[1]),
                Proto::Icmp | Proto::Other(_) => None,
            };
            if let Some(seen) = seen {
                *seen = (*seen).max(s.saturating_add(1));
            }
        }
        let mut shown = true;
        if let Some(f) = &mut self.selection.filter {
            shown = f.matches(frame.linktype, frame.data);
        }
        if let Some(s) = self.selection.stream {
            shown = shown && facts.proto == Some(s.proto) && facts.stream == Some(s.index);
        }
        let save = saving == Saving::All || (saving == Saving::Shown && shown);
        if !shown && !save {
            return None;
        }
        if shown {
            if self.selection.narrows() {
                // Only a selection needs to know which conversations had frames shown:
                // TCP and UDP streams, ICMP flows and flows of other IP protocols.
                if let (Some(p), Some(s)) = (facts.proto, facts.stream) {
                    self.shown_streams.insert((p, s));
                } else if let Some(flow) = facts.flow {
                    self.shown_streams.insert(flow);
                }
            }
            self.shown += 1;
            if self.selection.frame == Some(frame.number) {
                self.frame_shown = true;
            }
        }
        Some(Selected { facts, shown, save })
    }
}

/// The first stage: decodes each frame (reassembling IP fragments across frames) and,
/// when it holds the [`Tracking`], tracks and selects it.
pub struct Decoding {
    decoder: decode::Decoder,
    tracking: Option<Tracking>,
}

impl Decoding {
    /// True once `-c N` frames were shown (never, when the showing stage tracks).
    pub fn done(&self) -> bool {
        self.tracking.as_ref().is_some_and(Tracking::done)
    }

    /// Time zero, as far as the decoding stage knows it.
    pub fn first(&self) -> Timestamp {
        self.tracking
            .as_ref()
            .map(Tracking::first)
            .unwrap_or_default()
    }

    /// Decodes one frame and, when this stage tracks, tracks it: the selection is `None` when
    /// the frame is neither shown nor saved. Without tracking, every frame goes on (with
    /// empty facts, for the showing stage to fill).
    /// The packet is decoded into `packet` (whatever it held is replaced): a packet is a
    /// few hundred bytes, and each move of one is a copy.
    pub fn frame<'p>(
        &'p mut self,
        frame: &Frame<'p>,
        saving: Saving,
        packet: &mut Packet<'p>,
    ) -> Option<Selected> {
        self.decoder.decode_in_place(frame, packet);
        match &mut self.tracking {
            Some(t) => t.observe(frame, packet, saving),
            None => Some(Selected {
                facts: Facts::default(),
                shown: true,
                save: true,
            }),
        }
    }

    /// Hands the tracking to the showing stage.
    pub fn take_tracking(&mut self) -> Option<Tracking> {
        self.tracking.take()
    }
}

/// The second stage: explains the frames the decoding stage selected, saves and shows them,
/// and writes the conversations at the end.
pub struct Showing {
    explainer: Explainer,
    view: Box<dyn View>,
    /// What the lab expected (when `wirelab lab` ran it).
    lab_expect: crate::explain::lab::Expect,
    /// Saves frames (with their notes as pcapng comments when asked).
    writer: Option<FrameSink>,
    note: Note,
    /// The view shows no frame: per frame, only what the verdicts need is explained.
    summary_only: bool,
    /// The view takes the conversations in batches (see [`Pipeline::finish`]).
    batches: bool,
}

impl Showing {
    /// Which frames the decoding stage must hand on for saving.
    pub fn saving(&self) -> Saving {
        match &self.writer {
            None => Saving::Nothing,
            Some(w) if w.all => Saving::All,
            Some(_) => Saving::Shown,
        }
    }

    /// How the explainer writes (the decoding stage writes TCP Info columns the same way).
    pub fn explain_options(&self) -> crate::explain::Options {
        self.explainer.options()
    }

    /// True when the view shows no frame and no note is saved: only the verdicts need
    /// this stage, so it can also do the tracking (the two threads are then balanced).
    pub fn summary_only(&self) -> bool {
        self.summary_only && !self.writer.as_ref().is_some_and(|w| w.comments)
    }

    /// Explains, saves and shows one frame the decoding stage selected; `hints` may hold its
    /// TCP Info column, when the decoding stage already wrote it (see [`crate::explain::tcp_info`]),
    /// and whether the web's dissector claims it, when that ran on the reading thread.
    pub(crate) fn frame(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        selected: &Selected,
        first: Timestamp,
        hints: Hints<'_>,
    ) -> Result<(), Failure> {
        let Selected { facts, shown, save } = selected;
        let summary_only = self.summary_only();
        let Showing {
            explainer,
            view,
            writer,
            note,
            ..
        } = self;
        if summary_only {
            // The view shows no frame: only what the verdicts need (`note` stays empty).
            explainer.observe(frame, packet, facts);
        } else {
            explainer.explain_with(frame, packet, facts, note, hints);
        }
        if *save && let Some(w) = writer {
            let comment = if w.comments {
                Some(note.text.as_str())
            } else {
                None
            };
            w.writer.write(frame, comment).map_err(AppError::from)?;
        }
        if *shown {
            view.frame(&Row {
                frame,
                packet,
                facts,
                note,
                first,
            })
            .map_err(output_error)
        } else {
            Ok(())
        }
    }

    /// Pushes the rows shown so far to the output and the saved frames to the file.
    pub fn flush(&mut self) -> Result<(), Failure> {
        if let Some(w) = &mut self.writer {
            w.writer.flush().map_err(AppError::from)?;
        }
        self.view.flush().map_err(output_error)
    }

    /// The capture ended as `stats` say (the lab's end, or the statistics a file ends
    /// with): a lab interrupted there judges its unfinished runs `skip`, and the saved
    /// file, if any, ends with the same statistics (pcapng).
    pub fn capture_ended(&mut self, stats: &[InterfaceStatistics]) -> Result<(), Failure> {
        if let Some(n) = super::saved_lab::interrupted_after(stats) {
            self.lab_expect.interrupted_after = Some(n);
        }
        if let Some(w) = &mut self.writer {
            for s in stats {
                w.writer.write_statistics(s).map_err(AppError::from)?;
            }
        }
        Ok(())
    }
}

/// Conversations handed to a view per call when it takes them in batches (a view
/// that does not gets them all in one call).
const CONVERSATION_BATCH: usize = crate::present::conversations::MAX_TABLE_ROWS;

/// Both stages on one thread: the pipeline of live captures and of the lab.
pub struct Pipeline {
    decoding: Decoding,
    showing: Showing,
}

impl Pipeline {
    /// A pipeline writing to `out` in the chosen view.
    pub fn new(args: &ViewConfig, selection: Selection, out: Box<dyn Write>) -> Self {
        use super::choose;
        let view: Box<dyn View> = match args.format {
            Format::Timeline if args.plain_timeline() => match args.width {
                Some(w) => Box::new(FittedTimeline::new(out, args.time, args.color, w)),
                None => Box::new(Timeline::new(out, args.time, args.color)),
            },
            Format::Timeline => choose::view(args, out),
            Format::Jsonl => Box::new(JsonLines::new(out, args.absolute_seq)),
            Format::ConnLog => Box::new(crate::present::connlog::ConnLog::new(out)),
        };
        let (summary_only, batches) = match args.format {
            Format::Timeline => (args.conversations_only(), args.batches_conversations()),
            Format::Jsonl => (false, true),
            // No frame is shown: only the conversations are needed.
            Format::ConnLog => (true, true),
        };
        let mut explainer = Explainer::new(explain::Options {
            absolute_seq: args.absolute_seq,
        });
        if !args.lab_ports.is_empty() {
            explainer.set_lab_scope(crate::explain::lab::Scope::Ports(args.lab_ports.clone()));
        }
        let showing = Showing {
            explainer,
            view,
            lab_expect: crate::explain::lab::Expect::default(),
            writer: None,
            note: Note::default(),
            summary_only,
            batches,
        };
        Pipeline {
            decoding: Decoding {
                decoder: decode::Decoder::new(),
                tracking: Some(Tracking::new(selection)),
            },
            showing,
        }
    }

    /// Saves frames to `sink` from now on.
    pub fn set_writer(&mut self, sink: FrameSink) {
        self.showing.writer = Some(sink);
    }

    /// The file frames are saved to, if any.
    pub fn writer_mut(&mut self) -> Option<&mut FrameSink> {
        self.showing.writer.as_mut()
    }

    /// Judges as the lab the conversations `scope` selects, expecting what `expect` says.
    pub fn set_lab(
        &mut self,
        scope: crate::explain::lab::Scope,
        expect: crate::explain::lab::Expect,
    ) {
        self.showing.explainer.set_lab_scope(scope);
        self.showing.lab_expect = expect;
    }

    /// The capture ended as `stats` say: an interrupted lab's unfinished runs are
    /// `skip`, and the saved file ends with the same statistics (as the showing stage's).
    pub fn capture_ended(&mut self, stats: &[InterfaceStatistics]) -> Result<(), Failure> {
        self.showing.capture_ended(stats)
    }

    /// Pushes the rows shown so far to the output and the saved frames to the file.
    pub fn flush(&mut self) -> Result<(), Failure> {
        self.showing.flush()
    }

    /// True once `-c N` frames were shown.
    pub fn done(&self) -> bool {
        self.decoding.done()
    }

    /// What was asked for and not shown (see [`Tracking::unmatched`]).
    pub fn unmatched(&self) -> Option<Unmatched> {
        self.decoding
            .tracking
            .as_ref()
            .and_then(Tracking::unmatched)
    }

    /// Takes one frame through every stage.
    pub fn frame(&mut self, frame: &Frame<'_>) -> Result<(), Failure> {
        let saving = self.showing.saving();
        // Time zero: this frame's time if it is the first.
        let first = self
            .decoding
            .tracking
            .as_ref()
            .and_then(|t| t.first)
            .unwrap_or(frame.ts.or_zero());
        let mut packet = Packet::default();
        match self.decoding.frame(frame, saving, &mut packet) {
            Some(selected) => {
                self.showing
                    .frame(frame, &packet, &selected, first, Hints::default())
            }
            None => Ok(()),
        }
    }

    /// The two stages, to run on two threads.
    pub fn into_stages(self) -> (Decoding, Showing) {
        (self.decoding, self.showing)
    }

    /// Writes the conversations that had frames shown, then the lab model, and flushes;
    /// returns the lab model (its runs and checks).
    ///
    /// A view that takes the conversations in batches gets them [`CONVERSATION_BATCH`]
    /// at a time, each summary built just before and dropped just after: memory never
    /// holds every conversation's words at once. Other views get them in one call.
    pub fn finish(self) -> io::Result<LabModel> {
        let Pipeline {
            mut decoding,
            showing,
        } = self;
        match decoding.take_tracking() {
            Some(tracking) => finish(tracking, showing),
            None => Ok(LabModel::default()),
        }
    }
}

/// [`Pipeline::finish`] for the two stages (rejoined after a two-thread run).
pub fn finish(tracking: Tracking, showing: Showing) -> io::Result<LabModel> {
    let Tracking {
        tracker,
        first,
        shown_streams,
        selection,
        ..
    } = tracking;
    let Showing {
        mut explainer,
        mut view,
        lab_expect,
        writer,
        batches,
        ..
    } = showing;
    explainer.close_lab();
    if let Some(mut w) = writer {
        w.writer.flush().map_err(io::Error::other)?;
        let n = w.writer.written;
        let packets = if n == 1 { "packet" } else { "packets" };
        eprintln!(
            "{n} {packets} written to {}",
            crate::text::show_path(w.writer.path())
        );
    }
    let first = first.unwrap_or_default();
    let filtered = selection.narrows();
    let total = if filtered {
        shown_streams.len()
    } else {
        tracker.conversation_count()
    };
    view.conversations_coming(u64::try_from(total).unwrap_or(u64::MAX));
    let batch = if batches {
        CONVERSATION_BATCH
    } else {
        usize::MAX
    };
    // Summaries and verdicts are made on a second thread while this one writes the
    // previous batch: a file with 100,000 conversations spends a noticeable time here.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<Conversation>, Vec<String>)>(1);
    let explainer = &explainer;
    let shown_streams = &shown_streams;
    let mut runs = Vec::new();
    std::thread::scope(|scope| -> io::Result<()> {
        let producer = std::thread::Builder::new()
            .name("wirelab-verdicts".into())
            .spawn_scoped(scope, move || {
                let mut conversations = tracker
                    .into_conversations()
                    .filter(|c| !filtered || shown_streams.contains(&(c.proto, c.stream)))
                    .peekable();
                let mut runs = Vec::new();
                loop {
                    let mut kept: Vec<Conversation> = conversations.by_ref().take(batch).collect();
                    for c in &mut kept {
                        // The web's dissector may have found its protocol by content.
                        c.service = explainer.service(c);
                    }
                    let verdicts: Vec<String> = kept.iter().map(|c| explainer.verdict(c)).collect();
                    runs.extend(kept.iter().filter_map(|c| explainer.lab_run(c)));
                    // The view gets at least one call, if only with no conversation.
                    if tx.send((kept, verdicts)).is_err() || conversations.peek().is_none() {
                        break;
                    }
                }
                runs
            })?;
        let mut result = Ok(());
        for (kept, verdicts) in rx.iter() {
            let rows: Vec<ConversationRow<'_>> = kept
                .iter()
                .zip(&verdicts)
                .map(|(c, v)| ConversationRow {
                    conversation: c,
                    verdict: v,
                    first,
                })
                .collect();
            result = view.conversations(&rows);
            drop(rows);
            if result.is_err() {
                break;
            }
        }
        // Stops the producer if the view failed.
        drop(rx);
        match producer.join() {
            Ok(r) => runs = r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        result
    })?;
    runs.sort_by_key(|r| (r.proto == Proto::Tcp, r.number));
    let model = crate::explain::lab::build(runs, &lab_expect, explainer.lab_not_followed());
    view.lab(&model)?;
    view.finish()?;
    Ok(model)
}
