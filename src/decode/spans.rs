//! Field spans: where each header and field of a frame lies (offset, length, name,
//! value, meaning, sub-fields), recorded by the decoder itself as it parses, once,
//! when the detail view asks for them. The timeline path passes [`NoFields`], whose
//! every method is an empty inline function: no allocation, no formatting, no cost.
//! Must not parse bytes itself, nor lay spans out (the detail view does that).
//!
//! # Writing a dissector's fields
//!
//! A dissector takes `s: &mut S` with `S: FieldSink` and, as it reads each field,
//! calls [`FieldSink::field`] with the field's offset and length, its name, its value
//! and what the value means. Values are anything [`Display`] (pass `format_args!`,
//! never `format!`, so that nothing is formatted under [`NoFields`]); work done only
//! for the fields (a checksum check, a name lookup feeding a meaning) goes under
//! `if S::ON { ... }`.
//!
//! ```
//! use wirelab::decode::spans::{FieldSink, Spans};
//!
//! /// A 4-byte "type, length" header at the start of `payload`.
//! fn tlv_fields<S: FieldSink>(payload: &[u8], s: &mut S) {
//!     s.layer("Example TLV", 0, 4);
//!     let (Some(&t), Some(&l)) = (payload.first(), payload.get(1)) else {
//!         return s.cut(0, 4);
//!     };
//!     s.summary(format_args!("type {t}"));
//!     s.field(0, 1, "Type", t, "what follows");
//!     s.field(1, 1, "Length", format_args!("{l} bytes"), "");
//! }
//!
//! // An application dissector sees its payload from offset 0; `at` moves its
//! // spans to where the payload lies in the frame (here byte 42).
//! let frame = [0u8; 46];
//! let mut spans = Spans::new(frame.len());
//! tlv_fields(&frame[42..], &mut spans.at(42));
//! let layers = spans.into_layers();
//! assert_eq!(layers[0].offset, 42);
//! assert_eq!(layers[0].children[1].name, "Length");
//! assert_eq!(layers[0].children[1].offset, 43);
//! ```
//!
//! # Where application dissectors hook in
//!
//! [`crate::decode::decode_spans`] decodes one frame with a [`Spans`] recorder (the
//! same code as the timeline's decode, with [`NoFields`] there). The bytes after a
//! transport header go to [`payload`], which is where an application dissector
//! (DNS, DHCP, HTTP, TLS, ...) is called with `&mut s.at(offset)`; what no
//! dissector claims is shown as a "Data" layer.

use std::fmt::{Display, Write as _};

use super::Packet;

/// One recorded span: a layer (a top-level span, whose `value` is its one-line
/// summary) or a field of one (whose `children` are its sub-fields, e.g. the flag
/// bits under "Flags").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// Offset of its first byte in the frame.
    pub offset: usize,
    /// Its length in bytes (the bytes holding it, for a bit field).
    pub len: usize,
    /// Its name, e.g. "Header length", or for a layer "Internet Protocol Version 4".
    pub name: String,
    /// Its value as shown, e.g. "20 bytes (5)"; for a layer, its summary.
    pub value: String,
    /// What the value means, e.g. "IHL × 4 bytes: the fixed 20 bytes, no options".
    pub meaning: String,
    /// For a bit field: which bits of which bytes hold it.
    pub bits: Option<Bits>,
    /// Sub-fields, in header order.
    pub children: Vec<Span>,
}

/// The bits of a field within the bytes that hold it: `mask` within a `width`-bit
/// `value` (Wireshark's `0100 .... = Version`). The detail view draws the pattern.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bits {
    /// The bytes' value, as a big-endian number of `width` bits.
    pub value: u32,
    /// The bits of the field.
    pub mask: u32,
    /// How many bits are drawn (8, 12, 16, 20, ...; at most 32).
    pub width: u8,
}

impl Bits {
    /// The field `mask` of the `width`-bit `value`.
    pub fn new(value: u32, mask: u32, width: u8) -> Self {
        Bits { value, mask, width }
    }
}

