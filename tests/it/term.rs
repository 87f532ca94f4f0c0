//! Issue 16 (terminal layout and messages): the timeline, conversations, flow and check lines
//! laid out for 80 and 120 columns (golden files in `tests/golden-width/`), the same layout
//! found by itself under a pseudo-terminal of that size (`script`, `stty cols`, `COLUMNS`),
//! no line wider than 80 columns for any fixture and view at 80, full rows when piped or
//! with `--wide`; every former silent no-op refused or taking effect, with its message;
//! shell completions and the man page.

use std::process::Command;

use wirelab::track::Proto;
use wirelab::width::display_width;

use super::util::{
    GoldenDir, Run, assert_no_failures, fixture, fixtures, golden_run, have_program, require, root,
    run, wirelab, wirelab_run,
};

const GOLDEN: GoldenDir = GoldenDir("tests/golden-width");

/// The fixtures of the width goldens: IPv4 loopback TCP and UDP, IPv6, and MAC addresses
/// (ARP, an unknown EtherType) beside a long IPv6 source.
const FIXTURES: &[&str] = &[
    "lab_tcp.pcap",
    "lab_udp.pcap",
    "lab_ipv6.pcapng",
    "PcapPlusPlus__packet_trailer.pcap",
];

/// The views of the width goldens (`timeline` is the default view).
const VIEWS: &[&str] = &["timeline", "conversations", "flow"];

/// The widest line of `text`, in terminal columns (colour codes are not expected).
fn widest(text: &str) -> (usize, &str) {
    text.lines()
        .map(|l| (display_width(l), l))
        .max_by_key(|(w, _)| *w)
        .unwrap_or((0, ""))
}

fn view_args(view: &str, columns: &str) -> Vec<String> {
    [
        "read", "--color", "never", "--view", view, "--width", columns,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn r16_views_fit_80_and_120_columns_golden() {
    let mut failures = Vec::new();
    let mut expected = Vec::new();
    for name in FIXTURES {
        let fx = fixture(name);
        for view in VIEWS {
            for columns in ["80", "120"] {
                let args = view_args(view, columns);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let (what, r, out) = golden_run(&args, &fx.rel);
                let out = match out {
                    Ok(out) if r.code == Some(0) => out,
                    Ok(_) => {
                        failures.push(format!("{what}: {}", r.describe()));
                        continue;
                    }
                    Err(e) => {
                        failures.push(e);
                        continue;
                    }
                };
                let width: usize = columns.parse().unwrap_or(0);
                let (w, line) = widest(&out);
                if w > width {
                    failures.push(format!("{what}: a line of {w} columns: {line:?}"));
                }
                let file = format!("{name}.{view}.{columns}.txt");
                expected.push(file.clone());
                failures.extend(GOLDEN.check(&file, &out));
            }
        }
        for columns in [80, 120] {
            let file = format!("{name}.checks.{columns}.txt");
            expected.push(file.clone());
            failures.extend(GOLDEN.check(&file, &check_lines(&fx.rel, columns)));
        }
    }
    failures.extend(GOLDEN.unexpected(&expected));
    assert_no_failures(&failures, "failure(s)", usize::MAX);
}

/// The lab's check lines ("What the lab shows") for a fixture at `columns` columns: the
/// lab model's checks as `wirelab read --width N` writes them (the lab runs of the capture
/// found by the model, as a teaching assistant's `read` finds them).
fn check_lines(rel: &str, columns: usize) -> String {
    let width = columns.to_string();
    let (what, r, out) = golden_run(&["read", "--color", "never", "--width", &width], rel);
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}: {}", r.describe()));
    // A capture without lab runs has no check lines (an empty golden).
    match out.find("What the lab shows") {
        Some(at) => out[at..].to_string(),
        None => String::new(),
    }
}

#[test]
fn r16_long_message_check_lines_quoted_by_start_and_length() {
    // A long message made check lines of 8,000 characters: now its start and its length,
    // wrapped within the width.
    let long = "x".repeat(8000);
    let model = wirelab::explain::lab::LabModel {
        checks: vec![wirelab::explain::lab::Check {
            proto: Proto::Udp,
            run: 1,
            id: wirelab::explain::lab::CheckId::Request,
            result: wirelab::explain::lab::Outcome::Pass,
            frames: vec![1],
            text: format!(
                "UDP run 1: client 127.0.0.1:40000 sent {} to server 127.0.0.1:8888",
                wirelab::width::quote_excerpt(&long, wirelab::width::QUOTE_MAX)
            ),
        }],
        ..Default::default()
    };
    let mut out = Vec::new();
    wirelab::present::checks::write_lab_shows(&mut out, &model, false, Some(80)).unwrap();
    let lines = String::from_utf8(out).unwrap();
    let words: Vec<&str> = lines.split_whitespace().collect();
    assert!(words.join(" ").contains("(8000 characters)"), "{lines}");
    assert!(widest(&lines).0 <= 80, "{lines}");
    assert!(lines.lines().count() <= 5, "{lines}");
}

#[test]
fn r16_no_line_wider_than_80_columns_on_any_fixture() {
    let mut failures = Vec::new();
    let views: &[&[&str]] = &[
        &["--view", "timeline"],
        &["--view", "conversations"],
        &["--view", "flow"],
        &["--view", "follow"],
        &["--view", "follow", "--hex"],
        &["--view", "detail", "-c", "20"],
    ];
    let mut runs = 0;
    for fx in fixtures() {
        for view in views {
            let mut args = vec!["read", "--color", "never", "--width", "80"];
            args.extend_from_slice(view);
            let (what, r, out) = golden_run(&args, &fx.rel);
            runs += 1;
            let Ok(out) = out else {
                failures.push(format!("{what}: {}", r.describe()));
                continue;
            };
            let (w, line) = widest(&out);
            if w > 80 {
                failures.push(format!("{what}: a line of {w} columns: {line:?}"));
            }
        }
    }
    assert!(runs >= 6 * 30, "every fixture and view ran ({runs})");
    assert_no_failures(&failures, "line(s) wider than 80 columns", 20);
}

/// `wirelab ARGS` under a pseudo-terminal of `columns` columns (`script`, `stty cols`),
/// with `COLUMNS` set to `env_columns` or unset; its output with the terminal's `\r` removed.
fn under_terminal(args: &[&str], columns: u16, env_columns: Option<&str>) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_wirelab");
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    // The shell sets COLUMNS itself after `stty` (bash's checkwinsize): unset it, or set
    // it, right before wirelab starts.
    let columns_env = match env_columns {
        Some(c) => format!("COLUMNS={c}; export COLUMNS"),
        None => "unset COLUMNS".to_string(),
    };
    let inner = format!(
        "stty cols {columns} rows 50; {columns_env}; exec '{bin}' {}",
        quoted.join(" ")
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &inner, "/dev/null"])
        .current_dir(root())
        .env_remove("COLUMNS");
    let r = run(&mut cmd);
    assert_eq!(r.code, Some(0), "under script: {}", r.describe());
    Some(r.out().replace('\r', ""))
}

