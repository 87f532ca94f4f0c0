//! Turns validated arguments into a pipeline and runs it; the only module that knows all others.
//! Parse, then validate, then build: nothing is read before the arguments are known to be good.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;

use crate::cli::{
    CaptureArgs, Cli, ClientArgs, ColorChoice, Command, LabProto, ReadArgs, ServerArgs,
};
use crate::error::{AppError, StreamSpecError};
use crate::lab::server;
use crate::source::filter::Filter;
use crate::source::live::{self, LiveSource};
use crate::source::write::CaptureWriter;

mod pipeline;
mod threaded;

use crate::source::FileSource;
use crate::track::Proto;
pub use pipeline::{FrameSink, Pipeline, Selection, Unmatched};

/// Runs the program with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(Failure::BrokenPipe) => 0,
        Err(Failure::App(e)) => {
            let _ = io::stdout().flush();
            eprintln!("wirelab: {e}");
            e.exit_code()
        }
    }
}

/// Why a run ended early.
#[derive(Debug)]
pub enum Failure {
    /// The reader of our output went away (`| head`): not an error.
    BrokenPipe,
    /// A real error, to report.
    App(AppError),
}

impl<E: Into<AppError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::App(e.into())
    }
}

/// Maps an output error: a closed pipe ends quietly.
pub fn output_error(e: io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Failure::BrokenPipe
    } else {
        Failure::App(AppError::Output(e))
    }
}

/// Runs parsed arguments.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let color = use_color(cli.color);
    match cli.command {
        Command::Read(args) => {
            validate_view(&args.view)?;
            read(&args, color)
        }
        Command::Capture(args) => {
            validate_view(&args.view)?;
            capture(&args, color)
        }
        Command::Interfaces => interfaces(),
        Command::Server(args) => server(&args),
        Command::Client(args) => client(&args),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(args.dir.as_deref()),
        Command::Lab(args) => {
            validate_view(&args.view)?;
            validate_lab(&args)?;
            crate::lab::runner::run(&args, color)
        }
    }
}

/// The view options that depend on each other's values (clap checks the rest): an option
/// that could not act in this combination is refused, never silently ignored.
pub fn validate_view(v: &crate::cli::ViewArgs) -> Result<(), AppError> {
    use crate::cli::{Format, ViewKind};
    let usage = |s: String| Err(AppError::Usage(s));
    if v.format == Format::Jsonl {
        let human = [
            (v.view.is_some(), "--view"),
            (v.svg.is_some(), "--svg"),
            (v.output.is_some(), "-o/--output"),
            (v.frame.is_some(), "--frame"),
            (v.hex, "--hex"),
            (v.ascii, "--ascii"),
            (v.wide, "--wide"),
            (v.width.is_some(), "--width"),
        ];
        if let Some((_, name)) = human.iter().find(|(given, _)| *given) {
            return usage(format!(
                "{name} shapes a human view, but --format jsonl writes JSON Lines only; drop {name} or --format jsonl"
            ));
        }
        return Ok(());
    }
    let kind = crate::present::choose::kind(v);
    let name = view_name(kind);
    if v.frame.is_some() && kind != ViewKind::Detail {
        return usage(format!(
            "--frame N picks the frame of the detail view, not of the {name} view; drop --view {name}, or use --view detail"
        ));
    }
    if v.hex && !matches!(kind, ViewKind::Follow | ViewKind::Detail) {
        return usage(format!(
            "--hex shows payloads in hex in --view follow (and alone, the detail view), not in the {name} view; use --view follow or --view detail"
        ));
    }
    if v.output.is_some() && kind != ViewKind::Report {
        return usage(format!(
            "-o FILE.md writes the report, not the {name} view; drop --view {name}, or use --view report"
        ));
    }
    if v.ascii && matches!(kind, ViewKind::Timeline | ViewKind::Detail) {
        return usage(format!(
            "--ascii draws the flow, conversations, follow and report views without Unicode; the {name} view has no drawing; drop --ascii or pick one of those views"
        ));
    }
    Ok(())
}

