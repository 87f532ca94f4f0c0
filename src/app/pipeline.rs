//! The stages after the source, in two halves: [`Front`] (decode, track, select) and
//! [`Back`] (explain, save, present). [`Pipeline`] runs both on one thread (live capture,
//! the lab); `app::threaded` runs them on two, in capture order, for saved files.

use std::collections::HashSet;
use std::io::{self, Write};

use super::ViewConfig;
use crate::cli::Format;
use crate::decode::{self, Packet};
use crate::error::AppError;
use crate::explain::{self, Explainer, Note};
use crate::present::jsonl::JsonLines;
use crate::present::timeline::Timeline;
use crate::present::{ConversationRow, Row, View};
use crate::source::write::CaptureWriter;
use crate::source::{Frame, Timestamp};
use crate::track::{Conversation, Facts, FrameMeta, Proto, Tracker};

use super::{Failure, StreamSpec, output_error};
use crate::source::filter::Filter;

/// What to show, validated.
pub struct Selection {
    pub filter: Option<Filter>,
    pub stream: Option<StreamSpec>,
    pub count: Option<u64>,
}

impl Selection {
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
/// whether the back half needs the frame (shown, or saved). It runs in the front half,
/// or (for a view that shows no frame) at the start of the back half.
pub struct Tracking {
    tracker: Tracker,
    selection: Selection,
    /// Timestamp of the first frame (time zero of the relative times).
    first: Option<Timestamp>,
    shown: u64,
    /// Conversations that had a frame shown (only kept when the selection narrows).
    shown_streams: HashSet<(bool, u64)>,
}

/// What tracking decided of one frame the back half needs.
#[derive(Debug, Clone, Default)]
pub struct Pick {
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
        }
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
    ) -> Option<Pick> {
        self.observe_hashed(frame, packet, saving, None)
    }

    /// [`Tracking::observe`], given the hash of the packet's conversation key when it is
    /// known (see [`Tracker::key_hash`]).
    pub fn observe_hashed(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        saving: Saving,
        hash: Option<u32>,
    ) -> Option<Pick> {
        self.first.get_or_insert(frame.ts.or_zero());
        let facts = self.tracker.observe_hashed(
            FrameMeta {
                number: frame.number,
                // A frame without a time counts as the epoch, as in Wireshark.
                ts: frame.ts.or_zero(),
                orig_len: frame.orig_len,
            },
            packet,
            hash,
        );
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
            if let (true, Some(p), Some(s)) = (self.selection.narrows(), facts.proto, facts.stream)
            {
                // Only a selection needs to know which conversations had frames shown.
                self.shown_streams.insert((p == Proto::Tcp, s));
            }
            self.shown += 1;
        }
        Some(Pick { facts, shown, save })
    }
}

/// The first half: decodes each frame (reassembling IP fragments across frames) and,
/// when it holds the [`Tracking`], tracks and selects it.
pub struct Front {
    decoder: decode::Decoder,
    tracking: Option<Tracking>,
}

impl Front {
    /// True once `-c N` frames were shown (never, when the back half tracks).
    pub fn done(&self) -> bool {
        self.tracking.as_ref().is_some_and(Tracking::done)
    }

    /// Time zero, as far as the front half knows it.
    pub fn first(&self) -> Timestamp {
        self.tracking
            .as_ref()
            .map(Tracking::first)
            .unwrap_or_default()
    }

    /// Decodes one frame and, when this half tracks, tracks it: the pick is `None` when
    /// the frame is neither shown nor saved. Without tracking, every frame goes on (with
    /// empty facts, for the back half to fill).
    /// The packet is decoded into `packet` (whatever it held is replaced): a packet is a
    /// few hundred bytes, and each move of one is a copy.
    pub fn frame<'p>(
        &'p mut self,
        frame: &Frame<'p>,
        saving: Saving,
        packet: &mut Packet<'p>,
    ) -> Option<Pick> {
        self.decoder.decode_in_place(frame, packet);
        match &mut self.tracking {
            Some(t) => t.observe(frame, packet, saving),
            None => Some(Pick {
                facts: Facts::default(),
                shown: true,
                save: true,
            }),
        }
    }

    /// Hands the tracking to the back half.
    pub fn take_tracking(&mut self) -> Option<Tracking> {
        self.tracking.take()
    }
}