fn piped(args: &[&str]) -> String {
    let r = wirelab_run(args);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    r.out()
}

#[test]
fn r16_terminal_width_found_under_a_pseudo_terminal() {
    if !require(have_program("script", "--version"), "script (util-linux)") {
        return;
    }
    let file = "fixtures/lab_tcp.pcap";
    for view in ["timeline", "conversations", "flow"] {
        let base = ["read", "--color", "never", "--view", view, file];
        for columns in [80u16, 120] {
            let c = columns.to_string();
            let Some(tty) = under_terminal(&base, columns, None) else {
                return;
            };
            let mut with_width = base.to_vec();
            with_width.extend_from_slice(&["--width", &c]);
            assert_eq!(
                tty,
                piped(&with_width),
                "{view} under a {columns}-column terminal is the --width {columns} layout"
            );
        }
        // COLUMNS wins over the terminal's own size, as for ls.
        let tty = under_terminal(&base, 80, Some("120")).unwrap_or_default();
        let mut with_width = base.to_vec();
        with_width.extend_from_slice(&["--width", "120"]);
        assert_eq!(
            tty,
            piped(&with_width),
            "{view}: COLUMNS=120 on an 80-column terminal"
        );
        // --wide: the full rows, as piped.
        let mut wide = base.to_vec();
        wide.push("--wide");
        let tty = under_terminal(&wide, 80, None).unwrap_or_default();
        assert_eq!(
            tty,
            piped(&base),
            "{view} --wide on a terminal is the piped output"
        );
    }
    // A terminal narrower than 60 columns gets the 60-column layout.
    let tty = under_terminal(&["read", "--color", "never", file], 40, None).unwrap_or_default();
    assert_eq!(
        tty,
        piped(&["read", "--color", "never", file, "--width", "60"])
    );
}

#[test]
fn r16_colours_do_not_count_as_columns() {
    for view in ["timeline", "flow", "conversations", "follow"] {
        let out = piped(&[
            "read",
            "--color",
            "always",
            "--width",
            "80",
            "--view",
            view,
            "fixtures/lab_tcp.pcap",
        ]);
        let plain = strip_ansi(&out);
        assert!(widest(&plain).0 <= 80, "{view}:\n{plain}");
        if view == "timeline" {
            assert_ne!(plain, out, "the timeline is coloured");
        }
    }
}

