//! DNS messages (RFC 1035), as carried by DNS, mDNS (RFC 6762), LLMNR (RFC 4795) and
//! NetBIOS names (RFC 1002): the header, and the questions and resource records read in
//! place, names followed through their compression pointers. Zero-copy and allocation-free:
//! names are written into the caller's buffer. Bounded: a name follows at most
//! [`MAX_POINTERS`] pointers and writes at most [`MAX_NAME_BYTES`]; a record that runs past
//! the bytes ends the walk with an error, never a panic.
//!
//! Hand-written rather than `simple-dns` 0.13, `hickory-proto` 0.26 or `dns-parser` 0.8,
//! chosen by measuring (`cargo bench --bench parsers` prints the table; README, "Parsers
//! chosen by measuring"). On the 95 DNS, mDNS, LLMNR and NBNS messages of the fixtures,
//! the public captures and the benchmark's made ones, getting what the Info column needs
//! (ID, flags, questions, answers with their data) takes this walker ~250 ns and no
//! allocation per message; dns-parser 1.7 times as long (1.6 allocations), simple-dns
//! 3.0 times (5.1), hickory-proto 3.6 times (2.3), in three runs alike (under load from
//! other builds the crates fell further behind: up to 3.3, 8 and 7 times). None of them panicked on the 24,288 hostile inputs (every prefix and
//! one-byte change of every message), but none covers what tshark shows: each rejects
//! the whole of the 9 messages of which tshark (and this walker) shows the header and the
//! records before the bad one (a response cut in a record, two mDNS messages cut at their
//! first IPv6 fragment, a count larger than the records there, compression loops, a
//! forward pointer, which dns-parser instead follows and reads as the root); simple-dns
//! and hickory-proto also reject a 300-byte name, simple-dns and dns-parser NBNS's NB
//! questions and answers, dns-parser a DNSSEC response over TCP; simple-dns and
//! hickory-proto write a label that holds a dot as `\.` (tshark: the dot), and
//! hickory-proto gives the rcode with the OPT record's extension (BADCOOKIE) where
//! tshark's Info names the header's (RRset exists).

use std::fmt::Write as _;

use super::{L4, be16, be32};

/// Bytes of the DNS header.
pub const HEADER_LEN: usize = 12;
/// Compression pointers one name may follow (a loop ends there).
pub const MAX_POINTERS: usize = 64;
/// Bytes of one name written at most (RFC 1035 allows 255 on the wire).
pub const MAX_NAME_BYTES: usize = 1024;

/// The fixed header of a DNS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Transaction ID: a response carries its query's.
    pub id: u16,
    /// The flags word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
    pub flags: u16,
    /// Questions.
    pub qdcount: u16,
    /// Answer records.
    pub ancount: u16,
    /// Authority records.
    pub nscount: u16,
    /// Additional records.
    pub arcount: u16,
}

impl Header {
    /// QR: a response (else a query).
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// The opcode (0 standard query, 4 notify, 5 update, ...).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0x0f) as u8
    }
    /// The response code (0 no error, 3 no such name, ...).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0x000f) as u8
    }
    /// Record count of all four sections.
    pub fn records(&self) -> u32 {
        u32::from(self.qdcount)
            + u32::from(self.ancount)
            + u32::from(self.nscount)
            + u32::from(self.arcount)
    }
}

/// A DNS message: its header and the bytes it is read from (offsets and compression
/// pointers count from the first header byte).
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The header.
    pub header: Header,
    /// The message's bytes, header included.
    pub bytes: &'a [u8],
    /// Where the message starts in the transport payload (2 after TCP's length prefix).
    pub start: usize,
    /// For TCP: the length the prefix declares.
    pub declared_len: Option<u16>,
}

/// Why a DNS message cannot be read (further).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The bytes end before the header, a record, or a name does.
    Short {
        /// Offset in the message where more bytes were needed.
        at: usize,
    },
    /// A compression pointer loops, points forward or past the end, or the name is too long.
    BadName {
        /// Offset of the name.
        at: usize,
    },
}

/// The content check: on its ports, tshark's DNS dissector takes every UDP payload, and
/// every TCP payload that can hold the 2-byte length prefix.
pub fn accepts(l4: L4, payload: &[u8]) -> bool {
    match l4 {
        L4::Udp => !payload.is_empty(),
        L4::Tcp => payload.len() >= 2,
    }
}

