//! `--format conn-log`: the conversations as Zeek's `conn.log` (its ASCII writer's
//! TSV: the `#` header lines, tab-separated columns, `-` for an unset field), so that
//! `zeek-cut` and other Zeek log readers take it. Shows no frame; writes only what
//! the tracker judged (orientation, state, history, counts), never re-derives it.

use std::io::{self, Write};

use super::{ConversationRow, Row, View};
use crate::fmt::{push_date_time, push_ip_bytes, push_seconds_bytes, push_u64_bytes};
use crate::source::Timestamp;
use crate::track::{Conversation, Proto, SideStats};

/// The columns, in Zeek's order (those of `Conn::Info` that wirelab knows).
pub const FIELDS: [&str; 18] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
];

/// The Zeek type of each column.
pub const TYPES: [&str; 18] = [
    "time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
    "count", "string", "count", "string", "count", "count", "count", "count",
];

/// The conn.log writer.
pub struct ConnLog<W: Write> {
    out: W,
    /// The header is written with the first row (its `#open` is the capture's start).
    header_done: bool,
    /// Time of the latest conversation's end, for `#close`.
    last: Option<Timestamp>,
    line: Vec<u8>,
}

impl<W: Write> ConnLog<W> {
    /// A writer to `out`.
    pub fn new(out: W) -> Self {
        ConnLog {
            out,
            header_done: false,
            last: None,
            line: Vec::with_capacity(256),
        }
    }

    fn header(&mut self, open: Timestamp) -> io::Result<()> {
        self.header_done = true;
        let mut h = Vec::with_capacity(600);
        h.extend_from_slice(b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n");
        h.extend_from_slice(b"#unset_field\t-\n#path\tconn\n#open\t");
        push_log_time(&mut h, open);
        h.extend_from_slice(b"\n#fields");
        for f in FIELDS {
            h.push(b'\t');
            h.extend_from_slice(f.as_bytes());
        }
        h.extend_from_slice(b"\n#types");
        for t in TYPES {
            h.push(b'\t');
            h.extend_from_slice(t.as_bytes());
        }
        h.push(b'\n');
        self.out.write_all(&h)
    }
}

/// Zeek's `#open`/`#close` time: `YYYY-MM-DD-HH-MM-SS` (UTC).
fn push_log_time(out: &mut Vec<u8>, ts: Timestamp) {
    let mut s = String::new();
    push_date_time(&mut s, ts);
    for b in s.bytes().take(19) {
        out.push(if b == b' ' || b == b':' { b'-' } else { b });
    }
}

/// Zeek's name of the transport (its `transport_proto`).
fn zeek_proto(p: Proto) -> &'static [u8] {
    match p {
        Proto::Tcp => b"tcp",
        Proto::Udp => b"udp",
        Proto::Icmp => b"icmp",
        Proto::Other(_) => b"unknown_transport",
    }
}

/// A connection's uid: `C` and 17 base-62 digits, derived from what identifies the
/// conversation (so the same capture always gives the same uids; Zeek's are random).
fn push_uid(out: &mut Vec<u8>, c: &Conversation) {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    let mut mix = |v: u128| {
        h ^= v;
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    };
    let proto = match c.proto {
        Proto::Tcp => 6,
        Proto::Udp => 17,
        Proto::Icmp => 1,
        Proto::Other(p) => u128::from(p),
    };
    mix(proto);
    mix(u128::from(c.stream));
    mix(u128::from(c.first_frame));
    mix(u128::from(c.start.secs.unsigned_abs()));
    mix(u128::from(c.start.nanos));
    for ep in [c.client, c.server] {
        let ip = match ep.ip {
            std::net::IpAddr::V4(v4) => u128::from(u32::from(v4)),
            std::net::IpAddr::V6(v6) => u128::from(v6),
        };
        mix(ip);
        mix(u128::from(ep.port));
    }
    out.push(b'C');
    for _ in 0..17 {
        let digit = usize::try_from(h % 62).unwrap_or(0);
        out.push(DIGITS.get(digit).copied().unwrap_or(b'0'));
        h /= 62;
    }
}

/// One conn.log line for a conversation (newline included).
pub fn push_row(line: &mut Vec<u8>, c: &Conversation) {
    let z = &c.zeek;
    // Zeek counts no packet its analyzers dropped for a bad checksum.
    let counted = |side: SideStats, i: usize| {
        let pkts = z.dropped_pkts.get(i).copied().unwrap_or(0);
        let ip_bytes = z.dropped_ip_bytes.get(i).copied().unwrap_or(0);
        (
            side.frames.saturating_sub(pkts),
            side.ip_bytes.saturating_sub(ip_bytes),
        )
    };
    let (client_counts, server_counts) = (counted(c.from_client, 0), counted(c.from_server, 1));
    let (orig, resp, orig_counts, resp_counts) = if z.orig_is_server {
        (c.server, c.client, server_counts, client_counts)
    } else {
        (c.client, c.server, client_counts, server_counts)
    };
    let tab = |line: &mut Vec<u8>| line.push(b'\t');
    push_seconds_bytes(
        line,
        i128::from(c.start.secs) * 1_000_000_000 + i128::from(c.start.nanos),
        6,
    );
    tab(line);
    push_uid(line, c);
    tab(line);
    push_ip_bytes(line, orig.ip);
    tab(line);
    push_u64_bytes(line, u64::from(orig.port));
    tab(line);
    push_ip_bytes(line, resp.ip);
    tab(line);
    push_u64_bytes(line, u64::from(resp.port));
    tab(line);
    line.extend_from_slice(zeek_proto(c.proto));
    tab(line);
    line.extend_from_slice(c.service.unwrap_or("-").as_bytes());
    tab(line);
    // Zeek sets duration and the byte counts only for a duration above zero.
    if z.duration_ns > 0 {
        push_seconds_bytes(line, z.duration_ns, 6);
        tab(line);
        push_u64_bytes(line, z.orig_bytes);
        tab(line);
        push_u64_bytes(line, z.resp_bytes);
    } else {
        line.extend_from_slice(b"-\t-\t-");
    }
    tab(line);
    line.extend_from_slice(c.zeek_state.as_bytes());
    tab(line);
    push_u64_bytes(line, z.missed_bytes);
    tab(line);
    if c.history.is_empty() {
        line.push(b'-');
    } else {
        line.extend_from_slice(c.history.as_bytes());
    }
    for n in [orig_counts.0, orig_counts.1, resp_counts.0, resp_counts.1] {
        tab(line);
        push_u64_bytes(line, n);
    }
    line.push(b'\n');
}

