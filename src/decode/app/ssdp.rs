//! SSDP (UPnP discovery, UDP 1900): HTTP-like text messages (M-SEARCH, NOTIFY, and
//! `HTTP/1.1 200 OK` answers). Reads the first line and the headers in place, as tshark's
//! HTTP dissector does for port 1900; a payload that starts with no request or status
//! line is a "Continuation". Allocation-free.

/// The request methods tshark's HTTP dissector knows on a first line (the ones that
/// appear over SSDP, and HTTP's own).
const METHODS: &[&[u8]] = &[
    b"M-SEARCH",
    b"NOTIFY",
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"SUBSCRIBE",
    b"UNSUBSCRIBE",
];

/// The first line of `payload`, without its line end.
pub fn first_line(payload: &[u8]) -> &[u8] {
    let end = payload
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(payload.len());
    let line = payload.get(..end).unwrap_or(payload);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// What the first line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start<'a> {
    /// A request: its method (`M-SEARCH`, `NOTIFY`, ...).
    Request(&'a [u8]),
    /// A status line: its code (`200`).
    Response(&'a [u8]),
    /// Neither: tshark's "Continuation".
    Continuation,
}

/// How the message starts.
pub fn start(payload: &[u8]) -> Start<'_> {
    let line = first_line(payload);
    if let Some(rest) = line.strip_prefix(b"HTTP/") {
        let code = rest.splitn(3, |b| *b == b' ').nth(1).unwrap_or_default();
        return Start::Response(code);
    }
    for m in METHODS {
        if line
            .strip_prefix(*m)
            .is_some_and(|r| r.first() == Some(&b' '))
        {
            return Start::Request(m);
        }
    }
    Start::Continuation
}

/// The value of header `name` (case-insensitive), leading blanks removed.
pub fn header<'a>(payload: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    payload.split(|b| *b == b'\n').skip(1).find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let (key, value) = line.split_at(line.iter().position(|b| *b == b':')?);
        key.eq_ignore_ascii_case(name).then(|| {
            let v = value.get(1..).unwrap_or_default();
            let skip = v.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
            v.get(skip..).unwrap_or_default()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEARCH: &[u8] =
        b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\n\r\n";

    #[test]
    fn test_search_line_and_headers() {
        assert_eq!(first_line(SEARCH), b"M-SEARCH * HTTP/1.1");
        assert_eq!(start(SEARCH), Start::Request(b"M-SEARCH"));
        assert_eq!(header(SEARCH, b"st"), Some(&b"ssdp:all"[..]));
        assert_eq!(start(b"HTTP/1.1 200 OK\r\n"), Start::Response(b"200"));
        assert_eq!(start(b"hello"), Start::Continuation);
    }

    #[test]
    fn test_every_prefix_no_panic() {
        for n in 0..=SEARCH.len() {
            let b = SEARCH.get(..n).unwrap_or(&[]);
            let _ = (first_line(b), start(b), header(b, b"ST"));
        }
    }
}
