//! Picks the human view from `--view` (and `-o`, `--svg`): the one place that maps the
//! view options onto view types, so `read`, `capture` and `lab` get the same views.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use super::View;
use super::conversations::Conversations;
use super::detail::Detail;
use super::fitted::{FittedTimeline, fit};
use super::flow::Flow;
use super::follow::Follow;
use super::report::Report;
use super::svg::SvgTee;
use super::timeline::Timeline;
use crate::cli::{ViewArgs, ViewKind};
use crate::track::Proto;

/// The view `args` ask for: `--view`, else the report when `-o` is given, else the
/// detail view when `--frame` or `--hex` is given (as `tshark -x`), else the timeline.
pub fn kind(args: &ViewArgs) -> ViewKind {
    match (args.view, &args.output) {
        (Some(v), _) => v,
        (None, Some(_)) => ViewKind::Report,
        (None, None) if args.frame.is_some() || args.hex => ViewKind::Detail,
        (None, None) => ViewKind::Timeline,
    }
}

/// True when the plain timeline is all that is asked for.
pub fn plain_timeline(args: &ViewArgs) -> bool {
    kind(args) == ViewKind::Timeline && args.svg.is_none()
}

/// True when the view shows no frame, only the conversations at the end (so the
/// pipeline needs no per-frame words, only what the verdicts need).
pub fn conversations_only(args: &ViewArgs) -> bool {
    kind(args) == ViewKind::Conversations && args.svg.is_none()
}

/// True when the view accepts the conversations in several batches (each call to
/// `View::conversations` continues the list): the plain timeline, JSON Lines and
/// the conversations view.
pub fn batches_conversations(args: &ViewArgs) -> bool {
    args.svg.is_none() && matches!(kind(args), ViewKind::Timeline | ViewKind::Conversations)
}

/// `--stream tcp:N|udp:N`, when it parses (the pipeline validated it already).
fn stream(args: &ViewArgs) -> Option<(Proto, u64)> {
    let s = args.stream.as_deref()?;
    let spec: crate::app::StreamSpec = s.parse().ok()?;
    Some((spec.proto, spec.index))
}

/// Builds the human view writing to `out` (the report may go to `-o FILE` instead).
/// `width`: the columns to fit, or `None` for full rows.
pub fn view(
    args: &ViewArgs,
    color: bool,
    width: Option<usize>,
    out: Box<dyn Write>,
) -> Box<dyn View> {
    view_with_total(args, color, width, out, Rc::new(Cell::new(None)))
}

/// [`view`], with `total` telling the conversations view, before the first batch,
/// how many conversations will come (see [`Conversations::with_total`]).
pub fn view_with_total(
    args: &ViewArgs,
    color: bool,
    width: Option<usize>,
    out: Box<dyn Write>,
    total: Rc<Cell<Option<u64>>>,
) -> Box<dyn View> {
    let v: Box<dyn View> = match (kind(args), width) {
        (ViewKind::Timeline, Some(w)) => Box::new(FittedTimeline::new(out, args.time, color, w)),
        (ViewKind::Timeline, None) => Box::new(Timeline::new(out, args.time, color)),
        (ViewKind::Flow, _) => Box::new(Flow::new(out, args.ascii, args.absolute_seq, width)),
        (ViewKind::Conversations, _) => {
            Box::new(Conversations::with_total(out, args.ascii, total, width))
        }
        (ViewKind::Follow, _) => Box::new(Follow::new(
            fit(out, width),
            stream(args),
            args.hex,
            args.ascii,
            width,
        )),
        (ViewKind::Detail, _) => Box::new(Detail::new(fit(out, width), args.frame)),
        (ViewKind::Report, _) => Box::new(Report::new(
            out,
            args.output.clone(),
            args.ascii,
            args.absolute_seq,
        )),
    };
    match &args.svg {
        Some(path) => Box::new(SvgTee::new(v, path.clone(), args.absolute_seq)),
        None => v,
    }
}
