//! Reading a saved capture on two threads: the source and the front half (decode,
//! track, select) on one, the back half (explain, save, present) on the other.
//!
//! Frames stay in capture order: the front thread fills batches of frames in order and
//! the back thread takes the batches in order (a pipeline, not a pool). A batch owns
//! copies of its frames' bytes, so the source may reuse its buffer at once, and a bounded
//! number of batches circulate between the threads: memory does not grow with the file.

use std::sync::mpsc::{self, Receiver, SyncSender};

use crate::decode::Packet;
use crate::error::SourceError;
use crate::source::{FileSource, Frame, Timestamp};
use crate::track::Facts;

use super::pipeline::{self, Back, Front, Pipeline, Saving, Selected};
use super::Failure;

/// Frames per batch, at most.
const BATCH_FRAMES: usize = 512;
/// Frame bytes per batch, about (a batch is sent once it holds this much).
const BATCH_BYTES: usize = 256 * 1024;
/// Batches that circulate between the threads (one filling, the others full or being shown).
const BATCHES: usize = 3;

/// Where a packet's payload bytes are in a batch.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Within the frame's own bytes: start and length relative to the frame.
    Frame(usize, usize),
    /// In [`Batch::extra`] (a payload put together from IP fragments): start and length.
    Extra(usize, usize),
}

/// One selected frame, decoded and tracked.
struct Item {
    number: u64,
    ts: Timestamp,
    linktype: u32,
    orig_len: u32,
    /// Start and length of the frame's bytes in [`Batch::data`].
    data: (usize, usize),
    payload: Place,
    /// The decoded packet, its payload left empty (see `payload`).
    packet: Packet<'static>,
    facts: Facts,
    shown: bool,
    save: bool,
}

/// Frames on their way from the front thread to the back thread.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    extra: Vec<u8>,
    items: Vec<Item>,
    /// Time zero of the capture.
    first: Timestamp,
}

impl Batch {
    fn full(&self) -> bool {
        self.items.len() >= BATCH_FRAMES || self.data.len() >= BATCH_BYTES
    }

    /// Takes in one selected frame, copying its bytes.
    fn push(&mut self, frame: &Frame<'_>, selected: Selected<'_>) {
        let start = self.data.len();
        self.data.extend_from_slice(frame.data);
        let Selected { packet, facts, shown, save } = selected;
        let payload = match offset_within(frame.data, packet.payload) {
            Some(at) => Place::Frame(at, packet.payload.len()),
            None => {
                let at = self.extra.len();
                self.extra.extend_from_slice(packet.payload);
                Place::Extra(at, packet.payload.len())
            }
        };
        self.items.push(Item {
            number: frame.number,
            ts: frame.ts,
            linktype: frame.linktype,
            orig_len: frame.orig_len,
            data: (start, frame.data.len()),
            payload,
            packet: packet.with_payload(&[]),
            facts,
            shown,
            save,
        });
    }

    /// Shows every frame of the batch, in order, and empties it for reuse.
    fn show(&mut self, back: &mut Back) -> Result<(), Failure> {
        let Batch { data, extra, items, first } = self;
        for item in items.drain(..) {
            let bytes = slice(data, item.data.0, item.data.1);
            let payload = match item.payload {
                Place::Frame(at, len) => slice(bytes, at, len),
                Place::Extra(at, len) => slice(extra, at, len),
            };
            let frame = Frame { number: item.number, ts: item.ts, linktype: item.linktype, orig_len: item.orig_len, data: bytes };
            let selected = Selected { packet: item.packet.with_payload(payload), facts: item.facts, shown: item.shown, save: item.save };
            back.frame(&frame, &selected, *first)?;
        }
        data.clear();
        extra.clear();
        Ok(())
    }
}

/// `bytes[at..at + len]`, empty if out of range (never, for offsets a batch recorded).
fn slice(bytes: &[u8], at: usize, len: usize) -> &[u8] {
    bytes.get(at..at.saturating_add(len)).unwrap_or_default()
}

/// Where `part` starts within `whole`, if it lies inside it.
fn offset_within(whole: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start.checked_add(part.len())? <= whole.len()).then_some(start)
}

/// Reads the whole file through `pipeline`, the front half on a second thread; returns
/// the damage that ended reading early, if any (after everything before it was shown).
pub fn read(source: FileSource, pipeline: Pipeline) -> Result<Option<SourceError>, Failure> {
    let (front, mut back) = pipeline.into_halves();
    let saving = back.saving();
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES - 2);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    for _ in 0..BATCHES {
        // Cannot fail: the receiver is alive.
        let _ = empty_tx.send(Batch::default());
    }
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || front_thread(source, front, saving, &full_tx, &empty_rx));
        let mut failure = None;
        for mut batch in full_rx.iter() {
            if let Err(e) = batch.show(&mut back) {
                failure = Some(e);
                break;
            }
            // The front thread may have finished: then the batch is simply dropped.
            let _ = empty_tx.send(batch);
        }
        // Closing both channels stops the front thread if it is still reading.
        drop(full_rx);
        drop(empty_tx);
        let joined = worker.join();
        let (front, damage) = match joined {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let Some(f) = failure {
            return Err(f);
        }
        pipeline::finish(front, back).map_err(super::output_error)?;
        Ok(damage)
    })
}

/// The front thread: reads frames, decodes and tracks them, and sends them on in batches.
fn front_thread(
    mut source: FileSource,
    mut front: Front,
    saving: Saving,
    full: &SyncSender<Batch>,
    empty: &Receiver<Batch>,
) -> (Front, Option<SourceError>) {
    let mut damage = None;
    let Ok(mut batch) = empty.recv() else {
        return (front, None);
    };
    while !front.done() {
        match source.next_frame() {
            Ok(Some(frame)) => {
                if let Some(selected) = front.frame(&frame, saving) {
                    batch.push(&frame, selected);
                }
                if batch.full() {
                    batch.first = front.first();
                    if full.send(batch).is_err() {
                        return (front, None);
                    }
                    match empty.recv() {
                        Ok(b) => batch = b,
                        Err(_) => return (front, None),
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                damage = Some(e);
                break;
            }
        }
    }
    batch.first = front.first();
    let _ = full.send(batch);
    (front, damage)
}
