//! `wirelab-gen`: writes a large, deterministic, realistic capture for the benchmark
//! (issue 5). Thousands of interleaved TCP conversations (handshake, data both ways,
//! retransmissions, duplicate ACKs with a fast retransmission, FIN and RST closes,
//! refused connections) and UDP request/reply pairs, about 10% over IPv6, payloads of
//! 0 to 1,400 bytes, correct IP/TCP/UDP checksums (etherparse builds every packet),
//! Ethernet link type, classic microsecond pcap. The same `--seed` and `--frames`
//! always give the same file, byte for byte. It only writes a file: no network.
//!
//! Usage: `wirelab-gen --frames 2000000 --seed 1 -o /tmp/big.pcap`
//!
//! With `--syns random` or `--syns colliding`, every frame is instead the SYN of a new IPv6
//! conversation (issue 13's hostile inputs): `random` keys are spread at random;
//! `colliding` keys all fed the same words to the tracker's former unkeyed hash (one shared
//! address half on each side and `a1 ^ rotl(b1, 32)` constant), so they all collided.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use clap::Parser;
use etherparse::{IpHeaders, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder, TcpOptionElement};

/// Generates a large deterministic capture for the benchmark.
#[derive(Debug, Parser)]
#[command(name = "wirelab-gen", version, about)]
struct Args {
    /// Number of frames to write.
    #[arg(long, default_value_t = 2_000_000)]
    frames: u64,
    /// Seed of the pseudo-random generator (same seed, same file).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How many conversations are open at any time (interleaved).
    #[arg(long, default_value_t = 2000)]
    concurrency: usize,
    /// Percentage of conversations over IPv6.
    #[arg(long, default_value_t = 10)]
    ipv6_percent: u64,
    /// Only SYNs, each opening a new IPv6 conversation: `random` or `colliding` keys.
    #[arg(long, value_parser = ["random", "colliding"])]
    syns: Option<String>,
    /// Output file (classic pcap, Ethernet).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

/// splitmix64: small, fast and good enough for traffic shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// True with probability `percent / 1000`.
    fn permille(&mut self, p: u64) -> bool {
        self.next() % 1000 < p
    }
}

const SYN: u8 = 0x02;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// Maximum payload per segment (the file's payloads are 0..=1400 bytes).
const MSS: u32 = 1400;

/// One frame of a conversation's script.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// Sent by the client (else by the server).
    from_client: bool,
    /// TCP flags (0 for UDP).
    flags: u8,
    /// Relative sequence number (TCP) of the sender.
    seq: u32,
    /// Relative acknowledgement number (TCP).
    ack: u32,
    /// Payload bytes.
    len: u32,
    /// Where the payload text starts in the text pool.
    text: u32,
    /// Delay after the previous frame of the conversation, in nanoseconds.
    gap: u64,
}

/// An open conversation and what is left of its script.
struct Conv {
    tcp: bool,
    client: Endpoint,
    server: Endpoint,
    client_isn: u32,
    server_isn: u32,
    /// TCP timestamps option on every segment (Linux-like peers).
    timestamps: bool,
    /// Last TSval each side sent (client, server).
    last_tsval: [u32; 2],
    /// IPv4 identification counters (client, server).
    ip_id: [u16; 2],
    steps: Vec<Step>,
    next: usize,
}

#[derive(Debug, Clone, Copy)]
struct Endpoint {
    mac: [u8; 6],
    ip: Ip,
    port: u16,
}

#[derive(Debug, Clone, Copy)]
enum Ip {
    V4([u8; 4]),
    V6([u8; 16]),
}

/// Text that payloads are cut from: lowercase words, and the same in uppercase
/// (so a UDP reply is the uppercase of its request, as in the socket lab).
struct Texts {
    lower: Vec<u8>,
    upper: Vec<u8>,
}

const TEXT_POOL: usize = 1 << 16;

impl Texts {
    fn new(rng: &mut Rng) -> Self {
        const WORDS: [&str; 24] = [
            "the",
            "server",
            "replies",
            "in",
            "uppercase",
            "socket",
            "lab",
            "packet",
            "capture",
            "hello",
            "world",
            "tcp",
            "udp",
            "segment",
            "window",
            "sequence",
            "number",
            "ack",
            "client",
            "port",
            "wireshark",
            "data",
            "stream",
            "bytes",
        ];
        let mut lower = Vec::with_capacity(TEXT_POOL + 64);
        while lower.len() < TEXT_POOL + MSS as usize {
            let w = WORDS[(rng.next() % WORDS.len() as u64) as usize];
            lower.extend_from_slice(w.as_bytes());
            lower.push(if rng.permille(60) { b'\n' } else { b' ' });
        }
        let upper = lower.to_ascii_uppercase();
        Texts { lower, upper }
    }

