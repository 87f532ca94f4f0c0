//! Reading a saved capture on two threads: the source and the decoding stage (decode,
//! track, select) on one, the showing stage (explain, save, present) on the other.
//!
//! Frames stay in capture order: the reading thread fills batches of frames in order and
//! the showing thread takes the batches in order (a pipeline, not a pool). A batch owns its
//! frames' bytes (the file, pcap or pcapng, is read straight into the batch's block: no
//! frame is copied), their decoded packets and what was selected of them, and a bounded
//! number of batches circulate between the threads: memory does not grow with the file.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};

use crate::decode::{Packet, Transport};
use crate::error::{AppError, SourceError};
use crate::explain;
use crate::hints::Hints;
use crate::source::block::Block;
use crate::source::file::{BlockNext, FrameAt};
use crate::source::{Comments, FileSource, Frame, InterfaceStatistics, LinkType, Timestamp};
use crate::track::{Ahead, Tracker};

use super::Failure;
use super::pipeline::{self, Decoding, Pipeline, Saving, Selected, Showing, Tracking, Unmatched};

/// Frames per batch, at most.
const BATCH_FRAMES: usize = 512;
/// Room of a batch's block: file bytes read at a time (a batch is sent once its block
/// is full). Small enough that a block is still in cache when its frames are shown.
const BLOCK_BYTES: usize = 256 * 1024;
/// Batches that circulate between the threads (one filling, the others full or being shown).
const BATCHES: usize = 4;
/// Batches sent and not shown yet from which the showing thread counts as behind (one being
/// shown and the channel full): the reading thread then takes over part of its work (the
/// TCP Info column) for the next batch.
const BEHIND: usize = 3;

/// How many frames ahead of tracking their index slots, conversations and live TCP states
/// are brought into the cache (see `Tracker::prefetch`).
const SLOT_AHEAD: usize = 12;
const CONV_AHEAD: usize = 6;
const LIVE_AHEAD: usize = 3;

/// Brings the conversation of the frame at `at` into the cache, the step `step` of it.
fn ahead(tracking: &Tracking, items: &[Item], at: usize, step: Ahead) {
    if let Some(item) = items.get(at)
        && let Some(hash) = item.key_hash
    {
        tracking.prefetch(item.tcp, hash, step);
    }
}

/// Where a packet's payload bytes are in a batch.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Within the frame's own bytes: start and length relative to the frame.
    Frame(usize, usize),
    /// In [`Batch::extra`] (a payload put together from IP fragments): start and length.
    Extra(usize, usize),
}

/// One frame the showing thread needs (its decoded packet is in [`Batch::packets`], at
/// the same index).
struct Item {
    number: u64,
    ts: Timestamp,
    linktype: LinkType,
    orig_len: u32,
    /// Start and length of the frame's bytes in [`Batch::block`].
    data: (usize, usize),
    /// Start and length of its pcapng options (comments) in the block, and their byte order.
    options: (usize, usize, bool),
    /// Where the packet's payload is.
    payload: Place,
    selected: Selected,
    /// Start and length of the TCP Info column the reading thread wrote, in [`Batch::infos`].
    info: Option<(usize, usize)>,
    /// The hash of the packet's conversation key, when the showing thread tracks (the
    /// reading thread computes it: a share of the showing thread's work moved over).
    key_hash: Option<u32>,
    /// The packet is a TCP segment (else UDP, for the key hash).
    tcp: bool,
}

/// Frames on their way from the reading thread to the showing thread.
struct Batch {
    /// The frames' bytes, read straight from the file.
    block: Block,
    /// Payloads put together from IP fragments.
    extra: Vec<u8>,
    items: Vec<Item>,
    /// The frames' decoded packets, their payloads left empty (see [`Item::payload`]).
    /// Decoding once and moving the packets in one contiguous run costs the showing thread
    /// less than decoding each frame again.
    packets: Vec<Packet<'static>>,
    /// TCP Info columns the reading thread wrote (see [`crate::explain::tcp_info`]).
    infos: String,
    /// Time zero of the capture.
    first: Timestamp,
}

