//! Golden tests: every fixture through the timeline and JSON Lines views, the whole output
//! compared with a reviewed file in `tests/golden/`.
//!
//! Per fixture NAME: `NAME.timeline.txt` (stdout of `wirelab read --color never FILE`),
//! `NAME.jsonl` (stdout of `wirelab read --format jsonl FILE`) and `NAME.status` (the exit
//! code and standard error of both). `WIRELAB_BLESS=1 cargo test` rewrites them; a missing
//! golden file fails the test unless blessing.

use super::util::{Fixture, GoldenDir, assert_no_failures, fixtures, golden_run};

/// Where the golden files of this module live.
const GOLDEN: GoldenDir = GoldenDir("tests/golden");

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

/// Runs `view` on `fx`; returns the status text and the failure, if any.
fn run_view(fx: &Fixture, view: &View) -> (String, Option<String>) {
    let (what, r, out) = golden_run(view.args, &fx.rel);
    let mut status = format!("{what}: exit {:?}\n", r.code);
    for line in r.stderr.lines() {
        status.push_str("  stderr: ");
        status.push_str(line);
        status.push('\n');
    }
    let failure = match out {
        Err(e) => Some(e),
        Ok(out) => GOLDEN.check(&format!("{}.{}", fx.name, view.suffix), &out),
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
        failures.extend(GOLDEN.check(&format!("{}.status", fx.name), &status));
        expected_files.push(format!("{}.status", fx.name));
    }
    // golden files of fixtures that no longer exist
    failures.extend(GOLDEN.unexpected(&expected_files));
    assert_no_failures(&failures, "golden failure(s)", usize::MAX);
}