impl Display for Bits {
    /// The bits of `mask` as 0 and 1, the others as dots, in groups of four, most
    /// significant first: `0100 ....`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = u32::from(self.width.min(32));
        for i in (0..width).rev() {
            let bit = 1u32 << i;
            f.write_char(if self.mask & bit == 0 {
                '.'
            } else if self.value & bit != 0 {
                '1'
            } else {
                '0'
            })?;
            if i % 4 == 0 && i != 0 {
                f.write_char(' ')?;
            }
        }
        Ok(())
    }
}

/// Relative TCP numbers (from the tracker), which the TCP fields show next to the
/// raw ones when the recorder was given them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelativeSeq {
    /// Relative sequence number.
    pub seq: u32,
    /// Relative acknowledgment number.
    pub ack: u32,
}

/// Where a decoder writes the spans of what it parses. Two implementations: [`Spans`]
/// records them (the detail view), [`NoFields`] drops them at no cost (every other
/// path). Offsets are in the frame, or relative to the base given to [`FieldSink::at`].
///
/// Fields go into the last opened layer; [`FieldSink::open`] makes the last field the
/// parent of the following ones until [`FieldSink::close`].
pub trait FieldSink {
    /// False when nothing is recorded: work that only feeds the spans goes under
    /// `if S::ON`.
    const ON: bool;

    /// Opens a new layer (a protocol header) of `len` bytes at `offset` (cut to the
    /// bytes captured); the following fields belong to it.
    fn layer(&mut self, name: impl Display, offset: usize, len: usize);

    /// Sets the one-line summary of the current layer, e.g. "Src: 10.0.0.1, Dst: ...".
    fn summary(&mut self, summary: impl Display);

    /// Sets the current layer's length (e.g. once the header length field is read),
    /// cut to the bytes captured.
    fn layer_len(&mut self, len: usize);

    /// Records a field of `len` bytes at `offset`.
    fn field(
        &mut self,
        offset: usize,
        len: usize,
        name: impl Display,
        value: impl Display,
        meaning: impl Display,
    );

    /// Records a bit field: `bits` says which bits of its `len` bytes hold it.
    fn bits(
        &mut self,
        offset: usize,
        len: usize,
        bits: Bits,
        name: impl Display,
        value: impl Display,
        meaning: impl Display,
    );

    /// Makes the last field recorded the parent of the fields that follow, until
    /// [`FieldSink::close`].
    fn open(&mut self);

    /// Ends the sub-fields opened by the last [`FieldSink::open`].
    fn close(&mut self);

    /// Bytes captured from offset 0 (of the frame, or of the base given to
    /// [`FieldSink::at`]) on.
    fn captured(&self) -> usize;

    /// The relative TCP numbers of this frame, if the recorder was given them.
    fn relative_seq(&self) -> Option<RelativeSeq>;

    /// Records where the outermost network datagram ends (frame offset): the first
    /// call wins (a tunnel's inner datagram or an ICMP error's quoted one come later).
    /// The link layer shows what follows as padding or trailer.
    fn set_datagram_end(&mut self, end: usize);

    /// Where the outermost network datagram ends, once recorded.
    fn datagram_end(&self) -> Option<usize>;

    /// Records that the current header was cut short: it needs `needed` bytes from
    /// `offset`, and fewer were captured.
    fn cut(&mut self, offset: usize, needed: usize) {
        if !Self::ON {
            return;
        }
        let have = self.captured().saturating_sub(offset);
        self.field(
            offset,
            have,
            "[cut short]",
            format_args!("{have} of {needed} bytes captured"),
            "the snap length or the file ended inside this header",
        );
    }

    /// This sink with every offset moved by `base`: how a dissector of payload
    /// bytes (which reads its payload from offset 0) records spans in frame offsets.
    fn at(&mut self, base: usize) -> At<'_, Self>
    where
        Self: Sized,
    {
        At { sink: self, base }
    }
}

/// The sink of the per-frame hot path: records nothing, costs nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFields;

