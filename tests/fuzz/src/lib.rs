//! The fuzz harnesses, shared by the fuzz targets in `fuzz_targets/`: decoding arbitrary
//! bytes under a chosen link type (with and without field spans, and explaining them:
//! the application protocols' Protocol, Info and note), and reading arbitrary
//! bytes as a capture file through the whole pipeline. Must not panic on any input; a panic is a bug in wirelab.

use std::io;
use std::path::PathBuf;

use clap::Parser;
use wirelab::app::{Pipeline, Selection};
use wirelab::cli::{Cli, Command};
use wirelab::source::{FileSource, Frame, Timestamp};

/// The link types the first input byte picks from: every one wirelab decodes, plus 107
/// (Frame Relay) and 0xFFFF_FFFF, which it does not.
pub const LINKTYPES: [u32; 18] = [
    0,
    1,
    9,
    12,
    14,
    50,
    101,
    104,
    105,
    108,
    113,
    127,
    228,
    229,
    239,
    276,
    107,
    u32::MAX,
];

/// The application ports the `app` target's first byte picks from, and whether over TCP:
/// DNS over UDP and over TCP (with its length prefix), mDNS, LLMNR, NBNS, and DHCP to
/// the server and to the client.
pub const APP_PORTS: [(u16, bool); 7] = [
    (53, false),
    (53, true),
    (5353, false),
    (5355, false),
    (137, false),
    (67, false),
    (68, false),
];

/// The pick of LINKTYPE_RAW (101) in [`LINKTYPES`].
const RAW_PICK: u8 = 6;
const _: () = assert!(LINKTYPES[RAW_PICK as usize] == 101);

/// Runs `data[1..]` as the UDP (or TCP) payload on the port `data[0]` picks from
/// [`APP_PORTS`], in a raw IPv4 packet with a correct header checksum, through [`decode`]:
/// the DNS walker and the DHCP reader (with the Info, the note and the detail view's
/// fields) are reached without the fuzzer first having to find the link, IP and
/// transport headers.
pub fn app(data: &[u8]) {
    let Some((&pick, payload)) = data.split_first() else {
        return;
    };
    let (port, tcp) = APP_PORTS
        .get(usize::from(pick) % APP_PORTS.len())
        .copied()
        .unwrap_or((53, false));
    let l4_len = if tcp { 20 } else { 8 };
    let Ok(total) = u16::try_from(20 + l4_len + payload.len()) else {
        return;
    };
    let [t0, t1] = total.to_be_bytes();
    let protocol = if tcp { 6 } else { 17 };
    let mut ip = [
        0x45, 0, t0, t1, 0, 1, 0x40, 0, 64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let sum = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum::<u32>();
    let folded = (sum & 0xffff) + (sum >> 16);
    let [c0, c1] = (!((folded & 0xffff) + (folded >> 16)) as u16).to_be_bytes();
    ip[10] = c0;
    ip[11] = c1;
    // A client's port on the other side (DHCP: 68 to 67 and back).
    let src = match port {
        67 => 68,
        68 => 67,
        p if tcp => p.wrapping_add(40000),
        p => p,
    };
    let mut frame = Vec::with_capacity(1 + usize::from(total));
    frame.push(RAW_PICK);
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&src.to_be_bytes());
    frame.extend_from_slice(&port.to_be_bytes());
    if tcp {
        // seq 1, ack 1, header of 5 words, PSH+ACK, a window, no checksum.
        frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        frame.extend_from_slice(&(total - 20).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
    }
    frame.extend_from_slice(payload);
    decode(&frame);
}

/// Decodes `data[1..]` as one frame of the link type picked by `data[0]`.
pub fn decode(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let linktype = LINKTYPES
        .get(usize::from(pick) % LINKTYPES.len())
        .copied()
        .unwrap_or(1);
    // orig_len from the length, or larger when the high bit of the pick says so (a cut frame).
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    let orig_len = if pick & 0x80 != 0 {
        len.saturating_add(u32::from(pick))
    } else {
        len
    };
    let frame = Frame {
        number: 1,
        ts: Timestamp { secs: 0, nanos: 0 },
        linktype: wirelab::source::LinkType(linktype),
        orig_len,
        data: bytes,
        comments: wirelab::source::Comments::NONE,
    };
    let packet = wirelab::decode::decode(&frame);
    // The web's dissectors (HTTP, TLS, SSH, QUIC): the frame twice through one dissector,
    // so that the second meets the state the first left (a PDU in progress).
    let mut web = wirelab::decode::app::web::WebDissector::new();
    let _ = web.dissect(1, &packet);
    let _ = web.dissect(2, &packet);
    // Touch the accessors the later stages use.
    let _ = (
        packet.src_ip(),
        packet.dst_ip(),
        packet.ports(),
        packet.ip_protocol(),
    );
    let _ = (
        packet.is_ip_fragment(),
        packet.is_truncated(),
        packet.declared_payload_len(),
    );
    let _ = format!("{packet:?}");
    // The words: the application protocols' parsers (DNS, NBNS, DHCP, DHCPv6, NTP,
    // SSDP), neighbour discovery and IGMP run where the Protocol, Info and note are written.
    let mut tracker = wirelab::track::Tracker::new();
    let meta = wirelab::track::FrameMeta {
        number: frame.number,
        ts: frame.ts,
        orig_len: frame.orig_len,
    };
    let facts = tracker.observe(meta, &packet);
    let mut explainer = wirelab::explain::Explainer::default();
    let _ = explainer.explain(&frame, &packet, &facts);
    explainer.observe(&frame, &packet, &facts);
    // The detail view's decode, which records the span of every field.
    let (_, layers) = wirelab::decode::decode_spans(&frame, None);
    let _ = format!("{layers:?}");
}

/// The file the read target writes its input to (one per process).
fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("wirelab-fuzz-{}.cap", std::process::id()))
}

/// Reads `data` as a capture file the way `wirelab read` does, in both output formats,
/// writing into `io::sink()`.
pub fn read_file(data: &[u8]) {
    let path = scratch();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    for format in ["timeline", "jsonl"] {
        run_pipeline(&path, format);
    }
    let _ = std::fs::remove_file(&path);
}

/// One `wirelab read --format FORMAT PATH` into a sink; true when the file read to its end.
pub fn run_pipeline(path: &std::path::Path, format: &str) -> bool {
    let Some(p) = path.to_str() else { return false };
    let Ok(cli) =
        Cli::try_parse_from(["wirelab", "--color", "never", "read", "--format", format, p])
    else {
        return false;
    };
    let Command::Read(args) = cli.command else {
        return false;
    };
    let Ok(mut source) = FileSource::open(&args.file) else {
        return false;
    };
    let selection = Selection::everything();
    let Ok(config) = wirelab::app::ViewConfig::new(&args.view, false) else {
        return false;
    };
    let mut pipeline = Pipeline::new(&config, selection, Box::new(io::sink()));
    let mut clean = true;
    loop {
        match source.next_frame() {
            Ok(Some(frame)) => {
                if pipeline.frame(&frame).is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(_) => {
                clean = false;
                break;
            }
        }
    }
    pipeline.finish().is_ok() && clean
}
