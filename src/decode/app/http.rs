//! HTTP/1.x message heads (request and status lines, headers) and the length of
//! their bodies, parsed with `httparse`. Bytes in, typed views out: no columns or
//! words here, and no state beyond one [`BodyState`] a caller keeps per direction.
//! Never panics: every length is checked, and what `httparse` rejects is "not HTTP".

/// TCP ports Wireshark 4.0 gives to HTTP (its `http.tcp.port` default range,
/// `80,3128,3132,5985,8080,8088,11371,1900,2869,2710`), plus 8000, which its
/// heuristic finds in practice (`python3 -m http.server`'s port).
pub const TCP_PORTS: [u16; 11] = [
    80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710, 8000,
];

/// Most header lines a head may have (more: not parsed, shown as TCP data).
pub const MAX_HEADERS: usize = 96;

/// Longest head (request or status line and headers) wirelab waits for across
/// segments: 64 KiB. A longer one is not reassembled (Wireshark has no limit).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Request methods Wireshark's `is_http_request_or_reply` accepts (RFC 9110, WebDAV,
/// SSDP and a few others), each followed by a space on the wire. Sorted, for a binary
/// search (a test checks it).
const METHODS: [&[u8]; 33] = [
    b"BASELINE-CONTROL",
    b"BIND",
    b"CHECKIN",
    b"CHECKOUT",
    b"CONNECT",
    b"COPY",
    b"DELETE",
    b"GET",
    b"HEAD",
    b"LABEL",
    b"LOCK",
    b"M-SEARCH",
    b"MERGE",
    b"MKACTIVITY",
    b"MKCOL",
    b"MKWORKSPACE",
    b"MOVE",
    b"NOTIFY",
    b"OPTIONS",
    b"PATCH",
    b"POST",
    b"PROPFIND",
    b"PROPPATCH",
    b"PUT",
    b"REPORT",
    b"SEARCH",
    b"SUBSCRIBE",
    b"TRACE",
    b"UNCHECKOUT",
    b"UNLOCK",
    b"UNSUBSCRIBE",
    b"UPDATE",
    b"VERSION-CONTROL",
];

/// Bytes of the longest of [`METHODS`].
const LONGEST_METHOD: usize = {
    let mut longest = 0;
    let mut i = 0;
    while i < METHODS.len() {
        if METHODS[i].len() > longest {
            longest = METHODS[i].len();
        }
        i += 1;
    }
    longest
};

/// True when `data` starts like an HTTP request line (`METHOD SP`) or status line
/// (`HTTP/1.`): the content check that decides whether a segment starts a message.
pub fn starts_message(data: &[u8]) -> bool {
    if data.starts_with(b"HTTP/1.") {
        return true;
    }
    // A method is letters and '-', followed by a space: the word before the first space
    // (looked for no further than the longest method) is one of them, or none is.
    if !data.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    let head = data.get(..=LONGEST_METHOD).unwrap_or(data);
    head.iter()
        .position(|&b| b == b' ')
        .and_then(|space| data.get(..space))
        .is_some_and(|word| METHODS.binary_search(&word).is_ok())
}

/// The first line of a message, without its line end (CR LF, or a bare LF).
pub fn first_line(data: &[u8]) -> &[u8] {
    let end = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let line = data.get(..end).unwrap_or(data);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Request or response, as its first line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine<'a> {
    /// `GET /index.html HTTP/1.1`.
    Request {
        /// The method (`GET`, `POST`, ...).
        method: &'a str,
        /// The request target as sent (`/index.html`, `http://host/x`, `*`).
        target: &'a str,
        /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
        minor: u8,
    },
    /// `HTTP/1.1 200 OK`.
    Response {
        /// Minor version.
        minor: u8,
        /// Status code.
        code: u16,
        /// Reason phrase (may be empty).
        reason: &'a str,
    },
}

/// One header line: its name and value bytes, and where it starts in the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Header name as sent.
    pub name: &'a str,
    /// Value bytes (not necessarily UTF-8).
    pub value: &'a [u8],
}

