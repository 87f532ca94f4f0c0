//! TCP options (RFC 9293 §3.2 and the IANA option registry), kept as the raw bytes
//! of the header and parsed when read: a decoded segment holds at most 40 bytes and
//! nothing to free, and only the options someone looks at are ever built. The check
//! at decode time and the iterator take each step with the same function, so they
//! agree on where every option starts and ends. Hand-written because etherparse's
//! iterator stops at kinds it does not know (Fast Open, MPTCP, ...).

use super::{be16, be32};

/// Most option bytes a TCP header holds: data offset 15 (60 bytes) minus the fixed 20.
pub const MAX_OPTION_BYTES: usize = 40;

/// One TCP option, in the order it appears in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpOption {
    /// End of option list (kind 0).
    Eol,
    /// No-operation padding (kind 1).
    Nop,
    /// Maximum segment size (kind 2).
    Mss(u16),
    /// Window scale shift count (kind 3).
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// SACK blocks: (left edge, right edge), raw sequence numbers.
    Sack(Vec<(u32, u32)>),
    /// Timestamps (kind 8): the sender's value and the echoed one.
    Timestamps { tsval: u32, tsecr: u32 },
    /// TCP Fast Open cookie (kind 34, or the experimental kind 254 with ExID
    /// 0xF989); empty for a cookie request.
    FastOpen(Vec<u8>),
    /// Accurate ECN byte counters (RFC 9768 AccECN; kinds 172 and 174, or the
    /// experimental kind 254 with ExID 0xACC0 / 0xACC1), as (name, value) in the
    /// order they appear: order 0 is EE0B, ECEB, EE1B; order 1 is EE1B, ECEB, EE0B.
    /// Only the counters the option's length holds are there.
    AccEcn(Vec<(&'static str, u32)>),
    /// Any other kind, with its data length.
    Unknown { kind: u8, len: u8 },
}

/// A TCP header's options in header order: the raw option bytes, up to the end of
/// the last well-formed option (an End of option list included, the padding after
/// it not). Read them with `iter()` or `for o in &tcp.options`, which parse each
/// option as they go (yielding [`TcpOption`] by value).
#[derive(Clone, Copy)]
pub struct TcpOptions {
    bytes: [u8; MAX_OPTION_BYTES],
    /// Bytes used in `bytes`.
    len: u8,
}

/// Why the walk over a header's options stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadOption {
    /// The last byte is the kind of an option that needs a length byte.
    NoLength { kind: u8 },
    /// The length byte counts fewer than the kind and length bytes themselves.
    TooShort { kind: u8, len: u8 },
    /// The option's length runs past the option bytes.
    PastEnd { kind: u8, len: u8 },
}

impl std::fmt::Display for BadOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            BadOption::NoLength { kind } => write!(f, "option kind {kind} has no length byte"),
            BadOption::TooShort { kind, len } => {
                write!(f, "option kind {kind} has length {len} (< 2)")
            }
            BadOption::PastEnd { kind, len } => {
                write!(f, "option kind {kind} of length {len} runs past the header")
            }
        }
    }
}

/// One option found by [`step`]: its kind, its data (after the kind and length
/// bytes) and where the next option starts.
type Step<'a> = (u8, &'a [u8], usize);

/// The option starting at `at` in `opts`; `Ok(None)` at the end.
fn step(opts: &[u8], at: usize) -> Result<Option<Step<'_>>, BadOption> {
    let Some(&kind) = opts.get(at) else {
        return Ok(None);
    };
    // End of option list (0) and no-operation (1) are a lone kind byte.
    if kind <= 1 {
        return Ok(Some((kind, &[], at + 1)));
    }
    let Some(&len) = opts.get(at + 1) else {
        return Err(BadOption::NoLength { kind });
    };
    if len < 2 {
        return Err(BadOption::TooShort { kind, len });
    }
    let end = at + usize::from(len);
    match opts.get(at + 2..end) {
        Some(body) => Ok(Some((kind, body, end))),
        None => Err(BadOption::PastEnd { kind, len }),
    }
}