impl Batch {
    fn new() -> Self {
        Batch {
            block: Block::with_room(BLOCK_BYTES),
            extra: Vec::new(),
            items: Vec::with_capacity(BATCH_FRAMES),
            packets: Vec::with_capacity(BATCH_FRAMES),
            infos: String::new(),
            first: Timestamp::default(),
        }
    }

    /// Shows every frame of the batch, in order, and empties it for reuse; with
    /// `tracking`, tracks and selects each frame first (the decoding stage did not).
    /// `Ok(false)` once `-c N` frames were shown.
    fn show(
        &mut self,
        showing: &mut Showing,
        mut tracking: Option<&mut Tracking>,
    ) -> Result<bool, Failure> {
        let Batch {
            block,
            extra,
            items,
            packets,
            infos,
            first,
        } = self;
        let saving = showing.saving();
        let mut more = true;
        // Tracking a batch, its conversations are brought into the cache a few frames
        // ahead (see `Tracker::prefetch`).
        if let Some(t) = tracking.as_deref() {
            for at in 0..SLOT_AHEAD {
                ahead(t, items, at, Ahead::Slot);
            }
        }
        for (at, (item, packet)) in items.iter().zip(packets.drain(..)).enumerate() {
            if let Some(t) = tracking.as_deref() {
                ahead(t, items, at + SLOT_AHEAD, Ahead::Slot);
                ahead(t, items, at + CONV_AHEAD, Ahead::Conversation);
                ahead(t, items, at + LIVE_AHEAD, Ahead::Live);
            }
            let bytes = slice(&block.buf, item.data.0, item.data.1);
            let (at, len, big_endian) = item.options;
            let frame = Frame {
                number: item.number,
                ts: item.ts,
                linktype: item.linktype,
                orig_len: item.orig_len,
                data: bytes,
                comments: Comments::in_options(slice(&block.buf, at, len), big_endian),
            };
            let payload = match item.payload {
                Place::Frame(at, len) => slice(bytes, at, len),
                Place::Extra(at, len) => slice(extra, at, len),
            };
            // A packet of the batch's lives as long as its bytes do: given them again in
            // place (no copy of the packet).
            let mut packet: Packet<'_> = packet;
            packet.payload = payload;
            match tracking.as_deref_mut() {
                Some(t) => {
                    let hints = Hints {
                        key_hash: item.key_hash,
                        ..Hints::default()
                    };
                    if let Some(selected) = t.observe_with(&frame, &packet, saving, hints) {
                        showing.frame(&frame, &packet, &selected, t.first(), Hints::default())?;
                    }
                    if t.done() {
                        more = false;
                        break;
                    }
                }
                None => {
                    let info = item
                        .info
                        .map(|(at, len)| infos.get(at..at + len).unwrap_or_default());
                    let hints = Hints {
                        tcp_info: info,
                        ..Hints::default()
                    };
                    showing.frame(&frame, &packet, &item.selected, *first, hints)?;
                }
            }
        }
        items.clear();
        packets.clear();
        infos.clear();
        block.empty();
        extra.clear();
        Ok(more)
    }
}

/// The parts of a batch [`push`] writes (the block is borrowed by the frame meanwhile).
struct BatchParts<'b> {
    items: &'b mut Vec<Item>,
    extra: &'b mut Vec<u8>,
    packets: &'b mut Vec<Packet<'static>>,
    infos: &'b mut String,
}

/// What the reading thread worked out of one frame for the showing thread, besides
/// its packet (see [`Item`]).
struct Worked {
    key_hash: Option<u32>,
}

