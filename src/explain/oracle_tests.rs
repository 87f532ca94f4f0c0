//! The Info column against tshark's, for every public capture: each frame is
//! read and decoded by the real source and decoder, the tracker's facts are
//! taken from the oracle (relative numbers, stream, analysis flags, and the
//! calculated window and dup-ACK numbers, which only Info shows), and our Info
//! must equal tshark's `_ws.col.Info` wherever tshark shows plain TCP or UDP (and
//! on the segments of the application PDUs wirelab reassembles as tshark does).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Explainer, Options};
use crate::decode::{self, Transport};
use crate::source::FileSource;
use crate::track::{Analysis, Facts, Proto, TcpFacts};

/// The shared corpus, beside the checkout (as `tests/it/conformance.rs` finds it).
const PUBLIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/captures/public");

/// The public captures with their oracles. Under CI (`CI` set) the corpus must be
/// there; elsewhere its absence skips the test and says so. A corpus that is there
/// but holds no oracle fails: a test that finds no input must not pass.
fn oracle_paths() -> Option<Vec<std::path::PathBuf>> {
    let Ok(dir) = std::fs::read_dir(PUBLIC) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{PUBLIC} is missing, and CI is set: the shared capture corpus must be there"
        );
        eprintln!("SKIPPED: {PUBLIC} is not present");
        return None;
    };
    let mut paths: Vec<std::path::PathBuf> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".oracle.jsonl")))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no *.oracle.jsonl in {PUBLIC}");
    Some(paths)
}
/// What tshark appends when a higher-layer dissector reassembles: not plain TCP.
const REASSEMBLED: &str = " [TCP segment of a reassembled PDU]";

/// compare.py's `info_comparable`.
fn info_comparable(o: &Value) -> bool {
    let protos = o["frame.protocols"].as_str().unwrap_or("");
    ["tcp", "udp", "tcp:data", "udp:data"]
        .iter()
        .any(|t| protos.ends_with(t))
        && o["ip_fragment"] != Value::Bool(true)
        && o["malformed"] != Value::Bool(true)
}

