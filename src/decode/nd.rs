//! ICMPv6 neighbour discovery (RFC 4861): the target address of a neighbour solicitation
//! or advertisement, the advertisement's flags, and the link-layer address options (the
//! MAC a host gives for itself or for the target). Read from an ICMPv6 message's body,
//! in place; never panics.

use std::net::Ipv6Addr;

use super::Icmp;

/// What a neighbour discovery message says about addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nd<'a> {
    /// The ICMPv6 type: 133 router solicitation, 134 router advertisement, 135 neighbour
    /// solicitation, 136 neighbour advertisement, 137 redirect.
    pub icmp_type: u8,
    /// The target address (135, 136, 137).
    pub target: Option<Ipv6Addr>,
    /// A neighbour advertisement's flags: 0x80 router, 0x40 solicited, 0x20 override.
    pub flags: u8,
    /// The source link-layer address option (type 1): the sender's MAC.
    pub source_mac: Option<&'a [u8]>,
    /// The target link-layer address option (type 2): the target's MAC.
    pub target_mac: Option<&'a [u8]>,
    /// A router advertisement's prefix information options: the first prefix and its length.
    pub prefix: Option<(Ipv6Addr, u8)>,
}

/// Bytes before the options, after the 8-byte ICMPv6 header.
fn fixed_len(icmp_type: u8) -> Option<usize> {
    Some(match icmp_type {
        133 => 0,
        134 => 8,
        135 | 136 => 16,
        137 => 32,
        _ => return None,
    })
}

fn addr(b: &[u8]) -> Option<Ipv6Addr> {
    let a: [u8; 16] = b.get(..16)?.try_into().ok()?;
    Some(Ipv6Addr::from(a))
}

/// Reads the neighbour discovery fields of an ICMPv6 message whose body (the bytes
/// after its 8-byte header) is `body`; `None` for other types. Options that run past
/// the bytes, or have length 0, end the walk.
pub fn parse<'a>(icmp: &Icmp, body: &'a [u8]) -> Option<Nd<'a>> {
    let fixed = fixed_len(icmp.icmp_type)?;
    let mut nd = Nd {
        icmp_type: icmp.icmp_type,
        target: matches!(icmp.icmp_type, 135..=137)
            .then(|| addr(body))
            .flatten(),
        flags: if icmp.icmp_type == 136 {
            icmp.rest_of_header[0]
        } else {
            0
        },
        source_mac: None,
        target_mac: None,
        prefix: None,
    };
    let mut opts = body.get(fixed..).unwrap_or_default();
    while let [kind, len, ..] = *opts {
        let n = usize::from(len) * 8;
        let Some(opt) = opts.get(..n).filter(|_| n > 0) else {
            break;
        };
        let value = opt.get(2..).unwrap_or_default();
        match kind {
            1 => nd.source_mac = nd.source_mac.or(Some(value)),
            2 => nd.target_mac = nd.target_mac.or(Some(value)),
            3 if nd.prefix.is_none() => {
                if let (Some(&plen), Some(p)) = (opt.get(2), opt.get(16..).and_then(addr)) {
                    nd.prefix = Some((p, plen));
                }
            }
            _ => {}
        }
        opts = opts.get(n..).unwrap_or_default();
    }
    Some(nd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icmp(t: u8, flags: u8) -> Icmp {
        Icmp {
            icmp_type: t,
            code: 0,
            checksum: 0,
            rest_of_header: [flags, 0, 0, 0],
            echo: None,
            quoted: None,
        }
    }

    #[test]
    fn test_solicitation_with_source_mac() {
        let mut body = vec![0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]; // target fe80::2
        body.extend_from_slice(&[1, 1, 2, 0, 0, 0xaa, 0xbb, 0xcc]); // source link-layer address
        let nd = parse(&icmp(135, 0), &body).expect("ND");
        assert_eq!(nd.target, Some("fe80::2".parse().expect("address")));
        assert_eq!(nd.source_mac, Some(&[2, 0, 0, 0xaa, 0xbb, 0xcc][..]));
        for n in 0..=body.len() {
            let _ = parse(&icmp(135, 0), body.get(..n).unwrap_or(&[]));
        }
    }

    #[test]
    fn test_zero_length_option_ends_the_walk() {
        let body = [0u8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]; // RA fixed part, option of length 0
        let nd = parse(&icmp(134, 0), &body).expect("ND");
        assert_eq!(nd.source_mac, None);
    }
}
