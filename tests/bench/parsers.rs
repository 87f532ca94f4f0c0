//! The parser benchmark of issue 14 (`cargo bench --bench parsers`): wirelab's own DNS
//! walker (`decode::app::dns`) against simple-dns, hickory-proto and dns-parser, and its
//! DHCP reader (`decode::app::dhcp`) against dhcproto, on every DNS, mDNS, LLMNR, NBNS
//! and DHCP message of `fixtures/` and `../shared/captures/public`, plus a few made
//! messages for what the captures lack (mDNS bits, LLMNR, NBNS, compression loops,
//! cuts). For each parser it prints: the time per message to get what the Info column
//! needs (ID, flags, question name and type, answers with their data; for DHCP the
//! message type, transaction ID, addresses), the heap allocations per message, the
//! messages it reads whole, reads in part or rejects, panics on every prefix and on
//! every one-byte change of every message, and the messages where its Info words differ
//! from wirelab's. Times: the best of several rounds, over the messages every parser
//! reads whole, so that each does the same work; compare ratios within one run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wirelab::decode::app::L4;
use wirelab::decode::app::{dhcp, dns};
use wirelab::decode::{Transport, decode};
use wirelab::source::FileSource;

/// Counts allocations (all threads; the counting phases run on one thread).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What a message was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Dns,
    DnsTcp,
    Mdns,
    Llmnr,
    Nbns,
    /// Made: cut, looping or otherwise damaged.
    Malformed,
    Dhcp,
    DhcpMalformed,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Dns => "DNS/UDP",
            Kind::DnsTcp => "DNS/TCP",
            Kind::Mdns => "mDNS",
            Kind::Llmnr => "LLMNR",
            Kind::Nbns => "NBNS",
            Kind::Malformed => "DNS damaged",
            Kind::Dhcp => "DHCP/BOOTP",
            Kind::DhcpMalformed => "DHCP damaged",
        }
    }
}

/// One message: its kind, where it came from, the transport payload (with TCP's length
/// prefix) and the message bytes (without it).
struct Msg {
    kind: Kind,
    from: String,
    payload: Vec<u8>,
    body: Vec<u8>,
}

/// How far a parser got.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Every record read: the Info words.
    Whole(String),
    /// The header and the records before a damaged one (wirelab only; tshark shows as much).
    Part(String),
    Rejected,
    Panicked,
}

/// What a parser says of a message (its Info words in the buffer it is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Whole,
    Part,
    Rejected,
}

