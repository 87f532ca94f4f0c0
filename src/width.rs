//! Display widths and fitting text into them: the width of a string in terminal columns
//! (`unicode-width`, as comfy-table counts), shortening with `…`, quoting a long message by
//! its start and length, and packing words and pieces into lines of a given width.
//! Text only: no I/O, no terminal queries (the app finds the width and passes it down).

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The longest quote of a message in a client-run or check line, in columns: a longer
/// message is quoted by its start and its length (`"abc…" (8000 characters)`).
pub const QUOTE_MAX: usize = 48;

/// The narrowest layout: a terminal narrower than this gets the layout of this many columns.
pub const MIN_COLUMNS: usize = 60;
/// The widest layout `--width` accepts.
pub const MAX_COLUMNS: usize = 1000;

/// Columns `s` takes on a terminal (wide characters count two, combining marks none).
///
/// ```
/// assert_eq!(wirelab::width::display_width("a→b"), 3);
/// assert_eq!(wirelab::width::display_width("日本"), 4);
/// ```
pub fn display_width(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        UnicodeWidthStr::width(s)
    }
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// The longest start of `s` that takes at most `max` columns.
fn head(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += char_width(c);
        if used > max {
            return s.get(..i).unwrap_or_default();
        }
    }
    s
}

/// The longest end of `s` that takes at most `max` columns.
fn tail(s: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices().rev() {
        used += char_width(c);
        if used > max {
            return s.get(i + c.len_utf8()..).unwrap_or_default();
        }
    }
    s
}

/// `s` cut to at most `max` columns, ending in `…` (or `...` with `ascii`) when cut.
///
/// ```
/// use wirelab::width::shorten;
/// assert_eq!(shorten("hello world", 6, false), "hello…");
/// assert_eq!(shorten("hello", 5, false), "hello");
/// ```
pub fn shorten(s: &str, max: usize, ascii: bool) -> Cow<'_, str> {
    if display_width(s) <= max {
        return Cow::Borrowed(s);
    }
    let ell = if ascii { "..." } else { "…" };
    let keep = max.saturating_sub(display_width(ell));
    let mut out = String::with_capacity(keep + 3);
    out.push_str(head(s, keep));
    out.push_str(ell);
    Cow::Owned(out)
}

/// `s` cut to at most `max` columns by dropping its middle (`fe80::1…bc:def0`): for
/// addresses, whose start and end both matter.
///
/// ```
/// use wirelab::width::{display_width, shorten_middle};
/// let s = shorten_middle("fe80::1234:5678:9abc:def0", 15);
/// assert_eq!((s.as_ref(), display_width(&s)), ("fe80::1…bc:def0", 15));
/// ```
pub fn shorten_middle(s: &str, max: usize) -> Cow<'_, str> {
    if display_width(s) <= max {
        return Cow::Borrowed(s);
    }
    let room = max.saturating_sub(1);
    let front = room.div_ceil(2);
    let mut out = String::with_capacity(max + 3);
    out.push_str(head(s, front));
    out.push('…');
    out.push_str(tail(s, room - front));
    Cow::Owned(out)
}

/// A message quoted within `max_width` columns: `"text"` when it fits, else its start and
/// its length, `"HELLO FROM TH…" (8000 characters)`. For the lab's check lines, where a
/// long message would make a line of thousands of columns.
///
/// ```
/// use wirelab::width::{display_width, quote_excerpt};
/// assert_eq!(quote_excerpt("hello", 40), "\"hello\"");
/// let long = "x".repeat(8000);
/// let q = quote_excerpt(&long, 40);
/// assert_eq!(q, format!("\"{}…\" (8000 characters)", "x".repeat(19)));
/// assert!(display_width(&q) <= 40);
/// ```
pub fn quote_excerpt(text: &str, max_width: usize) -> String {
    if display_width(text) + 2 <= max_width {
        return format!("\"{text}\"");
    }
    let suffix = format!(" ({} characters)", text.chars().count());
    // Two quotes and the ellipsis; at least a few characters of the start.
    let room = max_width.saturating_sub(display_width(&suffix) + 3).max(8);
    format!("\"{}…\"{suffix}", head(text, room))
}

/// Appends `n` spaces.
pub fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Packs text into lines of at most `width` columns: pieces stay whole when they fit on a
/// line (else they start the next line), and a piece longer than a line is wrapped at its
/// spaces (a word longer than a line is cut, never lost). Every line after the first is
/// indented by `indent` columns. Lines end in `\n`.
///
/// ```
/// use wirelab::width::Packer;
/// let mut s = String::new();
/// let mut p = Packer::new(&mut s, 20, 2);
/// p.piece("TCP 0", "");
/// p.piece("client 10.0.0.1:5", "  ");
/// p.piece("complete, closed by the client", "  ");
/// p.end();
/// assert_eq!(s, "TCP 0\n  client 10.0.0.1:5\n  complete, closed\n  by the client\n");
/// ```
#[derive(Debug)]
pub struct Packer<'o> {
    out: &'o mut String,
    width: usize,
    indent: usize,
    /// Columns used on the current line.
    col: usize,
    /// Nothing on the current line yet but its indent (or the start of the output).
    fresh: bool,
}

impl<'o> Packer<'o> {
    /// A packer appending to `out`, which is at the start of a line.
    pub fn new(out: &'o mut String, width: usize, indent: usize) -> Self {
        Packer {
            out,
            width: width.max(indent + 8),
            indent,
            col: 0,
            fresh: true,
        }
    }

