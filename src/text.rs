//! Text from bytes nobody vouches for (packet payloads, file names), made safe to show, and
//! the lab's one transformation (uppercase as Python's `str.upper()`). Every place that
//! shows such text goes through [`escape_into`] (or its wrappers [`escape`],
//! [`write_quoted`], [`show_path`]), so what a terminal, a log or a report receives never
//! holds a control character, an invisible or bidi character, or an invalid UTF-8 sequence
//! raw; [`markdown`] then makes escaped text inert in Markdown and HTML alike.
//!
//! A shared helper below every stage, as `error` is: used by `lab`, `explain`, `present`
//! and `app` alike, it imports none of them.

use std::fmt::Write as _;
use std::path::Path;

/// Most characters of payload shown in a note before the ellipsis.
pub const MAX_SHOWN_CHARS: usize = 40;

/// How [`escape_into`] writes what it escapes. Every style escapes the same characters
/// (newline, carriage return, tab, backslash, every control, every [`is_invisible`]
/// character, every invalid UTF-8 byte); they differ only in spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// For text inside `"…"` (the notes): `"` as `\"`, C0 controls and DEL as `\xNN`, other
    /// controls and invisible characters as `\u{..}`.
    Quoted,
    /// For a line of text (views, logs, messages): C0 controls too as `\u{..}`.
    Plain,
    /// As [`Style::Plain`], and every non-ASCII character as `\u{..}` (`--ascii`).
    Ascii,
}

/// True for a character that prints nothing, or reorders or hides the text around it:
/// bidi embeddings, overrides, isolates and marks, zero-width characters and joiners,
/// invisible operators, the soft hyphen, Hangul fillers, line and paragraph separators,
/// interlinear annotation marks, tag characters, the byte order mark and noncharacters.
/// (Controls, `char::is_control`, are escaped besides these.)
///
/// ```
/// use wirelab::text::is_invisible;
/// assert!(is_invisible('\u{202e}') && is_invisible('\u{e0041}') && is_invisible('\u{ad}'));
/// assert!(!is_invisible('é') && !is_invisible(' '));
/// ```
pub fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0xad                       // soft hyphen
        | 0x34f                    // combining grapheme joiner
        | 0x61c                    // Arabic letter mark
        | 0x115f..=0x1160          // Hangul choseong and jungseong fillers
        | 0x17b4..=0x17b5          // Khmer inherent vowels
        | 0x180b..=0x180f          // Mongolian variation selectors, vowel separator
        | 0x200b..=0x200f          // zero width space, non-joiner, joiner; LRM, RLM
        | 0x2028..=0x2029          // line and paragraph separators
        | 0x202a..=0x202e          // bidi embeddings and overrides
        | 0x2060..=0x206f          // word joiner, invisible operators, isolates, deprecated
        | 0x3164                   // Hangul filler
        | 0xfdd0..=0xfdef          // noncharacters
        | 0xfeff                   // zero width no-break space (byte order mark)
        | 0xffa0                   // halfwidth Hangul filler
        | 0xfff9..=0xfffb          // interlinear annotation
        | 0xfffe..=0xffff          // noncharacters
        | 0x1bca0..=0x1bca3        // shorthand format controls
        | 0x1d173..=0x1d17a        // musical symbol format controls
        | 0xe0000..=0xe007f // tag characters
    )
}