/// `s` without its ANSI colour codes (`ESC [ ... m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn r16_piped_rows_are_full() {
    // Piped, nothing is cut nor moved: the notes stay on the row (goldens of it::golden).
    let out = piped(&["read", "--color", "never", "fixtures/lab_tcp.pcap"]);
    assert!(out.lines().any(|l| display_width(l) > 120), "{out}");
    assert!(!out.contains('…'), "{out}");
}

#[test]
fn r16_width_bounds() {
    for bad in ["59", "1001", "0"] {
        let r = wirelab_run(&["read", "--width", bad, "fixtures/lab_tcp.pcap"]);
        assert_eq!(r.code, Some(2), "{}", r.describe());
        assert!(r.stderr.contains("--width"), "{}", r.describe());
    }
    for good in ["60", "1000"] {
        let r = wirelab_run(&["read", "--width", good, "fixtures/lab_tcp.pcap"]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let w: usize = good.parse().unwrap_or(0);
        assert!(widest(&r.out()).0 <= w, "{}", r.out());
    }
    let r = wirelab_run(&["read", "--wide", "--width", "80", "fixtures/lab_tcp.pcap"]);
    assert_eq!(
        r.code,
        Some(2),
        "--wide and --width conflict: {}",
        r.describe()
    );
}

/// Asserts a refused run: exit `code`, one stderr line containing every one of `says`.
fn assert_refused(r: &Run, code: i32, says: &[&str]) {
    assert_eq!(r.code, Some(code), "{}", r.describe());
    for s in says {
        assert!(r.stderr.contains(s), "missing {s:?}: {}", r.describe());
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.describe());
}

#[test]
fn r16_stream_matching_nothing_names_what_exists() {
    let r = wirelab_run(&["read", "--stream", "tcp:9", "fixtures/lab_tcp.pcap"]);
    assert_refused(&r, 1, &["no tcp stream 9: this file has tcp streams 0–2"]);
    assert!(r.stdout.is_empty(), "{}", r.describe());
    let r = wirelab_run(&["read", "--stream", "udp:0", "fixtures/lab_tcp.pcap"]);
    assert_refused(
        &r,
        1,
        &["no udp stream 0: this file has no udp stream (tcp streams: 0–2)"],
    );
    // Through the two-thread reader and the one-thread one (a filter) alike.
    let r = wirelab_run(&[
        "read",
        "-f",
        "tcp",
        "--stream",
        "udp:3",
        "fixtures/lab_udp.pcap",
    ]);
    assert_refused(&r, 1, &["no udp stream 3: this file has udp streams 0–2"]);
    let r = wirelab_run(&["read", "--stream", "tcp:2", "fixtures/lab_tcp.pcap"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
}

#[test]
fn r16_frame_matching_nothing_names_what_exists() {
    let r = wirelab_run(&["read", "--frame", "99", "fixtures/lab_tcp.pcap"]);
    assert_refused(&r, 1, &["no frame 99: this file has frames 1–30"]);
    let r = wirelab_run(&[
        "read",
        "--frame",
        "3",
        "--stream",
        "tcp:1",
        "fixtures/lab_tcp.pcap",
    ]);
    assert_refused(&r, 1, &["frame 3 is not among the frames shown"]);
}

#[test]
fn r16_frame_and_hex_imply_the_detail_view() {
    let detail = piped(&[
        "read",
        "--view",
        "detail",
        "--frame",
        "4",
        "fixtures/lab_tcp.pcap",
    ]);
    assert_eq!(
        piped(&["read", "--frame", "4", "fixtures/lab_tcp.pcap"]),
        detail
    );
    let all = piped(&[
        "read",
        "--view",
        "detail",
        "-c",
        "2",
        "fixtures/lab_tcp.pcap",
    ]);
    assert_eq!(
        piped(&["read", "--hex", "-c", "2", "fixtures/lab_tcp.pcap"]),
        all
    );
}

#[test]
fn r16_options_outside_their_view_are_refused() {
    let f = "fixtures/lab_tcp.pcap";
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--format", "jsonl", "--svg", "/nonexistent/x.svg"],
            &["--svg", "--format jsonl"],
        ),
        (&["--format", "jsonl", "--view", "flow"], &["--view"]),
        (&["--format", "jsonl", "--frame", "1"], &["--frame"]),
        (
            &["--view", "flow", "--frame", "3"],
            &["--frame", "flow view"],
        ),
        (
            &["--view", "conversations", "--hex"],
            &["--hex", "conversations view"],
        ),
        (
            &["--view", "flow", "-o", "/nonexistent/r.md"],
            &["-o FILE.md", "report"],
        ),
        (&["--ascii"], &["--ascii", "timeline view"]),
    ];
    for (args, says) in cases {
        let mut all = vec!["read"];
        all.extend_from_slice(args);
        all.push(f);
        let r = wirelab_run(&all);
        assert_refused(&r, 2, says);
        assert!(r.stdout.is_empty(), "nothing shown: {}", r.describe());
    }
    // clap's own: --comments needs -w; lab -i needs --server or --serve.
    let r = wirelab_run(&["read", "--comments", f]);
    assert_refused(&r, 2, &["--write"]);
    let r = wirelab_run(&["lab", "-i", "lo"]);
    assert_refused(&r, 2, &["--server", "--serve"]);
    // The lab shows all of its own frames: -f, --stream, and -c without --serve.
    let r = wirelab_run(&["lab", "--stream", "tcp:0"]);
    assert_refused(&r, 2, &["-f and --stream apply to"]);
    let r = wirelab_run(&["lab", "-c", "3"]);
    assert_refused(&r, 2, &["-c N stops `wirelab lab --serve`"]);
}

#[test]
fn r16_ipv6_with_an_ipv4_server_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let saved = dir.path().join("x.pcap");
    let saved_s = saved.to_string_lossy().into_owned();
    let r = wirelab_run(&[
        "lab",
        "udp",
        "--ipv6",
        "--server",
        "127.0.0.1",
        "-w",
        saved_s.as_str(),
    ]);
    assert_refused(
        &r,
        2,
        &["--ipv6 with --server 127.0.0.1: that address is IPv4"],
    );
    assert!(!saved.exists(), "refused before any file is made");
}

