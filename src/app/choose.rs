//! Picks the human view from the validated configuration (`--view`, `-o`, `--svg`): the one
//! place that maps the view options onto view types, so `read`, `capture` and `lab` get the
//! same views.

use std::io::Write;

use super::ViewConfig;
use crate::cli::ViewKind;
use crate::present::View;
use crate::present::conversations::Conversations;
use crate::present::detail::Detail;
use crate::present::fitted::{FittedTimeline, fit};
use crate::present::flow::Flow;
use crate::present::follow::Follow;
use crate::present::report::Report;
use crate::present::svg::SvgTee;
use crate::present::timeline::Timeline;

/// Builds the human view writing to `out` (the report may go to `-o FILE` instead).
pub fn view(config: &ViewConfig, out: Box<dyn Write>) -> Box<dyn View> {
    let width = config.width;
    let v: Box<dyn View> = match (config.kind, width) {
        (ViewKind::Timeline, Some(w)) => {
            Box::new(FittedTimeline::new(out, config.time, config.color, w))
        }
        (ViewKind::Timeline, None) => Box::new(Timeline::new(out, config.time, config.color)),
        (ViewKind::Flow, _) => Box::new(Flow::new(out, config.ascii, config.absolute_seq, width)),
        (ViewKind::Conversations, _) => Box::new(Conversations::new(out, config.ascii, width)),
        (ViewKind::Follow, _) => Box::new(Follow::new(
            fit(out, width),
            config.stream.map(|s| (s.proto, s.index)),
            config.hex,
            config.ascii,
            width,
        )),
        (ViewKind::Detail, _) => Box::new(Detail::new(fit(out, width), config.frame)),
        (ViewKind::Report, _) => Box::new(Report::new(
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
