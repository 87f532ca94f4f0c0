//! The reviewed differences from tshark, read from `tests/known-differences.txt`.
//!
//! Format: one difference per line, `FILE FRAME FIELD REASON...` separated by white space;
//! `#` starts a comment line. FILE is a capture's file name; FRAME a frame number, a range
//! `A-B` (frames A to B) or `*` (every frame of the file); FIELD a compared field (`src`, `dst`, `sport`, `dport`,
//! `proto`, `flags`, `seq`, `ack`, `raw_seq`, `raw_ack`, `payload_len`, `stream`,
//! `analysis`, `info`, `time`, `no`), `frame` for a frame missing or extra, or `*` for every
//! field. REASON must not be empty: it says why the difference is right or accepted.

use std::collections::BTreeSet;

use super::util::root;

/// One reviewed difference.
#[derive(Debug, Clone)]
pub struct Known {
    file: String,
    /// First and last frame covered (`None`: every frame).
    frame: Option<(u64, u64)>,
    field: Option<String>,
    /// Line in the file, for messages.
    pub line: usize,
}

/// Every entry of the known-differences file.
#[derive(Debug, Default)]
pub struct KnownDifferences {
    entries: Vec<Known>,
}

/// The path of the known-differences file.
pub fn path() -> std::path::PathBuf {
    root().join("tests/known-differences.txt")
}

/// Prints a differential test's summary (one line per capture) and the known differences
/// that no longer differ.
pub fn print_summary(title: &str, summary: &[String], stale: &[String]) {
    eprintln!("{title}:\n  {}", summary.join("\n  "));
    if !stale.is_empty() {
        eprintln!(
            "stale known differences (remove them):\n  {}",
            stale.join("\n  ")
        );
    }
}

impl KnownDifferences {
    /// Reads and checks the file; a malformed line fails the test.
    pub fn load() -> KnownDifferences {
        let text = std::fs::read_to_string(path()).unwrap_or_default();
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut parts = t.split_whitespace();
            let (Some(file), Some(frame), Some(field)) = (parts.next(), parts.next(), parts.next())
            else {
                panic!(
                    "tests/known-differences.txt line {}: expected FILE FRAME FIELD REASON: {t}",
                    i + 1
                );
            };
            assert!(
                parts.next().is_some(),
                "tests/known-differences.txt line {}: no reason given: {t}",
                i + 1
            );
            let number = |n: &str| {
                n.parse::<u64>().unwrap_or_else(|_| {
                    panic!(
                        "tests/known-differences.txt line {}: frame {frame:?} is not a number, a range A-B or *",
                        i + 1
                    )
                })
            };
            let frame = if frame == "*" {
                None
            } else if let Some((a, b)) = frame.split_once('-') {
                Some((number(a), number(b)))
            } else {
                Some((number(frame), number(frame)))
            };
            let field = if field == "*" {
                None
            } else {
                Some(field.to_string())
            };
            entries.push(Known {
                file: file.to_string(),
                frame,
                field,
                line: i + 1,
            });
        }
        KnownDifferences { entries }
    }

    /// True when the difference in `field` of `frame` of `file` is listed.
    pub fn covers(&self, file: &str, frame: u64, field: &str) -> bool {
        self.entries.iter().any(|k| {
            k.file == file
                && k.frame.is_none_or(|(a, b)| (a..=b).contains(&frame))
                && k.field.as_deref().is_none_or(|f| f == field)
        })
    }

    /// The entries for `file` that matched none of `seen` (file, frame, field) differences:
    /// stale lines to remove once the difference is gone. `compared`: the fields the
    /// calling test compares; an entry for another field (one only the other test sees,
    /// such as the Protocol column, which the recorded oracles lack) is never stale here.
    pub fn unused_for(
        &self,
        file: &str,
        seen: &BTreeSet<(u64, String)>,
        compared: &[&str],
    ) -> Vec<usize> {
        self.entries
            .iter()
            .filter(|k| k.file == file)
            .filter(|k| k.field.as_deref().is_none_or(|f| compared.contains(&f)))
            .filter(|k| {
                !seen.iter().any(|(frame, field)| {
                    k.frame.is_none_or(|(a, b)| (a..=b).contains(frame))
                        && k.field.as_deref().is_none_or(|f| f == field)
                })
            })
            .map(|k| k.line)
            .collect()
    }
}
