//! IP reassembly, as Wireshark does it by default: IPv4 and IPv6 fragments are
//! collected per (source, destination, identification, protocol); the frame that
//! completes a datagram gets the transport of the whole datagram, every other
//! fragment stays data. Memory is bounded: at most [`MAX_DATAGRAMS_IN_PROGRESS`]
//! datagrams and [`MAX_BUFFERED_BYTES`] bytes are held, the oldest dropped first.
//! Must not decode anything itself: the bytes go back to `ip` and `transport`.

use std::collections::HashMap;
use std::net::IpAddr;

use super::spans::NoFields;
use super::{Bytes, FragmentInfo, Net, Packet, Transport, decode_into, ip, len_u32};
use crate::source::Frame;

/// Datagrams being reassembled at once; a new one beyond evicts the oldest.
pub const MAX_DATAGRAMS_IN_PROGRESS: usize = 1024;
/// Fragment bytes held at once; beyond, the oldest datagrams are dropped.
pub const MAX_BUFFERED_BYTES: usize = 16 << 20;
/// The largest IP payload a datagram can reassemble to: the last fragment's
/// offset (at most 65,528) plus its data (less than 65,536).
const MAX_DATAGRAM: usize = 65_528 + 65_535;

/// Which datagram a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    /// IPv4's 16-bit or IPv6's 32-bit identification.
    id: u32,
    /// The protocol of the fragmented datagram (IPv6: the fragment header's next header).
    protocol: u8,
}

/// A datagram in progress.
#[derive(Debug)]
struct Datagram {
    /// Arrival order, for eviction.
    age: u64,
    first_frame: u64,
    /// (offset, data) of every fragment so far, in arrival order.
    pieces: Vec<(usize, Vec<u8>)>,
    /// Set by the fragment without "more fragments": offset + its length.
    total: Option<usize>,
    /// Bytes held in `pieces`.
    held: usize,
}

impl Datagram {
    /// True when the pieces cover every byte from 0 to the known total.
    fn complete(&self) -> Option<usize> {
        let total = self.total?;
        let mut spans: Vec<(usize, usize)> = self
            .pieces
            .iter()
            .map(|(off, d)| (*off, off.saturating_add(d.len())))
            .collect();
        spans.sort_unstable();
        let mut covered = 0usize;
        for (start, end) in spans {
            if start > covered {
                return None;
            }
            covered = covered.max(end);
        }
        (covered >= total).then_some(total)
    }

    /// Copies the pieces into `out` (cleared first), in offset order; where
    /// fragments overlap, the one that arrived first wins.
    fn assemble(&mut self, total: usize, out: &mut Vec<u8>) {
        out.clear();
        out.resize(total, 0);
        let mut filled = vec![false; total];
        for (off, data) in &self.pieces {
            for (i, b) in data.iter().enumerate() {
                let at = off.saturating_add(i);
                if let (Some(slot), Some(seen)) = (out.get_mut(at), filled.get_mut(at))
                    && !*seen
                {
                    *slot = *b;
                    *seen = true;
                }
            }
        }
    }
}

/// What adding one fragment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Added {
    index: u32,
    first_frame: u64,
    total: Option<usize>,
    /// The datagram is complete, assembled into the decoder's buffer, this long.
    complete: Option<usize>,
}

/// Collects fragments until their datagram is complete.
#[derive(Debug, Default)]
struct Defragmenter {
    pending: HashMap<Key, Datagram>,
    held: usize,
    next_age: u64,
}

