//! DHCP and BOOTP in words: tshark's Info ("DHCP Discover - Transaction ID 0x3d1d",
//! "Boot Request from 00:0b:82:01:fc:42 (00:0b:82:01:fc:42)"), and a note that names the
//! four steps of getting an address (Discover, Offer, Request, ACK) as a sequence, each
//! pointing back at the step before it. The steps wait in a bounded table by transaction ID.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{AppFrame, Claim, Memory as AppMemory, Words};
use crate::decode::app::dhcp::{Message, message_type_name};
use crate::explain::info::write_mac;

/// Transactions remembered (the last step of each); beyond, the table is emptied.
pub const MAX_TRANSACTIONS: usize = 4096;

/// The last step seen of each transaction: its message type and frame number.
#[derive(Debug, Default)]
pub struct Memory {
    steps: HashMap<u32, (u8, u64)>,
}

/// The step before `t` in the four-step exchange.
fn previous_step(t: u8) -> Option<u8> {
    match t {
        2 => Some(1),
        3 => Some(2),
        5 | 6 => Some(3),
        _ => None,
    }
}

fn ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    let a: [u8; 4] = v.get(..4)?.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}

/// The lease time (option 51) in words after `lead`: " for 3600 s (1 h)"; nothing
/// without one.
fn write_lease(out: &mut String, lead: &str, m: &Message<'_>) {
    let Some(secs) = m
        .option(51)
        .and_then(|v| v.get(..4)?.try_into().ok())
        .map(u32::from_be_bytes)
    else {
        return;
    };
    out.push_str(lead);
    let _ = write!(out, "{secs} s");
    if secs == u32::MAX {
        out.push_str(" (infinite)");
    } else if secs >= 86_400 && secs.is_multiple_of(86_400) {
        let _ = write!(out, " ({} d)", secs / 86_400);
    } else if secs >= 3600 && secs.is_multiple_of(3600) {
        let _ = write!(out, " ({} h)", secs / 3600);
    } else if secs >= 60 && secs.is_multiple_of(60) {
        let _ = write!(out, " ({} min)", secs / 60);
    }
}

/// Writes tshark's Info and Protocol column; true when the bytes ran out on the way.
fn write_columns(m: &Message<'_>, w: &mut Words<'_>) -> bool {
    let cut = match m.options() {
        Ok(o) => o.clone().any(|o| o.is_err()),
        Err(_) => true,
    };
    w.protocol.clear();
    match (m.message_type(), m.xid()) {
        (Some(t), Ok(xid)) => {
            w.protocol.push_str("DHCP");
            let name = match message_type_name(t) {
                Some(n) => n.to_string(),
                None => format!("Unknown Message Type (0x{t:02x})"),
            };
            let _ = write!(w.info, "DHCP {name:<8} - Transaction ID 0x{xid:x}");
        }
        _ => {
            w.protocol.push_str("BOOTP");
            match (m.op(), m.chaddr(), m.htype()) {
                (Ok(1), Ok(hw), Ok(htype)) => {
                    w.info.push_str("Boot Request from ");
                    if htype == 1 && hw.len() == 6 {
                        let mut mac = String::new();
                        write_mac(&mut mac, hw);
                        let _ = write!(w.info, "{mac} ({mac})");
                    } else {
                        for (i, b) in hw.iter().enumerate() {
                            let _ = write!(w.info, "{}{b:02x}", if i > 0 { ":" } else { "" });
                        }
                    }
                }
                (Ok(2), _, _) => w.info.push_str("Boot Reply"),
                (Ok(op), Ok(_), _) => {
                    let _ = write!(w.info, "Unknown BOOTP message type ({op})");
                }
                _ => {}
            }
        }
    }
    cut
}

