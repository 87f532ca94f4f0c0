//! Small helpers shared by the flow, conversations, follow, detail and report views:
//! safe text from payload bytes, truncation, stream names, the hex + ASCII dump.
//! Formats only; never decodes headers.

use std::fmt::Write as _;

use crate::track::Proto;

/// Payload bytes as one safe line of text: valid UTF-8 kept (or, with `ascii_only`, every
/// non-ASCII character escaped as `\u{..}`), newline, carriage return and tab as `\n`,
/// `\r`, `\t`, other control characters as `\u{..}`, invalid UTF-8 bytes as `\xNN`.
/// Nothing in the result can move a terminal's cursor or change its colours.
pub fn escape_text(bytes: &[u8], ascii_only: bool) -> String {
    let mut s = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut s, c, ascii_only);
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}

fn push_char(s: &mut String, c: char, ascii_only: bool) {
    match c {
        '\n' => s.push_str("\\n"),
        '\r' => s.push_str("\\r"),
        '\t' => s.push_str("\\t"),
        '\\' => s.push_str("\\\\"),
        c if c.is_control() || is_invisible(c) || (ascii_only && !c.is_ascii()) => {
            let _ = write!(s, "\\u{{{:x}}}", u32::from(c));
        }
        c => s.push(c),
    }
}

/// Characters that print nothing or reorder text (bidi controls, zero-width, BOM, noncharacters).
fn is_invisible(c: char) -> bool {
    matches!(u32::from(c), 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0xfeff | 0xfffe | 0xffff)
}

/// `s` cut to at most `max` characters, ending in `…` (or `...` with `ascii`) when cut.
pub fn truncate(s: &str, max: usize, ascii: bool) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let ell = if ascii { "..." } else { "…" };
    let keep = max.saturating_sub(ell.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(ell);
    out
}

/// "TCP" or "UDP".
pub fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    }
}

/// "tcp:0", as `--stream` takes it.
pub fn stream_spec(p: Proto, stream: u64) -> String {
    match p {
        Proto::Tcp => format!("tcp:{stream}"),
        Proto::Udp => format!("udp:{stream}"),
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
            out.push(if (0x20..0x7f).contains(&b) {
                char::from(b)
            } else {
                '.'
            });
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_escape_text_controls_and_invalid() {
        assert_eq!(escape_text(b"hi\x1b[31m\n", false), "hi\\u{1b}[31m\\n");
        assert_eq!(escape_text(b"a\xffb", false), "a\\xffb");
        assert_eq!(escape_text("æ\u{202e}".as_bytes(), false), "æ\\u{202e}");
        assert_eq!(escape_text("æ".as_bytes(), true), "\\u{e6}");
    }

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