impl Defragmenter {
    /// Adds a fragment of `data` at `offset`; `more` is the "more fragments" flag.
    /// When this completes the datagram, its bytes are written to `out`.
    fn add(
        &mut self,
        key: Key,
        frame: u64,
        offset: usize,
        more: bool,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Added {
        let end = offset.saturating_add(data.len());
        if end > MAX_DATAGRAM {
            // Cannot be part of a valid datagram: shown as a lone fragment.
            return Added {
                index: 1,
                first_frame: frame,
                total: None,
                complete: None,
            };
        }
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= MAX_DATAGRAMS_IN_PROGRESS {
                self.evict_oldest();
            }
            self.next_age += 1;
            self.pending.insert(
                key,
                Datagram {
                    age: self.next_age,
                    first_frame: frame,
                    pieces: Vec::new(),
                    total: None,
                    held: 0,
                },
            );
        }
        while self.held.saturating_add(data.len()) > MAX_BUFFERED_BYTES
            && self.evict_oldest_except(key)
        {}
        let Some(d) = self.pending.get_mut(&key) else {
            return Added {
                index: 1,
                first_frame: frame,
                total: None,
                complete: None,
            };
        };
        d.pieces.push((offset, data.to_vec()));
        d.held = d.held.saturating_add(data.len());
        self.held = self.held.saturating_add(data.len());
        if !more && d.total.is_none() {
            d.total = Some(end);
        }
        let mut added = Added {
            index: u32::try_from(d.pieces.len()).unwrap_or(u32::MAX),
            first_frame: d.first_frame,
            total: d.total,
            complete: None,
        };
        if let Some(total) = d.complete() {
            d.assemble(total, out);
            added.complete = Some(total);
            self.remove(&key);
        }
        added
    }

    fn remove(&mut self, key: &Key) {
        if let Some(d) = self.pending.remove(key) {
            self.held = self.held.saturating_sub(d.held);
        }
    }

    fn evict_oldest(&mut self) -> bool {
        let oldest = self
            .pending
            .iter()
            .min_by_key(|(_, d)| d.age)
            .map(|(k, _)| *k);
        match oldest {
            Some(k) => {
                self.remove(&k);
                true
            }
            None => false,
        }
    }

    fn evict_oldest_except(&mut self, keep: Key) -> bool {
        let oldest = self
            .pending
            .iter()
            .filter(|(k, _)| **k != keep)
            .min_by_key(|(_, d)| d.age)
            .map(|(k, _)| *k);
        match oldest {
            Some(k) => {
                self.remove(&k);
                true
            }
            None => false,
        }
    }
}

/// Decodes frames one after the other, reassembling IP fragments as Wireshark
/// does by default. Owns the bytes of the datagram it last reassembled: the
/// [`Packet`] it returns borrows them (and the frame's bytes) until the next call.
#[derive(Debug, Default)]
pub struct Decoder {
    defrag: Defragmenter,
    /// The last reassembled datagram's IP payload.
    assembled: Vec<u8>,
}

impl Decoder {
    /// A decoder that has seen no fragment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Datagrams currently waiting for fragments.
    pub fn datagrams_in_progress(&self) -> usize {
        self.defrag.pending.len()
    }

    /// Decodes one frame (see [`super::decode`]); an IP fragment is added to its
    /// datagram and, when it completes it, decoded with the whole datagram's
    /// transport. Never panics, whatever the bytes.
    pub fn decode<'p>(&'p mut self, frame: &Frame<'p>) -> Packet<'p> {
        // One packet, changed in place by every layer and moved once, on return: a
        // packet is a few hundred bytes, and every move of it is a `memcpy`.
        let mut packet = Packet::default();
        self.fill(frame, &mut packet);
        packet
    }

