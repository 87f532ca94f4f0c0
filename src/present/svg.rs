//! The flow diagram as an SVG image (`--svg FILE`), for a browser or a lab report: the
//! same ladders as the text view, drawn from the same [`FlowData`]. All text is XML-escaped
//! and characters XML 1.0 forbids are replaced, so the file is always well-formed.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;

use super::common::{proto_name, seconds, stream_spec, truncate};
use super::flow::FlowData;
use super::timeline::endpoint;
use super::{ConversationRow, Row, View};
use crate::text::{Style, escape};

const LEFT: u32 = 170;
const RIGHT: u32 = 650;
const ROW: u32 = 30;
const WIDTH: u32 = 1000;

/// Text made safe inside an XML element or attribute.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if allowed_in_xml(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    out
}

/// XML 1.0's `Char` production (without tab, newline and carriage return, handled above).
fn allowed_in_xml(c: char) -> bool {
    matches!(u32::from(c), 0x20..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff)
}

/// The whole SVG document for `data`.
pub fn render(data: &FlowData) -> String {
    let rows: u32 = data
        .conversations
        .iter()
        .map(|c| {
            u32::try_from(c.arrows.len())
                .unwrap_or(u32::MAX)
                .saturating_add(4)
                .saturating_add(u32::from(c.more > 0))
        })
        .fold(2u32, u32::saturating_add);
    let height = rows.saturating_mul(ROW).saturating_add(20);
    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">"#
    );
    s.push_str("<title>wirelab flow diagram</title>\n");
    s.push_str(
        "<defs>\n<marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#333\"/></marker>\n</defs>\n",
    );
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
    let mut y = ROW;
    let _ = writeln!(
        s,
        r##"<text x="10" y="{y}" font-weight="bold">{}</text>"##,
        xml_escape("Flow diagram: client lane on the left, server lane on the right")
    );
    y += ROW;
    for c in &data.conversations {
        let mut title = format!(
            "{} stream {} ({})",
            proto_name(c.proto),
            c.stream,
            stream_spec(c.proto, c.stream)
        );
        if !c.verdict.is_empty() {
            title.push_str(": ");
            title.push_str(&c.verdict);
        }
        let _ = writeln!(
            s,
            r##"<text x="10" y="{y}" font-weight="bold">{}</text>"##,
            xml_escape(&truncate(&title, 130, false))
        );
        y += ROW;
        let client = format!("client {}", endpoint(c.client.ip, c.client.port));
        let server = format!("server {}", endpoint(c.server.ip, c.server.port));
        let _ = writeln!(
            s,
            r##"<text x="{LEFT}" y="{y}" text-anchor="middle" fill="#1f5fa8">{}</text>"##,
            xml_escape(&client)
        );
        let _ = writeln!(
            s,
            r##"<text x="{RIGHT}" y="{y}" text-anchor="middle" fill="#a8431f">{}</text>"##,
            xml_escape(&server)
        );
        let top = y + 8;
        let rows = u32::try_from(c.arrows.len())
            .unwrap_or(u32::MAX)
            .saturating_add(u32::from(c.more > 0));
        let bottom = top
            .saturating_add(rows.saturating_mul(ROW))
            .saturating_add(8);
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}" stroke="#1f5fa8" stroke-width="2"/>"##
        );
        let _ = writeln!(
            s,
            r##"<line x1="{RIGHT}" y1="{top}" x2="{RIGHT}" y2="{bottom}" stroke="#a8431f" stroke-width="2"/>"##
        );
        y = top;
        for a in &c.arrows {
            y += ROW;
            let (x1, x2) = if a.to_server {
                (LEFT, RIGHT)
            } else {
                (RIGHT, LEFT)
            };
            let _ = writeln!(
                s,
                r##"<text x="10" y="{y}" fill="#666">{} {}</text>"##,
                a.number,
                seconds(a.nanos)
            );
            let _ = writeln!(
                s,
                r##"<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#333" stroke-width="1.5" marker-end="url(#head)"><title>frame {}</title></line>"##,
                a.number
            );
            let mid = (LEFT + RIGHT) / 2;
            let _ = writeln!(
                s,
                r##"<text x="{mid}" y="{}" text-anchor="middle">{}</text>"##,
                y - 5,
                xml_escape(&truncate(&a.label, 64, false))
            );
            if !a.payload.is_empty() {
                let mut t = escape(&a.payload, Style::Plain);
                if a.payload_len > a.payload.len() {
                    t.push('…');
                }
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" fill="#2a7a2a">"{}"</text>"##,
                    RIGHT + 12,
                    y + 4,
                    xml_escape(&truncate(&t, 40, false))
                );
            }
        }
        if c.more > 0 {
            y += ROW;
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{y}" text-anchor="middle" fill="#666">… {} more, up to frame {}</text>"##,
                (LEFT + RIGHT) / 2,
                c.more,
                c.last_more
            );
        }
        y = bottom + ROW;
    }
    if data.conversations.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="10" y="{y}">No TCP or UDP conversation to draw.</text>"##
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Wraps any view: passes everything on, and also writes the flow diagram as SVG to a file.
pub struct SvgTee {
    inner: Box<dyn View>,
    data: FlowData,
    path: PathBuf,
}

impl SvgTee {
    /// Wraps `inner`; the SVG goes to `path` after the last frame.
    pub fn new(inner: Box<dyn View>, path: PathBuf, absolute_seq: bool) -> Self {
        SvgTee {
            inner,
            data: FlowData::new(absolute_seq),
            path,
        }
    }
}

impl View for SvgTee {
    fn begin(&mut self) -> io::Result<()> {
        self.inner.begin()
    }

    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        self.data.add(row);
        self.inner.frame(row)
    }

    fn conversations_coming(&mut self, total: u64) {
        self.inner.conversations_coming(total);
    }
    fn conversations(&mut self, rows: &[ConversationRow<'_>]) -> io::Result<()> {
        self.data.set_verdicts(rows);
        let svg = render(&self.data);
        std::fs::File::create(&self.path)
            .and_then(|mut f| f.write_all(svg.as_bytes()))
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot write the SVG to {}: {e}",
                        crate::text::show_path(&self.path)
                    ),
                )
            })?;
        self.inner.conversations(rows)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_xml_escape_markup_and_forbidden() {
        assert_eq!(xml_escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(xml_escape("x\u{1}y\u{fffe}"), "x\u{fffd}y\u{fffd}");
    }

    #[test]
    fn test_svg_empty_is_document() {
        let s = render(&FlowData::new(false));
        assert!(s.starts_with("<?xml") && s.trim_end().ends_with("</svg>"));
    }
}
