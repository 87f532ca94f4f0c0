//! Zeek's conn_state and history on constructed captures, and `--format conn-log`
//! read back the way `zeek-cut` reads a Zeek log.
//!
//! Each capture is written byte by byte here (etherparse builds the packets, with
//! correct checksums; the pcap headers are written by hand). The expected values come
//! from Zeek's documented rules (`base/protocols/conn/main.zeek`) and its analyzers'
//! source (the TCP endpoint state machine, `update_history`, the UDP and ICMP analyzers),
//! worked out by hand for each case in the comment above it.

use std::net::Ipv4Addr;

use etherparse::PacketBuilder;

use super::util::{blessing, root, run, wirelab};

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [10, 0, 0, 2];
const MAC_C: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_S: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// A classic pcap (Ethernet, microseconds) built frame by frame, 1 ms apart.
struct Capture {
    bytes: Vec<u8>,
    frames: u32,
    /// Where the last frame's bytes start in `bytes`.
    last: usize,
}

impl Capture {
    fn new() -> Self {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic, microseconds
        bytes.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes()); // this zone
        bytes.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        bytes.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
        bytes.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
        Capture {
            bytes,
            frames: 0,
            last: 0,
        }
    }

    fn push(&mut self, frame: &[u8]) {
        let t = 1_700_000_000u64 * 1_000_000 + u64::from(self.frames) * 1000;
        let len = u32::try_from(frame.len()).unwrap_or(0);
        self.bytes
            .extend_from_slice(&u32::try_from(t / 1_000_000).unwrap_or(0).to_le_bytes());
        self.bytes
            .extend_from_slice(&u32::try_from(t % 1_000_000).unwrap_or(0).to_le_bytes());
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.last = self.bytes.len();
        self.bytes.extend_from_slice(frame);
        self.frames += 1;
    }

    /// Makes the last frame's TCP, UDP or ICMP checksum wrong (one byte of it changed:
    /// neither right nor the pseudo-header's partial sum an offloading sender leaves).
    fn bad_checksum(&mut self) -> &mut Self {
        // Ethernet (14 bytes), an IPv4 header of 20; the protocol is at IP byte 9.
        let ip = self.last + 14;
        let at = match self.bytes.get(ip + 9) {
            Some(6) => ip + 20 + 16,
            Some(17) => ip + 20 + 6,
            Some(1) => ip + 20 + 2,
            other => panic!("no TCP, UDP or ICMP header: protocol {other:?}"),
        };
        if let Some(b) = self.bytes.get_mut(at + 1) {
            *b ^= 0x55;
        }
        self
    }

    /// A TCP segment with options; see [`Capture::tcp`].
    #[allow(clippy::too_many_arguments)]
    fn tcp_opts(
        &mut self,
        from_client: bool,
        ports: (u16, u16),
        flags: &str,
        seq: u32,
        ack: u32,
        options: &[u8],
        payload: &[u8],
    ) -> &mut Self {
        let (src, dst, sp, dp, sm, dm) = if from_client {
            (CLIENT, SERVER, ports.0, ports.1, MAC_C, MAC_S)
        } else {
            (SERVER, CLIENT, ports.1, ports.0, MAC_S, MAC_C)
        };
        let mut b = PacketBuilder::ethernet2(sm, dm)
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 1000);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('A') {
            b = b.ack(ack);
        }
        let b = b
            .options_raw(options)
            .unwrap_or_else(|e| panic!("options: {e}"));
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap_or(());
        self.push(&out);
        self
    }

    /// A TCP segment; `from_client`: 10.0.0.1:`cport` → 10.0.0.2:`sport`, else back.
    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        from_client: bool,
        ports: (u16, u16),
        flags: &str,
        seq: u32,
        ack: u32,
        window: u16,
        payload: &[u8],
    ) -> &mut Self {
        let (src, dst, sp, dp, sm, dm) = if from_client {
            (CLIENT, SERVER, ports.0, ports.1, MAC_C, MAC_S)
        } else {
            (SERVER, CLIENT, ports.1, ports.0, MAC_S, MAC_C)
        };
        let mut b = PacketBuilder::ethernet2(sm, dm)
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, window);
        for f in flags.chars() {
            b = match f {
                'S' => b.syn(),
                'F' => b.fin(),
                'R' => b.rst(),
                'P' => b.psh(),
                'A' => b.ack(ack),
                _ => b,
            };
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap_or(());
        self.push(&out);
        self
    }

    /// A UDP datagram between two endpoints.
    fn udp(&mut self, src: ([u8; 4], u16), dst: ([u8; 4], u16), payload: &[u8]) -> &mut Self {
        let mut out = Vec::new();
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ipv4(src.0, dst.0, 64)
            .udp(src.1, dst.1)
            .write(&mut out, payload)
            .unwrap_or(());
        self.push(&out);
        self
    }

    /// An ICMP echo request from the client to the server (`reply`: the server's
    /// reply), identifier 7, sequence 1, 56 bytes of data.
    fn echo(&mut self, reply: bool) -> &mut Self {
        let (src, dst) = if reply {
            (SERVER, CLIENT)
        } else {
            (CLIENT, SERVER)
        };
        let b = PacketBuilder::ethernet2(MAC_C, MAC_S).ipv4(src, dst, 64);
        let b = if reply {
            b.icmpv4_echo_reply(7, 1)
        } else {
            b.icmpv4_echo_request(7, 1)
        };
        let mut out = Vec::new();
        b.write(&mut out, &[0x61; 56]).unwrap_or(());
        self.push(&out);
        self
    }

    /// An ICMP port unreachable from `router` to the client, quoting the client's UDP
    /// datagram from port 40002 to the server's port 9 (its IP header, UDP header, `data`).
    fn port_unreachable(&mut self, router: [u8; 4], data: &[u8]) -> &mut Self {
        let mut quoted = Vec::new();
        PacketBuilder::ipv4(CLIENT, SERVER, 64)
            .udp(40002, 9)
            .write(&mut quoted, data)
            .unwrap_or(());
        let mut out = Vec::new();
        PacketBuilder::ethernet2(MAC_S, MAC_C)
            .ipv4(router, CLIENT, 64)
            .icmpv4_raw(3, 3, [0; 4])
            .write(&mut out, &quoted)
            .unwrap_or(());
        self.push(&out);
        self
    }

    /// A packet of IP protocol `protocol` from the client to the server.
    fn ip_protocol(&mut self, protocol: u8, payload: &[u8]) -> &mut Self {
        let mut out = Vec::new();
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ipv4(CLIENT, SERVER, 64)
            .write(&mut out, etherparse::IpNumber(protocol), payload)
            .unwrap_or(());
        self.push(&out);
        self
    }

    fn write(&self, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join(name);
        std::fs::write(&path, &self.bytes).unwrap_or_else(|e| panic!("write {name}: {e}"));
        (dir, path)
    }
}