/// How the body after a head is delimited (RFC 9112 section 6.3), as Wireshark's
/// reassembly reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// A response with neither: the body runs until the server closes.
    UntilClose,
    /// No body (a request without either header, or 1xx/204/304).
    None,
}

/// A parsed message head.
#[derive(Debug, Clone)]
pub struct Head<'a> {
    /// The first line, without its line end (what the Info column shows).
    pub first_line: &'a [u8],
    /// The first line, parsed.
    pub start: StartLine<'a>,
    /// The header lines in order (at most [`MAX_HEADERS`]).
    pub headers: Vec<Header<'a>>,
    /// Bytes of the head, the blank line included: the body starts here.
    pub len: usize,
    /// How the body is delimited.
    pub body: BodyLength,
    /// The `Content-Type` value without parameters (`text/html`), lower case as sent.
    pub content_type: Option<&'a str>,
}

/// What [`parse_head`] found.
#[derive(Debug, Clone)]
pub enum HeadParse<'a> {
    /// A whole head.
    Complete(Head<'a>),
    /// A head that starts well but whose blank line has not come yet.
    Partial,
    /// Not an HTTP/1.x head.
    Invalid,
}

/// Parses a request or response head at the start of `data`.
pub fn parse_head(data: &[u8]) -> HeadParse<'_> {
    if !starts_message(data) {
        return HeadParse::Invalid;
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    if data.starts_with(b"HTTP/") {
        let mut resp = httparse::Response::new(&mut slots);
        match resp.parse(data) {
            Ok(httparse::Status::Complete(len)) => {
                let (Some(minor), Some(code)) = (resp.version, resp.code) else {
                    return HeadParse::Invalid;
                };
                let start = StartLine::Response {
                    minor,
                    code,
                    reason: resp.reason.unwrap_or(""),
                };
                finish(data, start, resp.headers, len)
            }
            Ok(httparse::Status::Partial) => HeadParse::Partial,
            Err(_) => HeadParse::Invalid,
        }
    } else {
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(data) {
            Ok(httparse::Status::Complete(len)) => {
                let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version)
                else {
                    return HeadParse::Invalid;
                };
                let start = StartLine::Request {
                    method,
                    target,
                    minor,
                };
                finish(data, start, req.headers, len)
            }
            Ok(httparse::Status::Partial) => HeadParse::Partial,
            Err(_) => HeadParse::Invalid,
        }
    }
}

/// Builds a [`Head`] from what httparse found.
fn finish<'a>(
    data: &'a [u8],
    start: StartLine<'a>,
    parsed: &[httparse::Header<'a>],
    len: usize,
) -> HeadParse<'a> {
    let mut headers = Vec::with_capacity(parsed.len());
    let mut length = None;
    let mut chunked = false;
    let mut content_type = None;
    for h in parsed {
        headers.push(Header {
            name: h.name,
            value: h.value,
        });
        if h.name.eq_ignore_ascii_case("content-length") {
            // Wireshark reads a signed 32-bit number and ignores a bad one
            length = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<i32>().ok())
                .and_then(|v| u64::try_from(v).ok());
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            let v = trim_ascii(h.value);
            chunked = v.len() >= 7
                && v.get(..7)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("content-type") {
            content_type = std::str::from_utf8(h.value).ok().map(|v| {
                let v = v.split(';').next().unwrap_or(v);
                v.trim()
            });
        }
    }
    let body = if chunked {
        BodyLength::Chunked
    } else if let Some(n) = length {
        BodyLength::Length(n)
    } else {
        match start {
            StartLine::Request { .. } => BodyLength::None,
            StartLine::Response { code, .. } if code < 200 || code == 204 || code == 304 => {
                BodyLength::None
            }
            StartLine::Response { .. } => BodyLength::UntilClose,
        }
    };
    HeadParse::Complete(Head {
        first_line: first_line(data),
        start,
        headers,
        len,
        body,
        content_type,
    })
}