/// Appends `bytes` escaped in `style`, showing at most `max_chars` characters (an invalid
/// byte counts as one); returns true when it stopped before the end. The one escaping
/// function: every other in this module is built on it.
///
/// ```
/// use wirelab::text::{Style, escape_into};
/// let mut s = String::new();
/// // "a", U+202E (right-to-left override), newline, ESC, an invalid byte
/// assert!(!escape_into(&mut s, b"a\xe2\x80\xae\n\x1b\xff", Style::Plain, usize::MAX));
/// assert_eq!(s, "a\\u{202e}\\n\\u{1b}\\xff");
/// ```
pub fn escape_into(out: &mut String, bytes: &[u8], style: Style, max_chars: usize) -> bool {
    let mut shown = 0usize;
    let mut rest = bytes;
    loop {
        // A run of printable ASCII that needs no escape goes in one piece: a payload is
        // mostly such runs.
        let room = max_chars - shown;
        let head = rest.get(..room).unwrap_or(rest);
        let run = plain_run(head);
        let (piece, tail) = rest.split_at(run);
        // Only printable ASCII was taken: always valid UTF-8.
        out.push_str(std::str::from_utf8(piece).unwrap_or(""));
        shown += run;
        rest = tail;
        if rest.is_empty() {
            return false;
        }
        if shown >= max_chars {
            return true;
        }
        // Then one character: an ASCII byte (a line break, a control) as it is, without
        // the UTF-8 check below (the common case: text payloads)...
        if let Some(&b) = rest.first()
            && b.is_ascii()
        {
            push_char(out, char::from(b), style);
            shown += 1;
            rest = rest.get(1..).unwrap_or(&[]);
            continue;
        }
        // ... else one of up to 4 bytes, or the bytes of an invalid sequence, one by one.
        let chunk = rest.get(..4).unwrap_or(rest);
        let (valid, invalid_len) = match std::str::from_utf8(chunk) {
            Ok(s) => (s, 0),
            Err(e) => (
                std::str::from_utf8(chunk.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or(""),
                e.error_len().unwrap_or(chunk.len() - e.valid_up_to()),
            ),
        };
        if let Some(c) = valid.chars().next() {
            push_char(out, c, style);
            shown += 1;
            rest = rest.get(c.len_utf8()..).unwrap_or(&[]);
            continue;
        }
        for &b in chunk.get(..invalid_len.max(1)).unwrap_or(&[]) {
            if shown >= max_chars {
                return true;
            }
            push_hex_byte(out, b);
            shown += 1;
            rest = rest.get(1..).unwrap_or(&[]);
        }
    }
}

/// `bytes` escaped in `style`, whole.
pub fn escape(bytes: &[u8], style: Style) -> String {
    let mut s = String::with_capacity(bytes.len());
    escape_into(&mut s, bytes, style, usize::MAX);
    s
}

/// At most `max_chars` characters of `bytes` escaped in `style`, then `…` when cut: the
/// bounded excerpt that logs show of a message of any length.
pub fn excerpt(bytes: &[u8], style: Style, max_chars: usize) -> String {
    let mut s = String::new();
    if escape_into(&mut s, bytes, style, max_chars) {
        s.push('…');
    }
    s
}

/// Writes `"…"` around `bytes` escaped in [`Style::Quoted`]; stops after `max_chars`
/// characters and appends `…`.
pub fn write_quoted(out: &mut String, bytes: &[u8], max_chars: usize) {
    out.push('"');
    let cut = escape_into(out, bytes, Style::Quoted, max_chars);
    out.push('"');
    if cut {
        out.push('…');
    }
}

/// A path for a message: its bytes escaped as payload text is ([`Style::Plain`]), so that a
/// file name cannot move the cursor, set the clipboard (OSC 52) or reorder the line.
///
/// ```
/// use std::path::Path;
/// use wirelab::text::show_path;
/// assert_eq!(show_path(Path::new("a\x1b]52;c;eA==\x07.pcap")), "a\\u{1b}]52;c;eA==\\u{7}.pcap");
/// ```
pub fn show_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    escape(path.as_os_str().as_bytes(), Style::Plain)
}

/// A message for the terminal, already worded (its paths shown with [`show_path`]): as it is
/// when it holds no control or invisible character, else escaped whole ([`Style::Plain`]), so
/// that no text that reached a message some other way (a libpcap reason quoting a file
/// name, an interface name) can act on the terminal.
pub fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    if message.chars().any(|c| c.is_control() || is_invisible(c)) {
        std::borrow::Cow::Owned(escape(message.as_bytes(), Style::Plain))
    } else {
        std::borrow::Cow::Borrowed(message)
    }
}