impl<W: Write> View for ConnLog<W> {
    fn frame(&mut self, _row: &Row<'_, '_>) -> io::Result<()> {
        // A conn.log has one line per connection, none per frame.
        Ok(())
    }

    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        if let Some(r) = rows.first()
            && !self.header_done
        {
            self.header(r.first)?;
        }
        for r in rows {
            let c = r.conversation;
            self.line.clear();
            push_row(&mut self.line, c);
            self.out.write_all(&self.line)?;
            if self.last.is_none_or(|l| c.end > l) {
                self.last = Some(c.end);
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.header_done {
            // No conversation: the header still says what the file is.
            self.header(Timestamp::default())?;
        }
        let mut close = b"#close\t".to_vec();
        push_log_time(&mut close, self.last.unwrap_or_default());
        close.push(b'\n');
        self.out.write_all(&close)?;
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::{Endpoint, ZeekSummary};
    use std::net::{IpAddr, Ipv4Addr};

    fn conv() -> Conversation {
        let ep = |a, port| Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)),
            port,
        };
        let side = |frames, ip_bytes| SideStats {
            frames,
            bytes: 0,
            payload_bytes: 0,
            ip_bytes,
        };
        Conversation {
            proto: Proto::Tcp,
            stream: 0,
            client: ep(1, 40000),
            server: ep(2, 80),
            from_client: side(5, 300),
            from_server: side(4, 500),
            first_frame: 1,
            last_frame: 9,
            start: Timestamp {
                secs: 1_700_000_000,
                nanos: 250_000_000,
            },
            end: Timestamp {
                secs: 1_700_000_001,
                nanos: 0,
            },
            zeek_state: "SF",
            history: "ShADadFf".into(),
            initial_rtt_ns: None,
            first_fin_by: None,
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 0,
            zeek: ZeekSummary {
                orig_is_server: false,
                orig_bytes: 5,
                resp_bytes: 7,
                missed_bytes: 0,
                duration_ns: 750_000_000,
                dropped_pkts: [0, 0],
                dropped_ip_bytes: [0, 0],
            },
            service: None,
        }
    }

    #[test]
    fn test_row_columns_in_zeek_order() {
        let mut line = Vec::new();
        push_row(&mut line, &conv());
        let text = String::from_utf8(line).unwrap_or_default();
        let cols: Vec<&str> = text.trim_end().split('\t').collect();
        assert_eq!(cols.len(), FIELDS.len());
        assert_eq!(cols[0], "1700000000.250000");
        assert!(cols[1].starts_with('C') && cols[1].len() == 18);
        assert_eq!(
            &cols[2..],
            &[
                "10.0.0.1", "40000", "10.0.0.2", "80", "tcp", "-", "0.750000", "5", "7", "SF", "0",
                "ShADadFf", "5", "300", "4", "500"
            ]
        );
    }

    #[test]
    fn test_flipped_row_swaps_sides_zero_duration_unset() {
        let mut c = conv();
        c.zeek.orig_is_server = true;
        c.zeek.duration_ns = 0;
        let mut line = Vec::new();
        push_row(&mut line, &c);
        let text = String::from_utf8(line).unwrap_or_default();
        let cols: Vec<&str> = text.trim_end().split('\t').collect();
        assert_eq!(&cols[2..6], &["10.0.0.2", "80", "10.0.0.1", "40000"]);
        assert_eq!(&cols[8..11], &["-", "-", "-"]);
        assert_eq!(&cols[14..], &["4", "500", "5", "300"]);
    }

    #[test]
    fn test_dropped_for_bad_checksum_not_counted() {
        let mut c = conv();
        // One client packet of 60 IP bytes dropped; the server's side untouched.
        c.zeek.dropped_pkts = [1, 0];
        c.zeek.dropped_ip_bytes = [60, 0];
        let mut line = Vec::new();
        push_row(&mut line, &c);
        let text = String::from_utf8(line).unwrap_or_default();
        let cols: Vec<&str> = text.trim_end().split('\t').collect();
        assert_eq!(&cols[14..], &["4", "240", "4", "500"]);
    }

    #[test]
    fn test_no_conversation_header_and_close() {
        let mut out = Vec::new();
        let mut log = ConnLog::new(&mut out);
        log.finish().unwrap_or(());
        drop(log);
        let text = String::from_utf8(out).unwrap_or_default();
        assert!(text.starts_with("#separator \\x09\n"));
        assert!(text.contains("#open\t1970-01-01-00-00-00\n"));
        assert!(text.ends_with("#close\t1970-01-01-00-00-00\n"));
    }
}
