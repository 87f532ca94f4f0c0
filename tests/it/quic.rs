//! QUIC and Google QUIC as tshark 4.0 shows them, on `fixtures/web_quic.pcap` (written
//! byte by byte by `tests/write_quic_fixtures.py`): coalesced packets, a Client Hello
//! across Initial packets, Version Negotiation, Retry, v2, draft-29, and Google QUIC
//! (Q025, Q043, Q046, Q050, T051); and on `fixtures/web_quic_aioquic.pcap`, two real
//! aioquic connections (`tests/record_quic_fixture.sh`). Our Protocol and Info columns
//! must equal the oracle committed next to each capture, and tshark's now (tshark
//! missing: skipped with a message, or a failure under CI).

use std::process::Command;

use serde_json::Value;

use super::util::{have_program, read_jsonl, require, root, run};

const FIXTURE: &str = "fixtures/web_quic.pcap";

/// The QUIC fixtures and their frame counts: the constructed one, and two real aioquic
/// connections (`tests/record_quic_fixture.sh`).
const FIXTURES: [(&str, usize); 2] = [(FIXTURE, 36), ("fixtures/web_quic_aioquic.pcap", 18)];

/// (Protocol, Info) of each of our frames of the constructed fixture.
fn ours() -> Vec<(String, String)> {
    ours_of(FIXTURE)
}

/// (Protocol, Info) of each of our frames of `file`.
fn ours_of(file: &str) -> Vec<(String, String)> {
    let (frames, r) = read_jsonl(file, &[]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let s = |f: &Value, k: &str| f[k].as_str().unwrap_or("").to_string();
    frames
        .iter()
        .map(|f| (s(f, "protocol"), s(f, "info")))
        .collect()
}

/// Lines that differ, "frame N: tshark P | I, wirelab P | I".
fn differences(want: &[(String, String)], got: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..want.len().max(got.len()) {
        if want.get(i) != got.get(i) {
            out.push(format!(
                "frame {}: tshark {:?}, wirelab {:?}",
                i + 1,
                want.get(i),
                got.get(i)
            ));
        }
    }
    out
}

#[test]
fn quic_fixture_columns_match_the_committed_oracle() {
    for (file, count) in FIXTURES {
        let text = std::fs::read_to_string(root().join(format!("{file}.oracle.jsonl")))
            .expect("the oracle next to the fixture");
        let want: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
                (s("_ws.col.Protocol"), s("_ws.col.Info"))
            })
            .collect();
        assert_eq!(want.len(), count, "{file}: {count} frames");
        let d = differences(&want, &ours_of(file));
        assert!(d.is_empty(), "{file}:\n{}", d.join("\n"));
    }
}

#[test]
fn quic_fixture_columns_match_tshark_now() {
    if !require(
        have_program("tshark", "--version"),
        "tshark (Debian package tshark)",
    ) {
        return;
    }
    for (file, count) in FIXTURES {
        let r = run(Command::new("tshark")
            .args(["-n", "-r"])
            .arg(root().join(file))
            .args(["-T", "fields", "-E", "separator=/t"])
            .args(["-e", "_ws.col.Protocol", "-e", "_ws.col.Info"]));
        let want: Vec<(String, String)> = String::from_utf8_lossy(&r.stdout)
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(p, i)| (p.to_string(), i.to_string()))
            .collect();
        assert_eq!(want.len(), count, "tshark read {file}: {}", r.stderr);
        let d = differences(&want, &ours_of(file));
        assert!(d.is_empty(), "{file}:\n{}", d.join("\n"));
    }
}

/// A real Client Hello over two Initial packets (aioquic, eight long ALPN names): each
/// packet shows its own CRYPTO frame, and the SNI is read from both together.
#[test]
fn quic_real_client_hello_across_two_initials() {
    let cols = ours_of("fixtures/web_quic_aioquic.pcap");
    let info = |n: usize| cols.get(n - 1).map(|(_, i)| i.as_str()).unwrap_or("");
    assert!(info(9).ends_with("PKN: 0, CRYPTO"), "{}", info(9));
    assert!(info(10).ends_with("PKN: 1, CRYPTO"), "{}", info(10));
    let r = super::util::wirelab_run(&["read", "fixtures/web_quic_aioquic.pcap"]);
    assert!(
        r.out().contains(":4434  → 5 frames")
            && r.out().matches("QUIC with quic.example").count() == 2,
        "{}",
        r.out()
    );
}

/// Defect: every packet of a datagram was listed ("Initial, ..., Handshake, ..."); tshark
/// rewrites the Info column for each, so coalesced packets show the last one, and bytes
/// of another DCID or zeros after a packet are padding, not a packet.
#[test]
fn quic_coalesced_datagram_shows_the_last_packet() {
    let cols = ours();
    let info = |n: usize| cols.get(n - 1).map(|(_, i)| i.as_str()).unwrap_or("");
    assert_eq!(info(3), "Handshake, DCID=c1c1c1c1, SCID=5e5e5e5e5e5e5e5e");
    assert_eq!(info(4), "Protected Payload (KP0), DCID=c1c1c1c1");
    assert_eq!(info(8), "0-RTT, DCID=0011223344556677");
    assert_eq!(
        info(12),
        "Initial, DCID=1111111111111111, SCID=cccccccc, PKN: 0, CRYPTO"
    );
}

/// Defect: Google QUIC was left as UDP; tshark's GQUIC shows the message in clear or
/// `Payload (Encrypted)`, the packet number and the 64-bit CID in decimal, and follows
/// the conversation for the server's packets that carry neither version nor CID.
#[test]
fn quic_google_quic_is_gquic() {
    let cols = ours();
    let col = |n: usize| cols.get(n - 1).cloned().unwrap_or_default();
    assert_eq!(
        col(22),
        (
            "GQUIC".to_string(),
            "Client Hello, PKN: 1, CID: 1234605616436508552".to_string()
        )
    );
    assert_eq!(
        col(23),
        (
            "GQUIC".to_string(),
            "Payload (Encrypted), PKN: 1".to_string()
        )
    );
    // Q050 is an IETF long header: QUIC, with the Google frame's name over the Info
    assert_eq!(col(32), ("QUIC".to_string(), "Client Hello".to_string()));
}

/// Defect: a server Initial whose client Initial was not captured was unprotected with
/// the server's keys; tshark takes the sender of a connection's first Initial for the
/// client, so its (meaningless) packet number comes from the client's keys.
#[test]
fn quic_first_initial_from_the_server_is_tshark_s_client() {
    let cols = ours();
    assert_eq!(
        cols.get(20).map(|(_, i)| i.as_str()),
        Some("Initial, DCID=0a0a0a0a, SCID=0b0b0b0b0b0b0b0b, PKN: 44520")
    );
}

/// Defect: a connection picked up after its Initial packets learnt its CIDs from the
/// Handshake packets and showed them on short headers; tshark follows a connection only
/// from a client Initial, so those show `Protected Payload (KP0)` alone.
#[test]
fn quic_without_a_client_initial_short_headers_show_no_dcid() {
    let cols = ours();
    let info = |n: usize| cols.get(n - 1).map(|(_, i)| i.as_str()).unwrap_or("");
    assert_eq!(info(34), "Handshake, DCID=c2c2c2c2, SCID=5f5f5f5f5f5f5f5f");
    assert_eq!(info(35), "Protected Payload (KP0)");
    assert_eq!(info(36), "Protected Payload (KP0)");
}