    /// A packer whose first line already holds `used` columns of text (a prefix the caller
    /// wrote into `out`).
    pub fn continuing(out: &'o mut String, width: usize, indent: usize, used: usize) -> Self {
        let mut p = Packer::new(out, width, indent);
        p.col = used;
        p
    }

    fn newline(&mut self) {
        self.out.push('\n');
        push_spaces(self.out, self.indent);
        self.col = self.indent;
        self.fresh = true;
    }

    /// Places `piece` after `sep` on this line, or at the start of the next one.
    pub fn piece(&mut self, piece: &str, sep: &str) {
        let w = display_width(piece);
        if w == 0 {
            return;
        }
        let sep_w = if self.fresh { 0 } else { display_width(sep) };
        if self.col + sep_w + w <= self.width {
            if !self.fresh {
                self.out.push_str(sep);
            }
            self.out.push_str(piece);
            self.col += sep_w + w;
            self.fresh = false;
        } else if self.indent + w <= self.width && !self.fresh {
            self.newline();
            self.out.push_str(piece);
            self.col += w;
            self.fresh = false;
        } else {
            self.words(piece, sep);
        }
    }

    /// Places the words of `text` one by one (after `sep` on this line if the first fits).
    pub fn words(&mut self, text: &str, sep: &str) {
        let mut first = true;
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let s = if first { sep } else { " " };
            first = false;
            let w = display_width(word);
            let sep_w = if self.fresh { 0 } else { display_width(s) };
            if self.col + sep_w + w <= self.width {
                if !self.fresh {
                    self.out.push_str(s);
                }
                self.out.push_str(word);
                self.col += sep_w + w;
                self.fresh = false;
                continue;
            }
            if !self.fresh {
                self.newline();
            }
            // A word longer than a whole line: cut it across lines.
            let mut rest = word;
            while !rest.is_empty() {
                let room = self.width.saturating_sub(self.col).max(1);
                let mut part = head(rest, room);
                if part.is_empty() {
                    // One character wider than the room left (a wide character).
                    part = rest
                        .char_indices()
                        .nth(1)
                        .and_then(|(i, _)| rest.get(..i))
                        .unwrap_or(rest);
                }
                self.out.push_str(part);
                self.col += display_width(part);
                self.fresh = false;
                rest = rest.get(part.len()..).unwrap_or_default();
                if !rest.is_empty() {
                    self.newline();
                }
            }
        }
    }

    /// Ends the last line.
    pub fn end(self) {
        self.out.push('\n');
    }
}

/// `text` wrapped to `width` columns, every line after the first indented by `indent`
/// columns; the first line starts `used` columns in (after a prefix already written).
pub fn wrap_into(out: &mut String, text: &str, width: usize, indent: usize, used: usize) {
    let mut p = Packer::continuing(out, width, indent, used);
    p.words(text, "");
    p.end();
}

/// Every line of `text` (which ends in a newline, or not) that is wider than `width`,
/// wrapped at its spaces with a hanging indent of its own leading spaces plus two.
pub fn wrap_lines(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        if display_width(body) <= width {
            out.push_str(line);
            continue;
        }
        let lead = body.len() - body.trim_start_matches(' ').len();
        out.push_str(body.get(..lead).unwrap_or_default());
        wrap_into(
            &mut out,
            body.get(lead..).unwrap_or_default(),
            width,
            lead + 2,
            lead,
        );
        if !line.ends_with('\n') {
            out.pop();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(s: &str) -> usize {
        s.lines().map(display_width).max().unwrap_or(0)
    }

    #[test]
    fn test_shorten_counts_columns_not_chars() {
        assert_eq!(shorten("日本語のテキスト", 7, false), "日本語…");
        assert_eq!(display_width(&shorten("日本語のテキスト", 7, false)), 7);
        assert_eq!(shorten("hello world", 6, true), "hel...");
    }

    #[test]
    fn test_quote_excerpt_long_message_fits() {
        for max in [20, 40, 60, 80] {
            let q = quote_excerpt(&"é".repeat(8000), max);
            assert!(display_width(&q) <= max.max(30), "{max}: {q}");
            assert!(q.ends_with("(8000 characters)"), "{q}");
        }
        assert_eq!(quote_excerpt("", 10), "\"\"");
    }

    #[test]
    fn test_packer_keeps_every_word_within_width() {
        let text = "a verdict of many words, with a verylongwordthatcannotfitononelineatallreally and more";
        for width in 10..40 {
            let mut s = String::new();
            let mut p = Packer::new(&mut s, width, 2);
            p.piece("TCP 12", "");
            p.piece("client [fe80::1234:5678:9abc:def0]:40000", "  ");
            p.piece(text, "  ");
            p.end();
            assert!(widest(&s) <= width.max(10), "{width}:\n{s}");
            let joined: String = s.split_whitespace().collect();
            let want: String = format!("TCP 12client [fe80::1234:5678:9abc:def0]:40000{text}")
                .split_whitespace()
                .collect();
            assert_eq!(joined, want, "nothing lost at {width}");
        }
    }

    #[test]
    fn test_wrap_lines_hanging_indent() {
        let s = wrap_lines("short\n    one two three four five six\n", 16);
        assert_eq!(s, "short\n    one two\n      three four\n      five six\n");
        assert_eq!(wrap_lines("no newline", 80), "no newline");
    }
}