/// Adds to a batch one frame the showing thread needs, whose bytes are `frame.data`, where
/// `found` says in the block, with its decoded packet, what else was `worked` out and, with
/// `info` set, its TCP Info column written the way those options say.
fn push(
    batch: BatchParts<'_>,
    frame: &Frame<'_>,
    found: &FrameAt,
    packet: Packet<'_>,
    selected: Selected,
    info: Option<explain::Options>,
    worked: Worked,
) {
    let Worked { key_hash } = worked;
    let tcp = matches!(packet.transport, Transport::Tcp(_));
    let start = batch.infos.len();
    let info = info
        .filter(|&options| explain::tcp_info(batch.infos, &packet, &selected.facts, options))
        .map(|_| (start, batch.infos.len() - start));
    // The decoder says where the payload lies in the frame (the frame's bytes stay in
    // the batch's block, where the other thread finds the payload again).
    debug_assert!(
        packet
            .payload_span()
            .is_none_or(|span| frame.data.get(span) == Some(packet.payload))
    );
    let payload = match packet.payload_span() {
        Some(span) => Place::Frame(span.start, span.len()),
        None => {
            let start = batch.extra.len();
            batch.extra.extend_from_slice(packet.payload);
            Place::Extra(start, packet.payload.len())
        }
    };
    batch.packets.push(packet.with_payload(&[]));
    batch.items.push(Item {
        number: frame.number,
        ts: frame.ts,
        linktype: frame.linktype,
        orig_len: frame.orig_len,
        data: (found.at(), frame.data.len()),
        options: found.options(),
        payload,
        selected,
        info,
        key_hash,
        tcp,
    });
}

/// `bytes[at..at + len]`, empty if out of range (never, for offsets a batch recorded).
fn slice(bytes: &[u8], at: usize, len: usize) -> &[u8] {
    bytes.get(at..at.saturating_add(len)).unwrap_or_default()
}

/// Reads the whole file through `pipeline`, the decoding stage on a second thread; returns
/// the damage that ended reading early, if any (after everything before it was shown),
/// and what was asked for and not shown.
pub fn read(
    source: FileSource,
    pipeline: Pipeline,
) -> Result<(Option<SourceError>, Option<Unmatched>), Failure> {
    let (mut decoding, mut showing) = pipeline.into_stages();
    let saving = showing.saving();
    // A view that shows no frame has little to do per frame: it tracks too, and the
    // reading thread only reads and decodes.
    let mut tracking_while_showing = if showing.summary_only() {
        decoding.take_tracking()
    } else {
        None
    };
    // The web's dissector stays with the explainer, on the showing thread: measured, the
    // reading thread has the more to do, whichever thread tracks.
    let info = (!showing.summary_only()).then(|| showing.explain_options());
    let hash = tracking_while_showing.is_some();
    let in_flight = &AtomicUsize::new(0);
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES - 2);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    for _ in 0..BATCHES {
        // Cannot fail: the receiver is alive.
        let _ = empty_tx.send(Batch::new());
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("wirelab-read".into())
            .spawn_scoped(scope, move || {
                let mut pass = Reading {
                    decoding: &mut decoding,
                    info,
                    help: false,
                    hash,
                    in_flight,
                    saving,
                    full: &full_tx,
                    empty: &empty_rx,
                };
                let (damage, stats) = pass.run(source);
                (decoding, damage, stats)
            })
            .map_err(|_| AppError::ThreadStart("reading"))?;
        let mut failure = None;
        for mut batch in full_rx.iter() {
            match batch.show(&mut showing, tracking_while_showing.as_mut()) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            // Never below zero: the reading thread counts a batch before sending it.
            in_flight.fetch_sub(1, Ordering::Relaxed);
            // The reading thread may have finished: then the batch is simply dropped.
            let _ = empty_tx.send(batch);
        }
        // Closing both channels stops the reading thread if it is still reading.
        drop(full_rx);
        drop(empty_tx);
        let (mut decoding, damage, stats) = match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Some(f) = failure {
            return Err(f);
        }
        let done_early = tracking_while_showing.as_ref().is_some_and(Tracking::done);
        let mut unmatched = None;
        if let Some(tracking) = tracking_while_showing.or_else(|| decoding.take_tracking()) {
            unmatched = tracking.unmatched();
            showing.capture_ended(&stats)?;
            pipeline::finish(tracking, showing).map_err(super::output_error)?;
        }
        // Damage after the last frame shown (-c N reached) is not reported, as on one thread.
        Ok((if done_early { None } else { damage.err() }, unmatched))
    })
}