/// A parsed Zeek log, read the way `zeek-cut` reads one: the `#separator` line
/// first, then `#fields` names the columns; `#` lines are not rows.
struct ZeekLog {
    headers: Vec<(String, String)>,
    fields: Vec<String>,
    types: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl ZeekLog {
    fn parse(text: &str) -> ZeekLog {
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let sep_spec = first
            .strip_prefix("#separator ")
            .unwrap_or_else(|| panic!("first line is not #separator: {first:?}"));
        let sep = match sep_spec {
            "\\x09" => '\t',
            other => panic!("unexpected separator {other:?}"),
        };
        let mut log = ZeekLog {
            headers: vec![("separator".into(), sep_spec.into())],
            fields: Vec::new(),
            types: Vec::new(),
            rows: Vec::new(),
        };
        for line in lines {
            if let Some(h) = line.strip_prefix('#') {
                let mut parts = h.split(sep);
                let key = parts.next().unwrap_or("").to_string();
                let rest: Vec<String> = parts.map(String::from).collect();
                match key.as_str() {
                    "fields" => log.fields = rest.clone(),
                    "types" => log.types = rest.clone(),
                    _ => {}
                }
                log.headers.push((key, rest.join("\t")));
            } else {
                log.rows.push(line.split(sep).map(String::from).collect());
            }
        }
        log
    }

    /// zeek-cut's selection: the named columns of every row.
    fn cut(&self, names: &[&str]) -> Vec<Vec<String>> {
        let at: Vec<usize> = names
            .iter()
            .map(|n| {
                self.fields
                    .iter()
                    .position(|f| f == n)
                    .unwrap_or_else(|| panic!("no field {n} in {:?}", self.fields))
            })
            .collect();
        self.rows
            .iter()
            .map(|r| {
                at.iter()
                    .map(|&i| r.get(i).cloned().unwrap_or_default())
                    .collect()
            })
            .collect()
    }
}

/// `wirelab read --format conn-log` on a capture, parsed.
fn conn_log(cap: &Capture, name: &str) -> ZeekLog {
    let (_dir, path) = cap.write(name);
    // To look at a case with other tools (Zeek, tshark): WIRELAB_KEEP_CASES=DIR keeps a copy.
    if let Some(keep) = std::env::var_os("WIRELAB_KEEP_CASES") {
        let _ = std::fs::copy(&path, std::path::Path::new(&keep).join(name));
    }
    let r = run(wirelab().args(["read", "--format", "conn-log"]).arg(&path));
    assert_eq!(r.code, Some(0), "{name}: {}", r.describe());
    ZeekLog::parse(&r.out())
}

/// (proto, conn_state, history) of every connection, in the log's order.
fn judged(log: &ZeekLog) -> Vec<(String, String, String)> {
    log.cut(&["proto", "conn_state", "history"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect()
}

fn one(proto: &str, state: &str, history: &str) -> Vec<(String, String, String)> {
    rows(&[(proto, state, history)])
}

/// (proto, conn_state, history) rows as [`judged`] gives them.
fn rows(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(p, s, h)| (p.to_string(), s.to_string(), h.to_string()))
        .collect()
}

const P: (u16, u16) = (40000, 8080);
const ISN_C: u32 = 1000;
const ISN_S: u32 = 5000;

/// The handshake, then 10 bytes from the client (relative 1..11): history `ShAD`.
fn opened_with_ten_bytes() -> Capture {
    let mut c = Capture::new();
    c.tcp(true, P, "S", ISN_C, 0, 1000, b"")
        .tcp(false, P, "SA", ISN_S, ISN_C + 1, 1000, b"")
        .tcp(true, P, "A", ISN_C + 1, ISN_S + 1, 1000, b"")
        .tcp(true, P, "PA", ISN_C + 1, ISN_S + 1, 1000, b"0123456789");
    c
}

/// Both FINs after the 10 bytes of [`opened_with_ten_bytes`] (the server sent
/// nothing), and the last ACK: `Ff`.
fn close_after_ten_bytes(c: &mut Capture) {
    c.tcp(true, P, "FA", ISN_C + 11, ISN_S + 1, 1000, b"")
        .tcp(false, P, "FA", ISN_S + 1, ISN_C + 12, 1000, b"")
        .tcp(true, P, "A", ISN_C + 12, ISN_S + 2, 1000, b"");
}

/// The handshake on `ports`, the client's 10 bytes with a bad checksum, their good copy
/// and the server's ACK of them: Zeek's `ShACDa`.
fn bad_then_good_data(c: &mut Capture, ports: (u16, u16)) {
    c.tcp(true, ports, "S", ISN_C, 0, 1000, b"")
        .tcp(false, ports, "SA", ISN_S, ISN_C + 1, 1000, b"")
        .tcp(true, ports, "A", ISN_C + 1, ISN_S + 1, 1000, b"")
        .tcp(true, ports, "PA", ISN_C + 1, ISN_S + 1, 1000, b"0123456789")
        .bad_checksum()
        .tcp(true, ports, "PA", ISN_C + 1, ISN_S + 1, 1000, b"0123456789")
        .tcp(false, ports, "A", ISN_S + 1, ISN_C + 11, 1000, b"");
}

/// The handshake seen from its second step: the SYN-ACK from port 8080 (a likely
/// server port) first. Zeek flips the roles at the first packet (`^`), the SYN-ACK is
/// the responder's `h`; the originator's ACK meets an established peer and makes it
/// established (no partial connection); both FINs: SF.
#[test]
fn zeek_handshake_seen_from_the_middle() {
    let mut c = Capture::new();
    c.tcp(false, P, "SA", ISN_S, ISN_C + 1, 1000, b"")
        .tcp(true, P, "A", ISN_C + 1, ISN_S + 1, 1000, b"")
        .tcp(true, P, "PA", ISN_C + 1, ISN_S + 1, 1000, b"hello")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 6, 1000, b"")
        .tcp(false, P, "PA", ISN_S + 1, ISN_C + 6, 1000, b"HELLO")
        .tcp(true, P, "FA", ISN_C + 6, ISN_S + 6, 1000, b"")
        .tcp(false, P, "FA", ISN_S + 6, ISN_C + 7, 1000, b"")
        .tcp(true, P, "A", ISN_C + 7, ISN_S + 7, 1000, b"");
    let log = conn_log(&c, "middle.pcap");
    assert_eq!(judged(&log), one("tcp", "SF", "^hADadFf"));
    assert_eq!(
        log.cut(&[
            "id.orig_h",
            "id.orig_p",
            "id.resp_p",
            "orig_bytes",
            "resp_bytes"
        ]),
        vec![vec!["10.0.0.1", "40000", "8080", "5", "5"]]
    );
}

/// Empty UDP datagrams both ways: Zeek writes `D` and `d` for them (it records every
/// datagram, whatever its length); both sides sent: SF; no payload bytes.
#[test]
fn zeek_empty_udp_writes_d() {
    let mut c = Capture::new();
    c.udp((CLIENT, 40001), (SERVER, 9999), b"")
        .udp((SERVER, 9999), (CLIENT, 40001), b"");
    let log = conn_log(&c, "empty-udp.pcap");
    assert_eq!(judged(&log), one("udp", "SF", "Dd"));
    assert_eq!(
        log.cut(&["orig_bytes", "resp_bytes", "orig_pkts", "orig_ip_bytes"]),
        vec![vec!["0", "0", "1", "28"]]
    );
}

/// A RST after both FINs: the RST comes from a closed endpoint whose peer is closed
/// too, so Zeek keeps both CLOSED (SF) while the history records the `R`.
#[test]
fn zeek_rst_after_both_fins_keeps_sf() {
    let mut c = Capture::new();
    c.tcp(true, P, "S", ISN_C, 0, 1000, b"")
        .tcp(false, P, "SA", ISN_S, ISN_C + 1, 1000, b"")
        .tcp(true, P, "A", ISN_C + 1, ISN_S + 1, 1000, b"")
        .tcp(true, P, "PA", ISN_C + 1, ISN_S + 1, 1000, b"abc")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 4, 1000, b"")
        .tcp(false, P, "PA", ISN_S + 1, ISN_C + 4, 1000, b"ABC")
        .tcp(true, P, "FA", ISN_C + 4, ISN_S + 4, 1000, b"")
        .tcp(false, P, "FA", ISN_S + 4, ISN_C + 5, 1000, b"")
        .tcp(true, P, "A", ISN_C + 5, ISN_S + 5, 1000, b"")
        .tcp(true, P, "R", ISN_C + 5, 0, 0, b"");
    assert_eq!(
        judged(&conn_log(&c, "rst-after-fins.pcap")),
        one("tcp", "SF", "ShADadFfR")
    );
}