/// `wirelab lab` shows every frame of its own exchanges: `-f` and `--stream` have nothing
/// to choose from, and `-c` only bounds the endless `--serve`.
fn validate_lab(args: &crate::cli::LabArgs) -> Result<(), AppError> {
    let v = &args.view;
    if v.filter.is_some() || v.stream.is_some() {
        return Err(AppError::Usage(
            "wirelab lab shows every frame of its own exchanges: -f and --stream apply to `wirelab read` and `wirelab capture`; save the lab with -w FILE and read it back with them".into(),
        ));
    }
    if v.count.is_some() && !args.serve {
        return Err(AppError::Usage(
            "-c N stops `wirelab lab --serve`, which runs until Ctrl-C; the other lab runs end by themselves (use --runs N for more client runs)".into(),
        ));
    }
    Ok(())
}

/// The view's name as `--view` takes it.
fn view_name(kind: crate::cli::ViewKind) -> &'static str {
    use crate::cli::ViewKind;
    match kind {
        ViewKind::Timeline => "timeline",
        ViewKind::Flow => "flow",
        ViewKind::Conversations => "conversations",
        ViewKind::Follow => "follow",
        ViewKind::Detail => "detail",
        ViewKind::Report => "report",
    }
}

/// Whether to colour stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// The width the views fit, or `None` for rows in full: `--width N` wins; else, when
/// stdout is a terminal and `--wide` is not given, `COLUMNS` (when set to a number) or the
/// terminal's own width; never less than [`crate::width::MIN_COLUMNS`]. Piped or written
/// to a file, rows are full.
pub fn layout_width(view: &crate::cli::ViewArgs) -> Option<usize> {
    if let Some(n) = view.width {
        return Some(usize::from(n));
    }
    if view.wide || !io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(terminal_columns)
        .unwrap_or(80);
    Some(columns.clamp(crate::width::MIN_COLUMNS, crate::width::MAX_COLUMNS))
}

/// The columns of the terminal on stdout (`TIOCGWINSZ`), when it says.
fn terminal_columns() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, which points at one.
    let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (r == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// A validated `--stream`.
///
/// ```
/// use wirelab::app::StreamSpec;
/// use wirelab::track::Proto;
/// let s: StreamSpec = "tcp:3".parse().unwrap();
/// assert_eq!((s.proto, s.index), (Proto::Tcp, 3));
/// assert!("icmp:1".parse::<StreamSpec>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    pub proto: Proto,
    pub index: u64,
}

impl std::str::FromStr for StreamSpec {
    type Err = StreamSpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || StreamSpecError {
            text: s.to_string(),
        };
        let (p, n) = s.split_once(':').ok_or_else(err)?;
        let proto = match p.to_ascii_lowercase().as_str() {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => return Err(err()),
        };
        Ok(StreamSpec {
            proto,
            index: n.trim().parse().map_err(|_| err())?,
        })
    }
}

fn read(args: &ReadArgs, color: bool) -> Result<(), Failure> {
    let stream = args
        .view
        .stream
        .as_deref()
        .map(str::parse::<StreamSpec>)
        .transpose()
        .map_err(|e| AppError::Other(e.to_string()))?;
    let mut source = FileSource::open(&args.file)?;
    let filter = match &args.view.filter {
        Some(expr) => Some(Filter::new(expr, source.linktype().unwrap_or(1))?),
        None => None,
    };
    // Two threads unless a BPF filter is set (libpcap's compiled program is not `Send`)
    // or WIRELAB_THREADS=1 asks for one (to compare, or on a one-core machine).
    let threaded =
        filter.is_none() && std::env::var("WIRELAB_THREADS").map_or(true, |v| v.trim() != "1");
    let selection = Selection {
        filter,
        stream,
        count: args.view.count,
        frame: args.view.frame,
    };
    let out: Box<dyn Write> = Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout().lock()));
    let mut pipeline = Pipeline::new(&args.view, selection, color, out);
    if let Some(path) = &args.write {
        let mut writer =
            CaptureWriter::create(path, 262_144).map_err(|e| AppError::Other(e.to_string()))?;
        // A valid capture even when no frame is shown.
        writer
            .ensure_header(source.linktype().unwrap_or(1))
            .map_err(|e| AppError::Other(e.to_string()))?;
        pipeline.set_writer(FrameSink {
            writer,
            comments: args.view.comments,
            all: false,
        });
    }
    let (damage, unmatched) = if threaded {
        threaded::read(source, pipeline)?
    } else {
        let mut damage = None;
        while !pipeline.done() {
            match source.next_frame() {
                Ok(Some(frame)) => pipeline.frame(&frame)?,
                Ok(None) => break,
                Err(e) => {
                    damage = Some(e);
                    break;
                }
            }
        }
        let unmatched = pipeline.unmatched();
        pipeline.finish().map_err(output_error)?;
        (damage, unmatched)
    };
    match damage {
        Some(e) => Err(e.into()),
        None => report_unmatched(unmatched, "this file"),
    }
}

