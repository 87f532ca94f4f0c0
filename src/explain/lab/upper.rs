//! The lab's uppercase comparison done as the bytes stream by: the request is
//! uppercased character by character (Python's `str.upper()`, "ß" → "SS" even when
//! its two bytes fall in two segments) into a running hash, never kept whole; the
//! reply is hashed the same way; checkpoints at power-of-two request lengths tell a
//! reply that is the uppercase of the first `recv(N)` bytes. Memory is bounded:
//! a few words, at most [`MAX_CHECKPOINTS`] checkpoints and [`PREFIX`] bytes of text
//! per side for quoting.

/// Bytes of each message kept for quoting it ("the reply "HELLO…" (3000 bytes)").
pub const PREFIX: usize = 64;
/// Checkpoints kept (request lengths 256, 512, …, 2^(7+N)).
pub const MAX_CHECKPOINTS: usize = 24;

/// A 64-bit FNV-1a hash, fed byte by byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Fnv {
        let mut h = Fnv::default();
        h.add(bytes);
        h
    }

    /// Adds bytes.
    pub fn add(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The state of the request's uppercase after `input` request bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Request bytes read.
    pub input: u64,
    /// Bytes of the uppercase written for them (a cut character not yet).
    pub output: u64,
    /// Hash of those uppercase bytes.
    pub hash: Fnv,
}

/// One message (a request or a reply) seen as a stream: length, hash, the first bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    /// Bytes so far.
    pub len: u64,
    /// Hash of the bytes as they are.
    pub hash: Fnv,
    /// The first [`PREFIX`] bytes.
    pub prefix: Vec<u8>,
}

impl Stream {
    /// Adds the next bytes of the message.
    pub fn add(&mut self, bytes: &[u8]) {
        self.len = self.len.saturating_add(bytes.len() as u64);
        self.hash.add(bytes);
        let room = PREFIX.saturating_sub(self.prefix.len());
        self.prefix
            .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
    }
}

/// A request, with its uppercase computed as it streams.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The request as sent.
    pub raw: Stream,
    /// Uppercase bytes written so far (Unicode mapping while the request is valid UTF-8).
    upper_len: u64,
    upper: Fnv,
    /// The ASCII-only uppercase (the whole request, when it is not UTF-8).
    ascii: Fnv,
    /// Bytes of a UTF-8 character cut by the end of what arrived so far.
    carry: [u8; 4],
    carry_len: u8,
    /// Not valid UTF-8 (Python's `decode()` would raise: the seed server would stop).
    pub invalid_utf8: bool,
    /// Unicode uppercase checkpoints at 256, 512, 1024, … request bytes.
    checkpoints: Vec<Checkpoint>,
}

/// How a reply compares with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The whole request in uppercase.
    Uppercase,
    /// The request exactly as sent, not uppercased.
    Unchanged,
    /// The uppercase of the first `of` request bytes only (the server read once).
    Partial { of: u64 },
    /// Shorter than the uppercase so far, and more may come.
    Pending,
    /// Something else.
    Different,
}

impl Request {
    /// Adds the next request bytes (in stream order).
    pub fn add(&mut self, bytes: &[u8]) {
        let before = self.raw.len;
        self.raw.add(bytes);
        let mut upper_ascii = [0u8; 256];
        for chunk in bytes.chunks(upper_ascii.len()) {
            let out = upper_ascii.get_mut(..chunk.len()).unwrap_or_default();
            out.copy_from_slice(chunk);
            out.make_ascii_uppercase();
            self.ascii.add(out);
        }
        if self.invalid_utf8 {
            return;
        }
        // Checkpoints fall at powers of two from 256: feed up to each one, then record it.
        let mut rest = bytes;
        let mut at = before;
        while !rest.is_empty() {
            let next_mark = next_power(at);
            let take = usize::try_from(next_mark.saturating_sub(at))
                .unwrap_or(usize::MAX)
                .min(rest.len());
            let (now, later) = rest.split_at(take);
            self.feed_unicode(now);
            at = at.saturating_add(take as u64);
            rest = later;
            if at == next_mark && self.checkpoints.len() < MAX_CHECKPOINTS && !self.invalid_utf8 {
                self.checkpoints.push(Checkpoint {
                    input: at,
                    output: self.upper_len,
                    hash: self.upper,
                });
            }
        }
    }