impl<'a> Message<'a> {
    /// Reads the message of a transport payload (over TCP, after its length prefix).
    pub fn parse(l4: L4, payload: &'a [u8]) -> Result<Message<'a>, Error> {
        let (start, declared_len) = match l4 {
            L4::Udp => (0, None),
            L4::Tcp => (2, Some(be16(payload, 0).ok_or(Error::Short { at: 0 })?)),
        };
        let bytes = payload.get(start..).ok_or(Error::Short { at: 0 })?;
        let bytes = match declared_len {
            Some(n) => bytes.get(..usize::from(n)).unwrap_or(bytes),
            None => bytes,
        };
        let word = |at| be16(bytes, at).ok_or(Error::Short { at });
        let header = Header {
            id: word(0)?,
            flags: word(2)?,
            qdcount: word(4)?,
            ancount: word(6)?,
            nscount: word(8)?,
            arcount: word(10)?,
        };
        Ok(Message {
            header,
            bytes,
            start,
            declared_len,
        })
    }

    /// For TCP: the whole message is in this payload (else tshark waits for more segments).
    pub fn complete(&self) -> bool {
        self.declared_len
            .is_none_or(|n| usize::from(n) <= self.bytes.len())
    }

    /// The questions and records, section by section, in message order. After an error
    /// the iterator yields it once and stops.
    pub fn records(&self) -> Records<'a> {
        Records {
            msg: self.bytes,
            at: HEADER_LEN,
            counts: [
                self.header.qdcount,
                self.header.ancount,
                self.header.nscount,
                self.header.arcount,
            ],
            section: 0,
            done: false,
        }
    }
}

/// The four sections of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Questions: name, type and class, no TTL nor data.
    Question,
    /// Answers.
    Answer,
    /// Authority (name servers, SOA).
    Authority,
    /// Additional records (OPT, glue addresses).
    Additional,
}

/// A name in a message, read when written.
#[derive(Debug, Clone, Copy)]
pub struct Name<'a> {
    msg: &'a [u8],
    at: usize,
}

impl<'a> Name<'a> {
    /// The name at `at` of `msg`.
    pub fn at(msg: &'a [u8], at: usize) -> Name<'a> {
        Name { msg, at }
    }

    /// Offset of the name's first byte in the message.
    pub fn offset(&self) -> usize {
        self.at
    }

    /// Writes the name as tshark does: labels joined by dots, `<Root>` for the root,
    /// bytes that are not printable ASCII as `\ooo`. Returns the bytes the name takes in
    /// place (up to and including its terminating zero or first pointer).
    pub fn write(&self, out: &mut String) -> Result<usize, Error> {
        let bad = Error::BadName { at: self.at };
        let mut at = self.at;
        let mut in_place = None;
        let mut pointers = 0;
        let mut written = 0usize;
        let start = out.len();
        loop {
            let len = *self.msg.get(at).ok_or(Error::Short { at })?;
            match len & 0xc0 {
                0x00 if len == 0 => {
                    if written == 0 {
                        out.truncate(start);
                        out.push_str("<Root>");
                    }
                    return Ok(in_place.unwrap_or(at + 1) - self.at);
                }
                0x00 => {
                    let n = usize::from(len);
                    let label = self
                        .msg
                        .get(at + 1..at + 1 + n)
                        .ok_or(Error::Short { at })?;
                    written += n + 1;
                    if written > MAX_NAME_BYTES {
                        return Err(bad);
                    }
                    if out.len() > start {
                        out.push('.');
                    }
                    for &b in label {
                        if b.is_ascii_graphic() || b == b' ' {
                            out.push(char::from(b));
                        } else {
                            let _ = write!(out, "\\{b:03o}");
                        }
                    }
                    at += 1 + n;
                }
                0xc0 => {
                    let target =
                        usize::from(be16(self.msg, at).ok_or(Error::Short { at })? & 0x3fff);
                    in_place.get_or_insert(at + 2);
                    pointers += 1;
                    // A pointer must go back (RFC 1035 4.1.4): forward ones may loop.
                    if pointers > MAX_POINTERS || target >= at {
                        return Err(bad);
                    }
                    at = target;
                }
                _ => return Err(bad),
            }
        }
    }

    /// The bytes the name takes in place, without writing it.
    pub fn skip(&self) -> Result<usize, Error> {
        let mut at = self.at;
        loop {
            let len = *self.msg.get(at).ok_or(Error::Short { at })?;
            match len & 0xc0 {
                0x00 if len == 0 => return Ok(at + 1 - self.at),
                0x00 => at += 1 + usize::from(len),
                0xc0 => {
                    self.msg.get(at + 1).ok_or(Error::Short { at })?;
                    return Ok(at + 2 - self.at);
                }
                _ => return Err(Error::BadName { at: self.at }),
            }
        }
    }
}

/// One question or resource record.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// Its section.
    pub section: Section,
    /// Its owner name.
    pub name: Name<'a>,
    /// Its type (1 A, 28 AAAA, 5 CNAME, ...).
    pub rtype: u16,
    /// Its class word (1 IN); in mDNS the top bit is "unicast response" (questions) or
    /// "cache flush" (records).
    pub class: u16,
    /// Time to live in seconds (0 for a question).
    pub ttl: u32,
    /// Offset of the data in the message, and its length (0 for a question).
    pub rdata: (usize, usize),
    /// Offset of the record's first byte, and its length.
    pub span: (usize, usize),
    /// The message the record is read from.
    pub msg: &'a [u8],
}

