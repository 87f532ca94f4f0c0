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

/// Where `part` starts in `whole`, when it is a sub-slice of it (httparse's method, target,
/// reason, header names and values are).
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start.checked_add(part.len())? <= whole.len()).then_some(start)
}

/// Bytes of the line starting at `at` of `data`, its line end included.
fn line_len(data: &[u8], at: usize) -> usize {
    let rest = data.get(at..).unwrap_or(&[]);
    rest.iter()
        .position(|b| *b == b'\n')
        .map_or(rest.len(), |p| p + 1)
}

/// What a request method asks for.
fn method_meaning(method: &str) -> &'static str {
    match method {
        "GET" => "fetch the resource",
        "HEAD" => "the headers a GET would get, without the body",
        "POST" => "send data (a form, an upload) to the resource",
        "PUT" => "store the body under this name",
        "DELETE" => "remove the resource",
        "OPTIONS" => "which methods the server allows",
        "CONNECT" => "open a tunnel through a proxy",
        _ => "",
    }
}

/// What a status code's class says (RFC 9110 section 15).
fn status_meaning(code: u16) -> &'static str {
    match code {
        100..=199 => "1xx: informational, the answer follows",
        200..=299 => "2xx: success",
        300..=399 => "3xx: redirection, the resource is elsewhere",
        400..=499 => "4xx: the client's error (404: no such resource)",
        500..=599 => "5xx: the server's error",
        _ => "not a standard status code",
    }
}

/// What the header fields a student meets first mean (RFC 9110, 9111, 9112).
fn header_meaning(name: &str) -> &'static str {
    const MEANINGS: [(&str, &str); 16] = [
        (
            "host",
            "the server's name and port: one address can serve several sites",
        ),
        ("user-agent", "the program that asks"),
        ("accept", "the media types the client takes"),
        ("accept-encoding", "the compressions the client can undo"),
        ("accept-language", "the languages the reader prefers"),
        (
            "connection",
            "keep the connection open for more requests, or close it",
        ),
        ("content-type", "the media type of the body"),
        ("content-length", "bytes of the body that follow the head"),
        (
            "transfer-encoding",
            "chunked: the body comes in pieces, each with its length",
        ),
        ("server", "the server's software"),
        ("date", "when the server answered"),
        (
            "last-modified",
            "when the resource last changed (for caching)",
        ),
        ("location", "where the resource is (redirections)"),
        ("cookie", "state the server asked the client to keep"),
        (
            "set-cookie",
            "state the server asks the client to keep and send back",
        ),
        (
            "cache-control",
            "whether and how long the answer may be cached",
        ),
    ];
    MEANINGS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or("", |(_, m)| m)
}

