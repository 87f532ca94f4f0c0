//! Golden tests: every fixture through the timeline and JSON Lines views, the whole output
//! compared with a reviewed file in `tests/golden/`.
//!
//! Per fixture NAME: `NAME.timeline.txt` (stdout of `wirelab read --color never FILE`),
//! `NAME.jsonl` (stdout of `wirelab read --format jsonl FILE`) and `NAME.status` (the exit
//! code and standard error of both). `WIRELAB_BLESS=1 cargo test` rewrites them; a missing
//! golden file fails the test unless blessing.

use std::path::PathBuf;

use super::util::{Fixture, blessing, first_difference, fixtures, root, wirelab_run};

fn golden_dir() -> PathBuf {
    root().join("tests/golden")
}

/// One view of the golden tests: its file suffix and the arguments before FILE.
struct View {
    suffix: &'static str,
    args: &'static [&'static str],
}

const TIMELINE: View = View {
    suffix: "timeline.txt",
    args: &["read", "--color", "never"],
};
const JSONL: View = View {
    suffix: "jsonl",
    args: &["read", "--format", "jsonl"],
};

/// Compares (or, blessing, writes) one golden file; returns a failure message.
fn check_golden(file: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join(file);
    if blessing() {
        std::fs::create_dir_all(golden_dir()).expect("create tests/golden");
        let old = std::fs::read_to_string(&path).ok();
        if old.as_deref() != Some(actual) {
            std::fs::write(&path, actual)
                .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            eprintln!("blessed tests/golden/{file}");
        }
        return None;
    }
    match std::fs::read_to_string(&path) {
        Err(_) => Some(format!(
            "tests/golden/{file}: missing (run WIRELAB_BLESS=1 cargo test, then review it)"
        )),
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "tests/golden/{file}: output changed; {}\n  (if the change is right: WIRELAB_BLESS=1 cargo test, and review the diff)",
            first_difference(&expected, actual)
        )),
    }
}

/// Runs `view` on `fx`; returns the status text and the failure, if any.
fn run_view(fx: &Fixture, view: &View) -> (String, Option<String>) {
    let mut args: Vec<&str> = view.args.to_vec();
    args.push(&fx.rel);
    let r = wirelab_run(&args);
    let mut status = format!("wirelab {}: exit {:?}\n", args.join(" "), r.code);
    for line in r.stderr.lines() {
        status.push_str("  stderr: ");
        status.push_str(line);
        status.push('\n');
    }
    let failure = if r.stderr.contains("panicked") {
        Some(format!(
            "wirelab {} panicked:\n{}",
            args.join(" "),
            r.stderr
        ))
    } else if std::str::from_utf8(&r.stdout).is_err() {
        Some(format!(
            "wirelab {}: stdout is not valid UTF-8",
            args.join(" ")
        ))
    } else {
        check_golden(&format!("{}.{}", fx.name, view.suffix), &r.out())
    };
    (status, failure)
}

#[test]
fn golden_every_fixture_timeline_and_jsonl() {
    let mut failures = Vec::new();
    let mut expected_files = vec![];
    for fx in fixtures() {
        let mut status = String::new();
        for view in [&TIMELINE, &JSONL] {
            let (s, failure) = run_view(&fx, view);
            status.push_str(&s);
            failures.extend(failure);
            expected_files.push(format!("{}.{}", fx.name, view.suffix));
        }
        failures.extend(check_golden(&format!("{}.status", fx.name), &status));
        expected_files.push(format!("{}.status", fx.name));
    }
    // golden files of fixtures that no longer exist
    if let Ok(rd) = std::fs::read_dir(golden_dir()) {
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !expected_files.contains(&name) {
                failures.push(format!(
                    "tests/golden/{name}: no fixture produces it; delete it"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