impl<'a> Record<'a> {
    /// The record's data (empty for a question; cut to what was captured).
    pub fn data(&self) -> &'a [u8] {
        let (at, len) = self.rdata;
        self.msg
            .get(at..at.saturating_add(len))
            .or_else(|| self.msg.get(at..))
            .unwrap_or(&[])
    }

    /// A name inside the data, `skip` bytes into it.
    pub fn data_name(&self, skip: usize) -> Name<'a> {
        Name::at(self.msg, self.rdata.0 + skip)
    }

    /// The big-endian `u16` `skip` bytes into the data.
    pub fn data_u16(&self, skip: usize) -> Option<u16> {
        be16(self.data(), skip)
    }

    /// The big-endian `u32` `skip` bytes into the data.
    pub fn data_u32(&self, skip: usize) -> Option<u32> {
        be32(self.data(), skip)
    }
}

/// The records of a message, in order (see [`Message::records`]).
#[derive(Debug, Clone)]
pub struct Records<'a> {
    msg: &'a [u8],
    at: usize,
    counts: [u16; 4],
    section: usize,
    done: bool,
}

impl<'a> Records<'a> {
    fn next_record(&mut self) -> Option<Result<Record<'a>, Error>> {
        while self.counts.get(self.section).copied()? == 0 {
            self.section += 1;
        }
        if let Some(c) = self.counts.get_mut(self.section) {
            *c -= 1;
        }
        let section = match self.section {
            0 => Section::Question,
            1 => Section::Answer,
            2 => Section::Authority,
            _ => Section::Additional,
        };
        let start = self.at;
        let name = Name::at(self.msg, start);
        let name_len = match name.skip() {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        let at = start + name_len;
        let word = |o: usize| be16(self.msg, at + o).ok_or(Error::Short { at: at + o });
        let rtype = match word(0) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let class = match word(2) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        if section == Section::Question {
            self.at = at + 4;
            return Some(Ok(Record {
                section,
                name,
                rtype,
                class,
                ttl: 0,
                rdata: (self.at, 0),
                span: (start, self.at - start),
                msg: self.msg,
            }));
        }
        let Some(ttl) = be32(self.msg, at + 4) else {
            return Some(Err(Error::Short { at: at + 4 }));
        };
        let rdlen = match word(8) {
            Ok(v) => usize::from(v),
            Err(e) => return Some(Err(e)),
        };
        let data_at = at + 10;
        let end = data_at + rdlen;
        if end > self.msg.len() {
            return Some(Err(Error::Short { at: data_at }));
        }
        self.at = end;
        Some(Ok(Record {
            section,
            name,
            rtype,
            class,
            ttl,
            rdata: (data_at, rdlen),
            span: (start, end - start),
            msg: self.msg,
        }))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_record();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

/// tshark's short name of a record type, e.g. "A", "AAAA", "PTR"; `None` for a type it
/// has no name for (it writes `Unknown (N)`).
pub fn type_name(rtype: u16) -> Option<&'static str> {
    Some(match rtype {
        1 => "A",
        2 => "NS",
        3 => "MD",
        4 => "MF",
        5 => "CNAME",
        6 => "SOA",
        7 => "MB",
        8 => "MG",
        9 => "MR",
        10 => "NULL",
        11 => "WKS",
        12 => "PTR",
        13 => "HINFO",
        14 => "MINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        19 => "X25",
        20 => "ISDN",
        21 => "RT",
        22 => "NSAP",
        23 => "NSAP-PTR",
        24 => "SIG",
        25 => "KEY",
        26 => "PX",
        27 => "GPOS",
        28 => "AAAA",
        29 => "LOC",
        30 => "NXT",
        31 => "EID",
        32 => "NIMLOC",
        33 => "SRV",
        34 => "ATMA",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        38 => "A6",
        39 => "DNAME",
        40 => "SINK",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        56 => "NINFO",
        57 => "RKEY",
        58 => "TALINK",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        100 => "UINFO",
        101 => "UID",
        102 => "GID",
        103 => "UNSPEC",
        104 => "NID",
        105 => "L32",
        106 => "L64",
        107 => "LP",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        253 => "MAILB",
        254 => "MAILA",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        258 => "AVC",
        259 => "DOA",
        260 => "AMTRELAY",
        32768 => "TA",
        32769 => "DLV",
        65281 => "WINS",
        65282 => "WINS-R",
        65521 => "INTEGRITY",
        _ => return None,
    })
}

/// tshark's name of an opcode ("Standard query", ...).
pub fn opcode_name(opcode: u8) -> Option<&'static str> {
    Some(match opcode {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        6 => "DNS Stateful operations (DSO)",
        _ => return None,
    })
}

