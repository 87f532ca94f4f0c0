//! Presentation-only text: terminal colours and the time column of the per-frame rows
//! (the time format is a view setting). The number, address and time writers themselves
//! live in [`crate::fmt`].

use crate::fmt::{AsciiOut, Seconds, push_date_time};
use crate::source::Timestamp;

/// How the time column shows a frame's time (tshark's `-t r|d|e|ad`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// Seconds since the first frame.
    #[default]
    R,
    /// Seconds since the previous frame shown.
    D,
    /// Seconds since the epoch.
    E,
    /// Absolute date and time (UTC).
    Ad,
}

/// ANSI colours used on a terminal.
pub mod ansi {
    /// Reset all attributes.
    pub const RESET: &str = "\x1b[0m";
    /// Connection control (SYN, FIN).
    pub const CONTROL: &str = "\x1b[36m";
    /// Resets.
    pub const RESET_FLAG: &str = "\x1b[1;31m";
    /// Analysis warnings and problems.
    pub const WARNING: &str = "\x1b[33m";
    /// Headings.
    pub const HEADING: &str = "\x1b[1m";
    /// The note column.
    pub const NOTE: &str = "\x1b[2m";
}

/// The time column for one frame.
pub fn push_time(
    out: &mut String,
    format: TimeFormat,
    ts: Timestamp,
    first: Timestamp,
    previous: Option<Timestamp>,
) {
    match time_column(format, ts, first, previous) {
        TimeColumn::Empty => {}
        TimeColumn::Seconds(s) => out.push_ascii(s.as_bytes()),
        TimeColumn::DateTime => push_date_time(out, ts),
    }
}

/// What the time column of a frame shows.
pub enum TimeColumn {
    /// No timestamp (pcapng Simple Packet Block): an empty column.
    Empty,
    /// Seconds (relative, delta or epoch), 6 decimals.
    Seconds(Seconds),
    /// The date and time: [`push_date_time`] of the frame's timestamp.
    DateTime,
}

/// The time column of a frame with timestamp `ts`, without writing it anywhere.
pub fn time_column(
    format: TimeFormat,
    ts: Timestamp,
    first: Timestamp,
    previous: Option<Timestamp>,
) -> TimeColumn {
    if ts.is_absent() {
        return TimeColumn::Empty;
    }
    let previous = previous.filter(|p| !p.is_absent());
    let nanos = match format {
        TimeFormat::R => ts.nanos_since(first),
        TimeFormat::D => previous.map_or(0, |p| ts.nanos_since(p)),
        TimeFormat::E => ts.nanos_since(Timestamp::default()),
        TimeFormat::Ad => return TimeColumn::DateTime,
    };
    TimeColumn::Seconds(Seconds::new(nanos, 6))
}
