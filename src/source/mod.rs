//! Where frames come from: saved captures (pcap and pcapng, from a file, a FIFO or standard
//! input, through one reader), live interfaces (libpcap), and where they go when saved
//! (the writers). Owns file offsets and frame numbering; decodes nothing above the
//! capture record.

/// A capture timestamp: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01 00:00:00 UTC (may be negative).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000` (a classic pcap file may hold
    /// more, kept as read, as libpcap does).
    pub nanos: u32,
}

impl Timestamp {
    /// The timestamp of a frame that has none (a pcapng Simple Packet Block). No frame
    /// read from a file has it: pcapng times have `nanos` below 10^9, and classic pcap
    /// seconds are 32-bit, so `i64::MIN` seconds are a real time (as the pcapng
    /// `if_tsoffset` can make them).
    pub const ABSENT: Timestamp = Timestamp {
        secs: i64::MIN,
        nanos: u32::MAX,
    };

    /// The system clock's time now (the epoch if the clock is set before it).
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos(),
        }
    }

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

/// A pcap `LINKTYPE_*` value: how to read a frame's first header.
///
/// ```
/// use wirelab::source::LinkType;
/// assert_eq!(LinkType::ETHERNET.tcpdump_name(), "EN10MB (Ethernet)");
/// assert_eq!(LinkType(1), LinkType::ETHERNET);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback (a 4-byte address family in host order).
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (IPv4 or IPv6 by the version nibble).
    pub const RAW: LinkType = LinkType(101);
    /// Linux cooked capture (`-i any`, version 1).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture, version 2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// The link type of libpcap's data link value `dlt` (they differ for raw IP only:
    /// DLT_RAW is 12 or 14, LINKTYPE_RAW is 101).
    pub fn from_dlt(dlt: i32) -> LinkType {
        match dlt {
            12 | 14 => LinkType::RAW,
            other => LinkType(u32::try_from(other).unwrap_or(u32::MAX)),
        }
    }

    /// libpcap's data link value for this link type (the inverse of [`LinkType::from_dlt`]).
    pub fn dlt(self) -> Option<i32> {
        match self {
            LinkType::RAW => Some(12),
            LinkType(other) => i32::try_from(other).ok(),
        }
    }

    /// The name tcpdump prints for it: `EN10MB (Ethernet)`, `LINUX_SLL2 (Linux cooked v2)`;
    /// the number for one libpcap does not know.
    pub fn tcpdump_name(self) -> String {
        let known = self.dlt().map(pcap::Linktype).and_then(|l| {
            let name = l.get_name().ok()?;
            Some(match l.get_description() {
                Ok(d) => format!("{name} ({d})"),
                Err(_) => name,
            })
        });
        known.unwrap_or_else(|| format!("link type {}", self.0))
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How finely a capture's times are stored (what `-w` keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Microseconds (classic pcap's usual magic, pcapng's default resolution).
    Micro,
    /// Nanoseconds.
    #[default]
    Nano,
}

/// The comments (`opt_comment`) of a pcapng packet block, read only when asked for:
/// a view over the block's options. Frames of other sources have none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Comments<'a> {
    options: &'a [u8],
    big_endian: bool,
}

