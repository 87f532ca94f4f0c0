//! `wirelab lab`: picks free ports on loopback, opens the capture before any
//! traffic, starts the servers, runs the clients, waits for the teardown, then
//! prints the annotated timeline and what the lab shows.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::checks::{self, Collector};
use super::{client, netns, server, show_text};
use crate::app::{stop_flag, Failure, FrameSink, Pipeline, Selection};
use crate::cli::{LabArgs, LabWhich};
use crate::error::AppError;
use crate::present::text::ansi;
use crate::source::live::{self, CaptureError, LiveSource, Next};
use crate::source::write::CaptureWriter;
use crate::source::{Frame, Timestamp};
use crate::track::Proto;

/// A frame copied out of libpcap's buffer.
#[derive(Debug, Clone)]
pub struct OwnedFrame {
    pub number: u64,
    pub ts: Timestamp,
    pub linktype: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

impl OwnedFrame {
    /// Copies a borrowed frame.
    pub fn from_frame(f: &Frame<'_>) -> Self {
        OwnedFrame { number: f.number, ts: f.ts, linktype: f.linktype, orig_len: f.orig_len, data: f.data.to_vec() }
    }
    /// Borrows it back.
    pub fn as_frame(&self) -> Frame<'_> {
        Frame { number: self.number, ts: self.ts, linktype: self.linktype, orig_len: self.orig_len, data: &self.data }
    }
}

fn other(e: impl std::fmt::Display) -> Failure {
    Failure::App(AppError::Other(e.to_string()))
}

/// Makes sure this process may capture on loopback: as is, or inside a private
/// user and network namespace. Returns true when a namespace was entered.
pub fn ensure_capture_rights() -> Result<bool, Failure> {
    match LiveSource::open("lo", None) {
        Ok(_) => Ok(false),
        Err(CaptureError::Permission { exe, reason, .. }) => {
            if netns::thread_count() > 1 {
                return Err(other(format!("lo: no permission to capture ({reason}); run `sudo setcap cap_net_raw,cap_net_admin=eip {}` once, or run with sudo", exe.display())));
            }
            netns::enter_private_namespace().map_err(|e| {
                other(format!(
                    "lo: no permission to capture ({reason}) and no private user namespace either ({e}); run `sudo setcap cap_net_raw,cap_net_admin=eip {}` once, or run with sudo",
                    exe.display()
                ))
            })?;
            LiveSource::open("lo", None).map_err(other)?;
            Ok(true)
        }
        Err(e) => Err(other(e)),
    }
}

/// What the capture thread hands back.
struct Captured {
    frames: Vec<OwnedFrame>,
    stats: live::Stats,
    error: Option<CaptureError>,
}

