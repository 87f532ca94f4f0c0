//! Conformance: `../shared/conformance/compare.py` on every capture of
//! `../shared/captures/public/` (tshark 4.0 oracles made in advance); every differing frame
//! must be listed in `tests/known-differences.txt`.
//!
//! The folder missing: the test is skipped with a message, or fails under CI.

use std::collections::BTreeSet;
use std::process::Command;

use super::known::{KnownDifferences, print_summary};
use super::tshark::info_is_transports;
use super::util::{assert_no_failures, captures_in, have_program, require, root, run, wirelab};

/// The oracle's Info column of every packet record, in order.
fn oracle_infos(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("is_packet").and_then(|p| p.as_bool()).unwrap_or(true))
        .map(|v| {
            v.get("_ws.col.Info")
                .and_then(|i| i.as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// The fields compare.py compares (its TOOL_KEYS).
const COMPARED: &[&str] = &[
    "no",
    "time",
    "src",
    "dst",
    "proto",
    "sport",
    "dport",
    "flags",
    "seq",
    "ack",
    "raw_seq",
    "raw_ack",
    "payload_len",
    "stream",
    "analysis",
    "info",
    "duplicate_ack",
    "retrans",
    "fast_retrans",
    "ooo",
    "previous_segment_not_captured",
    "acked_unseen_segment",
    "keepalive_ack",
];

#[test]
fn conformance_public_captures_match_the_oracle() {
    let shared = root().join("../shared");
    let public = shared.join("captures/public");
    let compare = shared.join("conformance/compare.py");
    if !require(
        public.is_dir() && compare.is_file(),
        &format!("{} (the public capture corpus)", public.display()),
    ) {
        return;
    }
    if !require(have_program("python3", "--version"), "python3") {
        return;
    }
    let known = KnownDifferences::load();
    let tmp = tempfile::tempdir().expect("temporary directory");
    let mut failures = Vec::new();
    let mut stale = Vec::new();
    let mut summary = Vec::new();
    let captures = captures_in(&public);
    assert!(!captures.is_empty(), "no captures in {}", public.display());
    for cap in captures {
        let name = cap
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !cap.with_file_name(format!("{name}.oracle.jsonl")).is_file() {
            failures.push(format!("{name}: no oracle next to it"));
            continue;
        }
        let r = run(wirelab().args(["read", "--format", "jsonl"]).arg(&cap));
        if r.stderr.contains("panicked") {
            failures.push(format!("{name}: wirelab panicked: {}", r.stderr));
            continue;
        }
        let ours = tmp.path().join(format!("{name}.jsonl"));
        std::fs::write(&ours, &r.stdout).expect("write our jsonl");
        let c = run(Command::new("python3")
            .arg(&compare)
            .arg(&cap)
            .arg(&ours)
            .args(["--show", "1000000"]));
        if !matches!(c.code, Some(0) | Some(1)) {
            failures.push(format!(
                "{name}: compare.py failed ({:?}): {}{}",
                c.code,
                c.stderr,
                c.out()
            ));
            continue;
        }
        let out = c.out();
        let oracle = oracle_infos(&cap.with_file_name(format!("{name}.oracle.jsonl")));
        let mut seen = BTreeSet::new();
        for line in out.lines().map(str::trim) {
            // "frame N: FIELD oracle=... tool=... | info" or "frame N: missing/extra ..."
            let Some(rest) = line.strip_prefix("frame ") else {
                continue;
            };
            let Some((n, detail)) = rest.split_once(": ") else {
                continue;
            };
            let Ok(no) = n.parse::<u64>() else { continue };
            let field = if detail.starts_with("extra frame") || detail.starts_with("missing from") {
                "frame".to_string()
            } else {
                detail.split_whitespace().next().unwrap_or("").to_string()
            };
            // compare.py compares Info wherever frame.protocols ends in tcp; a segment of a
            // reassembled higher-layer PDU is not plain TCP (see tshark::info_is_transports)
            let info = oracle
                .get((no as usize).wrapping_sub(1))
                .map(String::as_str)
                .unwrap_or("");
            if field == "info" && !info_is_transports(info) {
                continue;
            }
            if !known.covers(&name, no, &field) {
                failures.push(format!("{name} {line}"));
            }
            seen.insert((no, field));
        }
        summary.push(format!("{name}: {}", out.lines().last().unwrap_or("")));
        for line in known.unused_for(&name, &seen, COMPARED) {
            stale.push(format!(
                "tests/known-differences.txt line {line} ({name}) no longer differs"
            ));
        }
    }
    print_summary("conformance (compare.py)", &summary, &stale);
    assert_no_failures(
        &failures,
        "unlisted difference(s) from the tshark oracle (fix them, or list them with a reason in tests/known-differences.txt)",
        400,
    );
}
