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
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use wirelab::app::{Pipeline, Selection};
use wirelab::cli::{Cli, Command as CliCommand};
use wirelab::error::SourceError;
use wirelab::source::FileSource;
use wirelab::text::uppercase;

use super::util::{
    Run, Running, captures_under, frame_numbers, frames_of, have_program, in_ci, parse_jsonl,
    require, root, run_within, spawn, u32_at, wirelab,
};

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
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
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
    let cli = Cli::try_parse_from([
        "wirelab",
        "--color",
        "never",
        "read",
        "--format",
        format,
        p.as_str(),
    ])
    .unwrap_or_else(|e| panic!("wirelab read arguments: {e}"));
    let CliCommand::Read(args) = cli.command else {
        panic!("not a read command")
    };
    let mut source = match FileSource::open(&args.file) {
        Ok(s) => s,
        Err(_) => return Outcome::Refused,
    };
    let selection = Selection {
        filter: None,
        stream: None,
        count: None,
    };
    let config = wirelab::app::ViewConfig::new(&args.view, false).expect("valid view options");
    let mut pipeline = Pipeline::new(&config, selection, Box::new(io::sink()));
    let mut seen = 0u64;
    let outcome = loop {
        match source.next_frame() {
            Ok(Some(frame)) => {
                seen += 1;
                assert_eq!(
                    frame.number, seen,
                    "{p}: frames must be numbered from 1 without gaps"
                );
                if pipeline.frame(&frame).is_err() {
                    panic!("{p}: writing into io::sink() failed");
                }
            }
            Ok(None) => break Outcome::Clean(seen),
            Err(SourceError::Damaged { frame, offset, .. }) => {
                break Outcome::Damaged {
                    frame,
                    offset,
                    seen,
                };
            }
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
    assert_eq!(
        a, b,
        "{what}: timeline and jsonl stopped at different places"
    );
    if let Outcome::Damaged {
        frame,
        offset,
        seen,
    } = a
    {
        assert_eq!(
            frame,
            seen + 1,
            "{what}: damage at frame {frame} but {seen} frames were shown before it"
        );
        assert!(
            offset <= bytes.len() as u64,
            "{what}: damage offset {offset} past the end of the {}-byte file",
            bytes.len()
        );
    }
    a
}

/// Saves a failing input under the target directory, to turn into a regression fixture.
fn keep_failure(bytes: &[u8], what: &str) {
    let dir = std::env::temp_dir().join("wirelab-robust-failures");
    let _ = std::fs::create_dir_all(&dir);
    let name: String = what
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(name);
    if std::fs::write(&path, bytes).is_ok() {
        eprintln!("the failing input is saved as {}", path.display());
    }
}

/// Asserts a run did not panic: exit code not 101, no "panicked" on stderr.
fn assert_no_panic(r: &Run, what: &str) {
    assert!(
        r.code != Some(101) && !r.stderr.contains("panicked"),
        "{what}: wirelab panicked:\n{}",
        r.describe()
    );
    assert!(
        r.code.is_some(),
        "{what}: wirelab was killed by a signal:\n{}",
        r.describe()
    );
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
    let j = run_within(
        wirelab().args(["read", "--color", "never", "--format", "jsonl", &p]),
        HANG_LIMIT,
    );
    assert_no_panic(&j, what);
    let t = run_within(wirelab().args(["read", "--color", "never", &p]), HANG_LIMIT);
    assert_no_panic(&t, what);
    let numbers = frame_numbers(&frames_of(&parse_jsonl(&j.out(), what)));
    match *outcome {
        Outcome::Clean(n) => {
            assert_eq!(
                j.code,
                Some(0),
                "{what}: a readable file must exit 0:\n{}",
                j.describe()
            );
            assert_eq!(
                t.code,
                Some(0),
                "{what}: a readable file must exit 0:\n{}",
                t.describe()
            );
            assert_eq!(
                numbers,
                (1..=n).collect::<Vec<_>>(),
                "{what}: every frame must be printed"
            );
        }
        Outcome::Damaged { frame, offset, .. } => {
            for r in [&j, &t] {
                assert_eq!(
                    r.code,
                    Some(2),
                    "{what}: a damaged file exits 2:\n{}",
                    r.describe()
                );
                let lines = r.err_lines();
                assert_eq!(
                    lines.len(),
                    1,
                    "{what}: exactly one line on stderr:\n{}",
                    r.describe()
                );
                let (n, m) = damage_line(lines[0], &p)
                    .unwrap_or_else(|| panic!("{what}: not a damage line: {}", lines[0]));
                assert_eq!(
                    (n, m),
                    (frame, offset),
                    "{what}: the binary and the library disagree"
                );
            }
            assert_eq!(
                numbers,
                (1..frame).collect::<Vec<_>>(),
                "{what}: the frames before the damage must be printed"
            );
        }
        Outcome::Refused => {
            for r in [&j, &t] {
                assert_eq!(
                    r.code,
                    Some(1),
                    "{what}: a refused file exits 1:\n{}",
                    r.describe()
                );
                assert_eq!(
                    r.err_lines().len(),
                    1,
                    "{what}: exactly one line on stderr:\n{}",
                    r.describe()
                );
                assert!(
                    r.err_lines()[0].starts_with(&format!("wirelab: {p}: ")),
                    "{what}: the line names the file"
                );
            }
            assert!(
                numbers.is_empty(),
                "{what}: nothing printed for a refused file"
            );
        }
    }
}

/// Every fixture capture (`fixtures/**`, oracles excluded), sorted by path: (file name, bytes).
fn fixture_captures() -> Vec<(String, Vec<u8>)> {
    let files = captures_under(&root().join("fixtures"));
    assert!(files.len() > 10, "the fixtures are missing");
    files
        .iter()
        .map(|file| {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("capture")
                .to_string();
            (name, std::fs::read(file).expect("read fixture"))
        })
        .collect()
}

/// The regions of a capture: (file header end, [(record header start, header len, data end)]).
/// Classic pcap: 24-byte header, 16-byte record headers; pcapng: blocks (12-byte frame of
/// type, length... length). Unknown formats give no records.
fn regions(bytes: &[u8]) -> (usize, Vec<(usize, usize, usize)>) {
    let word = |at: usize, big: bool| u32_at(bytes, at, big).map(|w| w as usize);
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

/// The prefix lengths tried for a file: all of them for files up to 512 bytes. For bigger ones,
/// one of each kind of cut (the reader behaves the same for every cut of one kind): every
/// length up to 64 (the file header), then for each record or block (at most 32, spread
/// over the file) cuts inside its header, right after it, inside its data and at its end,
/// and a seeded sample of 24 lengths anywhere.
fn prefix_lengths(bytes: &[u8], rng: &mut Rng) -> Vec<usize> {
    let len = bytes.len();
    if len <= 512 {
        return (0..=len).collect();
    }
    let mut v: Vec<usize> = (0..=64).collect();
    let recs = regions(bytes).1;
    let step = recs.len().div_ceil(32).max(1);
    for &(start, hdr, end) in recs.iter().step_by(step) {
        let data = start + hdr;
        v.extend([
            start + 1,
            start + hdr / 2,
            data - 1,
            data,
            data + 1,
            data + (end - data) / 2,
            end - 1,
            end,
        ]);
    }
    for _ in 0..24 {
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
    for (name, bytes) in fixture_captures() {
        let full = read_bytes_checked(&dir.path().join(format!("full-{name}")), &bytes, &name);
        let lengths = prefix_lengths(&bytes, &mut rng);
        let sample: Vec<usize> = (0..4)
            .map(|_| lengths.get(rng.below(lengths.len())).copied().unwrap_or(0))
            .collect();
        let path = dir.path().join(format!("cut-{name}"));
        for &len in &lengths {
            let cut = bytes.get(..len).unwrap_or_default();
            let what = format!("{name} cut to {len} bytes");
            let outcome = read_bytes_checked(&path, cut, &what);
            tried += 1;
            // A prefix never holds more frames than the whole file.
            let (Outcome::Clean(n) | Outcome::Damaged { seen: n, .. }) = outcome else {
                continue;
            };
            if let Outcome::Clean(all) | Outcome::Damaged { seen: all, .. } = full {
                assert!(
                    n <= all,
                    "{what}: {n} frames, more than the whole file's {all}"
                );
            }
            if sample.contains(&len) {
                check_binary(&path, &outcome, &what);
                binary += 1;
            }
        }
    }
    eprintln!(
        "robust: {tried} prefixes read in-process, {binary} through the binary, in {:?}",
        started.elapsed()
    );
}

/// Seeded random byte flips in the file header, the record (block) headers and the frame
/// bytes of every fixture: no panic, no hang, damage reported after the frames before it.
#[test]
fn robust_flipped_bytes_in_headers_and_frames() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng::new(0x5eed_0002);
    let (mut tried, mut binary, mut damaged) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    for (name, bytes) in fixture_captures() {
        let (header_end, recs) = regions(&bytes);
        let path = dir.path().join(format!("flip-{name}"));
        for round in 0..30 {
            let mut copy = bytes.clone();
            let flips = 1 + rng.below(3);
            for _ in 0..flips {
                let at = match (round % 3, recs.get(rng.below(recs.len()))) {
                    // the file header (pcap: 24 bytes; pcapng: the section header block)
                    (0, _) | (_, None) => rng.below(header_end.max(1)),
                    // a record (block) header
                    (1, Some(&(start, hdr, _))) => start + rng.below(hdr),
                    // the frame bytes
                    (_, Some(&(start, hdr, end))) => {
                        start + hdr + rng.below(end.saturating_sub(start + hdr).max(1))
                    }
                };
                if let Some(b) = copy.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                    if rng.below(4) == 0 {
                        *b = rng.next() as u8;
                    }
                }
            }
            let region = ["file header", "record header", "frame bytes"][round % 3];
            let what =
                format!("{name} with {flips} byte(s) flipped in the {region} (round {round})");
            let outcome = read_bytes_checked(&path, &copy, &what);
            tried += 1;
            if matches!(outcome, Outcome::Damaged { .. }) {
                damaged += 1;
            }
            if round % 10 == 7 {
                check_binary(&path, &outcome, &what);
                binary += 1;
            }
        }
    }
    eprintln!(
        "robust: {tried} damaged copies read in-process ({damaged} reported as damaged), {binary} through the binary, in {:?}",
        started.elapsed()
    );
}

/// The crashes the fuzz targets found, each kept in `fixtures/regressions/` (see its README
/// section): read through the binary without panic.
#[test]
fn robust_fuzz_regressions_read_without_panic() {
    let dir = root().join("fixtures/regressions");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        let rel = format!("fixtures/regressions/{}", e.file_name().to_string_lossy());
        for format in ["timeline", "jsonl"] {
            let r = run_within(
                wirelab().args(["read", "--color", "never", "--format", format, &rel]),
                HANG_LIMIT,
            );
            assert_no_panic(&r, &rel);
        }
        let bytes = std::fs::read(&p).expect("read regression");
        let tmp = tempfile::tempdir().expect("temporary directory");
        read_bytes_checked(&tmp.path().join("copy"), &bytes, &rel);
    }
}

