//! DHCPv6 in words: tshark's Info ("Solicit XID: 0x123456 CID: 0001... ", the trailing
//! space included, relays as "Relay-forw L: fe80::1 " before the message they carry) and
//! the note naming the four steps (Solicit, Advertise, Request, Reply).

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use super::{AppFrame, Claim, Memory as AppMemory, Words};
use crate::decode::app::dhcpv6::{
    MAX_RELAY_DEPTH, Message, Options, ia_addresses, message_type_name, parse,
};

fn write_type(out: &mut String, t: u8) {
    match message_type_name(t) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "Message Type {t}");
        }
    }
}

/// Writes tshark's Info of `m`; false when the bytes ran out. Returns the innermost
/// message's type and first address through `inner`.
fn write_info(
    out: &mut String,
    payload: &[u8],
    depth: usize,
    inner: &mut (u8, Option<Ipv6Addr>),
) -> bool {
    let Some(m) = parse(payload) else {
        return false;
    };
    match m {
        Message::Relay {
            msg_type,
            link,
            options,
        } => {
            write_type(out, msg_type);
            out.push(' ');
            let Some(link) = link else {
                return false;
            };
            let _ = write!(out, "L: {link} ");
            inner.0 = msg_type;
            for o in Options::new(options) {
                let Ok(o) = o else { return false };
                if o.code == 9 && depth < MAX_RELAY_DEPTH {
                    return write_info(out, o.value, depth + 1, inner);
                }
            }
            true
        }
        Message::Plain {
            msg_type,
            xid,
            options,
        } => {
            write_type(out, msg_type);
            out.push(' ');
            inner.0 = msg_type;
            let Some(xid) = xid else {
                return false;
            };
            let _ = write!(out, "XID: 0x{xid:06x} ");
            for o in Options::new(options) {
                let Ok(o) = o else { return false };
                match o.code {
                    1 => {
                        out.push_str("CID: ");
                        for b in o.value {
                            let _ = write!(out, "{b:02x}");
                        }
                        out.push(' ');
                    }
                    3 | 4 => {
                        for a in ia_addresses(&o) {
                            let _ = write!(out, "IAA: {a} ");
                            inner.1.get_or_insert(a);
                        }
                    }
                    _ => {}
                }
            }
            true
        }
    }
}

/// Protocol, Info and note of a DHCPv6 frame.
pub fn write(memory: &mut AppMemory, f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    w.protocol.clear();
    w.protocol.push_str("DHCPv6");
    let mut inner = (0u8, None);
    if !write_info(w.info, f.payload, 0, &mut inner) {
        w.info.push_str(f.short_suffix());
    }
    let t = &mut *w.text;
    // "offers 2001:db8::5", or the fallback words without an address.
    let with_addr = |t: &mut String, lead: &str, fallback: &str| {
        t.push_str(lead);
        match inner.1 {
            Some(a) => {
                let _ = write!(t, " {a}");
            }
            None => t.push_str(fallback),
        }
    };
    match inner.0 {
        1 => t.push_str("DHCPv6 Solicit (step 1 of 4: Solicit, Advertise, Request, Reply): the client looks for DHCPv6 servers (multicast to ff02::1:2)"),
        2 => with_addr(t, "DHCPv6 Advertise (step 2 of 4): a server offers", " its service"),
        3 => t.push_str("DHCPv6 Request (step 3 of 4): the client asks the chosen server for its address"),
        7 => with_addr(t, "DHCPv6 Reply (step 4 of 4): the server confirms", " the settings"),
        11 => t.push_str("DHCPv6 Information-request: the client has an address (SLAAC) and asks only for settings such as DNS servers"),
        5 | 6 => t.push_str("DHCPv6 Renew/Rebind: the client extends its lease"),
        8 => t.push_str("DHCPv6 Release: the client gives its address back"),
        4 => t.push_str("DHCPv6 Confirm: the client checks its address still fits the link"),
        12 => t.push_str("DHCPv6 Relay-forw: a relay agent passes a client's message to a server"),
        13 => t.push_str("DHCPv6 Relay-reply: a server's answer through a relay agent"),
        n => {
            let _ = write!(t, "DHCPv6 message type {n}");
        }
    }
    if let Some(s) = memory.summary_mut(f) {
        match inner.0 {
            2 | 7 | 13 => s.responses = s.responses.saturating_add(1),
            _ => s.requests = s.requests.saturating_add(1),
        }
        let mut name = String::new();
        write_type(&mut name, inner.0);
        s.add_words(", ", &name);
    }
    Claim::Written
}
