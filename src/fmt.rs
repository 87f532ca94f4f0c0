//! Number, address and time writers, into a `String` or a byte buffer: the one home of how
//! wirelab spells a count, an IP address, seconds or a date, used by explain and present alike.
//! Pure formatting: no I/O, no knowledge of packets or views.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::source::Timestamp;

/// Where the writers put their ASCII text: a `String` (the notes of explain) or the byte
/// buffer of a row (the views write rows as bytes: no UTF-8 checks on the hot path).
pub trait AsciiOut {
    /// Appends one ASCII byte.
    fn push_byte(&mut self, b: u8);
    /// Appends ASCII bytes.
    fn push_ascii(&mut self, s: &[u8]);
}

impl AsciiOut for String {
    fn push_byte(&mut self, b: u8) {
        self.push(char::from(b));
    }
    fn push_ascii(&mut self, s: &[u8]) {
        // A few ASCII bytes: validating them costs less than pushing them one char at a time.
        self.push_str(std::str::from_utf8(s).unwrap_or_default());
    }
}

impl AsciiOut for Vec<u8> {
    fn push_byte(&mut self, b: u8) {
        self.push(b);
    }
    fn push_ascii(&mut self, s: &[u8]) {
        self.extend_from_slice(s);
    }
}

/// `"00"` to `"99"`, two bytes each: decimals are written two digits at a time.
const DIGIT_PAIRS: [u8; 200] = digit_pairs();

const fn digit_pairs() -> [u8; 200] {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
}

/// Seconds with a fixed number of decimals, built right to left on the stack: a sign, at
/// most 30 whole digits (|i128| / 10^9 < 1.8 * 10^29), the point and at most 9 decimals.
pub struct Seconds {
    buf: [u8; 48],
    start: usize,
}

impl Seconds {
    /// A signed nanosecond count as seconds with `decimals` decimals (at most 9),
    /// rounding half away from zero.
    pub fn new(nanos: i128, decimals: u32) -> Self {
        let decimals = decimals.min(9);
        let abs = nanos.unsigned_abs();
        let (whole, frac) = match u64::try_from(abs) {
            // The common case, in 64-bit arithmetic (128-bit division is a library call),
            // by constant divisors, which compile to multiplications (a division by a
            // variable costs tens of cycles).
            Ok(abs) if abs < u64::MAX / 2 => {
                let (whole, frac) = match decimals {
                    0 => split::<0>(abs),
                    1 => split::<1>(abs),
                    2 => split::<2>(abs),
                    3 => split::<3>(abs),
                    4 => split::<4>(abs),
                    5 => split::<5>(abs),
                    6 => split::<6>(abs),
                    7 => split::<7>(abs),
                    8 => split::<8>(abs),
                    _ => split::<9>(abs),
                };
                (u128::from(whole), frac)
            }
            _ => {
                let scale = 10u128.pow(9 - decimals);
                let units = (abs + scale / 2) / scale;
                let per = 10u128.pow(decimals);
                // `units % per < 10^9` fits a u64.
                (units / per, u64::try_from(units % per).unwrap_or(0))
            }
        };
        let mut s = Seconds {
            buf: [0; 48],
            start: 48,
        };
        // The decimals two at a time, the last first (`frac < 10^decimals`).
        let mut frac = frac;
        let mut left = decimals;
        while left >= 2 {
            let pair = (frac % 100) as usize * 2;
            frac /= 100;
            s.start -= 2;
            if let (Some(slot), Some(digits)) = (
                s.buf.get_mut(s.start..s.start + 2),
                DIGIT_PAIRS.get(pair..pair + 2),
            ) {
                slot.copy_from_slice(digits);
            }
            left -= 2;
        }
        if left == 1 {
            s.prepend(b'0' + (frac % 10) as u8);
        }
        s.prepend(b'.');
        match u64::try_from(whole) {
            Ok(mut whole) => loop {
                s.prepend(b'0' + (whole % 10) as u8);
                whole /= 10;
                if whole == 0 {
                    break;
                }
            },
            Err(_) => {
                let mut whole = whole;
                while whole > 0 {
                    s.prepend(b'0' + (whole % 10) as u8);
                    whole /= 10;
                }
            }
        }
        if nanos < 0 {
            s.prepend(b'-');
        }
        s
    }

    /// The text (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    fn prepend(&mut self, b: u8) {
        self.start = self.start.saturating_sub(1);
        if let Some(slot) = self.buf.get_mut(self.start) {
            *slot = b;
        }
    }
}

/// Nanoseconds (below `u64::MAX / 2`) as whole seconds and `D` decimals, rounded half up.
fn split<const D: u32>(nanos: u64) -> (u64, u64) {
    let scale = const { 10u64.pow(9 - D) };
    let per = const { 10u64.pow(D) };
    let units = (nanos + scale / 2) / scale;
    (units / per, units % per)
}