impl FieldSink for NoFields {
    const ON: bool = false;
    #[inline(always)]
    fn layer(&mut self, _: impl Display, _: usize, _: usize) {}
    #[inline(always)]
    fn summary(&mut self, _: impl Display) {}
    #[inline(always)]
    fn layer_len(&mut self, _: usize) {}
    #[inline(always)]
    fn field(&mut self, _: usize, _: usize, _: impl Display, _: impl Display, _: impl Display) {}
    #[inline(always)]
    fn bits(
        &mut self,
        _: usize,
        _: usize,
        _: Bits,
        _: impl Display,
        _: impl Display,
        _: impl Display,
    ) {
    }
    #[inline(always)]
    fn open(&mut self) {}
    #[inline(always)]
    fn close(&mut self) {}
    #[inline(always)]
    fn captured(&self) -> usize {
        0
    }
    #[inline(always)]
    fn relative_seq(&self) -> Option<RelativeSeq> {
        None
    }
    #[inline(always)]
    fn set_datagram_end(&mut self, _: usize) {}
    #[inline(always)]
    fn datagram_end(&self) -> Option<usize> {
        None
    }
    #[inline(always)]
    fn cut(&mut self, _: usize, _: usize) {}
}

/// The recorder: collects the layers of one frame, each with its fields.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    layers: Vec<Span>,
    /// How many fields deep [`FieldSink::open`] went in the current layer.
    depth: usize,
    captured: usize,
    relative: Option<RelativeSeq>,
    datagram_end: Option<usize>,
}

impl Spans {
    /// A recorder for a frame of `captured` bytes.
    pub fn new(captured: usize) -> Self {
        Spans {
            captured,
            ..Spans::default()
        }
    }

    /// The same recorder, giving the TCP fields the tracker's relative numbers.
    pub fn with_relative_seq(mut self, relative: Option<RelativeSeq>) -> Self {
        self.relative = relative;
        self
    }

    /// The layers recorded, in frame order.
    pub fn into_layers(self) -> Vec<Span> {
        self.layers
    }

    /// The layers recorded so far.
    pub fn layers(&self) -> &[Span] {
        &self.layers
    }

    /// Where recorded layers end: the first byte after every layer so far.
    pub fn end(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.offset.saturating_add(l.len))
            .max()
            .unwrap_or(0)
    }

    /// The list the next field goes into: the current layer's, or the children of
    /// the field opened last.
    fn fields(&mut self) -> Option<&mut Vec<Span>> {
        let mut list = &mut self.layers.last_mut()?.children;
        for _ in 0..self.depth {
            list = &mut list.last_mut()?.children;
        }
        Some(list)
    }

    fn clip(&self, offset: usize, len: usize) -> usize {
        len.min(self.captured.saturating_sub(offset))
    }
}

impl FieldSink for Spans {
    const ON: bool = true;

    fn layer(&mut self, name: impl Display, offset: usize, len: usize) {
        let len = self.clip(offset, len);
        self.depth = 0;
        self.layers.push(Span {
            offset,
            len,
            name: name.to_string(),
            ..Span::default()
        });
    }

    fn summary(&mut self, summary: impl Display) {
        if let Some(l) = self.layers.last_mut() {
            l.value = summary.to_string();
        }
    }

    fn layer_len(&mut self, len: usize) {
        let Some(offset) = self.layers.last().map(|l| l.offset) else {
            return;
        };
        let len = self.clip(offset, len);
        if let Some(l) = self.layers.last_mut() {
            l.len = len;
        }
    }

    fn field(
        &mut self,
        offset: usize,
        len: usize,
        name: impl Display,
        value: impl Display,
        meaning: impl Display,
    ) {
        push(self, offset, len, None, name, value, meaning);
    }

    fn bits(
        &mut self,
        offset: usize,
        len: usize,
        bits: Bits,
        name: impl Display,
        value: impl Display,
        meaning: impl Display,
    ) {
        push(self, offset, len, Some(bits), name, value, meaning);
    }

