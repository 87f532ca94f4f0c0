//! SSDP in words: tshark's Info (the first line, then a space, or "Continuation") and the
//! note: devices announcing themselves on the local network (NOTIFY), a search for them
//! (M-SEARCH) and their answers.

use std::fmt::Write as _;

use super::{AppFrame, Claim, Memory as AppMemory, Words};
use crate::decode::app::ssdp::{Start, first_line, header, start};
use crate::text;

/// Writes header `name`'s value, quoted and cut, if the message has it.
fn write_header(out: &mut String, payload: &[u8], name: &[u8], label: &str) {
    if let Some(v) = header(payload, name) {
        let _ = write!(out, ", {label} ");
        text::write_quoted(out, v, 60);
    }
}

/// Protocol, Info and note of an SSDP frame.
pub fn write(memory: &mut AppMemory, f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    w.protocol.clear();
    w.protocol.push_str("SSDP");
    let p = f.payload;
    let kind = start(p);
    match kind {
        Start::Continuation => w.info.push_str("Continuation"),
        _ => {
            for &b in first_line(p) {
                if b.is_ascii_graphic() || b == b' ' {
                    w.info.push(char::from(b));
                } else {
                    let _ = write!(w.info, "\\x{b:02x}");
                }
            }
            w.info.push(' ');
        }
    }
    let t = &mut *w.text;
    match kind {
        Start::Request(b"M-SEARCH") => {
            t.push_str("SSDP search: looks for devices and services on the local network (UPnP, multicast 239.255.255.250)");
            write_header(t, p, b"ST", "searching for");
        }
        Start::Request(b"NOTIFY") => {
            t.push_str(
                "mDNS/SSDP: devices announcing themselves on the local network; this one says",
            );
            match header(p, b"NTS") {
                Some(b"ssdp:byebye") => t.push_str(" it is leaving"),
                _ => t.push_str(" it is here"),
            }
            write_header(t, p, b"NT", "as");
            write_header(t, p, b"LOCATION", "described at");
        }
        Start::Request(m) => {
            t.push_str("SSDP request ");
            text::write_quoted(t, m, 20);
        }
        Start::Response(_) => {
            t.push_str("SSDP answer: a device answers a search");
            write_header(t, p, b"ST", "for");
            write_header(t, p, b"LOCATION", "described at");
        }
        Start::Continuation => {
            t.push_str(
                "SSDP port, but no request or status line: more of an earlier message, or not SSDP",
            );
        }
    }
    if let Some(s) = memory.summary_mut(f) {
        match kind {
            Start::Response(_) => s.responses = s.responses.saturating_add(1),
            _ => s.requests = s.requests.saturating_add(1),
        }
    }
    Claim::Written
}

/// The verdict: "SSDP: 2 announcements or searches, 1 answer".
pub fn verdict(s: &super::AppSummary) -> String {
    let plural = |n: u32, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    match (s.requests, s.responses) {
        (q, 0) => format!(
            "SSDP: {q} {}: devices announcing themselves on the local network",
            plural(q, "announcement or search", "announcements or searches")
        ),
        (0, r) => format!("SSDP: {r} {} to a search", plural(r, "answer", "answers")),
        (q, r) => format!(
            "SSDP: {q} {}, {r} {}: devices announcing themselves on the local network",
            plural(q, "announcement or search", "announcements or searches"),
            plural(r, "answer", "answers")
        ),
    }
}
