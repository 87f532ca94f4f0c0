//! Differential test: tshark, run now on every fixture, and our JSON Lines must agree per
//! frame on addresses, ports, protocol, flags, relative seq/ack, payload length, stream
//! index, analysis labels, and Info where tshark shows plain TCP or UDP. Reviewed
//! differences are listed in `tests/known-differences.txt`.
//!
//! tshark missing: the test fails under CI and is skipped with a message elsewhere.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use super::known::{KnownDifferences, print_summary};
use super::util::{Fixture, assert_no_failures, fixtures, have_program, read_jsonl, require, run};

const SEP: char = '\u{1e}';
const AGG: char = '\u{1f}';

/// tshark's analysis fields and the names our JSON uses for them (the issue's list).
const ANALYSIS: &[(&str, &str)] = &[
    ("tcp.analysis.retransmission", "retransmission"),
    ("tcp.analysis.fast_retransmission", "fast_retransmission"),
    (
        "tcp.analysis.spurious_retransmission",
        "spurious_retransmission",
    ),
    ("tcp.analysis.out_of_order", "out_of_order"),
    ("tcp.analysis.duplicate_ack", "dup_ack"),
    ("tcp.analysis.lost_segment", "lost_segment"),
    ("tcp.analysis.ack_lost_segment", "ack_lost_segment"),
    ("tcp.analysis.window_update", "window_update"),
    ("tcp.analysis.zero_window", "zero_window"),
    ("tcp.analysis.keep_alive", "keep_alive"),
    ("tcp.analysis.reused_ports", "port_reused"),
    ("tcp.analysis.tfo_syn", "tfo_syn"),
    ("tcp.analysis.tfo_ack", "tfo_ack"),
    ("tcp.analysis.tfo_ignored", "tfo_ignored"),
];

const BASE_FIELDS: &[&str] = &[
    "frame.number",
    "frame.encap_type",
    "frame.protocols",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "ip.flags.mf",
    "ip.frag_offset",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.seq",
    "tcp.ack",
    "tcp.len",
    "tcp.stream",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.stream",
    "_ws.malformed",
    "_ws.col.Protocol",
    "_ws.col.Info",
];

const TCP_FLAG_BITS: &[(u64, &str)] = &[
    (0x001, "FIN"),
    (0x002, "SYN"),
    (0x004, "RST"),
    (0x008, "PSH"),
    (0x010, "ACK"),
    (0x020, "URG"),
    (0x040, "ECE"),
    (0x080, "CWR"),
    (0x100, "AE"),
];

/// tshark's view of one frame, in the terms of our JSON.
#[derive(Debug, Default)]
struct Expected {
    number: u64,
    src: Option<String>,
    dst: Option<String>,
    proto: Option<String>,
    sport: Option<u64>,
    dport: Option<u64>,
    flags: BTreeSet<String>,
    seq: Option<u64>,
    ack: Option<u64>,
    ack_flag: bool,
    payload_len: Option<u64>,
    stream: Option<u64>,
    analysis: BTreeSet<String>,
    info: Option<String>,
    fragment: bool,
    /// tshark's Protocol column.
    protocol: Option<String>,
    /// tshark's Info column, whatever wrote it.
    info_any: Option<String>,
}

fn all_fields() -> Vec<String> {
    let mut v: Vec<String> = BASE_FIELDS.iter().map(|s| s.to_string()).collect();
    v.extend(ANALYSIS.iter().map(|(f, _)| f.to_string()));
    v
}

fn num(s: Option<&str>) -> Option<u64> {
    let s = s?.trim();
    if let Some(hex) = s.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok();
    }
    s.parse().ok()
}

/// Runs tshark on `fx` and returns one [`Expected`] per packet record.
fn tshark_frames(fx: &Fixture) -> Result<Vec<Expected>, String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(fx.path()).args(["-T", "fields"]);
    cmd.arg("-E").arg(format!("separator={SEP}"));
    cmd.arg("-E").arg(format!("aggregator={AGG}"));
    cmd.args(["-E", "occurrence=a", "-E", "quote=n"]);
    let fields = all_fields();
    for f in &fields {
        cmd.args(["-e", f]);
    }
    let r = run(&mut cmd);
    let text = r.out();
    let mut out = Vec::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split(SEP).collect();
        let raw: BTreeMap<&str, Vec<&str>> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let v = cols.get(i).copied().unwrap_or("");
                let occ: Vec<&str> = if v.is_empty() {
                    vec![]
                } else {
                    v.split(AGG).collect()
                };
                (f.as_str(), occ)
            })
            .collect();
        let first = |f: &str| raw.get(f).and_then(|v| v.first().copied());
        // pcapng custom blocks: tshark numbers them as frames, they are not packets
        if first("frame.encap_type").is_none() {
            continue;
        }
        out.push(derive(&raw, &first));
    }
    if out.is_empty() && r.code != Some(0) {
        return Err(format!("tshark failed on {}: {}", fx.rel, r.stderr));
    }
    Ok(out)
}