// ---------------------------------------------------------------------------------------
// The uppercase servers under load; the seed's Python programs against ours.
// ---------------------------------------------------------------------------------------

/// A loopback port free for both TCP and UDP right now.
pub(super) fn free_port() -> u16 {
    for _ in 0..50 {
        let Ok(t) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(addr) = t.local_addr() else { continue };
        if UdpSocket::bind(addr).is_ok() {
            return addr.port();
        }
    }
    panic!("no free loopback port");
}

/// A child process killed (by its own id) when dropped.
pub(super) struct Guard(pub(super) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wirelab server PROTO --bind 127.0.0.1 --port P`; waits for its ready line, then
/// throws its log away on a thread.
fn start_server(proto: &str, port: u16) -> Guard {
    start_ready(
        wirelab().args([
            "server",
            proto,
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ]),
        &format!("the {proto} server"),
    )
}

/// Starts the server `cmd` (called `what`) and waits at most 30 s for its first line, which
/// must say it is ready to receive; the rest of its output is thrown away on a thread.
fn start_ready(cmd: &mut Command, what: &str) -> Guard {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let out = child.stdout.take().expect("stdout is piped");
    let guard = Guard(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        let _ = tx.send(line);
        let _ = io::copy(&mut r, &mut io::sink());
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
    assert!(
        line.contains("ready to receive"),
        "{what} did not start: {line:?}"
    );
    guard
}

/// `wirelab server PROTO` on a free loopback port: the server and its address.
fn loopback_server(proto: &str) -> (Guard, SocketAddr) {
    let port = free_port();
    (
        start_server(proto, port),
        SocketAddr::from(([127, 0, 0, 1], port)),
    )
}

/// The server's resident memory in KiB (VmRSS).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The memory bound the servers must stay under.
const RSS_LIMIT_KIB: u64 = 64 * 1024;

/// One TCP exchange as TCPClient.py does it; the reply read until the server closes.
fn tcp_ask(addr: SocketAddr, message: &[u8]) -> io::Result<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.write_all(message)?;
    let mut reply = Vec::new();
    s.read_to_end(&mut reply)?;
    Ok(reply)
}

/// 20 idle TCP clients hold connections open while 200 concurrent clients each send one
/// sentence (ASCII, Unicode, invalid UTF-8, up to 60 KiB) and get its uppercase; the server's
/// memory stays bounded and it serves a last client at the end.
#[test]
fn robust_tcp_server_under_load() {
    let (server, addr) = loopback_server("tcp");
    let pid = server.0.id();
    let idle: Vec<TcpStream> = (0..20)
        .map(|_| {
            TcpStream::connect_timeout(&addr, Duration::from_secs(10))
                .expect("idle client connects")
        })
        .collect();
    let started = Instant::now();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(200));
    let clients: Vec<_> = (0..200u32)
        .map(|i| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                let message: Vec<u8> = match i % 5 {
                    0 => format!("hello from client {i}").into_bytes(),
                    1 => format!("straße number {i} æøå").into_bytes(),
                    2 => [b"bad utf8 \xff\xfe ".as_slice(), i.to_string().as_bytes()].concat(),
                    3 => vec![b'a' + (i % 26) as u8; 60_000],
                    _ => format!("x{i}").into_bytes(),
                };
                barrier.wait();
                let reply = tcp_ask(addr, &message);
                (i, message, reply)
            })
        })
        .collect();
    let mut peak = rss_kib(pid);
    let mut served = 0;
    for c in clients {
        let (i, message, reply) = c.join().expect("client thread");
        let reply = reply.unwrap_or_else(|e| panic!("TCP client {i} got no reply: {e}"));
        assert!(
            reply == uppercase(&message),
            "TCP client {i}: wrong reply ({} bytes for {})",
            reply.len(),
            message.len()
        );
        served += 1;
        peak = peak.max(rss_kib(pid));
    }
    // the idle clients are still connected; the server still serves
    let last = tcp_ask(addr, b"still there?").expect("the server still serves");
    assert_eq!(last, b"STILL THERE?");
    peak = peak.max(rss_kib(pid));
    drop(idle);
    assert!(
        peak < RSS_LIMIT_KIB,
        "the TCP server used {peak} KiB of memory, over {RSS_LIMIT_KIB}"
    );
    eprintln!(
        "robust: TCP server served {served} concurrent clients + 1 (20 idle held) in {:?}, peak RSS {peak} KiB",
        started.elapsed()
    );
}

/// 10,000 UDP datagrams from 8 clients in lockstep: sentences, invalid UTF-8, empty and
/// 65,507-byte ones, each answered with its uppercase; one whose uppercase would not fit a
/// datagram gets no reply but does not stop the server; memory stays bounded.
#[test]
fn robust_udp_server_under_load() {
    let (server, addr) = loopback_server("udp");
    let pid = server.0.id();
    let started = Instant::now();
    let clients: Vec<_> = (0..8u32)
        .map(|c| {
            std::thread::spawn(move || {
                let sock = UdpSocket::bind("127.0.0.1:0").expect("bind a client");
                sock.connect(addr).expect("connect");
                sock.set_read_timeout(Some(Duration::from_secs(2)))
                    .expect("timeout");
                let mut buf = vec![0u8; 70_000];
                let (mut answered, mut hostile) = (0u32, 0u32);
                for k in 0..1250u32 {
                    let n = c * 1250 + k;
                    let message: Vec<u8> = match n % 50 {
                        0 => Vec::new(),
                        1 => vec![b'z'; 65_507],
                        2 => vec![0xff; 65_507],
                        3..=9 => vec![0xc3, 0x28, b'a', 0x80, (n % 251) as u8],
                        _ => format!("datagram {n} from client {c}, straße").into_bytes(),
                    };
                    // Hostile: 'ß' becomes "SS", so this reply would exceed a datagram.
                    if n % 1000 == 999 {
                        let big = "ß".repeat(32_000).into_bytes();
                        sock.send(&big).expect("send the oversized one");
                        hostile += 1;
                        let _ = sock.recv(&mut buf);
                        continue;
                    }
                    let want = uppercase(&message);
                    let mut got = None;
                    for _try in 0..3 {
                        sock.send(&message).expect("send a datagram");
                        match sock.recv(&mut buf) {
                            Ok(len) => {
                                got = buf.get(..len).map(<[u8]>::to_vec);
                                break;
                            }
                            Err(_) => continue,
                        }
                    }
                    let got = got.unwrap_or_else(|| {
                        panic!("datagram {n} ({} bytes) got no reply", message.len())
                    });
                    assert!(
                        got == want,
                        "datagram {n}: wrong reply ({} bytes for {})",
                        got.len(),
                        message.len()
                    );
                    answered += 1;
                }
                (answered, hostile)
            })
        })
        .collect();
    let mut peak = rss_kib(pid);
    let (mut answered, mut hostile) = (0, 0);
    for c in clients {
        let (a, h) = c.join().expect("UDP client thread");
        answered += a;
        hostile += h;
        peak = peak.max(rss_kib(pid));
    }
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    sock.send_to(b"still there?", addr).expect("send");
    let mut buf = [0u8; 64];
    let n = sock.recv(&mut buf).expect("the UDP server still serves");
    assert_eq!(buf.get(..n), Some(b"STILL THERE?".as_slice()));
    assert!(
        peak < RSS_LIMIT_KIB,
        "the UDP server used {peak} KiB of memory, over {RSS_LIMIT_KIB}"
    );
    eprintln!(
        "robust: UDP server answered {answered} datagrams (+{hostile} oversized, unanswerable) in {:?}, peak RSS {peak} KiB",
        started.elapsed()
    );
}

/// The seed's four Python programs (`../shared/seed/000_*.txt`, the code blocks after
/// their names), with only serverName and serverPort changed.
fn seed_program(name: &str, port: u16) -> Option<String> {
    let dir = root().join("../shared/seed");
    let text = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("000_"))
        })
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    let after = text.split(&format!("`{name}`")).nth(1)?;
    let code = after.split("```").nth(1)?;
    // the opening fence's language tag ("python", " python") is the rest of its line
    let code = code.split_once('\n')?.1;
    let lines: Vec<String> = code
        .lines()
        .map(|l| {
            if l.starts_with("serverName") {
                "serverName = \"127.0.0.1\"".to_string()
            } else if l.starts_with("serverPort") {
                format!("serverPort = {port}")
            } else {
                l.to_string()
            }
        })
        .collect();
    Some(lines.join("\n") + "\n")
}

