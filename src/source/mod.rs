//! Where frames come from: saved capture files (libpcap, with a pure-Rust pcapng
//! fallback for mixed link types) and, later, live interfaces. Owns file offsets
//! and frame numbering; must not decode anything above the capture record.

/// A capture timestamp: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01 00:00:00 UTC (may be negative).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// The timestamp of a frame that has none (a pcapng Simple Packet Block).
    pub const ABSENT: Timestamp = Timestamp {
        secs: i64::MIN,
        nanos: 0,
    };

    /// True for [`Timestamp::ABSENT`].
    pub fn is_absent(self) -> bool {
        self == Self::ABSENT
    }

    /// This timestamp, or the epoch when absent (Wireshark counts a missing time as zero).
    pub fn or_zero(self) -> Timestamp {
        if self.is_absent() {
            Timestamp::default()
        } else {
            self
        }
    }

    /// Seconds as a float (for JSON and relative time).
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
    /// `self - earlier` in nanoseconds (saturating).
    pub fn nanos_since(self, earlier: Timestamp) -> i128 {
        (i128::from(self.secs) - i128::from(earlier.secs)) * 1_000_000_000
            + (i128::from(self.nanos) - i128::from(earlier.nanos))
    }
}

/// One captured record, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Frame number in the file, 1-based (as Wireshark counts packets).
    pub number: u64,
    /// When the frame was captured.
    pub ts: Timestamp,
    /// The pcap LINKTYPE_* value of the interface it was captured on.
    pub linktype: u32,
    /// Length of the frame on the wire.
    pub orig_len: u32,
    /// The captured bytes (`data.len()` is the captured length).
    pub data: &'a [u8],
}

pub mod classic;
pub mod file;
pub mod filter;
pub mod live;
pub mod pcapng;
pub mod write;

pub use file::FileSource;