    fn slice(&self, upper: bool, start: u32, len: u32) -> &[u8] {
        let pool = if upper { &self.upper } else { &self.lower };
        let start = start as usize % TEXT_POOL;
        &pool[start..start + len as usize]
    }
}

/// Builds the script of one TCP conversation, with relative numbers (ISN = 0).
fn tcp_script(rng: &mut Rng) -> Vec<Step> {
    let mut s = Vec::with_capacity(32);
    let rtt = rng.range(100_000, 30_000_000); // 0.1 ms .. 30 ms
    let half = rtt / 2;
    let text = |rng: &mut Rng| rng.range(0, TEXT_POOL as u64) as u32;
    let push = |s: &mut Vec<Step>, from_client, flags, seq, ack, len, text, gap| {
        s.push(Step {
            from_client,
            flags,
            seq,
            ack,
            len,
            text,
            gap,
        });
    };
    push(&mut s, true, SYN, 0, 0, 0, 0, 0);
    if rng.permille(30) {
        // Connection refused: RST, ACK answers the SYN.
        push(&mut s, false, RST | ACK, 1, 1, 0, 0, half);
        return s;
    }
    push(&mut s, false, SYN | ACK, 0, 1, 0, 0, half);
    push(&mut s, true, ACK, 1, 1, 0, 0, half);
    let (mut c, mut v) = (1u32, 1u32); // next seq of client and server
    let rounds = 1 + (rng.next() % 64).trailing_zeros().min(6) as u64 + rng.range(0, 2);
    for round in 0..rounds {
        // The request, in one or two segments.
        let think = if round == 0 {
            rng.range(20_000, 200_000)
        } else {
            rng.range(1_000_000, 300_000_000)
        };
        let req = if rng.permille(100) {
            rng.range(1401, 2800)
        } else {
            rng.range(1, 600)
        } as u32;
        let mut left = req;
        let mut gap = think;
        let mut last_req_step = 0;
        while left > 0 {
            let len = left.min(MSS);
            left -= len;
            let flags = if left == 0 { PSH | ACK } else { ACK };
            push(&mut s, true, flags, c, v, len, text(rng), gap);
            last_req_step = s.len() - 1;
            c = c.wrapping_add(len);
            gap = rng.range(5_000, 50_000);
        }
        if rng.permille(20) && s.get(last_req_step).is_some_and(|st| st.len >= 2) {
            // Retransmission timeout: the same segment again, nothing acknowledged yet.
            if let Some(mut again) = s.get(last_req_step).copied() {
                again.gap = rng.range(200_000_000, 400_000_000);
                s.push(again);
            }
        }
        // The response: empty (just an ACK), one segment, or a flight of several.
        let resp = match rng.next() % 10 {
            0 => 0,
            1..=5 => rng.range(1, 1400),
            6..=8 => rng.range(1401, 8 * 1400),
            _ => rng.range(8 * 1400, 30 * 1400),
        } as u32;
        if resp == 0 {
            push(&mut s, false, ACK, v, c, 0, 0, half);
            continue;
        }
        let nseg = resp.div_ceil(MSS);
        let mut gap = half;
        if nseg > 1 && rng.permille(500) {
            // Delayed ACK of the request, then the data.
            push(&mut s, false, ACK, v, c, 0, 0, half);
            gap = rng.range(100_000, 2_000_000);
        }
        let loss = nseg >= 4 && rng.permille(150);
        let resend_last = !loss && rng.permille(15);
        let flight_start = v;
        let mut left = resp;
        let mut first_seg: Option<Step> = None;
        let mut since_ack = 0;
        let mut seg_no = 0;
        while left > 0 {
            let len = left.min(MSS);
            left -= len;
            let flags = if left == 0 { PSH | ACK } else { ACK };
            let step = Step {
                from_client: false,
                flags,
                seq: v,
                ack: c,
                len,
                text: text(rng),
                gap,
            };
            s.push(step);
            if seg_no == 0 {
                first_seg = Some(step);
            }
            seg_no += 1;
            v = v.wrapping_add(len);
            gap = rng.range(10_000, 100_000);
            since_ack += 1;
            if loss {
                // The first segment was lost after the capture point: every later one
                // brings a duplicate ACK of the old number.
                if (2..=4).contains(&seg_no) {
                    push(
                        &mut s,
                        true,
                        ACK,
                        c,
                        flight_start,
                        0,
                        0,
                        rng.range(20_000, 200_000),
                    );
                }
                if seg_no == 4 {
                    if let Some(mut f) = first_seg {
                        f.gap = rng.range(50_000, 500_000); // fast retransmission
                        s.push(f);
                    }
                    // Everything so far is now acknowledged.
                    push(&mut s, true, ACK, c, v, 0, 0, half);
                    since_ack = 0;
                }
            } else if since_ack == 2 && left > 0 {
                push(&mut s, true, ACK, c, v, 0, 0, rng.range(20_000, 200_000));
                since_ack = 0;
            }
        }
        if resend_last
            && let Some(last) = s.last().copied()
            && last.len >= 2
        {
            let mut again = last;
            again.gap = rng.range(200_000_000, 400_000_000);
            s.push(again);
        }
        if since_ack > 0 || resend_last {
            push(&mut s, true, ACK, c, v, 0, 0, half);
        }
    }
    // The close.
    match rng.next() % 100 {
        0..=79 => {
            // FIN from one side, ACK, FIN from the other, ACK (sometimes FIN+ACK together).
            let client_first = rng.permille(600);
            let (a_client, a, b) = if client_first {
                (true, &mut c, &mut v)
            } else {
                (false, &mut v, &mut c)
            };
            push(
                &mut s,
                a_client,
                FIN | ACK,
                *a,
                *b,
                0,
                0,
                rng.range(1_000_000, 100_000_000),
            );
            *a = a.wrapping_add(1);
            if rng.permille(500) {
                push(&mut s, !a_client, ACK, *b, *a, 0, 0, half);
                push(
                    &mut s,
                    !a_client,
                    FIN | ACK,
                    *b,
                    *a,
                    0,
                    0,
                    rng.range(50_000, 5_000_000),
                );
            } else {
                push(&mut s, !a_client, FIN | ACK, *b, *a, 0, 0, half);
            }
            *b = b.wrapping_add(1);
            push(&mut s, a_client, ACK, *a, *b, 0, 0, half);
        }
        80..=94 => {
            // Aborted with a RST (client or server).
            let by_client = rng.permille(500);
            let (seq, ack) = if by_client { (c, v) } else { (v, c) };
            push(
                &mut s,
                by_client,
                RST | ACK,
                seq,
                ack,
                0,
                0,
                rng.range(1_000_000, 100_000_000),
            );
        }
        _ => {} // still open at the end of the capture
    }
    s
}