/// The same payload sent twice: the second copy does not advance the sender's last
/// sequence number, so Zeek counts a retransmission (`T`, its first occurrence).
#[test]
fn zeek_retransmitted_payload_t() {
    let mut c = opened_with_ten_bytes();
    c.tcp(true, P, "PA", ISN_C + 1, ISN_S + 1, 1000, b"0123456789")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 1000, b"");
    close_after_ten_bytes(&mut c);
    assert_eq!(
        judged(&conn_log(&c, "rexmit.pcap")),
        one("tcp", "SF", "ShADTaFf")
    );
}

/// Ten bytes never captured, then acknowledged: with both endpoints established the
/// ACK reveals a content gap in the originator's data (`G`), 10 missed bytes; the
/// originator's size counts them (Zeek's size follows the acknowledged numbers).
#[test]
fn zeek_content_gap_g_and_missed_bytes() {
    let mut c = opened_with_ten_bytes();
    c
        // bytes 11..21 are missing from the capture
        .tcp(true, P, "PA", ISN_C + 21, ISN_S + 1, 1000, b"0123456789")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 31, 1000, b"")
        .tcp(true, P, "FA", ISN_C + 31, ISN_S + 1, 1000, b"")
        .tcp(false, P, "FA", ISN_S + 1, ISN_C + 32, 1000, b"")
        .tcp(true, P, "A", ISN_C + 32, ISN_S + 2, 1000, b"");
    let log = conn_log(&c, "gap.pcap");
    assert_eq!(judged(&log), one("tcp", "SF", "ShADaGFf"));
    assert_eq!(
        log.cut(&["missed_bytes", "orig_bytes", "resp_bytes"]),
        vec![vec!["10", "30", "0"]]
    );
}

