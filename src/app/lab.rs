//! `wirelab lab`: opens the capture before any traffic, starts the servers, runs
//! the clients, waits for the teardown, then prints the annotated timeline and
//! what the lab shows. Three places to run it: loopback (default, no root needed),
//! two network namespaces (`--two-hosts`), or with a partner's computer
//! (`--server HOST` runs only our client, `--serve` only our server).

use std::cell::Cell;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::drive::{FrameSource, Step, Until, drive};
use super::{
    Failure, FrameSink, Pipeline, Selection, ViewConfig, output_error, privileges, register_stop,
};
use crate::cli::{Format, LabArgs, LabWhich, ViewKind};
use crate::error::{AppError, LabError};
use crate::lab::netns::{self, TwoHosts, in_netns};
use crate::lab::{client, server};
use crate::source::live::{self, CaptureError, LiveSource, Next};
use crate::source::write::CaptureWriter;
use crate::source::{Comments, Frame, LinkType, Precision, Timestamp};
use crate::text::{Style, escape};
use crate::track::Proto;
use crate::width::quote_excerpt;

/// Frames the capture thread may have handed over and the driver not taken yet. Beyond,
/// the capture thread waits and the kernel's buffer absorbs (or drops, and counts) the
/// rest: a flood to the lab's ports costs at most this many frames of memory.
pub const QUEUED_FRAMES: usize = 256;

/// Bytes of rows held back while the clients run, so that the client lines come first as
/// on every lab run; beyond, rows are written as they come.
pub const HELD_BYTES: usize = 16 << 20;

/// After the last client run, the capture goes on until the wire has been quiet this long
/// (the last ACKs of the teardown) ...
const QUIET: Duration = Duration::from_millis(250);
/// ... but never longer than this.
const LINGER: Duration = Duration::from_secs(3);

/// A frame copied out of libpcap's buffer, on its way from the capture thread to the driver.
#[derive(Debug, Clone)]
pub struct OwnedFrame {
    pub number: u64,
    pub ts: Timestamp,
    pub linktype: LinkType,
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
            comments: Comments::NONE,
        }
    }
}

/// Makes sure this process may capture on loopback: as is, or inside a private
/// user and network namespace. Returns true when a namespace was entered.
pub fn ensure_capture_rights() -> Result<bool, Failure> {
    match LiveSource::open("lo", None) {
        Ok(_) => Ok(false),
        Err(CaptureError::Permission { exe, reason, .. }) => {
            let fix = format!(
                "run `sudo setcap cap_net_raw,cap_net_admin=eip {}` once, or run with sudo",
                crate::text::show_path(&exe)
            );
            if netns::thread_count() > 1 {
                return Err(LabError::NoCaptureRights { reason, fix }.into());
            }
            netns::enter_private_namespace().map_err(|namespace| LabError::NoNamespace {
                reason,
                namespace,
                fix,
            })?;
            LiveSource::open("lo", None)?;
            Ok(true)
        }
        Err(e) => Err(e.into()),
    }
}

/// What the capture thread reports when it ends.
struct CaptureEnd {
    stats: live::Stats,
    error: Option<CaptureError>,
}

/// A capture running on its own thread (inside a network namespace if asked), handing
/// its frames to the driver through a bounded queue as they arrive.
struct CaptureThread {
    handle: JoinHandle<CaptureEnd>,
    stop: Arc<AtomicBool>,
    frames: Receiver<OwnedFrame>,
    linktype: LinkType,
}

impl CaptureThread {
    /// Opens the capture and returns once it is open, so that no frame is missed.
    fn start(iface: String, filter: String, ns: Option<PathBuf>) -> Result<Self, Failure> {
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let (frames_tx, frames) = mpsc::sync_channel(QUEUED_FRAMES);
        let t_stop = Arc::clone(&stop);
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
                    return CaptureEnd {
                        stats: live::Stats::default(),
                        error: None,
                    };
                }
            };
            let mut error = None;
            while !t_stop.load(Ordering::Relaxed) {
                match source.next_frame() {
                    Ok(Next::Frame(f)) => {
                        if frames_tx.send(OwnedFrame::from_frame(&f)).is_err() {
                            break; // the driver is gone
                        }
                    }
                    Ok(Next::Idle) => {}
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            CaptureEnd {
                stats: source.stats(),
                error,
            }
        });
        let linktype = match ready_rx.recv() {
            Ok(Ok(lt)) => lt,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(LabError::Thread("capture").into()),
        };
        Ok(CaptureThread {
            handle,
            stop,
            frames,
            linktype,
        })
    }

    /// Stops the capture and waits for its thread.
    fn join(self) -> Result<CaptureEnd, Failure> {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.frames);
        self.handle
            .join()
            .map_err(|_| LabError::Thread("capture").into())
    }
}

