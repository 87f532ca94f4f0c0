//! Helpers for the integration tests: run the binary (or any program) with a time limit,
//! list the fixtures, read JSON Lines, compare output with golden files and report the
//! first difference.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use super::files::{captures_in, captures_under, u32_at};

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

/// A child whose piped stdout and stderr are read to their ends on two threads (so that a
/// full pipe never stops it) while the test waits for it or signals it.
pub struct Running {
    /// The child process.
    pub child: Child,
    out: JoinHandle<Vec<u8>>,
    err: JoinHandle<Vec<u8>>,
}

impl Running {
    /// Starts reading the stdout and stderr of `child` (both must be piped).
    pub fn new(mut child: Child) -> Running {
        let out = child.stdout.take().expect("stdout is piped");
        let err = child.stderr.take().expect("stderr is piped");
        Running {
            child,
            out: read_to_end_on_a_thread(out),
            err: read_to_end_on_a_thread(err),
        }
    }

    /// [`Running::new`] for a child whose stdout the test reads itself (stderr piped).
    pub fn new_without_stdout(mut child: Child) -> Running {
        let err = child.stderr.take().expect("stderr is piped");
        Running {
            child,
            out: std::thread::spawn(Vec::new),
            err: read_to_end_on_a_thread(err),
        }
    }

    /// Waits for the child to end, at most `limit`; past it the child is killed and the
    /// test fails with `late`.
    pub fn wait(mut self, limit: Duration, late: &str) -> Run {
        let start = Instant::now();
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() > limit => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("{late}");
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => panic!("waiting for the child: {e} ({late})"),
            }
        };
        Run {
            code: status.code(),
            stdout: self.out.join().unwrap_or_default(),
            stderr: String::from_utf8_lossy(&self.err.join().unwrap_or_default()).into_owned(),
        }
    }
}

fn read_to_end_on_a_thread(mut r: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// Starts `cmd` with stdin closed and stdout and stderr piped.
pub fn spawn(cmd: &mut Command) -> Running {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    Running::new(child)
}

/// Runs `cmd` to the end (stdin closed), at most `limit`; a hang kills it and fails the test.
pub fn run_within(cmd: &mut Command, limit: Duration) -> Run {
    let late = format!("{cmd:?} did not finish within {limit:?}");
    spawn(cmd).wait(limit, &late)
}

/// Runs `cmd` to the end (stdin closed), at most [`RUN_LIMIT`]; a hang fails the test.
pub fn run(cmd: &mut Command) -> Run {
    run_within(cmd, RUN_LIMIT)
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

/// Runs `wirelab ARGS... FILE` for a golden test. Returns the command as text, the run,
/// and its standard output, or why that cannot be compared (a panic, output not UTF-8).
pub fn golden_run(args: &[&str], file: &str) -> (String, Run, Result<String, String>) {
    let mut all = args.to_vec();
    all.push(file);
    let r = wirelab_run(&all);
    let what = format!("wirelab {}", all.join(" "));
    let out = if r.stderr.contains("panicked") {
        Err(format!("{what} panicked:\n{}", r.stderr))
    } else {
        String::from_utf8(r.stdout.clone())
            .map_err(|_| format!("{what}: stdout is not valid UTF-8"))
    };
    (what, r, out)
}

/// A folder of golden files, relative to the crate root (`tests/golden`, ...).
pub struct GoldenDir(pub &'static str);

impl GoldenDir {
    /// Compares `actual` with the golden file `file` (blessing: writes it); returns the
    /// failure, if any. A missing golden file fails unless blessing.
    pub fn check(&self, file: &str, actual: &str) -> Option<String> {
        let dir = root().join(self.0);
        let path = dir.join(file);
        if blessing() {
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", self.0));
            if std::fs::read_to_string(&path).ok().as_deref() != Some(actual) {
                std::fs::write(&path, actual)
                    .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
                eprintln!("blessed {}/{file}", self.0);
            }
            return None;
        }
        match std::fs::read_to_string(&path) {
            Err(_) => Some(format!(
                "{}/{file}: missing (run WIRELAB_BLESS=1 cargo test, then review it)",
                self.0
            )),
            Ok(expected) if expected == actual => None,
            Ok(expected) => Some(format!(
                "{}/{file}: output changed; {}\n  (if the change is right: WIRELAB_BLESS=1 cargo test, and review the diff)",
                self.0,
                first_difference(&expected, actual)
            )),
        }
    }

    /// A failure for each golden file whose name is not in `expected` (its fixture is gone).
    pub fn unexpected(&self, expected: &[String]) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(root().join(self.0)) else {
            return Vec::new();
        };
        rd.filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !expected.contains(name))
            .map(|name| format!("{}/{name}: no fixture produces it; delete it", self.0))
            .collect()
    }
}

/// Fails the test when `failures` is not empty: "N WHAT:" and the first `shown` of them.
/// (The tests collect their failures so that one run shows them all.)
pub fn assert_no_failures(failures: &[String], what: &str, shown: usize) {
    let list: Vec<&str> = failures.iter().take(shown).map(String::as_str).collect();
    assert!(
        failures.is_empty(),
        "{} {what}:\n{}{}",
        failures.len(),
        list.join("\n"),
        if failures.len() > list.len() {
            "\n..."
        } else {
            ""
        }
    );
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
    let u32_at = |at: usize| -> u32 { u32_at(bytes, at, big).expect("u32 in range") };
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32_at(at + 8) as usize;
        out.push((at, u32_at(at), u32_at(at + 4), caplen));
        at += 16 + caplen;
    }
    out
}