/// The responder advertises a zero window (not with a RST, the originator not
/// closed): `w`, its first occurrence; the window update after it writes nothing.
#[test]
fn zeek_zero_window_w() {
    let mut c = opened_with_ten_bytes();
    c.tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 0, b"").tcp(
        false,
        P,
        "A",
        ISN_S + 1,
        ISN_C + 11,
        1000,
        b"",
    );
    close_after_ten_bytes(&mut c);
    assert_eq!(
        judged(&conn_log(&c, "zero-window.pcap")),
        one("tcp", "SF", "ShADawFf")
    );
}

/// DHCP. A DISCOVER from 0.0.0.0:68 to the broadcast address: 68 is no likely server
/// port (Zeek's DHCP script adds only 67), the first sender is the originator, `D`,
/// S0. The OFFER broadcast from 67: 67 is a server port but the destination is the
/// broadcast address, which Zeek never flips: its own S0 `D`. A unicast OFFER from
/// 67 to 68 seen first: flipped (`^`), the responder's `d`, then the client's REQUEST
/// on the same ports `D`: SF.
#[test]
fn zeek_dhcp_orientation() {
    let bcast = [255, 255, 255, 255];
    let yiaddr = [192, 168, 0, 10];
    let server = [192, 168, 0, 1];
    let mut c = Capture::new();
    c.udp(([0, 0, 0, 0], 68), (bcast, 67), &[1; 300])
        .udp((server, 67), (bcast, 68), &[2; 300])
        .udp((server, 67), (yiaddr, 68), &[2; 300])
        .udp((yiaddr, 68), (server, 67), &[1; 300]);
    let log = conn_log(&c, "dhcp.pcap");
    assert_eq!(
        judged(&log),
        rows(&[("udp", "S0", "D"), ("udp", "S0", "D"), ("udp", "SF", "^dD")])
    );
    assert_eq!(
        log.cut(&["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]),
        vec![
            vec!["0.0.0.0", "68", "255.255.255.255", "67"],
            vec!["192.168.0.1", "67", "255.255.255.255", "68"],
            vec!["192.168.0.10", "68", "192.168.0.1", "67"],
        ]
    );
}

/// ICMP: an echo request and its reply are one flow (Zeek's "ports": type 8 and its
/// counterpart 0), 56 payload bytes each way after the 8-byte header; a destination
/// unreachable is one-way (type 3, code 3). ICMP writes no history; its state is OTH.
#[test]
fn zeek_icmp_echo_and_unreachable() {
    let router = [10, 0, 0, 254];
    let mut c = Capture::new();
    c.echo(false).echo(true);
    // The unreachable quotes a UDP datagram's IP header and first 8 bytes.
    c.port_unreachable(router, b"");
    let log = conn_log(&c, "icmp.pcap");
    assert_eq!(
        log.cut(&[
            "proto",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "conn_state",
            "history",
            "orig_bytes",
            "resp_bytes"
        ]),
        vec![
            vec![
                "icmp", "10.0.0.1", "8", "10.0.0.2", "0", "OTH", "-", "56", "56"
            ],
            vec![
                "icmp",
                "10.0.0.254",
                "3",
                "10.0.0.1",
                "3",
                "OTH",
                "-",
                "-",
                "-"
            ],
        ]
    );
    // They are conversations in the other views too.
    let r = run(wirelab().args(["read"]).arg(c.write("icmp.pcap").1));
    assert!(r.out().contains("ICMP 0"), "{}", r.out());
}

/// An IP protocol wirelab does not decode (253, for experiments): Zeek 7 logs it as
/// `unknown_transport`, with ports 0 and state OTH.
#[test]
fn zeek_unknown_ip_protocol() {
    let mut c = Capture::new();
    c.ip_protocol(253, b"experiment")
        .ip_protocol(253, b"experiment");
    let log = conn_log(&c, "proto253.pcap");
    assert_eq!(
        log.cut(&[
            "proto",
            "id.orig_p",
            "id.resp_p",
            "conn_state",
            "orig_pkts",
            "resp_pkts"
        ]),
        vec![vec!["unknown_transport", "0", "0", "OTH", "2", "0"]]
    );
    let (_dir, path) = c.write("proto253.pcap");
    let r = run(wirelab().args(["read", "--format", "jsonl"]).arg(&path));
    assert!(
        r.out().contains(r#""type":"conversation""#) && r.out().contains("IP protocol 253"),
        "{}",
        r.out()
    );
}

/// A long connection: the same segment retransmitted 100 times, each answered by a
/// zero window. Zeek writes `T` and `w` at their 1st, 10th and 100th occurrence:
/// iteration 1 gives `T a w` (the responder's first pure ACK is `a`), 10 and 100 `T w`.
#[test]
fn zeek_long_connection_repeats_letters_logarithmically() {
    let mut c = opened_with_ten_bytes();
    for _ in 0..100 {
        c.tcp(true, P, "PA", ISN_C + 1, ISN_S + 1, 1000, b"0123456789")
            .tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 0, b"");
    }
    c.tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 1000, b"");
    close_after_ten_bytes(&mut c);
    assert_eq!(
        judged(&conn_log(&c, "long.pcap")),
        one("tcp", "SF", "ShADTawTwTwFf")
    );
}

/// `--format conn-log` under zeek-cut's conventions: the header lines in Zeek's order,
/// tab separators, one value per `#fields` name on every row, `#types` as Zeek's,
/// `-` for what is unset (a one-packet connection has no duration nor byte counts),
/// and `#close` last. Over every fixture, so that the test cannot pass on nothing.
#[test]
fn r15_conn_log_reads_back_under_zeek_cut_conventions() {
    let mut rows = 0;
    let mut unset = 0;
    for f in super::util::fixtures() {
        let r = run(wirelab()
            .args(["read", "--format", "conn-log"])
            .arg(f.path()));
        // A damaged file exits 2 after writing what it read: that must be a whole log too.
        assert!(
            matches!(r.code, Some(0 | 2)),
            "{}: {}",
            f.name,
            r.describe()
        );
        let text = r.out();
        let log = ZeekLog::parse(&text);
        let keys: Vec<&str> = log.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys.first().copied(),
            Some("separator"),
            "{}: {keys:?}",
            f.name
        );
        assert_eq!(
            keys.get(1..8),
            Some(
                &[
                    "set_separator",
                    "empty_field",
                    "unset_field",
                    "path",
                    "open",
                    "fields",
                    "types"
                ][..]
            ),
            "{}",
            f.name
        );
        assert_eq!(keys.last().copied(), Some("close"), "{}", f.name);
        assert!(
            text.ends_with('\n')
                && text
                    .lines()
                    .last()
                    .is_some_and(|l| l.starts_with("#close\t"))
        );
        assert_eq!(log.fields.len(), 18, "{}", f.name);
        assert_eq!(log.types.len(), 18, "{}", f.name);
        for row in &log.rows {
            assert_eq!(row.len(), log.fields.len(), "{}: {row:?}", f.name);
            for (value, ty) in row.iter().zip(&log.types) {
                assert!(!value.is_empty(), "{}: empty value in {row:?}", f.name);
                if value == "-" {
                    unset += 1;
                    continue;
                }
                let ok = match ty.as_str() {
                    "time" | "interval" => value.parse::<f64>().is_ok(),
                    "count" => value.parse::<u64>().is_ok(),
                    "port" => value.parse::<u16>().is_ok(),
                    "addr" => value.parse::<std::net::IpAddr>().is_ok(),
                    "enum" => ["tcp", "udp", "icmp", "unknown_transport"].contains(&value.as_str()),
                    _ => !value.contains('\t'),
                };
                assert!(ok, "{}: {value:?} is no {ty} in {row:?}", f.name);
            }
            rows += 1;
        }
    }
    assert!(rows > 50, "only {rows} connections over the fixtures");
    assert!(unset > 0, "no unset field written as -");
}