/// Runs a Python program with `input` on stdin; returns its run.
fn python(code: &str, input: &str) -> Run {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("prog.py");
    std::fs::write(&path, code).expect("write the Python program");
    let mut child = Command::new("python3")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(input.as_bytes());
    }
    Running::new(child).wait(
        HANG_LIMIT,
        &format!("the Python program did not finish within {HANG_LIMIT:?}"),
    )
}

/// Asserts a client (described by `who`) exited 0 and printed `want`.
fn assert_answered(r: &Run, want: &str, who: &str) {
    assert_eq!(r.code, Some(0), "{who}:\n{}", r.describe());
    assert!(
        r.out().contains(want),
        "{who}: did not print {want:?}:\n{}",
        r.describe()
    );
}

/// The seed's UDPClient.py and TCPClient.py against our servers, and our clients against
/// the seed's UDPServer.py and TCPServer.py.
#[test]
fn robust_seed_python_programs_against_ours() {
    if !require(have_program("python3", "--version"), "python3") {
        return;
    }
    let probe = seed_program("UDPClient.py", 1);
    if !require(
        probe.is_some(),
        "the seed's Python programs (../shared/seed/000_*.txt)",
    ) {
        return;
    }
    let sentence = "hello from the seed, straße";
    let want = "HELLO FROM THE SEED, STRASSE";
    for (proto, client) in [("udp", "UDPClient.py"), ("tcp", "TCPClient.py")] {
        let (_server, addr) = loopback_server(proto);
        let code = seed_program(client, addr.port()).expect("seed client");
        let r = python(&code, &format!("{sentence}\n"));
        assert_answered(&r, want, &format!("{client} against our {proto} server"));
    }
    for (proto, server) in [("udp", "UDPServer.py"), ("tcp", "TCPServer.py")] {
        let port = free_port();
        let code = seed_program(server, port).expect("seed server");
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("server.py");
        std::fs::write(&path, code).expect("write the server");
        let _guard = start_ready(Command::new("python3").arg("-u").arg(&path), server);
        let r = run_within(
            wirelab().args([
                "client",
                proto,
                "--server",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                sentence,
            ]),
            HANG_LIMIT,
        );
        assert_answered(&r, want, &format!("our {proto} client against {server}"));
    }
}

