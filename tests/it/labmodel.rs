//! Issue 12: the lab's verdicts, one model of each exchange. For every lab fixture (with
//! the `--lab-port` that names its server where the capture alone does not make it a lab
//! run): golden files of every view (`tests/golden-lab/`), the checks each case must give,
//! and agreement: the per-frame notes, the conversation verdicts, "What the lab shows",
//! the report, the JSON Lines check objects and `wirelab check` all say the same.

use std::collections::BTreeMap;

use serde_json::Value;

use super::util::{GoldenDir, assert_no_failures, fixture, parse_jsonl, wirelab_run};

const GOLDEN: GoldenDir = GoldenDir("tests/golden-lab");

/// A lab fixture and the arguments that make its conversations lab runs.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    /// (proto, run, check id, result, words the sentence must hold)
    expect: &'static [(&'static str, u64, &'static str, &'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "lab_udp.pcap",
        args: &[],
        expect: &[("udp", 0, "runs", "pass", "3 client run(s)")],
    },
    Case {
        name: "lab_tcp.pcap",
        args: &[],
        expect: &[("tcp", 3, "teardown", "pass", "teardown complete")],
    },
    Case {
        name: "lab_udp_sizes.pcap",
        args: &[],
        expect: &[
            ("udp", 1, "reply_uppercase", "pass", "(300 bytes)"),
            ("udp", 2, "reply_uppercase", "pass", "(1400 bytes)"),
            ("udp", 3, "reply_uppercase", "pass", "(60000 bytes)"),
        ],
    },
    Case {
        name: "lab_tcp_sizes.pcap",
        args: &[],
        expect: &[
            ("tcp", 1, "reply_uppercase", "pass", "(300 bytes)"),
            ("tcp", 2, "reply_uppercase", "pass", "(1400 bytes)"),
            ("tcp", 3, "reply_uppercase", "pass", "(60000 bytes)"),
        ],
    },
    Case {
        name: "lab_tcp_multibyte.pcap",
        args: &[],
        expect: &[("tcp", 1, "reply_uppercase", "pass", "\"ASSASSASSASS")],
    },
    Case {
        name: "lab_udp_empty.pcap",
        args: &[],
        expect: &[
            ("udp", 1, "request", "pass", "sent \"\" (0 bytes)"),
            ("udp", 1, "reply", "pass", "answered \"\" (0 bytes)"),
            (
                "udp",
                1,
                "reply_uppercase",
                "pass",
                "is the request in uppercase",
            ),
        ],
    },
    Case {
        name: "lab_udp_new_socket.pcap",
        args: &[],
        expect: &[
            ("udp", 1, "reply", "pass", "HELLO"),
            (
                "udp",
                1,
                "reply_endpoint",
                "fail",
                "the server answered from a new socket. UDPClient.py still accepts it, because recvfrom() takes a datagram from anyone; a client that connect()s its socket would never see it",
            ),
            (
                "udp",
                2,
                "reply_endpoint",
                "fail",
                "not the server's port 23481",
            ),
            ("udp", 1, "reply_uppercase", "pass", "uppercase"),
        ],
    },
    Case {
        name: "lab_udp_wrong_port.pcap",
        args: &[],
        expect: &[
            (
                "udp",
                1,
                "reply_endpoint",
                "fail",
                "ICMP port unreachable (frame 3)",
            ),
            ("udp", 1, "reply_uppercase", "pass", "uppercase"),
        ],
    },
    Case {
        name: "lab_udp_no_server.pcap",
        args: &[],
        expect: &[
            ("udp", 1, "reply", "fail", "ICMP port unreachable (frame 2)"),
            ("udp", 1, "reply_endpoint", "skip", ""),
            ("udp", 1, "reply_uppercase", "skip", ""),
        ],
    },
    Case {
        name: "lab_udp_no_reply.pcap",
        args: &["--lab-port", "23481"],
        expect: &[
            ("udp", 1, "request", "pass", "hello"),
            ("udp", 1, "reply", "fail", "no reply"),
            ("udp", 1, "reply_uppercase", "skip", ""),
        ],
    },
    Case {
        name: "lab_tcp_no_reply.pcap",
        args: &["--lab-port", "23486"],
        expect: &[
            ("tcp", 1, "handshake", "pass", "complete"),
            ("tcp", 1, "reply", "fail", "no reply"),
            ("tcp", 1, "reply_uppercase", "skip", ""),
        ],
    },
    Case {
        name: "lab_tcp_3000.pcap",
        args: &[],
        expect: &[
            (
                "tcp",
                1,
                "reply_uppercase",
                "fail",
                "the reply is the uppercase of the first 1024 of 3000 bytes: the server read once, with recv(1024)",
            ),
            (
                "tcp",
                1,
                "teardown",
                "fail",
                "closed with 1976 bytes unread, so Linux resets instead of FIN",
            ),
        ],
    },
    Case {
        name: "lab_tcp_refused.pcap",
        args: &["--lab-port", "23458"],
        expect: &[
            ("tcp", 1, "handshake", "fail", "refused"),
            ("tcp", 1, "request", "skip", ""),
            ("tcp", 1, "reply", "skip", ""),
            ("tcp", 1, "reply_uppercase", "skip", ""),
            ("tcp", 1, "teardown", "skip", ""),
        ],
    },
    Case {
        name: "lab_tcp_syn_unanswered.pcap",
        args: &["--lab-port", "23487"],
        expect: &[
            (
                "tcp",
                1,
                "handshake",
                "fail",
                "the SYN was never answered: 10.13.0.1:39684 sent it to 10.13.0.2:23487 6 times (frames 1-6: the SYN and 5 retransmissions), and no SYN-ACK or RST came back",
            ),
            ("tcp", 1, "request", "skip", "the SYN was never answered"),
            ("tcp", 1, "reply", "skip", "the SYN was never answered"),
            ("tcp", 1, "reply_endpoint", "skip", ""),
            ("tcp", 1, "reply_uppercase", "skip", ""),
            ("tcp", 1, "teardown", "skip", "nothing to close"),
        ],
    },
    Case {
        name: "lab_background.pcap",
        args: &[],
        expect: &[("udp", 0, "runs", "pass", "1 client run(s)")],
    },
];