/// Why the reading thread stopped early: the showing thread went away (nothing to report).
struct Gone;

/// The reading thread's work: reads frames, decodes and tracks them, and sends them on in batches.
struct Reading<'a> {
    decoding: &'a mut Decoding,
    /// How to write TCP Info columns (not for a view that shows no frame)...
    info: Option<explain::Options>,
    /// ... which the reading thread does in the batch being filled while the showing thread is
    /// behind: a share of its work moved over, so that the slower thread sets the pace
    /// less. The output is the same either way.
    help: bool,
    /// The showing thread tracks: each packet's conversation key hash goes with it.
    hash: bool,
    /// Batches sent and not shown yet.
    in_flight: &'a AtomicUsize,
    saving: Saving,
    full: &'a SyncSender<Batch>,
    empty: &'a Receiver<Batch>,
}

impl Reading<'_> {
    /// Reads the whole source; `Err` holds the damage that ended it early, if any. Also
    /// gives the interface statistics read (how the capture ended, see
    /// [`FileSource::statistics`]).
    fn run(
        &mut self,
        mut source: FileSource,
    ) -> (Result<(), SourceError>, Vec<InterfaceStatistics>) {
        let Ok(mut batch) = self.empty.recv() else {
            return (Ok(()), Vec::new());
        };
        let result = self.blocks(&mut source, &mut batch);
        // What was read before the end (or the damage) goes on.
        let _ = self.send_full(batch);
        let stats = source.statistics().to_vec();
        match result {
            Ok(()) | Err(Stop::Gone(Gone)) => (Ok(()), stats),
            Err(Stop::Damage(e)) => (Err(e), stats),
        }
    }

    /// Sends a filled batch on, and decides whether to help with the next one.
    fn send_full(&mut self, mut full: Batch) -> Result<(), Gone> {
        full.first = self.decoding.first();
        // Counted before it goes: the showing thread's count down must never come first.
        let waiting = self
            .in_flight
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        self.full.send(full).map_err(|_| Gone)?;
        self.help = waiting >= BEHIND;
        Ok(())
    }

    /// Records are read into the batches' own blocks, no copy.
    fn blocks(&mut self, blocks: &mut FileSource, batch: &mut Batch) -> Result<(), Stop> {
        while !self.decoding.done() {
            match blocks.next_in(&mut batch.block).map_err(Stop::Damage)? {
                BlockNext::Frame(found) => {
                    let frame = found.frame(&batch.block);
                    let mut packet = Packet::default();
                    if let Some(selected) = self.decoding.frame(&frame, self.saving, &mut packet) {
                        let worked = Worked {
                            key_hash: if self.hash {
                                Tracker::key_hash(&packet)
                            } else {
                                None
                            },
                        };
                        let parts = BatchParts {
                            items: &mut batch.items,
                            extra: &mut batch.extra,
                            packets: &mut batch.packets,
                            infos: &mut batch.infos,
                        };
                        push(
                            parts,
                            &frame,
                            &found,
                            packet,
                            selected,
                            self.info.filter(|_| self.help),
                            worked,
                        );
                    }
                    if batch.items.len() >= BATCH_FRAMES {
                        self.send_carrying(batch, 0)?;
                    }
                }
                BlockNext::Short => {
                    let need = blocks.record_len(&batch.block);
                    self.send_carrying(batch, need)?;
                }
                BlockNext::End => return Ok(()),
            }
        }
        Ok(())
    }

    /// Sends the batch on; its unread bytes go to the front of the next one's block,
    /// with room for `need` bytes.
    fn send_carrying(&mut self, batch: &mut Batch, need: usize) -> Result<(), Gone> {
        let mut next = self.empty.recv().map_err(|_| Gone)?;
        batch.block.carry_to(&mut next.block, need.max(BLOCK_BYTES));
        let full = std::mem::replace(batch, next);
        self.send_full(full)
    }
}

/// Why reading stopped before the end of the file.
enum Stop {
    Gone(Gone),
    Damage(SourceError),
}

impl From<Gone> for Stop {
    fn from(g: Gone) -> Self {
        Stop::Gone(g)
    }
}
