//! NTP in words: tshark's Info ("NTP Version 4, client") and the note: a clock asking a
//! server for the time, and the server's answer with its distance from a reference clock.

use std::fmt::Write as _;

use super::{AppFrame, Claim, Memory as AppMemory, Words};
use crate::decode::app::ntp::{mode_name, parse, version_name};

/// Protocol, Info and note of an NTP frame.
pub fn write(memory: &mut AppMemory, f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    let Some(p) = parse(f.payload) else {
        return Claim::Declined;
    };
    w.protocol.clear();
    w.protocol.push_str("NTP");
    let _ = write!(w.info, "{}, {}", version_name(p.version), mode_name(p.mode));
    if p.mode == 7 {
        let response = f.payload.get(1).is_some_and(|b| b & 0x80 != 0);
        w.info.push_str(if response {
            ", Response, Unknown"
        } else {
            ", Request, Unknown"
        });
    }
    if p.short {
        w.info.push_str(f.short_suffix());
    }
    let text = &mut *w.text;
    match p.mode {
        3 => {
            let _ = write!(
                text,
                "NTP client (version {}): asks a time server for the time, to set this clock",
                p.version
            );
        }
        4 => {
            text.push_str("NTP server: answers with the time");
            match p.stratum {
                Some(0) => text.push_str(" (stratum 0: unsynchronised, or a kiss-o'-death)"),
                Some(1) => text.push_str(" (stratum 1: it reads a reference clock itself)"),
                Some(2) => text.push_str(" (stratum 2: one hop from a reference clock)"),
                Some(s) => {
                    let _ = write!(
                        text,
                        " (stratum {s}: {} hops from a reference clock)",
                        s - 1
                    );
                }
                None => {}
            }
        }
        5 => text.push_str("NTP broadcast: a server announces the time to the local network"),
        1 | 2 => text.push_str("NTP symmetric mode: two peers keep each other's time"),
        6 => text.push_str("NTP control message: queries or sets a server's state (ntpq)"),
        7 => text.push_str("NTP private mode message (ntpdc)"),
        _ => text.push_str("NTP message of a reserved mode"),
    }
    if let Some(s) = memory.summary_mut(f) {
        match p.mode {
            4 | 2 | 5 => s.responses = s.responses.saturating_add(1),
            _ => s.requests = s.requests.saturating_add(1),
        }
    }
    Claim::Written
}

/// The verdict: "NTP: 1 request, 1 answer: this clock asked for the time".
pub fn verdict(s: &super::AppSummary) -> String {
    let plural = |n: u32, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    format!(
        "NTP: {} {}, {} {}: a clock asking a server for the time",
        s.requests,
        plural(s.requests, "request", "requests"),
        s.responses,
        plural(s.responses, "answer", "answers")
    )
}
