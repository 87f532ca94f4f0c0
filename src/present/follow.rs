//! Follow one conversation (`--view follow --stream tcp:N|udp:N`), like tshark's
//! `-z follow,tcp,ascii,N`: the payload in capture order, each direction marked (the
//! server's lines indented), as safely escaped text or as a hex dump with offsets per
//! direction. TCP retransmissions are not repeated. Streams: only a partial line is buffered.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::common::{proto_name, stream_spec};
use super::timeline::endpoint;
use super::{ConversationRow, Row, View};
use crate::text::{Style, escape};
use crate::track::{Analysis, Direction, Endpoint, Proto};

/// A partial line longer than this is written out without waiting for its end.
const MAX_PARTIAL: usize = 4096;
/// The server's lines are indented by this.
const SERVER_INDENT: &str = "    ";

#[derive(Debug, Default, Clone, Copy)]
struct SideTotals {
    bytes: u64,
    segments: u64,
    missing: u64,
}

/// The follow view.
pub struct Follow<W: Write> {
    out: W,
    hex: bool,
    ascii: bool,
    /// The conversation asked for; `None`: the first one seen.
    want: Option<(Proto, u64)>,
    locked: Option<(Proto, u64)>,
    current: Option<Direction>,
    partial: Vec<u8>,
    client: Option<(Endpoint, Endpoint)>,
    to_server: SideTotals,
    to_client: SideTotals,
    skipped: u64,
}

impl<W: Write> Follow<W> {
    /// A follow view for `want` (or the first conversation).
    pub fn new(out: W, want: Option<(Proto, u64)>, hex: bool, ascii: bool) -> Self {
        Follow {
            out,
            hex,
            ascii,
            want,
            locked: None,
            current: None,
            partial: Vec::new(),
            client: None,
            to_server: SideTotals::default(),
            to_client: SideTotals::default(),
            skipped: 0,
        }
    }

    fn rule(&self) -> &'static str {
        if self.ascii {
            "================================================================"
        } else {
            "════════════════════════════════════════════════════════════════"
        }
    }

    fn header(
        &mut self,
        proto: Proto,
        stream: u64,
        client: Endpoint,
        server: Endpoint,
    ) -> io::Result<()> {
        let rule = self.rule();
        writeln!(self.out, "{rule}")?;
        writeln!(
            self.out,
            "Follow {} ({} stream {}), {}",
            stream_spec(proto, stream),
            proto_name(proto),
            stream,
            if self.hex { "hex" } else { "text" }
        )?;
        writeln!(
            self.out,
            "Client (node 0): {}",
            endpoint(client.ip, client.port)
        )?;
        writeln!(
            self.out,
            "Server (node 1): {}    (server lines are indented)",
            endpoint(server.ip, server.port)
        )?;
        writeln!(self.out, "{rule}")
    }

    fn indent(dir: Direction) -> &'static str {
        match dir {
            Direction::FromClient => "",
            Direction::FromServer => SERVER_INDENT,
        }
    }

    /// Writes the complete lines of the partial buffer (all of it when `all`).
    fn flush_text(&mut self, all: bool) -> io::Result<()> {
        let Some(dir) = self.current else {
            return Ok(());
        };
        let end = if all || self.partial.len() > MAX_PARTIAL {
            self.partial.len()
        } else {
            match self.partial.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => return Ok(()),
            }
        };
        let done: Vec<u8> = self.partial.drain(..end).collect();
        let body = done.strip_suffix(b"\n").unwrap_or(&done);
        if done.is_empty() {
            return Ok(());
        }
        for line in body.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            writeln!(
                self.out,
                "{}{}",
                Self::indent(dir),
                escape(
                    line,
                    if self.ascii {
                        Style::Ascii
                    } else {
                        Style::Plain
                    }
                )
            )?;
        }
        Ok(())
    }

    fn hex_lines(&mut self, dir: Direction, base: u64, data: &[u8]) -> io::Result<()> {
        let mut s = String::new();
        for (i, chunk) in data.chunks(16).enumerate() {
            let off = base.saturating_add(u64::try_from(i * 16).unwrap_or(u64::MAX));
            let _ = write!(s, "{}{off:08X}  ", Self::indent(dir));
            for j in 0..16 {
                match chunk.get(j) {
                    Some(b) => {
                        let _ = write!(s, "{b:02x} ");
                    }
                    None => s.push_str("   "),
                }
                if j == 7 {
                    s.push(' ');
                }
            }
            s.push(' ');
            for &b in chunk {
                s.push(if (0x20..0x7f).contains(&b) {
                    char::from(b)
                } else {
                    '.'
                });
            }
            s.push('\n');
        }
        self.out.write_all(s.as_bytes())
    }
}