/// After a run: an error when `--stream` or `--frame` matched nothing (naming what there
/// is), a note on stderr when no packet was shown at all. `what`: "this file", "the capture".
pub fn report_unmatched(unmatched: Option<Unmatched>, what: &str) -> Result<(), Failure> {
    let Some(u) = unmatched else {
        return Ok(());
    };
    if let Some(e) = u.error(what) {
        return Err(e.into());
    }
    if let Some(note) = u.note(what) {
        eprintln!("wirelab: {note}");
    }
    Ok(())
}

/// Registers SIGINT and SIGTERM: the first sets `stop`, a second one ends the process.
pub fn stop_flag() -> Arc<AtomicBool> {
    register_stop(true)
}

/// Registers SIGINT and SIGTERM to set the returned flag; with `second_exits`, a second
/// signal ends the process at once (not wanted while namespaces remain to be removed).
pub fn register_stop(second_exits: bool) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if second_exits {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop));
        }
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    stop
}

/// Writes the completion script for `shell`, generated from the clap definitions.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "wirelab", &mut out);
    let mut stdout = io::stdout().lock();
    stdout.write_all(&out).map_err(output_error)?;
    stdout.flush().map_err(output_error)
}

/// Writes the man page (to stdout, or every command's page into `dir`).
fn man(dir: Option<&std::path::Path>) -> Result<(), Failure> {
    let cmd = <Cli as clap::CommandFactory>::command();
    match dir {
        Some(dir) => {
            clap_mangen::generate_to(cmd, dir).map_err(|e| {
                AppError::Other(format!(
                    "cannot write the man pages into {}: {e}; check that the directory exists and is writable",
                    dir.display()
                ))
            })?;
            eprintln!("wirelab: man pages written to {}", dir.display());
            Ok(())
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .map_err(output_error)?;
            let mut stdout = io::stdout().lock();
            stdout.write_all(&out).map_err(output_error)?;
            stdout.flush().map_err(output_error)
        }
    }
}

fn interfaces() -> Result<(), Failure> {
    let lines = live::list_interfaces().map_err(|e| AppError::Other(e.to_string()))?;
    let mut out = io::stdout().lock();
    for l in lines {
        writeln!(out, "{l}").map_err(output_error)?;
    }
    Ok(())
}