/// tshark's name of a response code ("No such name", ...).
pub fn rcode_name(rcode: u8) -> Option<&'static str> {
    Some(match rcode {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        11 => "DSO-Type not implemented",
        _ => return None,
    })
}

/// Records the detail view's fields of a DNS, mDNS, LLMNR or NBNS message: the header
/// with every flag bit, then each question and record with its name, type, class, TTL
/// and data. Offsets from the payload's start (the caller moves them into the frame).
pub fn fields<S: crate::decode::spans::FieldSink>(
    proto: super::AppProto,
    l4: L4,
    payload: &[u8],
    s: &mut S,
) {
    use crate::decode::spans::Bits;
    if !S::ON {
        return;
    }
    let name = match proto {
        super::AppProto::Mdns => "Multicast Domain Name System",
        super::AppProto::Llmnr => "Link-local Multicast Name Resolution",
        super::AppProto::Nbns => "NetBIOS Name Service",
        _ => "Domain Name System",
    };
    s.layer(name, 0, payload.len());
    let m = match Message::parse(l4, payload) {
        Ok(m) => m,
        Err(_) => return s.cut(0, HEADER_LEN + if l4 == L4::Tcp { 2 } else { 0 }),
    };
    let h = m.header;
    let base = m.start;
    s.summary(format_args!(
        "{} 0x{:04x}",
        if h.is_response() { "response" } else { "query" },
        h.id
    ));
    if let Some(n) = m.declared_len {
        s.field(
            0,
            2,
            "Length",
            format_args!("{n} bytes"),
            "TCP carries DNS with a 2-byte length in front",
        );
    }
    s.field(
        base,
        2,
        "Transaction ID",
        format_args!("0x{:04x}", h.id),
        "chosen by the asker; the answer repeats it",
    );
    s.field(
        base + 2,
        2,
        "Flags",
        format_args!("0x{:04x}", h.flags),
        if h.is_response() {
            "a response"
        } else {
            "a query"
        },
    );
    s.open();
    let flag = |s: &mut S, mask: u16, name: &str, value: String, meaning: &str| {
        s.bits(
            base + 2,
            2,
            Bits::new(u32::from(h.flags), u32::from(mask), 16),
            name,
            value,
            meaning,
        );
    };
    let yes = |b: bool| if b { "1".to_string() } else { "0".to_string() };
    flag(
        s,
        0x8000,
        "Response",
        yes(h.is_response()),
        "1: a response, 0: a query",
    );
    let op = h.opcode();
    flag(
        s,
        0x7800,
        "Opcode",
        format!("{op} ({})", opcode_name(op).unwrap_or("unknown")),
        "what kind of request",
    );
    if h.is_response() {
        flag(
            s,
            0x0400,
            "Authoritative",
            yes(h.flags & 0x0400 != 0),
            "1: the server owns the zone of the name",
        );
    }
    flag(
        s,
        0x0200,
        "Truncated",
        yes(h.flags & 0x0200 != 0),
        "1: the answer did not fit (ask again over TCP)",
    );
    flag(
        s,
        0x0100,
        "Recursion desired",
        yes(h.flags & 0x0100 != 0),
        "1: the asker wants the server to look the name up for it",
    );
    if h.is_response() {
        flag(
            s,
            0x0080,
            "Recursion available",
            yes(h.flags & 0x0080 != 0),
            "1: the server does look names up for others",
        );
    }
    flag(s, 0x0040, "Z", yes(h.flags & 0x0040 != 0), "reserved (0)");
    flag(
        s,
        0x0020,
        "Answer authenticated",
        yes(h.flags & 0x0020 != 0),
        "1: DNSSEC checked the answer",
    );
    flag(
        s,
        0x0010,
        "Non-authenticated data",
        yes(h.flags & 0x0010 != 0),
        "1: the asker accepts data DNSSEC did not check",
    );
    if h.is_response() {
        let rc = h.rcode();
        flag(
            s,
            0x000f,
            "Reply code",
            format!("{rc} ({})", rcode_name(rc).unwrap_or("unknown")),
            if rc == 0 {
                "no error"
            } else {
                "the server reports an error"
            },
        );
    }
    s.close();
    s.field(base + 4, 2, "Questions", h.qdcount, "names asked about");
    s.field(
        base + 6,
        2,
        "Answer RRs",
        h.ancount,
        "records that answer the question",
    );
    s.field(
        base + 8,
        2,
        "Authority RRs",
        h.nscount,
        "records naming who is authoritative",
    );
    s.field(
        base + 10,
        2,
        "Additional RRs",
        h.arcount,
        "extra records (EDNS OPT, addresses of name servers)",
    );
    let mut section = None;
    for r in m.records() {
        let r = match r {
            Ok(r) => r,
            Err(Error::Short { at }) | Err(Error::BadName { at }) => {
                if section.is_some() {
                    s.close();
                }
                return s.cut(base + at, 1);
            }
        };
        if section != Some(r.section) {
            if section.is_some() {
                s.close();
            }
            let title = match r.section {
                Section::Question => "Queries",
                Section::Answer => "Answers",
                Section::Authority => "Authoritative nameservers",
                Section::Additional => "Additional records",
            };
            s.field(base + r.span.0, 0, title, "", "");
            s.open();
            section = Some(r.section);
        }
        let mut owner = String::new();
        if proto == super::AppProto::Nbns {
            let _ = super::nbns::write_name(&mut owner, &r.name, m.bytes);
        } else {
            let _ = r.name.write(&mut owner);
        }
        let tname = type_name(r.rtype).unwrap_or("Unknown");
        let class = match r.class & 0x7fff {
            1 => "IN",
            3 => "CH",
            4 => "HS",
            254 => "NONE",
            255 => "ANY",
            _ => "?",
        };
        let mut data = String::new();
        if r.section != Section::Question {
            match r.rtype {
                1 | 28 => {
                    if let Ok(a) = <[u8; 4]>::try_from(r.data()) {
                        let _ = write!(data, "addr {}", std::net::Ipv4Addr::from(a));
                    } else if let Ok(a) = <[u8; 16]>::try_from(r.data()) {
                        let _ = write!(data, "addr {}", std::net::Ipv6Addr::from(a));
                    }
                }
                2 | 5 | 12 | 39 => {
                    let _ = r.data_name(0).write(&mut data);
                }
                _ => {}
            }
        }
        s.field(
            base + r.span.0,
            r.span.1,
            format_args!("{owner}: type {tname}, class {class}"),
            &data,
            "",
        );
        s.open();
        s.field(
            base + r.span.0,
            r.name.skip().unwrap_or(0),
            "Name",
            &owner,
            "",
        );
        let after = base + r.span.0 + r.name.skip().unwrap_or(0);
        s.field(
            after,
            2,
            "Type",
            format_args!("{tname} ({})", r.rtype),
            asks_meaning(r.rtype),
        );
        s.field(
            after + 2,
            2,
            "Class",
            format_args!("{class} (0x{:04x})", r.class),
            "IN: the Internet",
        );
        if r.section != Section::Question {
            s.field(
                after + 4,
                4,
                "Time to live",
                format_args!("{} s", r.ttl),
                "how long the answer may be cached",
            );
            s.field(
                after + 8,
                2,
                "Data length",
                r.rdata.1,
                "bytes of data that follow",
            );
            if !data.is_empty() {
                s.field(base + r.rdata.0, r.rdata.1, "Data", &data, "");
            }
        }
        s.close();
    }
    if section.is_some() {
        s.close();
    }
}