fn number_after(s: &str, key: &str) -> Option<u64> {
    let rest = &s[s.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn analysis_bits(o: &Value) -> u32 {
    let mut bits = 0;
    for name in o["analysis"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let name = if name == "reused_ports" {
            "port_reused"
        } else {
            name
        };
        if let Some((bit, _, _)) = Analysis::ALL.iter().find(|(_, n, _)| *n == name) {
            bits |= bit;
        }
    }
    bits
}

fn facts_from_oracle(o: &Value, info: &str) -> Facts {
    let stream = o["stream"].as_u64();
    match o["proto"].as_str() {
        Some("TCP") => {
            let dup_ack = info.find("[TCP Dup ACK ").and_then(|i| {
                let rest = &info[i + "[TCP Dup ACK ".len()..];
                let (frame, n) = rest.split_once(']')?.0.split_once('#')?;
                Some((frame.parse().ok()?, n.parse().ok()?))
            });
            Facts {
                stream,
                proto: Some(Proto::Tcp),
                tcp: Some(TcpFacts {
                    rel_seq: o["seq"].as_u64().unwrap_or(0) as u32,
                    rel_ack: o["ack"].as_u64().unwrap_or(0) as u32,
                    window: number_after(info, " Win=").unwrap_or(0),
                    analysis: Analysis(analysis_bits(o)),
                    dup_ack,
                    // The tracker's fact, read here from tshark's Info: the ECN flags
                    // shown as the ACE counter.
                    accurate_ecn: info.contains("ACE="),
                    ..TcpFacts::default()
                }),
                ..Facts::default()
            }
        }
        Some("UDP") => Facts {
            stream,
            proto: Some(Proto::Udp),
            ..Facts::default()
        },
        _ => Facts::default(),
    }
}

fn captures() -> Vec<PathBuf> {
    let Some(oracles) = oracle_paths() else {
        return Vec::new();
    };
    let v: Vec<PathBuf> = oracles
        .iter()
        .filter_map(|o| {
            let name = o.to_str()?.strip_suffix(".oracle.jsonl")?;
            Some(PathBuf::from(name))
        })
        .filter(|p| p.is_file())
        .collect();
    assert!(!v.is_empty(), "no capture next to the oracles in {PUBLIC}");
    v
}

#[derive(Default)]
struct Tally {
    compared: usize,
    skipped_higher_layer: usize,
    skipped_not_decoded: usize,
    mismatches: Vec<String>,
}

/// Reads `path` frame by frame with its oracle beside it, explains each frame with the
/// facts taken from the oracle, and hands `each` the frame, packet, oracle line and note.
fn explain_with_oracle(
    path: &Path,
    mut each: impl FnMut(&crate::source::Frame<'_>, &decode::Packet<'_>, &Value, &super::Note),
) {
    let oracle_path = PathBuf::from(format!("{}.oracle.jsonl", path.display()));
    let Ok(text) = std::fs::read_to_string(&oracle_path) else {
        return;
    };
    let oracle: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|o| o["is_packet"] != Value::Bool(false))
        .collect();
    let Ok(mut source) = FileSource::open(path) else {
        return;
    };
    let mut explainer = Explainer::new(Options::default());
    let mut decoder = decode::Decoder::new();
    let mut i = 0usize;
    while let Ok(Some(frame)) = source.next_frame() {
        let Some(o) = oracle.get(i) else { break };
        i += 1;
        let want = o["_ws.col.Info"].as_str().unwrap_or("");
        let packet = decoder.decode(&frame);
        let facts = facts_from_oracle(o, want);
        let note = explainer.explain(&frame, &packet, &facts);
        each(&frame, &packet, o, &note);
    }
}

fn check_capture(path: &Path, tally: &mut Tally) {
    explain_with_oracle(path, |frame, packet, o, note| {
        let want = o["_ws.col.Info"].as_str().unwrap_or("");
        if !info_comparable(o) {
            return;
        }
        // A higher dissector asked TCP to reassemble: compared when ours did too (the web's
        // protocols, decode::app::web), else left to the dissectors not written yet.
        if want.ends_with(REASSEMBLED) && !note.info.ends_with(REASSEMBLED) {
            tally.skipped_higher_layer += 1;
            return;
        }
        // Known difference: tunnels (L2TP) are not decoded; tshark shows the inner TCP.
        if o["frame.protocols"]
            .as_str()
            .is_some_and(|p| p.contains(":l2tp:"))
        {
            tally.skipped_not_decoded += 1;
            return;
        }
        if !matches!(
            packet.transport,
            Transport::Tcp(_) | Transport::Udp(_) | Transport::Icmpv4(_) | Transport::Icmpv6(_)
        ) {
            tally.skipped_not_decoded += 1;
            return;
        }
        tally.compared += 1;
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        if norm(want) != norm(&note.info) {
            tally.mismatches.push(format!(
                "{} frame {}:\n   tshark: {want}\n   ours:   {}",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                frame.number,
                note.info
            ));
        }
    });
}

#[test]
fn test_public_oracles_info_matches_tshark() {
    let mut tally = Tally::default();
    for cap in captures() {
        check_capture(&cap, &mut tally);
    }
    assert!(
        tally.compared > 0 || std::fs::read_dir(PUBLIC).is_err(),
        "no frame compared with tshark"
    );
    eprintln!(
        "Info vs tshark: {} compared, {} written by a higher dissector, {} not decoded (yet), {} differ",
        tally.compared,
        tally.skipped_higher_layer,
        tally.skipped_not_decoded,
        tally.mismatches.len()
    );
    for m in &tally.mismatches {
        eprintln!("{m}");
    }
    assert!(
        tally.mismatches.is_empty(),
        "{} Info mismatches",
        tally.mismatches.len()
    );
}

/// tshark's Protocol columns of what the application dissectors write ([`super::app`]),
/// and of the network-layer protocols issue 14 names.
const APP_COLUMNS: &[&str] = &[
    "DNS", "MDNS", "LLMNR", "NBNS", "DHCP", "BOOTP", "DHCPv6", "NTP", "SSDP", "ICMP", "ICMPv6",
    "ARP", "IGMPv1", "IGMPv2", "IGMPv3", "HTTP", "HTTP/XML", "TLSv1", "TLSv1.1", "TLSv1.2",
    "TLSv1.3", "SSH", "SSHv2", "QUIC", "GQUIC",
];

/// Frames of the web's protocols where wirelab knowingly differs from tshark
/// (file, frame, why); each is listed in the README's "left to Wireshark" too.
const WEB_KNOWN: &[(&str, u64, &str)] = &[
    (
        "dpkt__nb6-http.pcap",
        56,
        "HTTP inside L2TP: tunnels are not decoded",
    ),
    (
        "dpkt__nb6-http.pcap",
        58,
        "HTTP inside L2TP: tunnels are not decoded",
    ),
];

/// The Protocol and Info columns of every frame that tshark gives one of
/// [`APP_COLUMNS`], and of every frame wirelab gives an application protocol, on every
/// public capture: both must equal tshark's (facts from the oracle, as above).
#[test]
fn test_public_oracles_app_protocol_and_info_match_tshark() {
    let mut compared = 0usize;
    let mut mismatches = Vec::new();
    for path in captures() {
        explain_with_oracle(&path, |frame, packet, o, note| {
            let want_info = o["_ws.col.Info"].as_str().unwrap_or("");
            let want_proto = o["_ws.col.Protocol"].as_str().unwrap_or("");
            if !APP_COLUMNS.contains(&want_proto) && packet.app.is_none() {
                return;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if WEB_KNOWN
                .iter()
                .any(|(f, n, _)| *f == name && *n == frame.number)
                || o["frame.protocols"]
                    .as_str()
                    .is_some_and(|p| p.contains(":l2tp:"))
            {
                return;
            }
            compared += 1;
            if want_proto != note.protocol || want_info != note.info {
                mismatches.push(format!(
                    "{} frame {}:\n   tshark: {want_proto} | {want_info}\n   ours:   {} | {}",
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    frame.number,
                    note.protocol,
                    note.info
                ));
            }
        });
    }
    eprintln!(
        "application Protocol/Info vs tshark: {compared} compared, {} differ",
        mismatches.len()
    );
    for m in &mismatches {
        eprintln!("{m}");
    }
    assert!(
        compared > 50 || std::fs::read_dir(PUBLIC).is_err(),
        "only {compared} application frames compared with tshark"
    );
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
}