/// Records the detail view's fields of an HTTP segment that starts a message: the request
/// or status line with its parts, each header line (name, value, meaning), the blank line,
/// and the body bytes this segment holds. Offsets are relative to `data`. A head that
/// continues in the next segment shows its first line; a segment that starts no message
/// continues one: a "[Continuation]" field.
///
/// tshark shows a head or body spanning segments in the segment that completes it; this
/// view shows each segment's own bytes.
pub fn fields<S: crate::decode::spans::FieldSink>(data: &[u8], s: &mut S) -> bool {
    use crate::text::{Style, escape};
    if !S::ON || data.is_empty() {
        return false;
    }
    s.layer("Hypertext Transfer Protocol", 0, data.len());
    if !starts_message(data) {
        crate::decode::spans::continuation(
            data,
            "bytes that start no message: the rest of one an earlier segment started (tshark shows that whole in the segment that completes it), or not HTTP",
            s,
        );
        return true;
    }
    let first = first_line(data);
    s.summary(escape(first, Style::Plain));
    let head = match parse_head(data) {
        HeadParse::Complete(head) => head,
        HeadParse::Partial => {
            s.field(
                0,
                line_len(data, 0),
                "Start line",
                escape(first, Style::Plain),
                "[the head continues in the next segment]",
            );
            return true;
        }
        HeadParse::Invalid => {
            s.field(
                0,
                data.len(),
                "[Malformed head]",
                escape(first, Style::Plain),
                "starts like HTTP, but is no valid HTTP/1.x head",
            );
            return true;
        }
    };
    let line = line_len(data, 0);
    match head.start {
        StartLine::Request {
            method,
            target,
            minor,
        } => {
            s.field(
                0,
                line,
                "Request line",
                escape(first, Style::Plain),
                "method, resource and version: what the client asks for",
            );
            s.open();
            s.field(
                0,
                method.len(),
                "Request Method",
                method,
                method_meaning(method),
            );
            if let Some(at) = offset_in(data, target.as_bytes()) {
                s.field(
                    at,
                    target.len(),
                    "Request URI",
                    escape(target.as_bytes(), Style::Plain),
                    "the resource asked for, as the client names it",
                );
                s.field(
                    at + target.len() + 1,
                    8,
                    "Request Version",
                    format_args!("HTTP/1.{minor}"),
                    "",
                );
            }
            s.close();
        }
        StartLine::Response {
            minor,
            code,
            reason,
        } => {
            s.field(
                0,
                line,
                "Status line",
                escape(first, Style::Plain),
                "version, status code and reason: the server's answer",
            );
            s.open();
            s.field(0, 8, "Response Version", format_args!("HTTP/1.{minor}"), "");
            s.field(9, 3, "Status Code", code, status_meaning(code));
            if let Some(at) = offset_in(data, reason.as_bytes()).filter(|_| !reason.is_empty()) {
                s.field(
                    at,
                    reason.len(),
                    "Response Phrase",
                    escape(reason.as_bytes(), Style::Plain),
                    "the status in words, for people",
                );
            }
            s.close();
        }
    }
    for h in &head.headers {
        let Some(at) = offset_in(data, h.name.as_bytes()) else {
            continue;
        };
        s.field(
            at,
            line_len(data, at),
            escape(h.name.as_bytes(), Style::Plain),
            escape(h.value, Style::Plain),
            header_meaning(h.name),
        );
    }
    let blank = if data
        .get(..head.len)
        .is_some_and(|d| d.ends_with(b"\r\n\r\n"))
    {
        2
    } else {
        1
    };
    s.field(
        head.len.saturating_sub(blank),
        blank,
        "End of the head",
        if blank == 2 { "\\r\\n" } else { "\\n" },
        "an empty line: the headers end here",
    );
    let have = data.len().saturating_sub(head.len);
    let body = match head.body {
        BodyLength::Length(n) if u64::try_from(have).is_ok_and(|h| h < n) => format!(
            "{have} of the {n} bytes Content-Length announces; the rest follows in the next segments"
        ),
        BodyLength::Length(n) => format!("the {n} bytes Content-Length announces"),
        BodyLength::Chunked => "the first bytes of a chunked body".to_string(),
        BodyLength::UntilClose => "the body, which ends when the server closes".to_string(),
        BodyLength::None => "bytes after a message without a body: the next message".to_string(),
    };
    if have > 0 {
        s.field(
            head.len,
            have,
            "File Data",
            format_args!("{have} bytes"),
            body,
        );
    }
    true
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

    /// The detail fields of `data` as one TCP payload.
    fn spans_of(data: &[u8]) -> Vec<crate::decode::spans::Span> {
        let mut s = crate::decode::spans::Spans::new(data.len());
        assert!(fields(data, &mut s));
        s.into_layers()
    }

    #[test]
    fn test_fields_request_line_and_each_header_at_their_offsets() {
        let data = b"GET /a HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
        let layers = spans_of(data);
        let l = &layers[0];
        assert_eq!(l.value, "GET /a HTTP/1.1");
        let names: Vec<&str> = l.children.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Request line", "Host", "Accept", "End of the head"]);
        let parts: Vec<(usize, usize, &str)> = l.children[0]
            .children
            .iter()
            .map(|f| (f.offset, f.len, f.value.as_str()))
            .collect();
        assert_eq!(parts, [(0, 3, "GET"), (4, 2, "/a"), (7, 8, "HTTP/1.1")]);
        let host = &l.children[1];
        assert_eq!(
            (host.offset, host.len, host.value.as_str()),
            (17, 19, "example.com")
        );
        assert_eq!(l.children[3].offset, data.len() - 2);
    }

    #[test]
    fn test_fields_response_with_body_in_the_segment() {
        let data = b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot f";
        let l = &spans_of(data)[0];
        let status = &l.children[0].children;
        assert_eq!(status[1].value, "404");
        assert_eq!(status[2].value, "Not Found");
        let body = l.children.last().unwrap();
        assert_eq!((body.name.as_str(), body.len), ("File Data", 5));
        assert!(
            body.meaning.starts_with("5 of the 10 bytes"),
            "{}",
            body.meaning
        );
    }

    #[test]
    fn test_fields_head_continuing_and_body_segment() {
        let l = &spans_of(b"GET /a HTTP/1.1\r\nHost: exa")[0];
        assert_eq!(
            l.children[0].meaning,
            "[the head continues in the next segment]"
        );
        let l = &spans_of(b"<html>the body</html>")[0];
        assert_eq!(l.value, "Continuation");
        assert!(
            l.children[0]
                .meaning
                .ends_with("as text: <html>the body</html>")
        );
        let l = &spans_of(b"GET /\x1b[2J HTTP/1.1\r\n\r\n")[0];
        assert!(!l.value.contains('\x1b'), "escaped: {}", l.value);
    }
}
