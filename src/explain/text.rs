//! Payload bytes → safe, short, quoted text for a note, and the lab's uppercase
//! check (Python's `str.upper()` for UTF-8, ASCII-only otherwise). Never prints
//! a raw control byte or an invalid UTF-8 sequence.

use std::fmt::Write as _;

/// Most characters of payload shown in a note before the ellipsis.
pub const MAX_SHOWN_CHARS: usize = 40;

/// Writes `"…"` around `bytes`, escaped: `\n`, `\r`, `\t`, `\\`, `\"`, other
/// control characters as `\xNN` (or `\u{..}` above 0x7f) and each invalid UTF-8
/// byte as `\xNN`. Stops after `max_chars` characters and appends `…`.
pub fn write_quoted(out: &mut String, bytes: &[u8], max_chars: usize) {
    out.push('"');
    // Fast path: the first `max_chars` bytes are ASCII (the lab's payloads), one character
    // each: one UTF-8 check for all of them, then the runs needing no escape copied whole.
    let head = bytes.get(..max_chars).unwrap_or(bytes);
    if head.is_ascii()
        && let Ok(mut rest) = std::str::from_utf8(head)
    {
        while let Some((run, tail)) = rest.split_at_checked(plain_run(rest.as_bytes())) {
            out.push_str(run);
            let mut chars = tail.chars();
            let Some(c) = chars.next() else {
                break;
            };
            push_escaped(out, c);
            rest = chars.as_str();
        }
        out.push('"');
        if head.len() < bytes.len() {
            out.push('…');
        }
        return;
    }
    // Byte by byte, with runs of printable ASCII in one piece.
    let mut shown = 0usize;
    let mut cut = false;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        if shown >= max_chars {
            cut = true;
            break;
        }
        if b < 0x80 {
            // A run of ASCII needing no escape goes in one piece.
            let room = bytes.get(i..).unwrap_or(&[]);
            let room = room.get(..max_chars - shown).unwrap_or(room);
            let run = room
                .iter()
                .position(|&b| !is_plain(b))
                .unwrap_or(room.len());
            if run > 0 {
                let piece = room.get(..run).unwrap_or(&[]);
                // Only printable ASCII was taken: always valid UTF-8.
                out.push_str(std::str::from_utf8(piece).unwrap_or(""));
                i += run;
                shown += run;
            } else {
                push_escaped(out, char::from(b));
                i += 1;
                shown += 1;
            }
            continue;
        }
        // A character of up to 4 bytes, or the bytes of an invalid sequence, one by one.
        let chunk = bytes.get(i..bytes.len().min(i + 4)).unwrap_or(&[]);
        let valid = match std::str::from_utf8(chunk) {
            Ok(s) => s,
            Err(e) => {
                std::str::from_utf8(chunk.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or("")
            }
        };
        if let Some(c) = valid.chars().next() {
            push_escaped(out, c);
            i += c.len_utf8();
            shown += 1;
            continue;
        }
        let invalid_len = match std::str::from_utf8(chunk) {
            Err(e) => e.error_len().unwrap_or(chunk.len()),
            Ok(_) => 1,
        };
        for &b in chunk.get(..invalid_len.max(1)).unwrap_or(&[]) {
            if shown >= max_chars {
                cut = true;
                break;
            }
            push_hex_byte(out, b);
            shown += 1;
        }
        if cut {
            break;
        }
        i += invalid_len.max(1);
    }
    out.push('"');
    if cut {
        out.push('…');
    }
}

/// True for a byte shown as itself: printable ASCII but `"` and `\\`.
fn is_plain(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\'
}

/// How many leading bytes are shown as themselves ([`is_plain`]), eight bytes at a
/// time: a payload is mostly such runs.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let mut done = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(eight);
        // The high bit of each byte that is below 0x20, 0x7f or above, `"` or `\\`
        // (the classic "has less / has zero byte" tests). A borrow or carry only
        // reaches the bytes after a flagged one: the lowest flag is exact.
        let below = x.wrapping_sub(ONES * 0x20) & !x;
        let above = x.wrapping_add(ONES) | x;
        let quote = x ^ (ONES * u64::from(b'"'));
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let flags = (below | above | quote | backslash) & HIGH;
        if flags != 0 {
            return done + (flags.trailing_zeros() / 8) as usize;
        }
        done += 8;
    }
    let rest = bytes.get(done..).unwrap_or(&[]);
    done + rest
        .iter()
        .position(|&b| !is_plain(b))
        .unwrap_or(rest.len())
}