/// Escaped text (from [`escape`]) made inert for Markdown and HTML alike, for a table cell,
/// a list item or a sentence of the report: `<`, `>` and `&` as entities (no tag, comment or
/// autolink can start); `\`, `` ` ``, `*`, `|` and `~` behind a backslash (no code span,
/// emphasis or cell border); `[` after `!` and `]` before `(` too (no image, no inline link:
/// a reference link needs a definition, which must begin a line, and quoted text never
/// does; so `[SYN]` stays as it is); `_` too unless it stands between two letters or digits
/// (where it cannot emphasize, as in `SACK_PERM`); line breaks as spaces.
///
/// ```
/// use wirelab::text::markdown;
/// assert_eq!(markdown("![x](http://e/) <img onerror=a>"), "!\\[x\\](http://e/) &lt;img onerror=a&gt;");
/// assert_eq!(markdown("[SYN] SACK_PERM _em_"), "[SYN] SACK_PERM \\_em\\_");
/// ```
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut before: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '[' if before == Some('!') => out.push_str("\\["),
            ']' if chars.peek() == Some(&'(') => {
                out.push('\\');
                out.push(c);
            }
            '_' => {
                let inside = before.is_some_and(char::is_alphanumeric)
                    && chars.peek().is_some_and(|n| n.is_alphanumeric());
                if !inside {
                    out.push('\\');
                }
                out.push('_');
            }
            c => out.push(c),
        }
        before = Some(c);
    }
    out
}

/// A byte as the ASCII column of a hex dump shows it: printable ASCII as itself, anything
/// else as `.` (as Wireshark's and `xxd`'s dumps do). The dump's other column shows every
/// byte in hex, so nothing is hidden and nothing raw reaches the terminal.
///
/// ```
/// assert_eq!(wirelab::text::dump_char(b'a'), 'a');
/// assert_eq!(wirelab::text::dump_char(0x1b), '.');
/// ```
pub fn dump_char(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        char::from(b)
    } else {
        '.'
    }
}

/// Bytes as Python 3 prints a `bytes` object (`b'hello'`, with `\x..` escapes, so nothing
/// outside printable ASCII is raw), at most `max_bytes` of them, then `…` when cut: the
/// UDP server's log line, as `UDPServer.py` prints it.
///
/// ```
/// use wirelab::text::python_bytes_repr;
/// assert_eq!(python_bytes_repr(b"it's \xc3\xa6", 100), "b\"it's \\xc3\\xa6\"");
/// assert_eq!(python_bytes_repr(b"abcdef", 3), "b'abc'…");
/// ```
pub fn python_bytes_repr(bytes: &[u8], max_bytes: usize) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let shown = bytes.get(..max_bytes).unwrap_or(bytes);
    let mut s = String::with_capacity(shown.len() + 4);
    s.push('b');
    s.push(char::from(quote));
    for &b in shown {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b if b == quote => {
                s.push('\\');
                s.push(char::from(quote));
            }
            0x20..=0x7e => s.push(char::from(b)),
            _ => push_hex_byte(&mut s, b),
        }
    }
    s.push(char::from(quote));
    if shown.len() < bytes.len() {
        s.push('…');
    }
    s
}

/// Appends one character escaped in `style`.
fn push_char(out: &mut String, c: char, style: Style) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\\' => out.push_str("\\\\"),
        '"' if style == Style::Quoted => out.push_str("\\\""),
        // C0 controls and DEL: one byte each.
        c if style == Style::Quoted && (u32::from(c) < 0x20 || c == '\x7f') => {
            push_hex_byte(out, u8::try_from(u32::from(c)).unwrap_or(0));
        }
        c if c.is_control() || is_invisible(c) || (style == Style::Ascii && !c.is_ascii()) => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// True for a byte shown as itself in every style: printable ASCII but `"` and `\\`.
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

/// The uppercase of `bytes` as Python's `str.upper()` makes it, for valid UTF-8 (Rust's
/// full Unicode case mapping agrees: "ß" → "SS"); anything else with ASCII letters
/// uppercased and every other byte unchanged.
///
/// ```
/// use wirelab::text::uppercase;
/// assert_eq!(uppercase("hej æøå".as_bytes()), "HEJ ÆØÅ".as_bytes());
/// assert_eq!(uppercase("straße".as_bytes()), b"STRASSE");
/// assert_eq!(uppercase(b"ab\xff"), b"AB\xff"); // not UTF-8: only ASCII letters change
/// ```
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