    fn feed_unicode(&mut self, mut bytes: &[u8]) {
        // Complete a character cut at the end of the previous piece.
        while self.carry_len > 0 {
            let Some((&b, tail)) = bytes.split_first() else {
                return;
            };
            bytes = tail;
            let n = usize::from(self.carry_len);
            if let Some(slot) = self.carry.get_mut(n) {
                *slot = b;
            }
            self.carry_len += 1;
            let have = self.carry.get(..n + 1).unwrap_or_default();
            match std::str::from_utf8(have) {
                Ok(s) => {
                    let s = s.to_string();
                    self.carry_len = 0;
                    self.push_upper(&s);
                }
                Err(e) if e.error_len().is_none() && n + 1 < 4 => {}
                Err(_) => {
                    self.invalid_utf8 = true;
                    return;
                }
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(s) => self.push_upper(s),
            Err(e) => {
                let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
                if let Ok(s) = std::str::from_utf8(good) {
                    self.push_upper(s);
                }
                if e.error_len().is_some() {
                    self.invalid_utf8 = true;
                    return;
                }
                let tail = bytes.get(e.valid_up_to()..).unwrap_or_default();
                let n = tail.len().min(3);
                if let (Some(dst), Some(src)) = (self.carry.get_mut(..n), tail.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.carry_len = u8::try_from(n).unwrap_or(0);
            }
        }
    }

    fn push_upper(&mut self, s: &str) {
        if s.is_ascii() {
            let mut buf = [0u8; 256];
            for chunk in s.as_bytes().chunks(buf.len()) {
                let out = buf.get_mut(..chunk.len()).unwrap_or_default();
                out.copy_from_slice(chunk);
                out.make_ascii_uppercase();
                self.upper.add(out);
            }
            self.upper_len = self.upper_len.saturating_add(s.len() as u64);
            return;
        }
        let mut enc = [0u8; 4];
        for c in s.chars() {
            for u in c.to_uppercase() {
                let e = u.encode_utf8(&mut enc);
                self.upper.add(e.as_bytes());
                self.upper_len = self.upper_len.saturating_add(e.len() as u64);
            }
        }
    }

    /// True when what arrived is valid UTF-8 so far (no cut character pending).
    fn whole_characters(&self) -> bool {
        !self.invalid_utf8 && self.carry_len == 0
    }

    /// Length of the uppercase the server should send back.
    pub fn expected_len(&self) -> u64 {
        if self.whole_characters() {
            self.upper_len
        } else {
            self.raw.len
        }
    }

    fn expected_hash(&self) -> Fnv {
        if self.whole_characters() {
            self.upper
        } else {
            self.ascii
        }
    }

    /// Compares a reply with this request. `ended`: no more reply bytes will come.
    pub fn compare(&self, reply: &Stream, ended: bool) -> Comparison {
        let want = self.expected_len();
        if reply.len == want && reply.hash == self.expected_hash() {
            return Comparison::Uppercase;
        }
        if reply.len == self.raw.len && reply.hash == self.raw.hash && self.raw.len > 0 {
            return Comparison::Unchanged;
        }
        if reply.len < want {
            if !ended {
                return Comparison::Pending;
            }
            if let Some(c) = self
                .checkpoints
                .iter()
                .find(|c| c.output == reply.len && c.hash == reply.hash)
            {
                return Comparison::Partial { of: c.input };
            }
        }
        Comparison::Different
    }
}

/// The first power of two from 256 above `n`.
fn next_power(n: u64) -> u64 {
    let floor = 256u64;
    if n < floor {
        return floor;
    }
    n.checked_add(1)
        .and_then(u64::checked_next_power_of_two)
        .unwrap_or(u64::MAX)
}

/// True when `bytes` look like text a student typed: UTF-8 (a character cut at the end
/// is allowed), no control character but tab, CR and LF. The empty message is text.
pub fn looks_like_text(bytes: &[u8]) -> bool {
    let valid = match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or("")
        }
        Err(_) => return false,
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(b: &[u8]) -> Stream {
        let mut s = Stream::default();
        s.add(b);
        s
    }

    fn request_in_pieces(b: &[u8], piece: usize) -> Request {
        let mut r = Request::default();
        for c in b.chunks(piece.max(1)) {
            r.add(c);
        }
        r
    }

    #[test]
    fn test_ascii_uppercase_matches() {
        let r = request_in_pieces(b"hello", 2);
        assert_eq!(r.compare(&stream(b"HELLO"), true), Comparison::Uppercase);
        assert_eq!(r.compare(&stream(b"hello"), true), Comparison::Unchanged);
        assert_eq!(r.compare(&stream(b"HELLX"), true), Comparison::Different);
        assert_eq!(r.compare(&stream(b"HEL"), false), Comparison::Pending);
    }

    #[test]
    fn test_sharp_s_split_across_every_boundary() {
        let text = "straße ß æøå ﬁ".repeat(50);
        let want = text.to_uppercase();
        for piece in 1..9 {
            let r = request_in_pieces(text.as_bytes(), piece);
            let mut reply = Stream::default();
            for c in want.as_bytes().chunks(piece + 3) {
                reply.add(c);
            }
            assert_eq!(
                r.compare(&reply, true),
                Comparison::Uppercase,
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn test_partial_reply_of_first_1024() {
        let msg = "abc".repeat(1000); // 3000 bytes
        let r = request_in_pieces(msg.as_bytes(), 1448);
        let first = msg.get(..1024).unwrap_or_default().to_uppercase();
        assert_eq!(
            r.compare(&stream(first.as_bytes()), true),
            Comparison::Partial { of: 1024 }
        );
        // While more may come, a prefix is only pending.
        assert_eq!(
            r.compare(&stream(first.as_bytes()), false),
            Comparison::Pending
        );
    }

    #[test]
    fn test_invalid_utf8_compared_ascii_only() {
        let r = request_in_pieces(b"ab\xffc", 1);
        assert!(r.invalid_utf8);
        assert_eq!(r.compare(&stream(b"AB\xffC"), true), Comparison::Uppercase);
    }

    #[test]
    fn test_empty_message_uppercase_is_empty() {
        let r = Request::default();
        assert_eq!(r.compare(&stream(b""), true), Comparison::Uppercase);
    }

    #[test]
    fn test_udp_max_datagram_bounded_memory() {
        let msg = vec![b'a'; 65_507];
        let r = request_in_pieces(&msg, 65_507);
        assert!(r.raw.prefix.len() <= PREFIX);
        assert!(r.checkpoints.len() <= MAX_CHECKPOINTS);
        assert_eq!(
            r.compare(&stream(&vec![b'A'; 65_507]), true),
            Comparison::Uppercase
        );
    }

    #[test]
    fn test_text_detection() {
        assert!(looks_like_text(b"hello\n"));
        assert!(looks_like_text("hej æ".as_bytes()));
        assert!(looks_like_text(b""));
        assert!(!looks_like_text(b"\x00\x01abc"));
        assert!(!looks_like_text(b"\xff\xfe"));
    }
}