fn out_of(args: &[&str]) -> String {
    let r = wirelab_run(args);
    assert!(
        !r.stderr.contains("panicked"),
        "wirelab {args:?} panicked: {}",
        r.stderr
    );
    r.out()
}

fn args_for<'a>(case: &'a Case, view: &[&'a str], file: &'a str) -> Vec<&'a str> {
    let mut a = vec!["read", "--color", "never"];
    a.extend_from_slice(view);
    a.extend_from_slice(case.args);
    a.push(file);
    a
}

/// The check objects of a JSON Lines output.
fn checks_of(objects: &[Value]) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| o["type"] == "check")
        .cloned()
        .collect()
}

/// The records (header and bytes) of a classic pcap fixture of `frames` frames, and the
/// file header they follow.
fn fixture_records(name: &str, frames: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let bytes = std::fs::read(fixture(name).path()).unwrap();
    let records: Vec<Vec<u8>> = super::util::pcap_records(&bytes)
        .into_iter()
        .map(|(at, _, _, caplen)| bytes[at..at + 16 + caplen].to_vec())
        .collect();
    assert_eq!(records.len(), frames, "{name}");
    (bytes[..24].to_vec(), records)
}

/// Writes `records` after `header` as `name` in `dir`; the file's path.
fn write_capture(
    dir: &tempfile::TempDir,
    name: &str,
    header: &[u8],
    records: impl IntoIterator<Item = Vec<u8>>,
) -> String {
    let mut out = header.to_vec();
    for r in records {
        out.extend(r);
    }
    let path = dir.path().join(name);
    std::fs::write(&path, &out).unwrap();
    path.to_string_lossy().into_owned()
}