#[test]
fn r16_no_packets_is_said() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    // A pcap file header (microseconds, Ethernet) and no record.
    let empty = dir.path().join("empty.pcap");
    let mut header = Vec::new();
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    std::fs::write(&empty, &header).unwrap_or_else(|e| panic!("write: {e}"));
    let e = empty.to_string_lossy().into_owned();
    let r = wirelab_run(&["read", e.as_str()]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(
        r.stderr.contains("no packets: this file holds none"),
        "{}",
        r.describe()
    );
    let r = wirelab_run(&["read", "-c", "0", "fixtures/lab_tcp.pcap"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(r.stderr.contains("no packets: -c 0"), "{}", r.describe());
    let r = wirelab_run(&["read", "-f", "icmp", "fixtures/lab_tcp.pcap"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    assert!(
        r.stderr
            .contains("no packets: none of the 30 read matched the filter"),
        "{}",
        r.describe()
    );
}

#[test]
fn r16_follow_without_stream_says_which_it_follows() {
    let out = piped(&["read", "--view", "follow", "fixtures/lab_tcp.pcap"]);
    assert!(
        out.contains("Follow tcp:0 (TCP stream 0), text; the first conversation"),
        "{out}"
    );
    let out = piped(&[
        "read",
        "--view",
        "follow",
        "--stream",
        "tcp:1",
        "fixtures/lab_tcp.pcap",
    ]);
    assert!(!out.contains("the first conversation"), "{out}");
}

#[test]
fn r16_completions_and_man_page_generate() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef wirelab"),
        ("fish", "complete -c wirelab"),
    ] {
        let r = wirelab_run(&["completions", shell]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let out = r.out();
        assert!(out.contains(marker), "{shell}: {out}");
        for word in ["read", "capture", "stream", "width"] {
            assert!(out.contains(word), "{shell} completes {word}");
        }
    }
    let r = wirelab_run(&["man"]);
    assert_eq!(r.code, Some(0), "{}", r.describe());
    let out = r.out();
    assert!(
        out.starts_with(".ie") || out.contains(".TH wirelab 1"),
        "{out}"
    );
    assert!(out.contains(".TH wirelab 1"), "{out}");
    assert!(
        out.contains("Exit status: 0 success"),
        "the page lists the exit statuses"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let d = dir.path().to_string_lossy().into_owned();
    let r = run(wirelab().args(["man", "--dir", d.as_str()]));
    assert_eq!(r.code, Some(0), "{}", r.describe());
    for page in [
        "wirelab.1",
        "wirelab-read.1",
        "wirelab-capture.1",
        "wirelab-lab.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let read = std::fs::read_to_string(dir.path().join("wirelab-read.1")).unwrap_or_default();
    assert!(read.contains("wide"), "the read page lists --wide");
}

#[test]
fn r16_lab_port_with_lab_is_refused() {
    // `--lab-port` sits among the shared view options, but `lab` judges its own runs: it
    // would do nothing there, so it is an error (exit 2) rather than a silent no-op.
    let r = wirelab_run(&["lab", "--lab-port", "9000"]);
    assert_eq!(r.code, Some(2), "{}", r.describe());
    assert!(r.stderr.contains("--lab-port"), "{}", r.describe());
}