/// The second half: explains the frames the front half selected, saves and shows them,
/// and writes the conversations at the end.
pub struct Back {
    explainer: Explainer,
    view: Box<dyn View>,
    /// Gathers payloads per conversation, for the lab's checks.
    collector: Option<crate::lab::checks::Collector>,
    /// Saves frames (with their notes as pcapng comments when asked).
    writer: Option<FrameSink>,
    note: Note,
    /// The view shows no frame: per frame, only what the verdicts need is explained.
    summary_only: bool,
    /// The view takes the conversations in batches (see [`Pipeline::finish`]).
    batches: bool,
}

impl Back {
    /// Which frames the front half must hand on for saving.
    pub fn saving(&self) -> Saving {
        match &self.writer {
            None => Saving::Nothing,
            Some(w) if w.all => Saving::All,
            Some(_) => Saving::Shown,
        }
    }

    /// How the explainer writes (the front half writes TCP Info columns the same way).
    pub fn explain_options(&self) -> crate::explain::Options {
        self.explainer.options()
    }

    /// True when the view shows no frame and no note is saved: only the verdicts need
    /// this half, so it can also do the tracking (the two threads are then balanced).
    pub fn summary_only(&self) -> bool {
        self.summary_only && !self.writer.as_ref().is_some_and(|w| w.comments)
    }

