//! The application writers through the whole explainer: datagrams built byte by byte
//! (raw IPv4, LINKTYPE 228), decoded, tracked and explained as `wirelab read` does.

use crate::decode::app::dhcp::tests::discover;
use crate::decode::app::dns::tests::{ANSWER_A, QUERY_A};
use crate::explain::{Explainer, Note, Options};
use crate::source::{Frame, Timestamp};
use crate::track::{FrameMeta, Tracker};

/// IPv4 + UDP from `src:sport` to `dst:dport` holding `payload`.
fn datagram(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let udp_len = u16::try_from(8 + payload.len()).unwrap_or(u16::MAX);
    let total = udp_len.saturating_add(20);
    let mut b = vec![0x45, 0]; // version 4, IHL 5, DSCP/ECN 0
    b.extend_from_slice(&total.to_be_bytes()); // total length
    b.extend_from_slice(&[0, 1, 0, 0, 64, 17, 0, 0]); // id 1, no fragment, TTL 64, UDP
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    b.extend_from_slice(&sport.to_be_bytes());
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&udp_len.to_be_bytes());
    b.extend_from_slice(&[0, 0]); // checksum (unchecked)
    b.extend_from_slice(payload);
    b
}

/// Explains `frames` (bytes, milliseconds since the first) in order; the notes and the
/// verdicts of the conversations.
fn explain(frames: &[(Vec<u8>, u32)]) -> (Vec<Note>, Vec<String>) {
    let mut tracker = Tracker::new();
    let mut explainer = Explainer::new(Options::default());
    let mut notes = Vec::new();
    for (i, (bytes, ms)) in frames.iter().enumerate() {
        let orig_len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        let number = i as u64 + 1;
        notes.push(explain_one(
            &mut tracker,
            &mut explainer,
            number,
            *ms,
            bytes,
            orig_len,
        ));
    }
    let verdicts = tracker
        .finish()
        .iter()
        .map(|c| explainer.verdict(c))
        .collect();
    (notes, verdicts)
}

/// Explains frame `number` (`data` captured of `orig_len` on the wire), `ms` after the first.
fn explain_one(
    tracker: &mut Tracker,
    explainer: &mut Explainer,
    number: u64,
    ms: u32,
    data: &[u8],
    orig_len: u32,
) -> Note {
    let frame = Frame {
        number,
        ts: Timestamp {
            secs: 1_700_000_000,
            nanos: ms * 1_000_000,
        },
        linktype: crate::source::LinkType(228),
        orig_len,
        data,
        comments: crate::source::Comments::NONE,
    };
    let packet = crate::decode::decode(&frame);
    let meta = FrameMeta {
        number: frame.number,
        ts: frame.ts,
        orig_len: frame.orig_len,
    };
    let facts = tracker.observe(meta, &packet);
    explainer.explain(&frame, &packet, &facts)
}

const CLIENT: [u8; 4] = [192, 168, 1, 20];
const RESOLVER: [u8; 4] = [192, 168, 1, 1];

#[test]
fn test_dns_query_then_answer_paired_with_time() {
    let (notes, verdicts) = explain(&[
        (datagram(CLIENT, 40000, RESOLVER, 53, &QUERY_A), 0),
        (datagram(RESOLVER, 53, CLIENT, 40000, &ANSWER_A), 8),
    ]);
    assert_eq!(notes[0].protocol, "DNS");
    assert_eq!(notes[0].info, "Standard query 0x1234 A example.com");
    assert_eq!(
        notes[0].text,
        "DNS query: asks for the IPv4 address (A) of example.com"
    );
    assert_eq!(
        notes[1].info,
        "Standard query response 0x1234 A example.com A 93.184.216.34"
    );
    assert_eq!(
        notes[1].text,
        "DNS answer to frame 1 after 8.0 ms: example.com is 93.184.216.34 (TTL 300 s)"
    );
    assert_eq!(verdicts, ["DNS: 1 query, 1 answer for example.com"]);
}

/// Issue 14: DNS bytes were dumped as escaped text and judged "not the uppercase of the
/// request", as if the lab's server had answered.
#[test]
fn r14_dns_is_not_judged_as_the_uppercase_lab() {
    let (notes, verdicts) = explain(&[
        (datagram(CLIENT, 40000, RESOLVER, 53, &QUERY_A), 0),
        (datagram(RESOLVER, 53, CLIENT, 40000, &ANSWER_A), 8),
    ]);
    for n in &notes {
        assert!(!n.text.contains("uppercase"), "{}", n.text);
        assert!(!n.text.contains("\\x"), "{}", n.text);
    }
    assert!(!verdicts[0].contains("uppercase"), "{}", verdicts[0]);
}

#[test]
fn test_lab_ports_keep_the_udp_words() {
    let (notes, _) = explain(&[(datagram(CLIENT, 40000, RESOLVER, 23457, b"hello"), 0)]);
    assert_eq!(notes[0].protocol, "UDP");
    assert_eq!(notes[0].info, "40000 → 23457 Len=5");
    assert!(
        notes[0].text.starts_with("request \"hello\""),
        "{}",
        notes[0].text
    );
}

#[test]
fn test_dhcp_steps_named_in_sequence() {
    let disc = discover();
    let mut offer = disc.clone();
    offer[0] = 2; // BOOTREPLY
    offer[16..20].copy_from_slice(&[192, 168, 1, 10]); // yiaddr
    offer[242] = 2; // option 53: Offer
    let mut request = disc.clone();
    request[242] = 3;
    let mut ack = offer.clone();
    ack[242] = 5;
    let any = [0, 0, 0, 0];
    let all = [255, 255, 255, 255];
    let (notes, _) = explain(&[
        (datagram(any, 68, all, 67, &disc), 0),
        (datagram(RESOLVER, 67, all, 68, &offer), 2),
        (datagram(any, 68, all, 67, &request), 3),
        (datagram(RESOLVER, 67, all, 68, &ack), 5),
    ]);
    let infos: Vec<&str> = notes.iter().map(|n| n.info.as_str()).collect();
    assert_eq!(
        infos,
        [
            "DHCP Discover - Transaction ID 0x48e4c3da",
            "DHCP Offer    - Transaction ID 0x48e4c3da",
            "DHCP Request  - Transaction ID 0x48e4c3da",
            "DHCP ACK      - Transaction ID 0x48e4c3da",
        ]
    );
    for (n, step) in notes
        .iter()
        .zip(["step 1 of 4", "step 2 of 4", "step 3 of 4", "step 4 of 4"])
    {
        assert!(n.text.contains(step), "{}", n.text);
    }
    assert!(
        notes[1].text.contains("offers 192.168.1.10"),
        "{}",
        notes[1].text
    );
    assert!(
        notes[3].text.ends_with("answers frame 3"),
        "{}",
        notes[3].text
    );
}

#[test]
fn test_cut_dns_answer_says_packet_size_limited() {
    let whole = datagram(RESOLVER, 53, CLIENT, 40000, &ANSWER_A);
    let cut = whole.get(..whole.len() - 2).unwrap_or(&[]);
    let orig_len = u32::try_from(whole.len()).unwrap_or(0);
    let mut explainer = Explainer::new(Options::default());
    let note = explain_one(&mut Tracker::new(), &mut explainer, 1, 0, cut, orig_len);
    assert_eq!(
        note.info,
        "Standard query response 0x1234 A example.com[Packet size limited during capture]"
    );
}
