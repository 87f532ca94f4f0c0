//! Conformance of the tracker with tshark 4.0 on the public captures: each frame
//! of `NAME.oracle.jsonl` is rebuilt as a minimal `Packet` (addresses, ports,
//! flags, raw numbers, lengths, window, the WS/TFO options read from Info) and
//! the tracker's stream, relative seq/ack and analysis flags are compared with
//! tshark's. Skipped when the shared captures are not present.

use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;

use super::{FrameMeta, Tracker};
use crate::decode::{Ipv4, Ipv6, Net, Packet, Tcp, TcpFlags, TcpOption, Transport, Udp};
use crate::source::Timestamp;

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

fn ts_of(v: &Value) -> Timestamp {
    let s = v.as_str().unwrap_or("0");
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let mut frac = frac.to_string();
    frac.truncate(9);
    while frac.len() < 9 {
        frac.push('0');
    }
    Timestamp {
        secs: secs.parse().unwrap_or(0),
        nanos: frac.parse().unwrap_or(0),
    }
}

fn num(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn flags_of(v: &Value) -> TcpFlags {
    let s = v.as_str().unwrap_or("0x0");
    TcpFlags(u16::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0))
}

/// Options tshark names in Info that matter to the tracker.
fn options_of(info: &str) -> Vec<TcpOption> {
    let mut out = Vec::new();
    for word in info.split_whitespace() {
        if let Some(m) = word.strip_prefix("WS=")
            && let Ok(mult) = m.parse::<u32>()
        {
            out.push(TcpOption::WindowScale(
                u8::try_from(mult.trailing_zeros()).unwrap_or(0),
            ));
        }
        if word.starts_with("TFO=") {
            out.push(TcpOption::FastOpen(Vec::new()));
        }
    }
    out
}

fn packet_of(r: &Value) -> Option<Packet<'static>> {
    if r["ip_fragment"].as_bool() == Some(true) {
        return None;
    }
    let src: IpAddr = r["src"].as_str()?.parse().ok()?;
    let dst: IpAddr = r["dst"].as_str()?.parse().ok()?;
    let net = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Net::Ipv4(Ipv4 {
            src: s,
            dst: d,
            header_len: u8::try_from(num(&r["ip.hdr_len"])).unwrap_or(20),
            total_len: u16::try_from(num(&r["ip.len"])).unwrap_or(0),
            identification: 0,
            dont_fragment: false,
            more_fragments: false,
            fragment_offset: 0,
            ttl: 64,
            protocol: 0,
            checksum: 0,
            dscp: 0,
            ecn: 0,
            route_dst: None,
        }),
        (IpAddr::V6(s), IpAddr::V6(d)) => Net::Ipv6(Ipv6 {
            src: s,
            dst: d,
            payload_len: u16::try_from(num(&r["ipv6.plen"])).unwrap_or(0),
            hop_limit: 64,
            traffic_class: 0,
            flow_label: 0,
            next_header: 0,
            extensions: Box::new([]),
            fragment: None,
            protocol: 0,
        }),
        _ => return None,
    };
    let transport = match r["proto"].as_str()? {
        "TCP" if r["raw_seq"].is_u64() => Transport::Tcp(Tcp {
            src_port: u16::try_from(num(&r["sport"])).ok()?,
            dst_port: u16::try_from(num(&r["dport"])).ok()?,
            seq: u32::try_from(num(&r["raw_seq"])).ok()?,
            ack: u32::try_from(num(&r["raw_ack"])).ok()?,
            header_len: u8::try_from(num(&r["tcp.hdr_len"])).unwrap_or(20),
            flags: flags_of(&r["tcp.flags"]),
            window: u16::try_from(num(&r["tcp.window_size_value"])).ok()?,
            checksum: 0,
            urgent_ptr: 0,
            options: options_of(r["_ws.col.Info"].as_str().unwrap_or("")).into(),
            // tshark has no tcp.len for a segment shorter than its header.
            payload_len: u32::try_from(num(&r["payload_len"])).ok()?,
            short: r["payload_len"].is_null(),
        }),
        "UDP" => Transport::Udp(Udp {
            src_port: u16::try_from(num(&r["sport"])).ok()?,
            dst_port: u16::try_from(num(&r["dport"])).ok()?,
            length: 0,
            checksum: 0,
            payload_len: u32::try_from(num(&r["payload_len"])).ok()?,
        }),
        _ => return None,
    };
    Some(Packet {
        net,
        transport,
        ..Packet::default()
    })
}

