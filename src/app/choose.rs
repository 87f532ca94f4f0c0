//! Picks the human view from the validated configuration (`--view`, `-o`, `--svg`): the one
//! place that maps the view options onto view types, so `read`, `capture` and `lab` get the
//! same views.

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use super::ViewConfig;
use crate::cli::ViewKind;
use crate::present::View;
use crate::present::conversations::Conversations;
use crate::present::detail::Detail;
use crate::present::flow::Flow;
use crate::present::follow::Follow;
use crate::present::report::Report;
use crate::present::svg::SvgTee;
use crate::present::timeline::Timeline;

/// Builds the human view writing to `out` (the report may go to `-o FILE` instead).
#[allow(dead_code)]
pub fn view(config: &ViewConfig, out: Box<dyn Write>) -> Box<dyn View> {
    view_with_total(config, out, Rc::new(Cell::new(None)))
}

/// [`view`], with `total` telling the conversations view, before the first batch,
/// how many conversations will come (see [`Conversations::with_total`]).
pub fn view_with_total(
    config: &ViewConfig,
    out: Box<dyn Write>,
    total: Rc<Cell<Option<u64>>>,
) -> Box<dyn View> {
    let v: Box<dyn View> = match config.kind {
        ViewKind::Timeline => Box::new(Timeline::new(out, config.time, config.color)),
        ViewKind::Flow => Box::new(Flow::new(out, config.ascii, config.absolute_seq)),
        ViewKind::Conversations => Box::new(Conversations::with_total(out, config.ascii, total)),
        ViewKind::Follow => Box::new(Follow::new(
            out,
            config.stream.map(|s| (s.proto, s.index)),
            config.hex,
            config.ascii,
        )),
        ViewKind::Detail => Box::new(Detail::new(out, config.frame)),
        ViewKind::Report => Box::new(Report::new(
            out,
            config.output.clone(),
            config.ascii,
            config.absolute_seq,
        )),
    };
    match &config.svg {
        Some(path) => Box::new(SvgTee::new(v, path.clone(), config.absolute_seq)),
        None => v,
    }
}