fn derive<'a>(
    raw: &BTreeMap<&str, Vec<&'a str>>,
    first: &dyn Fn(&str) -> Option<&'a str>,
) -> Expected {
    let protos = first("frame.protocols").unwrap_or("");
    let toks: Vec<&str> = protos.split(':').collect();
    let mut e = Expected {
        number: num(first("frame.number")).unwrap_or(0),
        ..Default::default()
    };
    // TCP/UDP/IP quoted inside an ICMP error are not the frame's own.
    let icmp_pos = toks
        .iter()
        .position(|t| *t == "icmp" || *t == "icmpv6")
        .unwrap_or(usize::MAX);
    // The innermost IP header before any ICMP, as tshark's Source, Destination and
    // Protocol columns show a tunnelled packet; its fields are that occurrence.
    let l3 = toks
        .iter()
        .take(icmp_pos)
        .rposition(|t| *t == "ip" || *t == "ipv6");
    // Which occurrence of `name`'s fields the token at `pos` is.
    let nth_of = |name: &str, pos: usize| toks.iter().take(pos).filter(|t| **t == name).count();
    let field_at = |f: &str, k: usize| raw.get(f).and_then(|v| v.get(k).copied());
    let mut transport_at = usize::MAX;
    if let Some(i) = l3 {
        let (s, d) = if toks[i] == "ip" {
            ("ip.src", "ip.dst")
        } else {
            ("ipv6.src", "ipv6.dst")
        };
        let k = nth_of(toks[i], i);
        e.src = field_at(s, k).map(str::to_string);
        e.dst = field_at(d, k).map(str::to_string);
        let mut j = i + 1;
        while toks.get(j).is_some_and(|t| t.starts_with("ipv6.")) {
            j += 1;
        }
        transport_at = j;
        e.proto = match toks.get(j).copied() {
            None | Some("data") | Some("_ws.malformed") | Some("_ws.short") => None,
            Some("tcp") => Some("TCP".into()),
            Some("udp") => Some("UDP".into()),
            Some("icmp") => Some("ICMP".into()),
            Some("icmpv6") => Some("ICMPv6".into()),
            Some("ip") => Some("IPv4".into()),
            Some("ipv6") => Some("IPv6".into()),
            Some(other) => Some(other.to_uppercase()),
        };
    }
    e.fragment = first("ip.flags.mf").is_some_and(|v| v == "1" || v == "True")
        || num(first("ip.frag_offset")).is_some_and(|o| o > 0)
        || toks.contains(&"ipv6.fraghdr");
    let k = nth_of(toks.get(transport_at).copied().unwrap_or(""), transport_at);
    let at = |f: &str| field_at(f, k);
    let is_tcp = e.proto.as_deref() == Some("TCP") && at("tcp.srcport").is_some();
    let is_udp = e.proto.as_deref() == Some("UDP") && at("udp.srcport").is_some();
    if is_tcp {
        e.sport = num(at("tcp.srcport"));
        e.dport = num(at("tcp.dstport"));
        let bits = num(at("tcp.flags")).unwrap_or(0);
        e.flags = TCP_FLAG_BITS
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, n)| n.to_string())
            .collect();
        e.ack_flag = bits & 0x010 != 0;
        e.seq = num(at("tcp.seq"));
        e.ack = num(at("tcp.ack"));
        e.payload_len = num(at("tcp.len"));
        e.stream = num(at("tcp.stream"));
        e.analysis = ANALYSIS
            .iter()
            .filter(|(f, _)| raw.get(f).is_some_and(|v| !v.is_empty()))
            .map(|(_, n)| n.to_string())
            .collect();
    } else if is_udp {
        e.sport = num(at("udp.srcport"));
        e.dport = num(at("udp.dstport"));
        e.payload_len = num(at("udp.length")).map(|l| l.saturating_sub(8));
        e.stream = num(at("udp.stream"));
    }
    let plain = ["tcp", "udp", "tcp:data", "udp:data"]
        .iter()
        .any(|t| protos.ends_with(&format!(":{t}")));
    let malformed = first("_ws.malformed").is_some() || toks.contains(&"_ws.malformed");
    let info = first("_ws.col.Info");
    e.protocol = first("_ws.col.Protocol").map(str::to_string);
    e.info_any = info.map(str::to_string);
    if plain && !e.fragment && !malformed && info.is_some_and(info_is_transports) {
        e.info = info.map(str::to_string);
    }
    e
}