/// What a record type holds, for the detail view.
fn asks_meaning(rtype: u16) -> &'static str {
    match rtype {
        1 => "an IPv4 address",
        28 => "an IPv6 address",
        5 => "an alias: the canonical name",
        12 => "a name for an address (reverse lookup)",
        15 => "a mail server",
        2 => "a name server",
        6 => "the zone's start of authority",
        16 => "text",
        33 => "a service's host and port",
        41 => "EDNS options (not a record of the zone)",
        32 => "NetBIOS name and address",
        _ => "",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A query for the A record of example.com, id 0x1234, recursion desired.
    pub const QUERY_A: [u8; 29] = [
        0x12, 0x34, 0x01, 0x00, // id, flags: RD
        0x00, 0x01, 0x00, 0x00, // 1 question, 0 answers
        0x00, 0x00, 0x00, 0x00, // 0 authority, 0 additional
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // example.com
        0x00, 0x01, 0x00, 0x01, // type A, class IN
    ];

    /// Its answer: example.com A 93.184.216.34, TTL 300, the name as a pointer to 12.
    pub const ANSWER_A: [u8; 45] = [
        0x12, 0x34, 0x81, 0x80, // id, flags: QR RD RA
        0x00, 0x01, 0x00, 0x01, // 1 question, 1 answer
        0x00, 0x00, 0x00, 0x00, // 0 authority, 0 additional
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // example.com
        0x00, 0x01, 0x00, 0x01, // type A, class IN
        0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, // pointer to 12, type A, class IN
        0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, // TTL 300, 4 bytes of data
        93, 184, 216, 34, // the address
    ];

    fn names(bytes: &[u8]) -> Vec<String> {
        let m = Message::parse(L4::Udp, bytes).expect("header");
        m.records()
            .map(|r| {
                let mut s = String::new();
                match r {
                    Ok(r) => {
                        let _ = r.name.write(&mut s);
                    }
                    Err(e) => s = format!("{e:?}"),
                }
                s
            })
            .collect()
    }

    #[test]
    fn test_query_and_answer_walk() {
        let m = Message::parse(L4::Udp, &ANSWER_A).expect("header");
        assert!(m.header.is_response());
        assert_eq!(m.header.id, 0x1234);
        let recs: Vec<_> = m.records().collect::<Result<_, _>>().expect("records");
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].section, Section::Answer);
        assert_eq!(recs[1].ttl, 300);
        assert_eq!(recs[1].data(), &[93, 184, 216, 34]);
        assert_eq!(names(&ANSWER_A), ["example.com", "example.com"]);
    }

    #[test]
    fn test_pointer_loop_is_an_error() {
        let mut m = QUERY_A.to_vec();
        // The question's name: a pointer to itself.
        m.truncate(12);
        m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        let msg = Message::parse(L4::Udp, &m).expect("header");
        let r = msg.records().next().expect("one").expect("in place");
        assert_eq!(
            r.name.write(&mut String::new()),
            Err(Error::BadName { at: 12 })
        );
    }

    #[test]
    fn test_every_prefix_no_panic() {
        for n in 0..=ANSWER_A.len() {
            let b = ANSWER_A.get(..n).unwrap_or(&[]);
            for l4 in [L4::Udp, L4::Tcp] {
                if let Ok(m) = Message::parse(l4, b) {
                    for r in m.records().flatten() {
                        let _ = r.name.write(&mut String::new());
                        let _ = r.data();
                    }
                }
            }
        }
    }

    #[test]
    fn test_tcp_length_prefix() {
        let mut b = vec![0, 29];
        b.extend_from_slice(&QUERY_A);
        let m = Message::parse(L4::Tcp, &b).expect("header");
        assert!(m.complete());
        assert_eq!(m.start, 2);
        let m = Message::parse(L4::Tcp, b.get(..20).unwrap_or(&[])).expect("header");
        assert!(!m.complete());
    }
}