/// The lab's frames for the driver: taken from the capture thread as they arrive, until
/// the clients are done and the wire has been quiet for [`QUIET`] (at most [`LINGER`]), or
/// a signal stops the lab. Then the capture stops and the frames still queued are taken
/// too, so that nothing captured is lost.
struct LabFrames<'a> {
    capture: &'a CaptureThread,
    clients_done: &'a AtomicBool,
    interrupted: &'a AtomicBool,
    current: Option<OwnedFrame>,
    last_frame: Instant,
    done_at: Option<Instant>,
    draining: bool,
}

impl<'a> LabFrames<'a> {
    fn new(
        capture: &'a CaptureThread,
        clients_done: &'a AtomicBool,
        interrupted: &'a AtomicBool,
    ) -> Self {
        LabFrames {
            capture,
            clients_done,
            interrupted,
            current: None,
            last_frame: Instant::now(),
            done_at: None,
            draining: false,
        }
    }

    /// True once the capture should stop.
    fn over(&mut self) -> bool {
        if self.interrupted.load(Ordering::Relaxed) {
            return true;
        }
        if !self.clients_done.load(Ordering::Relaxed) {
            return false;
        }
        let done_at = *self.done_at.get_or_insert_with(Instant::now);
        done_at.elapsed() >= LINGER
            || (done_at.elapsed() >= QUIET && self.last_frame.elapsed() >= QUIET)
    }
}

impl FrameSource for LabFrames<'_> {
    fn step(&mut self) -> Result<Step<'_>, AppError> {
        if !self.draining && self.over() {
            self.draining = true;
            self.capture.stop.store(true, Ordering::Relaxed);
        }
        let next = if self.draining {
            // The capture thread ends within one poll interval; take what it still hands over.
            match self.capture.frames.recv_timeout(Duration::from_secs(2)) {
                Ok(f) => Some(f),
                Err(_) => return Ok(Step::End),
            }
        } else {
            match self.capture.frames.recv_timeout(Duration::from_millis(25)) {
                Ok(f) => Some(f),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(Step::End),
            }
        };
        match next {
            Some(f) => {
                self.last_frame = Instant::now();
                Ok(Step::Frame(self.current.insert(f).as_frame()))
            }
            None => Ok(Step::Idle),
        }
    }
}

/// Holds the views' output back while the clients run (up to [`HELD_BYTES`]), so that
/// their lines come first; once released, or beyond the bound, writes straight through.
struct HoldBack<W: Write> {
    inner: W,
    held: Vec<u8>,
    release: Rc<Cell<bool>>,
}

impl<W: Write> HoldBack<W> {
    fn spill(&mut self) -> io::Result<()> {
        if !self.held.is_empty() {
            self.inner.write_all(&self.held)?;
            self.held = Vec::new();
        }
        Ok(())
    }
}

impl<W: Write> Write for HoldBack<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.release.get() || self.held.len() + buf.len() > HELD_BYTES {
            self.spill()?;
            self.inner.write(buf)
        } else {
            self.held.extend_from_slice(buf);
            Ok(buf.len())
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.release.get() {
            self.spill()?;
            self.inner.flush()
        } else {
            Ok(())
        }
    }
}

