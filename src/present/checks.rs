//! The lab model rendered: "What the lab shows" (one line per check, ✓ ✗ –), the JSON
//! Lines check objects, and the tables of `wirelab check` (terminal, CSV, Markdown). It
//! renders [`LabModel`]; it never judges the lab itself.

use std::io::{self, Write};

use super::jsonl::push_json_string;
use super::text::ansi;
use crate::explain::lab::{Check, CheckId, LabModel, Outcome, proto_lower};

/// The mark of a result: ✓, ✗ or –.
pub fn mark(result: Outcome) -> &'static str {
    match result {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::Skip => "–",
    }
}

/// "What the lab shows": a heading, one line per check, and the count. Writes nothing
/// when the model has no check. With `width`, each check's sentence wraps within it
/// (continuation lines indented under the sentence).
pub fn write_lab_shows(
    out: &mut impl Write,
    model: &LabModel,
    color: bool,
    width: Option<usize>,
) -> io::Result<()> {
    if model.is_empty() {
        return Ok(());
    }
    let (on, off) = if color {
        (ansi::HEADING, ansi::RESET)
    } else {
        ("", "")
    };
    writeln!(out)?;
    writeln!(out, "{on}What the lab shows{off}")?;
    if let Some(n) = model.interrupted_after {
        writeln!(out, "  the lab was interrupted after {n} frames")?;
    }
    for c in &model.checks {
        let (start, end) = match (color, c.result) {
            (true, Outcome::Pass) => ("\x1b[32m", ansi::RESET),
            (true, Outcome::Fail) => (ansi::RESET_FLAG, ansi::RESET),
            (true, Outcome::Skip) => (ansi::NOTE, ansi::RESET),
            (false, _) => ("", ""),
        };
        match width {
            Some(w) => {
                let mut line = format!("  {start}{}{end} ", mark(c.result));
                crate::width::wrap_into(&mut line, &c.text, w, 4, 4);
                out.write_all(line.as_bytes())?;
            }
            None => writeln!(out, "  {start}{}{end} {}", mark(c.result), c.text)?,
        }
    }
    if model.not_followed > 0 {
        writeln!(
            out,
            "  ({} more conversation(s) not judged: at most {} are followed)",
            model.not_followed,
            crate::explain::lab::observe::MAX_FOLLOWED
        )?;
    }
    writeln!(out, "{}", summary_line(model))
}

/// "18 of 20 checks passed, 1 failed, 1 skipped".
pub fn summary_line(model: &LabModel) -> String {
    let total = model.checks.len();
    let failed = model.failed();
    let skipped = total - failed - model.passed();
    let mut s = format!("{} of {total} checks passed", model.passed());
    if failed > 0 {
        s.push_str(&format!(", {failed} failed"));
    }
    if skipped > 0 {
        s.push_str(&format!(", {skipped} skipped"));
    }
    s
}

/// One check as a JSON Lines object (with its newline); `file` for `wirelab check`.
pub fn push_check_json(w: &mut Vec<u8>, check: &Check, file: Option<&str>) {
    w.extend_from_slice(b"{\"type\":\"check\",");
    if let Some(f) = file {
        w.extend_from_slice(b"\"file\":");
        push_json_string(w, f);
        w.push(b',');
    }
    w.extend_from_slice(b"\"proto\":\"");
    w.extend_from_slice(proto_lower(check.proto).as_bytes());
    w.extend_from_slice(b"\",\"run\":");
    w.extend_from_slice(check.run.to_string().as_bytes());
    w.extend_from_slice(b",\"check\":\"");
    w.extend_from_slice(check.id.as_str().as_bytes());
    w.extend_from_slice(b"\",\"result\":\"");
    w.extend_from_slice(check.result.as_str().as_bytes());
    w.extend_from_slice(b"\",\"frames\":[");
    for (i, f) in check.frames.iter().enumerate() {
        if i > 0 {
            w.push(b',');
        }
        w.extend_from_slice(f.to_string().as_bytes());
    }
    w.extend_from_slice(b"],\"text\":");
    push_json_string(w, &check.text);
    w.extend_from_slice(b"}\n");
}

/// What `wirelab check` found in one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The file as named on the command line.
    pub file: String,
    /// The model, or why the file could not be read.
    pub model: Result<LabModel, String>,
}

