//! The options of `wirelab read`: -c, -f, --stream, -t, --absolute-seq, --color, and a
//! closed pipe (`wirelab read FILE | head -1`).

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::util::{Run, fixture, frame_numbers, pcap_records, read_jsonl, wirelab, wirelab_run};

fn assert_ok(r: &Run) {
    assert_eq!(r.code, Some(0), "expected success:\n{}", r.describe());
    assert!(
        !r.stderr.contains("panicked"),
        "panicked:\n{}",
        r.describe()
    );
}

fn timeline(args: &[&str], file: &str) -> String {
    let mut all = vec!["read"];
    all.extend_from_slice(args);
    all.push(file);
    let r = wirelab_run(&all);
    assert_ok(&r);
    r.out()
}

/// The timeline row of frame `no`: the line whose first word is the frame number.
fn row(text: &str, no: u64) -> String {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(no.to_string().as_str()))
        .unwrap_or_else(|| panic!("no timeline row for frame {no} in:\n{text}"))
        .to_string()
}

/// Asserts that the timeline row of frame `no` shows the time `want` (under option `option`).
fn assert_row_time(text: &str, no: u64, want: &str, option: &str) {
    let r = row(text, no);
    assert!(r.contains(want), "{option}: frame {no} at {want}:\n{r}");
}

/// Seconds and microseconds as the timeline prints them: `S.UUUUUU`.
fn secs(micros: i64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

const LAB_TCP: &str = "fixtures/lab_tcp.pcap";
const LAB_UDP: &str = "fixtures/lab_udp.pcap";
const LAB_SLL2: &str = "fixtures/lab_any_sll2.pcap";

#[test]
fn cli_count_stops_after_n_frames() {
    let (frames, r) = read_jsonl(LAB_TCP, &["-c", "3"]);
    assert_ok(&r);
    assert_eq!(frame_numbers(&frames), vec![1, 2, 3]);
    let t = timeline(&["--color", "never", "-c", "3"], LAB_TCP);
    row(&t, 3);
    assert!(
        t.lines().all(|l| l.split_whitespace().next() != Some("4")),
        "frame 4 shown with -c 3:\n{t}"
    );
}

#[test]
fn cli_filter_keeps_the_file_frame_numbers() {
    let (frames, r) = read_jsonl(LAB_SLL2, &["-f", "tcp"]);
    assert_ok(&r);
    assert_eq!(
        frame_numbers(&frames),
        (3..=12).collect::<Vec<u64>>(),
        "frames 1-2 are UDP"
    );
    let (frames, r) = read_jsonl(LAB_SLL2, &["--filter", "udp"]);
    assert_ok(&r);
    assert_eq!(frame_numbers(&frames), vec![1, 2]);
}

#[test]
fn cli_filter_tcp_port_80_matches_the_unfiltered_frames() {
    let file = fixture("dpkt__http.pcap").rel;
    let (all, r) = read_jsonl(&file, &[]);
    assert_ok(&r);
    let want: Vec<u64> = all
        .iter()
        .filter(|f| f.get("proto").and_then(|p| p.as_str()) == Some("TCP"))
        .filter(|f| {
            [f.get("sport"), f.get("dport")]
                .iter()
                .any(|p| p.and_then(|v| v.as_u64()) == Some(80))
        })
        .filter_map(|f| f.get("no").and_then(|n| n.as_u64()))
        .collect();
    assert!(
        !want.is_empty() && want.len() < all.len(),
        "fixture must mix port 80 and other traffic"
    );
    let (frames, r) = read_jsonl(&file, &["-f", "tcp port 80"]);
    assert_ok(&r);
    assert_eq!(frame_numbers(&frames), want);
}

#[test]
fn cli_bad_filter_is_an_error_before_any_output() {
    for view in [&["--format", "jsonl"][..], &["--color", "never"][..]] {
        let mut args = vec!["read", "-f", "tcp port"];
        args.extend_from_slice(view);
        args.push(LAB_TCP);
        let r = wirelab_run(&args);
        assert!(
            matches!(r.code, Some(c) if c != 0),
            "a bad filter must fail:\n{}",
            r.describe()
        );
        assert!(
            r.stdout.is_empty(),
            "nothing may be printed before a bad filter is reported:\n{}",
            r.describe()
        );
        let lines = r.err_lines();
        assert_eq!(lines.len(), 1, "expected one error line:\n{}", r.describe());
        assert!(
            lines[0].contains("tcp port"),
            "the error must quote the filter: {}",
            lines[0]
        );
    }
}

#[test]
fn cli_stream_shows_one_conversation() {
    let (frames, r) = read_jsonl(LAB_TCP, &["--stream", "tcp:1"]);
    assert_ok(&r);
    assert_eq!(frame_numbers(&frames), (11..=20).collect::<Vec<u64>>());
    let (frames, r) = read_jsonl(LAB_TCP, &["--stream", "tcp:0"]);
    assert_ok(&r);
    assert_eq!(frame_numbers(&frames), (1..=10).collect::<Vec<u64>>());
    let (frames, r) = read_jsonl(LAB_UDP, &["--stream", "udp:2"]);
    assert_ok(&r);
    assert_eq!(
        frame_numbers(&frames),
        vec![5, 6],
        "each UDP client run is its own stream"
    );
    // A stream that is not there is an error naming what there is (r16: it printed nothing
    // and exited 0); see `it::term` for the messages.
    let (frames, r) = read_jsonl(LAB_UDP, &["--stream", "tcp:0"]);
    assert_eq!(r.code, Some(1), "{}", r.describe());
    assert!(frames.is_empty(), "no TCP in lab_udp.pcap");
}

#[test]
fn cli_bad_stream_spec_is_one_error_line() {
    let r = wirelab_run(&["read", "--stream", "sctp:x", LAB_TCP]);
    assert!(matches!(r.code, Some(c) if c != 0), "{}", r.describe());
    assert!(r.stdout.is_empty(), "{}", r.describe());
    assert!(!r.stderr.contains("panicked"), "{}", r.describe());
}

#[test]
fn cli_time_formats() {
    let bytes = std::fs::read(fixture("lab_tcp.pcap").path()).expect("read fixture");
    let recs = pcap_records(&bytes);
    let micros: Vec<i64> = recs
        .iter()
        .map(|(_, s, u, _)| i64::from(*s) * 1_000_000 + i64::from(*u))
        .collect();
    // frame 11 starts the second client run: its relative time and delta differ
    let (rel11, delta11) = (micros[10] - micros[0], micros[10] - micros[9]);
    assert_ne!(rel11, delta11);

    for args in [&["-t", "r"][..], &[][..]] {
        let mut a = vec!["--color", "never"];
        a.extend_from_slice(args);
        let t = timeline(&a, LAB_TCP);
        assert_row_time(&t, 1, "0.000000", "-t r");
        assert_row_time(&t, 11, &secs(rel11), "-t r");
    }
    let t = timeline(&["--color", "never", "-t", "d"], LAB_TCP);
    assert_row_time(&t, 11, &secs(delta11), "-t d");

    let t = timeline(&["--color", "never", "-t", "e"], LAB_TCP);
    assert_row_time(&t, 11, &secs(micros[10]), "-t e");

    // -t ad: date and time of day (the tests run with TZ=UTC)
    let t = timeline(&["--color", "never", "-t", "ad"], LAB_TCP);
    let s = micros[10] / 1_000_000;
    let (y, m, d) = civil_from_days(s.div_euclid(86_400));
    let tod = s.rem_euclid(86_400);
    let stamp = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        micros[10] % 1_000_000
    );
    assert_row_time(&t, 11, &stamp, "-t ad");
}