    /// Explains, saves and shows one frame the front half selected.
    /// `tcp_info`: a TCP segment's Info, when the front half already wrote it (see
    /// [`crate::explain::tcp_info`]).
    pub fn frame(
        &mut self,
        frame: &Frame<'_>,
        packet: &Packet<'_>,
        pick: &Pick,
        first: Timestamp,
        tcp_info: Option<&str>,
    ) -> Result<(), Failure> {
        let Pick { facts, shown, save } = pick;
        let summary_only = self.summary_only();
        let Back {
            explainer,
            view,
            collector,
            writer,
            note,
            ..
        } = self;
        if summary_only {
            // The view shows no frame: only what the verdicts need (`note` stays empty).
            explainer.observe(frame, packet, facts);
        } else {
            explainer.explain_into_with_tcp_info(frame, packet, facts, note, tcp_info);
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
            if let (Some(c), Some(p), Some(s), Some(d)) =
                (collector, facts.proto, facts.stream, facts.direction)
            {
                c.add(p, s, d, packet.payload);
            }
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
}

/// Conversations handed to a view per call when it takes them in batches (a view
/// that does not gets them all in one call).
const CONVERSATION_BATCH: usize = crate::present::conversations::MAX_TABLE_ROWS;

/// Both halves on one thread: the pipeline of live captures and of the lab.
pub struct Pipeline {
    front: Front,
    back: Back,
}

impl Pipeline {
    /// A pipeline writing to `out` in the chosen view.
    pub fn new(args: &ViewConfig, selection: Selection, out: Box<dyn Write>) -> Self {
        use super::choose;
        let view: Box<dyn View> = match args.format {
            Format::Timeline if args.plain_timeline() => {
                Box::new(Timeline::new(out, args.time, args.color))
            }
            Format::Timeline => choose::view(args, out),
            Format::Jsonl => Box::new(JsonLines::new(out, args.absolute_seq)),
        };
        let (summary_only, batches) = match args.format {
            Format::Timeline => (args.conversations_only(), args.batches_conversations()),
            Format::Jsonl => (false, true),
        };
        let back = Back {
            explainer: Explainer::new(explain::Options {
                absolute_seq: args.absolute_seq,
            }),
            view,
            collector: None,
            writer: None,
            note: Note::default(),
            summary_only,
            batches,
        };
        Pipeline {
            front: Front {
                decoder: decode::Decoder::new(),
                tracking: Some(Tracking::new(selection)),
            },
            back,
        }
    }

    /// Saves frames to `sink` from now on.
    pub fn set_writer(&mut self, sink: FrameSink) {
        self.back.writer = Some(sink);
    }

    /// The file frames are saved to, if any.
    pub fn writer_mut(&mut self) -> Option<&mut FrameSink> {
        self.back.writer.as_mut()
    }

    /// Gathers the payloads of every conversation shown, for the lab's checks.
    pub fn collect_payloads(&mut self) {
        self.back.collector = Some(crate::lab::checks::Collector::default());
    }

    /// Pushes the rows shown so far to the output and the saved frames to the file.
    pub fn flush(&mut self) -> Result<(), Failure> {
        self.back.flush()
    }

    /// True once `-c N` frames were shown.
    pub fn done(&self) -> bool {
        self.front.done()
    }

    /// Takes one frame through every stage.
    pub fn frame(&mut self, frame: &Frame<'_>) -> Result<(), Failure> {
        let saving = self.back.saving();
        // Time zero: this frame's time if it is the first.
        let first = self
            .front
            .tracking
            .as_ref()
            .and_then(|t| t.first)
            .unwrap_or(frame.ts.or_zero());
        let mut packet = Packet::default();
        match self.front.frame(frame, saving, &mut packet) {
            Some(pick) => self.back.frame(frame, &packet, &pick, first, None),
            None => Ok(()),
        }
    }

    /// The two halves, to run on two threads.
    pub fn into_halves(self) -> (Front, Back) {
        (self.front, self.back)
    }

    /// Writes the conversations that had frames shown, and flushes; returns every
    /// conversation (only when the lab's collector is set: a plain read hands each
    /// conversation to the view and forgets it) and the payload collector.
    ///
    /// A view that takes the conversations in batches gets them [`CONVERSATION_BATCH`]
    /// at a time, each summary built just before and dropped just after: memory never
    /// holds every conversation's words at once. Other views get them in one call.
    pub fn finish(
        self,
    ) -> io::Result<(
        Vec<crate::track::Conversation>,
        Option<crate::lab::checks::Collector>,
    )> {
        let Pipeline { mut front, back } = self;
        match front.take_tracking() {
            Some(tracking) => finish(tracking, back),
            None => Ok((Vec::new(), None)),
        }
    }
}

/// [`Pipeline::finish`] for the two halves (rejoined after a two-thread run).
pub fn finish(
    tracking: Tracking,
    back: Back,
) -> io::Result<(
    Vec<crate::track::Conversation>,
    Option<crate::lab::checks::Collector>,
)> {
    let Tracking {
        tracker,
        first,
        shown_streams,
        selection,
        ..
    } = tracking;
    let Back {
        explainer,
        mut view,
        collector,
        writer,
        batches,
        ..
    } = back;
    if let Some(mut w) = writer {
        w.writer.flush().map_err(io::Error::other)?;
        let n = w.writer.written;
        let packets = if n == 1 { "packet" } else { "packets" };
        eprintln!("{n} {packets} written to {}", w.writer.path().display());
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
    let keep_all = collector.is_some();
    let mut all = Vec::new();
    // Summaries and verdicts are made on a second thread while this one writes the
    // previous batch: a file with 100,000 conversations spends a noticeable time here.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<Conversation>, Vec<String>)>(1);
    let explainer = &explainer;
    let shown_streams = &shown_streams;
    std::thread::scope(|scope| -> io::Result<()> {
        let producer = std::thread::Builder::new()
            .name("wirelab-verdicts".into())
            .spawn_scoped(scope, move || {
                let mut conversations = tracker
                    .into_conversations()
                    .filter(|c| {
                        !filtered || shown_streams.contains(&(c.proto == Proto::Tcp, c.stream))
                    })
                    .peekable();
                loop {
                    let kept: Vec<Conversation> = conversations.by_ref().take(batch).collect();
                    let verdicts: Vec<String> = kept.iter().map(|c| explainer.verdict(c)).collect();
                    // The view gets at least one call, if only with no conversation.
                    if tx.send((kept, verdicts)).is_err() || conversations.peek().is_none() {
                        break;
                    }
                }
            })?;
        let mut result = Ok(());
        for (mut kept, verdicts) in rx.iter() {
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
            if keep_all {
                all.append(&mut kept);
            }
        }
        // Stops the producer if the view failed.
        drop(rx);
        if let Err(panic) = producer.join() {
            std::panic::resume_unwind(panic);
        }
        result
    })?;
    view.finish()?;
    Ok((all, collector))
}
