//! DNS, mDNS and LLMNR in words: tshark's Info ("Standard query 0x1234 A example.com",
//! "Standard query response 0x1234 A example.com A 93.184.216.34"), the note ("DNS query:
//! asks for the IPv4 address (A) of example.com", "DNS answer to frame 12 after 8.3 ms:
//! example.com is 93.184.216.34 (TTL 300 s)") and the verdict ("DNS: 2 queries, 2
//! answers"). Queries wait for their answer in a bounded table.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{AppFrame, AppSummary, Claim, Memory as AppMemory, Words, write_elapsed};
use crate::decode::app::AppProto;
use crate::decode::app::dns::{
    Error, Message, Record, Section, opcode_name, rcode_name, type_name,
};
use crate::source::Timestamp;
use crate::track::Proto;

/// Queries remembered while their answer is awaited; beyond, the table is emptied.
pub const MAX_PENDING_QUERIES: usize = 4096;

/// Queries awaiting their answer: by conversation and transaction ID, the query's frame
/// number and time.
#[derive(Debug, Default)]
pub struct Memory {
    pending: HashMap<(Proto, u64, u16), (u64, Timestamp)>,
}

/// What a record type asks for, in words ("the IPv4 address").
fn asks_for(rtype: u16) -> &'static str {
    match rtype {
        1 => "the IPv4 address",
        28 => "the IPv6 address",
        5 => "the canonical name (alias target)",
        12 => "the name",
        15 => "the mail servers",
        2 => "the name servers",
        6 => "the zone's authority (SOA)",
        16 => "the text records",
        33 => "the service location",
        255 => "every record",
        65 => "the HTTPS service parameters",
        64 => "the service binding",
        _ => "the records",
    }
}

/// The protocol's name in a note.
fn label(proto: AppProto) -> &'static str {
    match proto {
        AppProto::Mdns => "mDNS",
        AppProto::Llmnr => "LLMNR",
        AppProto::Nbns => "NBNS",
        _ => "DNS",
    }
}

/// Writes the type column of a record: its name or `Unknown (N)`.
fn write_type(out: &mut String, rtype: u16) {
    match type_name(rtype) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "Unknown ({rtype})");
        }
    }
}