/// `bytes` without leading and trailing spaces and tabs.
fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(bytes.len());
    let rest = bytes.get(start..).unwrap_or(&[]);
    let end = rest
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(0, |p| p + 1);
    rest.get(..end).unwrap_or(&[])
}

/// Where a chunked body stands, fed a few bytes at a time (RFC 9112 section 7.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Chunked {
    state: ChunkState,
    /// Bytes of chunk data still to come in the current chunk.
    left: u64,
    /// Bytes of body data seen so far (chunk data only).
    pub data_len: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum ChunkState {
    /// Reading the hexadecimal size.
    #[default]
    Size,
    /// After the size: an extension, up to the line end.
    Extension,
    /// Chunk data.
    Data,
    /// The CR LF after chunk data.
    DataEnd,
    /// After the last (zero) chunk: trailer lines up to an empty line.
    Trailer { line_len: u32 },
    /// The body is complete.
    Done,
    /// The size line made no sense: the rest is not followed.
    Broken,
}

impl Chunked {
    /// Feeds body bytes; returns how many of them belong to the body (all of them
    /// unless the body ends inside `data`).
    pub fn feed(&mut self, data: &[u8]) -> usize {
        let mut i = 0usize;
        while i < data.len() {
            let Some(&b) = data.get(i) else { break };
            match self.state {
                ChunkState::Size => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
                        self.left = match self.left.checked_mul(16) {
                            Some(v) if v <= 1 << 31 => v + digit,
                            _ => {
                                self.state = ChunkState::Broken;
                                return i;
                            }
                        };
                    }
                    b'\n' => self.end_size_line(),
                    b';' | b' ' | b'\t' | b'\r' => self.state = ChunkState::Extension,
                    _ => {
                        self.state = ChunkState::Broken;
                        return i;
                    }
                },
                ChunkState::Extension => {
                    if b == b'\n' {
                        self.end_size_line();
                    }
                }
                ChunkState::Data => {
                    let rest = u64::try_from(data.len() - i).unwrap_or(u64::MAX);
                    let take = rest.min(self.left);
                    self.left -= take;
                    self.data_len = self.data_len.saturating_add(take);
                    i += usize::try_from(take).unwrap_or(0);
                    if self.left == 0 {
                        self.state = ChunkState::DataEnd;
                    }
                    continue;
                }
                ChunkState::DataEnd => {
                    if b == b'\n' {
                        self.state = ChunkState::Size;
                        self.left = 0;
                    }
                }
                ChunkState::Trailer { line_len } => {
                    if b == b'\n' {
                        if line_len == 0 {
                            self.state = ChunkState::Done;
                            return i + 1;
                        }
                        self.state = ChunkState::Trailer { line_len: 0 };
                    } else if b != b'\r' {
                        self.state = ChunkState::Trailer {
                            line_len: line_len.saturating_add(1),
                        };
                    }
                }
                ChunkState::Done | ChunkState::Broken => return i,
            }
            i += 1;
        }
        data.len()
    }

    fn end_size_line(&mut self) {
        self.state = if self.left == 0 {
            ChunkState::Trailer { line_len: 0 }
        } else {
            ChunkState::Data
        };
    }

    /// True once the last chunk and its trailer have been read.
    pub fn is_done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// True when a size line was not a hexadecimal number: Wireshark then stops
    /// reassembling and takes what it has as the body.
    pub fn is_broken(&self) -> bool {
        self.state == ChunkState::Broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_request_head_complete() {
        let data = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
        let HeadParse::Complete(head) = parse_head(data) else {
            panic!("not complete")
        };
        assert_eq!(head.first_line, b"GET /index.html HTTP/1.1");
        assert_eq!(
            head.start,
            StartLine::Request {
                method: "GET",
                target: "/index.html",
                minor: 1
            }
        );
        assert_eq!(head.len, data.len());
        assert_eq!(head.body, BodyLength::None);
        assert_eq!(head.headers.len(), 2);
    }

    #[test]
    fn test_response_head_content_length_and_type() {
        let data = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 1234\r\n\r\n<html>";
        let HeadParse::Complete(head) = parse_head(data) else {
            panic!("not complete")
        };
        assert_eq!(head.body, BodyLength::Length(1234));
        assert_eq!(head.content_type, Some("text/html"));
        assert_eq!(head.len, data.len() - 6);
        assert!(matches!(
            head.start,
            StartLine::Response {
                code: 200,
                minor: 0,
                reason: "OK"
            }
        ));
    }

    #[test]
    fn test_response_without_length_runs_until_close_but_304_has_none() {
        let HeadParse::Complete(h) = parse_head(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n") else {
            panic!()
        };
        assert_eq!(h.body, BodyLength::UntilClose);
        let HeadParse::Complete(h) = parse_head(b"HTTP/1.1 304 Not Modified\r\n\r\n") else {
            panic!()
        };
        assert_eq!(h.body, BodyLength::None);
    }

    #[test]
    fn test_head_partial_and_invalid() {
        assert!(matches!(
            parse_head(b"GET / HTTP/1.1\r\nHost: a"),
            HeadParse::Partial
        ));
        assert!(matches!(
            parse_head(b"HELLO WORLD\r\n\r\n"),
            HeadParse::Invalid
        ));
        assert!(matches!(
            parse_head(b"GETX / HTTP/1.1\r\n\r\n"),
            HeadParse::Invalid
        ));
        assert!(!starts_message(b"GET"));
        assert!(starts_message(b"GET "));
        assert!(starts_message(b"HTTP/1.1 200"));
    }

    #[test]
    fn test_methods_sorted_for_binary_search() {
        assert!(METHODS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn test_starts_message_as_each_method_checked_in_turn() {
        // The word-before-the-space lookup says what trying every method in turn says.
        let each = |data: &[u8]| {
            data.starts_with(b"HTTP/1.")
                || METHODS.iter().any(|m| {
                    data.len() > m.len() && data.starts_with(m) && data.get(m.len()) == Some(&b' ')
                })
        };
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for m in METHODS {
            for tail in [&b""[..], b" ", b"  ", b"X ", b" / HTTP/1.1", b"-", b"\r\n"] {
                cases.push([m, tail].concat());
                cases.push([&m[..m.len() - 1], tail].concat());
            }
        }
        cases.extend(
            [
                &b""[..],
                b" ",
                b"HTTP/1.",
                b"HTTP/2 200",
                b"get / HTTP/1.1",
                b"GETGETGETGETGETGETGET ",
                b"VERSION-CONTROL ",
                b"VERSION-CONTROLX ",
                b"LOCK THE DOOR",
            ]
            .map(<[u8]>::to_vec),
        );
        for c in &cases {
            assert_eq!(
                starts_message(c),
                each(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    #[test]
    fn test_first_line_without_line_end() {
        assert_eq!(first_line(b"GET / HTTP/1.1\r\nHost: x"), b"GET / HTTP/1.1");
        assert_eq!(first_line(b"GET / HTTP/1.1\nHost: x"), b"GET / HTTP/1.1");
        assert_eq!(first_line(b"GET / HT"), b"GET / HT");
    }

    #[test]
    fn test_chunked_body_split_anywhere() {
        let body = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\nHTTP/1.1";
        for split in 0..body.len() {
            let (a, b) = body.split_at(split);
            let mut c = Chunked::default();
            let used_a = c.feed(a);
            let used_b = if c.is_done() { 0 } else { c.feed(b) };
            assert!(c.is_done(), "split at {split}");
            assert_eq!(used_a + used_b, body.len() - 8, "split at {split}");
            assert_eq!(c.data_len, 9);
        }
    }

    #[test]
    fn test_chunked_bad_size_is_broken() {
        let mut c = Chunked::default();
        c.feed(b"zz\r\n");
        assert!(c.is_broken());
        let mut c = Chunked::default();
        c.feed(b"ffffffffffffffffff\r\n");
        assert!(c.is_broken());
    }
}
