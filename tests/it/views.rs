//! The views of issue 4 (flow, conversations, follow, detail, report, SVG, annotated
//! pcapng): golden outputs for every fixture, plus checks that do not depend on layout:
//! every flow arrow on loopback points the right way, the SVG is well-formed XML, the
//! report is written to `-o FILE`, and pcapng comments read back with tshark.
//!
//! Golden files live in `tests/golden-views/` (`NAME.flow.txt`, `NAME.conversations.txt`,
//! `NAME.follow.txt`, `NAME.detail.txt`, `NAME.report.md`); `WIRELAB_BLESS=1` rewrites them.

use std::process::Command;

use super::util::{
    GoldenDir, assert_no_failures, fixture, fixtures, frames_of, golden_run, have_program,
    parse_jsonl, require, run, wirelab_run,
};

/// Where the golden files of this module live.
const GOLDEN: GoldenDir = GoldenDir("tests/golden-views");

/// One view: its golden suffix and the arguments before FILE.
struct ViewCase {
    suffix: &'static str,
    args: &'static [&'static str],
}

const CASES: &[ViewCase] = &[
    ViewCase {
        suffix: "flow.txt",
        args: &["read", "--color", "never", "--view", "flow"],
    },
    ViewCase {
        suffix: "conversations.txt",
        args: &["read", "--color", "never", "--view", "conversations"],
    },
    ViewCase {
        suffix: "follow.txt",
        args: &["read", "--color", "never", "--view", "follow"],
    },
    ViewCase {
        suffix: "detail.txt",
        args: &["read", "--color", "never", "--view", "detail", "-c", "4"],
    },
    ViewCase {
        suffix: "report.md",
        args: &["read", "--color", "never", "--view", "report"],
    },
];

/// True for text that cannot move a terminal's cursor: no control character but newline.
fn terminal_safe(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\n')
}

#[test]
fn golden_every_fixture_every_view() {
    let mut failures = Vec::new();
    let mut expected = Vec::new();
    for fx in fixtures() {
        for case in CASES {
            let (what, r, out) = golden_run(case.args, &fx.rel);
            let name = format!("{}.{}", fx.name, case.suffix);
            expected.push(name.clone());
            let out = match out {
                Ok(out) => out,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            };
            if !terminal_safe(&out) {
                failures.push(format!("{what}: a control character reached the output"));
            }
            // damaged captures end with an error after the output; the rest exit 0
            if r.code != Some(0) && fx.name != "dpkt__truncated_dns_2.pcap" {
                failures.push(format!("{what}: exit {:?}: {}", r.code, r.stderr));
            }
            failures.extend(GOLDEN.check(&name, &out));
        }
    }
    failures.extend(GOLDEN.unexpected(&expected));
    assert_no_failures(&failures, "failure(s)", usize::MAX);
}

