//! The one driver loop: frames from any source (a saved file, a live interface, the lab's
//! capture thread) through the pipeline, in capture order, until the source ends, `-c N`
//! frames were shown, a deadline passes or a signal asks to stop. `read`, `capture`, `lab`
//! and its partner modes differ only in the source they hand it. (Reading a file on two
//! threads, see `threaded`, is a faster way to run this same loop over a file.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::{Failure, Pipeline};
use crate::error::AppError;
use crate::source::live::{LiveSource, Next};
use crate::source::{FileSource, Frame};

/// What a source has next.
pub(crate) enum Step<'a> {
    /// One frame.
    Frame(Frame<'a>),
    /// Nothing arrived for a while (a live source): the rows so far are flushed.
    Idle,
    /// The source ended.
    End,
}

/// Where the driver's frames come from.
pub(crate) trait FrameSource {
    /// The next frame, `Idle` or `End`; an error ends the run after the frames before it.
    fn step(&mut self) -> Result<Step<'_>, AppError>;
}

impl FrameSource for FileSource {
    fn step(&mut self) -> Result<Step<'_>, AppError> {
        match self.next_frame() {
            Ok(Some(f)) => Ok(Step::Frame(f)),
            Ok(None) => Ok(Step::End),
            Err(e) => Err(e.into()),
        }
    }
}

impl FrameSource for LiveSource {
    fn step(&mut self) -> Result<Step<'_>, AppError> {
        match self.next_frame() {
            Ok(Next::Frame(f)) => Ok(Step::Frame(f)),
            Ok(Next::Idle) => Ok(Step::Idle),
            Err(e) => Err(e.into()),
        }
    }
}

/// When the driver stops before its source ends.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Until<'a> {
    /// Set by SIGINT, SIGTERM or SIGHUP.
    pub signal: Option<&'a AtomicBool>,
    /// `capture --duration`.
    pub deadline: Option<Instant>,
}

impl Until<'_> {
    fn reached(&self) -> bool {
        self.signal.is_some_and(|s| s.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// How a run ended.
#[derive(Debug, Default)]
pub(crate) struct Driven {
    /// Frames taken from the source.
    pub frames: u64,
    /// The source failed after `frames` frames (a damaged file, a capture error): the
    /// frames before it went through; the caller reports it after finishing the views.
    pub error: Option<AppError>,
    /// Writing the output failed (a closed pipe is [`Failure::BrokenPipe`]).
    pub failure: Option<Failure>,
    /// A signal or the deadline stopped the run.
    pub stopped: bool,
}

impl Driven {
    /// The first thing that went wrong, output before source (a closed pipe ends quietly).
    pub fn into_failure(self) -> Option<Failure> {
        self.failure.or(self.error.map(Failure::from))
    }
}

/// Runs frames from `source` through `pipeline` until the source ends, `-c N` frames were
/// shown, `until` is reached or the output fails. The pipeline is not finished: the caller
/// does that (and writes the conversations) unless the output failed.
pub(crate) fn drive(
    source: &mut impl FrameSource,
    pipeline: &mut Pipeline,
    until: Until<'_>,
) -> Driven {
    let mut driven = Driven::default();
    while !pipeline.done() {
        if until.reached() {
            driven.stopped = true;
            break;
        }
        match source.step() {
            Ok(Step::Frame(f)) => {
                driven.frames += 1;
                if let Err(e) = pipeline.frame(&f) {
                    driven.failure = Some(e);
                    break;
                }
            }
            Ok(Step::Idle) => {
                if let Err(e) = pipeline.flush() {
                    driven.failure = Some(e);
                    break;
                }
            }
            Ok(Step::End) => break,
            Err(e) => {
                driven.error = Some(e);
                break;
            }
        }
    }
    driven
}
