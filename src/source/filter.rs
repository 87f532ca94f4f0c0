//! BPF filters (tcpdump syntax) applied frame by frame in userspace, so that frame
//! numbers stay those of the file, as Wireshark keeps them under a display filter.

use pcap::{BpfProgram, Capture, Linktype};

use super::LinkType;
use crate::error::FilterError;

/// A compiled filter, with one program per link type met.
pub struct Filter {
    expr: String,
    programs: Vec<(LinkType, Option<BpfProgram>)>,
}

impl Filter {
    /// Compiles `expr` for `linktype` (Ethernet's when no interface is known yet, to check
    /// it: programs for other link types are compiled as they are met); errors when libpcap
    /// rejects it.
    pub fn new(expr: &str, linktype: impl Into<Option<LinkType>>) -> Result<Self, FilterError> {
        let linktype = linktype.into().unwrap_or(LinkType::ETHERNET);
        let program = compile(expr, linktype)?;
        Ok(Self {
            expr: expr.to_string(),
            programs: vec![(linktype, Some(program))],
        })
    }

    /// True when the frame's bytes match. A link type the expression cannot be
    /// compiled for never matches (as tcpdump cannot apply it there either).
    pub fn matches(&mut self, linktype: LinkType, data: &[u8]) -> bool {
        if let Some((_, p)) = self.programs.iter().find(|(lt, _)| *lt == linktype) {
            return p.as_ref().is_some_and(|p| p.filter(data));
        }
        let p = compile(&self.expr, linktype).ok();
        let hit = p.as_ref().is_some_and(|p| p.filter(data));
        self.programs.push((linktype, p));
        hit
    }
}

/// True when `expr` reads like a Wireshark display filter (`tcp.port == 80`,
/// `ip.addr==10.0.0.1 && udp`) rather than tcpdump syntax: a comparison or logic operator
/// of the display filter language, or a dotted field name.
pub fn looks_like_display_filter(expr: &str) -> bool {
    if [
        "==",
        "!=",
        "&&",
        "||",
        " eq ",
        " ne ",
        " contains ",
        " matches ",
    ]
    .iter()
    .any(|op| expr.contains(op))
    {
        return true;
    }
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .any(|word| {
            let mut parts = word.split('.');
            matches!(
                (parts.next(), parts.next()),
                (Some(a), Some(b)) if a.starts_with(|c: char| c.is_ascii_alphabetic())
                    && b.starts_with(|c: char| c.is_ascii_alphabetic())
            )
        })
}

fn compile(expr: &str, linktype: LinkType) -> Result<BpfProgram, FilterError> {
    let err = |reason: String| FilterError::new(expr, reason);
    let lt = linktype
        .dlt()
        .ok_or_else(|| err(format!("unknown link type {linktype}")))?;
    let dead = Capture::dead(Linktype(lt)).map_err(|e| err(e.to_string()))?;
    dead.compile(expr, true).map_err(|e| {
        err(e
            .to_string()
            .trim_start_matches("libpcap error: ")
            .to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_filter_bad_expression_rejected() {
        assert!(Filter::new("tcp port", LinkType::ETHERNET).is_err());
        assert!(Filter::new("nonsense words here", LinkType::ETHERNET).is_err());
    }

    #[test]
    fn test_filter_udp_matches_udp_frame() {
        // Ethernet: dst, src, type IPv4; IPv4 header (proto 17); UDP header 1234 -> 53
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&[
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ]);
        f.extend_from_slice(&[0x04, 0xd2, 0, 53, 0, 8, 0, 0]);
        let mut filter = Filter::new("udp port 53", LinkType::ETHERNET).unwrap();
        assert!(filter.matches(LinkType::ETHERNET, &f));
        let mut tcp = Filter::new("tcp", LinkType::ETHERNET).unwrap();
        assert!(!tcp.matches(LinkType::ETHERNET, &f));
    }

    #[test]
    fn test_display_filters_are_told_from_tcpdump_syntax() {
        for display in [
            "tcp.port == 80",
            "ip.addr==10.0.0.1",
            "udp && dns",
            "http.request",
            "tcp.flags.syn eq 1",
        ] {
            assert!(looks_like_display_filter(display), "{display}");
            let e = Filter::new(display, LinkType::ETHERNET).err().unwrap();
            assert!(
                e.to_string()
                    .contains("this is a Wireshark display filter; -f takes tcpdump/BPF syntax, e.g. 'tcp port 80'"),
                "{e}"
            );
        }
        for bpf in [
            "tcp port 80",
            "host 10.0.0.1 and udp",
            "not arp",
            "ip6 and dst net 2001:db8::/32",
        ] {
            assert!(!looks_like_display_filter(bpf), "{bpf}");
        }
    }
}