/// Where a TCP segment's header starts in its pcap record (Ethernet, IPv4).
fn tcp_header_at(record: &[u8]) -> usize {
    let ip = 16 + 14;
    ip + usize::from(record[ip] & 0x0f) * 4
}

/// The frames a check object names.
fn frames_of_check(c: &Value) -> Vec<u64> {
    c["frames"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// The note of every frame of a JSON Lines output, by frame number.
fn notes_of(objects: &[Value]) -> BTreeMap<u64, String> {
    objects
        .iter()
        .filter(|o| o["type"] == "frame")
        .filter_map(|o| Some((o["no"].as_u64()?, o["note"].as_str()?.to_string())))
        .collect()
}

fn mark(result: &str) -> &'static str {
    match result {
        "pass" => "✓",
        "fail" => "✗",
        _ => "–",
    }
}

/// The check lines after a heading (`What the lab shows`, `## Lab checks`).
fn check_lines(text: &str, heading: &str, prefix: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != heading)
        .skip(1)
        .filter_map(|l| l.strip_prefix(prefix))
        .filter(|l| l.starts_with(['✓', '✗', '–']))
        .map(str::to_string)
        .collect()
}

#[test]
fn labmodel_every_case_gives_its_checks_in_every_output() {
    let mut failures = Vec::new();
    let mut expected_files = Vec::new();
    for case in CASES {
        let fx = fixture(case.name);
        let file = fx.rel.as_str();
        let timeline = out_of(&args_for(case, &[], file));
        let jsonl = out_of(&args_for(case, &["--format", "jsonl"], file));
        let report = out_of(&args_for(case, &["--view", "report"], file));
        let flow = out_of(&args_for(case, &["--view", "flow"], file));
        let conv = out_of(&args_for(case, &["--view", "conversations"], file));
        let mut check_args = vec!["check", "--format", "jsonl"];
        check_args.extend_from_slice(case.args);
        check_args.push(file);
        let checked = out_of(&check_args);
        for (suffix, text) in [
            ("timeline.txt", &timeline),
            ("jsonl", &jsonl),
            ("report.md", &report),
            ("flow.txt", &flow),
            ("conversations.txt", &conv),
            ("check.jsonl", &checked),
        ] {
            let name = format!("{}.{suffix}", case.name);
            failures.extend(GOLDEN.check(&name, text));
            expected_files.push(name);
        }

        let objects = parse_jsonl(&jsonl, case.name);
        let checks = checks_of(&objects);
        if checks.is_empty() {
            failures.push(format!("{}: no check object in JSON Lines", case.name));
            continue;
        }
        // The cases' expectations.
        for &(proto, run, id, result, words) in case.expect {
            let found = checks
                .iter()
                .find(|c| c["proto"] == proto && c["run"] == run && c["check"] == id);
            match found {
                None => failures.push(format!("{}: no {proto} run {run} {id}", case.name)),
                Some(c) => {
                    if c["result"] != result || !c["text"].as_str().unwrap_or("").contains(words) {
                        failures.push(format!(
                            "{}: {proto} run {run} {id}: want {result} with {words:?}, got {c}",
                            case.name
                        ));
                    }
                }
            }
        }
        // wirelab check gives the same objects (with the file).
        let from_check: Vec<Value> = checks_of(&parse_jsonl(&checked, case.name))
            .into_iter()
            .map(|mut c| {
                if let Some(o) = c.as_object_mut() {
                    o.remove("file");
                }
                c
            })
            .collect();
        if from_check != checks {
            failures.push(format!(
                "{}: `wirelab check` objects differ from read's",
                case.name
            ));
        }
        // "What the lab shows" and the report list the same checks, in the same order.
        let want: Vec<String> = checks
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    mark(c["result"].as_str().unwrap_or("")),
                    c["text"].as_str().unwrap_or("")
                )
            })
            .collect();
        let shown = check_lines(&timeline, "What the lab shows", "  ");
        if shown != want {
            failures.push(format!(
                "{}: timeline's checks differ from JSON:\n{shown:#?}\n{want:#?}",
                case.name
            ));
        }
        let in_report: Vec<String> = check_lines(&report, "## Lab checks", "- ")
            .into_iter()
            .map(|l| l.replace("\\|", "|"))
            .collect();
        if in_report != want {
            failures.push(format!("{}: report's checks differ from JSON", case.name));
        }
        for (view, text) in [("flow", &flow), ("conversations", &conv)] {
            if check_lines(text, "What the lab shows", "  ") != want {
                failures.push(format!(
                    "{}: the {view} view's checks differ from JSON",
                    case.name
                ));
            }
        }
        // Verdicts: each run's conversation says "lab run N" with the model's words on
        // the uppercase; notes: the reply frames say "the request in uppercase" exactly
        // when the check passes.
        let notes: BTreeMap<u64, String> = objects
            .iter()
            .filter(|o| o["type"] == "frame" || o.get("type").is_none())
            .filter_map(|o| Some((o["no"].as_u64()?, o["note"].as_str()?.to_string())))
            .collect();
        // Notes: a request or a reply in several frames says in each which part it is.
        for c in checks
            .iter()
            .filter(|c| c["check"] == "request" || c["check"] == "reply")
            .filter(|c| c["result"] == "pass")
        {
            let what = if c["check"] == "request" {
                "request"
            } else {
                "reply"
            };
            if let Some([first, last]) = frames_of_check(c).get(..) {
                let noted = |f: &u64, words: &str| notes.get(f).is_some_and(|n| n.contains(words));
                if !noted(first, &format!("part 1 of the {what} "))
                    || !noted(last, &format!(" of the {what} "))
                    || !noted(last, "part ")
                {
                    failures.push(format!(
                        "{}: the frames of {c} do not each say which part of the {what} they carry",
                        case.name
                    ));
                }
            }
        }
        for c in checks.iter().filter(|c| c["check"] == "reply_uppercase") {
            let run = c["run"].as_u64().unwrap_or(0);
            let proto = c["proto"].as_str().unwrap_or("").to_uppercase();
            let verdict_words = format!("lab run {run}: ");
            let verdict = objects.iter().find(|o| {
                o["type"] == "conversation"
                    && o["proto"] == proto.as_str()
                    && o["verdict"]
                        .as_str()
                        .is_some_and(|v| v.contains(&verdict_words))
            });
            let Some(verdict) = verdict.and_then(|v| v["verdict"].as_str()) else {
                failures.push(format!(
                    "{}: no verdict names {proto} lab run {run}",
                    case.name
                ));
                continue;
            };
            let pass = c["result"] == "pass";
            if pass != verdict.contains("the reply is the request in uppercase") {
                failures.push(format!(
                    "{}: {proto} run {run}: verdict {verdict:?} disagrees with the check {c}",
                    case.name
                ));
            }
            let frames = frames_of_check(c);
            let says_upper = frames
                .iter()
                .filter_map(|f| notes.get(f))
                .any(|n| n.contains("the request in uppercase"));
            if c["result"] != "skip" && pass != says_upper {
                failures.push(format!(
                    "{}: {proto} run {run}: the reply frames' notes disagree with the check {c}",
                    case.name
                ));
            }
        }
    }
    failures.extend(GOLDEN.unexpected(&expected_files));
    assert_no_failures(&failures, "lab model failure(s)", usize::MAX);
}