impl<W: Write> View for Follow<W> {
    fn frame(&mut self, row: &Row<'_, '_>) -> io::Result<()> {
        let f = row.facts;
        let (Some(proto), Some(stream), Some(dir)) = (f.proto, f.stream, f.direction) else {
            return Ok(());
        };
        let key = (proto, stream);
        match (self.want, self.locked) {
            (Some(w), _) if w != key => return Ok(()),
            (None, Some(l)) if l != key => return Ok(()),
            _ => {}
        }
        if self.locked.is_none() {
            self.locked = Some(key);
            let (Some(src), Some(dst), Some((sp, dp))) =
                (row.packet.src_ip(), row.packet.dst_ip(), row.packet.ports())
            else {
                return Ok(());
            };
            let a = Endpoint { ip: src, port: sp };
            let b = Endpoint { ip: dst, port: dp };
            let (client, server) = if dir == Direction::FromClient {
                (a, b)
            } else {
                (b, a)
            };
            self.client = Some((client, server));
            self.header(proto, stream, client, server)?;
        }
        let payload = row.packet.payload;
        let declared = row.packet.declared_payload_len().map_or(0, u64::from);
        let captured = u64::try_from(payload.len()).unwrap_or(u64::MAX);
        if declared == 0 && payload.is_empty() {
            return Ok(());
        }
        if f.tcp
            .as_ref()
            .is_some_and(|t| t.analysis.has(Analysis::RETRANSMISSION))
        {
            self.skipped += 1;
            return Ok(());
        }
        let totals = match dir {
            Direction::FromClient => &mut self.to_server,
            Direction::FromServer => &mut self.to_client,
        };
        let base = totals.bytes;
        totals.bytes += captured;
        totals.segments += 1;
        totals.missing += declared.saturating_sub(captured);
        if self.current != Some(dir) {
            self.flush_text(true)?;
            self.current = Some(dir);
            let arrow = match (dir, self.ascii) {
                (Direction::FromClient, false) => "▶ client → server",
                (Direction::FromServer, false) => "◀ server → client",
                (Direction::FromClient, true) => "> client -> server",
                (Direction::FromServer, true) => "< server -> client",
            };
            writeln!(
                self.out,
                "{}{arrow} (frame {})",
                Self::indent(dir),
                row.frame.number
            )?;
        }
        if self.hex {
            self.hex_lines(dir, base, payload)?;
        } else {
            self.partial.extend_from_slice(payload);
            self.flush_text(proto == Proto::Udp)?;
        }
        if declared > captured {
            self.flush_text(true)?;
            writeln!(
                self.out,
                "{}[{} bytes of frame {} not captured]",
                Self::indent(dir),
                declared - captured,
                row.frame.number
            )?;
        }
        Ok(())
    }

    fn conversations(&mut self, _rows: &[ConversationRow<'_>]) -> io::Result<()> {
        self.flush_text(true)?;
        let Some((proto, stream)) = self.locked else {
            match self.want {
                Some((p, s)) => writeln!(
                    self.out,
                    "No frame of {} in this capture.",
                    stream_spec(p, s)
                )?,
                None => writeln!(self.out, "No TCP or UDP conversation to follow.")?,
            }
            return Ok(());
        };
        let rule = self.rule();
        writeln!(self.out, "{rule}")?;
        let seg = if proto == Proto::Tcp {
            "segment"
        } else {
            "datagram"
        };
        let arrow = if self.ascii { "->" } else { "→" };
        for (name, t) in [
            (format!("client {arrow} server"), self.to_server),
            (format!("server {arrow} client"), self.to_client),
        ] {
            write!(
                self.out,
                "{name}: {} bytes in {} {seg}(s)",
                t.bytes, t.segments
            )?;
            if t.missing > 0 {
                write!(self.out, ", {} bytes not captured", t.missing)?;
            }
            writeln!(self.out)?;
        }
        if self.skipped > 0 {
            writeln!(
                self.out,
                "{} retransmitted segment(s) not repeated",
                self.skipped
            )?;
        }
        let _ = stream;
        writeln!(self.out, "{rule}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