/// Builds the script of one UDP exchange: one to four request/reply pairs.
fn udp_script(rng: &mut Rng) -> Vec<Step> {
    let mut s = Vec::new();
    let rtt = rng.range(50_000, 20_000_000);
    for i in 0..rng.range(1, 4) {
        let len = if rng.permille(50) {
            rng.range(0, 1400)
        } else {
            rng.range(1, 200)
        } as u32;
        let text = rng.range(0, TEXT_POOL as u64) as u32;
        let gap = if i == 0 {
            0
        } else {
            rng.range(1_000_000, 500_000_000)
        };
        s.push(Step {
            from_client: true,
            flags: 0,
            seq: 0,
            ack: 0,
            len,
            text,
            gap,
        });
        if rng.permille(970) {
            s.push(Step {
                from_client: false,
                flags: 0,
                seq: 0,
                ack: 0,
                len,
                text,
                gap: rtt,
            });
        }
    }
    s
}

/// Hands out client addresses and ports so that no 4-tuple is ever reused.
struct Hosts {
    next_port: Vec<u16>,
}

const CLIENTS: usize = 4000;
const SERVERS: u64 = 40;
/// Server ports with no dissector in tshark 4.0, so every frame stays plain TCP or UDP.
const TCP_PORTS: [u16; 4] = [8888, 23456, 12000, 20001];
const UDP_PORTS: [u16; 3] = [8888, 23457, 20001];
/// Ephemeral ports that tshark 4.0 would dissect as another protocol (`tshark -G decodes`): skipped.
const DISSECTED: [u16; 35] = [
    34962, 34980, 37008, 41170, 44321, 44322, 44818, 45564, 47000, 47808, 48049, 48898, 49999,
    54328, 56000, 56001, 56500, 56501, 57000, 57001, 57032, 57033, 57500, 57501, 57532, 57533,
    59000, 59001, 59032, 59033, 59500, 59501, 59532, 59533, 60001,
];