// ---------------------------------------------------------------------------------------
// Interruptions: SIGINT and SIGTERM during `capture -w` and `lab -w`.
// ---------------------------------------------------------------------------------------

/// True when this process may capture on `lo` (a short `wirelab capture` opens it). Under
/// CI a capture that cannot open fails the test; elsewhere the test is skipped, saying why.
fn can_capture() -> bool {
    let r = run_within(
        wirelab().args([
            "capture",
            "-i",
            "lo",
            "--duration",
            "0.2",
            "-f",
            "udp port 9",
        ]),
        HANG_LIMIT,
    );
    if r.code == Some(0) {
        return true;
    }
    assert!(
        !in_ci(),
        "CI is set but live capture on lo is impossible (CI runs as root and must capture):\n{}",
        r.describe()
    );
    eprintln!(
        "SKIPPED: this process cannot capture on lo (run as root or with CAP_NET_RAW): {}",
        r.stderr.trim()
    );
    false
}

/// Sends UDP datagrams to a socket of ours on loopback port `port` until `stop` is set.
fn traffic(
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let Ok(tx) = UdpSocket::bind("127.0.0.1:0") else {
            return 0;
        };
        let mut sent = 0u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) && Instant::now() < deadline {
            if tx
                .send_to(
                    format!("frame {sent} of the interruption test").as_bytes(),
                    ("127.0.0.1", port),
                )
                .is_ok()
            {
                sent += 1;
            }
            std::thread::sleep(Duration::from_millis(3));
        }
        sent
    })
}

