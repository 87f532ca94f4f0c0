//! The lab's one transformation: uppercase a message as Python's `str.upper()` does.

/// Uppercases `bytes`: valid UTF-8 with full Unicode case mapping ("straße" → "STRASSE"),
/// anything else with ASCII letters uppercased and every other byte unchanged.
///
/// ```
/// use wirelab::lab::upper::uppercase;
/// assert_eq!(uppercase("hej æøå".as_bytes()), "HEJ ÆØÅ".as_bytes());
/// assert_eq!(uppercase("straße".as_bytes()), b"STRASSE");
/// assert_eq!(uppercase(b"ab\xff"), b"AB\xff"); // not UTF-8: only ASCII letters change
/// ```
pub fn uppercase(bytes: &[u8]) -> Vec<u8> {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_uppercase().into_bytes(),
        Err(_) => bytes.to_ascii_uppercase(),
    }
}

/// True when `reply` is what the server should send back for `request`.
pub fn is_uppercase_of(request: &[u8], reply: &[u8]) -> bool {
    uppercase(request) == reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_ascii_sentence() {
        assert_eq!(uppercase(b"hello world"), b"HELLO WORLD");
    }

    #[test]
    fn test_unicode_as_python() {
        assert_eq!(uppercase("straße".as_bytes()), "STRASSE".as_bytes());
        assert_eq!(uppercase("hej æøå".as_bytes()), "HEJ ÆØÅ".as_bytes());
    }

    #[test]
    fn test_invalid_utf8_keeps_other_bytes() {
        assert_eq!(uppercase(b"ab\xffc\x00"), b"AB\xffC\x00");
        assert_eq!(uppercase(b""), b"");
    }
}