impl<'a> Comments<'a> {
    /// No comment.
    pub const NONE: Comments<'static> = Comments {
        options: &[],
        big_endian: false,
    };

    /// The comments among a pcapng block's `options` (in the section's byte order).
    pub fn in_options(options: &'a [u8], big_endian: bool) -> Self {
        Comments {
            options,
            big_endian,
        }
    }

    /// Each comment's text, in file order (pcapng requires UTF-8; anything else is shown
    /// with replacement characters by the caller).
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + Clone + use<'a> {
        let (mut rest, big) = (self.options, self.big_endian);
        std::iter::from_fn(move || {
            loop {
                let (code, len) = match rest {
                    [a, b, c, d, ..] => {
                        let (code, len) = ([*a, *b], [*c, *d]);
                        if big {
                            (u16::from_be_bytes(code), u16::from_be_bytes(len))
                        } else {
                            (u16::from_le_bytes(code), u16::from_le_bytes(len))
                        }
                    }
                    _ => return None,
                };
                let len = usize::from(len);
                let value = rest.get(4..4 + len)?;
                rest = rest.get(4 + ((len + 3) & !3)..).unwrap_or_default();
                match code {
                    0 => return None,
                    1 => return Some(value),
                    _ => {}
                }
            }
        })
    }

    /// True when there is no comment.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// One captured record, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Frame number in the file, 1-based (as Wireshark counts packets).
    pub number: u64,
    /// When the frame was captured.
    pub ts: Timestamp,
    /// The link type of the interface it was captured on.
    pub linktype: LinkType,
    /// Length of the frame on the wire.
    pub orig_len: u32,
    /// The captured bytes (`data.len()` is the captured length).
    pub data: &'a [u8],
    /// Comments stored with the frame in a pcapng file.
    pub comments: Comments<'a>,
}

/// What a pcapng Interface Statistics Block says about one interface: written at the end
/// of a capture (as dumpcap does), it tells when and how the capture ended. Only the
/// fields wirelab reads and writes are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceStatistics {
    /// The link type of the interface the block names.
    pub linktype: LinkType,
    /// When the statistics were taken (the block's timestamp).
    pub ts: Timestamp,
    /// When the capture started and ended (`isb_starttime`, `isb_endtime`).
    pub start: Option<Timestamp>,
    /// See `start`.
    pub end: Option<Timestamp>,
    /// Packets received (`isb_ifrecv`; libpcap's "received by filter").
    pub received: Option<u64>,
    /// Packets dropped (`isb_ifdrop`; libpcap's "dropped by kernel").
    pub dropped: Option<u64>,
    /// The block's comments (`opt_comment`).
    pub comments: Vec<String>,
}

pub mod block;
pub mod file;
pub mod filter;
pub mod live;
pub mod write;

pub use file::FileSource;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_comments_skip_other_options_and_stop_at_the_end() {
        let mut o = Vec::new();
        for (code, value) in [(2u16, &b"xyz"[..]), (1, b"first"), (1, b""), (1, b"last")] {
            o.extend(code.to_le_bytes());
            o.extend(u16::try_from(value.len()).unwrap().to_le_bytes());
            o.extend(value);
            o.resize(o.len().next_multiple_of(4), 0);
        }
        o.extend([0, 0, 0, 0, 1, 0, 1, 0, b'x', 0, 0, 0]);
        let c = Comments::in_options(&o, false);
        assert_eq!(c.iter().collect::<Vec<_>>(), [&b"first"[..], b"", b"last"]);
        assert!(Comments::NONE.is_empty());
        // Cut options: what is whole is read, nothing panics.
        for n in 0..o.len() {
            let _ = Comments::in_options(&o[..n], true).iter().count();
        }
    }

    #[test]
    fn test_link_type_names_as_tcpdump() {
        assert_eq!(LinkType::ETHERNET.tcpdump_name(), "EN10MB (Ethernet)");
        assert_eq!(LinkType::RAW.tcpdump_name(), "RAW (Raw IP)");
        assert!(
            LinkType::LINUX_SLL2
                .tcpdump_name()
                .starts_with("LINUX_SLL2")
        );
        assert_eq!(LinkType(65_000).tcpdump_name(), "link type 65000");
        assert_eq!(LinkType::from_dlt(12), LinkType::RAW);
        assert_eq!(LinkType::from_dlt(1), LinkType::ETHERNET);
    }

    #[test]
    fn r11_timestamp_i64_min_is_a_timestamp() {
        let t = Timestamp {
            secs: i64::MIN,
            nanos: 0,
        };
        assert!(!t.is_absent());
        assert_eq!(t.or_zero(), t);
        assert!(Timestamp::ABSENT.is_absent());
    }
}