/// Writes a signed nanosecond count as seconds with `decimals` decimals (6 or 9), rounding half away from zero.
pub fn push_seconds(out: &mut String, nanos: i128, decimals: u32) {
    out.push_ascii(Seconds::new(nanos, decimals).as_bytes());
}

/// [`push_seconds`] into a byte buffer.
pub fn push_seconds_bytes(out: &mut Vec<u8>, nanos: i128, decimals: u32) {
    out.extend_from_slice(Seconds::new(nanos, decimals).as_bytes());
}

/// Appends `n` in decimal (what `n.to_string()` gives, without the formatting machinery:
/// this runs a dozen times per frame).
pub fn push_u64(out: &mut String, n: u64) {
    if n < 10 {
        out.push(char::from(b'0' + n as u8));
        return;
    }
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends `n` in decimal (formatting a `u32` takes fewer steps than a `u64`).
pub fn push_u32(out: &mut String, n: u32) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Appends `n` in decimal.
pub fn push_u128(out: &mut String, n: u128) {
    match u64::try_from(n) {
        Ok(small) => push_u64(out, small),
        Err(_) => {
            let _ = write!(out, "{n}");
        }
    }
}

/// Appends `n` in decimal to a byte buffer.
pub fn push_u64_bytes(out: &mut Vec<u8>, n: u64) {
    if n < 10 {
        out.push(b'0' + n as u8);
        return;
    }
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `"0."` to `"255."`: each octet's digits then a dot, left-aligned in four bytes, so that a
/// dotted quad is four fixed-size copies.
const OCTETS: [[u8; 4]; 256] = octets();

const fn octets() -> [[u8; 4]; 256] {
    let mut t = [[0u8; 4]; 256];
    let mut i = 0;
    while i < 256 {
        let (h, d, u) = (
            b'0' + (i / 100) as u8,
            b'0' + (i / 10 % 10) as u8,
            b'0' + (i % 10) as u8,
        );
        t[i] = if i >= 100 {
            [h, d, u, b'.']
        } else if i >= 10 {
            [d, u, b'.', 0]
        } else {
            [u, b'.', 0, 0]
        };
        i += 1;
    }
    t
}

/// The dotted quad of `a` in a stack buffer, and its length.
fn ipv4_text(a: Ipv4Addr) -> ([u8; 16], usize) {
    let mut buf = [0u8; 16];
    let mut n = 0;
    for o in a.octets() {
        if let (Some(slot), Some(text)) = (buf.get_mut(n..n + 4), OCTETS.get(usize::from(o))) {
            slot.copy_from_slice(text);
        }
        n += 2 + usize::from(o >= 10) + usize::from(o >= 100);
    }
    (buf, n - 1) // without the last dot
}

/// Appends an IP address as its `Display` does (dotted quad; RFC 5952 text for IPv6).
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            // Digit by digit into the `String` (cheaper than validating a byte buffer).
            out.reserve(15);
            for (i, octet) in a.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                if octet >= 100 {
                    out.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    out.push(char::from(b'0' + octet / 10 % 10));
                }
                out.push(char::from(b'0' + octet % 10));
            }
        }
        IpAddr::V6(a) => ipv6_into(out, a),
    }
}

/// [`push_ip`] into a byte buffer.
pub fn push_ip_bytes(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => ipv4_into(out, a),
        IpAddr::V6(a) => ipv6_into(out, a),
    }
}

fn ipv4_into<O: AsciiOut>(out: &mut O, a: Ipv4Addr) {
    let (buf, len) = ipv4_text(a);
    out.push_ascii(buf.get(..len).unwrap_or(&[]));
}

/// Appends an IPv6 address exactly as its `Display` does (without width or precision):
/// `::ffff:a.b.c.d` for IPv4-mapped addresses, otherwise lowercase hex groups with the
/// first longest run of two or more zero groups written `::`.
pub fn push_ipv6(out: &mut String, a: Ipv6Addr) {
    ipv6_into(out, a);
}

fn ipv6_into<O: AsciiOut>(out: &mut O, a: Ipv6Addr) {
    if let Some(v4) = a.to_ipv4_mapped() {
        out.push_ascii(b"::ffff:");
        ipv4_into(out, v4);
        return;
    }
    let segments = a.segments();
    // The first longest run of zero groups.
    let (mut best_start, mut best_len, mut cur_start, mut cur_len) =
        (0usize, 0usize, 0usize, 0usize);
    for (i, &g) in segments.iter().enumerate() {
        if g == 0 {
            if cur_len == 0 {
                cur_start = i;
            }
            cur_len += 1;
            if cur_len > best_len {
                best_start = cur_start;
                best_len = cur_len;
            }
        } else {
            cur_len = 0;
        }
    }
    let groups = |out: &mut O, part: &[u16]| {
        for (i, &g) in part.iter().enumerate() {
            if i > 0 {
                out.push_byte(b':');
            }
            push_hex_u16(out, g);
        }
    };
    if best_len > 1 {
        groups(out, segments.get(..best_start).unwrap_or(&[]));
        out.push_ascii(b"::");
        groups(out, segments.get(best_start + best_len..).unwrap_or(&[]));
    } else {
        groups(out, &segments);
    }
}