/// Builds the option of `kind` whose data is `body` (a known kind with the wrong
/// length is kept as an unknown option).
fn parse(kind: u8, body: &[u8]) -> TcpOption {
    let option = match (kind, body.len()) {
        (0, _) => Some(TcpOption::Eol),
        (1, _) => Some(TcpOption::Nop),
        (2, 2) => be16(body, 0).map(TcpOption::Mss),
        (3, 1) => body.first().map(|&s| TcpOption::WindowScale(s)),
        (4, 0) => Some(TcpOption::SackPermitted),
        (5, n) if n % 8 == 0 => Some(TcpOption::Sack(
            body.chunks_exact(8)
                .filter_map(|c| Some((be32(c, 0)?, be32(c, 4)?)))
                .collect(),
        )),
        (8, 8) => match (be32(body, 0), be32(body, 4)) {
            (Some(tsval), Some(tsecr)) => Some(TcpOption::Timestamps { tsval, tsecr }),
            _ => None,
        },
        (34, _) => Some(TcpOption::FastOpen(body.to_vec())),
        (172, _) => Some(accecn(0, body)),
        (174, _) => Some(accecn(1, body)),
        (254, n) if n >= 2 => {
            // Experimental options (RFC 6994): a 16-bit ExID first.
            let rest = body.get(2..).unwrap_or(&[]);
            match be16(body, 0) {
                Some(0xf989) => Some(TcpOption::FastOpen(rest.to_vec())),
                Some(0xacc0) => Some(accecn(0, rest)),
                Some(0xacc1) => Some(accecn(1, rest)),
                _ => None,
            }
        }
        _ => None,
    };
    option.unwrap_or(TcpOption::Unknown {
        kind,
        len: u8::try_from(body.len()).unwrap_or(u8::MAX),
    })
}

/// The counter names of an AccECN option of `order` 0 or 1, in option order.
fn accecn_names(order: u8) -> [&'static str; 3] {
    if order == 0 {
        ["EE0B", "ECEB", "EE1B"]
    } else {
        ["EE1B", "ECEB", "EE0B"]
    }
}

/// The 24-bit counters of an AccECN option of `order` 0 or 1, as many as `body` holds.
pub(crate) fn accecn(order: u8, body: &[u8]) -> TcpOption {
    TcpOption::AccEcn(
        accecn_names(order)
            .iter()
            .zip(body.chunks_exact(3))
            .map(|(name, c)| {
                let value = c.iter().fold(0u32, |v, b| v << 8 | u32::from(*b));
                (*name, value)
            })
            .collect(),
    )
}

/// The bytes of one option as a header carries it (the inverse of [`parse`], for
/// options built by hand). An unknown option's data is zeros.
fn encode(option: &TcpOption) -> Vec<u8> {
    let with_len = |kind: u8, body: &[u8]| {
        let mut v = vec![kind, u8::try_from(body.len() + 2).unwrap_or(u8::MAX)];
        v.extend_from_slice(body);
        v
    };
    match option {
        TcpOption::Eol => vec![0],
        TcpOption::Nop => vec![1],
        TcpOption::Mss(mss) => with_len(2, &mss.to_be_bytes()),
        TcpOption::WindowScale(shift) => with_len(3, &[*shift]),
        TcpOption::SackPermitted => with_len(4, &[]),
        TcpOption::Sack(blocks) => {
            let body: Vec<u8> = blocks
                .iter()
                .flat_map(|(l, r)| l.to_be_bytes().into_iter().chain(r.to_be_bytes()))
                .collect();
            with_len(5, &body)
        }
        TcpOption::Timestamps { tsval, tsecr } => {
            let mut body = tsval.to_be_bytes().to_vec();
            body.extend_from_slice(&tsecr.to_be_bytes());
            with_len(8, &body)
        }
        TcpOption::FastOpen(cookie) => with_len(34, cookie),
        TcpOption::AccEcn(counters) => {
            let order1 = counters
                .first()
                .is_some_and(|(name, _)| *name == accecn_names(1)[0]);
            let body: Vec<u8> = counters
                .iter()
                .flat_map(|(_, v)| v.to_be_bytes().into_iter().skip(1))
                .collect();
            with_len(if order1 { 174 } else { 172 }, &body)
        }
        TcpOption::Unknown { kind, len } => with_len(*kind, &vec![0; usize::from(*len)]),
    }
}

