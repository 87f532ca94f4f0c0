//! Robustness: damaged captures (every prefix of every fixture, seeded byte flips in the file
//! header, record headers and frame bytes) read without panic or hang, each ending with the
//! frames before the damage and one error line; the regressions found by fuzzing
//! (`fixtures/regressions/`); the uppercase servers under a bounded load on loopback; the
//! seed's Python clients and servers against ours; SIGINT and SIGTERM during `capture -w`
//! and `lab -w` leave a valid file holding every frame counted as captured.
//!
//! Reading runs in-process through the library (the same stages as `wirelab read`, under
//! `catch_unwind`) for the thousands of damaged files, and through the real binary for a
//! sample of them. The fuzz targets themselves live in `tests/fuzz/` (own workspace).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use wirelab::app::{Pipeline, Selection};
use wirelab::cli::{Cli, Command as CliCommand};
use wirelab::error::SourceError;
use wirelab::lab::upper::uppercase;
use wirelab::source::FileSource;

use super::util::{Run, have_program, in_ci, parse_jsonl, frames_of, require, root, wirelab};

// ---------------------------------------------------------------------------------------
// Helpers: a seeded random generator, in-process reading, bounded runs of the binary.
// ---------------------------------------------------------------------------------------

/// xorshift64*: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// What one in-process read gave.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Read to the end: this many frames.
    Clean(u64),
    /// Stopped by damage at frame `frame`, after `seen` frames went through the pipeline.
    Damaged { frame: u64, offset: u64, seen: u64 },
    /// Refused before the first frame (not a capture, empty...).
    Refused,
}

/// Reads `path` as `wirelab read --format FORMAT` does, into `io::sink()`.
fn read_in_process(path: &Path, format: &str) -> Outcome {
    let p = path.to_string_lossy().into_owned();
    let cli = Cli::try_parse_from(["wirelab", "--color", "never", "read", "--format", format, p.as_str()])
        .unwrap_or_else(|e| panic!("wirelab read arguments: {e}"));
    let CliCommand::Read(args) = cli.command else { panic!("not a read command") };
    let mut source = match FileSource::open(&args.file) {
        Ok(s) => s,
        Err(_) => return Outcome::Refused,
    };
    let selection = Selection { filter: None, stream: None, count: None };
    let mut pipeline = Pipeline::new(&args.view, selection, false, Box::new(io::sink()));
    let mut seen = 0u64;
    let outcome = loop {
        match source.next_frame() {
            Ok(Some(frame)) => {
                seen += 1;
                assert_eq!(frame.number, seen, "{p}: frames must be numbered from 1 without gaps");
                if pipeline.frame(&frame).is_err() {
                    panic!("{p}: writing into io::sink() failed");
                }
            }
            Ok(None) => break Outcome::Clean(seen),
            Err(SourceError::Damaged { frame, offset, .. }) => break Outcome::Damaged { frame, offset, seen },
            Err(e) => panic!("{p}: an error other than damage after {seen} frames: {e}"),
        }
    };
    if let Err(e) = pipeline.finish() {
        panic!("{p}: finishing into io::sink() failed: {e}");
    }
    outcome
}

/// The longest one in-process read or one run of the binary may take.
const HANG_LIMIT: Duration = Duration::from_secs(20);

/// Reads `bytes` (written to `path`) in-process in both formats, on a watchdog thread: a
/// panic or a hang fails the test with the name of the input. Returns the outcome.
fn read_bytes_checked(path: &Path, bytes: &[u8], what: &str) -> Outcome {
    std::fs::write(path, bytes).expect("write the damaged copy");
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| {
            let a = read_in_process(&p, "timeline");
            let b = read_in_process(&p, "jsonl");
            (a, b)
        });
        let _ = tx.send(result);
    });
    let (a, b) = match rx.recv_timeout(HANG_LIMIT) {
        Ok(Ok(pair)) => pair,
        Ok(Err(panic)) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            keep_failure(bytes, what);
            panic!("{what}: reading panicked: {msg}");
        }
        Err(_) => {
            keep_failure(bytes, what);
            panic!("{what}: reading did not finish within {HANG_LIMIT:?}");
        }
    };
    assert_eq!(a, b, "{what}: timeline and jsonl stopped at different places");
    if let Outcome::Damaged { frame, offset, seen } = a {
        assert_eq!(frame, seen + 1, "{what}: damage at frame {frame} but {seen} frames were shown before it");
        assert!(offset <= bytes.len() as u64, "{what}: damage offset {offset} past the end of the {}-byte file", bytes.len());
    }
    a
}