impl<W: Write> Drop for HoldBack<W> {
    fn drop(&mut self) {
        // Nothing shown is lost, even on an early return.
        let _ = self.spill();
        let _ = self.inner.flush();
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
    let config = ViewConfig::new(&args.view, color)?;
    if args.server.is_some() || args.serve {
        return partner(args, &config, &stop);
    }
    let mut hosts = None;
    let mut in_private_ns = false;
    let place = if args.two_hosts {
        let h = TwoHosts::create(args.ipv6).map_err(LabError::TwoHosts)?;
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
        if !h.removed_stale.is_empty() {
            eprintln!(
                "wirelab: removed network namespaces left by a run that was killed: {}",
                h.removed_stale.join(", ")
            );
        }
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
    // `hosts` lives until the end of this function: its Drop removes the namespaces on
    // every exit path (and its reaper process does, should this process be killed).
    let result = run_local(args, &config, &place, in_private_ns, &stop);
    drop(hosts);
    result
}

/// True when stdout carries a machine format or the report: the lab's own lines (banner,
/// servers, client runs, checks) then go to stderr.
fn progress_to_stderr(config: &ViewConfig) -> bool {
    config.format == Format::Jsonl || (config.kind == ViewKind::Report && config.output.is_none())
}

/// Where the lab's own lines go (see [`progress_to_stderr`]).
fn progress(config: &ViewConfig) -> Box<dyn Write + Send> {
    if progress_to_stderr(config) {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    }
}

/// Our client runs: on their own thread (inside the client's namespace, entered before
/// root is dropped), started when told, every UDP run then every TCP run, each a new socket.
struct Clients {
    handle: JoinHandle<Vec<String>>,
    go: mpsc::Sender<()>,
    done: Arc<AtomicBool>,
}

impl Clients {
    #[allow(clippy::too_many_arguments)]
    fn start(
        targets: Vec<(Proto, SocketAddr)>,
        runs: u32,
        message: Vec<u8>,
        ns: Option<PathBuf>,
        mut out: Box<dyn Write + Send>,
        stop: Arc<AtomicBool>,
        from_anyone: bool,
        width: Option<usize>,
    ) -> Result<Self, Failure> {
        let (go, go_rx) = mpsc::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let done = Arc::new(AtomicBool::new(false));
        let t_done = Arc::clone(&done);
        let handle = thread::spawn(move || {
            let mut errors = Vec::new();
            let entered = ns.as_deref().map_or(Ok(()), netns::enter_netns);
            let failed = entered.is_err();
            let _ = ready_tx.send(entered);
            if !failed && go_rx.recv().is_ok() {
                'runs: for &(proto, addr) in &targets {
                    for run in 1..=runs {
                        if stop.load(Ordering::Relaxed) {
                            break 'runs;
                        }
                        let result = match proto {
                            // As UDPClient.py: an unconnected socket takes a reply from
                            // any port (recvfrom), and we say where it came from.
                            Proto::Udp if from_anyone => client::udp_exchange_any(addr, &message)
                                .map(|(local, reply, from)| {
                                    if from != addr {
                                        let _ = writeln!(
                                            out,
                                            "UDP client run {run}: the reply came from {from}, not {addr}: recvfrom() takes it anyway"
                                        );
                                    }
                                    (local, reply)
                                }),
                            Proto::Udp => client::udp_exchange(addr, &message),
                            // The lab runs UDP and TCP only.
                            _ => client::tcp_exchange(addr, &message),
                        };
                        let reported = report_run(
                            &mut out,
                            (proto, run),
                            &message,
                            result,
                            &mut errors,
                            width,
                        );
                        if reported.is_err() {
                            break 'runs;
                        }
                    }
                }
            }
            t_done.store(true, Ordering::Relaxed);
            errors
        });
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Clients { handle, go, done }),
            Ok(Err(e)) => Err(LabError::ClientNamespace(e).into()),
            Err(_) => Err(LabError::Thread("client").into()),
        }
    }

    fn join(self) -> Vec<String> {
        drop(self.go);
        self.handle.join().unwrap_or_default()
    }
}