/// The result of one check id over all runs of a file: fail if any failed, pass if any
/// passed (and none failed), skip if all skipped; None when no run has it.
pub fn column(model: &LabModel, id: CheckId) -> Option<Outcome> {
    let mut seen = None;
    for c in model.checks.iter().filter(|c| c.id == id) {
        seen = Some(match (seen, c.result) {
            (_, Outcome::Fail) | (Some(Outcome::Fail), _) => Outcome::Fail,
            (_, Outcome::Pass) | (Some(Outcome::Pass), _) => Outcome::Pass,
            _ => Outcome::Skip,
        });
    }
    seen
}

/// The output formats of `wirelab check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFormat {
    /// A table for the terminal, then the failures.
    Table,
    Jsonl,
    Csv,
    Markdown,
}

fn cell_text(r: &FileResult, id: CheckId) -> &'static str {
    match &r.model {
        Ok(m) => column(m, id).map_or(" ", mark),
        Err(_) => " ",
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// Writes the results of `wirelab check` in `format`.
pub fn write_check_results(
    out: &mut impl Write,
    results: &[FileResult],
    format: CheckFormat,
) -> io::Result<()> {
    let ids = CheckId::ALL;
    match format {
        CheckFormat::Jsonl => {
            let mut w = Vec::new();
            for r in results {
                match &r.model {
                    Ok(m) => {
                        for c in &m.checks {
                            push_check_json(&mut w, c, Some(&r.file));
                        }
                    }
                    Err(e) => {
                        w.extend_from_slice(b"{\"type\":\"error\",\"file\":");
                        push_json_string(&mut w, &r.file);
                        w.extend_from_slice(b",\"text\":");
                        push_json_string(&mut w, e);
                        w.extend_from_slice(b"}\n");
                    }
                }
            }
            out.write_all(&w)
        }
        CheckFormat::Csv => {
            writeln!(out, "file,proto,run,check,result,frames,text")?;
            for r in results {
                match &r.model {
                    Ok(m) => {
                        for c in &m.checks {
                            let frames: Vec<String> = c.frames.iter().map(u64::to_string).collect();
                            writeln!(
                                out,
                                "{},{},{},{},{},{},{}",
                                csv_field(&r.file),
                                proto_lower(c.proto),
                                c.run,
                                c.id.as_str(),
                                c.result.as_str(),
                                csv_field(&frames.join(" ")),
                                csv_field(&c.text)
                            )?;
                        }
                    }
                    Err(e) => writeln!(out, "{},,,,error,,{}", csv_field(&r.file), csv_field(e))?,
                }
            }
            Ok(())
        }
        CheckFormat::Markdown => {
            let mut s = String::from("| file |");
            for id in ids {
                s.push_str(&format!(" {} |", id.as_str()));
            }
            s.push_str("\n|---|");
            for _ in ids {
                s.push_str(":---:|");
            }
            s.push('\n');
            for r in results {
                s.push_str(&format!("| {} |", md_cell(&r.file)));
                match &r.model {
                    Ok(_) => {
                        for id in ids {
                            s.push_str(&format!(" {} |", cell_text(r, id)));
                        }
                    }
                    Err(e) => {
                        s.push_str(&format!(" damaged: {} |", md_cell(e)));
                        for _ in 1..ids.len() {
                            s.push_str(" |");
                        }
                    }
                }
                s.push('\n');
            }
            let failures = failure_lines(results);
            if !failures.is_empty() {
                s.push_str("\n## Failures\n\n");
                for (file, c) in failures {
                    s.push_str(&format!(
                        "- **{}** `{}` {}{}\n",
                        md_cell(file),
                        c.id.as_str(),
                        md_cell(&c.text),
                        frames_suffix(&c.frames)
                    ));
                }
            }
            let stopped = interrupted(results);
            if !stopped.is_empty() {
                s.push_str("\n## Interrupted\n\n");
                for (file, n) in stopped {
                    s.push_str(&format!(
                        "- **{}** the lab was interrupted after {n} frames\n",
                        md_cell(file)
                    ));
                }
            }
            out.write_all(s.as_bytes())
        }
        CheckFormat::Table => {
            let width = results
                .iter()
                .map(|r| r.file.chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            let mut s = format!("{:width$}", "file");
            for id in ids {
                s.push_str(&format!("  {}", id.as_str()));
            }
            s.push('\n');
            for r in results {
                s.push_str(&r.file);
                for _ in r.file.chars().count()..width {
                    s.push(' ');
                }
                match &r.model {
                    Ok(_) => {
                        for id in ids {
                            let w = id.as_str().chars().count();
                            let m = cell_text(r, id);
                            // the mark centred in the column
                            let left = (w.saturating_sub(1)) / 2;
                            s.push_str("  ");
                            s.push_str(&" ".repeat(left));
                            s.push_str(m);
                            s.push_str(&" ".repeat(w.saturating_sub(1 + left)));
                        }
                    }
                    Err(e) => s.push_str(&format!("  damaged: {e}")),
                }
                s.push('\n');
            }
            let failures = failure_lines(results);
            if !failures.is_empty() {
                s.push_str("\nFailures\n");
                for (file, c) in failures {
                    s.push_str(&format!(
                        "  ✗ {file}: [{}] {}{}\n",
                        c.id.as_str(),
                        c.text,
                        frames_suffix(&c.frames)
                    ));
                }
            }
            let stopped = interrupted(results);
            if !stopped.is_empty() {
                s.push_str("\nInterrupted\n");
                for (file, n) in stopped {
                    s.push_str(&format!(
                        "  – {file}: the lab was interrupted after {n} frames\n"
                    ));
                }
            }
            out.write_all(s.as_bytes())
        }
    }
}

/// The files of labs interrupted (their unfinished runs' checks are `skip`), with the
/// frames captured until then.
fn interrupted(results: &[FileResult]) -> Vec<(&str, u64)> {
    results
        .iter()
        .filter_map(|r| Some((r.file.as_str(), r.model.as_ref().ok()?.interrupted_after?)))
        .collect()
}

fn frames_suffix(frames: &[u64]) -> String {
    if frames.is_empty() {
        return String::new();
    }
    let list: Vec<String> = frames.iter().map(u64::to_string).collect();
    let word = if frames.len() == 1 { "frame" } else { "frames" };
    format!(" ({word} {})", list.join(", "))
}

fn failure_lines(results: &[FileResult]) -> Vec<(&str, &Check)> {
    results
        .iter()
        .filter_map(|r| r.model.as_ref().ok().map(|m| (r.file.as_str(), m)))
        .flat_map(|(f, m)| {
            m.checks
                .iter()
                .filter(|c| c.result == Outcome::Fail)
                .map(move |c| (f, c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::Proto;

    #[test]
    fn test_check_json_shape() {
        let c = Check {
            proto: Proto::Udp,
            run: 1,
            id: CheckId::ReplyEndpoint,
            result: Outcome::Fail,
            frames: vec![2, 3],
            text: "the reply came from \"x\"".into(),
        };
        let mut w = Vec::new();
        push_check_json(&mut w, &c, None);
        let v: serde_json::Value = serde_json::from_slice(&w).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"check","proto":"udp","run":1,"check":"reply_endpoint","result":"fail","frames":[2,3],"text":"the reply came from \"x\""})
        );
    }

    /// A file of an interrupted lab says so under the table (its checks are `skip`, so no
    /// failure would name it); a complete one is not listed.
    #[test]
    fn test_table_and_markdown_name_the_interrupted_files() {
        let skipped = Check {
            proto: Proto::Udp,
            run: 0,
            id: CheckId::Runs,
            result: Outcome::Skip,
            frames: vec![1],
            text: "UDP: the lab was interrupted after 4 frames".into(),
        };
        let rows = [
            FileResult {
                file: "stopped.pcapng".into(),
                model: Ok(LabModel {
                    checks: vec![skipped],
                    interrupted_after: Some(4),
                    ..LabModel::default()
                }),
            },
            FileResult {
                file: "whole.pcapng".into(),
                model: Ok(LabModel::default()),
            },
        ];
        for (format, line) in [
            (
                CheckFormat::Table,
                "\nInterrupted\n  – stopped.pcapng: the lab was interrupted after 4 frames\n",
            ),
            (
                CheckFormat::Markdown,
                "\n## Interrupted\n\n- **stopped.pcapng** the lab was interrupted after 4 frames\n",
            ),
        ] {
            let mut out = Vec::new();
            write_check_results(&mut out, &rows, format).unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out.ends_with(line), "{out}");
            assert!(!out.contains("whole.pcapng: the lab"), "{out}");
        }
    }
}
