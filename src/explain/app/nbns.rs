//! NetBIOS Name Service in words: tshark's Info ("Name query NB WORKGROUP<1c>", "Name
//! query response NB 192.168.1.5", "Name query response, Requested name does not exist")
//! and the note: Windows' name lookups and registrations, broadcast on the local network.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{AppFrame, Claim, Memory as AppMemory, Words};
use crate::decode::app::dns::{Error, Message, Record, Section};
use crate::decode::app::nbns::{opcode_name, rcode_name, suffix_meaning, type_name, write_name};

/// The first address of an NB record (flags, then IPv4 addresses).
fn nb_address(r: &Record<'_>) -> Option<Ipv4Addr> {
    let d = r.data();
    let a: [u8; 4] = d.get(2..6)?.try_into().ok()?;
    Some(Ipv4Addr::from(a))
}

/// Writes tshark's NBNS Info; an error when a record runs past the bytes.
pub fn write_info(out: &mut String, m: &Message<'_>) -> Result<(), Error> {
    let h = m.header;
    out.push_str(opcode_name(h.opcode()));
    if h.is_response() {
        out.push_str(" response");
        if h.rcode() != 0 {
            out.push_str(", ");
            out.push_str(rcode_name(h.rcode()));
        }
    }
    // tshark shows the questions of a request and the answers, nothing of a WACK.
    if h.opcode() == 7 {
        return Ok(());
    }
    for r in m.records() {
        let r = r?;
        match r.section {
            Section::Question if !h.is_response() => {
                out.push(' ');
                out.push_str(type_name(r.rtype));
                out.push(' ');
                write_name(out, &r.name, m.bytes)?;
            }
            Section::Answer => {
                out.push(' ');
                out.push_str(type_name(r.rtype));
                if r.rtype == 32
                    && let Some(a) = nb_address(&r)
                {
                    let _ = write!(out, " {a}");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The first question's (or answer's) name, and its type byte.
fn first_name(m: &Message<'_>, out: &mut String) -> Option<u8> {
    let r = m.records().next()?.ok()?;
    write_name(out, &r.name, m.bytes).ok()?;
    out.rsplit_once('<')
        .and_then(|(_, t)| u8::from_str_radix(t.trim_end_matches('>'), 16).ok())
}

/// Protocol, Info and note of an NBNS frame.
pub fn write(memory: &mut AppMemory, f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    w.protocol.clear();
    w.protocol.push_str(f.proto.name());
    let Ok(m) = Message::parse(f.l4, f.payload) else {
        w.info.push_str(f.short_suffix());
        let _ = write!(
            w.text,
            "NBNS: {} bytes, too short for the 12-byte header",
            f.payload.len()
        );
        return Claim::Written;
    };
    if write_info(w.info, &m).is_err() {
        w.info.push_str(f.short_suffix());
    }
    let h = m.header;
    let mut name = String::new();
    let kind = first_name(&m, &mut name);
    let what = kind.map_or("a NetBIOS service", suffix_meaning);
    let text = &mut *w.text;
    match (h.is_response(), h.opcode()) {
        (false, 0) => {
            let _ = write!(
                text,
                "NBNS query (Windows name lookup): who has the NetBIOS name {name} ({what})?"
            );
        }
        (true, 0) if h.rcode() != 0 => {
            let _ = write!(text, "NBNS answer: {}", rcode_name(h.rcode()));
        }
        (true, 0) => {
            let addr = m
                .records()
                .flatten()
                .find(|r| r.section == Section::Answer && r.rtype == 32)
                .and_then(|r| nb_address(&r));
            match addr {
                Some(a) => {
                    let _ = write!(text, "NBNS answer: {name} is {a}");
                }
                None => {
                    let _ = write!(text, "NBNS answer about {name}");
                }
            }
        }
        (false, 5 | 8 | 9 | 15) => {
            let _ = write!(
                text,
                "NBNS registration: this host claims the NetBIOS name {name} ({what}) on the local network"
            );
        }
        (false, 6) => {
            let _ = write!(text, "NBNS release: this host gives up the name {name}");
        }
        (true, _) if h.rcode() != 0 => {
            let _ = write!(
                text,
                "NBNS {} refused: {}",
                opcode_name(h.opcode()),
                rcode_name(h.rcode())
            );
        }
        _ => {
            let _ = write!(text, "NBNS {}", opcode_name(h.opcode()));
            if !name.is_empty() {
                let _ = write!(text, " for {name}");
            }
        }
    }
    if let Some(s) = memory.summary_mut(f) {
        if h.is_response() {
            s.responses = s.responses.saturating_add(1);
            if h.rcode() != 0 {
                s.errors = s.errors.saturating_add(1);
            }
        } else {
            s.requests = s.requests.saturating_add(1);
            if !name.is_empty() && !s.words.split(", ").any(|n| n == name) {
                s.add_words(", ", &name);
            }
        }
    }
    Claim::Written
}