/// Saves a failing input under the target directory, to turn into a regression fixture.
fn keep_failure(bytes: &[u8], what: &str) {
    let dir = std::env::temp_dir().join("wirelab-robust-failures");
    let _ = std::fs::create_dir_all(&dir);
    let name: String = what.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
    let path = dir.join(name);
    if std::fs::write(&path, bytes).is_ok() {
        eprintln!("the failing input is saved as {}", path.display());
    }
}

/// Runs `cmd` (stdin closed) to its end within `limit`; a hang kills it and fails.
fn run_limited(cmd: &mut Command, limit: Duration) -> Run {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let (out, err) = drain(&mut child);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not finish within {limit:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
    }
}

type Reader = std::thread::JoinHandle<Vec<u8>>;

/// Reads a child's stdout and stderr to their ends on two threads.
fn drain(child: &mut Child) -> (Reader, Reader) {
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let a = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let b = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    (a, b)
}

/// Asserts a run did not panic: exit code not 101, no "panicked" on stderr.
fn assert_no_panic(r: &Run, what: &str) {
    assert!(r.code != Some(101) && !r.stderr.contains("panicked"), "{what}: wirelab panicked:\n{}", r.describe());
    assert!(r.code.is_some(), "{what}: wirelab was killed by a signal:\n{}", r.describe());
}

/// Parses `wirelab: PATH: damaged at frame N, byte offset M: ...` into (N, M).
fn damage_line(line: &str, path: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix(&format!("wirelab: {path}: damaged at frame "))?;
    let (n, rest) = rest.split_once(", byte offset ")?;
    let (m, _) = rest.split_once(": ")?;
    Some((n.parse().ok()?, m.parse().ok()?))
}

/// Runs the binary on a damaged copy in both formats and checks what it prints against the
/// in-process outcome.
fn check_binary(path: &Path, outcome: &Outcome, what: &str) {
    let p = path.to_string_lossy().into_owned();
    let j = run_limited(wirelab().args(["read", "--color", "never", "--format", "jsonl", &p]), HANG_LIMIT);
    assert_no_panic(&j, what);
    let t = run_limited(wirelab().args(["read", "--color", "never", &p]), HANG_LIMIT);
    assert_no_panic(&t, what);
    let frames = frames_of(&parse_jsonl(&j.out(), what));
    let numbers: Vec<u64> = frames.iter().map(|f| f.get("no").and_then(|n| n.as_u64()).unwrap_or(0)).collect();
    match *outcome {
        Outcome::Clean(n) => {
            assert_eq!(j.code, Some(0), "{what}: a readable file must exit 0:\n{}", j.describe());
            assert_eq!(t.code, Some(0), "{what}: a readable file must exit 0:\n{}", t.describe());
            assert_eq!(numbers, (1..=n).collect::<Vec<_>>(), "{what}: every frame must be printed");
        }
        Outcome::Damaged { frame, offset, .. } => {
            for r in [&j, &t] {
                assert_eq!(r.code, Some(2), "{what}: a damaged file exits 2:\n{}", r.describe());
                let lines = r.err_lines();
                assert_eq!(lines.len(), 1, "{what}: exactly one line on stderr:\n{}", r.describe());
                let (n, m) = damage_line(lines[0], &p)
                    .unwrap_or_else(|| panic!("{what}: not a damage line: {}", lines[0]));
                assert_eq!((n, m), (frame, offset), "{what}: the binary and the library disagree");
            }
            assert_eq!(numbers, (1..frame).collect::<Vec<_>>(), "{what}: the frames before the damage must be printed");
        }
        Outcome::Refused => {
            for r in [&j, &t] {
                assert_eq!(r.code, Some(1), "{what}: a refused file exits 1:\n{}", r.describe());
                assert_eq!(r.err_lines().len(), 1, "{what}: exactly one line on stderr:\n{}", r.describe());
                assert!(r.err_lines()[0].starts_with(&format!("wirelab: {p}: ")), "{what}: the line names the file");
            }
            assert!(numbers.is_empty(), "{what}: nothing printed for a refused file");
        }
    }
}

