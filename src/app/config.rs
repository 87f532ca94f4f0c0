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
    /// The human view: `--view`, else the report when `-o` is given, else the detail view
    /// when `--frame` or `--hex` is given (as `tshark -x`), else the timeline.
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
    /// `--lab-port N` (repeatable): the conversations judged as the lab; empty: those no
    /// application protocol claims that carry a text request and a reply.
    pub lab_ports: Vec<u16>,
    /// Colour on stdout.
    pub color: bool,
    /// The columns the views fit, or `None` for rows in full (see [`layout_width`]).
    pub width: Option<usize>,
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
            (None, None) if args.frame.is_some() || args.hex => ViewKind::Detail,
            (None, None) => ViewKind::Timeline,
        };
        validate(args, kind)?;
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
            lab_ports: args.lab_port.clone(),
            color,
            width: layout_width(args),
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

/// The view options that depend on each other's values (clap checks the rest): an option
/// that could not act in this combination is refused, never silently ignored.
fn validate(v: &ViewArgs, kind: ViewKind) -> Result<(), AppError> {
    let usage = |s: String| Err(AppError::Usage(s));
    if v.format == Format::Jsonl {
        let human = [
            (v.view.is_some(), "--view"),
            (v.svg.is_some(), "--svg"),
            (v.output.is_some(), "-o/--output"),
            (v.frame.is_some(), "--frame"),
            (v.hex, "--hex"),
            (v.ascii, "--ascii"),
            (v.wide, "--wide"),
            (v.width.is_some(), "--width"),
        ];
        if let Some((_, name)) = human.iter().find(|(given, _)| *given) {
            return usage(format!(
                "{name} shapes a human view, but --format jsonl writes JSON Lines only; drop {name} or --format jsonl"
            ));
        }
        return Ok(());
    }
    let name = view_name(kind);
    if v.frame.is_some() && kind != ViewKind::Detail {
        return usage(format!(
            "--frame N picks the frame of the detail view, not of the {name} view; drop --view {name}, or use --view detail"
        ));
    }
    if v.hex && !matches!(kind, ViewKind::Follow | ViewKind::Detail) {
        return usage(format!(
            "--hex shows payloads in hex in --view follow (and alone, the detail view), not in the {name} view; use --view follow or --view detail"
        ));
    }
    if v.output.is_some() && kind != ViewKind::Report {
        return usage(format!(
            "-o FILE.md writes the report, not the {name} view; drop --view {name}, or use --view report"
        ));
    }
    if v.ascii && matches!(kind, ViewKind::Timeline | ViewKind::Detail) {
        return usage(format!(
            "--ascii draws the flow, conversations, follow and report views without Unicode; the {name} view has no drawing; drop --ascii or pick one of those views"
        ));
    }
    Ok(())
}

/// The view's name as `--view` takes it.
fn view_name(kind: ViewKind) -> &'static str {
    match kind {
        ViewKind::Timeline => "timeline",
        ViewKind::Flow => "flow",
        ViewKind::Conversations => "conversations",
        ViewKind::Follow => "follow",
        ViewKind::Detail => "detail",
        ViewKind::Report => "report",
    }
}

/// The width the views fit, or `None` for rows in full: `--width N` wins; else, when
/// stdout is a terminal and `--wide` is not given, `COLUMNS` (when set to a number) or the
/// terminal's own width; never less than [`crate::width::MIN_COLUMNS`]. Piped or written
/// to a file, rows are full.
pub fn layout_width(view: &ViewArgs) -> Option<usize> {
    use std::io::IsTerminal;
    if let Some(n) = view.width {
        return Some(usize::from(n));
    }
    if view.wide || !std::io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(terminal_columns)
        .unwrap_or(80);
    Some(columns.clamp(crate::width::MIN_COLUMNS, crate::width::MAX_COLUMNS))
}

/// The columns of the terminal on stdout (`TIOCGWINSZ`), when it says.
fn terminal_columns() -> Option<usize> {
    let size = rustix::termios::tcgetwinsize(std::io::stdout()).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}
