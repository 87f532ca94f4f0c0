//! The decoder never panics: every prefix of every frame of every capture, under
//! its own link type and every other one wirelab decodes, and (with its field spans,
//! as the detail view decodes, and the words of application protocols, neighbour
//! discovery and IGMP, whose parsers run in `explain`) under its own link type. Also (ignored by
//! default) a per-frame comparison of the decoder with the tshark oracle of the
//! public captures: `cargo test --test decode_prefixes -- --ignored --nocapture`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wirelab::decode::{Net, Packet, TcpFlags, Transport, decode, decode_spans};
use wirelab::source::{Frame, Timestamp};

/// Which files are captures; numbers of either byte order (shared with `tests/it/`).
#[path = "it/files.rs"]
#[allow(dead_code)]
mod files;

use files::{captures_in, u16_at, u32_at};

/// Every link type the decoder handles, plus one it does not (Frame Relay, 107).
const LINKTYPES: [u32; 17] = [
    0, 1, 9, 12, 14, 50, 101, 104, 105, 108, 113, 127, 228, 229, 239, 276, 107,
];

/// One record read from a capture: link type, length on the wire, captured bytes.
struct Record {
    linktype: u32,
    orig_len: u32,
    data: Vec<u8>,
}

/// The captures to test: those of `fixtures/`, and the shared public ones when that
/// directory exists next to the crate (a fresh checkout may have only `fixtures/`).
fn capture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = captures_in(&root.join("fixtures"));
    files.extend(captures_in(&root.join("../shared/captures/public")));
    files
}

/// Reads every record libpcap gives (stopping at damage), or, when libpcap refuses
/// the file (pcapng with mixed link types), what the pure-Rust pcapng reader gives.
/// `None` when neither can open it.
fn read_records(path: &Path) -> Option<Vec<Record>> {
    match pcap::Capture::from_file(path) {
        Ok(mut cap) => {
            let linktype = u32::try_from(cap.get_datalink().0).ok()?;
            let mut out = Vec::new();
            loop {
                match cap.next_packet() {
                    Ok(pkt) => out.push(Record {
                        linktype,
                        orig_len: pkt.header.len,
                        data: pkt.data.to_vec(),
                    }),
                    Err(pcap::Error::NoMorePackets) => return Some(out),
                    // libpcap stops at a pcapng interface whose link type or snap length
                    // differs from the first one's: read such files with pcap-file.
                    Err(_) => break,
                }
            }
            match read_pcapng(path) {
                Some(all) if all.len() > out.len() => Some(all),
                _ => Some(out),
            }
        }
        Err(_) => read_pcapng(path),
    }
}

/// Reads a pcapng block by block, keeping each packet's interface link type. Done
/// by hand rather than with pcap-file 2.0, which refuses files that tshark reads
/// (an option that is not UTF-8, a MAC address option of another length).
fn read_pcapng(path: &Path) -> Option<Vec<Record>> {
    let bytes = std::fs::read(path).ok()?;
    let mut big = false;
    let mut linktypes: Vec<u32> = Vec::new();
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let kind = u32_at(&bytes, at, big)?;
        if kind == 0x0a0d_0d0a {
            // Section header: the byte-order magic decides the byte order.
            big = u32_at(&bytes, at + 8, false)? != 0x1a2b_3c4d;
            linktypes.clear();
        }
        let Some(total) = u32_at(&bytes, at + 4, big).and_then(|t| usize::try_from(t).ok()) else {
            break;
        };
        let Some(body) = bytes.get(at + 8..(at + total).saturating_sub(4)) else {
            break;
        };
        if total < 12 {
            break;
        }
        match kind {
            1 => linktypes.push(u32::from(u16_at(body, 0, big)?)),
            6 | 2 => {
                let iface = if kind == 6 {
                    usize::try_from(u32_at(body, 0, big)?).ok()?
                } else {
                    usize::from(u16_at(body, 0, big)?)
                };
                let caplen = usize::try_from(u32_at(body, 12, big)?).ok()?;
                let orig_len = u32_at(body, 16, big)?;
                let data = body.get(20..20 + caplen)?.to_vec();
                out.push(Record {
                    linktype: *linktypes.get(iface)?,
                    orig_len,
                    data,
                });
            }
            3 => {
                let orig_len = u32_at(body, 0, big)?;
                let data = body.get(4..)?;
                let data = data
                    .get(..usize::try_from(orig_len).ok()?.min(data.len()))?
                    .to_vec();
                out.push(Record {
                    linktype: *linktypes.first()?,
                    orig_len,
                    data,
                });
            }
            _ => {}
        }
        at += total;
    }
    Some(out)
}