/// The number in "N packets captured" of `text`, if printed.
fn captured_count(text: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        l.trim()
            .strip_suffix(" packets captured")
            .or_else(|| {
                l.split(" packets captured")
                    .next()
                    .filter(|_| l.contains(" packets captured"))
            })?
            .trim()
            .rsplit(' ')
            .next()?
            .parse()
            .ok()
    })
}

/// Checks a capture file saved by an interrupted run: `wirelab read` (jsonl) and tshark
/// read it without error and it holds exactly `count` frames (when the run said how many).
fn check_saved(path: &Path, count: Option<u64>, what: &str) {
    let p = path.to_string_lossy().into_owned();
    let r = run_within(
        wirelab().args(["read", "--format", "jsonl", &p]),
        HANG_LIMIT,
    );
    assert_eq!(
        r.code,
        Some(0),
        "{what}: the saved file must read without error:\n{}",
        r.describe()
    );
    let frames = frames_of(&parse_jsonl(&r.out(), what)).len() as u64;
    if let Some(c) = count {
        assert_eq!(
            frames, c,
            "{what}: {c} packets were counted as captured but the file holds {frames}"
        );
    }
    if have_program("tshark", "--version") {
        let t = run_within(
            Command::new("tshark").args(["-n", "-r", &p, "-T", "fields", "-e", "frame.number"]),
            HANG_LIMIT,
        );
        assert_eq!(
            t.code,
            Some(0),
            "{what}: tshark cannot read the saved file:\n{}",
            t.describe()
        );
        let n = t.out().lines().filter(|l| !l.trim().is_empty()).count() as u64;
        assert_eq!(
            n, frames,
            "{what}: tshark sees {n} frames, wirelab {frames}"
        );
    }
}