/// True when tshark's Info column is TCP's or UDP's own summary. A segment that a higher
/// dissector (HTTP, ...) took into a reassembled PDU also ends in `tcp` in
/// frame.protocols, but its Info is that protocol's ("HTTP/1.1 200 OK [TCP segment of a
/// reassembled PDU]") or carries its marker: wirelab does not dissect those protocols.
pub fn info_is_transports(info: &str) -> bool {
    !info.contains("[TCP segment of a reassembled PDU]")
}

fn our_u64(f: &Value, key: &str) -> Option<u64> {
    f.get(key).and_then(Value::as_u64)
}

fn our_str(f: &Value, key: &str) -> Option<String> {
    f.get(key).and_then(Value::as_str).map(str::to_string)
}

fn our_set(f: &Value, key: &str, alias: &dyn Fn(&str) -> String) -> BTreeSet<String> {
    f.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(alias).collect())
        .unwrap_or_default()
}

fn norm_ip(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|v| {
        v.parse::<std::net::IpAddr>()
            .map_or(v.to_lowercase(), |ip| ip.to_string())
    })
}

fn show<T: std::fmt::Debug>(v: T) -> String {
    let s = format!("{v:?}");
    if s.len() > 70 {
        format!(
            "{}...",
            &s[..s.char_indices().nth(67).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// tshark's Protocol columns of the protocols wirelab does not dissect, with why: on
/// these frames wirelab must show the transport's Protocol (TCP, UDP, ...) and its own
/// Info, which tshark does not show, so only the Protocol is compared. The README's
/// "Left to Wireshark" lists the same protocols.
const LEFT_TO_WIRESHARK: &[(&str, &str)] = &[
    (
        "LDP",
        "label distribution between MPLS routers: not a campus protocol",
    ),
    ("PPTP", "a VPN control channel: tunnels are not decoded"),
    (
        "PPP LCP",
        "inside PPTP or L2TP tunnels, which are not decoded",
    ),
    (
        "RESP",
        "Redis' protocol: an application wirelab does not name",
    ),
    (
        "BGP",
        "routing between providers: not on a student's laptop",
    ),
    ("MySQL", "a database protocol: wirelab does not name it"),
    ("X11", "X Window System: wirelab does not name it"),
    ("OSPF", "routing between routers: not decoded"),
    (
        "BJNP",
        "Canon's printer discovery: wirelab does not name it",
    ),
    (
        "DB-LSP-DISC/JSON",
        "Dropbox LAN sync: an application wirelab does not name",
    ),
    (
        "PPPoED",
        "PPP over Ethernet discovery: EtherType 0x8863, not decoded",
    ),
    ("MPTCP", "Multipath TCP: its option is shown as TCP"),
];

/// Why tshark's Protocol column `protocol` is left to Wireshark, if it is.
fn left_to_wireshark(protocol: &str) -> Option<&'static str> {
    LEFT_TO_WIRESHARK
        .iter()
        .find(|(p, _)| *p == protocol)
        .map(|(_, why)| *why)
}

/// Compares one frame; returns (field, tshark, ours) for each difference.
fn compare(e: &Expected, ours: &Value) -> Vec<(&'static str, String, String)> {
    let mut d = Vec::new();
    let mut field = |name: &'static str, same: bool, t: String, o: String| {
        if !same {
            d.push((name, t, o));
        }
    };
    let (osrc, odst) = (our_str(ours, "src"), our_str(ours, "dst"));
    field(
        "src",
        norm_ip(&e.src) == norm_ip(&osrc),
        show(&e.src),
        show(&osrc),
    );
    field(
        "dst",
        norm_ip(&e.dst) == norm_ip(&odst),
        show(&e.dst),
        show(&odst),
    );
    let oproto = our_str(ours, "proto");
    let proto_same = match &e.proto {
        Some(p) => oproto.as_deref().map(str::to_uppercase) == Some(p.to_uppercase()),
        // tshark: not IP, or an IP payload it shows as data: we must not claim TCP/UDP
        None => !matches!(oproto.as_deref(), Some("TCP" | "UDP" | "ICMP" | "ICMPv6")),
    };
    field("proto", proto_same, show(&e.proto), show(&oproto));
    let (sp, dp) = (our_u64(ours, "sport"), our_u64(ours, "dport"));
    field("sport", e.sport == sp, show(e.sport), show(sp));
    field("dport", e.dport == dp, show(e.dport), show(dp));
    let flag_alias = |s: &str| match s.to_uppercase().as_str() {
        "NS" => "AE".to_string(),
        u => u.to_string(),
    };
    let of = our_set(ours, "flags", &flag_alias);
    field("flags", e.flags == of, show(&e.flags), show(&of));
    let (seq, ack) = (our_u64(ours, "seq"), our_u64(ours, "ack"));
    field("seq", e.seq == seq, show(e.seq), show(seq));
    // tshark shows an Ack number even when the ACK flag is off; we may give null or 0
    let ack_same = e.ack == ack || (!e.ack_flag && (ack.is_none() || ack == Some(0)));
    field("ack", ack_same, show(e.ack), show(ack));
    let pl = our_u64(ours, "payload_len");
    field(
        "payload_len",
        e.payload_len == pl,
        show(e.payload_len),
        show(pl),
    );
    let st = our_u64(ours, "stream");
    field("stream", e.stream == st, show(e.stream), show(st));
    let names: BTreeSet<&str> = ANALYSIS.iter().map(|(_, n)| *n).collect();
    let oa: BTreeSet<String> = our_set(ours, "analysis", &|s: &str| s.to_lowercase())
        .into_iter()
        .filter(|n| names.contains(n.as_str()))
        .collect();
    field("analysis", e.analysis == oa, show(&e.analysis), show(&oa));
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let oi = our_str(ours, "info").unwrap_or_default();
    if let Some(info) = &e.info {
        field(
            "info",
            norm(info) == norm(&oi),
            format!("{info:?}"),
            format!("{oi:?}"),
        );
    }
    // The Protocol column on every frame, and the Info column of every frame that is not
    // plain TCP or UDP (those are compared above, with their own exceptions).
    let op = our_str(ours, "protocol");
    if let Some(left) = e.protocol.as_deref().and_then(left_to_wireshark) {
        // wirelab shows the transport (or network) protocol there: no dissector of its own
        // may claim the frame.
        let claims = op.as_deref().is_some_and(|p| {
            wirelab::decode::app::AppProto::ALL
                .iter()
                .any(|a| a.name() == p)
        });
        field(
            "protocol",
            !claims,
            format!("{:?} (left to Wireshark: {left})", e.protocol),
            show(&op),
        );
        return d;
    }
    field("protocol", e.protocol == op, show(&e.protocol), show(&op));
    // The Info of every other frame (the web's protocols reassemble as tshark does, so
    // segments of a reassembled PDU are compared too).
    if e.info.is_none()
        && let Some(info) = &e.info_any
    {
        field(
            "info",
            norm(info) == norm(&oi),
            format!("{info:?}"),
            format!("{oi:?}"),
        );
    }
    d
}

/// The fields [`compare`] compares.
const COMPARED: &[&str] = &[
    "src",
    "dst",
    "proto",
    "sport",
    "dport",
    "flags",
    "seq",
    "ack",
    "payload_len",
    "stream",
    "analysis",
    "info",
    "protocol",
];

#[test]
fn tshark_agrees_with_us_on_every_fixture() {
    if !require(
        have_program("tshark", "--version"),
        "tshark (Debian package tshark)",
    ) {
        return;
    }
    let known = KnownDifferences::load();
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    let mut summary = Vec::new();
    for fx in fixtures() {
        let expected = match tshark_frames(&fx) {
            Ok(v) => v,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let (ours, r) = read_jsonl(&fx.rel, &[]);
        if r.stderr.contains("panicked") {
            failures.push(format!("{}: wirelab panicked: {}", fx.name, r.stderr));
            continue;
        }
        let mut seen = BTreeSet::new();
        let mut differ = 0;
        for i in 0..expected.len().max(ours.len()) {
            let no = (i + 1) as u64;
            let diffs = match (expected.get(i), ours.get(i)) {
                (Some(e), Some(o)) => {
                    let mut d = compare(e, o);
                    let ono = our_u64(o, "no");
                    if ono != Some(no) {
                        d.push(("no", show(no), show(ono)));
                    }
                    let _ = e.number;
                    d
                }
                (Some(_), None) => {
                    vec![("frame", "present".into(), "missing from our output".into())]
                }
                (None, Some(_)) => {
                    vec![("frame", "absent".into(), "extra frame in our output".into())]
                }
                (None, None) => vec![],
            };
            if !diffs.is_empty() {
                differ += 1;
            }
            for (fieldname, t, o) in diffs {
                seen.insert((no, fieldname.to_string()));
                if !known.covers(&fx.name, no, fieldname) {
                    failures.push(format!(
                        "{} frame {no}: {fieldname}: tshark {t}, wirelab {o}",
                        fx.name
                    ));
                }
            }
        }
        summary.push(format!(
            "{}: {} frames, {} differ",
            fx.name,
            expected.len(),
            differ
        ));
        for line in known.unused_for(&fx.name, &seen, COMPARED) {
            stale.push(format!(
                "tests/known-differences.txt line {line} ({}) no longer differs",
                fx.name
            ));
        }
    }
    print_summary("differential test against tshark", &summary, &stale);
    assert_no_failures(
        &failures,
        "unlisted difference(s) from tshark (fix them, or list them with a reason in tests/known-differences.txt)",
        200,
    );
}

/// The names fixtures (dnsmasq answering busybox nslookup and python3, dnsmasq's DHCP server
/// and busybox udhcpc, recorded by `tests/record_name_fixtures.sh`): every frame's Protocol
/// and Info are tshark's, run now, with no known difference allowed; and the captures hold
/// what they were recorded for (a "No such name", a refused query, a query over TCP, the
/// four DHCP steps in order, then a Release), so a re-recording that lost one fails here.
#[test]
fn tshark_names_fixtures_dns_and_dhcp_protocol_and_info_agree_per_frame() {
    if !require(
        have_program("tshark", "--version"),
        "tshark (Debian package tshark)",
    ) {
        return;
    }
    let mut failures = Vec::new();
    let mut columns = BTreeMap::new();
    for name in ["names_dns.pcap", "names_dhcp.pcap"] {
        let fx = super::util::fixture(name);
        let expected = tshark_frames(&fx).expect("tshark reads the fixture");
        let (ours, r) = read_jsonl(&fx.rel, &[]);
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        assert_eq!(expected.len(), ours.len(), "{name}: frame count");
        let mut seen = Vec::new();
        for (e, o) in expected.iter().zip(&ours) {
            let (op, oi) = (our_str(o, "protocol"), our_str(o, "info"));
            if e.protocol != op || e.info_any != oi {
                failures.push(format!(
                    "{name} frame {}: tshark {:?} {:?}, wirelab {op:?} {oi:?}",
                    e.number, e.protocol, e.info_any
                ));
            }
            seen.push((
                e.protocol.clone().unwrap_or_default(),
                e.proto.clone().unwrap_or_default(),
                e.info_any.clone().unwrap_or_default(),
            ));
        }
        columns.insert(name, seen);
    }
    assert!(
        failures.is_empty(),
        "Protocol/Info differ from tshark:\n{}",
        failures.join("\n")
    );
    let dns = &columns["names_dns.pcap"];
    let has = |p: &dyn Fn(&(String, String, String)) -> bool| dns.iter().any(p);
    assert!(dns.iter().filter(|(p, _, _)| p == "DNS").count() >= 16);
    assert!(has(
        &|(p, _, i)| p == "DNS" && i.contains(" No such name A missing.nx.test")
    ));
    assert!(has(
        &|(p, _, i)| p == "DNS" && i.contains(" Refused AAAA lab.test")
    ));
    assert!(has(&|(p, t, i)| p == "DNS"
        && t == "TCP"
        && i.starts_with("Standard query response")));
    let dhcp: Vec<String> = columns["names_dhcp.pcap"]
        .iter()
        .map(|(_, _, i)| i.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        dhcp,
        [
            "DHCP Discover",
            "DHCP Offer",
            "DHCP Request",
            "DHCP ACK",
            "DHCP Release"
        ]
    );
}