#[test]
fn r12_dns_and_http_beside_the_lab_are_never_judged() {
    let fx = fixture("lab_background.pcap");
    let out = out_of(&["read", "--format", "jsonl", &fx.rel]);
    let objects = parse_jsonl(&out, "lab_background");
    for o in objects.iter().filter(|o| o["type"] == "conversation") {
        let v = o["verdict"].as_str().unwrap_or("");
        let port = o["server_port"].as_u64().unwrap_or(0);
        if port == 53 || port == 80 {
            assert!(!v.contains("lab run") && !v.contains("uppercase"), "{o}");
        }
    }
    for o in objects.iter().filter(|o| o["type"] == "frame") {
        if o["sport"] == 53 || o["dport"] == 53 || o["sport"] == 80 || o["dport"] == 80 {
            assert!(
                !o["note"].as_str().unwrap_or("").contains("uppercase"),
                "{o}"
            );
        }
    }
    assert_eq!(
        checks_of(&objects)
            .iter()
            .filter(|c| c["check"] == "runs")
            .count(),
        1
    );
}

#[test]
fn r12_refused_connection_is_not_read_as_success() {
    let fx = fixture("lab_tcp_refused.pcap");
    let out = out_of(&["read", "--color", "never", "--lab-port", "23458", &fx.rel]);
    let lines = check_lines(&out, "What the lab shows", "  ");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('✗') && l.contains("refused")),
        "{out}"
    );
    assert!(!lines.iter().skip(1).any(|l| l.starts_with('✓')), "{out}");
}

