//! BPF filters (tcpdump syntax) applied frame by frame, so that frame numbers stay
//! those of the file, as Wireshark keeps them under a display filter.

use pcap::{BpfProgram, Capture, Linktype};

use crate::error::FilterError;

/// A compiled filter, with one program per link type met.
pub struct Filter {
    expr: String,
    programs: Vec<(u32, Option<BpfProgram>)>,
}

impl Filter {
    /// Compiles `expr` for `linktype`; errors when libpcap rejects it.
    pub fn new(expr: &str, linktype: u32) -> Result<Self, FilterError> {
        let program = compile(expr, linktype)?;
        Ok(Self {
            expr: expr.to_string(),
            programs: vec![(linktype, Some(program))],
        })
    }

    /// True when the frame's bytes match. A link type the expression cannot be
    /// compiled for never matches (as tcpdump cannot apply it there either).
    pub fn matches(&mut self, linktype: u32, data: &[u8]) -> bool {
        if let Some((_, p)) = self.programs.iter().find(|(lt, _)| *lt == linktype) {
            return p.as_ref().is_some_and(|p| p.filter(data));
        }
        let p = compile(&self.expr, linktype).ok();
        let hit = p.as_ref().is_some_and(|p| p.filter(data));
        self.programs.push((linktype, p));
        hit
    }
}

fn compile(expr: &str, linktype: u32) -> Result<BpfProgram, FilterError> {
    let err = |reason: String| FilterError {
        expr: expr.to_string(),
        reason,
    };
    let lt = i32::try_from(linktype).map_err(|_| err(format!("unknown link type {linktype}")))?;
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
        assert!(Filter::new("tcp port", 1).is_err());
        assert!(Filter::new("nonsense words here", 1).is_err());
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
        let mut filter = Filter::new("udp port 53", 1).unwrap();
        assert!(filter.matches(1, &f));
        let mut tcp = Filter::new("tcp", 1).unwrap();
        assert!(!tcp.matches(1, &f));
    }
}