    /// [`Decoder::decode`] into `packet` (whatever it held is replaced), for a caller
    /// that keeps its packet in place: not even the move on return.
    pub fn decode_in_place<'p>(&'p mut self, frame: &Frame<'p>, packet: &mut Packet<'p>) {
        *packet = Packet::default();
        self.fill(frame, packet);
    }

    /// Decodes `frame` into `packet`, a [`Packet::default`].
    fn fill<'p>(&'p mut self, frame: &Frame<'p>, packet: &mut Packet<'p>) {
        decode_into(frame, true, packet);
        if packet.fragment.is_some() {
            self.reassemble(frame.number, packet);
        }
    }

    /// Adds the fragment `packet` (decoded with its data held) to its datagram and,
    /// when it completes it, decodes the whole datagram's transport into `packet`.
    /// Out of line: fragments are rare, and [`Decoder::decode`] stays small.
    #[inline(never)]
    fn reassemble<'p>(&'p mut self, frame_number: u64, packet: &mut Packet<'p>) {
        let (key, offset, more) = match (&packet.net, &packet.transport) {
            (Net::Ipv4(h), Transport::Fragment { protocol }) => (
                Key {
                    src: IpAddr::V4(h.src),
                    dst: IpAddr::V4(h.dst),
                    id: u32::from(h.identification),
                    protocol: *protocol,
                },
                usize::from(h.fragment_offset),
                h.more_fragments,
            ),
            (Net::Ipv6(h), Transport::Fragment { protocol }) => match h.fragment {
                Some(f) => (
                    Key {
                        src: IpAddr::V6(h.src),
                        dst: IpAddr::V6(h.dst),
                        id: f.identification,
                        protocol: *protocol,
                    },
                    usize::from(f.offset),
                    f.more_fragments,
                ),
                None => {
                    packet.fragment = None;
                    return;
                }
            },
            _ => {
                packet.fragment = None;
                return;
            }
        };
        let data = packet.payload;
        let added = self
            .defrag
            .add(key, frame_number, offset, more, data, &mut self.assembled);
        let mut info = FragmentInfo {
            index: added.index,
            len: len_u32(data.len()),
            datagram_len: added.total.map(len_u32),
            reassembled: false,
            first_frame: added.first_frame,
        };
        if let Some(total) = added.complete {
            info.reassembled = true;
            info.datagram_len = Some(len_u32(total));
            let this: &'p Self = self;
            let bytes = Bytes {
                data: this.assembled.get(..total).unwrap_or(&this.assembled),
                reported: total,
                defrag: true,
                at: 0,
                tunnels: 0,
            };
            ip::reassembled(key.protocol, bytes, packet, &mut NoFields);
        }
        packet.fragment = Some(info);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::frame_of;
    use super::*;
    use crate::decode::{Problem, ProblemKind};

    /// IPv4 + UDP fragments of one datagram, id 0x1234, 10.0.0.1 → 10.0.0.2: the
    /// UDP header (ports 7 → 9, length 8 + 20) and 20 bytes of 'a'..'t', cut at
    /// `cuts` (offsets in 8-byte units).
    fn fragments(cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut datagram = vec![0x00, 0x07, 0x00, 0x09, 0x00, 0x1c, 0x00, 0x00]; // UDP header, length 28
        datagram.extend(b'a'..=b't');
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c * 8).collect();
        bounds.push(datagram.len());
        let mut out = Vec::new();
        let mut start = 0;
        for (i, end) in bounds.iter().enumerate() {
            let part = &datagram[start..*end];
            let more = i + 1 < bounds.len();
            let total = u16::try_from(20 + part.len()).unwrap_or(0);
            let field = u16::try_from(start / 8).unwrap_or(0) | if more { 0x2000 } else { 0 };
            let mut f = vec![0x45, 0x00]; // version 4, IHL 5
            f.extend_from_slice(&total.to_be_bytes()); // total length
            f.extend_from_slice(&[0x12, 0x34]); // identification
            f.extend_from_slice(&field.to_be_bytes()); // flags (MF) and offset
            f.extend_from_slice(&[64, 17, 0, 0]); // TTL, UDP, checksum
            f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]); // source, destination
            f.extend_from_slice(part);
            out.push(f);
            start = *end;
        }
        out
    }

    #[test]
    fn test_fragments_in_order_last_reassembles() {
        let frags = fragments(&[1, 2]);
        let mut d = Decoder::new();
        let p = d.decode(&frame_of(228, &frags[0]));
        assert_eq!(p.transport, Transport::Fragment { protocol: 17 });
        assert_eq!(p.ports(), None);
        assert_eq!(
            p.fragment,
            Some(FragmentInfo {
                index: 1,
                len: 8,
                datagram_len: None,
                reassembled: false,
                first_frame: 1
            })
        );
        let p = d.decode(&frame_of(228, &frags[1]));
        assert_eq!(p.fragment.map(|f| f.index), Some(2));
        let p = d.decode(&frame_of(228, &frags[2]));
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.udp().map(|u| u.payload_len), Some(20));
        assert_eq!(p.payload, b"abcdefghijklmnopqrst");
        assert_eq!(
            p.fragment.map(|f| (f.index, f.reassembled, f.datagram_len)),
            Some((3, true, Some(28)))
        );
        assert_eq!(d.datagrams_in_progress(), 0);
    }

    #[test]
    fn test_decode_in_place_same_as_decode() {
        let frags = fragments(&[1, 2]);
        let (mut by_value, mut in_place) = (Decoder::new(), Decoder::new());
        for f in &frags {
            let frame = frame_of(228, f);
            let expected = by_value.decode(&frame);
            let mut p = Packet {
                problem: Some(Box::new(Problem {
                    layer: "left over",
                    kind: ProblemKind::Malformed("from an earlier frame".into()),
                })),
                ..Packet::default()
            };
            in_place.decode_in_place(&frame, &mut p);
            assert_eq!(format!("{p:?}"), format!("{expected:?}"));
        }
    }

    #[test]
    fn test_fragments_out_of_order_first_completes() {
        let frags = fragments(&[2]);
        let mut d = Decoder::new();
        let p = d.decode(&frame_of(228, &frags[1]));
        assert_eq!(p.fragment.and_then(|f| f.datagram_len), Some(28));
        assert_eq!(p.ports(), None);
        let p = d.decode(&frame_of(228, &frags[0]));
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.payload.len(), 20);
    }

    #[test]
    fn test_fragment_never_completed_stays_data() {
        let frags = fragments(&[1, 2]);
        let mut d = Decoder::new();
        let p = d.decode(&frame_of(228, &frags[0]));
        assert_eq!(p.transport, Transport::Fragment { protocol: 17 });
        let p = d.decode(&frame_of(228, &frags[2]));
        assert_eq!(p.transport, Transport::Fragment { protocol: 17 });
        assert_eq!(d.datagrams_in_progress(), 1);
    }

    #[test]
    fn test_stateless_decode_shows_first_fragment_transport() {
        let frags = fragments(&[1]);
        let p = super::super::decode(&frame_of(228, &frags[0]));
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.fragment, None);
    }

    #[test]
    fn test_snapped_fragment_not_held() {
        let frags = fragments(&[2]); // first fragment: 20 IP + 16 data bytes
        let mut f = frame_of(228, &frags[0][..30]);
        f.orig_len = 36;
        let mut d = Decoder::new();
        let p = d.decode(&f);
        assert_eq!(p.fragment, None);
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(d.datagrams_in_progress(), 0);
    }

    #[test]
    fn test_many_datagrams_evict_oldest() {
        let mut d = Decoder::new();
        for id in 0..(MAX_DATAGRAMS_IN_PROGRESS + 10) {
            let mut f = fragments(&[1]).swap_remove(0);
            let id = u16::try_from(id).unwrap_or(0).to_be_bytes();
            f[4] = id[0];
            f[5] = id[1];
            let _ = d.decode(&frame_of(228, &f));
        }
        assert_eq!(d.datagrams_in_progress(), MAX_DATAGRAMS_IN_PROGRESS);
    }

    #[test]
    fn test_ipv6_fragments_reassemble() {
        // IPv6 ::1 → ::1, fragment header (next header UDP, id 7), UDP 7 → 9 + 8 bytes.
        let mut udp = vec![0x00, 0x07, 0x00, 0x09, 0x00, 0x10, 0x00, 0x00]; // length 16
        udp.extend_from_slice(b"ABCDEFGH");
        let frag = |off: u16, more: bool, part: &[u8]| {
            let mut v = vec![0x60, 0, 0, 0]; // version 6
            v.extend_from_slice(&u16::try_from(8 + part.len()).unwrap_or(0).to_be_bytes()); // payload length
            v.extend_from_slice(&[44, 64]); // next header: fragment, hop limit
            v.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
            v.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
            let field = (off / 8) << 3 | u16::from(more);
            v.extend_from_slice(&[17, 0]); // next header UDP, reserved
            v.extend_from_slice(&field.to_be_bytes()); // offset, M flag
            v.extend_from_slice(&[0, 0, 0, 7]); // identification
            v.extend_from_slice(part);
            v
        };
        let a = frag(0, true, &udp[..8]);
        let b = frag(8, false, &udp[8..]);
        let mut d = Decoder::new();
        let p = d.decode(&frame_of(229, &a));
        assert_eq!(p.transport, Transport::Fragment { protocol: 17 });
        let p = d.decode(&frame_of(229, &b));
        assert_eq!(p.ports(), Some((7, 9)));
        assert_eq!(p.payload, b"ABCDEFGH");
    }
}