#[test]
fn r12_report_numbers_runs_as_the_terminal_and_lists_every_check() {
    let fx = fixture("lab_udp.pcap");
    let report = out_of(&["read", "--view", "report", &fx.rel]);
    let timeline = out_of(&["read", "--color", "never", &fx.rel]);
    let r = check_lines(&report, "## Lab checks", "- ");
    let t = check_lines(&timeline, "What the lab shows", "  ");
    assert_eq!(r, t);
    for n in 1..=3 {
        assert!(
            r.iter().any(|l| l.contains(&format!("UDP run {n}:"))),
            "{r:#?}"
        );
    }
    assert!(r.iter().any(|l| l.contains("client run(s) captured")));
}

#[test]
fn r12_message_over_256_bytes_judged_whole() {
    let fx = fixture("lab_tcp_sizes.pcap");
    let out = out_of(&["read", "--color", "never", &fx.rel]);
    assert!(!out.contains("not the uppercase"), "{out}");
    assert!(
        out.contains("(60000 bytes) is the request in uppercase"),
        "{out}"
    );
}

#[test]
fn check_many_files_one_row_each_damaged_file_a_row_exit_1() {
    let good = fixture("lab_udp.pcap");
    let bad = fixture("lab_udp_new_socket.pcap");
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.pcap");
    let bytes = std::fs::read(fixture("lab_tcp.pcap").path()).unwrap();
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let damaged = damaged.to_string_lossy().into_owned();
    let r = wirelab_run(&["check", &good.rel, &bad.rel, &damaged]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    let out = r.out();
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.contains("reply_endpoint") && l.contains("new_port"))
    );
    let row = |f: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(f))
            .copied()
            .unwrap_or("")
    };
    assert!(
        row(&good.rel).contains('✓') && !row(&good.rel).contains('✗'),
        "{out}"
    );
    assert!(row(&bad.rel).contains('✗'), "{out}");
    assert!(row(&damaged).contains("damaged"), "{out}");
    assert!(
        out.contains("Failures") && out.contains("[reply_endpoint]"),
        "{out}"
    );
    // All good: exit 0.
    let r = wirelab_run(&["check", &good.rel]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    // CSV and Markdown.
    let csv = wirelab_run(&["check", "--format", "csv", &bad.rel]).out();
    assert!(
        csv.starts_with("file,proto,run,check,result,frames,text\n"),
        "{csv}"
    );
    assert!(csv.contains(",reply_endpoint,fail,"), "{csv}");
    let md = wirelab_run(&["check", "--format", "markdown", &good.rel, &bad.rel]).out();
    assert!(
        md.starts_with("| file | runs |") && md.contains("## Failures"),
        "{md}"
    );
}

