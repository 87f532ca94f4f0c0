//! The socket lab's programs only: the uppercase UDP and TCP server and client, and the
//! network namespaces of `--two-hosts`. Starting capture, server and client in the right
//! order is the lab runner's job (`app::lab`); judging what was captured is the lab
//! model's (`explain`).

pub mod checks;
pub mod client;
pub mod netns;
pub mod server;
pub mod upper;

/// Bytes as Python 3 prints a `bytes` object: `b'hello'`, with `\x..` escapes.
pub fn python_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut s = String::with_capacity(bytes.len() + 3);
    s.push('b');
    s.push(quote);
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b if char::from(b) == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push(quote);
    s
}

/// Text for a terminal: valid UTF-8 as is, with control characters escaped;
/// invalid UTF-8 bytes as `\xNN`.
pub fn show_text(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                '\t' => s.push_str("\\t"),
                c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_python_repr_matches_python() {
        assert_eq!(python_bytes_repr(b"hello"), "b'hello'");
        assert_eq!(python_bytes_repr("æ".as_bytes()), "b'\\xc3\\xa6'");
        assert_eq!(python_bytes_repr(b"it's"), "b\"it's\"");
        assert_eq!(python_bytes_repr(b"a\nb\x00"), "b'a\\nb\\x00'");
    }

    #[test]
    fn test_show_text_escapes_controls_and_invalid() {
        assert_eq!(show_text("hej æøå".as_bytes()), "hej æøå");
        assert_eq!(show_text(b"a\x00\xff\n"), "a\\u{0}\\xff\\n");
    }
}