/// Runs the lab.
pub fn run(args: &LabArgs, color: bool) -> Result<(), Failure> {
    let in_namespace = ensure_capture_rights()?;
    let host: IpAddr = if args.ipv6 { IpAddr::V6(Ipv6Addr::LOCALHOST) } else { IpAddr::V4(Ipv4Addr::LOCALHOST) };
    let want_udp = args.which != LabWhich::Tcp;
    let want_tcp = args.which != LabWhich::Udp;
    let mut writer = match &args.write {
        Some(p) => Some(CaptureWriter::create(p, live::SNAPLEN as u32).map_err(other)?),
        None => None,
    };

    // Free ports: the servers bind port 0 and keep the sockets, so there is no race.
    let udp = if want_udp { Some(UdpSocket::bind(SocketAddr::new(host, 0)).map_err(other)?) } else { None };
    let tcp = if want_tcp { Some(TcpListener::bind(SocketAddr::new(host, 0)).map_err(other)?) } else { None };
    let udp_addr = udp.as_ref().map(|s| s.local_addr()).transpose().map_err(other)?;
    let tcp_addr = tcp.as_ref().map(|s| s.local_addr()).transpose().map_err(other)?;
    let mut parts = Vec::new();
    if let Some(a) = udp_addr {
        parts.push(format!("udp port {}", a.port()));
    }
    if let Some(a) = tcp_addr {
        parts.push(format!("tcp port {}", a.port()));
    }
    let filter = parts.join(" or ");

    // The capture is open (immediate mode) before any traffic, so no SYN is missed.
    let mut source = LiveSource::open("lo", Some(&filter)).map_err(other)?;
    let linktype = source.linktype();
    live::drop_privileges();
    let stop = stop_flag();
    let stop_capture = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let capture_thread = {
        let stop_capture = Arc::clone(&stop_capture);
        let seen = Arc::clone(&seen);
        thread::spawn(move || {
            let mut frames = Vec::new();
            let mut error = None;
            while !stop_capture.load(Ordering::Relaxed) {
                match source.next_frame() {
                    Ok(Next::Frame(f)) => {
                        frames.push(OwnedFrame::from_frame(&f));
                        seen.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Next::Idle) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            Captured { frames, stats: source.stats(), error }
        })
    };

    let mut out = io::stdout().lock();
    let w = |out: &mut io::StdoutLock<'_>, s: String| writeln!(out, "{s}").map_err(crate::app::output_error);
    let place = if in_namespace { " (in a private network namespace: no root needed)" } else { "" };
    w(&mut out, format!("wirelab lab: capturing on lo{place}, filter \"{filter}\""))?;

    // The servers.
    let stop_servers = Arc::new(AtomicBool::new(false));
    let server_log: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(Box::new(io::sink())));
    let mut servers = Vec::new();
    if let Some(sock) = udp {
        let stop_servers = Arc::clone(&stop_servers);
        servers.push(thread::spawn(move || {
            let _ = server::serve_udp(&sock, &stop_servers, &mut io::sink());
        }));
        if let Some(a) = udp_addr {
            w(&mut out, format!("UDP server listening on {a}"))?;
        }
    }
    if let Some(listener) = tcp {
        let stop_servers = Arc::clone(&stop_servers);
        let log = Arc::clone(&server_log);
        servers.push(thread::spawn(move || {
            let _ = server::serve_tcp(&listener, &stop_servers, log);
        }));
        if let Some(a) = tcp_addr {
            w(&mut out, format!("TCP server listening on {a}"))?;
        }
    }

    // The clients: every UDP run, then every TCP run; each run is a new socket.
    let message = args.message.as_bytes();
    let mut client_errors = Vec::new();
    for (proto, addr) in [(Proto::Udp, udp_addr), (Proto::Tcp, tcp_addr)] {
        let Some(addr) = addr else { continue };
        for run in 1..=args.runs {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let (name, result) = match proto {
                Proto::Udp => ("UDP", client::udp_exchange(addr, message)),
                Proto::Tcp => ("TCP", client::tcp_exchange(addr, message)),
            };
            match result {
                Ok((local, reply)) => w(
                    &mut out,
                    format!("{name} client run {run}: from {local} sent \"{}\", got back \"{}\"", show_text(message), show_text(&reply)),
                )?,
                Err(e) => {
                    w(&mut out, format!("{name} client run {run}: {e}"))?;
                    client_errors.push(e.to_string());
                }
            }
        }
    }

    // Wait until the wire is quiet (the TCP teardown is done within microseconds on loopback).
    let started = Instant::now();
    let mut last = seen.load(Ordering::Relaxed);
    let mut quiet_since = Instant::now();
    while started.elapsed() < Duration::from_secs(3) && !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(25));
        let now = seen.load(Ordering::Relaxed);
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_millis(250) {
            break;
        }
    }
    stop_capture.store(true, Ordering::Relaxed);
    stop_servers.store(true, Ordering::Relaxed);
    let captured = capture_thread.join().map_err(|_| other("the capture thread failed"))?;
    for s in servers {
        let _ = s.join();
    }

    if let Some(wr) = &mut writer {
        wr.ensure_header(linktype).map_err(other)?;
    }

    // The annotated timeline, through the same pipeline as `read`.
    writeln!(out).map_err(crate::app::output_error)?;
    drop(out);
    let sink: Box<dyn Write> = Box::new(io::BufWriter::new(io::stdout()));
    let selection = Selection { filter: None, stream: None, count: None };
    let mut pipeline = Pipeline::new(&args.view, selection, color, sink);
    pipeline.collector = Some(Collector::default());
    if let Some(writer) = writer {
        pipeline.writer = Some(FrameSink { writer, comments: args.view.comments, all: true });
    }
    for f in &captured.frames {
        pipeline.frame(&f.as_frame())?;
    }
    let (conversations, collector) = pipeline.finish().map_err(crate::app::output_error)?;
    let observed = collector.unwrap_or_default().finish(conversations);

    let mut out = io::stdout().lock();
    let mut all = Vec::new();
    if want_udp {
        all.extend(checks::checks(&observed, Proto::Udp, message, args.runs));
    }
    if want_tcp {
        all.extend(checks::checks(&observed, Proto::Tcp, message, args.runs));
    }
    let (ok_mark, bad_mark, reset) = if color { (format!("{}✓", "\x1b[32m"), format!("{}✗", ansi::RESET_FLAG), ansi::RESET) } else { ("✓".to_string(), "✗".to_string(), "") };
    writeln!(out).map_err(crate::app::output_error)?;
    writeln!(out, "What the lab shows").map_err(crate::app::output_error)?;
    for c in &all {
        writeln!(out, "  {}{reset} {}", if c.ok { &ok_mark } else { &bad_mark }, c.text).map_err(crate::app::output_error)?;
    }
    let failed = all.iter().filter(|c| !c.ok).count();
    writeln!(
        out,
        "{} captured, {} received by filter, {} dropped by kernel; {} of {} checks passed",
        captured.frames.len(),
        captured.stats.received,
        captured.stats.dropped,
        all.len() - failed,
        all.len()
    )
    .map_err(crate::app::output_error)?;
    out.flush().map_err(crate::app::output_error)?;
    if let Some(e) = captured.error {
        return Err(other(e));
    }
    if failed > 0 {
        return Err(other(format!("{failed} lab check(s) failed{}", if client_errors.is_empty() { String::new() } else { format!(": {}", client_errors.join("; ")) })));
    }
    Ok(())
}