fn mac_for(kind: u8, n: u64) -> [u8; 6] {
    let b = n.to_be_bytes();
    [0x02, kind, b[4], b[5], b[6], b[7]]
}

impl Hosts {
    fn new(rng: &mut Rng) -> Self {
        Hosts {
            next_port: (0..CLIENTS)
                .map(|_| rng.range(32768, 60000) as u16)
                .collect(),
        }
    }

    fn pick(&mut self, rng: &mut Rng, tcp: bool, v6: bool) -> (Endpoint, Endpoint) {
        let ci = (rng.next() % CLIENTS as u64) as usize;
        let mut port = self.next_port[ci];
        while DISSECTED.contains(&port) {
            port += 1;
        }
        self.next_port[ci] = if port >= 60999 { 32768 } else { port + 1 };
        let si = rng.next() % SERVERS;
        let sport = if tcp {
            TCP_PORTS[(rng.next() % TCP_PORTS.len() as u64) as usize]
        } else {
            UDP_PORTS[(rng.next() % UDP_PORTS.len() as u64) as usize]
        };
        let ci64 = ci as u64;
        let (cip, sip) = if v6 {
            let mut c = [0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
            c[14..16].copy_from_slice(&(ci as u16).to_be_bytes());
            let mut s = [0xfd, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
            s[15] = si as u8 + 1;
            (Ip::V6(c), Ip::V6(s))
        } else {
            (
                Ip::V4([10, 1, (ci / 250) as u8, (ci % 250) as u8 + 1]),
                Ip::V4([10, 2, 0, si as u8 + 1]),
            )
        };
        (
            Endpoint {
                mac: mac_for(1, ci64),
                ip: cip,
                port,
            },
            Endpoint {
                mac: mac_for(2, si),
                ip: sip,
                port: sport,
            },
        )
    }
}

/// Writes classic pcap (microseconds, little-endian, Ethernet).
struct PcapOut<W: Write> {
    out: W,
}

impl<W: Write> PcapOut<W> {
    fn new(mut out: W) -> io::Result<Self> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&262_144u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        out.write_all(&h)?;
        Ok(PcapOut { out })
    }

    fn record(&mut self, ts_ns: u64, data: &[u8]) -> io::Result<()> {
        let mut h = [0u8; 16];
        let len = u32::try_from(data.len()).map_err(io::Error::other)?;
        h[0..4].copy_from_slice(&((ts_ns / 1_000_000_000) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&((ts_ns % 1_000_000_000 / 1000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[12..16].copy_from_slice(&len.to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)
    }
}

/// Capture start: 2026-01-01 00:00:00 UTC.
const EPOCH_NS: u64 = 1_767_225_600 * 1_000_000_000;

fn build_frame(
    buf: &mut Vec<u8>,
    conv: &mut Conv,
    step: &Step,
    now: u64,
    texts: &Texts,
) -> Result<(), String> {
    let (src, dst) = if step.from_client {
        (conv.client, conv.server)
    } else {
        (conv.server, conv.client)
    };
    let side = usize::from(!step.from_client);
    let payload = texts.slice(!step.from_client, step.text, step.len);
    let eth = PacketBuilder::ethernet2(src.mac, dst.mac);
    let ip = match (src.ip, dst.ip) {
        (Ip::V4(s), Ip::V4(d)) => {
            let proto = if conv.tcp {
                IpNumber::TCP
            } else {
                IpNumber::UDP
            };
            let mut h = Ipv4Header::new(0, 64, proto, s, d).map_err(|e| e.to_string())?;
            h.identification = conv.ip_id[side];
            conv.ip_id[side] = conv.ip_id[side].wrapping_add(1);
            h.dont_fragment = conv.tcp;
            h.time_to_live = if step.from_client { 64 } else { 63 };
            IpHeaders::Ipv4(h, Default::default())
        }
        (Ip::V6(s), Ip::V6(d)) => IpHeaders::Ipv6(
            Ipv6Header {
                hop_limit: 64,
                source: s,
                destination: d,
                ..Default::default()
            },
            Default::default(),
        ),
        _ => return Err("mixed IP versions".into()),
    };
    let b = eth.ip(ip);
    buf.clear();
    if conv.tcp {
        let (isn, peer_isn) = if step.from_client {
            (conv.client_isn, conv.server_isn)
        } else {
            (conv.server_isn, conv.client_isn)
        };
        let syn = step.flags & SYN != 0;
        // Windows: 64240 in SYNs (scaled by 2^7 afterwards: 502 * 128 = 64256), constant after.
        let window: u16 = if syn {
            64240
        } else if step.from_client {
            502
        } else {
            509
        };
        let mut t = b.tcp(src.port, dst.port, isn.wrapping_add(step.seq), window);
        if step.flags & ACK != 0 {
            t = t.ack(peer_isn.wrapping_add(step.ack));
        }
        if syn {
            t = t.syn();
        }
        if step.flags & FIN != 0 {
            t = t.fin();
        }
        if step.flags & RST != 0 {
            t = t.rst();
        }
        if step.flags & PSH != 0 {
            t = t.psh();
        }
        let tsval = (now / 1_000_000) as u32 ^ (isn >> 8);
        let tsecr = conv.last_tsval[1 - side];
        let mut opts: Vec<TcpOptionElement> = Vec::with_capacity(6);
        if syn {
            opts.push(TcpOptionElement::MaximumSegmentSize(1460));
            opts.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
            if conv.timestamps {
                opts.push(TcpOptionElement::Timestamp(
                    tsval,
                    if step.flags & ACK != 0 { tsecr } else { 0 },
                ));
            } else {
                opts.push(TcpOptionElement::Noop);
                opts.push(TcpOptionElement::Noop);
            }
            opts.push(TcpOptionElement::Noop);
            opts.push(TcpOptionElement::WindowScale(7));
        } else if conv.timestamps && step.flags & RST == 0 {
            opts.push(TcpOptionElement::Noop);
            opts.push(TcpOptionElement::Noop);
            opts.push(TcpOptionElement::Timestamp(tsval, tsecr));
        }
        if conv.timestamps {
            conv.last_tsval[side] = tsval;
        }
        let t = t.options(&opts).map_err(|e| e.to_string())?;
        t.write(buf, payload).map_err(|e| e.to_string())?;
    } else {
        b.udp(src.port, dst.port)
            .write(buf, payload)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn run(args: &Args) -> Result<(), String> {
    let mut rng = Rng(args.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5eed);
    let texts = Texts::new(&mut rng);
    let mut hosts = Hosts::new(&mut rng);
    let file = File::create(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let mut out =
        PcapOut::new(BufWriter::with_capacity(1 << 20, file)).map_err(|e| e.to_string())?;
    let mut convs: Vec<Option<Conv>> = Vec::new();
    // (time of the conversation's next frame, tie-breaker, slot)
    let mut heap: BinaryHeap<Reverse<(u64, u64, usize)>> = BinaryHeap::new();
    let mut order = 0u64;
    let new_conv = |rng: &mut Rng, hosts: &mut Hosts| {
        let tcp = rng.permille(850);
        let v6 = rng.next() % 100 < args.ipv6_percent;
        let (client, server) = hosts.pick(rng, tcp, v6);
        let steps = if tcp {
            tcp_script(rng)
        } else {
            udp_script(rng)
        };
        Conv {
            tcp,
            client,
            server,
            client_isn: rng.next() as u32,
            server_isn: rng.next() as u32,
            timestamps: rng.permille(700),
            last_tsval: [0, 0],
            ip_id: [rng.next() as u16, rng.next() as u16],
            steps,
            next: 0,
        }
    };
    // Open the first conversations over the first 200 ms.
    for i in 0..args.concurrency.max(1) {
        let c = new_conv(&mut rng, &mut hosts);
        convs.push(Some(c));
        heap.push(Reverse((EPOCH_NS + rng.range(0, 200_000_000), order, i)));
        order += 1;
    }
    let mut buf = Vec::with_capacity(2048);
    let mut written = 0u64;
    let (mut tcp_convs, mut udp_convs) = (0u64, 0u64);
    while written < args.frames {
        let Some(Reverse((now, _, slot))) = heap.pop() else {
            break;
        };
        let Some(conv) = convs.get_mut(slot).and_then(Option::as_mut) else {
            continue;
        };
        let Some(step) = conv.steps.get(conv.next).copied() else {
            continue;
        };
        build_frame(&mut buf, conv, &step, now, &texts)?;
        out.record(now, &buf).map_err(|e| e.to_string())?;
        written += 1;
        conv.next += 1;
        if let Some(next) = conv.steps.get(conv.next) {
            heap.push(Reverse((now + next.gap.max(1_000), order, slot)));
        } else {
            // Finished: its slot gets a new conversation a little later.
            if conv.tcp {
                tcp_convs += 1;
            } else {
                udp_convs += 1;
            }
            let c = new_conv(&mut rng, &mut hosts);
            convs[slot] = Some(c);
            heap.push(Reverse((now + rng.range(10_000, 50_000_000), order, slot)));
        }
        order += 1;
    }
    out.out.flush().map_err(|e| e.to_string())?;
    eprintln!(
        "wirelab-gen: {written} frames to {} ({tcp_convs} TCP and {udp_convs} UDP conversations finished, {} open)",
        args.output.display(),
        convs.iter().flatten().filter(|c| c.next > 0).count()
    );
    Ok(())
}

/// `--syns`: `frames` SYNs, each of a new IPv6 conversation, 1 µs apart.
fn run_syns(args: &Args, colliding: bool) -> Result<(), String> {
    let mut rng = Rng(args.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5eed);
    let file = File::create(&args.output).map_err(|e| format!("{}: {e}", args.output.display()))?;
    let mut out =
        PcapOut::new(BufWriter::with_capacity(1 << 20, file)).map_err(|e| e.to_string())?;
    let texts = Texts::new(&mut rng);
    let mut buf = Vec::with_capacity(128);
    // The client's addresses start with 2001:db8:1::, the server's with 2001:db8:2::: the
    // tracker's key puts the client first.
    let (client_hi, server_hi) = (0x2001_0db8_0001_0000_u64, 0x2001_0db8_0002_0000_u64);
    const SAME: u64 = 0x0123_4567_89ab_cdef;
    for i in 0..args.frames {
        let (client_lo, server_lo) = if colliding {
            // a1 ^ rotl(b1, 32) == SAME for every i.
            let a1 = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            (a1, (a1 ^ SAME).rotate_right(32))
        } else {
            (rng.next(), rng.next())
        };
        let addr = |hi: u64, lo: u64| {
            let mut a = [0u8; 16];
            a[..8].copy_from_slice(&hi.to_be_bytes());
            a[8..].copy_from_slice(&lo.to_be_bytes());
            a
        };
        let mut conv = Conv {
            tcp: true,
            client: Endpoint {
                mac: mac_for(1, 1),
                ip: Ip::V6(addr(client_hi, client_lo)),
                port: 40_000,
            },
            server: Endpoint {
                mac: mac_for(2, 1),
                ip: Ip::V6(addr(server_hi, server_lo)),
                port: 8888,
            },
            client_isn: rng.next() as u32,
            server_isn: 0,
            timestamps: false,
            last_tsval: [0, 0],
            ip_id: [0, 0],
            steps: Vec::new(),
            next: 0,
        };
        let step = Step {
            from_client: true,
            flags: SYN,
            seq: 0,
            ack: 0,
            len: 0,
            text: 0,
            gap: 0,
        };
        let now = EPOCH_NS + i * 1_000;
        build_frame(&mut buf, &mut conv, &step, now, &texts)?;
        out.record(now, &buf).map_err(|e| e.to_string())?;
    }
    out.out.flush().map_err(|e| e.to_string())?;
    eprintln!(
        "wirelab-gen: {} SYNs with {} keys to {}",
        args.frames,
        if colliding { "colliding" } else { "random" },
        args.output.display()
    );
    Ok(())
}

fn main() {
    let args = Args::parse();
    let done = match args.syns.as_deref() {
        Some(kind) => run_syns(&args, kind == "colliding"),
        None => run(&args),
    };
    if let Err(e) = done {
        eprintln!("wirelab-gen: {e}");
        std::process::exit(1);
    }
}
