//! Reading a saved capture on two threads: the source and the front half (decode,
//! track, select) on one, the back half (explain, save, present) on the other.
//!
//! Frames stay in capture order: the front thread fills batches of frames in order and
//! the back thread takes the batches in order (a pipeline, not a pool). A batch owns its
//! frames' bytes (the file, pcap or pcapng, is read straight into the batch's block: no
//! frame is copied), their decoded packets and their picks, and a bounded
//! number of batches circulate between the threads: memory does not grow with the file.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};

use crate::decode::Packet;
use crate::error::{AppError, SourceError};
use crate::explain;
use crate::hints::Hints;
use crate::source::block::Block;
use crate::source::file::{BlockNext, FrameAt};
use crate::source::{Comments, FileSource, Frame, LinkType, Timestamp};
use crate::track::Tracker;

use super::Failure;
use super::pipeline::{self, Back, Front, Pick, Pipeline, Saving, Tracking, Unmatched};

/// Frames per batch, at most.
const BATCH_FRAMES: usize = 512;
/// Room of a batch's block: file bytes read at a time (a batch is sent once its block
/// is full). Small enough that a block is still in cache when its frames are shown.
const BLOCK_BYTES: usize = 256 * 1024;
/// Batches that circulate between the threads (one filling, the others full or being shown).
const BATCHES: usize = 4;
/// Batches sent and not shown yet from which the back thread counts as behind (one being
/// shown and the channel full): the front thread then takes over part of its work (the
/// TCP Info column) for the next batch.
const BEHIND: usize = 3;

/// Where a packet's payload bytes are in a batch.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Within the frame's own bytes: start and length relative to the frame.
    Frame(usize, usize),
    /// In [`Batch::extra`] (a payload put together from IP fragments): start and length.
    Extra(usize, usize),
}

/// One frame the back thread needs (its decoded packet is in [`Batch::packets`], at
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
    pick: Pick,
    /// Start and length of the TCP Info column the front thread wrote, in [`Batch::infos`].
    info: Option<(usize, usize)>,
    /// The hash of the packet's conversation key, when the back thread tracks (the
    /// front thread computes it: a share of the back thread's work moved over).
    key_hash: Option<u32>,
}

