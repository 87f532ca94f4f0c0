//! Helpers for the integration tests: run the binary with a time limit, list the fixtures,
//! read JSON Lines, compare text and report the first difference.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest one run of the binary may take before the test calls it hung.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The crate's root directory (tests run the binary from here, with relative paths,
/// so that paths in messages are the same on every machine).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when running under CI (`CI` set to anything but empty, `0` or `false`).
pub fn in_ci() -> bool {
    match std::env::var("CI") {
        Ok(v) => !matches!(v.trim(), "" | "0" | "false" | "False" | "FALSE"),
        Err(_) => false,
    }
}

/// True when `WIRELAB_BLESS=1`: golden files are rewritten instead of compared.
pub fn blessing() -> bool {
    std::env::var("WIRELAB_BLESS")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// True when the tests run as root (then file permissions do not stop a read).
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// What one run of a program gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error, as text.
    pub stderr: String,
}

impl Run {
    /// Standard output as text (invalid UTF-8 replaced, which then fails a golden test).
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The non-empty lines of standard error.
    pub fn err_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    /// A short description for assertion messages.
    pub fn describe(&self) -> String {
        let out = self.out();
        let head: String = out.lines().take(5).collect::<Vec<_>>().join("\n");
        format!(
            "exit code {:?}\n--- stderr:\n{}--- stdout (first lines):\n{}",
            self.code, self.stderr, head
        )
    }
}

/// A `wirelab` command run from the crate root, with colour variables removed.
pub fn wirelab() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirelab"));
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("WIRELAB_BLESS")
        .env("TZ", "UTC");
    cmd
}

/// Runs `cmd` to the end (stdin closed), at most [`RUN_LIMIT`]; a hang fails the test.
pub fn run(cmd: &mut Command) -> Run {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > RUN_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not finish within {RUN_LIMIT:?}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    Run {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// Runs `wirelab ARGS...` from the crate root.
pub fn wirelab_run(args: &[&str]) -> Run {
    run(wirelab().args(args))
}

/// One capture in `fixtures/`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Path relative to the crate root, e.g. `fixtures/lab_tcp.pcap`.
    pub rel: String,
    /// File name, e.g. `lab_tcp.pcap` (unique across `fixtures/` and `fixtures/public/`).
    pub name: String,
}

impl Fixture {
    /// The absolute path.
    pub fn path(&self) -> PathBuf {
        root().join(&self.rel)
    }
}

/// True for a capture file name (not an oracle or a README).
pub fn is_capture_name(name: &str) -> bool {
    !name.contains(".oracle.")
        && [".pcap", ".pcapng", ".cap"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// The captures directly in `dir` (absolute), sorted by name.
pub fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_capture_name)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Every fixture: `fixtures/*` then `fixtures/public/*`, each sorted by name.
pub fn fixtures() -> Vec<Fixture> {
    let mut all = Vec::new();
    for sub in ["fixtures", "fixtures/public"] {
        for p in captures_in(&root().join(sub)) {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            all.push(Fixture {
                rel: format!("{sub}/{name}"),
                name,
            });
        }
    }
    assert!(
        !all.is_empty(),
        "no fixtures found under {}",
        root().join("fixtures").display()
    );
    let mut names: Vec<&str> = all.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "two fixtures share a file name");
    all
}

/// One fixture by file name.
pub fn fixture(name: &str) -> Fixture {
    fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture named {name}"))
}

/// Parses JSON Lines; every non-empty line must be a JSON object.
pub fn parse_jsonl(text: &str, what: &str) -> Vec<serde_json::Value> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{what}: line {} is not JSON ({e}): {l}", i + 1));
            assert!(
                v.is_object(),
                "{what}: line {} is not a JSON object: {l}",
                i + 1
            );
            v
        })
        .collect()
}

/// The frame objects of our JSON Lines output (`type` absent or `"frame"`).
pub fn frames_of(objects: &[serde_json::Value]) -> Vec<serde_json::Value> {
    objects
        .iter()
        .filter(|o| o.get("type").and_then(|t| t.as_str()).unwrap_or("frame") == "frame")
        .cloned()
        .collect()
}

/// Runs `wirelab read --format jsonl ARGS... FILE` and returns its frame objects and run.
pub fn read_jsonl(file: &str, extra: &[&str]) -> (Vec<serde_json::Value>, Run) {
    let mut args = vec!["read", "--format", "jsonl"];
    args.extend_from_slice(extra);
    args.push(file);
    let r = wirelab_run(&args);
    let frames = frames_of(&parse_jsonl(
        &r.out(),
        &format!("wirelab {}", args.join(" ")),
    ));
    (frames, r)
}

/// The `no` of each frame object.
pub fn frame_numbers(frames: &[serde_json::Value]) -> Vec<u64> {
    frames
        .iter()
        .map(|f| f.get("no").and_then(|n| n.as_u64()).unwrap_or(0))
        .collect()
}

/// Where two texts first differ, with a few lines of context, for a failure message.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let n = e.len().max(a.len());
    for i in 0..n {
        let el = e.get(i).copied();
        let al = a.get(i).copied();
        if el != al {
            return format!(
                "first difference at line {} (expected {} lines, got {}):\n  expected: {}\n  actual:   {}",
                i + 1,
                e.len(),
                a.len(),
                el.map_or("<end of output>".to_string(), |s| format!("{s:?}")),
                al.map_or("<end of output>".to_string(), |s| format!("{s:?}")),
            );
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        return "the outputs differ only in the final newline".to_string();
    }
    "the outputs are equal".to_string()
}

/// True when `python3` runs.
pub fn have_program(name: &str, arg: &str) -> bool {
    Command::new(name)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// For a test that needs an external tool or folder: under CI a missing one fails the
/// test; elsewhere the test prints why it is skipped and returns false.
pub fn require(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    assert!(
        !in_ci(),
        "{what} is missing, and CI is set: CI must provide it (.ci/run installs it)"
    );
    eprintln!("SKIPPED: {what} is missing (this test runs when it is there; under CI it must be)");
    false
}

/// The records of a classic pcap file: (offset of the record header, ts_sec, ts_frac,
/// captured length). Only little- and big-endian microsecond/nanosecond pcap.
pub fn pcap_records(bytes: &[u8]) -> Vec<(usize, u32, u32, usize)> {
    let magic = bytes.get(0..4).expect("pcap header");
    let big = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        _ => panic!("not a classic pcap file"),
    };
    let u32_at = |at: usize| -> u32 {
        let b: [u8; 4] = bytes
            .get(at..at + 4)
            .expect("u32 in range")
            .try_into()
            .expect("4 bytes");
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32_at(at + 8) as usize;
        out.push((at, u32_at(at), u32_at(at + 4), caplen));
        at += 16 + caplen;
    }
    out
}
