//! IGMP (RFC 1112, 2236, 3376; IP protocol 2): queries, reports and leaves of versions
//! 1 to 3, and an IGMPv3 report's group records with their sources. Read in place from the
//! IP payload; never panics.

use std::net::Ipv4Addr;

use super::{be16, be32};

/// An IGMP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Igmp<'a> {
    /// 1, 2 or 3, as tshark tells them apart (by type, length and max response time).
    pub version: u8,
    /// Type: 0x11 query, 0x12 v1 report, 0x16 v2 report, 0x17 leave, 0x22 v3 report.
    pub igmp_type: u8,
    /// The group address (0.0.0.0 in a general query); `None` when cut before it.
    pub group: Option<Ipv4Addr>,
    /// The message is shorter than its version's fixed part.
    pub short: bool,
    /// The bytes of the message.
    pub bytes: &'a [u8],
}

/// One group record of an IGMPv3 report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRecord<'a> {
    /// Record type: 1 MODE_IS_INCLUDE, 2 MODE_IS_EXCLUDE, 3 CHANGE_TO_INCLUDE,
    /// 4 CHANGE_TO_EXCLUDE, 5 ALLOW_NEW_SOURCES, 6 BLOCK_OLD_SOURCES.
    pub record_type: u8,
    /// The multicast group.
    pub group: Ipv4Addr,
    /// The source addresses, 4 bytes each.
    pub sources: &'a [u8],
}

/// Reads an IGMP message, `None` for an empty payload or a type that is not one of the
/// five IGMP messages (DVMRP, mtrace, ... share the protocol number).
pub fn parse(payload: &[u8]) -> Option<Igmp<'_>> {
    let igmp_type = *payload.first()?;
    let version = match igmp_type {
        0x11 if payload.len() >= 12 => 3,
        0x11 if payload.get(1) == Some(&0) => 1,
        0x11 => 2,
        0x12 => 1,
        0x16 | 0x17 => 2,
        0x22 => 3,
        _ => return None,
    };
    let group = be32(payload, 4).map(Ipv4Addr::from);
    Some(Igmp {
        version,
        igmp_type,
        group: if igmp_type == 0x22 { None } else { group },
        short: payload.len() < 8,
        bytes: payload,
    })
}

impl<'a> Igmp<'a> {
    /// The sources of a v3 query (`None` for other messages).
    pub fn query_sources(&self) -> Option<&'a [u8]> {
        if self.version != 3 || self.igmp_type != 0x11 {
            return None;
        }
        let n = usize::from(be16(self.bytes, 10)?);
        self.bytes
            .get(12..12 + 4 * n)
            .or_else(|| self.bytes.get(12..))
    }

    /// The group records of a v3 report, in order; a record cut short ends them.
    pub fn records(&self) -> impl Iterator<Item = GroupRecord<'a>> + 'a {
        let count = if self.igmp_type == 0x22 {
            be16(self.bytes, 6).unwrap_or(0)
        } else {
            0
        };
        let mut rest = self.bytes.get(8..).unwrap_or_default();
        (0..count).map_while(move |_| {
            let record_type = *rest.first()?;
            let aux = usize::from(*rest.get(1)?) * 4;
            let n = usize::from(be16(rest, 2)?);
            let group = Ipv4Addr::from(be32(rest, 4)?);
            let sources = rest.get(8..8 + 4 * n)?;
            rest = rest.get(8 + 4 * n + aux..).unwrap_or_default();
            Some(GroupRecord {
                record_type,
                group,
                sources,
            })
        })
    }
}

/// The addresses in a list of sources.
pub fn sources(bytes: &[u8]) -> impl Iterator<Item = Ipv4Addr> + '_ {
    bytes
        .chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok().map(Ipv4Addr::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_versions_and_records() {
        assert_eq!(
            parse(&[0x11, 100, 0, 0, 0, 0, 0, 0]).map(|i| i.version),
            Some(2)
        );
        assert_eq!(
            parse(&[0x11, 0, 0, 0, 0, 0, 0, 0]).map(|i| i.version),
            Some(1)
        );
        let report = [
            0x22, 0, 0, 0, 0, 0, 0, 1, // v3 report, 1 record
            4, 0, 0, 0, 239, 255, 255, 250, // CHANGE_TO_EXCLUDE, no source, 239.255.255.250
        ];
        let r = parse(&report).expect("report");
        let recs: Vec<_> = r.records().collect();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].group, Ipv4Addr::new(239, 255, 255, 250));
        for n in 0..=report.len() {
            if let Some(i) = parse(report.get(..n).unwrap_or(&[])) {
                i.records().for_each(drop);
            }
        }
        assert!(parse(&[0x13, 0, 0, 0]).is_none());
    }
}
