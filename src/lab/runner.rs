//! `wirelab lab`: opens the capture before any traffic, starts the servers, runs
//! the clients, waits for the teardown, then prints the annotated timeline and
//! what the lab shows. Three places to run it: loopback (default, no root needed),
//! two network namespaces (`--two-hosts`), or with a partner's computer
//! (`--server HOST` runs only our client, `--serve` only our server).

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::checks;
use super::netns::{self, TwoHosts, in_netns};
use super::{client, server, show_text};
use crate::app::{Failure, FrameSink, Pipeline, Selection, output_error, register_stop};
use crate::cli::{LabArgs, LabWhich};
use crate::error::AppError;
use crate::present::text::ansi;
use crate::source::live::{self, CaptureError, LiveSource, Next};
use crate::source::write::CaptureWriter;
use crate::source::{Frame, Timestamp};
use crate::track::Proto;
use crate::width::quote_excerpt;

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
        OwnedFrame {
            number: f.number,
            ts: f.ts,
            linktype: f.linktype,
            orig_len: f.orig_len,
            data: f.data.to_vec(),
        }
    }
    /// Borrows it back.
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            number: self.number,
            ts: self.ts,
            linktype: self.linktype,
            orig_len: self.orig_len,
            data: &self.data,
        }
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
            let fix = format!(
                "run `sudo setcap cap_net_raw,cap_net_admin=eip {}` once, or run with sudo",
                exe.display()
            );
            if netns::thread_count() > 1 {
                return Err(other(format!(
                    "lo: no permission to capture ({reason}); {fix}"
                )));
            }
            netns::enter_private_namespace().map_err(|e| {
                other(format!("lo: no permission to capture ({reason}) and no private user namespace either ({e}); {fix}"))
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

/// A capture running on its own thread (inside a network namespace if asked).
struct CaptureThread {
    handle: JoinHandle<Captured>,
    stop: Arc<AtomicBool>,
    seen: Arc<AtomicU64>,
    linktype: u32,
}

impl CaptureThread {
    /// Opens the capture and returns once it is open, so that no frame is missed.
    fn start(iface: String, filter: String, ns: Option<PathBuf>) -> Result<Self, Failure> {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(AtomicU64::new(0));
        let (ready_tx, ready_rx) = mpsc::channel();
        let (t_stop, t_seen) = (Arc::clone(&stop), Arc::clone(&seen));
        let handle = thread::spawn(move || {
            let opened = match &ns {
                Some(p) => netns::enter_netns(p).map_err(|e| CaptureError::Pcap {
                    iface: iface.clone(),
                    reason: e.to_string(),
                }),
                None => Ok(()),
            }
            .and_then(|()| LiveSource::open(&iface, Some(&filter)));
            let mut source = match opened {
                Ok(s) => {
                    let _ = ready_tx.send(Ok(s.linktype()));
                    s
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Captured {
                        frames: Vec::new(),
                        stats: live::Stats::default(),
                        error: None,
                    };
                }
            };
            let mut frames = Vec::new();
            let mut error = None;
            while !t_stop.load(Ordering::Relaxed) {
                match source.next_frame() {
                    Ok(Next::Frame(f)) => {
                        frames.push(OwnedFrame::from_frame(&f));
                        t_seen.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Next::Idle) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            Captured {
                frames,
                stats: source.stats(),
                error,
            }
        });
        let linktype = match ready_rx.recv() {
            Ok(Ok(lt)) => lt,
            Ok(Err(e)) => return Err(other(e)),
            Err(_) => return Err(other("the capture thread failed to start")),
        };
        Ok(CaptureThread {
            handle,
            stop,
            seen,
            linktype,
        })
    }

    /// Waits until the wire has been quiet for 250 ms (at most 3 s), then stops.
    fn finish(self, interrupted: &AtomicBool) -> Result<Captured, Failure> {
        let started = Instant::now();
        let mut last = self.seen.load(Ordering::Relaxed);
        let mut quiet_since = Instant::now();
        while started.elapsed() < Duration::from_secs(3) && !interrupted.load(Ordering::Relaxed) {
            thread::sleep(Duration::from_millis(25));
            let now = self.seen.load(Ordering::Relaxed);
            if now != last {
                last = now;
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() >= Duration::from_millis(250) {
                break;
            }
        }
        self.stop.store(true, Ordering::Relaxed);
        self.handle
            .join()
            .map_err(|_| other("the capture thread failed"))
    }
}

/// Where the lab's programs run.
struct Placement {
    /// The server's address (port 0 until bound).
    server_ip: IpAddr,
    /// Network namespaces of the server and the client (None: this one).
    server_ns: Option<PathBuf>,
    client_ns: Option<PathBuf>,
    capture_ns: Option<PathBuf>,
    iface: String,
    /// Extra capture filter terms (ARP, neighbour discovery).
    extra_filter: Option<&'static str>,
}

/// Runs the lab.
pub fn run(args: &LabArgs, color: bool) -> Result<(), Failure> {
    // First of all: an early Ctrl-C must still clean up and leave a valid file. With
    // namespaces to remove, even a second signal does not end the process before cleanup.
    let stop = register_stop(!args.two_hosts);
    if args.server.is_some() || args.serve {
        return partner(args, color, &stop);
    }
    let mut hosts = None;
    let mut in_private_ns = false;
    let place = if args.two_hosts {
        let h = TwoHosts::create(args.ipv6).map_err(|e| {
            other(format!("--two-hosts needs root to create network namespaces ({e}); run with sudo, or drop --two-hosts"))
        })?;
        let p = Placement {
            server_ip: h.server_ip,
            server_ns: Some(TwoHosts::path(&h.server_ns)),
            client_ns: Some(TwoHosts::path(&h.client_ns)),
            capture_ns: Some(TwoHosts::path(&h.client_ns)),
            iface: h.client_if.clone(),
            extra_filter: Some(if args.ipv6 {
                "(icmp6 and (ip6[40] == 135 or ip6[40] == 136))"
            } else {
                "arp"
            }),
        };
        hosts = Some(h);
        p
    } else {
        in_private_ns = ensure_capture_rights()?;
        Placement {
            server_ip: if args.ipv6 {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            } else {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            },
            server_ns: None,
            client_ns: None,
            capture_ns: None,
            iface: "lo".into(),
            extra_filter: None,
        }
    };
    // `hosts` lives until the end of this function: its Drop removes the namespaces on every exit path.
    let result = run_local(args, color, &place, in_private_ns, &stop);
    drop(hosts);
    result
}

fn run_local(
    args: &LabArgs,
    color: bool,
    place: &Placement,
    in_private_ns: bool,
    stop: &AtomicBool,
) -> Result<(), Failure> {
    let want_udp = args.which != LabWhich::Tcp;
    let want_tcp = args.which != LabWhich::Udp;
    let mut writer = match &args.write {
        Some(p) => Some(CaptureWriter::create(p, live::SNAPLEN as u32).map_err(other)?),
        None => None,
    };
    // Free ports: the servers bind port 0 and keep the sockets, so there is no race.
    let ip = place.server_ip;
    let udp = if want_udp {
        Some(
            in_netns(place.server_ns.clone(), move || {
                UdpSocket::bind(SocketAddr::new(ip, 0))
            })
            .map_err(other)?,
        )
    } else {
        None
    };
    let tcp = if want_tcp {
        Some(
            in_netns(place.server_ns.clone(), move || {
                TcpListener::bind(SocketAddr::new(ip, 0))
            })
            .map_err(other)?,
        )
    } else {
        None
    };
    let udp_addr = udp
        .as_ref()
        .map(|s| s.local_addr())
        .transpose()
        .map_err(other)?;
    let tcp_addr = tcp
        .as_ref()
        .map(|s| s.local_addr())
        .transpose()
        .map_err(other)?;
    let mut parts = Vec::new();
    if let Some(a) = udp_addr {
        parts.push(format!("udp port {}", a.port()));
    }
    if let Some(a) = tcp_addr {
        parts.push(format!("tcp port {}", a.port()));
    }
    parts.extend(place.extra_filter.map(str::to_string));
    let filter = parts.join(" or ");

    // The capture is open (immediate mode) before any traffic, so no SYN is missed.
    let capture = CaptureThread::start(
        place.iface.clone(),
        filter.clone(),
        place.capture_ns.clone(),
    )?;
    live::drop_privileges();
    if let Some(w) = &mut writer {
        // A valid (empty) capture from the start; the frames are added at the end.
        w.ensure_header(capture.linktype).map_err(other)?;
        w.flush().map_err(other)?;
    }

    let mut out = io::stdout().lock();
    let where_ = if in_private_ns {
        " (in a private network namespace: no root needed)".to_string()
    } else if args.two_hosts {
        format!(
            " (the client's side of a veth pair: client {} in namespace {}, server {} in namespace {})",
            place_client_ip(place),
            place
                .client_ns
                .as_deref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            place.server_ip,
            place
                .server_ns
                .as_deref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "wirelab lab: capturing on {}{where_}, filter \"{filter}\"",
        place.iface
    )
    .map_err(output_error)?;

    // The servers.
    let stop_servers = Arc::new(AtomicBool::new(false));
    let mut servers = Vec::new();
    if let Some(sock) = udp {
        let stop_servers = Arc::clone(&stop_servers);
        servers.push(thread::spawn(move || {
            let _ = server::serve_udp(&sock, &stop_servers, &mut io::sink());
        }));
    }
    if let Some(listener) = tcp {
        let stop_servers = Arc::clone(&stop_servers);
        let log: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(Box::new(io::sink())));
        servers.push(thread::spawn(move || {
            let _ = server::serve_tcp(&listener, &stop_servers, log);
        }));
    }
    for (name, a) in [("UDP", udp_addr), ("TCP", tcp_addr)] {
        if let Some(a) = a {
            writeln!(out, "{name} server listening on {a}").map_err(output_error)?;
        }
    }

    // The clients: every UDP run, then every TCP run; each run is a new socket.
    let message = args.message.as_bytes().to_vec();
    let mut client_errors = Vec::new();
    for (proto, addr) in [(Proto::Udp, udp_addr), (Proto::Tcp, tcp_addr)] {
        let Some(addr) = addr else { continue };
        for run in 1..=args.runs {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let m = message.clone();
            let result = in_netns(place.client_ns.clone(), move || match proto {
                Proto::Udp => client::udp_exchange(addr, &m),
                Proto::Tcp => client::tcp_exchange(addr, &m),
            });
            let width = crate::app::layout_width(&args.view);
            report_run(
                &mut out,
                (proto, run),
                &message,
                result,
                &mut client_errors,
                width,
            )?;
        }
    }
    drop(out);
    let linktype = capture.linktype;
    let captured = capture.finish(stop)?;
    stop_servers.store(true, Ordering::Relaxed);
    for s in servers {
        let _ = s.join();
    }
    present(
        args,
        color,
        captured,
        writer,
        linktype,
        &[(want_udp, Proto::Udp), (want_tcp, Proto::Tcp)],
        &message,
        client_errors,
    )
}

fn place_client_ip(place: &Placement) -> String {
    match place.server_ip {
        IpAddr::V4(_) => "10.0.0.1".into(),
        IpAddr::V6(_) => "fd00::1".into(),
    }
}

fn report_run(
    out: &mut impl Write,
    (proto, run): (Proto, u32),
    message: &[u8],
    result: io::Result<(SocketAddr, Vec<u8>)>,
    errors: &mut Vec<String>,
    width: Option<usize>,
) -> Result<(), Failure> {
    let name = if proto == Proto::Udp { "UDP" } else { "TCP" };
    let line = match result {
        Ok((local, reply)) => format!(
            "{name} client run {run}: from {local} sent {}, got back {}\n",
            quote_excerpt(&show_text(message), checks::QUOTE_MAX),
            quote_excerpt(&show_text(&reply), checks::QUOTE_MAX)
        ),
        Err(e) => {
            errors.push(e.to_string());
            format!("{name} client run {run}: {e}\n")
        }
    };
    let line = match width {
        Some(w) => crate::width::wrap_lines(&line, w),
        None => line,
    };
    out.write_all(line.as_bytes()).map_err(output_error)
}

/// Prints the timeline (through the same pipeline as `read`), the conversations and the lab's checks.
#[allow(clippy::too_many_arguments)]
fn present(
    args: &LabArgs,
    color: bool,
    captured: Captured,
    writer: Option<CaptureWriter>,
    linktype: u32,
    protos: &[(bool, Proto)],
    message: &[u8],
    client_errors: Vec<String>,
) -> Result<(), Failure> {
    let mut writer = writer;
    if let Some(wr) = &mut writer {
        wr.ensure_header(linktype).map_err(other)?;
    }
    println!();
    let sink: Box<dyn Write> = Box::new(io::BufWriter::new(io::stdout()));
    let selection = Selection {
        frame: args.view.frame,
        ..Selection::everything()
    };
    let mut pipeline = Pipeline::new(&args.view, selection, color, sink);
    pipeline.collect_payloads();
    if let Some(writer) = writer {
        pipeline.set_writer(FrameSink {
            writer,
            comments: args.view.comments,
            all: true,
        });
    }
    for f in &captured.frames {
        pipeline.frame(&f.as_frame())?;
    }
    let (conversations, collector) = pipeline.finish().map_err(output_error)?;
    let observed = collector.unwrap_or_default().finish(conversations);

    let mut all = Vec::new();
    for &(wanted, proto) in protos {
        if wanted {
            all.extend(checks::checks(&observed, proto, message, args.runs));
        }
    }
    let mut out = io::stdout().lock();
    let colours = if color {
        ("\x1b[32m", ansi::RESET_FLAG, ansi::RESET)
    } else {
        ("", "", "")
    };
    writeln!(out).map_err(output_error)?;
    writeln!(out, "What the lab shows").map_err(output_error)?;
    let width = crate::app::layout_width(&args.view);
    out.write_all(checks::render_lines(&all, width, colours).as_bytes())
        .map_err(output_error)?;
    let failed = all.iter().filter(|c| !c.ok).count();
    let summary = format!(
        "{} packets captured, {} received by filter, {} dropped by kernel; {} of {} checks passed\n",
        captured.frames.len(),
        captured.stats.received,
        captured.stats.dropped,
        all.len() - failed,
        all.len()
    );
    let summary = match width {
        Some(w) => crate::width::wrap_lines(&summary, w),
        None => summary,
    };
    out.write_all(summary.as_bytes()).map_err(output_error)?;
    out.flush().map_err(output_error)?;
    if let Some(e) = captured.error {
        return Err(other(e));
    }
    if failed > 0 {
        let extra = if client_errors.is_empty() {
            String::new()
        } else {
            format!(": {}", client_errors.join("; "))
        };
        return Err(other(format!("{failed} lab check(s) failed{extra}")));
    }
    Ok(())
}

/// The partner's server address: with `--ipv6`, an IPv6 one (an IPv4 address given with
/// `--ipv6` is refused rather than silently used; a name gets its IPv6 address).
fn server_address(host: &str, port: u16, ipv6: bool) -> Result<SocketAddr, Failure> {
    if !ipv6 {
        return client::resolve(host, port).map_err(|e| other(format!("cannot find {host}: {e}")));
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V6(_) => Ok(SocketAddr::new(ip, port)),
            std::net::IpAddr::V4(_) => Err(crate::error::AppError::Usage(format!(
                "--ipv6 with --server {host}: that address is IPv4; give the server's IPv6 address (e.g. --server ::1) or drop --ipv6"
            ))
            .into()),
        };
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| other(format!("cannot find {host}: {e}")))?
        .collect();
    addrs.iter().copied().find(SocketAddr::is_ipv6).ok_or_else(|| {
        other(format!(
            "--ipv6 with --server {host}: {host} has no IPv6 address; drop --ipv6 to use its IPv4 address"
        ))
    })
}

/// The interface whose address the kernel would use to reach `peer` ("lo" for loopback).
fn interface_towards(peer: SocketAddr) -> String {
    let bind: SocketAddr = if peer.is_ipv6() {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    };
    let local = UdpSocket::bind(bind).and_then(|s| {
        s.connect(peer)?;
        s.local_addr()
    });
    let Ok(local) = local else {
        return "any".into();
    };
    if local.ip().is_loopback() {
        return "lo".into();
    }
    match pcap::Device::list() {
        Ok(devices) => devices
            .into_iter()
            .find(|d| d.addresses.iter().any(|a| a.addr == local.ip()))
            .map_or_else(|| "any".into(), |d| d.name),
        Err(_) => "any".into(),
    }
}

/// With a partner's computer: only our client (`--server HOST`) or only our server (`--serve`).
fn partner(args: &LabArgs, color: bool, stop: &AtomicBool) -> Result<(), Failure> {
    let proto = match args.which {
        LabWhich::Udp => Proto::Udp,
        LabWhich::Tcp => Proto::Tcp,
        LabWhich::Both => {
            return Err(other(
                "with --server or --serve, say which: `wirelab lab udp ...` or `wirelab lab tcp ...`",
            ));
        }
    };
    // Parse, then validate, then build: the address is checked before any file is made.
    let server_addr = match &args.server {
        Some(host) => Some(server_address(host, args.port, args.ipv6)?),
        None => None,
    };
    let pname = if proto == Proto::Udp { "udp" } else { "tcp" };
    let filter = format!("{pname} port {}", args.port);
    let writer = match &args.write {
        Some(p) => Some(CaptureWriter::create(p, live::SNAPLEN as u32).map_err(other)?),
        None => None,
    };
    if let Some(addr) = server_addr {
        let iface = args
            .interface
            .clone()
            .unwrap_or_else(|| interface_towards(addr));
        let capture = CaptureThread::start(iface.clone(), filter.clone(), None)?;
        live::drop_privileges();
        let mut out = io::stdout().lock();
        writeln!(
            out,
            "wirelab lab: capturing on {iface}, filter \"{filter}\"; our client talks to {addr}"
        )
        .map_err(output_error)?;
        let mut errors = Vec::new();
        let message = args.message.as_bytes().to_vec();
        for run in 1..=args.runs {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let result = match proto {
                Proto::Udp => client::udp_exchange(addr, &message),
                Proto::Tcp => client::tcp_exchange(addr, &message),
            };
            let width = crate::app::layout_width(&args.view);
            report_run(&mut out, (proto, run), &message, result, &mut errors, width)?;
        }
        drop(out);
        let linktype = capture.linktype;
        let captured = capture.finish(stop)?;
        return present(
            args,
            color,
            captured,
            writer,
            linktype,
            &[(true, proto)],
            &message,
            errors,
        );
    }
    // --serve: our server, and the timeline live, exchange by exchange, until Ctrl-C.
    let iface = args.interface.clone().unwrap_or_else(|| "any".into());
    let bind = if args.ipv6 {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, args.port))
    } else {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, args.port))
    };
    let bind_err = |e: io::Error| {
        other(format!(
            "cannot listen on {bind}: {e}; pick another --port or stop the program using it"
        ))
    };
    let udp = if proto == Proto::Udp {
        Some(UdpSocket::bind(bind).map_err(bind_err)?)
    } else {
        None
    };
    let tcp = if proto == Proto::Tcp {
        Some(TcpListener::bind(bind).map_err(bind_err)?)
    } else {
        None
    };
    let mut source = LiveSource::open(&iface, Some(&filter)).map_err(other)?;
    live::drop_privileges();
    let stop_servers = Arc::new(AtomicBool::new(false));
    let server_thread = {
        let stop_servers = Arc::clone(&stop_servers);
        thread::spawn(move || {
            if let Some(s) = udp {
                let _ = server::serve_udp(&s, &stop_servers, &mut io::sink());
            }
            if let Some(l) = tcp {
                let log: Arc<Mutex<Box<dyn Write + Send>>> =
                    Arc::new(Mutex::new(Box::new(io::sink())));
                let _ = server::serve_tcp(&l, &stop_servers, log);
            }
        })
    };
    eprintln!(
        "wirelab lab: our {} server listens on {bind}; capturing on {iface}, filter \"{filter}\"; Ctrl-C to stop",
        pname.to_uppercase()
    );
    let selection = Selection {
        filter: None,
        stream: None,
        count: args.view.count,
        frame: args.view.frame,
    };
    let sink: Box<dyn Write> = Box::new(io::LineWriter::new(io::stdout()));
    let mut pipeline = Pipeline::new(&args.view, selection, color, sink);
    if let Some(writer) = writer {
        pipeline.set_writer(FrameSink {
            writer,
            comments: args.view.comments,
            all: true,
        });
    }
    let mut failure = None;
    while !stop.load(Ordering::Relaxed) && !pipeline.done() {
        match source.next_frame() {
            Ok(Next::Frame(f)) => {
                if let Err(e) = pipeline.frame(&f) {
                    failure = Some(e);
                    break;
                }
            }
            Ok(Next::Idle) => {
                if let Err(e) = pipeline.flush() {
                    failure = Some(e);
                    break;
                }
            }
            Err(e) => {
                failure = Some(other(e));
                break;
            }
        }
    }
    stop_servers.store(true, Ordering::Relaxed);
    let _ = server_thread.join();
    let stats = source.stats();
    if !matches!(failure, Some(Failure::BrokenPipe)) {
        pipeline.finish().map_err(output_error)?;
    }
    eprintln!(
        "{} packets received by filter\n{} packets dropped by kernel",
        stats.received, stats.dropped
    );
    match failure {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
