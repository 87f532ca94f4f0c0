//! `wirelab check FILE...`: the lab's checks of many captures (a teaching assistant's
//! submissions), each file through the one pipeline, files read in parallel on every
//! core (std threads), then one table: a row per file, a column per check.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Failure, Pipeline, Selection, ViewConfig, output_error};
use crate::cli::{CheckArgs, CheckFormatArg, Format, ViewKind};
use crate::error::AppError;
use crate::explain::lab::LabModel;
use crate::present::TimeFormat;
use crate::present::checks::{CheckFormat, FileResult, write_check_results};
use crate::source::FileSource;

/// The view configuration of a file checked: no frame shown, only what the verdicts and
/// the lab model need (the conversations view's fast path), written nowhere.
fn config(lab_ports: &[u16]) -> ViewConfig {
    ViewConfig {
        format: Format::Timeline,
        kind: ViewKind::Conversations,
        time: TimeFormat::R,
        filter: None,
        stream: None,
        count: None,
        absolute_seq: false,
        comments: false,
        ascii: true,
        svg: None,
        hex: false,
        frame: None,
        output: None,
        lab_ports: lab_ports.to_vec(),
        color: false,
        width: None,
    }
}

/// The lab model of one capture file, or why it could not be read.
pub fn check_file(path: &std::path::Path, lab_ports: &[u16]) -> Result<LabModel, String> {
    let mut source = FileSource::open(path).map_err(|e| e.to_string())?;
    let selection = Selection::everything();
    let mut pipeline = Pipeline::new(&config(lab_ports), selection, Box::new(io::sink()));
    // A file `wirelab lab -w` wrote: its lab's scope and expectations (unless --lab-port).
    if lab_ports.is_empty()
        && let Some((scope, expect)) = super::saved_lab::read(source.section_comments())
    {
        pipeline.set_lab(scope, expect);
    }
    loop {
        match source.next_frame() {
            Ok(Some(frame)) => {
                if pipeline.frame(&frame).is_err() {
                    return Err(format!("{}: cannot be checked", path.display()));
                }
            }
            Ok(None) => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    // A lab interrupted says so at the file's end: its unfinished runs are `skip`.
    if pipeline.capture_ended(source.statistics()).is_err() {
        return Err(format!("{}: cannot be checked", path.display()));
    }
    let model = pipeline.finish().map_err(|e| e.to_string())?;
    if model.runs.is_empty() && model.checks.is_empty() {
        // No lab run found: the `runs` check fails.
        return Ok(no_runs(model));
    }
    Ok(model)
}

/// A model for a capture holding no lab run: one failing `runs` check.
fn no_runs(mut m: LabModel) -> LabModel {
    m.checks.push(crate::explain::lab::Check {
        proto: crate::track::Proto::Udp,
        run: 0,
        id: crate::explain::lab::CheckId::Runs,
        result: crate::explain::lab::Outcome::Fail,
        frames: Vec::new(),
        text: "no lab run in this capture (no UDP or TCP exchange of a text request and a reply)"
            .into(),
    });
    m
}

/// Runs `wirelab check`.
pub fn run(args: &CheckArgs) -> Result<(), Failure> {
    let n = args.files.len();
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<LabModel, String>>>> = Mutex::new(vec![None; n]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = args.files.get(i) else {
                        break;
                    };
                    let r = check_file(path, &args.lab_port);
                    if let Ok(mut all) = results.lock()
                        && let Some(slot) = all.get_mut(i)
                    {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let rows: Vec<FileResult> = args
        .files
        .iter()
        .zip(results)
        .map(|(f, r)| FileResult {
            file: f.display().to_string(),
            model: r.unwrap_or_else(|| Err("not checked".into())),
        })
        .collect();
    let format = match args.format {
        CheckFormatArg::Table => CheckFormat::Table,
        CheckFormatArg::Jsonl => CheckFormat::Jsonl,
        CheckFormatArg::Csv => CheckFormat::Csv,
        CheckFormatArg::Markdown => CheckFormat::Markdown,
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    write_check_results(&mut out, &rows, format).map_err(output_error)?;
    out.flush().map_err(output_error)?;
    let failed: usize = rows
        .iter()
        .map(|r| r.model.as_ref().map_or(0, LabModel::failed))
        .sum();
    let damaged = rows.iter().filter(|r| r.model.is_err()).count();
    if failed > 0 || damaged > 0 {
        return Err(Failure::App(AppError::CheckFailed {
            failed,
            unreadable: damaged,
            files: n,
        }));
    }
    Ok(())
}