/// Starts `cmd`, sends it `sig` after `delay`, waits for it to end (at most 30 s) and
/// returns its run.
fn interrupt(cmd: &mut Command, delay: Duration, sig: i32, what: &str) -> Run {
    let running = spawn(cmd);
    std::thread::sleep(delay);
    let pid = i32::try_from(running.child.id()).expect("pid");
    // SAFETY: sends a signal to our own child, by its id.
    unsafe { libc::kill(pid, sig) };
    running.wait(
        Duration::from_secs(30),
        &format!("{what}: still running 30 s after the signal"),
    )
}

/// SIGINT or SIGTERM, at random.
fn random_stop_signal(rng: &mut Rng) -> i32 {
    if rng.below(2) == 0 {
        libc::SIGINT
    } else {
        libc::SIGTERM
    }
}

/// SIGINT and SIGTERM at seeded random moments of `wirelab capture -i lo -w FILE` (pcap and
/// pcapng) with traffic on loopback: the file is valid and holds every frame counted.
#[test]
fn robust_capture_interrupted_keeps_every_counted_frame() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng::new(0x5eed_0004);
    let sink = UdpSocket::bind("127.0.0.1:0").expect("bind the traffic sink");
    let port = sink.local_addr().expect("address").port();
    let (mut signals, mut frames) = (0, 0);
    for round in 0..8 {
        let sig = random_stop_signal(&mut rng);
        // a few moments right at the start (while the capture opens), most later
        let delay = Duration::from_millis(if round < 2 {
            rng.below(40)
        } else {
            100 + rng.below(1400)
        } as u64);
        let ext = if round % 2 == 0 { "pcap" } else { "pcapng" };
        let file = dir.path().join(format!("cap-{round}.{ext}"));
        let what = format!("capture round {round}: signal {sig} after {delay:?}, -w {ext}");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sender = traffic(port, std::sync::Arc::clone(&stop));
        let mut cmd = wirelab();
        cmd.args([
            "capture",
            "-i",
            "lo",
            "--format",
            "jsonl",
            "-f",
            &format!("udp port {port}"),
            "-w",
        ])
        .arg(&file);
        let r = interrupt(&mut cmd, delay, sig, &what);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = sender.join();
        signals += 1;
        assert_no_panic_or_signal_death(&r, &file, &what);
        let count = captured_count(&r.stderr);
        if r.code.is_some() {
            assert!(
                count.is_some(),
                "{what}: no \"N packets captured\" line:\n{}",
                r.describe()
            );
        }
        if file.exists() {
            check_saved(&file, count, &what);
        }
        let shown = frames_of(&parse_jsonl(&r.out(), &what)).len() as u64;
        if let Some(c) = count {
            assert_eq!(shown, c, "{what}: {c} packets counted, {shown} shown");
            frames += c;
        }
    }
    eprintln!(
        "robust: {signals} signals sent to wirelab capture; {frames} frames captured and saved"
    );
}

