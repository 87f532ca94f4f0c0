//! Small text helpers shared by the views: time columns, durations, colours.

use std::fmt::Write as _;

use super::TimeFormat;
use crate::source::Timestamp;

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

/// Writes a signed nanosecond count as seconds with `decimals` decimals (6 or 9), rounding half away from zero.
pub fn push_seconds(out: &mut String, nanos: i128, decimals: u32) {
    let scale: i128 = 10i128.pow(9 - decimals.min(9));
    let neg = nanos < 0;
    let abs = nanos.unsigned_abs();
    let units = (abs + (scale as u128) / 2) / scale as u128;
    let per = 10u128.pow(decimals.min(9));
    let _ = write!(out, "{}{}.{:0width$}", if neg { "-" } else { "" }, units / per, units % per, width = decimals as usize);
}

/// The time column for one frame.
pub fn push_time(out: &mut String, format: TimeFormat, ts: Timestamp, first: Timestamp, previous: Option<Timestamp>) {
    match format {
        TimeFormat::R => push_seconds(out, ts.nanos_since(first), 6),
        TimeFormat::D => push_seconds(out, previous.map_or(0, |p| ts.nanos_since(p)), 6),
        TimeFormat::E => push_seconds(out, ts.nanos_since(Timestamp::default()), 6),
        TimeFormat::Ad => push_date_time(out, ts),
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` in UTC.
pub fn push_date_time(out: &mut String, ts: Timestamp) {
    let days = ts.secs.div_euclid(86_400);
    let secs_of_day = ts.secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
        ts.nanos / 1000
    );
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_seconds_rounding() {
        let mut s = String::new();
        push_seconds(&mut s, 1_234_567_890, 6);
        assert_eq!(s, "1.234568");
        s.clear();
        push_seconds(&mut s, 900_000, 6);
        assert_eq!(s, "0.000900");
        s.clear();
        push_seconds(&mut s, -1_500, 6);
        assert_eq!(s, "-0.000002");
    }

    #[test]
    fn test_date_epoch_and_leap_day() {
        let mut s = String::new();
        push_date_time(&mut s, Timestamp { secs: 0, nanos: 0 });
        assert_eq!(s, "1970-01-01 00:00:00.000000");
        s.clear();
        // 2024-02-29 12:34:56.5 UTC
        push_date_time(&mut s, Timestamp { secs: 1_709_210_096, nanos: 500_000_000 });
        assert_eq!(s, "2024-02-29 12:34:56.500000");
    }
}