#[test]
fn r12_uppercase_across_retransmission_and_out_of_order() {
    // lab_tcp_sizes.pcap's third run: request in frames 24 and 26, reply in 28 and 30.
    // Reordered: each second segment first, each first one twice (a retransmission).
    let (header, records) = fixture_records("lab_tcp_sizes.pcap", 33);
    let mut order: Vec<usize> = (1..=23).collect();
    order.extend([26, 24, 24, 25, 27, 30, 28, 28, 29]);
    order.extend(31..=33);
    let dir = tempfile::tempdir().unwrap();
    let path = write_capture(
        &dir,
        "reordered.pcap",
        &header,
        order.into_iter().map(|n| records[n - 1].clone()),
    );
    let json = out_of(&["read", "--format", "jsonl", &path]);
    let checks = checks_of(&parse_jsonl(&json, "reordered"));
    let upper: Vec<&Value> = checks
        .iter()
        .filter(|c| c["check"] == "reply_uppercase")
        .collect();
    assert_eq!(upper.len(), 3, "{checks:#?}");
    for c in upper {
        assert_eq!(c["result"], "pass", "{c}");
    }
    let run3 = checks
        .iter()
        .find(|c| c["run"] == 3 && c["check"] == "request")
        .cloned()
        .unwrap_or_default();
    assert!(
        run3["text"]
            .as_str()
            .unwrap_or("")
            .contains("(60000 bytes)"),
        "{run3}"
    );
}

#[test]
fn r12_multi_segment_reply_only_its_last_segment_had_a_note() {
    // (fixture, request frames, reply frames, message length)
    for (name, request, reply, total) in [
        ("lab_tcp_sizes.pcap", [24, 26], [28, 30], 60_000),
        ("lab_tcp_multibyte.pcap", [4, 6], [8, 10], 2_100),
    ] {
        let fx = fixture(name);
        let objects = parse_jsonl(&out_of(&["read", "--format", "jsonl", &fx.rel]), name);
        let notes = notes_of(&objects);
        let note = |f: u64| notes.get(&f).cloned().unwrap_or_default();
        let (q1, q2) = (note(request[0]), note(request[1]));
        let (r1, r2) = (note(reply[0]), note(reply[1]));
        assert!(
            q1.starts_with("part 1 of the request ") && q1.contains(", bytes 1-"),
            "{name}: {q1}"
        );
        assert!(q1.contains("(no PSH: the client has more to send)"), "{q1}");
        assert!(
            q2.starts_with("part 2 of the request ") && q2.contains(&format!("-{total}")),
            "{name}: {q2}"
        );
        let expected = format!("of the {total} expected");
        assert!(
            r1.starts_with("part 1 of the reply ")
                && r1.contains(", bytes 1-")
                && r1.contains(&expected),
            "{name}: {r1}"
        );
        assert!(
            !r1.contains("uppercase"),
            "the first part decides nothing: {r1}"
        );
        assert!(
            r2.starts_with("part 2 of the reply ")
                && r2.contains(&format!("-{total} {expected}: the request in uppercase")),
            "{name}: {r2}"
        );
        // The same frames as the model's request and reply checks.
        let checks = checks_of(&objects);
        let frames = |id: &str| {
            checks
                .iter()
                .filter(|c| c["check"] == id && c["proto"] == "tcp")
                .map(frames_of_check)
                .find(|f| f.len() == 2)
                .unwrap_or_default()
        };
        assert_eq!(frames("request"), request.to_vec(), "{name}");
        assert_eq!(frames("reply"), reply.to_vec(), "{name}");
    }
}