/// Writes what tshark shows of a record's data after its type: the address, the name
/// it points to, `pref name` of MX, `prio weight port target` of SRV; nothing for others.
fn write_data(out: &mut String, r: &Record<'_>) -> Result<(), Error> {
    let d = r.data();
    match r.rtype {
        1 => {
            if let Ok(a) = <[u8; 4]>::try_from(d) {
                let _ = write!(out, " {}", Ipv4Addr::from(a));
            }
        }
        28 => {
            if let Ok(a) = <[u8; 16]>::try_from(d) {
                let _ = write!(out, " {}", Ipv6Addr::from(a));
            }
        }
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 | 6 => {
            out.push(' ');
            r.data_name(0).write(out)?;
        }
        15 => {
            if let Some(pref) = r.data_u16(0) {
                let _ = write!(out, " {pref} ");
                r.data_name(2).write(out)?;
            }
        }
        33 => {
            if let (Some(prio), Some(weight), Some(port)) =
                (r.data_u16(0), r.data_u16(2), r.data_u16(4))
            {
                let _ = write!(out, " {prio} {weight} {port} ");
                r.data_name(6).write(out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Writes tshark's Info of a DNS, mDNS or LLMNR message; an error when a record or
/// name cannot be read (the caller appends tshark's suffix).
pub fn write_info(out: &mut String, m: &Message<'_>, mdns: bool) -> Result<(), Error> {
    let h = m.header;
    match opcode_name(h.opcode()) {
        Some(n) => out.push_str(n),
        None => {
            let _ = write!(out, "Unknown operation ({})", h.opcode());
        }
    }
    if h.is_response() {
        out.push_str(" response");
    }
    let _ = write!(out, " 0x{:04x}", h.id);
    if h.is_response() && h.rcode() != 0 {
        match rcode_name(h.rcode()) {
            Some(n) => {
                out.push(' ');
                out.push_str(n);
            }
            None => {
                let _ = write!(out, " Unknown error ({})", h.rcode());
            }
        }
    }
    for r in m.records() {
        let r = r?;
        out.push(' ');
        write_type(out, r.rtype);
        if r.section == Section::Question {
            out.push(' ');
            r.name.write(out)?;
            if mdns {
                out.push_str(if r.class & 0x8000 != 0 {
                    ", \"QU\" question"
                } else {
                    ", \"QM\" question"
                });
            }
        } else {
            if mdns && r.class & 0x8000 != 0 && r.rtype != 41 {
                out.push_str(", cache flush");
            }
            write_data(out, &r)?;
        }
    }
    Ok(())
}

/// The first question's name and type, written into `name`.
fn first_question(m: &Message<'_>, name: &mut String) -> Option<u16> {
    let q = m.records().next()?.ok()?;
    if q.section != Section::Question {
        return None;
    }
    q.name.write(name).ok()?;
    Some(q.rtype)
}

/// Writes the note of a query: "DNS query: asks for the IPv4 address (A) of example.com".
fn query_note(out: &mut String, f: &AppFrame<'_, '_>, m: &Message<'_>) {
    let mut name = String::new();
    let what = label(f.proto);
    match first_question(m, &mut name) {
        Some(rtype) => {
            let _ = write!(out, "{what} query: asks for {} (", asks_for(rtype));
            write_type(out, rtype);
            let _ = write!(out, ") of {name}");
            if m.header.qdcount > 1 {
                let _ = write!(out, ", and {} more questions", m.header.qdcount - 1);
            }
        }
        None if m.header.ancount > 0 => {
            let _ = write!(
                out,
                "{what} announcement: {} record(s) offered without a question",
                m.header.ancount
            );
        }
        None => {
            let _ = write!(out, "{what} query with no question");
        }
    }
    if f.proto == AppProto::Mdns {
        out.push_str("; mDNS: devices announcing themselves on the local network (multicast)");
    }
}

/// Writes what the answer says: "example.com is 93.184.216.34 (TTL 300 s)", the first
/// answers only.
fn answer_words(out: &mut String, m: &Message<'_>) {
    let mut shown = 0;
    let mut name = String::new();
    for r in m.records().flatten() {
        if r.section != Section::Answer {
            continue;
        }
        if shown == 3 {
            let _ = write!(out, ", and {} more", m.header.ancount.saturating_sub(3));
            return;
        }
        if shown > 0 {
            out.push_str(", ");
        }
        name.clear();
        let _ = r.name.write(&mut name);
        out.push_str(&name);
        match r.rtype {
            1 | 28 => out.push_str(" is"),
            5 => out.push_str(" is an alias of"),
            12 => out.push_str(" is named"),
            15 => out.push_str(" has mail server"),
            2 => out.push_str(" has name server"),
            _ => {
                out.push_str(" has a ");
                write_type(out, r.rtype);
                out.push_str(" record");
            }
        }
        let mut data = String::new();
        if write_data(&mut data, &r).is_ok() {
            out.push_str(&data);
        }
        let _ = write!(out, " (TTL {} s)", r.ttl);
        shown += 1;
    }
    if shown == 0 {
        out.push_str("no answer records");
        if m.header.nscount > 0 {
            out.push_str(" (the authority section says who knows)");
        }
    }
}

/// Writes the note of a response, pairing it with its query.
fn response_note(
    out: &mut String,
    f: &AppFrame<'_, '_>,
    m: &Message<'_>,
    query: Option<(u64, Timestamp)>,
) {
    let what = label(f.proto);
    match query {
        Some((n, ts)) => {
            let _ = write!(out, "{what} answer to frame {n} after ");
            write_elapsed(out, ts, f.frame.ts);
            out.push_str(": ");
        }
        None => {
            let _ = write!(out, "{what} answer: ");
        }
    }
    let rcode = m.header.rcode();
    if rcode == 3 {
        let mut name = String::new();
        if first_question(m, &mut name).is_some() {
            let _ = write!(out, "{name} does not exist (No such name)");
        } else {
            out.push_str("the name does not exist (No such name)");
        }
    } else if rcode != 0 {
        let _ = write!(
            out,
            "the server reports an error ({})",
            rcode_name(rcode).unwrap_or("unknown error")
        );
    } else {
        answer_words(out, m);
    }
    if f.proto == AppProto::Mdns && query.is_none() {
        out.push_str("; mDNS: devices announcing themselves on the local network (multicast)");
    }
}

/// Protocol, Info and note of a DNS, mDNS or LLMNR frame.
pub fn write(memory: &mut AppMemory, f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    let Ok(m) = Message::parse(f.l4, f.payload) else {
        return short(f, w);
    };
    if !m.complete() {
        // The rest is in later segments: tshark marks the segment and waits.
        return Claim::Declined;
    }
    w.protocol.clear();
    w.protocol.push_str(f.proto.name());
    if write_info(w.info, &m, f.proto == AppProto::Mdns).is_err() {
        w.info.push_str(f.short_suffix());
    }
    let key = f.conversation().map(|(p, s)| (p, s, m.header.id));
    let h = m.header;
    if h.is_response() {
        let query = key.and_then(|k| memory.dns.pending.remove(&k));
        response_note(w.text, f, &m, query);
        if let Some(s) = memory.summary_mut(f) {
            s.responses = s.responses.saturating_add(1);
            if h.rcode() != 0 {
                s.errors = s.errors.saturating_add(1);
            }
        }
    } else {
        if let Some(k) = key {
            if memory.dns.pending.len() >= MAX_PENDING_QUERIES {
                memory.dns.pending.clear();
            }
            memory.dns.pending.insert(k, (f.frame.number, f.frame.ts));
        }
        query_note(w.text, f, &m);
        let mut name = String::new();
        let asked = first_question(&m, &mut name).is_some();
        if let Some(s) = memory.summary_mut(f) {
            s.requests = s.requests.saturating_add(1);
            if asked && !s.words.split(", ").any(|n| n == name) {
                s.add_words(", ", &name);
            }
        }
    }
    Claim::Written
}

/// A payload too short for the DNS header: tshark's DNS with its suffix.
fn short(f: &AppFrame<'_, '_>, w: &mut Words<'_>) -> Claim {
    if f.l4 == crate::decode::app::L4::Tcp {
        return Claim::Declined;
    }
    w.protocol.clear();
    w.protocol.push_str(f.proto.name());
    w.info.push_str(f.short_suffix());
    let _ = write!(
        w.text,
        "{}: {} bytes, too short for the 12-byte DNS header",
        label(f.proto),
        f.payload.len()
    );
    Claim::Written
}

fn plural(n: u32, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// The verdict: "DNS: 2 queries, 2 answers for example.com" (also of mDNS, LLMNR and
/// NBNS conversations).
pub fn verdict(s: &AppSummary) -> String {
    let what = label(s.proto.unwrap_or(AppProto::Dns));
    let mut out = format!("{what}: ");
    match (s.requests, s.responses) {
        (0, r) => {
            let _ = write!(
                out,
                "{r} {} whose query was not captured",
                plural(r, "answer", "answers")
            );
        }
        (q, 0) => {
            let _ = write!(out, "{q} {}, no answer", plural(q, "query", "queries"));
        }
        (q, r) => {
            let _ = write!(
                out,
                "{q} {}, {r} {}",
                plural(q, "query", "queries"),
                plural(r, "answer", "answers")
            );
        }
    }
    if s.errors > 0 {
        let _ = write!(out, " ({} with an error)", s.errors);
    }
    if !s.words.is_empty() {
        let _ = write!(out, " for {}", s.words);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::app::L4;
    use crate::decode::app::dns::tests::{ANSWER_A, QUERY_A};

    fn info(bytes: &[u8], mdns: bool) -> String {
        let m = Message::parse(L4::Udp, bytes).expect("header");
        let mut s = String::new();
        let r = write_info(&mut s, &m, mdns);
        if r.is_err() {
            s.push_str("<err>");
        }
        s
    }

    #[test]
    fn test_query_info() {
        assert_eq!(info(&QUERY_A, false), "Standard query 0x1234 A example.com");
        assert_eq!(
            info(&QUERY_A, true),
            "Standard query 0x1234 A example.com, \"QM\" question"
        );
    }

    #[test]
    fn test_answer_info() {
        assert_eq!(
            info(&ANSWER_A, false),
            "Standard query response 0x1234 A example.com A 93.184.216.34"
        );
    }

    #[test]
    fn test_no_such_name_info() {
        let mut b = ANSWER_A.to_vec();
        b[3] = 0x83; // rcode 3
        b[7] = 0; // no answer
        b.truncate(29);
        assert_eq!(
            info(&b, false),
            "Standard query response 0x1234 No such name A example.com"
        );
    }

    #[test]
    fn test_cut_answer_is_an_error() {
        assert_eq!(
            info(ANSWER_A.get(..40).unwrap_or(&[]), false),
            "Standard query response 0x1234 A example.com<err>"
        );
    }
}
