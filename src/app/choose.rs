//! Picks the human view from the validated configuration (`--view`, `-o`, `--svg`): the one
//! place that maps the view options onto view types, so `read`, `capture` and `lab` get the
//! same views.

use std::io::Write;

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
pub fn view(config: &ViewConfig, out: Box<dyn Write>) -> Box<dyn View> {
    let v: Box<dyn View> = match config.kind {
        ViewKind::Timeline => Box::new(Timeline::new(out, config.time, config.color)),
        ViewKind::Flow => Box::new(Flow::new(out, config.ascii, config.absolute_seq)),
        ViewKind::Conversations => Box::new(Conversations::new(out, config.ascii)),
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