type Parser = fn(&Msg, &mut String) -> Status;

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        root.join("fixtures"),
        root.join("../shared/captures/public"),
    ] {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !n.contains(".oracle.") && (n.ends_with(".pcap") || n.ends_with(".pcapng")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn collect() -> Vec<Msg> {
    let mut out = Vec::new();
    for path in captures() {
        let Ok(mut src) = FileSource::open(&path) else {
            continue;
        };
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        while let Ok(Some(frame)) = src.next_frame() {
            let p = decode(&frame);
            let Some((sp, dp)) = p.ports() else { continue };
            let has = |port: u16| sp == port || dp == port;
            let from = format!("{name}#{}", frame.number);
            match &p.transport {
                Transport::Udp(_) if p.payload.is_empty() => {}
                Transport::Udp(_) => {
                    let kind = if has(53) {
                        Kind::Dns
                    } else if has(5353) {
                        Kind::Mdns
                    } else if has(5355) {
                        Kind::Llmnr
                    } else if has(137) {
                        Kind::Nbns
                    } else if has(67) || has(68) {
                        Kind::Dhcp
                    } else {
                        continue;
                    };
                    out.push(Msg {
                        kind,
                        from,
                        payload: p.payload.to_vec(),
                        body: p.payload.to_vec(),
                    });
                }
                Transport::Tcp(_) if has(53) && p.payload.len() > 2 => {
                    let n = usize::from(u16::from_be_bytes([p.payload[0], p.payload[1]]));
                    let body = p.payload[2..].get(..n).unwrap_or(&p.payload[2..]);
                    out.push(Msg {
                        kind: Kind::DnsTcp,
                        from,
                        payload: p.payload.to_vec(),
                        body: body.to_vec(),
                    });
                }
                _ => {}
            }
        }
    }
    out.extend(made());
    out
}

/// A name in wire form (no compression).
fn wire_name(name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    for l in name.split('.').filter(|l| !l.is_empty()) {
        v.push(l.len() as u8);
        v.extend_from_slice(l.as_bytes());
    }
    v.push(0);
    v
}

/// A message with one question and the given answer records (name, type, class, data).
fn message(
    id: u16,
    flags: u16,
    q: (&str, u16, u16),
    answers: &[(Vec<u8>, u16, u16, Vec<u8>)],
) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [id, flags, 1, answers.len() as u16, 0, 0] {
        v.extend_from_slice(&w.to_be_bytes());
    }
    v.extend(wire_name(q.0));
    v.extend_from_slice(&q.1.to_be_bytes());
    v.extend_from_slice(&q.2.to_be_bytes());
    for (name, t, c, data) in answers {
        v.extend_from_slice(name);
        v.extend_from_slice(&t.to_be_bytes());
        v.extend_from_slice(&c.to_be_bytes());
        v.extend_from_slice(&120u32.to_be_bytes());
        v.extend_from_slice(&(data.len() as u16).to_be_bytes());
        v.extend_from_slice(data);
    }
    v
}

/// NetBIOS first-level encoding of a 16-byte name (RFC 1001 14.1).
fn nb_encode(name: &str) -> String {
    let mut raw = [b' '; 16];
    raw[15] = 0;
    for (i, b) in name.bytes().take(15).enumerate() {
        raw[i] = b;
    }
    raw.iter()
        .flat_map(|b| [char::from(b'A' + (b >> 4)), char::from(b'A' + (b & 15))])
        .collect()
}

/// Messages the captures lack: mDNS with its class bits, LLMNR, NBNS, and damage.
fn made() -> Vec<Msg> {
    let ptr = |to: u16| (0xc000 | to).to_be_bytes().to_vec();
    let mk = |kind, from: &str, body: Vec<u8>| Msg {
        kind,
        from: format!("made:{from}"),
        payload: body.clone(),
        body,
    };
    let mut v = vec![
        mk(
            Kind::Mdns,
            "mdns-qu-query",
            message(0, 0, ("_ipp._tcp.local", 12, 0x8001), &[]),
        ),
        mk(
            Kind::Mdns,
            "mdns-cache-flush-answer",
            message(
                0,
                0x8400,
                ("printer.local", 1, 1),
                &[(ptr(12), 1, 0x8001, vec![192, 168, 1, 9])],
            ),
        ),
        mk(
            Kind::Llmnr,
            "llmnr-query",
            message(0x1234, 0, ("wpad", 1, 1), &[]),
        ),
        mk(
            Kind::Llmnr,
            "llmnr-answer",
            message(
                0x1234,
                0x8000,
                ("wpad", 28, 1),
                &[(ptr(12), 28, 1, Ipv6Addr::LOCALHOST.octets().to_vec())],
            ),
        ),
        mk(
            Kind::Nbns,
            "nbns-name-query",
            message(0x8101, 0x0110, (&nb_encode("WORKGROUP"), 32, 1), &[]),
        ),
        mk(
            Kind::Nbns,
            "nbns-answer-nb",
            message(
                0x8101,
                0x8500,
                (&nb_encode("FILESRV"), 32, 1),
                &[(ptr(12), 32, 1, vec![0x00, 0x00, 10, 0, 0, 5])],
            ),
        ),
        mk(
            Kind::Nbns,
            "nbns-nbstat",
            message(0x8102, 0x0000, (&nb_encode("*"), 33, 1), &[]),
        ),
    ];
    // Damage: a pointer to itself, a forward pointer, two pointers to each other.
    let mut self_loop = message(1, 0x8180, ("a.test", 1, 1), &[]);
    self_loop.truncate(12);
    self_loop.extend(ptr(12));
    self_loop.extend_from_slice(&[0, 1, 0, 1]);
    v.push(mk(Kind::Malformed, "pointer-to-itself", self_loop));
    let mut mutual = message(2, 0x8180, ("a.test", 1, 1), &[]);
    mutual.truncate(12);
    mutual.extend_from_slice(&[1, b'a']);
    mutual.extend(ptr(16)); // 14: -> 16
    mutual.extend(ptr(14)); // 16: -> 14
    mutual.extend_from_slice(&[0, 1, 0, 1]);
    v.push(mk(Kind::Malformed, "pointers-to-each-other", mutual));
    let mut forward = message(3, 0x8180, ("a.test", 1, 1), &[]);
    forward.truncate(12);
    forward.extend(ptr(30));
    forward.extend_from_slice(&[0, 1, 0, 1]);
    forward.resize(40, 0);
    v.push(mk(Kind::Malformed, "forward-pointer", forward));
    // An answer cut in its data (the first answer whole): tshark shows the question
    // and the first answer, then "Malformed".
    let mut cut = message(
        4,
        0x8180,
        ("two.test", 1, 1),
        &[
            (ptr(12), 1, 1, vec![10, 0, 0, 1]),
            (ptr(12), 1, 1, vec![10, 0, 0, 2]),
        ],
    );
    cut.truncate(cut.len() - 2);
    v.push(mk(Kind::Malformed, "second-answer-cut", cut));
    // A count larger than the records there.
    let mut overcount = message(
        5,
        0x8180,
        ("c.test", 1, 1),
        &[(ptr(12), 1, 1, vec![1, 2, 3, 4])],
    );
    overcount[7] = 3;
    v.push(mk(Kind::Malformed, "ancount-too-large", overcount));
    // A label of 0x40 (reserved label type).
    let mut badlabel = message(6, 0, ("x.test", 1, 1), &[]);
    badlabel[12] = 0x41;
    v.push(mk(Kind::Malformed, "reserved-label-type", badlabel));
    // A name of 300 bytes (over RFC 1035's 255).
    let long = vec!["a".repeat(60); 5].join(".");
    v.push(mk(
        Kind::Malformed,
        "name-over-255",
        message(7, 0, (&long, 1, 1), &[]),
    ));
    // Header only, header cut.
    v.push(mk(Kind::Malformed, "header-cut", vec![0x12, 0x34, 0x01]));
    // DHCP damage: options cut in a value, no end option, BOOTP without a cookie, the
    // fixed part cut.
    let mut discover = vec![0u8; 240];
    discover[0] = 1;
    discover[1] = 1;
    discover[2] = 6;
    discover[4..8].copy_from_slice(&0xdead_beefu32.to_be_bytes());
    discover[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
    discover[236..240].copy_from_slice(&dhcp::MAGIC_COOKIE);
    let mut opts_cut = discover.clone();
    opts_cut.extend_from_slice(&[53, 1, 1, 12, 8, b'h', b'o']);
    v.push(mk(Kind::DhcpMalformed, "dhcp-option-cut", opts_cut));
    let mut no_end = discover.clone();
    no_end.extend_from_slice(&[53, 1, 1, 50, 4, 10, 0, 0, 7]);
    v.push(mk(Kind::DhcpMalformed, "dhcp-no-end-option", no_end));
    let mut bootp = discover.clone();
    bootp[236..240].copy_from_slice(&[0, 0, 0, 0]);
    bootp.resize(300, 0);
    v.push(mk(Kind::DhcpMalformed, "bootp-no-cookie", bootp));
    let mut fixed_cut = discover;
    fixed_cut.truncate(100);
    v.push(mk(Kind::DhcpMalformed, "dhcp-fixed-part-cut", fixed_cut));
    v
}

fn is_dhcp(k: Kind) -> bool {
    matches!(k, Kind::Dhcp | Kind::DhcpMalformed)
}

/// Root and trailing dots written as wirelab (and tshark) write them.
fn push_name(out: &mut String, name: &dyn std::fmt::Display) {
    let start = out.len();
    let _ = write!(out, "{name}");
    if out.len() > start + 1 && out.ends_with('.') {
        out.pop();
    }
    if out.len() == start || &out[start..] == "." {
        out.truncate(start);
        out.push_str("<Root>");
    }
}

fn head(out: &mut String, id: u16, qr: bool, op: u16, rc: u16) {
    let _ = write!(out, "{id:04x} qr={} op={op} rc={rc} |", u8::from(qr));
}

// ---- wirelab ----

fn wirelab_dns(m: &Msg, out: &mut String) -> Status {
    let l4 = if m.kind == Kind::DnsTcp {
        L4::Tcp
    } else {
        L4::Udp
    };
    let Ok(msg) = dns::Message::parse(l4, &m.payload) else {
        return Status::Rejected;
    };
    let h = msg.header;
    head(
        out,
        h.id,
        h.is_response(),
        u16::from(h.opcode()),
        u16::from(h.rcode()),
    );
    for r in msg.records() {
        let Ok(r) = r else {
            return Status::Part;
        };
        match r.section {
            dns::Section::Question => {
                out.push_str(" q ");
                if r.name.write(out).is_err() {
                    return Status::Part;
                }
                let _ = write!(out, " {}", r.rtype);
            }
            dns::Section::Answer => {
                out.push_str(" a ");
                if r.name.write(out).is_err() {
                    return Status::Part;
                }
                let _ = write!(out, " {} ", r.rtype);
                let d = r.data();
                match r.rtype {
                    1 if d.len() == 4 => {
                        let _ = write!(out, "{}", Ipv4Addr::new(d[0], d[1], d[2], d[3]));
                    }
                    28 if d.len() == 16 => {
                        let b: [u8; 16] = d.try_into().unwrap_or([0; 16]);
                        let _ = write!(out, "{}", Ipv6Addr::from(b));
                    }
                    2 | 5 | 12 if r.data_name(0).write(out).is_err() => return Status::Part,
                    15 => {
                        let _ = write!(out, "{} ", r.data_u16(0).unwrap_or(0));
                        if r.data_name(2).write(out).is_err() {
                            return Status::Part;
                        }
                    }
                    _ => {}
                }
            }
            // The Info column names nothing of the other two sections.
            _ => {}
        }
    }
    Status::Whole
}

fn wirelab_dhcp(m: &Msg, out: &mut String) -> Status {
    let msg = dhcp::Message::new(&m.body);
    let (Ok(op), Ok(xid), Ok(yi), Ok(ch)) = (msg.op(), msg.xid(), msg.yiaddr(), msg.chaddr())
    else {
        return Status::Rejected;
    };
    let _ = write!(out, "op={op} xid={xid:08x} yi={yi} ch=");
    for b in ch {
        let _ = write!(out, "{b:02x}");
    }
    let Ok(opts) = msg.options() else {
        return Status::Part;
    };
    let mut mtype = None;
    for o in opts {
        match o {
            Ok(o) if o.code == 53 => mtype = o.value.first().copied(),
            Ok(_) => {}
            Err(_) => {
                let _ = write!(out, " type={mtype:?}");
                return Status::Part;
            }
        }
    }
    let _ = write!(out, " type={mtype:?}");
    Status::Whole
}

// ---- simple-dns ----

fn simple_dns(m: &Msg, out: &mut String) -> Status {
    use simple_dns::rdata::RData;
    let Ok(p) = simple_dns::Packet::parse(&m.body) else {
        return Status::Rejected;
    };
    let op = match p.opcode() {
        simple_dns::OPCODE::StandardQuery => 0,
        simple_dns::OPCODE::InverseQuery => 1,
        simple_dns::OPCODE::ServerStatusRequest => 2,
        simple_dns::OPCODE::Notify => 4,
        simple_dns::OPCODE::Update => 5,
        _ => 15,
    };
    head(
        out,
        p.id(),
        p.has_flags(simple_dns::PacketFlag::RESPONSE),
        op,
        p.rcode() as u16,
    );
    for q in &p.questions {
        out.push_str(" q ");
        push_name(out, &q.qname);
        let _ = write!(out, " {}", u16::from(q.qtype));
    }
    for a in &p.answers {
        out.push_str(" a ");
        push_name(out, &a.name);
        let _ = write!(out, " {} ", u16::from(a.rdata.type_code()));
        match &a.rdata {
            RData::A(x) => {
                let _ = write!(out, "{}", Ipv4Addr::from(x.address));
            }
            RData::AAAA(x) => {
                let _ = write!(out, "{}", Ipv6Addr::from(x.address));
            }
            RData::CNAME(n) => push_name(out, &n.0),
            RData::PTR(n) => push_name(out, &n.0),
            RData::NS(n) => push_name(out, &n.0),
            RData::MX(x) => {
                let _ = write!(out, "{} ", x.preference);
                push_name(out, &x.exchange);
            }
            _ => {}
        }
    }
    Status::Whole
}

/// The Info words of an answer's data, for the two crates whose record data enums have
/// the same shape (hickory-proto and dns-parser): addresses and names in tuple structs.
macro_rules! answer_data {
    ($out:expr, $data:expr, $rdata:ident) => {
        match $data {
            $rdata::A(x) => {
                let _ = write!($out, "{}", x.0);
            }
            $rdata::AAAA(x) => {
                let _ = write!($out, "{}", x.0);
            }
            $rdata::CNAME(n) => push_name($out, &n.0),
            $rdata::PTR(n) => push_name($out, &n.0),
            $rdata::NS(n) => push_name($out, &n.0),
            $rdata::MX(x) => {
                let _ = write!($out, "{} ", x.preference);
                push_name($out, &x.exchange);
            }
            _ => {}
        }
    };
}

// ---- hickory-proto ----

fn hickory(m: &Msg, out: &mut String) -> Status {
    use hickory_proto::op::{Message, MessageType};
    use hickory_proto::rr::RData;
    let Ok(p) = Message::from_vec(&m.body) else {
        return Status::Rejected;
    };
    let md = &p.metadata;
    head(
        out,
        md.id,
        md.message_type == MessageType::Response,
        u16::from(u8::from(md.op_code)),
        u16::from(md.response_code),
    );
    for q in &p.queries {
        out.push_str(" q ");
        push_name(out, &q.name);
        let _ = write!(out, " {}", u16::from(q.query_type));
    }
    for a in &p.answers {
        out.push_str(" a ");
        push_name(out, &a.name);
        let _ = write!(out, " {} ", u16::from(a.data.record_type()));
        answer_data!(out, &a.data, RData);
    }
    Status::Whole
}

// ---- dns-parser ----

fn dns_parser(m: &Msg, out: &mut String) -> Status {
    use dns_parser::{Opcode, RData, ResponseCode};
    let Ok(p) = dns_parser::Packet::parse(&m.body) else {
        return Status::Rejected;
    };
    let h = &p.header;
    let op = match h.opcode {
        Opcode::StandardQuery => 0,
        Opcode::InverseQuery => 1,
        Opcode::ServerStatusRequest => 2,
        Opcode::Reserved(n) => n,
    };
    let rc = match h.response_code {
        ResponseCode::NoError => 0,
        ResponseCode::FormatError => 1,
        ResponseCode::ServerFailure => 2,
        ResponseCode::NameError => 3,
        ResponseCode::NotImplemented => 4,
        ResponseCode::Refused => 5,
        ResponseCode::Reserved(n) => u16::from(n),
    };
    head(out, h.id, !h.query, op, rc);
    for q in &p.questions {
        out.push_str(" q ");
        push_name(out, &q.qname);
        let _ = write!(out, " {}", q.qtype as u16);
    }
    for a in &p.answers {
        out.push_str(" a ");
        push_name(out, &a.name);
        let t = match &a.data {
            RData::A(_) => 1,
            RData::AAAA(_) => 28,
            RData::CNAME(_) => 5,
            RData::MX(_) => 15,
            RData::NS(_) => 2,
            RData::PTR(_) => 12,
            RData::SOA(_) => 6,
            RData::SRV(_) => 33,
            RData::TXT(_) => 16,
            RData::Unknown(_) => 0,
        };
        let _ = write!(out, " {t} ");
        answer_data!(out, &a.data, RData);
    }
    Status::Whole
}

// ---- dhcproto ----

fn dhcproto(m: &Msg, out: &mut String) -> Status {
    use dhcproto::{Decodable, Decoder, v4};
    let Ok(p) = v4::Message::decode(&mut Decoder::new(&m.body)) else {
        return Status::Rejected;
    };
    let _ = write!(
        out,
        "op={} xid={:08x} yi={} ch=",
        u8::from(p.opcode()),
        p.xid(),
        p.yiaddr()
    );
    let n = usize::from(p.hlen()).min(16);
    for b in p.chaddr().get(..n).unwrap_or(p.chaddr()) {
        let _ = write!(out, "{b:02x}");
    }
    let mtype = p.opts().msg_type().map(u8::from);
    let _ = write!(out, " type={mtype:?}");
    Status::Whole
}

/// Runs `f` on `m`, a panic caught and counted as such.
fn run(f: Parser, m: &Msg, out: &mut String) -> Outcome {
    out.clear();
    match catch_unwind(AssertUnwindSafe(|| f(m, out))) {
        Ok(Status::Whole) => Outcome::Whole(out.clone()),
        Ok(Status::Part) => Outcome::Part(out.clone()),
        Ok(Status::Rejected) => Outcome::Rejected,
        Err(_) => Outcome::Panicked,
    }
}

/// Best time per message of each parser: `rounds` rounds, each timing every parser in
/// turn over `set` (interleaved, so that load from other work on a shared machine falls
/// on all of them alike), the best round of each kept.
fn times(parsers: &[(&str, Parser)], set: &[&Msg], rounds: usize) -> Vec<Duration> {
    let mut out = String::with_capacity(512);
    let reps = 10_000usize.div_ceil(set.len().max(1)).max(10);
    let mut best = vec![Duration::MAX; parsers.len()];
    for _ in 0..rounds {
        for ((_, f), best) in parsers.iter().zip(best.iter_mut()) {
            let t = Instant::now();
            for _ in 0..reps {
                for m in set {
                    out.clear();
                    black_box(f(black_box(m), &mut out));
                }
            }
            *best = (*best).min(t.elapsed() / (reps * set.len()).max(1) as u32);
        }
    }
    best
}

/// Timing rounds (see [`times`]).
const ROUNDS: usize = 21;

fn allocs(f: Parser, set: &[&Msg]) -> f64 {
    let mut out = String::with_capacity(512);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for m in set {
        out.clear();
        black_box(f(m, &mut out));
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / set.len().max(1) as f64
}

/// Panics on every prefix and every one-byte change (xor 0xff, and 0xc0 for a pointer)
/// of every message; run on its own thread, `None` when it did not end in `limit`.
fn hostile(f: Parser, msgs: Vec<Msg>, limit: Duration) -> Option<(usize, usize, Option<String>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let (mut inputs, mut panics, mut first) = (0, 0, None);
        let mut one = |m: &Msg, body: Vec<u8>, payload: Vec<u8>, how: String| {
            let v = Msg {
                kind: m.kind,
                from: String::new(),
                body,
                payload,
            };
            inputs += 1;
            if run(f, &v, &mut out) == Outcome::Panicked {
                panics += 1;
                first.get_or_insert_with(|| format!("{} {how}", m.from));
            }
        };
        for m in &msgs {
            let pre = m.payload.len() - m.body.len();
            for n in 0..m.body.len() {
                let body = m.body[..n].to_vec();
                let mut payload = m.payload[..pre].to_vec();
                payload.extend_from_slice(&body);
                one(m, body, payload, format!("cut to {n} bytes"));
            }
            for i in 0..m.body.len() {
                for x in [0xff, 0xc0] {
                    let mut body = m.body.clone();
                    body[i] ^= x;
                    let mut payload = m.payload[..pre].to_vec();
                    payload.extend_from_slice(&body);
                    one(m, body, payload, format!("byte {i} ^ {x:#04x}"));
                }
            }
        }
        let _ = tx.send((inputs, panics, first));
    });
    rx.recv_timeout(limit).ok()
}

fn clone_msgs(msgs: &[&Msg]) -> Vec<Msg> {
    msgs.iter()
        .map(|m| Msg {
            kind: m.kind,
            from: m.from.clone(),
            payload: m.payload.clone(),
            body: m.body.clone(),
        })
        .collect()
}

fn report(title: &str, parsers: &[(&str, Parser)], msgs: &[&Msg], verbose: bool) {
    let mut out = String::new();
    let results: Vec<Vec<Outcome>> = parsers
        .iter()
        .map(|(_, f)| msgs.iter().map(|m| run(*f, m, &mut out)).collect())
        .collect();
    // The set every parser reads whole: where all do the same work.
    let common: Vec<&Msg> = msgs
        .iter()
        .enumerate()
        .filter(|(i, _)| results.iter().all(|r| matches!(r[*i], Outcome::Whole(_))))
        .map(|(_, m)| *m)
        .collect();
    let mut kinds: Vec<Kind> = msgs.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    println!(
        "\n## {title}: {} messages ({} read whole by every parser)\n",
        msgs.len(),
        common.len()
    );
    let kind_cols: Vec<String> = kinds
        .iter()
        .map(|k| {
            format!(
                "{} ({})",
                k.label(),
                msgs.iter().filter(|m| m.kind == *k).count()
            )
        })
        .collect();
    println!(
        "| parser | ns/msg | vs wirelab | allocs/msg | {} | hostile inputs: panics | Info differs from wirelab |",
        kind_cols.join(" | ")
    );
    println!("|---|---:|---:|---:|{}---|---|", "---|".repeat(kinds.len()));
    // All timed first, in one stretch, so that the ratios compare like with like.
    let times = times(parsers, &common, ROUNDS);
    let base = times[0];
    let mut notes = Vec::new();
    for (pi, (name, f)) in parsers.iter().enumerate() {
        let t = times[pi];
        let a = allocs(*f, &common);
        let per_kind: Vec<String> = kinds
            .iter()
            .map(|k| {
                let (mut w, mut p, mut r, mut x) = (0, 0, 0, 0);
                for (i, m) in msgs.iter().enumerate() {
                    if m.kind != *k {
                        continue;
                    }
                    match results[pi][i] {
                        Outcome::Whole(_) => w += 1,
                        Outcome::Part(_) => p += 1,
                        Outcome::Rejected => r += 1,
                        Outcome::Panicked => x += 1,
                    }
                }
                let mut s = format!("{w} whole");
                if p > 0 {
                    let _ = write!(s, ", {p} part");
                }
                if r > 0 {
                    let _ = write!(s, ", {r} rejected");
                }
                if x > 0 {
                    let _ = write!(s, ", {x} PANIC");
                }
                s
            })
            .collect();
        let h = match hostile(*f, clone_msgs(msgs), Duration::from_secs(120)) {
            Some((n, p, first)) => {
                if let Some(first) = first {
                    notes.push(format!("{name} panics, first on {first}"));
                }
                format!("{p} of {n}")
            }
            None => "did not end in 120 s".to_string(),
        };
        let differs = msgs
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                let (Outcome::Whole(a), Outcome::Whole(b)) = (&results[0][*i], &results[pi][*i])
                else {
                    return false;
                };
                if a != b && verbose {
                    eprintln!("{name} {}:\n  wirelab: {a}\n  {name}: {b}", m.from);
                }
                a != b
            })
            .count();
        println!(
            "| {name} | {} | {:.2} | {a:.1} | {} | {h} | {differs} |",
            t.as_nanos(),
            t.as_secs_f64() / base.as_secs_f64().max(1e-12),
            per_kind.join(" | ")
        );
    }
    for n in notes {
        println!("\n- {n}");
    }
    if verbose {
        for (i, m) in msgs.iter().enumerate() {
            let line: Vec<String> = parsers
                .iter()
                .enumerate()
                .map(|(pi, (n, _))| format!("{n}={:?}", results[pi][i]))
                .collect();
            eprintln!("{}: {}", m.from, line.join("  "));
        }
    }
}

fn main() {
    let verbose = std::env::args().any(|a| a == "--verbose");
    // The hostile inputs make the crates panic, when they do: counted, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let msgs = collect();
    let dns_msgs: Vec<&Msg> = msgs.iter().filter(|m| !is_dhcp(m.kind)).collect();
    let dhcp_msgs: Vec<&Msg> = msgs.iter().filter(|m| is_dhcp(m.kind)).collect();
    println!(
        "# Parser benchmark (issue 14): times are the best of 21 interleaved rounds; compare ratios"
    );
    report(
        "DNS, mDNS, LLMNR, NBNS",
        &[
            ("wirelab dns", wirelab_dns),
            ("simple-dns 0.13", simple_dns),
            ("hickory-proto 0.26", hickory),
            ("dns-parser 0.8", dns_parser),
        ],
        &dns_msgs,
        verbose,
    );
    report(
        "DHCP, BOOTP",
        &[("wirelab dhcp", wirelab_dhcp), ("dhcproto 0.15", dhcproto)],
        &dhcp_msgs,
        verbose,
    );
}