/// Appends `\xNN` (two lowercase hex digits).
fn push_hex_byte(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\x");
    for nibble in [b >> 4, b & 0xf] {
        out.push(char::from(
            HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
        ));
    }
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        '"' => out.push_str("\\\""),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => push_hex_byte(out, c as u8),
        // C1 controls, bidi overrides, zero-width and other invisible format characters.
        c if c.is_control() || is_invisible(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c as u32, 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xfeff)
}

/// The uppercase of `bytes` as the lab server makes it: Python's `str.upper()`
/// for valid UTF-8 (Rust's full Unicode case mapping agrees: "ß" → "SS"),
/// otherwise ASCII letters uppercased and every other byte unchanged.
pub fn uppercase(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8 whose full case mapping is the ASCII one.
        return bytes.to_ascii_uppercase();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_uppercase().into_bytes(),
        Err(_) => bytes.to_ascii_uppercase(),
    }
}

/// The uppercase of a request of which only the first `bytes.len()` bytes were
/// kept (`complete` false): a cut UTF-8 sequence at the end is left out, so the
/// result is a prefix of the uppercase of the whole request.
pub fn uppercase_prefix(bytes: &[u8], complete: bool) -> Vec<u8> {
    if complete || bytes.is_ascii() {
        return uppercase(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_uppercase().into_bytes(),
        Err(e) if e.error_len().is_none() => {
            // Only the tail was cut mid-character: uppercase the valid part.
            let good = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            uppercase(good)
        }
        Err(_) => bytes.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::push_u32;

    /// The previous implementation, kept as the reference for the byte-level one.
    fn reference_quoted(out: &mut String, bytes: &[u8], max_chars: usize) {
        // Fast path: printable ASCII that needs no escape, the common lab payload.
        let plain = bytes
            .iter()
            .take(max_chars)
            .take_while(|&&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
            .count();
        if plain == bytes.len() || plain == max_chars {
            let shown = bytes.get(..plain).unwrap_or(&[]);
            out.push('"');
            // Only ASCII bytes were taken: always valid UTF-8.
            out.push_str(std::str::from_utf8(shown).unwrap_or(""));
            out.push('"');
            if plain < bytes.len() {
                out.push('…');
            }
            return;
        }
        out.push('"');
        let mut shown = 0usize;
        let mut rest = bytes;
        let mut cut = false;
        'outer: while !rest.is_empty() {
            // Only the characters that can still be shown need checking: at most 4 bytes each.
            let window = rest
                .get(..(max_chars.saturating_sub(shown) + 1).saturating_mul(4))
                .unwrap_or(rest);
            let (valid, invalid_len) = match std::str::from_utf8(window) {
                Ok(s) => (s, 0),
                Err(e) => {
                    let (good, _) = rest.split_at(e.valid_up_to());
                    // from_utf8 said these bytes are valid: the fallback is unreachable.
                    let s = std::str::from_utf8(good).unwrap_or("");
                    (s, e.error_len().unwrap_or(window.len() - e.valid_up_to()))
                }
            };
            for c in valid.chars() {
                if shown >= max_chars {
                    cut = true;
                    break 'outer;
                }
                reference_escaped(out, c);
                shown += 1;
            }
            let after_valid = rest.get(valid.len()..).unwrap_or(&[]);
            let (bad, tail) = after_valid.split_at(invalid_len.min(after_valid.len()));
            for b in bad {
                if shown >= max_chars {
                    cut = true;
                    break 'outer;
                }
                let _ = write!(out, "\\x{b:02x}");
                shown += 1;
            }
            rest = tail;
        }
        out.push('"');
        if cut {
            out.push('…');
        }
    }
    fn reference_escaped(out: &mut String, c: char) {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            // C1 controls, bidi overrides, zero-width and other invisible format characters.
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }

    #[test]
    fn test_quoted_matches_reference_on_mixed_bytes() {
        let pieces: [&[u8]; 12] = [
            b"abc",
            b"\n",
            b"\"",
            b"\\",
            b"\x7f",
            "é".as_bytes(),
            "ß€".as_bytes(),
            b"\xe2\x82",
            b"\xff",
            b"\xf0\x9f\x98\x80",
            "\u{200b}\u{85}".as_bytes(),
            b"\xc3",
        ];
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            let mut bytes = Vec::new();
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (x >> 59) as usize;
            for i in 0..n {
                let pick = ((x >> (i % 50)) as usize + i * 7) % pieces.len();
                bytes.extend_from_slice(pieces[pick]);
            }
            for max in [0usize, 1, 3, 40] {
                let mut a = String::new();
                let mut b = String::new();
                write_quoted(&mut a, &bytes, max);
                reference_quoted(&mut b, &bytes, max);
                assert_eq!(a, b, "{bytes:?} max {max}");
            }
        }
    }

    #[test]
    fn test_plain_run_matches_bytewise() {
        let mut x: u64 = 99;
        for _ in 0..50_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (x >> 58) as usize;
            let mut bytes: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            // One or two odd bytes anywhere, of every value.
            for k in 0..((x >> 20) % 3) {
                if n > 0 {
                    let at = ((x >> (8 * k + 3)) as usize) % n;
                    bytes[at] = (x >> (16 + 8 * k)) as u8;
                }
            }
            let slow = bytes
                .iter()
                .position(|&b| !is_plain(b))
                .unwrap_or(bytes.len());
            assert_eq!(plain_run(&bytes), slow, "{bytes:?}");
        }
    }

    #[test]
    fn test_push_u32_as_display() {
        let mut x: u32 = 1;
        let mut cases = vec![0, 9, 10, 99, 100, 999, 1000, u32::MAX];
        for _ in 0..10_000 {
            x = x.wrapping_mul(1664525).wrapping_add(1013904223);
            cases.push(x >> (x % 32));
        }
        for n in cases {
            let mut s = String::from("x");
            push_u32(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    fn quoted(b: &[u8], max: usize) -> String {
        let mut s = String::new();
        write_quoted(&mut s, b, max);
        s
    }

    #[test]
    fn test_ascii_quoted() {
        assert_eq!(quoted(b"hello", 40), "\"hello\"");
    }

    #[test]
    fn test_controls_escaped() {
        assert_eq!(
            quoted(b"a\nb\r\t\0\x1b\"\\", 40),
            "\"a\\nb\\r\\t\\x00\\x1b\\\"\\\\\""
        );
    }

    #[test]
    fn test_invalid_utf8_escaped() {
        assert_eq!(quoted(b"ab\xffc\xe2\x82", 40), "\"ab\\xffc\\xe2\\x82\"");
        assert_eq!(quoted("hej æøå".as_bytes(), 40), "\"hej æøå\"");
    }

    #[test]
    fn test_long_payload_shortened() {
        let s = quoted(&[b'x'; 100], 10);
        assert_eq!(s, "\"xxxxxxxxxx\"…");
    }

    #[test]
    fn test_bidi_override_escaped() {
        assert_eq!(quoted("a\u{202e}b".as_bytes(), 40), "\"a\\u{202e}b\"");
    }

    #[test]
    fn test_uppercase_like_python() {
        assert_eq!(uppercase("straße".as_bytes()), "STRASSE".as_bytes());
        assert_eq!(uppercase("hej æøå".as_bytes()), "HEJ ÆØÅ".as_bytes());
        assert_eq!(uppercase(b"ab\xffc"), b"AB\xffC".to_vec());
    }

    #[test]
    fn test_uppercase_prefix_cut_mid_char() {
        // "æ" is c3 a6: cut after c3.
        assert_eq!(uppercase_prefix(b"ab\xc3", false), b"AB".to_vec());
        assert_eq!(uppercase_prefix(b"ab\xff", false), b"AB\xff".to_vec());
    }
}