/// The uppercase of a request of which only the first `bytes.len()` bytes were kept
/// (`complete` false): a cut UTF-8 sequence at the end is left out, so the result is a
/// prefix of the uppercase of the whole request.
pub fn uppercase_prefix(bytes: &[u8], complete: bool) -> Vec<u8> {
    if complete || bytes.is_ascii() {
        return uppercase(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_uppercase().into_bytes(),
        Err(e) if e.error_len().is_none() => {
            // Only the tail was cut mid-character: uppercase the valid part.
            uppercase(bytes.get(..e.valid_up_to()).unwrap_or(&[]))
        }
        Err(_) => bytes.to_ascii_uppercase(),
    }
}

/// True when `reply` is what the server should send back for `request`.
pub fn is_uppercase_of(request: &[u8], reply: &[u8]) -> bool {
    uppercase(request) == reply
}

/// How many bytes the uppercase of `bytes` takes, without building it.
pub fn uppercase_len(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        return bytes.len();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s
            .chars()
            .map(|c| c.to_uppercase().map(char::len_utf8).sum::<usize>())
            .sum(),
        Err(_) => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The notes' escaping before it moved here, kept as the reference: the notes must
    /// stay byte for byte what they were (for the characters both treat alike).
    fn reference_quoted(out: &mut String, bytes: &[u8], max_chars: usize) {
        out.push('"');
        let mut shown = 0usize;
        let mut cut = false;
        'outer: for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if shown >= max_chars {
                    cut = true;
                    break 'outer;
                }
                match c {
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                        let _ = write!(out, "\\x{:02x}", c as u32);
                    }
                    c if c.is_control() || is_invisible(c) => {
                        let _ = write!(out, "\\u{{{:x}}}", c as u32);
                    }
                    c => out.push(c),
                }
                shown += 1;
            }
            for b in chunk.invalid() {
                if shown >= max_chars {
                    cut = true;
                    break 'outer;
                }
                let _ = write!(out, "\\x{b:02x}");
                shown += 1;
            }
        }
        out.push('"');
        if cut {
            out.push('…');
        }
    }

    /// The views' escaping before it moved here (`present::common::escape_text`).
    fn reference_plain(bytes: &[u8], ascii_only: bool) -> String {
        let mut s = String::new();
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
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
            for b in chunk.invalid() {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
        s
    }

    /// Seeded random byte strings made of pieces that exercise every branch.
    fn mixed_inputs(count: usize) -> Vec<Vec<u8>> {
        let pieces: [&[u8]; 14] = [
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
            b"\x1b[31m",
            "\u{202e}\u{e0041}\u{ad}".as_bytes(),
        ];
        let mut x: u64 = 7;
        (0..count)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let n = (x >> 59) as usize;
                let mut bytes = Vec::new();
                for i in 0..n {
                    let pick = ((x >> (i % 50)) as usize + i * 7) % pieces.len();
                    bytes.extend_from_slice(pieces[pick]);
                }
                bytes
            })
            .collect()
    }

    #[test]
    fn test_quoted_matches_reference_on_mixed_bytes() {
        for bytes in mixed_inputs(20_000) {
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
    fn test_plain_and_ascii_match_reference_on_mixed_bytes() {
        for bytes in mixed_inputs(20_000) {
            assert_eq!(escape(&bytes, Style::Plain), reference_plain(&bytes, false));
            assert_eq!(escape(&bytes, Style::Ascii), reference_plain(&bytes, true));
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

    fn quoted(b: &[u8], max: usize) -> String {
        let mut s = String::new();
        write_quoted(&mut s, b, max);
        s
    }

    #[test]
    fn test_quoted_controls_and_invalid() {
        assert_eq!(quoted(b"hello", 40), "\"hello\"");
        assert_eq!(
            quoted(b"a\nb\r\t\0\x1b\"\\", 40),
            "\"a\\nb\\r\\t\\x00\\x1b\\\"\\\\\""
        );
        assert_eq!(quoted(b"ab\xffc\xe2\x82", 40), "\"ab\\xffc\\xe2\\x82\"");
        assert_eq!(quoted("hej æøå".as_bytes(), 40), "\"hej æøå\"");
        assert_eq!(quoted(&[b'x'; 100], 10), "\"xxxxxxxxxx\"…");
    }

    /// Issue 13, item 17: every invisible and bidi character the probe found raw is escaped,
    /// in every style.
    #[test]
    fn r17_invisible_and_bidi_characters_are_escaped_everywhere() {
        let hostile = [
            '\u{202e}',
            '\u{61c}',
            '\u{2060}',
            '\u{2061}',
            '\u{2062}',
            '\u{2063}',
            '\u{2064}',
            '\u{2028}',
            '\u{2029}',
            '\u{ad}',
            '\u{3164}',
            '\u{e0000}',
            '\u{e0041}',
            '\u{e007f}',
            '\u{200b}',
            '\u{feff}',
            '\u{2066}',
            '\u{85}',
        ];
        for c in hostile {
            let bytes = format!("a{c}b").into_bytes();
            let want = format!("a\\u{{{:x}}}b", u32::from(c));
            for style in [Style::Plain, Style::Ascii, Style::Quoted] {
                let shown = escape(&bytes, style);
                assert_eq!(shown, want, "U+{:04X} in {style:?}", u32::from(c));
            }
            assert!(!show_path(Path::new(&format!("x{c}.pcap"))).contains(c));
            assert!(!excerpt(&bytes, Style::Plain, 10).contains(c));
        }
        // Visible text stays as it is.
        assert_eq!(escape("hej æøå €".as_bytes(), Style::Plain), "hej æøå €");
    }

    /// Issue 13, item 16: a file name carrying OSC 52 or CSI sequences is shown escaped.
    #[test]
    fn r16_terminal_escapes_in_paths_are_escaped() {
        let p = Path::new("/tmp/\x1b]52;c;aGk=\x07x\x1b[2J\u{202e}.pcap");
        let shown = show_path(p);
        assert!(
            !shown.chars().any(|c| c.is_control() || is_invisible(c)),
            "{shown}"
        );
        assert_eq!(
            shown,
            "/tmp/\\u{1b}]52;c;aGk=\\u{7}x\\u{1b}[2J\\u{202e}.pcap"
        );
        assert_eq!(
            show_path(Path::new("/tmp/plain file.pcap")),
            "/tmp/plain file.pcap"
        );
    }

    /// Issue 13, item 15: nothing quoted from a payload can become HTML or Markdown markup.
    #[test]
    fn r15_markdown_is_inert() {
        let payload = b"<script>alert(1)</script> <img src=x onerror=alert(1)> ![](http://e.invalid/x.png) [l](javascript:x) `c` *e* a|b &lt;";
        let md = markdown(&escape(payload, Style::Plain));
        assert!(!md.contains('<'), "{md}");
        assert!(!md.contains("!["), "{md}");
        let unescaped = |s: &str, pat: &str| {
            s.match_indices(pat)
                .any(|(i, _)| !s.get(..i).unwrap_or("").ends_with('\\'))
        };
        assert!(!unescaped(&md, "]("), "{md}");
        assert!(!md.contains(" `"), "{md}");
        assert!(!md.contains(" *e"), "{md}");
        assert!(!md.contains("a|b"), "{md}");
        assert!(md.contains("&amp;lt;"), "{md}");
    }

    #[test]
    fn test_excerpt_is_bounded() {
        let big = vec![b'a'; 65_507];
        assert_eq!(excerpt(&big, Style::Plain, 5), "aaaaa…");
        assert_eq!(excerpt(b"abc", Style::Plain, 5), "abc");
        assert_eq!(python_bytes_repr(&big, 4), "b'aaaa'…");
    }

    #[test]
    fn test_python_repr_matches_python() {
        assert_eq!(python_bytes_repr(b"hello", usize::MAX), "b'hello'");
        assert_eq!(python_bytes_repr("æ".as_bytes(), 99), "b'\\xc3\\xa6'");
        assert_eq!(python_bytes_repr(b"it's", 99), "b\"it's\"");
        assert_eq!(python_bytes_repr(b"a\nb\x00", 99), "b'a\\nb\\x00'");
    }

    #[test]
    fn test_uppercase_like_python() {
        assert_eq!(uppercase("straße".as_bytes()), "STRASSE".as_bytes());
        assert_eq!(uppercase("hej æøå".as_bytes()), "HEJ ÆØÅ".as_bytes());
        assert_eq!(uppercase(b"ab\xffc\x00"), b"AB\xffC\x00".to_vec());
        assert_eq!(uppercase(b""), b"");
        assert!(is_uppercase_of(b"hi", b"HI"));
    }

    #[test]
    fn test_uppercase_len_without_building() {
        for s in [&b"abc"[..], "ΐßæ".as_bytes(), b"\xff\xfeab", b""] {
            assert_eq!(uppercase_len(s), uppercase(s).len());
        }
    }

    #[test]
    fn test_uppercase_prefix_cut_mid_char() {
        // "æ" is c3 a6: cut after c3.
        assert_eq!(uppercase_prefix(b"ab\xc3", false), b"AB".to_vec());
        assert_eq!(uppercase_prefix(b"ab\xff", false), b"AB\xff".to_vec());
    }
}