/// Appends `n` in lowercase hex without leading zeros (`{:x}`).
fn push_hex_u16<O: AsciiOut>(out: &mut O, n: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut started = false;
    for shift in [12u16, 8, 4, 0] {
        let d = (n >> shift) & 0xf;
        if d != 0 || started || shift == 0 {
            started = true;
            out.push_byte(HEX.get(usize::from(d)).copied().unwrap_or(b'0'));
        }
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

    /// The fast writers give exactly what the formatting machinery gave before.
    #[test]
    fn test_seconds_matches_format() {
        let old = |nanos: i128, decimals: u32| {
            let scale: i128 = 10i128.pow(9 - decimals.min(9));
            let neg = nanos < 0;
            let abs = nanos.unsigned_abs();
            let units = (abs + (scale as u128) / 2) / scale as u128;
            let per = 10u128.pow(decimals.min(9));
            format!(
                "{}{}.{:0width$}",
                if neg { "-" } else { "" },
                units / per,
                units % per,
                width = decimals as usize
            )
        };
        let samples: [i128; 16] = [
            0,
            1,
            499,
            500,
            999_999_499,
            999_999_500,
            i128::from(u64::MAX / 2) - 1,
            i128::from(u64::MAX / 2),
            -499,
            -500,
            999_999_999,
            1_000_000_000,
            123_456_789_012_345,
            -987_654_321_987,
            i128::from(i64::MAX) * 1_000_000_000,
            i128::MIN / 2,
        ];
        for n in samples {
            for d in [1, 2, 3, 5, 6, 7, 9] {
                let mut s = String::new();
                push_seconds(&mut s, n, d);
                assert_eq!(s, old(n, d), "{n} with {d} decimals");
                let mut b = Vec::new();
                push_seconds_bytes(&mut b, n, d);
                assert_eq!(b, old(n, d).into_bytes(), "{n} with {d} decimals");
            }
        }
    }

    #[test]
    fn test_numbers_and_addresses_match_display() {
        for n in [0u64, 7, 10, 99, 100, 65_535, 4_294_967_295, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
            let mut b = Vec::new();
            push_u64_bytes(&mut b, n);
            assert_eq!(b, n.to_string().into_bytes());
        }
        for ip in [
            "0.0.0.0",
            "10.1.2.3",
            "1.20.100.9",
            "100.10.1.0",
            "9.99.199.249",
            "255.255.255.255",
            "::1",
            "fd00::1:2",
            "2001:db8::ff00:42:8329",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let mut s = String::new();
            push_ip(&mut s, ip);
            assert_eq!(s, ip.to_string());
            let mut b = Vec::new();
            push_ip_bytes(&mut b, ip);
            assert_eq!(b, ip.to_string().into_bytes());
        }
    }

    #[test]
    fn test_ipv6_matches_display() {
        // Every pattern of zero and non-zero groups, with a few group values, plus mapped forms.
        let values = [0x1u16, 0xab, 0xfff, 0xffff];
        for mask in 0u32..256 {
            for (k, v) in values.iter().enumerate() {
                let mut g = [0u16; 8];
                for (i, slot) in g.iter_mut().enumerate() {
                    if mask & (1 << i) != 0 {
                        *slot = v.wrapping_add(i as u16 * 0x111).wrapping_add(k as u16);
                    }
                }
                let a = std::net::Ipv6Addr::from(g);
                let mut s = String::new();
                push_ipv6(&mut s, a);
                assert_eq!(s, a.to_string());
            }
        }
        for ip in [
            "::ffff:10.1.2.3",
            "::10.1.2.3",
            "::",
            "64:ff9b::192.0.2.33",
            "fe80::1:0:0:1",
        ] {
            let a: std::net::Ipv6Addr = ip.parse().unwrap();
            let mut s = String::new();
            push_ipv6(&mut s, a);
            assert_eq!(s, a.to_string());
        }
    }

    #[test]
    fn test_date_epoch_and_leap_day() {
        let mut s = String::new();
        push_date_time(&mut s, Timestamp { secs: 0, nanos: 0 });
        assert_eq!(s, "1970-01-01 00:00:00.000000");
        s.clear();
        // 2024-02-29 12:34:56.5 UTC
        push_date_time(
            &mut s,
            Timestamp {
                secs: 1_709_210_096,
                nanos: 500_000_000,
            },
        );
        assert_eq!(s, "2024-02-29 12:34:56.500000");
    }
}