fn run_local(
    args: &LabArgs,
    config: &ViewConfig,
    place: &Placement,
    in_private_ns: bool,
    stop: &Arc<AtomicBool>,
) -> Result<(), Failure> {
    let want_udp = args.which != LabWhich::Tcp;
    let want_tcp = args.which != LabWhich::Udp;
    // Free ports: the servers bind port 0 and keep the sockets, so there is no race.
    let ip = place.server_ip;
    let udp = if want_udp {
        Some(
            in_netns(place.server_ns.clone(), move || {
                UdpSocket::bind(SocketAddr::new(ip, 0))
            })
            .map_err(|source| LabError::ServerSocket {
                proto: "UDP",
                source,
            })?,
        )
    } else {
        None
    };
    let tcp = if want_tcp {
        Some(
            in_netns(place.server_ns.clone(), move || {
                TcpListener::bind(SocketAddr::new(ip, 0))
            })
            .map_err(|source| LabError::ServerSocket {
                proto: "TCP",
                source,
            })?,
        )
    } else {
        None
    };
    let udp_addr = udp
        .as_ref()
        .map(|s| s.local_addr())
        .transpose()
        .map_err(|source| LabError::ServerSocket {
            proto: "UDP",
            source,
        })?;
    let tcp_addr = tcp
        .as_ref()
        .map(|s| s.local_addr())
        .transpose()
        .map_err(|source| LabError::ServerSocket {
            proto: "TCP",
            source,
        })?;
    let mut parts = Vec::new();
    if let Some(a) = udp_addr {
        parts.push(format!("udp port {}", a.port()));
    }
    if let Some(a) = tcp_addr {
        parts.push(format!("tcp port {}", a.port()));
    }
    parts.extend(place.extra_filter.map(str::to_string));
    let filter = parts.join(" or ");

    // The capture is open (immediate mode) before any traffic, so no SYN is missed; the
    // client thread is in its namespace before root is dropped (setns needs root).
    let capture = CaptureThread::start(
        place.iface.clone(),
        filter.clone(),
        place.capture_ns.clone(),
    )?;
    let targets: Vec<(Proto, SocketAddr)> = [(Proto::Udp, udp_addr), (Proto::Tcp, tcp_addr)]
        .into_iter()
        .filter_map(|(p, a)| Some((p, a?)))
        .collect();
    let message = args.message.as_bytes().to_vec();
    let clients = Clients::start(
        targets,
        args.runs,
        message.clone(),
        place.client_ns.clone(),
        progress(config),
        Arc::clone(stop),
        false,
        config.width,
    )?;
    let runs_as = privileges::drop_to_invoking_user()?;
    privileges::announce(runs_as, "capture and namespaces open");

    let mut out = progress(config);
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
    out.flush().map_err(output_error)?;
    let exchanges = Exchanges {
        capture,
        clients,
        servers: Some((stop_servers, servers)),
        protos: vec![(want_udp, Proto::Udp), (want_tcp, Proto::Tcp)],
        ports: [udp_addr, tcp_addr]
            .into_iter()
            .flatten()
            .map(|a| a.port())
            .collect(),
        message,
    };
    exchanges.run(args, config, stop)
}

/// The lab's running parts once everything is started: frames flow from the capture
/// through the pipeline while the clients run, then the conversations and the checks.
struct Exchanges {
    capture: CaptureThread,
    clients: Clients,
    /// Our servers (not in `--server` mode) and what stops them.
    servers: Option<(Arc<AtomicBool>, Vec<JoinHandle<()>>)>,
    protos: Vec<(bool, Proto)>,
    /// The servers' ports: their conversations are the lab runs.
    ports: Vec<u16>,
    message: Vec<u8>,
}