    fn open(&mut self) {
        let has_field = self.fields().is_some_and(|fields| !fields.is_empty());
        if has_field {
            self.depth += 1;
        }
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn captured(&self) -> usize {
        self.captured
    }

    fn relative_seq(&self) -> Option<RelativeSeq> {
        self.relative
    }

    fn set_datagram_end(&mut self, end: usize) {
        self.datagram_end.get_or_insert(end);
    }

    fn datagram_end(&self) -> Option<usize> {
        self.datagram_end
    }
}

/// Appends one field to the list [`Spans::fields`] names.
fn push(
    s: &mut Spans,
    offset: usize,
    len: usize,
    bits: Option<Bits>,
    name: impl Display,
    value: impl Display,
    meaning: impl Display,
) {
    if let Some(fields) = s.fields() {
        fields.push(Span {
            offset,
            len,
            name: name.to_string(),
            value: value.to_string(),
            meaning: meaning.to_string(),
            bits,
            children: Vec::new(),
        });
    }
}

/// A sink whose offsets start at `base` of another (see [`FieldSink::at`]).
#[derive(Debug)]
pub struct At<'s, S: FieldSink> {
    sink: &'s mut S,
    base: usize,
}

impl<S: FieldSink> FieldSink for At<'_, S> {
    const ON: bool = S::ON;

    fn layer(&mut self, name: impl Display, offset: usize, len: usize) {
        self.sink.layer(name, self.base.saturating_add(offset), len);
    }
    fn summary(&mut self, summary: impl Display) {
        self.sink.summary(summary);
    }
    fn layer_len(&mut self, len: usize) {
        self.sink.layer_len(len);
    }
    fn field(
        &mut self,
        offset: usize,
        len: usize,
        name: impl Display,
        value: impl Display,
        meaning: impl Display,
    ) {
        let offset = self.base.saturating_add(offset);
        self.sink.field(offset, len, name, value, meaning);
    }
    fn bits(
        &mut self,
        offset: usize,
        len: usize,
        bits: Bits,
        name: impl Display,
        value: impl Display,
        meaning: impl Display,
    ) {
        let offset = self.base.saturating_add(offset);
        self.sink.bits(offset, len, bits, name, value, meaning);
    }
    fn open(&mut self) {
        self.sink.open();
    }
    fn close(&mut self) {
        self.sink.close();
    }
    fn captured(&self) -> usize {
        self.sink.captured().saturating_sub(self.base)
    }
    fn relative_seq(&self) -> Option<RelativeSeq> {
        self.sink.relative_seq()
    }
    fn set_datagram_end(&mut self, end: usize) {
        self.sink.set_datagram_end(self.base.saturating_add(end));
    }
    fn datagram_end(&self) -> Option<usize> {
        self.sink
            .datagram_end()
            .map(|e| e.saturating_sub(self.base))
    }
}

/// The application bytes of `packet`: `declared` bytes at `at` in the frame (as the
/// headers declare them), of which `payload` were captured. Application dissectors
/// are called from here; the bytes no dissector claims become a "Data" layer whose
/// meaning says `why` they are there (e.g. "the application's bytes").
pub fn payload<S: FieldSink>(
    packet: &Packet<'_>,
    payload: &[u8],
    at: usize,
    declared: usize,
    why: &str,
    s: &mut S,
) {
    if !S::ON || declared == 0 {
        return;
    }
    if super::app::fields(packet, payload, at, s) {
        return;
    }
    data_layer(payload, at, declared, why, s);
}

/// A "Data" layer of `declared` bytes at `at`, of which `have` were captured: the
/// first 32 bytes in hex and the first 64 as text.
pub fn data_layer<S: FieldSink>(have: &[u8], at: usize, declared: usize, why: &str, s: &mut S) {
    if !S::ON {
        return;
    }
    s.layer(format_args!("Data ({declared} bytes)"), at, declared);
    data_field(have, at, "Data", why, s);
    if have.len() < declared {
        s.field(
            at.saturating_add(have.len()),
            0,
            "[cut short]",
            format_args!("{} of {declared} bytes captured", have.len()),
            "the snap length cut the frame",
        );
    }
}

/// A field `name` holding the bytes `have` at `at`: the first 32 bytes in hex, and the
/// meaning `why` followed by the first 64 as text.
pub fn data_field<S: FieldSink>(have: &[u8], at: usize, name: &str, why: &str, s: &mut S) {
    if !S::ON {
        return;
    }
    let mut text = String::new();
    for &b in have.iter().take(64) {
        text.push(crate::text::dump_char(b));
    }
    if have.len() > 64 {
        text.push('…');
    }
    s.field(
        at,
        have.len(),
        name,
        Hex(have, 32),
        format_args!("{why}; as text: {text}"),
    );
}

