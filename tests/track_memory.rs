//! What a TCP conversation costs the tracker, in heap bytes (issue 13, item 14: 2M SYN-only
//! conversations took about 1.8 GB, 1.1 KB each): SYNs nobody answers, each of a new IPv6
//! conversation, decoded and tracked; the bytes the tracker holds are counted by a global
//! allocator wrapper. Past [`MAX_LIVE`] live conversations, each added conversation costs
//! its record and its index slot, and nothing else. Its own test binary, so that no other
//! test's allocations are counted; no time is measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wirelab::decode::decode;
use wirelab::source::{Frame, LinkType, Timestamp};
use wirelab::track::{FrameMeta, MAX_LIVE, Tracker};

/// Counts the bytes each thread holds (other threads of the test harness do not count).
struct Counting;

thread_local! {
    static HELD: Cell<i64> = const { Cell::new(0) };
}

/// Heap bytes this thread holds now (allocated and not freed).
fn held() -> i64 {
    HELD.with(Cell::get)
}

fn count(bytes: usize, sign: i64) {
    let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
    // `try_with`: the thread-local may be gone while a thread exits.
    let _ = HELD.try_with(|n| n.set(n.get() + sign * bytes));
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size(), 1);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(layout.size(), -1);
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The bytes one more unanswered SYN's conversation may cost the tracker (README,
/// "Robustness bounds"): its 224-byte record and its index slot (8 bytes, the table at
/// most half full: 16 to 32 bytes per conversation).
const BYTES_PER_QUIET_CONVERSATION: i64 = 256;

/// An Ethernet frame: IPv6 from `2001:db8:<i>::1` port 40000 to `2001:db8::2` port 80, a
/// TCP SYN with sequence number `i`.
fn syn(i: u32) -> Vec<u8> {
    let mut f = Vec::with_capacity(74);
    f.extend_from_slice(&[2, 0, 0, 0, 0, 2]); // destination MAC
    f.extend_from_slice(&[2, 0, 0, 0, 0, 1]); // source MAC
    f.extend_from_slice(&[0x86, 0xdd]); // EtherType: IPv6
    f.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, traffic class 0, flow label 0
    f.extend_from_slice(&[0, 20]); // payload length: the TCP header
    f.extend_from_slice(&[6, 64]); // next header TCP, hop limit 64
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8]); // source 2001:db8:
    f.extend_from_slice(&i.to_be_bytes()); //           <i>
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]); // ::1
    f.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0]); // destination 2001:db8::
    f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2]); // 2
    f.extend_from_slice(&40000u16.to_be_bytes()); // source port
    f.extend_from_slice(&80u16.to_be_bytes()); // destination port
    f.extend_from_slice(&i.to_be_bytes()); // sequence number
    f.extend_from_slice(&[0, 0, 0, 0]); // acknowledgment number
    f.extend_from_slice(&[5 << 4, 0x02]); // data offset 5 (20 bytes), flags: SYN
    f.extend_from_slice(&64240u16.to_be_bytes()); // window
    f.extend_from_slice(&[0, 0, 0, 0]); // checksum (filled in below), urgent pointer
    // The TCP checksum over the IPv6 pseudo-header (addresses, length 20, next header 6)
    // and the header: right, so the SYN is no bad-checksum packet (whose dropped-packet
    // record Zeek's judgement keeps apart, and which this bound does not cover).
    let words = |b: &[u8]| -> u32 {
        b.chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)])))
            .sum()
    };
    let mut sum = words(&f[22..54]) + 20 + 6 + words(&f[54..74]);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let checksum = !u16::try_from(sum).unwrap_or(0);
    f[70..72].copy_from_slice(&checksum.to_be_bytes());
    f
}

/// Feeds SYNs `from..to` (frame numbers `i + 1`, 1 µs apart).
fn feed(tracker: &mut Tracker, from: u32, to: u32) {
    for i in from..to {
        let data = syn(i);
        let number = u64::from(i) + 1;
        let ts = Timestamp {
            secs: 1_700_000_000 + i64::from(i / 1_000_000),
            nanos: (i % 1_000_000) * 1000,
        };
        let frame = Frame {
            number,
            ts,
            linktype: LinkType(1),
            orig_len: u32::try_from(data.len()).unwrap_or(0),
            data: &data,
            comments: Default::default(),
        };
        let packet = decode(&frame);
        assert_eq!(
            packet.checksum,
            wirelab::decode::ChecksumStatus::Good,
            "SYN {i}'s checksum"
        );
        let meta = FrameMeta {
            number,
            ts,
            orig_len: frame.orig_len,
        };
        let facts = tracker.observe(meta, &packet);
        assert_eq!(facts.stream, Some(u64::from(i)), "SYN {i}");
    }
}

#[test]
fn r14_tracker_bytes_per_syn_only_conversation_bounded() {
    let beyond = u32::try_from(MAX_LIVE).unwrap_or(u32::MAX);
    let (small, large) = (beyond + 40_000, beyond + 160_000);
    let mut tracker = Tracker::new();
    let start = held();
    feed(&mut tracker, 0, small);
    let at_small = held();
    feed(&mut tracker, small, large);
    let at_large = held();
    assert_eq!(tracker.live_conversations(), MAX_LIVE);
    let per = (at_large - at_small) / i64::from(large - small);
    eprintln!(
        "track_memory: {} bytes held at {small} conversations, {} at {large}: {per} bytes per added SYN-only conversation",
        at_small - start,
        at_large - start
    );
    assert!(
        per <= BYTES_PER_QUIET_CONVERSATION,
        "{per} bytes per SYN-only conversation, over {BYTES_PER_QUIET_CONVERSATION}"
    );
    let conversations = tracker.finish();
    assert_eq!(conversations.len(), usize::try_from(large).unwrap_or(0));
    assert!(conversations.iter().all(|c| c.zeek_state == "S0"));
}