impl TcpOptions {
    /// No options.
    pub const fn new() -> Self {
        TcpOptions {
            bytes: [0; MAX_OPTION_BYTES],
            len: 0,
        }
    }

    /// Takes the options of a header from its option bytes (those after the fixed
    /// 20): every well-formed option up to the end or to an End of option list. When
    /// an option runs past the end or has an impossible length, the ones before it are
    /// kept and the reason is returned (the segment is then malformed).
    pub(crate) fn read(opts: &[u8]) -> (TcpOptions, Option<String>) {
        let opts = opts.get(..MAX_OPTION_BYTES).unwrap_or(opts);
        let mut at = 0;
        let mut bad = None;
        loop {
            match step(opts, at) {
                Ok(Some((kind, _, next))) => {
                    at = next;
                    if kind == 0 {
                        // End of option list: the rest is padding.
                        break;
                    }
                }
                Ok(None) => break,
                Err(why) => {
                    bad = Some(why.to_string());
                    break;
                }
            }
        }
        let mut out = TcpOptions::new();
        out.extend_bytes(opts.get(..at).unwrap_or(opts));
        (out, bad)
    }

    /// Appends raw option bytes, when they fit.
    fn extend_bytes(&mut self, raw: &[u8]) -> bool {
        let start = usize::from(self.len);
        let end = start + raw.len();
        match (self.bytes.get_mut(start..end), u8::try_from(end)) {
            (Some(room), Ok(len)) => {
                room.copy_from_slice(raw);
                self.len = len;
                true
            }
            _ => false,
        }
    }

    /// Appends an option, as its header bytes. An option that would take the options
    /// past the 40 bytes a header holds is not kept (no header could carry it).
    pub fn push(&mut self, option: TcpOption) {
        self.extend_bytes(&encode(&option));
    }

    /// The raw option bytes, as the header carries them.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The options in header order, each parsed as it comes.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            opts: self.as_bytes(),
            at: 0,
        }
    }

    /// How many options there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True when the header had no option.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The options of a [`TcpOptions`], in header order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    opts: &'a [u8],
    at: usize,
}

impl Iterator for Iter<'_> {
    type Item = TcpOption;
    fn next(&mut self) -> Option<TcpOption> {
        // The bytes were checked when stored: a bad option cannot occur here, but
        // would end the options all the same.
        let (kind, body, next) = step(self.opts, self.at).ok()??;
        self.at = next;
        Some(parse(kind, body))
    }
}