fn norm_analysis(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|x| {
                    if x == "reused_ports" {
                        "port_reused".to_string()
                    } else {
                        x.to_string()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs one capture's oracle; returns the mismatch descriptions.
fn check(oracle: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(oracle).unwrap_or_default();
    let mut tracker = Tracker::new();
    let mut bad = Vec::new();
    let name = oracle
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .replace(".oracle.jsonl", "");
    for line in text.lines() {
        let Ok(r) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if r["is_packet"].as_bool() == Some(false) {
            continue;
        }
        let meta = FrameMeta {
            number: num(&r["frame.number"]),
            ts: ts_of(&r["frame.time_epoch"]),
            orig_len: u32::try_from(num(&r["frame.len"])).unwrap_or(0),
        };
        let Some(packet) = packet_of(&r) else {
            let _ = tracker.observe(meta, &Packet::default());
            continue;
        };
        let facts = tracker.observe(meta, &packet);
        let info = r["_ws.col.Info"].as_str().unwrap_or("");
        let mut diff = Vec::new();
        if facts.stream != r["stream"].as_u64() {
            diff.push(format!(
                "stream {:?} vs {:?}",
                facts.stream,
                r["stream"].as_u64()
            ));
        }
        if let Some(t) = &facts.tcp {
            if Some(u64::from(t.rel_seq)) != r["seq"].as_u64() {
                diff.push(format!("seq {} vs {}", t.rel_seq, r["seq"]));
            }
            let ack_set = flags_of(&r["tcp.flags"]).has(TcpFlags::ACK);
            if ack_set && Some(u64::from(t.rel_ack)) != r["ack"].as_u64() {
                diff.push(format!("ack {} vs {}", t.rel_ack, r["ack"]));
            }
            if let Some(w) = r["win_calc"].as_u64()
                && t.window != w
            {
                diff.push(format!("window {} vs {w}", t.window));
            }
            let mut ours: Vec<String> = t.analysis.names().map(str::to_string).collect();
            ours.sort();
            let theirs = norm_analysis(&r["analysis"]);
            if ours != theirs {
                diff.push(format!("analysis {ours:?} vs {theirs:?}"));
            }
        }
        if !diff.is_empty() {
            bad.push(format!(
                "{name} #{}: {} | {}",
                meta.number,
                diff.join("; "),
                info
            ));
        }
    }
    bad
}

#[test]
fn test_public_captures_match_tshark() {
    check_dir(PUBLIC);
}

/// Extra oracles (same format, plus `win_calc` = tshark's tcp.window_size), e.g.
/// hand-made scenarios: `WIRELAB_TRACK_ORACLES=DIR cargo test oracle`.
#[test]
fn test_extra_oracles_match_tshark() {
    if let Ok(dir) = std::env::var("WIRELAB_TRACK_ORACLES") {
        check_dir(&dir);
    }
}

fn check_dir(dir: &str) {
    let paths = if dir == PUBLIC {
        match oracle_paths() {
            Some(p) => p,
            None => return,
        }
    } else {
        let mut p: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_str().is_some_and(|s| s.ends_with(".oracle.jsonl")))
            .collect();
        p.sort();
        assert!(!p.is_empty(), "no *.oracle.jsonl in {dir}");
        p
    };
    let mut all = Vec::new();
    for p in &paths {
        all.extend(check(p));
    }
    for line in &all {
        eprintln!("{line}");
    }
    eprintln!("{} oracles, {} mismatching frames", paths.len(), all.len());
    assert!(all.is_empty(), "{} frames differ from tshark", all.len());
}