/// Zeek's `ts` is the first packet's time, in seconds with 6 decimals, and an IPv4
/// address prints as Zeek prints it.
#[test]
fn zeek_conn_log_ts_and_addresses() {
    let mut c = Capture::new();
    c.udp((CLIENT, 40001), (SERVER, 9999), b"x");
    let log = conn_log(&c, "one.pcap");
    let cut = log.cut(&["ts", "id.orig_h", "duration", "history"]);
    assert_eq!(cut, vec![vec!["1700000000.000000", "10.0.0.1", "-", "D"]]);
    assert!(Ipv4Addr::new(10, 0, 0, 1).to_string() == cut[0][1]);
}

/// `service` is Zeek's name of the application protocol the dissectors took: a DNS
/// query and its answer on port 53 are `dns`; a flow no dissector takes has none (`-`).
#[test]
fn zeek_service_from_the_dissectors() {
    let query: &[u8] = &[
        0x12, 0x34, 0x01, 0x00, // id, flags: standard query, recursion desired
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 1 question, no records
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // example.com
        0x00, 0x01, 0x00, 0x01, // type A, class IN
    ];
    let mut answer = query.to_vec();
    if let Some(flags) = answer.get_mut(2..4) {
        flags.copy_from_slice(&[0x81, 0x80]); // a response, no error
    }
    let mut c = Capture::new();
    c.udp((CLIENT, 40003), (SERVER, 53), query)
        .udp((SERVER, 53), (CLIENT, 40003), &answer)
        .udp((CLIENT, 40004), (SERVER, 9999), b"hello");
    let log = conn_log(&c, "dns.pcap");
    assert_eq!(
        log.cut(&["id.resp_p", "service", "conn_state", "history"]),
        vec![vec!["53", "dns", "SF", "Dd"], vec!["9999", "-", "S0", "D"]]
    );
}

