//! The TCP, UDP, ICMP and ICMPv6 checksums (RFC 1071's one's-complement sum over the
//! segment and, but for ICMP, the IP pseudo-header), verified once per packet into
//! [`ChecksumStatus`]. Tells a wrong checksum from one the sender left to its network
//! card (offload: the field holds only the pseudo-header's sum, as Linux leaves it on
//! loopback and veth). Reads only the bytes it is given; never panics.

use super::{ChecksumStatus, Net, Packet};

/// The one's-complement sum of `data` as 16-bit big-endian words (an odd last byte is
/// the high half of a word), not folded.
///
/// The words are added in the machine's own byte order and the folded sum swapped after
/// (the sum does not depend on byte order, RFC 1071 section 2 (B)), 32 bits at a time into
/// four 64-bit sums (2^32 - 1 is a multiple of 2^16 - 1, so the fold is the same): no
/// carry to add back until 2^32 words (a record is at most 2^18 bytes), and four
/// independent adds the CPU runs side by side, where a carry chain runs one at a time.
fn sum(data: &[u8]) -> u64 {
    let (words, rest) = data.as_chunks::<4>();
    let (quads, last) = words.as_chunks::<4>();
    let mut lanes = [0u64; 4];
    for quad in quads {
        for (lane, w) in lanes.iter_mut().zip(quad) {
            *lane += u64::from(u32::from_ne_bytes(*w));
        }
    }
    let mut native: u64 = lanes.iter().sum();
    for w in last {
        native += u64::from(u32::from_ne_bytes(*w));
    }
    let mut acc = u64::from(if cfg!(target_endian = "little") {
        fold(native).swap_bytes()
    } else {
        fold(native)
    });
    match *rest {
        [a, b, c] => acc += u64::from(u32::from_be_bytes([a, b, c, 0])),
        [a, b] => acc += u64::from(u16::from_be_bytes([a, b])),
        [a] => acc += u64::from(a) << 8,
        _ => {}
    }
    acc
}

/// Folds a sum to 16 bits, end-around carry included.
fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    // At most 0xffff after the loop.
    u16::try_from(acc).unwrap_or(u16::MAX)
}

/// The pseudo-header's sum (addresses, protocol, upper-layer length), or `None` when it
/// cannot be known here: no IP header, or an IPv6 routing header (whose final
/// destination the pseudo-header takes).
fn pseudo(net: &Net, protocol: u8, len: usize) -> Option<u64> {
    let len = u64::try_from(len).ok()?;
    let addresses = match net {
        Net::Ipv4(h) => {
            let dst = h.route_dst.unwrap_or(h.dst);
            sum(&h.src.octets()) + sum(&dst.octets())
        }
        Net::Ipv6(h) if !h.extensions.contains(&43) => sum(&h.src.octets()) + sum(&h.dst.octets()),
        _ => return None,
    };
    Some(addresses + u64::from(protocol) + len)
}