/// The client port of each TCP/UDP stream, and each frame's (stream, source port), from JSON Lines.
fn ports(file: &str) -> Vec<(u64, u64, u64, String)> {
    let r = wirelab_run(&["read", "--format", "jsonl", file]);
    frames_of(&parse_jsonl(&r.out(), file))
        .iter()
        .filter_map(|f| {
            Some((
                f.get("no")?.as_u64()?,
                f.get("stream")?.as_u64()?,
                f.get("sport")?.as_u64()?,
                f.get("proto")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// On loopback both ends are 127.0.0.1: every arrow must follow the ports. A frame whose
/// source port is the client's (the lane on the left) points right, the others left.
#[test]
fn flow_loopback_every_arrow_points_the_right_way() {
    for name in [
        "lab_tcp.pcap",
        "lab_udp.pcap",
        "lab_ipv6.pcapng",
        "lab_any_sll2.pcap",
        "lab_any_sll.pcap",
    ] {
        let fx = fixture(name);
        for ascii in [false, true] {
            let mut args = vec!["read", "--view", "flow"];
            if ascii {
                args.push("--ascii");
            }
            args.push(&fx.rel);
            let out = wirelab_run(&args).out();
            let frames = ports(&fx.rel);
            let (right, left) = if ascii {
                (">|", "|<")
            } else {
                ("▶│", "│◀")
            };
            let mut client_port = None;
            let mut checked = 0;
            for line in out.lines() {
                if let Some(rest) = line.split("  client ").nth(1) {
                    // "  No.  Time  client 127.0.0.1:44610   server ..."
                    let ep = rest.split_whitespace().next().unwrap_or_default();
                    client_port = ep.rsplit(':').next().and_then(|p| p.parse::<u64>().ok());
                    continue;
                }
                let Some(no) = line
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                else {
                    continue;
                };
                if !(line.contains(right) || line.contains(left)) {
                    continue;
                }
                let (_, _, sport, _) = frames
                    .iter()
                    .find(|f| f.0 == no)
                    .unwrap_or_else(|| panic!("{name}: frame {no} not in the JSON Lines"));
                let from_client = Some(*sport) == client_port;
                assert_eq!(
                    line.contains(right),
                    from_client,
                    "{name}: frame {no} points the wrong way: {line}"
                );
                assert_eq!(
                    line.contains(left),
                    !from_client,
                    "{name}: frame {no} points the wrong way: {line}"
                );
                checked += 1;
            }
            let expected = frames
                .iter()
                .filter(|f| f.3 == "TCP" || f.3 == "UDP")
                .count();
            assert_eq!(
                checked, expected,
                "{name}: every TCP/UDP frame has one arrow\n{out}"
            );
        }
    }
}

#[test]
fn svg_is_well_formed_xml() {
    if !require(have_program("python3", "--version"), "python3") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "lab_tcp.pcap",
        "lab_udp.pcap",
        "dpkt__http.pcap",
        "PcapPlusPlus__IcmpPackets.pcap",
    ] {
        let fx = fixture(name);
        let svg = dir.path().join(format!("{name}.svg"));
        let svg_s = svg.to_string_lossy().into_owned();
        let r = wirelab_run(&["read", "--view", "conversations", "--svg", &svg_s, &fx.rel]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        assert!(
            r.out().contains("Conversations:"),
            "the chosen view still prints"
        );
        let check = run(Command::new("python3").args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
                 assert r.tag == '{http://www.w3.org/2000/svg}svg', r.tag; \
                 print(sum(1 for e in r.iter() if e.tag.endswith('line')))",
            &svg_s,
        ]));
        assert_eq!(
            check.code,
            Some(0),
            "{name}: SVG is not well-formed: {}",
            check.stderr
        );
        let lines: usize = check.out().trim().parse().unwrap_or(0);
        assert!(
            lines >= 2 || name.contains("Icmp"),
            "{name}: the SVG has lanes"
        );
    }
}

#[test]
fn report_to_output_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("lab.md");
    let md_s = md.to_string_lossy().into_owned();
    let r = wirelab_run(&["read", "-o", &md_s, "fixtures/lab_tcp.pcap"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(r.out().contains("report written to"), "{}", r.out());
    let text = std::fs::read_to_string(&md).expect("the report file");
    assert!(text.starts_with("# wirelab lab report\n"));
    for part in [
        "## Timeline",
        "## Flow diagram",
        "## Conversations",
        "## Lab checks",
        "## Answers to the Wireshark lab questions",
    ] {
        assert!(text.contains(part), "missing {part}");
    }
    assert!(
        text.contains("acknowledgment number 3963842945 = the client's ISN 3963842944 + 1"),
        "{text}"
    );
    assert!(
        !text.contains("✗"),
        "every check passes on lab_tcp.pcap:\n{text}"
    );
}

#[test]
fn follow_stream_and_hex() {
    let r = wirelab_run(&[
        "read",
        "--view",
        "follow",
        "--stream",
        "tcp:1",
        "fixtures/lab_tcp.pcap",
    ]);
    let out = r.out();
    assert!(
        out.contains("Follow tcp:1")
            && out.contains("\nthe quick brown fox\n")
            && out.contains("\n    THE QUICK BROWN FOX\n"),
        "{out}"
    );
    let r = wirelab_run(&[
        "read",
        "--view",
        "follow",
        "--hex",
        "--stream",
        "udp:0",
        "fixtures/lab_udp.pcap",
    ]);
    assert!(r.out().contains("00000000  68 65 6c 6c 6f"), "{}", r.out());
    let r = wirelab_run(&[
        "read",
        "--view",
        "follow",
        "--stream",
        "tcp:9",
        "fixtures/lab_tcp.pcap",
    ]);
    assert!(r.out().contains("No frame of tcp:9"), "{}", r.out());
}

#[test]
fn detail_one_frame_udp_lengths() {
    let r = wirelab_run(&[
        "read",
        "--view",
        "detail",
        "--frame",
        "1",
        "fixtures/lab_udp.pcap",
    ]);
    let out = r.out();
    assert!(out.starts_with("Frame 1: 47 bytes on wire"), "{out}");
    assert!(
        out.contains("Total length") && out.contains("header 20 + payload 13 (UDP)"),
        "{out}"
    );
    assert!(
        out.contains("17 (0x11)") || out.contains("UDP (0x11)"),
        "{out}"
    );
    assert!(out.contains("8 header bytes + 5 payload bytes"), "{out}");
    assert!(
        out.contains("0020  5b a1 00 0d") || out.contains("0020"),
        "{out}"
    );
    assert_eq!(out.matches("\nFrame ").count(), 0, "only frame 1");
}

/// `-w FILE.pcapng --comments` stores each frame's note; tshark reads them back.
#[test]
fn pcapng_comments_read_back_with_tshark() {
    if !require(have_program("tshark", "--version"), "tshark") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("annotated.pcapng");
    let out_s = out.to_string_lossy().into_owned();
    let r = wirelab_run(&["read", "-w", &out_s, "--comments", "fixtures/lab_tcp.pcap"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let notes: Vec<String> = frames_of(&parse_jsonl(
        &wirelab_run(&["read", "--format", "jsonl", "fixtures/lab_tcp.pcap"]).out(),
        "jsonl",
    ))
    .iter()
    .map(|f| {
        f.get("note")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string()
    })
    .collect();
    let t = run(Command::new("tshark").args(["-r", &out_s, "-T", "fields", "-e", "frame.comment"]));
    assert_eq!(t.code, Some(0), "tshark: {}", t.stderr);
    let comments: Vec<String> = t.out().lines().map(str::to_string).collect();
    assert_eq!(comments.len(), 30);
    assert_eq!(comments, notes, "each frame's comment is its note");
}

/// More conversations than one table holds: the pipeline tells the view how many will come
/// (`View::conversations_coming`), so the conversations view streams fixed-width rows under
/// a heading with the total instead of gathering one table.
#[test]
fn conversations_view_streams_a_list_longer_than_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("syns.pcap");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_wirelab-gen"))
        .args(["--frames", "5000", "--syns", "random", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let r = super::util::wirelab_run(&[
        "read",
        &file.to_string_lossy(),
        "--view",
        "conversations",
        "--color",
        "never",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let out = r.out();
    assert!(
        out.lines().any(|l| l == "Conversations: 5000"),
        "the streamed heading gives the total: {}",
        out.lines().take(3).collect::<Vec<_>>().join("\n")
    );
    let rows = out.lines().filter(|l| l.starts_with("TCP ")).count();
    assert_eq!(rows, 5000, "one row per conversation");
}