fn frame<'a>(number: u64, linktype: u32, orig_len: u32, data: &'a [u8]) -> Frame<'a> {
    Frame {
        number,
        ts: Timestamp::default(),
        linktype: wirelab::source::LinkType(linktype),
        orig_len,
        data,
        comments: wirelab::source::Comments::NONE,
    }
}

#[test]
fn test_every_prefix_of_every_frame_decodes_without_panic() {
    let started = std::time::Instant::now();
    let files = capture_files();
    let mut frames = 0usize;
    let mut decodes = 0usize;
    let mut explained = 0usize;
    // Prefixes explained per protocol: DNS (and its kin) and DHCP must be among them.
    let mut by_proto: BTreeMap<String, usize> = BTreeMap::new();
    for path in &files {
        let Some(records) = read_records(path) else {
            continue;
        };
        for (i, rec) in records.iter().enumerate() {
            frames += 1;
            let number = u64::try_from(i + 1).unwrap_or(u64::MAX);
            for lt in std::iter::once(rec.linktype).chain(LINKTYPES) {
                for n in 0..=rec.data.len() {
                    let prefix = rec.data.get(..n).unwrap_or(&[]);
                    // As cut by a snap length of n (orig_len kept), and as if that were all.
                    let _ = decode(&frame(number, lt, rec.orig_len, prefix));
                    let _ = decode(&frame(
                        number,
                        lt,
                        u32::try_from(n).unwrap_or(u32::MAX),
                        prefix,
                    ));
                    decodes += 2;
                    // The detail view's decode (with spans) of the frame as cut there, and
                    // the words of an application protocol (DNS, DHCP, ...), neighbour
                    // discovery or IGMP frame, whose parsers run where its Info is written.
                    if lt == rec.linktype {
                        let f = frame(number, lt, rec.orig_len, prefix);
                        let _ = decode_spans(&f, None);
                        decodes += 1;
                        let p = decode(&f);
                        if p.app.is_some()
                            || matches!(
                                p.transport,
                                Transport::Icmpv6(_) | Transport::Other { protocol: 2 }
                            )
                        {
                            let facts = wirelab::track::Facts::default();
                            let _ = wirelab::explain::Explainer::default().explain(&f, &p, &facts);
                            explained += 1;
                            if let Some(app) = p.app {
                                *by_proto.entry(format!("{app:?}")).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "decoded {decodes} prefixes of {frames} frames from {} files in {:.1?}, explained {explained} application/NDP/IGMP prefixes",
        files.len(),
        started.elapsed()
    );
    // The fixtures hold DNS, DHCP, NTP, mDNS, neighbour discovery and IGMP frames: if
    // none was explained, the test read nothing it is meant to cover.
    assert!(
        explained > 1000,
        "only {explained} application prefixes explained"
    );
    for proto in ["Dns", "Mdns", "Dhcp"] {
        assert!(
            by_proto.get(proto).copied().unwrap_or(0) > 100,
            "too few {proto} prefixes explained: {by_proto:?}"
        );
    }
}

/// The DNS walker and the DHCP reader, called directly as the Info, the note and the
/// detail view call them, never panic on any prefix of any DNS/mDNS/LLMNR/NBNS or DHCP
/// payload of the captures, nor on any one-byte change of one (each byte xor 0xff, and
/// xor 0xc0, which turns a label length into a compression pointer): the hostile inputs
/// of `cargo bench --bench parsers`.
#[test]
fn test_dns_and_dhcp_parsers_survive_every_prefix_and_byte_change() {
    use wirelab::decode::app::{AppProto, L4, dhcp, dns};
    use wirelab::decode::spans::Spans;
    let mut payloads: Vec<(AppProto, L4, Vec<u8>)> = Vec::new();
    for path in capture_files() {
        let Some(records) = read_records(&path) else {
            continue;
        };
        for rec in &records {
            let p = decode(&frame(1, rec.linktype, rec.orig_len, &rec.data));
            let l4 = match p.transport {
                Transport::Udp(_) => L4::Udp,
                Transport::Tcp(_) => L4::Tcp,
                _ => continue,
            };
            if let Some(
                app @ (AppProto::Dns
                | AppProto::Mdns
                | AppProto::Llmnr
                | AppProto::Nbns
                | AppProto::Dhcp),
            ) = p.app
            {
                payloads.push((app, l4, p.payload.to_vec()));
            }
        }
    }
    let walk = |app: AppProto, l4: L4, bytes: &[u8]| {
        let mut name = String::new();
        if app == AppProto::Dhcp {
            let m = dhcp::Message::new(bytes);
            let _ = (m.op(), m.xid(), m.yiaddr(), m.chaddr(), m.message_type());
            if let Ok(opts) = m.options() {
                for _ in opts {}
            }
        } else if let Ok(m) = dns::Message::parse(l4, bytes) {
            for r in m.records().flatten() {
                name.clear();
                let _ = r.name.write(&mut name);
                let _ = (r.data(), r.data_u16(0), r.data_u32(0));
                let _ = r.data_name(0).write(&mut name);
                let _ = r.data_name(2).write(&mut name);
            }
        }
        // The detail view's fields.
        let mut spans = Spans::new(bytes.len());
        if app == AppProto::Dhcp {
            dhcp::fields(bytes, &mut spans);
        } else {
            dns::fields(app, l4, bytes, &mut spans);
        }
    };
    let mut inputs = 0usize;
    let mut kinds = std::collections::BTreeSet::new();
    for (app, l4, payload) in &payloads {
        kinds.insert(format!("{app:?}"));
        for n in 0..=payload.len() {
            walk(*app, *l4, payload.get(..n).unwrap_or(&[]));
            inputs += 1;
        }
        for i in 0..payload.len() {
            for x in [0xff, 0xc0] {
                let mut changed = payload.clone();
                if let Some(b) = changed.get_mut(i) {
                    *b ^= x;
                }
                walk(*app, *l4, &changed);
                inputs += 1;
            }
        }
    }
    eprintln!(
        "{inputs} hostile inputs from {} payloads of {kinds:?}",
        payloads.len()
    );
    for proto in ["Dns", "Mdns", "Dhcp"] {
        assert!(
            kinds.contains(proto),
            "no {proto} payload in the captures: {kinds:?}"
        );
    }
}

/// The web's dissectors (HTTP, TLS, SSH, QUIC, with their TCP reassembly) never panic:
/// every frame of every capture through one `WebDissector` per capture and link type as
/// captured, then every prefix of every TCP or UDP payload through the stateless parsers
/// and a fresh dissector. Fails when no capture holds a web frame.
#[test]
fn test_every_prefix_of_every_payload_dissects_web_without_panic() {
    use wirelab::decode::app::{http, quic, ssh, tls, web::WebDissector};
    let files = capture_files();
    let (mut web_frames, mut prefixes) = (0usize, 0usize);
    for path in &files {
        let Some(records) = read_records(path) else {
            continue;
        };
        let mut whole = WebDissector::new();
        for (i, rec) in records.iter().enumerate() {
            let number = u64::try_from(i + 1).unwrap_or(u64::MAX);
            let f = frame(number, rec.linktype, rec.orig_len, &rec.data);
            let packet = decode(&f);
            web_frames += usize::from(whole.dissect(number, &packet).is_some());
            let payload = packet.payload;
            for n in 0..=payload.len().min(600) {
                let p = payload.get(..n).unwrap_or(&[]);
                let _ = http::parse_head(p);
                let _ = tls::next_record(p);
                let _ = tls::TlsSession::default().dissect(p, true, &mut Default::default());
                let _ = tls::parse_client_hello(p);
                let _ = tls::parse_server_hello(p);
                let _ = ssh::SshSession::default().dissect(p, false, &mut Default::default());
                let _ = quic::QuicConn::default().dissect(p, true);
                let _ = quic::QuicConn::default().dissect(p, false);
                let mut c = http::Chunked::default();
                let _ = c.feed(p);
                prefixes += 1;
            }
        }
    }
    eprintln!("{web_frames} web frames; {prefixes} payload prefixes through every web parser");
    assert!(
        web_frames > 100,
        "only {web_frames} web frames in the captures"
    );
}

/// What the oracle calls the transport of a packet (`proto` in oracle_extract.py).
fn proto_name(p: &Packet<'_>) -> Option<String> {
    let name = match &p.transport {
        Transport::Tcp(_) => "TCP",
        Transport::Udp(_) => "UDP",
        Transport::Icmpv4(_) => "ICMP",
        Transport::Icmpv6(_) => "ICMPv6",
        Transport::Fragment { .. } => return None,
        Transport::Other { protocol } => match protocol {
            2 => "IGMP",
            4 => "IPv4",
            41 => "IPv6",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            132 => "SCTP",
            other => return Some(other.to_string()),
        },
        Transport::None => return None,
    };
    Some(name.to_string())
}

/// TCP flag names in the oracle's order.
fn flag_names(f: TcpFlags) -> Vec<String> {
    let names = [
        (TcpFlags::FIN, "FIN"),
        (TcpFlags::SYN, "SYN"),
        (TcpFlags::RST, "RST"),
        (TcpFlags::PSH, "PSH"),
        (TcpFlags::ACK, "ACK"),
        (TcpFlags::URG, "URG"),
        (TcpFlags::ECE, "ECE"),
        (TcpFlags::CWR, "CWR"),
        (TcpFlags::AE, "AE"),
    ];
    let mut out: Vec<String> = names
        .iter()
        .filter(|(b, _)| f.has(*b))
        .map(|(_, n)| n.to_string())
        .collect();
    if f.0 & 0xe00 != 0 {
        out.push("RES".into());
    }
    out
}

/// The oracle's canonical fields for one of our packets, as JSON values.
fn ours(p: &Packet<'_>) -> BTreeMap<&'static str, serde_json::Value> {
    use serde_json::{Value, json};
    let mut m = BTreeMap::new();
    m.insert(
        "src",
        p.src_ip().map_or(Value::Null, |a| json!(a.to_string())),
    );
    m.insert(
        "dst",
        p.dst_ip().map_or(Value::Null, |a| json!(a.to_string())),
    );
    let ip = matches!(p.net, Net::Ipv4(_) | Net::Ipv6(_));
    m.insert(
        "proto",
        if ip {
            proto_name(p).map_or(Value::Null, |s| json!(s))
        } else {
            Value::Null
        },
    );
    let (sport, dport) = p
        .ports()
        .map_or((Value::Null, Value::Null), |(s, d)| (json!(s), json!(d)));
    m.insert("sport", sport);
    m.insert("dport", dport);
    m.insert(
        "flags",
        json!(p.tcp().map(|t| flag_names(t.flags)).unwrap_or_default()),
    );
    m.insert(
        "payload_len",
        p.declared_payload_len().map_or(Value::Null, |l| json!(l)),
    );
    m.insert("raw_seq", p.tcp().map_or(Value::Null, |t| json!(t.seq)));
    m.insert("raw_ack", p.tcp().map_or(Value::Null, |t| json!(t.ack)));
    m
}

/// Does our value agree with the oracle's for `field`? (The rules of compare.py.)
fn agrees(
    field: &str,
    oracle: &serde_json::Value,
    tool: &serde_json::Value,
    orec: &serde_json::Value,
) -> bool {
    use serde_json::Value;
    match field {
        "src" | "dst" => {
            let norm = |v: &Value| v.as_str().and_then(|s| s.parse::<std::net::IpAddr>().ok());
            norm(oracle) == norm(tool)
        }
        "proto" => match oracle.as_str() {
            None => !matches!(
                tool.as_str(),
                Some("TCP" | "UDP" | "ICMP" | "ICMPv6" | "IGMP" | "SCTP" | "GRE" | "ESP" | "AH")
            ),
            Some(o) => tool.as_str().is_some_and(|t| t.eq_ignore_ascii_case(o)),
        },
        "flags" => {
            let set = |v: &Value| {
                let mut s: Vec<String> = v
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                s.sort();
                s
            };
            set(oracle) == set(tool)
        }
        "raw_ack" => {
            let has_ack = orec
                .get("flags")
                .and_then(|f| f.as_array())
                .is_some_and(|a| a.iter().any(|x| x == "ACK"));
            if orec.get("proto").and_then(|p| p.as_str()) == Some("TCP") && !has_ack {
                tool.is_null() || tool.as_u64() == oracle.as_u64()
            } else {
                tool.as_u64() == oracle.as_u64()
            }
        }
        _ => oracle.as_u64() == tool.as_u64() && oracle.is_null() == tool.is_null(),
    }
}

#[test]
#[ignore = "a report, not a check: run with --ignored --nocapture"]
fn test_decode_agrees_with_tshark_oracle() {
    const FIELDS: [&str; 9] = [
        "src",
        "dst",
        "proto",
        "sport",
        "dport",
        "flags",
        "payload_len",
        "raw_seq",
        "raw_ack",
    ];
    let public = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures/public");
    let (mut total_agree, mut total_differ, mut total_frag) = (0usize, 0usize, 0usize);
    let mut per_field: BTreeMap<&str, usize> = BTreeMap::new();
    for path in captures_in(&public) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let oracle_path = PathBuf::from(format!("{}.oracle.jsonl", path.display()));
        let Ok(text) = std::fs::read_to_string(&oracle_path) else {
            continue;
        };
        let oracle: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|r| r.get("is_packet").and_then(|v| v.as_bool()).unwrap_or(true))
            .collect();
        let Some(records) = read_records(&path) else {
            println!("{name}: cannot be opened ({} oracle frames)", oracle.len());
            continue;
        };
        let (mut agree, mut differ, mut frag_differ) = (0usize, 0usize, 0usize);
        let mut shown = 0;
        for (i, (rec, orec)) in records.iter().zip(&oracle).enumerate() {
            let p = decode(&frame(
                u64::try_from(i + 1).unwrap_or(u64::MAX),
                rec.linktype,
                rec.orig_len,
                &rec.data,
            ));
            let mine = ours(&p);
            let bad: Vec<&str> = FIELDS
                .iter()
                .copied()
                .filter(|f| {
                    let o = orec.get(*f).unwrap_or(&serde_json::Value::Null);
                    let t = mine.get(*f).unwrap_or(&serde_json::Value::Null);
                    !agrees(f, o, t, orec)
                })
                .collect();
            if bad.is_empty() {
                agree += 1;
                continue;
            }
            let is_frag = orec
                .get("ip_fragment")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if is_frag {
                frag_differ += 1;
            } else {
                differ += 1;
                for f in &bad {
                    *per_field.entry(f).or_default() += 1;
                }
            }
            if shown < 4 {
                shown += 1;
                let desc: Vec<String> = bad
                    .iter()
                    .map(|f| {
                        format!(
                            "{f}: oracle={} ours={}",
                            orec.get(*f).unwrap_or(&serde_json::Value::Null),
                            mine.get(*f).unwrap_or(&serde_json::Value::Null)
                        )
                    })
                    .collect();
                println!(
                    "  {name} #{}{}: {} | {} | problem={:?}",
                    i + 1,
                    if is_frag { " [ip fragment]" } else { "" },
                    desc.join("; "),
                    orec.get("frame.protocols")
                        .and_then(|v| v.as_str())
                        .unwrap_or(""),
                    p.problem.as_ref().map(|x| x.to_string())
                );
            }
        }
        let missing = oracle.len().abs_diff(records.len());
        if differ + frag_differ + missing > 0 {
            println!(
                "{name}: {agree} agree, {differ} differ, {frag_differ} IP fragments differ, {missing} frame count difference"
            );
        }
        total_agree += agree;
        total_differ += differ + missing;
        total_frag += frag_differ;
    }
    println!("mismatches by field (non-fragments): {per_field:?}");
    println!(
        "TOTAL: {total_agree} frames agree, {total_differ} differ, {total_frag} IP fragments differ"
    );
}