/// Every fixture capture (`fixtures/**`, oracles excluded), sorted.
fn fixture_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if let Some(n) = p.file_name().and_then(|n| n.to_str()) {
                if !n.contains(".oracle.") && (n.contains(".pcap") || n.ends_with(".cap")) {
                    out.push(p);
                }
            }
        }
    }
    let mut v = Vec::new();
    walk(&root().join("fixtures"), &mut v);
    v.sort();
    assert!(v.len() > 10, "the fixtures are missing");
    v
}

/// The regions of a capture: (file header end, [(record header start, header len, data end)]).
/// Classic pcap: 24-byte header, 16-byte record headers; pcapng: blocks (12-byte frame of
/// type, length... length). Unknown formats give no records.
fn regions(bytes: &[u8]) -> (usize, Vec<(usize, usize, usize)>) {
    let word = |at: usize, big: bool| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) } as usize)
    };
    let mut recs = Vec::new();
    match bytes.get(0..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => {
            let big = bytes.get(8..12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d]);
            let first = word(4, big).unwrap_or(28);
            let mut at = first;
            while let Some(len) = word(at + 4, big) {
                if len < 12 || at + len > bytes.len() {
                    break;
                }
                recs.push((at, 8, at + len));
                at += len;
            }
            (first.min(bytes.len()), recs)
        }
        Some(m) => {
            let big = matches!(m, [0xa1, 0xb2, _, _]);
            let mut at = 24;
            while let Some(cap) = word(at + 8, big) {
                if at + 16 + cap > bytes.len() {
                    break;
                }
                recs.push((at, 16, at + 16 + cap));
                at += 16 + cap;
            }
            (24, recs)
        }
        None => (0, recs),
    }
}

/// The prefix lengths tried for a file of `len` bytes: all of them for files up to 4 KiB;
/// for bigger ones the first 600, every record boundary ±1 and ±8, and a seeded sample.
fn prefix_lengths(bytes: &[u8], rng: &mut Rng) -> Vec<usize> {
    let len = bytes.len();
    if len <= 4096 {
        return (0..=len).collect();
    }
    let mut v: Vec<usize> = (0..600).collect();
    for (start, hdr, end) in regions(bytes).1 {
        for p in [start, start + 1, start + hdr - 1, start + hdr, start + hdr + 1, end - 1, end, end.saturating_sub(8)] {
            v.push(p);
        }
    }
    for _ in 0..200 {
        v.push(rng.below(len + 1));
    }
    v.push(len);
    v.sort_unstable();
    v.dedup();
    v.retain(|&p| p <= len);
    v
}

// ---------------------------------------------------------------------------------------
// Damaged captures.
// ---------------------------------------------------------------------------------------