impl Exchanges {
    fn run(self, args: &LabArgs, config: &ViewConfig, stop: &AtomicBool) -> Result<(), Failure> {
        let Exchanges {
            capture,
            clients,
            servers,
            protos,
            ports,
            message,
        } = self;
        let expected = |p: Proto| {
            protos
                .iter()
                .any(|&(w, q)| w && q == p)
                .then_some(args.runs)
        };
        let expect = crate::explain::lab::Expect {
            message: Some(message),
            runs: (expected(Proto::Udp), expected(Proto::Tcp)),
            interrupted_after: None,
        };
        // `-w` is created now, after root was dropped: the file belongs to the user. In
        // pcapng it keeps the lab's settings, for `read` and `check` (saved_lab).
        let writer = match &args.write {
            Some(p) => {
                let comment = super::saved_lab::comment(&ports, &expect);
                let mut w = CaptureWriter::create_with_comments(
                    p,
                    live::SNAPLEN as u32,
                    Precision::Nano,
                    &[comment],
                )?;
                w.ensure_header(capture.linktype)?;
                w.flush()?;
                w.flush_within(super::LIVE_FLUSH);
                Some(w)
            }
            None => None,
        };
        let release = Rc::new(Cell::new(false));
        let sink: Box<dyn Write> = Box::new(HoldBack {
            inner: io::BufWriter::new(io::stdout()),
            held: Vec::new(),
            release: Rc::clone(&release),
        });
        let selection = Selection::everything();
        let mut pipeline = Pipeline::new(config, selection, sink);
        pipeline.set_lab(crate::explain::lab::Scope::Ports(ports), expect);
        if let Some(writer) = writer {
            pipeline.set_writer(FrameSink {
                writer,
                comments: config.comments,
                all: true,
            });
        }
        let (linktype, started) = (capture.linktype, crate::source::Timestamp::now());
        let _ = clients.go.send(());
        let driven = {
            let mut frames = LabFrames::new(&capture, &clients.done, stop);
            drive(&mut frames, &mut pipeline, Until::default())
        };
        privileges::show_thread_uids();
        if let Some((stop_servers, handles)) = servers {
            stop_servers.store(true, Ordering::Relaxed);
            for h in handles {
                let _ = h.join();
            }
        }
        let client_errors = clients.join();
        let end = capture.join()?;
        if let Some(f) = driven.failure {
            return Err(f);
        }
        if !progress_to_stderr(config) {
            let mut out = io::stdout().lock();
            writeln!(out)
                .and_then(|()| out.flush())
                .map_err(output_error)?;
        }
        release.set(true);
        let interrupted = stop.load(Ordering::Relaxed);
        // How the lab stopped, in one place: it marks unfinished runs when interrupted,
        // and ends the `-w` file (pcapng), so that `read` and `check` of it judge alike.
        let lab_end = super::saved_lab::LabEnd {
            frames: driven.frames,
            interrupted,
            linktype,
            start: started,
            end: crate::source::Timestamp::now(),
            received: end.stats.received.into(),
            dropped: end.stats.dropped.into(),
        };
        pipeline.capture_ended(&[super::saved_lab::end_statistics(&lab_end)])?;
        // The view shows the lab model: "What the lab shows", the report's checks, or
        // the JSON Lines check objects.
        let model = pipeline.finish().map_err(output_error)?;
        let failed = model.failed();
        let mut out = progress(config);
        // The human views end with the checks' count already; on stderr it is repeated.
        let count = if progress_to_stderr(config) {
            format!("; {}", crate::present::checks::summary_line(&model))
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} packets captured, {} received by filter, {} dropped by kernel{count}",
            driven.frames, end.stats.received, end.stats.dropped,
        )
        .map_err(output_error)?;
        out.flush().map_err(output_error)?;
        if let Some(e) = end.error {
            return Err(e.into());
        }
        if let Some(e) = driven.error {
            return Err(e.into());
        }
        if interrupted {
            return Err(AppError::Interrupted {
                frames: driven.frames,
            }
            .into());
        }
        if failed > 0 {
            return Err(LabError::ChecksFailed {
                failed,
                client_errors,
            }
            .into());
        }
        Ok(())
    }
}

fn place_client_ip(place: &Placement) -> String {
    match place.server_ip {
        IpAddr::V4(_) => "10.0.0.1".into(),
        IpAddr::V6(_) => "fd00::1".into(),
    }
}

