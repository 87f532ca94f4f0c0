//! Small helpers shared by the flow, conversations, follow, detail and report views:
//! truncation, stream names, the hex + ASCII dump.
//! Formats only; never decodes headers.

use std::fmt::Write as _;

use crate::track::Proto;

/// `s` cut to at most `max` columns, ending in `…` (or `...` with `ascii`) when cut
/// (see [`crate::width::shorten`]).
pub fn truncate(s: &str, max: usize, ascii: bool) -> String {
    crate::width::shorten(s, max, ascii).into_owned()
}

/// "TCP", "UDP", "ICMP", or the name of another IP protocol.
pub fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Other(n) => super::jsonl::ip_protocol_name(n),
        p => p.upper(),
    }
}

/// "tcp:0", as `--stream` takes it.
pub fn stream_spec(p: Proto, stream: u64) -> String {
    match p {
        Proto::Tcp => format!("tcp:{stream}"),
        Proto::Udp => format!("udp:{stream}"),
        Proto::Icmp => format!("icmp:{stream}"),
        Proto::Other(p) => format!("ip{p}:{stream}"),
    }
}

/// Seconds with 6 decimals from a nanosecond count.
pub fn seconds(nanos: i128) -> String {
    let mut s = String::new();
    crate::fmt::push_seconds(&mut s, nanos, 6);
    s
}

/// A duration in milliseconds with 3 decimals ("0.019 ms").
pub fn millis(nanos: i128) -> String {
    let micros = (nanos + if nanos < 0 { -500 } else { 500 }) / 1000;
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    format!("{sign}{}.{:03} ms", m / 1000, m % 1000)
}

/// Appends `width - len(s)` spaces after `s` (widths in characters).
pub fn pad_right(out: &mut String, s: &str, width: usize) {
    out.push_str(s);
    for _ in s.chars().count()..width {
        out.push(' ');
    }
}

/// Appends spaces then `s`, right-aligned in `width` characters.
pub fn pad_left(out: &mut String, s: &str, width: usize) {
    for _ in s.chars().count()..width {
        out.push(' ');
    }
    out.push_str(s);
}

/// Wireshark's bottom pane: 16 bytes a line, offset in hex, two groups of 8 hex bytes,
/// then the printable ASCII (`.` for the rest). `indent` is put before each line.
pub fn hexdump(out: &mut String, bytes: &[u8], indent: &str) {
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{indent}{:04x}  ", i * 16);
        for j in 0..16 {
            match chunk.get(j) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if j == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        for &b in chunk {
            out.push(crate::text::dump_char(b));
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_truncate_long_and_short() {
        assert_eq!(truncate("hello", 5, false), "hello");
        assert_eq!(truncate("hello world", 6, false), "hello…");
        assert_eq!(truncate("hello world", 6, true), "hel...");
    }

    #[test]
    fn test_hexdump_partial_line() {
        let mut s = String::new();
        hexdump(&mut s, b"0123456789abcdefHI", "");
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "0000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  0123456789abcdef"
        );
        assert_eq!(
            lines[1],
            "0010  48 49                                             HI"
        );
    }

    #[test]
    fn test_millis_rounding() {
        assert_eq!(millis(19_400), "0.019 ms");
        assert_eq!(millis(1_234_567), "1.235 ms");
    }
}