#[test]
fn cli_absolute_seq_shows_raw_numbers() {
    let (frames, r) = read_jsonl(LAB_TCP, &[]);
    assert_ok(&r);
    let raw = frames[0]
        .get("raw_seq")
        .and_then(|v| v.as_u64())
        .expect("raw_seq of the SYN");
    assert_eq!(
        frames[0].get("seq").and_then(|v| v.as_u64()),
        Some(0),
        "relative seq of the SYN is 0"
    );
    let rel = timeline(&["--color", "never"], LAB_TCP);
    assert!(row(&rel, 1).contains("Seq=0 "), "{}", row(&rel, 1));
    let abs = timeline(&["--color", "never", "--absolute-seq"], LAB_TCP);
    assert!(
        row(&abs, 1).contains(&format!("Seq={raw} ")),
        "--absolute-seq: Seq={raw} expected:\n{}",
        row(&abs, 1)
    );
}

#[test]
fn cli_color_always_never_and_no_color() {
    let always = timeline(&["--color", "always"], LAB_TCP);
    assert!(
        always.contains("\u{1b}["),
        "--color always must colour the SYN/FIN rows"
    );
    let never = timeline(&["--color", "never"], LAB_TCP);
    assert!(
        !never.contains('\u{1b}'),
        "--color never must not emit escapes"
    );
    let r = super::util::run(wirelab().env("NO_COLOR", "1").args(["read", LAB_TCP]));
    assert_ok(&r);
    assert!(!r.out().contains('\u{1b}'), "NO_COLOR must turn colour off");
    let r = super::util::run(wirelab().args(["read", "--color", "auto", LAB_TCP]));
    assert_ok(&r);
    assert!(
        !r.out().contains('\u{1b}'),
        "--color auto must not colour a pipe"
    );
}

/// A capture big enough to fill a pipe: lab_tcp.pcap's 30 frames, 400 times over.
fn big_capture(dir: &std::path::Path) -> std::path::PathBuf {
    let bytes = std::fs::read(fixture("lab_tcp.pcap").path()).expect("read fixture");
    let recs = pcap_records(&bytes);
    let little = bytes[0] == 0xd4;
    let mut out = bytes[..24].to_vec();
    for rep in 0..400u32 {
        for (at, sec, frac, caplen) in &recs {
            let sec = sec + rep;
            let b = if little {
                sec.to_le_bytes()
            } else {
                sec.to_be_bytes()
            };
            out.extend_from_slice(&b);
            let _ = frac;
            out.extend_from_slice(&bytes[at + 4..at + 16 + caplen]);
        }
    }
    let path = dir.join("big.pcap");
    std::fs::write(&path, out).expect("write big capture");
    path
}

#[test]
fn cli_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let big = big_capture(dir.path());
    for view in [&["--color", "never"][..], &["--format", "jsonl"][..]] {
        let mut child = wirelab()
            .arg("read")
            .args(view)
            .arg(&big)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wirelab");
        let mut first = String::new();
        {
            let out = child.stdout.take().expect("piped");
            let mut reader = BufReader::new(out);
            reader.read_line(&mut first).expect("read the first line");
        } // `head -1` exits: the pipe closes
        assert!(!first.is_empty(), "no output");
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if start.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("wirelab kept running after its output pipe was closed");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        assert_eq!(
            status.code(),
            Some(0),
            "a closed pipe must exit 0 ({view:?}); stderr: {err}"
        );
        assert!(
            err.trim().is_empty(),
            "a closed pipe must be quiet ({view:?}), stderr: {err}"
        );
    }
}