/// Frames on their way from the front thread to the back thread.
struct Batch {
    /// The frames' bytes, read straight from the file.
    block: Block,
    /// Payloads put together from IP fragments.
    extra: Vec<u8>,
    items: Vec<Item>,
    /// The frames' decoded packets, their payloads left empty (see [`Item::payload`]).
    /// Decoding once and moving the packets in one contiguous run costs the back thread
    /// less than decoding each frame again.
    packets: Vec<Packet<'static>>,
    /// TCP Info columns the front thread wrote (see [`crate::explain::tcp_info`]).
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
    /// `tracking`, tracks and selects each frame first (the front half did not).
    /// `Ok(false)` once `-c N` frames were shown.
    fn show(
        &mut self,
        back: &mut Back,
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
        let saving = back.saving();
        let mut more = true;
        for (item, packet) in items.iter().zip(packets.drain(..)) {
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
            let packet = packet.with_payload(payload);
            match tracking.as_deref_mut() {
                Some(t) => {
                    let hints = Hints {
                        key_hash: item.key_hash,
                        tcp_info: None,
                    };
                    if let Some(pick) = t.observe_with(&frame, &packet, saving, hints) {
                        back.frame(&frame, &packet, &pick, t.first(), Hints::default())?;
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
                        key_hash: None,
                        tcp_info: info,
                    };
                    back.frame(&frame, &packet, &item.pick, *first, hints)?;
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

/// Adds to a batch one frame the back thread needs, whose bytes are `frame.data`, where
/// `found` says in the block, with its decoded packet and, with `info` set, its TCP Info
/// column written the way those options say.
fn push(
    batch: BatchParts<'_>,
    frame: &Frame<'_>,
    found: &FrameAt,
    packet: Packet<'_>,
    pick: Pick,
    info: Option<explain::Options>,
    hash: bool,
) {
    let key_hash = if hash {
        Tracker::key_hash(&packet)
    } else {
        None
    };
    let start = batch.infos.len();
    let info = info
        .filter(|&options| explain::tcp_info(batch.infos, &packet, &pick.facts, options))
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
        pick,
        info,
        key_hash,
    });
}

/// `bytes[at..at + len]`, empty if out of range (never, for offsets a batch recorded).
fn slice(bytes: &[u8], at: usize, len: usize) -> &[u8] {
    bytes.get(at..at.saturating_add(len)).unwrap_or_default()
}

/// Reads the whole file through `pipeline`, the front half on a second thread; returns
/// the damage that ended reading early, if any (after everything before it was shown),
/// and what was asked for and not shown.
pub fn read(
    source: FileSource,
    pipeline: Pipeline,
) -> Result<(Option<SourceError>, Option<Unmatched>), Failure> {
    let (mut front, mut back) = pipeline.into_halves();
    let saving = back.saving();
    // A view that shows no frame has little to do per frame: it tracks too, and the
    // front thread only reads and decodes.
    let mut back_tracking = if back.summary_only() {
        front.take_tracking()
    } else {
        None
    };
    let info = (!back.summary_only()).then(|| back.explain_options());
    let hash = back_tracking.is_some();
    let in_flight = &AtomicUsize::new(0);
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES - 2);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    for _ in 0..BATCHES {
        // Cannot fail: the receiver is alive.
        let _ = empty_tx.send(Batch::new());
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("wirelab-front".into())
            .spawn_scoped(scope, move || {
                let mut pass = Pass {
                    front: &mut front,
                    info,
                    help: false,
                    hash,
                    in_flight,
                    saving,
                    full: &full_tx,
                    empty: &empty_rx,
                };
                let damage = pass.run(source);
                (front, damage)
            })
            .map_err(|_| AppError::ThreadStart("reading"))?;
        let mut failure = None;
        for mut batch in full_rx.iter() {
            match batch.show(&mut back, back_tracking.as_mut()) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            // Never below zero: the front thread counts a batch before sending it.
            in_flight.fetch_sub(1, Ordering::Relaxed);
            // The front thread may have finished: then the batch is simply dropped.
            let _ = empty_tx.send(batch);
        }
        // Closing both channels stops the front thread if it is still reading.
        drop(full_rx);
        drop(empty_tx);
        let (mut front, damage) = match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Some(f) = failure {
            return Err(f);
        }
        let done_early = back_tracking.as_ref().is_some_and(Tracking::done);
        let mut unmatched = None;
        if let Some(tracking) = back_tracking.or_else(|| front.take_tracking()) {
            unmatched = tracking.unmatched();
            pipeline::finish(tracking, back).map_err(super::output_error)?;
        }
        // Damage after the last frame shown (-c N reached) is not reported, as on one thread.
        Ok((if done_early { None } else { damage.err() }, unmatched))
    })
}

/// Why the front thread stopped early: the back thread went away (nothing to report).
struct Gone;

/// The front thread's work: reads frames, decodes and tracks them, and sends them on in batches.
struct Pass<'a> {
    front: &'a mut Front,
    /// How to write TCP Info columns (not for a view that shows no frame)...
    info: Option<explain::Options>,
    /// ... which the front thread does in the batch being filled while the back thread is
    /// behind: a share of its work moved over, so that the slower thread sets the pace
    /// less. The output is the same either way.
    help: bool,
    /// The back thread tracks: each packet's conversation key hash goes with it.
    hash: bool,
    /// Batches sent and not shown yet.
    in_flight: &'a AtomicUsize,
    saving: Saving,
    full: &'a SyncSender<Batch>,
    empty: &'a Receiver<Batch>,
}

impl Pass<'_> {
    /// Reads the whole source; `Err` holds the damage that ended it early, if any.
    fn run(&mut self, source: FileSource) -> Result<(), SourceError> {
        let Ok(mut batch) = self.empty.recv() else {
            return Ok(());
        };
        let result = self.blocks(source, &mut batch);
        // What was read before the end (or the damage) goes on.
        let _ = self.send_full(batch);
        match result {
            Ok(()) | Err(Stop::Gone(Gone)) => Ok(()),
            Err(Stop::Damage(e)) => Err(e),
        }
    }

    /// Sends a filled batch on, and decides whether to help with the next one.
    fn send_full(&mut self, mut full: Batch) -> Result<(), Gone> {
        full.first = self.front.first();
        // Counted before it goes: the back thread's count down must never come first.
        let waiting = self
            .in_flight
            .fetch_add(1, Ordering::Relaxed)
            .saturating_add(1);
        self.full.send(full).map_err(|_| Gone)?;
        self.help = waiting >= BEHIND;
        Ok(())
    }

    /// Records are read into the batches' own blocks, no copy.
    fn blocks(&mut self, mut blocks: FileSource, batch: &mut Batch) -> Result<(), Stop> {
        while !self.front.done() {
            match blocks.next_in(&mut batch.block).map_err(Stop::Damage)? {
                BlockNext::Frame(found) => {
                    let frame = found.frame(&batch.block);
                    let mut packet = Packet::default();
                    if let Some(pick) = self.front.frame(&frame, self.saving, &mut packet) {
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
                            pick,
                            self.info.filter(|_| self.help),
                            self.hash,
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