/// The fields of a TCP segment of a protocol (HTTP, TLS) that starts none of its messages:
/// the current layer's summary "Continuation" and a "[Continuation]" field of its bytes,
/// whose meaning says `why` (tshark's reassembly shows such bytes in a later segment).
pub fn continuation<S: FieldSink>(data: &[u8], why: &str, s: &mut S) {
    s.summary("Continuation");
    data_field(data, 0, "[Continuation]", why, s);
}

/// At most the first `.1` bytes of `.0` in hex, then "…" if there were more.
#[derive(Debug, Clone, Copy)]
pub struct Hex<'b>(pub &'b [u8], pub usize);

impl Display for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0.iter().take(self.1) {
            write!(f, "{b:02x}")?;
        }
        if self.0.len() > self.1 {
            f.write_char('…')?;
        }
        Ok(())
    }
}

/// A MAC (or other link-layer) address, bytes in hex joined by colons.
#[derive(Debug, Clone, Copy)]
pub struct Mac<'b>(pub &'b [u8]);

impl Display for Mac<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_char(':')?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_bits_pattern_groups() {
        assert_eq!(Bits::new(0x45, 0xf0, 8).to_string(), "0100 ....");
        assert_eq!(
            Bits::new(0x4000, 0x4000, 16).to_string(),
            ".1.. .... .... ...."
        );
    }

    #[test]
    fn test_spans_open_close_nests_fields() {
        let mut s = Spans::new(20);
        s.layer("L", 0, 40);
        s.field(0, 2, "Flags", "0x1", "");
        s.open();
        s.field(0, 1, "A", "set", "");
        s.field(0, 1, "B", "not set", "");
        s.close();
        s.field(2, 2, "Next", 3, "");
        let layers = s.into_layers();
        let [l] = layers.as_slice() else {
            panic!("{layers:?}")
        };
        assert_eq!(l.len, 20, "cut to the captured bytes");
        assert_eq!(l.children.len(), 2);
        assert_eq!(l.children[0].children.len(), 2);
        assert_eq!(l.children[1].value, "3");
    }

    #[test]
    fn test_cut_counts_captured_bytes() {
        let mut s = Spans::new(10);
        s.layer("L", 4, 20);
        s.cut(4, 20);
        let l = s.into_layers();
        assert_eq!(l[0].children[0].value, "6 of 20 bytes captured");
        assert_eq!(l[0].children[0].len, 6);
    }

    #[test]
    fn test_no_fields_records_nothing() {
        let mut s = NoFields;
        s.layer("L", 0, 1);
        s.field(0, 1, "x", 1, "");
        s.cut(0, 4);
        assert_eq!(s.captured(), 0);
        const { assert!(!NoFields::ON) };
    }

    #[test]
    fn test_data_layer_hex_text_and_cut() {
        let mut s = Spans::new(6);
        data_layer(b"hi\x00", 3, 5, "why", &mut s);
        let l = s.into_layers();
        assert_eq!(l[0].name, "Data (5 bytes)");
        assert_eq!(l[0].children[0].value, "686900");
        assert_eq!(l[0].children[0].meaning, "why; as text: hi.");
        assert_eq!(l[0].children[1].value, "3 of 5 bytes captured");
        assert_eq!(Mac(&[1, 0xab]).to_string(), "01:ab");
        assert_eq!(Hex(&[1, 2, 3], 2).to_string(), "0102…");
    }

    #[test]
    fn test_at_moves_offsets_and_captured() {
        let mut s = Spans::new(50);
        {
            let mut a = s.at(42);
            assert_eq!(a.captured(), 8);
            a.layer("App", 0, 100);
            a.field(2, 2, "Id", 7, "");
        }
        let l = s.into_layers();
        assert_eq!((l[0].offset, l[0].len), (42, 8));
        assert_eq!(l[0].children[0].offset, 44);
    }
}