/// One client run's line: what was sent and what came back (long messages quoted by their
/// start and length), wrapped at `width` when given.
fn report_run(
    out: &mut dyn Write,
    (proto, run): (Proto, u32),
    message: &[u8],
    result: io::Result<(SocketAddr, Vec<u8>)>,
    errors: &mut Vec<String>,
    width: Option<usize>,
) -> io::Result<()> {
    let name = if proto == Proto::Udp { "UDP" } else { "TCP" };
    let line = match result {
        Ok((local, reply)) => format!(
            "{name} client run {run}: from {local} sent {}, got back {}\n",
            quote_excerpt(&escape(message, Style::Plain), crate::width::QUOTE_MAX),
            quote_excerpt(&escape(&reply, Style::Plain), crate::width::QUOTE_MAX)
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
    out.write_all(line.as_bytes())
}

/// The partner's server address: with `--ipv6`, an IPv6 one (an IPv4 address given with
/// `--ipv6` is refused rather than silently used; a name gets its IPv6 address).
fn server_address(host: &str, port: u16, ipv6: bool) -> Result<SocketAddr, Failure> {
    let unknown = |source| LabError::UnknownHost {
        host: host.to_string(),
        source,
    };
    if !ipv6 {
        return Ok(client::resolve(host, port).map_err(unknown)?);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match ip {
            IpAddr::V6(_) => Ok(SocketAddr::new(ip, port)),
            IpAddr::V4(_) => Err(AppError::Usage(format!(
                "--ipv6 with --server {host}: that address is IPv4; give the server's IPv6 address (e.g. --server ::1) or drop --ipv6"
            ))
            .into()),
        };
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(unknown)?.collect();
    Ok(addrs
        .iter()
        .copied()
        .find(SocketAddr::is_ipv6)
        .ok_or_else(|| LabError::NoIpv6Address {
            host: host.to_string(),
        })?)
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

/// The capture filter with `--server`: the peer's host and the protocol, plus ICMP from
/// it (port unreachable quotes our datagram).
pub fn partner_filter(proto: Proto, peer: IpAddr) -> String {
    let p = if proto == Proto::Tcp { "tcp" } else { "udp" };
    let icmp = if peer.is_ipv6() { "icmp6" } else { "icmp" };
    format!("host {peer} and ({p} or {icmp})")
}

/// With a partner's computer: only our client (`--server HOST`) or only our server (`--serve`).
fn partner(args: &LabArgs, config: &ViewConfig, stop: &Arc<AtomicBool>) -> Result<(), Failure> {
    let proto = match args.which {
        LabWhich::Udp => Proto::Udp,
        LabWhich::Tcp => Proto::Tcp,
        LabWhich::Both => return Err(LabError::PartnerNeedsProtocol.into()),
    };
    let pname = if proto == Proto::Udp { "udp" } else { "tcp" };
    // With --server, the peer's host and the protocol (not only the server's port), so
    // that a reply from another socket of the server, or ICMP about it, is captured too.
    let filter = format!("{pname} port {}", args.port);
    if let Some(host) = &args.server {
        let addr = server_address(host, args.port, args.ipv6)?;
        let iface = args
            .interface
            .clone()
            .unwrap_or_else(|| interface_towards(addr));
        let filter = partner_filter(proto, addr.ip());
        let capture = CaptureThread::start(iface.clone(), filter.clone(), None)?;
        let message = args.message.as_bytes().to_vec();
        let clients = Clients::start(
            vec![(proto, addr)],
            args.runs,
            message.clone(),
            None,
            progress(config),
            Arc::clone(stop),
            true,
            config.width,
        )?;
        let runs_as = privileges::drop_to_invoking_user()?;
        privileges::announce(runs_as, "capture open");
        let mut out = progress(config);
        writeln!(
            out,
            "wirelab lab: capturing on {iface}, filter \"{filter}\"; our client talks to {addr}"
        )
        .and_then(|()| out.flush())
        .map_err(output_error)?;
        let exchanges = Exchanges {
            capture,
            clients,
            servers: None,
            protos: vec![(true, proto)],
            ports: vec![args.port],
            message,
        };
        return exchanges.run(args, config, stop);
    }
    // --serve: our server, and the timeline live, exchange by exchange, until Ctrl-C.
    let iface = args.interface.clone().unwrap_or_else(|| "any".into());
    let bind = if args.ipv6 {
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, args.port))
    } else {
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, args.port))
    };
    let bind_err = |source: io::Error| LabError::Listen { addr: bind, source };
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
    let mut source = LiveSource::open(&iface, Some(&filter))?;
    let runs_as = privileges::drop_to_invoking_user()?;
    privileges::announce(runs_as, "capture open");
    let writer = match &args.write {
        Some(p) => {
            let mut w = CaptureWriter::create(p, live::SNAPLEN as u32, Precision::Nano)?;
            w.ensure_header(source.linktype())?;
            w.flush()?;
            w.flush_within(super::LIVE_FLUSH);
            Some(w)
        }
        None => None,
    };
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
        count: config.count,
        ..Selection::everything()
    };
    let sink: Box<dyn Write> = Box::new(io::LineWriter::new(io::stdout()));
    let mut pipeline = Pipeline::new(config, selection, sink);
    if let Some(writer) = writer {
        pipeline.set_writer(FrameSink {
            writer,
            comments: config.comments,
            all: true,
        });
    }
    let until = Until {
        signal: Some(stop),
        deadline: None,
    };
    let driven = drive(&mut source, &mut pipeline, until);
    stop_servers.store(true, Ordering::Relaxed);
    let _ = server_thread.join();
    let stats = source.stats();
    if !matches!(driven.failure, Some(Failure::BrokenPipe)) {
        pipeline.finish().map_err(output_error)?;
    }
    eprintln!(
        "{} packets received by filter\n{} packets dropped by kernel",
        stats.received, stats.dropped
    );
    match driven.into_failure() {
        Some(f) => Err(f),
        None => Ok(()),
    }
}