/// The constructed TCP captures kept as fixtures (`fixtures/zeek_*.pcap`), so that the
/// differential test judges them against tshark at test time and the golden tests
/// cover every view: bad checksums, TCP Fast Open (tshark's `tfo_syn`, `tfo_ack`, `tfo_ignored`), a
/// hole answered by duplicate ACKs and window updates, ACKs of data never captured,
/// ports reused by a new SYN.
fn fixture_cases() -> Vec<(&'static str, Capture)> {
    let mut tfo = Capture::new();
    // The TCP Fast Open option: kind 34, length 10, an 8-byte cookie; two NOPs.
    let cookie = [34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1];
    // Data on a SYN with a cookie: acknowledged (tfo_ack), acknowledged only as a SYN
    // (tfo_ignored); data on a SYN without the option, acknowledged (tfo_ack too).
    for (i, opts, acked) in [
        (0u16, &cookie[..], 21u32),
        (1, &cookie[..], 1),
        (2, &[][..], 21),
    ] {
        let ports = (41000 + i, 8080);
        tfo.tcp_opts(true, ports, "S", ISN_C, 0, opts, &[b'q'; 20])
            .tcp_opts(false, ports, "SA", ISN_S, ISN_C + acked, &[], b"")
            .tcp(true, ports, "A", ISN_C + acked, ISN_S + 1, 1000, b"");
    }
    let mut gap = opened_with_ten_bytes();
    gap.tcp(true, P, "PA", ISN_C + 21, ISN_S + 1, 1000, b"0123456789")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 1000, b"")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 1000, b"")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 2000, b"")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 11, 2000, b"")
        .tcp(true, P, "PA", ISN_C + 11, ISN_S + 1, 1000, b"0123456789")
        .tcp(false, P, "A", ISN_S + 1, ISN_C + 31, 2000, b"");
    let mut unseen = Capture::new();
    unseen
        .tcp(false, P, "PA", ISN_S + 1, ISN_C + 101, 1000, b"0123456789")
        .tcp(true, P, "A", ISN_C + 101, ISN_S + 11, 1000, b"")
        .tcp(true, P, "PA", ISN_C + 101, ISN_S + 11, 1000, b"0123456789")
        .tcp(false, P, "A", ISN_S + 11, ISN_C + 111, 1000, b"")
        .tcp(false, P, "A", ISN_S + 11, ISN_C + 200, 1000, b"")
        .tcp(true, P, "FA", ISN_C + 111, ISN_S + 11, 1000, b"")
        .tcp(false, P, "FA", ISN_S + 11, ISN_C + 112, 1000, b"")
        .tcp(true, P, "A", ISN_C + 112, ISN_S + 12, 1000, b"");
    let mut reuse = opened_with_ten_bytes();
    close_after_ten_bytes(&mut reuse);
    reuse
        .tcp(true, P, "S", 9000, 0, 1000, b"")
        .tcp(false, P, "SA", 7000, 9001, 1000, b"")
        .tcp(true, P, "A", 9001, 7001, 1000, b"")
        .tcp(true, P, "PA", 9001, 7001, 1000, b"again")
        .tcp(false, P, "A", 7001, 9006, 1000, b"");
    // Bad checksums (on port 9000: no dissector takes the filler bytes): the client's
    // data with a bad one, then its good copy; a UDP datagram with a bad one, its good
    // copy and the reply. tshark, which verifies no checksum by default, sees the good
    // TCP copy as a retransmission; Zeek sees it as the first data (`ShACDaFf`, `CDd`).
    let bp = (40000, 9000);
    let mut bad = Capture::new();
    bad_then_good_data(&mut bad, bp);
    bad.tcp(true, bp, "FA", ISN_C + 11, ISN_S + 1, 1000, b"")
        .tcp(false, bp, "FA", ISN_S + 1, ISN_C + 12, 1000, b"")
        .tcp(true, bp, "A", ISN_C + 12, ISN_S + 2, 1000, b"")
        .udp((CLIENT, 40001), (SERVER, 9999), b"ping")
        .bad_checksum()
        .udp((CLIENT, 40001), (SERVER, 9999), b"ping")
        .udp((SERVER, 9999), (CLIENT, 40001), b"PING");
    vec![
        ("zeek_bad_checksum.pcap", bad),
        ("zeek_tcp_fast_open.pcap", tfo),
        ("zeek_tcp_hole_dup_ack.pcap", gap),
        ("zeek_tcp_acked_unseen.pcap", unseen),
        ("zeek_tcp_port_reuse.pcap", reuse),
    ]
}