impl Default for TcpOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> IntoIterator for &'a TcpOptions {
    type Item = TcpOption;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl std::fmt::Debug for TcpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Equal when they hold the same options (bytes that differ only where parsing
/// ignores them, such as an unknown option's data, compare equal).
impl PartialEq for TcpOptions {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for TcpOptions {}

impl PartialEq<Vec<TcpOption>> for TcpOptions {
    fn eq(&self, other: &Vec<TcpOption>) -> bool {
        self.iter().eq(other.iter().cloned())
    }
}

impl From<Vec<TcpOption>> for TcpOptions {
    fn from(options: Vec<TcpOption>) -> Self {
        options.into_iter().collect()
    }
}

impl FromIterator<TcpOption> for TcpOptions {
    fn from_iter<I: IntoIterator<Item = TcpOption>>(iter: I) -> Self {
        let mut out = TcpOptions::new();
        for o in iter {
            out.push(o);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of option, as the parser builds them.
    fn samples() -> Vec<TcpOption> {
        vec![
            TcpOption::Nop,
            TcpOption::Mss(1460),
            TcpOption::WindowScale(7),
            TcpOption::SackPermitted,
            TcpOption::Sack(vec![(1, 2), (0xffff_ffff, 0x8000_0000)]),
            TcpOption::Sack(vec![]),
            TcpOption::Timestamps {
                tsval: 0x780a_6e4f,
                tsecr: 7,
            },
            TcpOption::FastOpen(vec![]),
            TcpOption::FastOpen(vec![0xca, 0xfe, 0xba, 0xbe]),
            TcpOption::AccEcn(vec![("EE0B", 1), ("ECEB", 0), ("EE1B", 16_777_215)]),
            TcpOption::AccEcn(vec![("EE1B", 5), ("ECEB", 6)]),
            TcpOption::AccEcn(vec![]),
            TcpOption::Unknown { kind: 30, len: 2 },
            TcpOption::Unknown { kind: 2, len: 3 },
            TcpOption::Unknown { kind: 254, len: 0 },
            TcpOption::Eol,
        ]
    }

    #[test]
    fn test_option_encode_parse_round_trip() {
        for option in samples() {
            let raw = encode(&option);
            let (read, bad) = TcpOptions::read(&raw);
            assert_eq!(bad, None, "{option:?}");
            assert_eq!(read.as_bytes(), raw.as_slice(), "{option:?}");
            assert_eq!(read.iter().collect::<Vec<_>>(), vec![option.clone()]);
            let mut pushed = TcpOptions::new();
            pushed.push(option.clone());
            assert_eq!(pushed, read);
        }
    }

    #[test]
    fn test_options_push_in_order_up_to_40_bytes() {
        let mut o = TcpOptions::new();
        assert!(o.is_empty());
        let all: Vec<TcpOption> = (0..10u16).map(TcpOption::Mss).collect();
        for (i, opt) in all.iter().enumerate() {
            o.push(opt.clone());
            assert_eq!(o.iter().collect::<Vec<_>>(), all.get(..=i).unwrap_or(&[]));
        }
        assert_eq!(o, all);
        assert_eq!(o.len(), 10);
        assert_eq!(TcpOptions::from(all.clone()), o);
        assert_eq!(format!("{o:?}"), format!("{all:?}"));
        assert_eq!((&o).into_iter().count(), 10);
        // A header holds 40 option bytes: an eleventh MSS does not fit.
        o.push(TcpOption::Mss(99));
        assert_eq!(o, all);
    }

    #[test]
    fn test_options_read_stops_after_eol_and_at_bad_option() {
        let (o, bad) = TcpOptions::read(&[1, 0, 0xff, 0xff]);
        assert_eq!(
            (o, bad),
            (vec![TcpOption::Nop, TcpOption::Eol].into(), None)
        );
        let (o, bad) = TcpOptions::read(&[2, 4, 5, 0xb4, 1, 3]);
        assert_eq!(o, vec![TcpOption::Mss(1460), TcpOption::Nop]);
        assert_eq!(o.as_bytes(), &[2, 4, 5, 0xb4, 1]);
        assert_eq!(bad.as_deref(), Some("option kind 3 has no length byte"));
        let (o, bad) = TcpOptions::read(&[8, 1]);
        assert!(o.is_empty());
        assert_eq!(bad.as_deref(), Some("option kind 8 has length 1 (< 2)"));
        let (_, bad) = TcpOptions::read(&[1, 8, 10, 0]);
        assert_eq!(
            bad.as_deref(),
            Some("option kind 8 of length 10 runs past the header")
        );
    }

    #[test]
    fn test_options_every_prefix_no_panic() {
        let raw: Vec<u8> = samples().iter().flat_map(encode).collect();
        for n in 0..=raw.len() {
            let (o, _) = TcpOptions::read(raw.get(..n).unwrap_or(&[]));
            assert!(o.as_bytes().len() <= n.min(MAX_OPTION_BYTES));
            let _ = o.iter().count();
        }
    }
}
