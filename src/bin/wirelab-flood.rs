//! `wirelab-flood`: a bounded flood of small UDP datagrams on loopback, to check that
//! `wirelab capture` keeps up (issue 5). Sends only to 127.0.0.0/8 or ::1, at most
//! 5,000,000 datagrams and at most 60 seconds, paced in 1 ms slices.
//!
//! Usage: `wirelab-flood --port 40123 --rate 200000 --seconds 5`

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use std::io::IoSlice;

use clap::Parser;
use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, sendmmsg};

/// Sends a bounded, paced flood of small UDP datagrams to a loopback port.
#[derive(Debug, Parser)]
#[command(name = "wirelab-flood", version, about)]
struct Args {
    /// Destination address (loopback only).
    #[arg(long, default_value = "127.0.0.1")]
    to: IpAddr,
    /// Destination UDP port.
    #[arg(long)]
    port: u16,
    /// Datagrams per second.
    #[arg(long, default_value_t = 200_000)]
    rate: u64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Payload bytes per datagram.
    #[arg(long, default_value_t = 18)]
    size: usize,
}

const MAX_DATAGRAMS: u64 = 5_000_000;
/// Datagrams per `sendmmsg` call.
const BATCH: usize = 32;

/// Sends `count` (at most [`BATCH`]) copies of `payload` on the connected socket with one
/// `sendmmsg` call (nix's safe wrapper); returns how many the kernel took. `headers`: the
/// message headers, made once.
fn send_batch(
    socket: &UdpSocket,
    headers: &mut MultiHeaders<SockaddrStorage>,
    payload: &[u8],
    count: usize,
) -> std::io::Result<usize> {
    use std::os::unix::io::AsRawFd;
    let count = count.min(BATCH);
    let one = [IoSlice::new(payload)];
    let slices = [one; BATCH];
    // Connected: no address per message.
    let addrs: [Option<SockaddrStorage>; BATCH] = [None; BATCH];
    let sent = sendmmsg(
        socket.as_raw_fd(),
        headers,
        slices.iter().take(count),
        &addrs[..count],
        [],
        MsgFlags::empty(),
    )
    .map_err(std::io::Error::from)?;
    Ok(sent.count())
}
const MAX_SECONDS: f64 = 60.0;

fn main() {
    let args = Args::parse();
    if !args.to.is_loopback() {
        eprintln!(
            "wirelab-flood: {} is not a loopback address; refusing",
            args.to
        );
        std::process::exit(2);
    }
    let seconds = args.seconds.clamp(0.0, MAX_SECONDS);
    let total = ((args.rate as f64 * seconds) as u64).min(MAX_DATAGRAMS);
    let local: IpAddr = if args.to.is_ipv6() {
        Ipv6Addr::LOCALHOST.into()
    } else {
        Ipv4Addr::LOCALHOST.into()
    };
    let bind = SocketAddr::new(local, 0);
    let socket = match UdpSocket::bind(bind) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wirelab-flood: cannot bind {bind}: {e}");
            std::process::exit(1);
        }
    };
    let dest = SocketAddr::new(args.to, args.port);
    // A sink bound to the port and never read: the kernel drops what overflows its buffer
    // quietly, where a closed port would answer with ICMP errors that fail our sends.
    // (If something already listens there, it is the sink.)
    let _sink = UdpSocket::bind(dest).ok();
    // Connected: the kernel routes once, and each send is cheaper than a send_to.
    if let Err(e) = socket.connect(dest) {
        eprintln!("wirelab-flood: cannot reach {dest}: {e}");
        std::process::exit(1);
    }
    let mut payload = vec![b'x'; args.size.clamp(1, 1400)];
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds + 1.0);
    let (mut sent, mut failed) = (0u64, 0u64);
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    while sent + failed < total && Instant::now() < deadline {
        // How many should have gone by now, at the asked rate.
        let due = ((start.elapsed().as_secs_f64() * args.rate as f64) as u64).min(total);
        while sent + failed < due {
            let batch = (due - sent - failed).min(BATCH as u64) as usize;
            let n = sent + failed;
            for (i, b) in payload.iter_mut().take(8).enumerate() {
                *b = b'a' + ((n >> (i * 3)) & 7) as u8;
            }
            match send_batch(&socket, &mut headers, &payload, batch) {
                Ok(k) => {
                    sent += k as u64;
                    failed += (batch - k) as u64;
                }
                Err(_) => failed += batch as u64,
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "wirelab-flood: sent {sent} datagrams ({failed} failed) to {dest} in {secs:.2} s = {:.0}/s",
        sent as f64 / secs
    );
}