/// The fixtures are exactly what their builder writes (`WIRELAB_BLESS=1` writes them).
#[test]
fn zeek_fixtures_are_what_their_builder_writes() {
    for (name, cap) in fixture_cases() {
        let path = root().join("fixtures").join(name);
        if blessing() {
            std::fs::write(&path, &cap.bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{name}: {e} (WIRELAB_BLESS=1 writes it)"));
        assert!(
            on_disk == cap.bytes,
            "{name} differs from its builder (WIRELAB_BLESS=1 rewrites it)"
        );
    }
}

/// Regression (issue 15): with a capture filter (`-f icmp`), the ICMP flows lost their
/// conversation lines, conn.log rows and JSON Lines objects: a filter keeps only the
/// conversations that had a frame shown, and ICMP frames (and those of other IP
/// protocols) named no conversation. Each flow with a frame shown is kept now; the UDP
/// conversation the filter left out is still left out.
#[test]
fn r15_icmp_conversations_dropped_under_a_filter() {
    let mut c = Capture::new();
    c.udp((CLIENT, 40002), (SERVER, 9), b"probe")
        .port_unreachable(SERVER, b"probe")
        .ip_protocol(253, b"experiment");
    let (_dir, path) = c.write("filtered.pcap");
    let read = |args: &[&str]| {
        let r = run(wirelab().arg("read").args(args).arg(&path));
        assert_eq!(r.code, Some(0), "{args:?}: {}", r.describe());
        r.out()
    };
    let log = ZeekLog::parse(&read(&["-f", "icmp", "--format", "conn-log"]));
    assert_eq!(
        log.cut(&["proto", "id.orig_h", "id.orig_p", "id.resp_p", "orig_pkts"]),
        vec![vec!["icmp", "10.0.0.2", "3", "3", "1"]]
    );
    let timeline = read(&["-f", "icmp"]);
    assert!(timeline.contains("ICMP 0 "), "{timeline}");
    assert!(!timeline.contains("UDP 0 "), "{timeline}");
    let jsonl = read(&["-f", "ip proto 253", "--format", "jsonl"]);
    let conversations: Vec<&str> = jsonl
        .lines()
        .filter(|l| l.contains(r#""type":"conversation""#))
        .collect();
    assert_eq!(conversations.len(), 1, "{jsonl}");
    assert!(conversations[0].contains("IP protocol 253"), "{jsonl}");
    // Without a filter all three are there.
    let all = ZeekLog::parse(&read(&["--format", "conn-log"]));
    assert_eq!(all.rows.len(), 3);
}

/// `service` from the web's dissectors when they find a protocol by its content on a port
/// not registered for it (as Zeek's dynamic protocol detection does): an HTTP exchange
/// on port 9999 is `http`, a TLS Client Hello on port 12345 `ssl`, an SSH banner on port
/// 2222 `ssh`; plain bytes on port 7777 stay without a service (`-`). The HTTP request
/// comes in the conversation's second payload (the first one is no HTTP), so the
/// service cannot come from the first payload alone.
#[test]
fn zeek_service_found_by_content_on_other_ports() {
    let mut c = Capture::new();
    let exchange = |c: &mut Capture, port: u16, first: &[u8], second: &[u8]| {
        let p = (40000 + port % 1000, port);
        let n = u32::try_from(first.len()).unwrap_or(0);
        let m = u32::try_from(second.len()).unwrap_or(0);
        c.tcp(true, p, "S", ISN_C, 0, 1000, b"")
            .tcp(false, p, "SA", ISN_S, ISN_C + 1, 1000, b"")
            .tcp(true, p, "A", ISN_C + 1, ISN_S + 1, 1000, b"")
            .tcp(true, p, "PA", ISN_C + 1, ISN_S + 1, 1000, first)
            .tcp(false, p, "A", ISN_S + 1, ISN_C + 1 + n, 1000, b"")
            .tcp(true, p, "PA", ISN_C + 1 + n, ISN_S + 1, 1000, second)
            .tcp(false, p, "A", ISN_S + 1, ISN_C + 1 + n + m, 1000, b"");
    };
    let hello: &[u8] = &[
        0x16, 0x03, 0x01, 0x00, 0x04, // handshake record, TLS 1.0 record layer, 4 bytes
        0x01, 0x00, 0x00, 0x00, // Client Hello, length 0
    ];
    exchange(
        &mut c,
        9999,
        b"hello",
        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    exchange(&mut c, 12345, hello, b"");
    exchange(&mut c, 2222, b"SSH-2.0-OpenSSH_9.6\r\n", b"");
    exchange(&mut c, 7777, b"hello", b"world");
    let log = conn_log(&c, "by-content.pcap");
    assert_eq!(
        log.cut(&["id.resp_p", "service"]),
        vec![
            vec!["9999", "http"],
            vec!["12345", "ssl"],
            vec!["2222", "ssh"],
            vec!["7777", "-"],
        ]
    );
}

/// A bad TCP checksum. Zeek's TCP analyzer drops the segment after writing `C` (its
/// `ValidateChecksum` returns before the history, the state machine and the packet
/// counts): the client's 10 bytes with a bad checksum are `C`, their good retransmission
/// is the first data Zeek sees (`D`, no `T`), and the dropped segment is in neither
/// `orig_pkts` nor `orig_ip_bytes` (6 client frames, 5 counted; 40 IP bytes each but the
/// data's 50). tshark, which verifies no checksum by default, still sees both copies.
#[test]
fn zeek_bad_tcp_checksum_c_and_dropped() {
    let mut c = Capture::new();
    bad_then_good_data(&mut c, P);
    close_after_ten_bytes(&mut c);
    let log = conn_log(&c, "bad-tcp-checksum.pcap");
    assert_eq!(judged(&log), one("tcp", "SF", "ShACDaFf"));
    assert_eq!(
        log.cut(&[
            "orig_bytes",
            "orig_pkts",
            "orig_ip_bytes",
            "resp_pkts",
            "resp_ip_bytes"
        ]),
        vec![vec!["10", "5", "210", "3", "120"]]
    );
    // The conversation line still counts every frame (as tshark's statistics do).
    let (_dir, path) = c.write("bad-tcp-checksum.pcap");
    let r = run(wirelab().args(["read", "--format", "jsonl"]).arg(&path));
    assert!(r.out().contains(r#""frames_from_client":6"#), "{}", r.out());
    assert!(r.out().contains(r#""history":"ShACDaFf""#), "{}", r.out());
}

/// Bad UDP checksums. Zeek's UDP analyzer writes `C`/`c` at the 1st, 10th, 100th, ...
/// bad datagram of each side and drops it before `D`, the byte count, the packet count
/// and the last time: ten bad datagrams from the client (`CC`), a good one (`D`), the
/// good reply (`d`), a last bad reply (`c`). SF; one packet counted each way; the
/// duration ends at the good reply (frame 12, 11 ms after the first), not the bad one.
/// A client whose only datagram is bad was never active: the reply alone makes SHR.
#[test]
fn zeek_bad_udp_checksums_scaled_and_dropped() {
    let mut c = Capture::new();
    for _ in 0..10 {
        c.udp((CLIENT, 40001), (SERVER, 9999), b"ping")
            .bad_checksum();
    }
    c.udp((CLIENT, 40001), (SERVER, 9999), b"ping")
        .udp((SERVER, 9999), (CLIENT, 40001), b"PONG")
        .udp((SERVER, 9999), (CLIENT, 40001), b"PONG")
        .bad_checksum();
    c.udp((CLIENT, 40002), (SERVER, 9999), b"ping")
        .bad_checksum()
        .udp((SERVER, 9999), (CLIENT, 40002), b"PONG");
    let log = conn_log(&c, "bad-udp-checksum.pcap");
    assert_eq!(
        judged(&log),
        rows(&[("udp", "SF", "CCDdc"), ("udp", "SHR", "Cd")])
    );
    assert_eq!(
        log.cut(&[
            "duration",
            "orig_bytes",
            "resp_bytes",
            "orig_pkts",
            "orig_ip_bytes",
            "resp_pkts",
            "resp_ip_bytes"
        ]),
        vec![
            vec!["0.011000", "4", "4", "1", "32", "1", "32"],
            vec!["0.001000", "0", "4", "0", "0", "1", "32"],
        ]
    );
}

/// A bad ICMP checksum: Zeek's ICMP analyzer drops the message (no history letter: ICMP
/// writes none); the flow exists, from the request's sender, with only the reply counted.
#[test]
fn zeek_bad_icmp_checksum_dropped() {
    let mut c = Capture::new();
    c.echo(false).bad_checksum().echo(true);
    let log = conn_log(&c, "bad-icmp-checksum.pcap");
    assert_eq!(
        log.cut(&[
            "proto",
            "id.orig_h",
            "history",
            "orig_bytes",
            "resp_bytes",
            "orig_pkts",
            "resp_pkts"
        ]),
        vec![vec!["icmp", "10.0.0.1", "-", "0", "56", "0", "1"]]
    );
}

/// The lab's captures (loopback) carry checksums left to the never-used offload: the
/// field holds the pseudo-header's sum only. wirelab takes them as not computed, not
/// wrong: no `C` in any lab fixture, every connection judged (plain `zeek -r` would drop
/// every such packet; `zeek -C` ignores all checksums).
#[test]
fn zeek_offloaded_checksums_are_not_bad() {
    let mut judged_rows = 0;
    for f in super::util::fixtures()
        .into_iter()
        .filter(|f| f.name.starts_with("lab_") || f.name.starts_with("web_"))
    {
        let r = run(wirelab()
            .args(["read", "--format", "conn-log"])
            .arg(f.path()));
        let log = ZeekLog::parse(&r.out());
        for (proto, state, history) in judged(&log) {
            assert!(
                !history.contains(['C', 'c']),
                "{}: {proto} {state} {history}",
                f.name
            );
            judged_rows += 1;
        }
    }
    assert!(judged_rows > 20, "only {judged_rows} connections");
}

/// The bad-checksum fixture (`fixtures/zeek_bad_checksum.pcap`, see [`fixture_cases`]) as
/// Zeek judges it.
#[test]
fn zeek_bad_checksum_fixture() {
    let cases = fixture_cases();
    let Some((_, cap)) = cases.iter().find(|(n, _)| *n == "zeek_bad_checksum.pcap") else {
        panic!("no bad-checksum case");
    };
    let log = conn_log(cap, "zeek_bad_checksum.pcap");
    assert_eq!(
        judged(&log),
        rows(&[("tcp", "SF", "ShACDaFf"), ("udp", "SF", "CDd")])
    );
    assert_eq!(
        log.cut(&["orig_pkts", "resp_pkts"]),
        vec![vec!["5", "3"], vec!["1", "1"]]
    );
}

/// The detail view said every TCP/UDP checksum was "not verified" while the note of the same
/// frame said it was wrong (and Zeek's history had `C`): both now give the decoder's one
/// check. Frame 4 of the bad-checksum fixture is wrong, frame 5 (its good copy) correct, and
/// a loopback lab frame's checksum is the offload's partial sum.
#[test]
fn r15_detail_said_not_verified_where_the_note_said_wrong() {
    let checksum_line = |file: &str, frame: &str, layer: &str| -> String {
        let r = super::util::wirelab_run(&["read", "--view", "detail", "--frame", frame, file]);
        assert_eq!(r.code, Some(0), "{}", r.describe());
        let out = r.out();
        let from = out
            .find(layer)
            .unwrap_or_else(|| panic!("no {layer} layer in frame {frame} of {file}:\n{out}"));
        out[from..]
            .lines()
            .find(|l| l.contains(" Checksum "))
            .unwrap_or_else(|| panic!("no checksum line:\n{out}"))
            .to_string()
    };
    let bad = "fixtures/zeek_bad_checksum.pcap";
    let wrong = checksum_line(bad, "4", "Transmission Control Protocol");
    assert!(wrong.contains("wrong"), "{wrong}");
    let note = super::util::wirelab_run(&["read", bad, "--format", "jsonl"]).out();
    let frame4 = note
        .lines()
        .find(|l| l.contains("\"no\":4,"))
        .unwrap_or_default()
        .to_string();
    assert!(
        frame4.contains("checksum is wrong"),
        "the note agrees: {frame4}"
    );
    let good = checksum_line(bad, "5", "Transmission Control Protocol");
    assert!(good.contains("correct"), "{good}");
    let udp_wrong = checksum_line(bad, "10", "User Datagram Protocol");
    assert!(udp_wrong.contains("wrong"), "{udp_wrong}");
    let lab = checksum_line(
        "fixtures/lab_tcp.pcap",
        "4",
        "Transmission Control Protocol",
    );
    assert!(
        lab.contains("not computed") && lab.contains("offload"),
        "{lab}"
    );
}