#[test]
fn r12_reply_whose_last_segment_carries_the_fin_judged_with_its_bytes() {
    // lab_tcp_sizes.pcap's run 3 with the server's FIN on its last data segment (frame
    // 30) instead of a segment of its own (frame 31, dropped). The reply was judged at the
    // FIN before that segment's bytes counted: 32,768 bytes, "the uppercase of the first
    // 32768 of 60000 bytes".
    let (header, mut records) = fixture_records("lab_tcp_sizes.pcap", 33);
    let flags = tcp_header_at(&records[29]) + 13;
    assert_eq!(records[29][flags], 0x18, "frame 30 is PSH, ACK");
    records[29][flags] |= 0x01; // FIN
    records.remove(30);
    let dir = tempfile::tempdir().unwrap();
    let path = write_capture(&dir, "fin_on_data.pcap", &header, records);
    let objects = parse_jsonl(
        &out_of(&["read", "--format", "jsonl", &path]),
        "fin on data",
    );
    let checks = checks_of(&objects);
    let upper = checks
        .iter()
        .find(|c| c["run"] == 3 && c["check"] == "reply_uppercase")
        .cloned()
        .unwrap_or_default();
    assert_eq!(upper["result"], "pass", "{upper}");
    let note = notes_of(&objects).get(&30).cloned().unwrap_or_default();
    assert!(
        note.contains("part 2 of the reply") && note.contains(": the request in uppercase"),
        "{note}"
    );
}

#[test]
fn r12_reply_with_bytes_past_the_uppercase_judged_as_the_uppercase() {
    // lab_tcp.pcap's run 1 ("hello", "HELLO" in frame 6) with "HELLO" sent once more
    // right after it (frame 6 again, its sequence number 5 further on): the reply is
    // "HELLOHELLO", which was judged the uppercase at its first 5 bytes.
    let (header, mut records) = fixture_records("lab_tcp.pcap", 30);
    let mut again = records[5].clone();
    let seq_at = tcp_header_at(&again) + 4;
    let seq = u32::from_be_bytes(again[seq_at..seq_at + 4].try_into().unwrap());
    again[seq_at..seq_at + 4].copy_from_slice(&seq.wrapping_add(5).to_be_bytes());
    records.insert(6, again);
    let dir = tempfile::tempdir().unwrap();
    let path = write_capture(&dir, "longer_reply.pcap", &header, records);
    let objects = parse_jsonl(&out_of(&["read", "--format", "jsonl", &path]), "longer");
    let checks = checks_of(&objects);
    let upper = |run: u64| {
        checks
            .iter()
            .find(|c| c["run"] == run && c["check"] == "reply_uppercase")
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(upper(1)["result"], "fail", "{}", upper(1));
    assert!(
        upper(1)["text"]
            .as_str()
            .unwrap_or("")
            .contains("\"HELLOHELLO\" (10 bytes) is NOT the request \"hello\" (5 bytes)"),
        "{}",
        upper(1)
    );
    assert_eq!(
        (upper(2)["result"].clone(), upper(3)["result"].clone()),
        ("pass".into(), "pass".into())
    );
    let note = notes_of(&objects).get(&7).cloned().unwrap_or_default();
    assert!(
        note.starts_with("part 2 of the reply")
            && note.contains("not the uppercase of the request"),
        "{note}"
    );
}

#[test]
fn r12_report_answered_the_lab_questions_about_the_dns_query_beside_the_lab() {
    let answers = |name: &str| {
        let fx = fixture(name);
        let report = out_of(&["read", "--view", "report", &fx.rel]);
        report
            .split_once("## Answers to the Wireshark lab questions")
            .map(|(_, a)| a.to_string())
            .unwrap_or_default()
    };
    // DNS (UDP stream 0) and HTTP (the only TCP) beside one UDP lab run (UDP stream 1).
    let a = answers("lab_background.pcap");
    assert!(a.contains("### UDP (stream 1)"), "{a}");
    assert!(a.contains("sent the request \"hello\""), "{a}");
    assert!(!a.contains("example") && !a.contains("### TCP"), "{a}");
    // The reply from a new socket is the run's reply, named so.
    let a = answers("lab_udp_new_socket.pcap");
    assert!(
        a.contains("6. **The reply** \"HELLO\" came from 127.0.0.1:37305")
            && a.contains(
                "not from the server's port 23481: the server answered from a new socket"
            ),
        "{a}"
    );
    // No lab run at all: the first conversations, as before.
    let a = answers("tcpdump__resp_2_inline.pcap");
    assert!(a.contains("### TCP (stream 0)"), "{a}");
}