fn capture(args: &CaptureArgs, color: bool) -> Result<(), Failure> {
    // First of all, so that an early Ctrl-C still ends with a valid, flushed file.
    let stop = stop_flag();
    let stream = args
        .view
        .stream
        .as_deref()
        .map(str::parse::<StreamSpec>)
        .transpose()
        .map_err(|e| AppError::Other(e.to_string()))?;
    let iface = match &args.interface {
        Some(i) => i.clone(),
        None => live::default_interface().map_err(|e| AppError::Other(e.to_string()))?,
    };
    let mut writer = match &args.write {
        Some(p) => Some(
            CaptureWriter::create(p, live::SNAPLEN as u32)
                .map_err(|e| AppError::Other(e.to_string()))?,
        ),
        None => None,
    };
    let comments = args.view.comments;
    // Frame by frame for a person at a terminal; in blocks when the output goes to a file or a pipe.
    let immediate = io::stdout().is_terminal();
    let mut source = LiveSource::open_with(&iface, args.view.filter.as_deref(), immediate)
        .map_err(|e| AppError::Other(e.to_string()))?;
    if let Some(uid) = live::drop_privileges() {
        eprintln!("wirelab: capture open on {iface}; now running as user {uid}");
    }
    if let Some(w) = &mut writer {
        w.ensure_header(source.linktype())
            .map_err(|e| AppError::Other(e.to_string()))?;
        w.flush().map_err(|e| AppError::Other(e.to_string()))?;
    }
    eprintln!(
        "wirelab: capturing on {iface}, link type {}; Ctrl-C to stop",
        source.linktype()
    );
    // The kernel already filtered: no second BPF pass here.
    let selection = Selection {
        filter: None,
        stream,
        count: args.view.count,
        frame: args.view.frame,
    };
    let out: Box<dyn Write> = if immediate {
        Box::new(io::LineWriter::new(io::stdout()))
    } else {
        Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout()))
    };
    let mut pipeline = Pipeline::new(&args.view, selection, color, out);
    if let Some(w) = writer.take() {
        pipeline.set_writer(FrameSink {
            writer: w,
            comments,
            all: true,
        });
    }
    let deadline = args
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d.max(0.0)));
    let mut failure: Option<Failure> = None;
    let mut captured = 0u64;
    while !stop.load(Ordering::Relaxed)
        && !pipeline.done()
        && deadline.is_none_or(|d| Instant::now() < d)
    {
        match source.next_frame() {
            Ok(live::Next::Frame(frame)) => {
                captured += 1;
                if let Err(e) = pipeline.frame(&frame) {
                    failure = Some(e);
                    break;
                }
            }
            Ok(live::Next::Idle) => {
                if let Err(e) = pipeline.flush() {
                    failure = Some(e);
                    break;
                }
            }
            Err(e) => {
                failure = Some(AppError::Other(e.to_string()).into());
                break;
            }
        }
    }
    let stats = source.stats();
    if let Some(w) = pipeline.writer_mut()
        && let Err(e) = w.writer.flush()
    {
        failure.get_or_insert(AppError::Other(e.to_string()).into());
    }
    let unmatched = pipeline.unmatched();
    if !matches!(failure, Some(Failure::BrokenPipe))
        && let Err(e) = pipeline.finish().map(|_| ())
    {
        failure.get_or_insert(output_error(e));
    }
    eprintln!(
        "{captured} packets captured\n{} packets received by filter\n{} packets dropped by kernel",
        stats.received, stats.dropped
    );
    match failure {
        Some(f) => Err(f),
        None => report_unmatched(unmatched, "the capture"),
    }
}

fn server(args: &ServerArgs) -> Result<(), Failure> {
    let addr = crate::lab::client::resolve(&args.bind, args.port).map_err(|e| {
        AppError::Other(format!("cannot listen on {}:{}: {e}", args.bind, args.port))
    })?;
    let stop = stop_flag();
    let bind_err = |e: io::Error| {
        AppError::Other(format!(
            "cannot listen on {addr}: {e}; pick another --port or stop the program using it"
        ))
    };
    match args.proto {
        LabProto::Udp => {
            let socket = std::net::UdpSocket::bind(addr).map_err(bind_err)?;
            println!("The server is ready to receive!");
            let mut log: Box<dyn Write + Send> = Box::new(io::stdout());
            server::serve_udp(&socket, &stop, &mut *log)
                .map_err(|e| AppError::Other(e.to_string()))?;
        }
        LabProto::Tcp => {
            let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
            println!("The server is ready to receive");
            let log: Box<dyn Write + Send> = Box::new(io::stdout());
            server::serve_tcp(&listener, &stop, Arc::new(Mutex::new(log)))
                .map_err(|e| AppError::Other(e.to_string()))?;
        }
    }
    Ok(())
}

fn client(args: &ClientArgs) -> Result<(), Failure> {
    let message = match &args.message {
        Some(m) => m.clone(),
        None => {
            print!("Input lowercase sentence: ");
            io::stdout().flush().map_err(output_error)?;
            let mut line = String::new();
            io::stdin()
                .read_line(&mut line)
                .map_err(|e| AppError::Other(format!("cannot read the sentence: {e}")))?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    let addr = crate::lab::client::resolve(&args.server, args.port)
        .map_err(|e| AppError::Other(format!("cannot find {}: {e}", args.server)))?;
    match args.proto {
        LabProto::Udp => {
            let (_, reply) = crate::lab::client::udp_exchange(addr, message.as_bytes())
                .map_err(|e| AppError::Other(e.to_string()))?;
            println!("{}", crate::lab::show_text(&reply));
        }
        LabProto::Tcp => {
            let (_, reply) = crate::lab::client::tcp_exchange(addr, message.as_bytes())
                .map_err(|e| AppError::Other(e.to_string()))?;
            println!("From Server:  {}", crate::lab::show_text(&reply));
        }
    }
    Ok(())
}