/// A run ended by a signal is a failure unless it died before creating the file (a signal
/// before the program could set up anything). Otherwise: no panic.
fn assert_no_panic_or_signal_death(r: &Run, file: &Path, what: &str) {
    assert!(
        r.code != Some(101) && !r.stderr.contains("panicked"),
        "{what}: wirelab panicked:\n{}",
        r.describe()
    );
    if r.code.is_none() {
        assert!(
            !file.exists(),
            "{what}: the signal killed wirelab and left {} ({} bytes), which may not be a valid capture:\n{}",
            file.display(),
            std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
            r.describe()
        );
    }
}

/// SIGINT and SIGTERM at seeded random moments of `wirelab lab -w FILE`: the file is valid
/// and holds every frame the lab counted as captured.
#[test]
fn robust_lab_interrupted_keeps_every_counted_frame() {
    if !can_capture() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut rng = Rng::new(0x5eed_0005);
    let mut frames = 0;
    for round in 0..6 {
        let sig = random_stop_signal(&mut rng);
        // the lab with 100 runs takes about a second: the signal lands while it opens, runs or saves
        let delay = Duration::from_millis(if round == 0 {
            rng.below(30)
        } else {
            20 + rng.below(700)
        } as u64);
        let ext = if round % 2 == 0 { "pcap" } else { "pcapng" };
        let file = dir.path().join(format!("lab-{round}.{ext}"));
        let what = format!("lab round {round}: signal {sig} after {delay:?}, -w {ext}");
        let r = interrupt(
            wirelab()
                .args(["--color", "never", "lab", "--runs", "100", "-w"])
                .arg(&file),
            delay,
            sig,
            &what,
        );
        assert_no_panic_or_signal_death(&r, &file, &what);
        let count = captured_count(&r.out());
        if file.exists() {
            check_saved(&file, count, &what);
        } else {
            assert!(
                count.is_none_or(|c| c == 0),
                "{what}: {count:?} packets counted but no file saved:\n{}",
                r.describe()
            );
        }
        eprintln!(
            "robust: {what}: exit {:?}, {count:?} packets counted",
            r.code
        );
        frames += count.unwrap_or(0);
    }
    eprintln!("robust: 6 signals sent to wirelab lab; {frames} frames captured and saved");
}
