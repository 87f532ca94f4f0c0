//! The per-frame hot path does not pay for the detail view's spans: decoding the frames
//! of the lab captures (Ethernet, IPv4/IPv6, TCP with options, UDP) with `decode`
//! allocates nothing at all, while `decode_spans` (the detail view's decode, the same
//! code with a recorder) does. Counted by a global allocator wrapper; its own test
//! binary, so that no other test's allocations are counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;

use wirelab::decode::{decode, decode_spans};
use wirelab::source::FileSource;

/// Counts the allocations of each thread (other threads of the test harness do not count).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// Allocations made so far by this thread.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn decode_allocates_nothing_per_frame_spans_do() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut frames = 0usize;
    let (mut plain, mut with_spans) = (0usize, 0usize);
    for name in [
        "lab_tcp.pcap",
        "lab_udp.pcap",
        "lab_ipv6.pcapng",
        "lab_any_sll2.pcap",
    ] {
        let mut source = FileSource::open(&root.join(name)).expect("a lab fixture");
        while let Ok(Some(frame)) = source.next_frame() {
            frames += 1;
            let before = allocations();
            let packet = decode(&frame);
            let after = allocations();
            drop(packet);
            plain += after - before;
            let before = allocations();
            let (_, layers) = decode_spans(&frame, None);
            with_spans += allocations() - before;
            assert!(
                !layers.is_empty(),
                "{name} frame {}: no layer",
                frame.number
            );
        }
    }
    assert!(frames >= 50, "only {frames} frames read");
    assert_eq!(
        plain, 0,
        "decode allocated {plain} times over {frames} frames"
    );
    assert!(
        with_spans > frames,
        "decode_spans allocated only {with_spans} times over {frames} frames"
    );
}