/// The status of the checksum `field` of a TCP (6), UDP (17), ICMP (1) or ICMPv6 (58)
/// header whose segment (header and data, as the IP header declares them: `reported`
/// bytes) starts `data`. Unverified when the segment was not captured whole, or is an IP
/// fragment not reassembled (its checksum covers the whole datagram), as Zeek checks
/// only what it has whole.
pub(crate) fn status(
    packet: &Packet<'_>,
    protocol: u8,
    data: &[u8],
    reported: usize,
    field: u16,
) -> ChecksumStatus {
    // Under a `Decoder`, a fragment's transport is decoded only from the whole datagram.
    if packet.is_ip_fragment() && packet.fragment.is_none() {
        return ChecksumStatus::Unverified;
    }
    let Some(segment) = data.get(..reported) else {
        return ChecksumStatus::Unverified;
    };
    let v4 = matches!(packet.net, Net::Ipv4(_));
    if protocol == 17 && field == 0 && v4 {
        // RFC 768: no checksum was computed (IPv6 forbids it: there 0 is wrong).
        return ChecksumStatus::Absent;
    }
    let pseudo = match protocol {
        1 => 0,
        _ => match pseudo(&packet.net, protocol, reported) {
            Some(p) => p,
            None => return ChecksumStatus::Unverified,
        },
    };
    if fold(pseudo + sum(segment)) == 0xffff {
        ChecksumStatus::Good
    } else if matches!(protocol, 6 | 17) && field == fold(pseudo) {
        ChecksumStatus::Partial
    } else {
        ChecksumStatus::Bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, tests_support::frame_of};

    /// Raw IPv4 (link type 101), 127.0.0.1 → 127.0.0.1, UDP 40000 → 9 carrying "hi",
    /// with UDP checksum `ck`, cut to its first `keep` bytes.
    fn datagram(ck: u16, keep: usize) -> ChecksumStatus {
        let mut d = vec![
            0x45, 0x00, 0x00, 0x1e, // IPv4, header 20 bytes, total 30
            0x00, 0x00, 0x40, 0x00, // id 0, DF
            0x40, 0x11, 0x3c, 0xcd, // TTL 64, UDP, header checksum
            127, 0, 0, 1, 127, 0, 0, 1, // addresses
            0x9c, 0x40, 0x00, 0x09, // ports 40000, 9
            0x00, 0x0a, 0x00, 0x00, // length 10, checksum (below)
            b'h', b'i',
        ];
        if let Some(field) = d.get_mut(26..28) {
            field.copy_from_slice(&ck.to_be_bytes());
        }
        d.truncate(keep);
        let mut frame = frame_of(101, &d);
        frame.orig_len = 30;
        decode(&frame).checksum
    }

    #[test]
    fn test_sum_odd_length_and_fold() {
        // RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(
            fold(sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])),
            0xddf2
        );
        assert_eq!(fold(sum(&[0x01])), 0x0100);
        assert_eq!(fold(sum(&[0x01, 0x02, 0x03])), 0x0402);
    }

    #[test]
    fn test_sum_in_native_order_folds_as_big_endian_words() {
        // Every length 0..600 (each tail), bytes that carry often, against 16-bit
        // big-endian words added one by one.
        let data: Vec<u8> = (0u32..600).map(|i| (i * 151 + 0xe7) as u8 | 0x80).collect();
        for len in 0..data.len() {
            let bytes = data.get(..len).unwrap_or_default();
            let mut words = bytes.chunks_exact(2);
            let mut by_word: u64 = words
                .by_ref()
                .map(|w| u64::from(u16::from_be_bytes([w[0], w[1]])))
                .sum();
            if let [last] = words.remainder() {
                by_word += u64::from(*last) << 8;
            }
            assert_eq!(fold(sum(bytes)), fold(by_word), "length {len}");
        }
        assert_eq!(fold(sum(&[0; 64])), 0);
    }

    #[test]
    fn test_udp_good_partial_bad_absent() {
        // 0xfd24 is right; 0xfe1d the pseudo-header's sum alone (an offloading sender's).
        assert_eq!(datagram(0xfd24, 30), ChecksumStatus::Good);
        assert_eq!(datagram(0xfe1d, 30), ChecksumStatus::Partial);
        assert_eq!(datagram(0xfd25, 30), ChecksumStatus::Bad);
        assert_eq!(datagram(0, 30), ChecksumStatus::Absent);
    }

    #[test]
    fn test_cut_datagram_unverified() {
        assert_eq!(datagram(0xfd24, 29), ChecksumStatus::Unverified);
    }

    #[test]
    fn test_icmp_has_no_pseudo_header_nor_partial() {
        let packet = Packet::default();
        // Echo request, id 1 seq 1: checksum 0xf7fd.
        let echo = [8, 0, 0xf7, 0xfd, 0, 1, 0, 1];
        assert_eq!(status(&packet, 1, &echo, 8, 0xf7fd), ChecksumStatus::Good);
        let bad = [8, 0, 0xf7, 0xfc, 0, 1, 0, 1];
        assert_eq!(status(&packet, 1, &bad, 8, 0xf7fc), ChecksumStatus::Bad);
    }
}
