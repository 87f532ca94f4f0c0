//! The validated view configuration (ripgrep's "high" arguments): built once from what was
//! typed (`cli::ViewArgs`, the "low" arguments), checked, and then the only thing the driver
//! and the view builder read. `present` never sees a clap type, and `--stream` is parsed here
//! once.

use std::path::PathBuf;

use crate::cli::{Format, ViewArgs, ViewKind};
use crate::error::{AppError, StreamSpecError};
use crate::present::TimeFormat;
use crate::track::Proto;

/// A validated `--stream`.
///
/// ```
/// use wirelab::app::StreamSpec;
/// use wirelab::track::Proto;
/// let s: StreamSpec = "tcp:3".parse().unwrap();
/// assert_eq!((s.proto, s.index), (Proto::Tcp, 3));
/// assert!("icmp:1".parse::<StreamSpec>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    pub proto: Proto,
    pub index: u64,
}

impl std::str::FromStr for StreamSpec {
    type Err = StreamSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || StreamSpecError {
            text: s.to_string(),
        };
        let (p, n) = s.split_once(':').ok_or_else(err)?;
        let proto = match p.to_ascii_lowercase().as_str() {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => return Err(err()),
        };
        Ok(StreamSpec {
            proto,
            index: n.trim().parse().map_err(|_| err())?,
        })
    }
}

/// Everything the views and the driver need to know about what the user asked for,
/// validated.
#[derive(Debug, Clone)]
pub struct ViewConfig {
    /// Machine or human output.
    pub format: Format,
    /// The human view: `--view`, else the report when `-o` is given, else the timeline.
    pub kind: ViewKind,
    /// The time column's format.
    pub time: TimeFormat,
    /// The BPF expression of `-f`, not compiled yet (that needs the link type).
    pub filter: Option<String>,
    /// `--stream`, parsed.
    pub stream: Option<StreamSpec>,
    /// `-c N`.
    pub count: Option<u64>,
    /// Raw sequence numbers.
    pub absolute_seq: bool,
    /// Notes as pcapng comments in the `-w` file.
    pub comments: bool,
    /// ASCII instead of box drawing.
    pub ascii: bool,
    /// `--svg FILE`.
    pub svg: Option<PathBuf>,
    /// Follow as a hex dump.
    pub hex: bool,
    /// Detail of this frame only.
    pub frame: Option<u64>,
    /// The report's `-o FILE`.
    pub output: Option<PathBuf>,
    /// Colour on stdout.
    pub color: bool,
}

impl ViewConfig {
    /// Validates what was typed.
    pub fn new(args: &ViewArgs, color: bool) -> Result<Self, AppError> {
        let stream = args
            .stream
            .as_deref()
            .map(str::parse::<StreamSpec>)
            .transpose()?;
        let kind = match (args.view, &args.output) {
            (Some(v), _) => v,
            (None, Some(_)) => ViewKind::Report,
            (None, None) => ViewKind::Timeline,
        };
        Ok(ViewConfig {
            format: args.format,
            kind,
            time: match args.time {
                crate::cli::TimeFormat::R => TimeFormat::R,
                crate::cli::TimeFormat::D => TimeFormat::D,
                crate::cli::TimeFormat::E => TimeFormat::E,
                crate::cli::TimeFormat::Ad => TimeFormat::Ad,
            },
            filter: args.filter.clone(),
            stream,
            count: args.count,
            absolute_seq: args.absolute_seq,
            comments: args.comments,
            ascii: args.ascii,
            svg: args.svg.clone(),
            hex: args.hex,
            frame: args.frame,
            output: args.output.clone(),
            color,
        })
    }

    /// True when the plain timeline is all that is asked for.
    pub fn plain_timeline(&self) -> bool {
        self.kind == ViewKind::Timeline && self.svg.is_none()
    }

    /// True when the view shows no frame, only the conversations at the end (so the
    /// pipeline needs no per-frame words, only what the verdicts need).
    pub fn conversations_only(&self) -> bool {
        self.kind == ViewKind::Conversations && self.svg.is_none()
    }

    /// True when the view accepts the conversations in several batches (each call to
    /// `View::conversations` continues the list): the plain timeline, JSON Lines, the
    /// conversations view, the flow and the report (which keep only what they draw, so that
    /// memory does not grow with every conversation's summary at the end).
    pub fn batches_conversations(&self) -> bool {
        self.svg.is_none()
            && matches!(
                self.kind,
                ViewKind::Timeline | ViewKind::Conversations | ViewKind::Flow | ViewKind::Report
            )
    }
}