/// Every prefix of every fixture is read without panic or hang; a prefix that cuts a frame
/// ends with the frames before it; a sample runs through the real binary.
#[test]
fn robust_every_prefix_of_every_fixture() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng::new(0x5eed_0001);
    let (mut tried, mut binary) = (0usize, 0usize);
    let started = Instant::now();
    for file in fixture_files() {
        let bytes = std::fs::read(&file).expect("read fixture");
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("capture").to_string();
        let full = read_bytes_checked(&dir.path().join(format!("full-{name}")), &bytes, &name);
        let lengths = prefix_lengths(&bytes, &mut rng);
        let sample: Vec<usize> = (0..4).map(|_| lengths.get(rng.below(lengths.len())).copied().unwrap_or(0)).collect();
        let path = dir.path().join(format!("cut-{name}"));
        for &len in &lengths {
            let cut = bytes.get(..len).unwrap_or_default();
            let what = format!("{name} cut to {len} bytes");
            let outcome = read_bytes_checked(&path, cut, &what);
            tried += 1;
            // A prefix never holds more frames than the whole file.
            let (Outcome::Clean(n) | Outcome::Damaged { seen: n, .. }) = outcome else { continue };
            if let Outcome::Clean(all) | Outcome::Damaged { seen: all, .. } = full {
                assert!(n <= all, "{what}: {n} frames, more than the whole file's {all}");
            }
            if sample.contains(&len) {
                check_binary(&path, &outcome, &what);
                binary += 1;
            }
        }
    }
    eprintln!("robust: {tried} prefixes read in-process, {binary} through the binary, in {:?}", started.elapsed());
}

/// Seeded random byte flips in the file header, the record (block) headers and the frame
/// bytes of every fixture: no panic, no hang, damage reported after the frames before it.
#[test]
fn robust_flipped_bytes_in_headers_and_frames() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng::new(0x5eed_0002);
    let (mut tried, mut binary, mut damaged) = (0usize, 0usize, 0usize);
    for file in fixture_files() {
        let bytes = std::fs::read(&file).expect("read fixture");
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("capture").to_string();
        let (header_end, recs) = regions(&bytes);
        let path = dir.path().join(format!("flip-{name}"));
        for round in 0..60 {
            let mut copy = bytes.clone();
            let flips = 1 + rng.below(3);
            for _ in 0..flips {
                let at = match (round % 3, recs.get(rng.below(recs.len()))) {
                    // the file header (pcap: 24 bytes; pcapng: the section header block)
                    (0, _) | (_, None) => rng.below(header_end.max(1)),
                    // a record (block) header
                    (1, Some(&(start, hdr, _))) => start + rng.below(hdr),
                    // the frame bytes
                    (_, Some(&(start, hdr, end))) => start + hdr + rng.below(end.saturating_sub(start + hdr).max(1)),
                };
                if let Some(b) = copy.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                    if rng.below(4) == 0 {
                        *b = rng.next() as u8;
                    }
                }
            }
            let region = ["file header", "record header", "frame bytes"][round % 3];
            let what = format!("{name} with {flips} byte(s) flipped in the {region} (round {round})");
            let outcome = read_bytes_checked(&path, &copy, &what);
            tried += 1;
            if matches!(outcome, Outcome::Damaged { .. }) {
                damaged += 1;
            }
            if round % 20 == 7 {
                check_binary(&path, &outcome, &what);
                binary += 1;
            }
        }
    }
    eprintln!("robust: {tried} damaged copies read in-process ({damaged} reported as damaged), {binary} through the binary");
}

/// The crashes the fuzz targets found, each kept in `fixtures/regressions/` (see its README
/// section): read through the binary without panic.
#[test]
fn robust_fuzz_regressions_read_without_panic() {
    let dir = root().join("fixtures/regressions");
    let Ok(rd) = std::fs::read_dir(&dir) else { return };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        let rel = format!("fixtures/regressions/{}", e.file_name().to_string_lossy());
        for format in ["timeline", "jsonl"] {
            let r = run_limited(wirelab().args(["read", "--color", "never", "--format", format, &rel]), HANG_LIMIT);
            assert_no_panic(&r, &rel);
        }
        let bytes = std::fs::read(&p).expect("read regression");
        let tmp = tempfile::tempdir().expect("temporary directory");
        read_bytes_checked(&tmp.path().join("copy"), &bytes, &rel);
    }
}