/// Protocol, Info and note of a DHCP or BOOTP frame.
pub fn write(memory: &mut AppMemory, f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    let m = Message::new(f.payload);
    if write_columns(&m, w) {
        w.info.push_str(f.short_suffix());
    }
    let t = m.message_type();
    let xid = m.xid().ok();
    let before = match (t.and_then(previous_step), xid) {
        (Some(p), Some(x)) => memory
            .dhcp
            .steps
            .get(&x)
            .filter(|(step, _)| *step == p)
            .map(|(_, frame)| *frame),
        _ => None,
    };
    if let (Some(t), Some(x)) = (t, xid) {
        if memory.dhcp.steps.len() >= MAX_TRANSACTIONS {
            memory.dhcp.steps.clear();
        }
        memory.dhcp.steps.insert(x, (t, f.frame.number));
    }
    let mut client = String::new();
    if let Ok(hw) = m.chaddr() {
        write_mac(&mut client, hw);
    }
    let offered = m.yiaddr().ok().filter(|a| !a.is_unspecified());
    let requested = m.option(50).and_then(ipv4);
    let server = m.option(54).and_then(ipv4);
    let text = &mut *w.text;
    match t {
        Some(1) => {
            let _ = write!(
                text,
                "DHCP Discover (step 1 of 4: Discover, Offer, Request, ACK): the client {client} looks for a DHCP server, by broadcast, to get an address"
            );
        }
        Some(2) => {
            text.push_str("DHCP Offer (step 2 of 4): the server");
            if let Some(s) = server {
                let _ = write!(text, " {s}");
            }
            match offered {
                Some(a) => {
                    let _ = write!(text, " offers {a} to {client}");
                }
                None => {
                    let _ = write!(text, " answers {client}");
                }
            }
            write_lease(text, " for ", &m);
        }
        Some(3) => {
            match (requested, m.ciaddr().ok().filter(|a| !a.is_unspecified())) {
                (Some(a), _) => {
                    let _ = write!(
                        text,
                        "DHCP Request (step 3 of 4): the client {client} asks for {a}"
                    );
                    if let Some(s) = server {
                        let _ = write!(text, " from the server {s} (declining any other offer)");
                    }
                }
                (None, Some(a)) => {
                    let _ = write!(
                        text,
                        "DHCP Request: the client {client} renews its lease of {a}"
                    );
                }
                (None, None) => {
                    let _ = write!(text, "DHCP Request (step 3 of 4) from the client {client}");
                }
            }
        }
        Some(5) => {
            text.push_str("DHCP ACK (step 4 of 4): the server confirms ");
            match offered.or(m.ciaddr().ok()) {
                Some(a) => {
                    let _ = write!(text, "{a} for {client}");
                }
                None => {
                    let _ = write!(text, "the settings for {client}");
                }
            }
            write_lease(text, ", lease ", &m);
            if let Some(r) = m.option(3).and_then(ipv4) {
                let _ = write!(text, ", router {r}");
            }
            if let Some(d) = m.option(6).and_then(ipv4) {
                let _ = write!(text, ", DNS server {d}");
            }
            text.push_str(": the client may use the address now");
        }
        Some(6) => text.push_str(
            "DHCP NAK: the server refuses the request (wrong network or address taken); the client starts again with a Discover",
        ),
        Some(4) => {
            let _ = write!(
                text,
                "DHCP Decline: the client {client} found the offered address already in use"
            );
        }
        Some(7) => {
            let _ = write!(text, "DHCP Release: the client {client} gives its address back");
        }
        Some(8) => {
            let _ = write!(
                text,
                "DHCP Inform: the client {client} has an address and asks only for settings"
            );
        }
        Some(t) => {
            let _ = write!(text, "DHCP message type {t}");
        }
        None => match m.op() {
            Ok(1) => {
                let _ = write!(
                    text,
                    "BOOTP request from {client}: no DHCP message type, the older boot protocol DHCP grew from"
                );
            }
            Ok(2) => text.push_str("BOOTP reply: no DHCP message type"),
            _ => text.push_str("BOOTP message too short to read"),
        },
    }
    if let Some(n) = before {
        let _ = write!(text, "; answers frame {n}");
    }
    if let Some(s) = memory.summary_mut(f) {
        match m.op() {
            Ok(2) => s.responses = s.responses.saturating_add(1),
            _ => s.requests = s.requests.saturating_add(1),
        }
        let name = t.and_then(message_type_name).unwrap_or("BOOTP");
        s.add_words(", ", name);
        if let (Some(5), Some(a)) = (t, offered) {
            s.add_words(" ", &format!("{a}"));
        }
    }
    Claim::Written
}

/// The verdict: "DHCP: Discover, Request" (the messages of this conversation; a server
/// answers from its own address, so its Offer and ACK are in another conversation).
pub fn verdict(s: &super::AppSummary) -> String {
    let name = if s.proto == Some(crate::decode::app::AppProto::Dhcpv6) {
        "DHCPv6"
    } else {
        "DHCP"
    };
    format!("{name}: {}", s.words)
}
