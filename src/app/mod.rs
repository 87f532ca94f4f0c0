//! Turns validated arguments into a pipeline and runs it; the only module that knows all
//! others: the configuration (`config`), the view builder (`choose`), the one driver loop
//! (`drive`, with the two-thread reader `threaded` as a faster way through a file), the lab
//! runner (`lab`) and the drop of root (`privileges`). Parse, then validate, then build:
//! nothing is read before the arguments are known to be good.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;

use crate::cli::{
    CaptureArgs, Cli, ClientArgs, ColorChoice, Command, LabProto, ReadArgs, ServerArgs,
};
use crate::error::AppError;
use crate::lab::server;
use crate::source::file::MAX_CAPLEN;
use crate::source::filter::Filter;
use crate::source::live::{self, LiveSource};
use crate::source::write::{CaptureWriter, OutFormat};
use crate::source::{LinkType, Precision};

mod check;
mod choose;
mod config;
mod drive;
pub mod lab;
mod pipeline;
mod privileges;
mod saved_lab;
mod threaded;

use crate::source::FileSource;
pub use config::layout_width;
pub use config::{StreamSpec, ViewConfig};
pub use pipeline::{FrameSink, Pipeline, Selection, Unmatched};

/// Runs the program with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => 0,
        Err(Failure::BrokenPipe) => 0,
        Err(Failure::App(e)) => {
            let _ = io::stdout().flush();
            eprintln!("wirelab: {}", crate::text::one_line(&e.to_string()));
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
        Command::Read(args) => read(&args, color),
        Command::Capture(args) => capture(&args, color),
        Command::Interfaces => interfaces(),
        Command::Server(args) => server(&args),
        Command::Client(args) => client(&args),
        Command::Lab(args) => {
            validate_lab(&args)?;
            lab::run(&args, color)
        }
        Command::Check(args) => check::run(&args),
        Command::Completions(args) => completions(args.shell),
        Command::Man(args) => man(args.dir.as_deref()),
    }
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
    if !v.lab_port.is_empty() {
        return Err(AppError::Usage(
            "wirelab lab judges the runs it makes itself: --lab-port picks the lab's conversations in `wirelab read`, `wirelab capture` and `wirelab check`".into(),
        ));
    }
    if v.count.is_some() && !args.serve {
        return Err(AppError::Usage(
            "-c N stops `wirelab lab --serve`, which runs until Ctrl-C; the other lab runs end by themselves (use --runs N for more client runs)".into(),
        ));
    }
    Ok(())
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
            clap_mangen::generate_to(cmd, dir).map_err(|source| AppError::ManPages {
                dir: dir.to_path_buf(),
                source,
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

fn read(args: &ReadArgs, color: bool) -> Result<(), Failure> {
    let config = ViewConfig::new(&args.view, color)?;
    let mut source = FileSource::open(&args.file)?;
    let outputs = [
        (args.write.as_deref(), "-w"),
        (args.view.output.as_deref(), "-o"),
        (args.view.svg.as_deref(), "--svg"),
    ];
    for (path, option) in outputs {
        if let Some(path) = path {
            refuse_the_input(&source, path, option)?;
        }
    }
    // The file is open: under sudo, parse it as the invoking user, not as root.
    let runs_as = privileges::drop_to_invoking_user()?;
    privileges::announce(runs_as, "capture file open");
    let filter = match &args.view.filter {
        Some(expr) => Some(Filter::new(expr, source.linktype())?),
        None => None,
    };
    // Two threads unless a BPF filter is set (libpcap's compiled program is not `Send`)
    // or WIRELAB_THREADS=1 asks for one (to compare, or on a one-core machine).
    let threaded =
        filter.is_none() && std::env::var("WIRELAB_THREADS").map_or(true, |v| v.trim() != "1");
    let selection = Selection {
        filter,
        stream: config.stream,
        count: config.count,
        frame: config.frame,
    };
    let out: Box<dyn Write> = Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout().lock()));
    let mut pipeline = Pipeline::new(&config, selection, out);
    // A file `wirelab lab -w` wrote: its lab's scope and expectations (unless --lab-port).
    if config.lab_ports.is_empty()
        && let Some((scope, expect)) = saved_lab::read(source.section_comments())
    {
        pipeline.set_lab(scope, expect);
    }
    if let Some(path) = &args.write {
        let writer = save_to(
            path,
            args.view.comments,
            source.precision(),
            source.linktype(),
            source.section_comments(),
        )?;
        pipeline.set_writer(FrameSink {
            writer,
            comments: args.view.comments,
            all: false,
        });
    }
    let (damage, unmatched): (Option<AppError>, _) = if threaded {
        let (damage, unmatched) = threaded::read(source, pipeline)?;
        (damage.map(AppError::from), unmatched)
    } else {
        let driven = drive::drive(&mut source, &mut pipeline, drive::Until::default());
        if let Some(f) = driven.failure {
            return Err(f);
        }
        // How the capture ended (a lab interrupted): for the checks and the -w copy.
        pipeline.capture_ended(source.statistics())?;
        let unmatched = pipeline.unmatched();
        pipeline.finish().map_err(output_error)?;
        (driven.error, unmatched)
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

/// Refuses an output `path` (given with `option`) that is the capture being read: the
/// same file (device and inode), however it is named. Checked before anything is created.
fn refuse_the_input(
    source: &FileSource,
    path: &std::path::Path,
    option: &'static str,
) -> Result<(), AppError> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) if (m.dev(), m.ino()) == source.identity() => Err(AppError::OutputIsInput {
            path: path.to_path_buf(),
            option,
        }),
        _ => Ok(()),
    }
}

/// Creates the `-w` file: times at `precision`, its header written at once when the link
/// type is known (a valid capture even if no frame comes), `--comments` only in pcapng;
/// `section_comments`: the input's own (a file `lab -w` wrote keeps the lab's settings).
fn save_to(
    path: &std::path::Path,
    comments: bool,
    precision: Precision,
    linktype: Option<LinkType>,
    section_comments: &[String],
) -> Result<CaptureWriter, AppError> {
    if comments && OutFormat::for_path(path) != OutFormat::PcapNg {
        return Err(AppError::CommentsNeedPcapng {
            path: path.to_path_buf(),
        });
    }
    let mut writer =
        CaptureWriter::create_with_comments(path, MAX_CAPLEN, precision, section_comments)?;
    if let Some(linktype) = linktype {
        writer.ensure_header(linktype)?;
    }
    Ok(writer)
}

/// Registers SIGINT, SIGTERM and SIGHUP: the first sets `stop`, a second one ends the process.
pub fn stop_flag() -> Arc<AtomicBool> {
    register_stop(true)
}

/// Registers SIGINT, SIGTERM and SIGHUP (a closed terminal) to set the returned flag: the
/// run then ends as after Ctrl-C, with its files complete and its namespaces removed. With
/// `second_exits`, a second signal ends the process at once (not wanted while namespaces
/// remain to be removed).
pub fn register_stop(second_exits: bool) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if second_exits {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, Arc::clone(&stop));
        }
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    stop
}

fn interfaces() -> Result<(), Failure> {
    let lines = live::list_interfaces().map_err(AppError::from)?;
    let mut out = io::stdout().lock();
    for l in lines {
        writeln!(out, "{l}").map_err(output_error)?;
    }
    Ok(())
}

/// How often a live capture's `-w` file gets the frames that arrived (what a capture killed
/// at any moment, even by SIGKILL, may lose at most).
pub(crate) const LIVE_FLUSH: Duration = Duration::from_millis(10);

fn capture(args: &CaptureArgs, color: bool) -> Result<(), Failure> {
    // First of all, so that an early Ctrl-C still ends with a valid, flushed file.
    let stop = stop_flag();
    let config = ViewConfig::new(&args.view, color)?;
    let iface = match &args.interface {
        Some(i) => live::resolve_interface(i).map_err(AppError::from)?,
        None => live::default_interface().map_err(AppError::from)?,
    };
    if args.view.comments
        && let Some(path) = &args.write
        && OutFormat::for_path(path) != OutFormat::PcapNg
    {
        return Err(AppError::CommentsNeedPcapng { path: path.clone() }.into());
    }
    let comments = args.view.comments;
    // Frame by frame for a person at a terminal; in blocks when the output goes to a file or a pipe.
    let immediate = io::stdout().is_terminal();
    let mut source = LiveSource::open_with(&iface, args.view.filter.as_deref(), immediate)
        .map_err(AppError::from)?;
    let runs_as = privileges::drop_to_invoking_user()?;
    privileges::announce(runs_as, &format!("capture open on {iface}"));
    // Created after the drop (as tcpdump does): the file belongs to the user. Frames reach
    // it as they arrive (see LIVE_FLUSH).
    let writer = match &args.write {
        Some(p) => {
            let mut w = save_to(p, comments, Precision::Nano, Some(source.linktype()), &[])?;
            w.flush().map_err(AppError::from)?;
            w.flush_within(LIVE_FLUSH);
            Some(w)
        }
        None => None,
    };
    eprintln!(
        "wirelab: capturing on {iface}, link-type {}, snapshot length {} bytes; Ctrl-C to stop",
        source.linktype().tcpdump_name(),
        live::SNAPLEN
    );
    // The kernel already filtered: no second BPF pass here.
    let selection = Selection {
        filter: None,
        stream: config.stream,
        count: config.count,
        frame: config.frame,
    };
    let out: Box<dyn Write> = if immediate {
        Box::new(io::LineWriter::new(io::stdout()))
    } else {
        Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout()))
    };
    let mut pipeline = Pipeline::new(&config, selection, out);
    if let Some(w) = writer {
        pipeline.set_writer(FrameSink {
            writer: w,
            comments,
            all: true,
        });
    }
    let deadline = args
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d.max(0.0)));
    let until = drive::Until {
        signal: Some(&stop),
        deadline,
    };
    let driven = drive::drive(&mut source, &mut pipeline, until);
    let captured = driven.frames;
    let mut failure = driven.into_failure();
    let stats = source.stats();
    if let Some(w) = pipeline.writer_mut()
        && let Err(e) = w.writer.flush()
    {
        failure.get_or_insert(AppError::from(e).into());
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
    if source.is_loopback() {
        eprintln!("{LOOPBACK_NOTE}");
    }
    match failure {
        Some(f) => Err(f),
        None => report_unmatched(unmatched, "the capture"),
    }
}

/// Why loopback figures look odd, in one line.
pub const LOOPBACK_NOTE: &str = "(loopback: the kernel counts each packet twice, as sent and as received, and only one copy is captured; checksums are left to an offload that never happens on loopback, so tshark shows them unverified and the detail view says not computed)";

fn server(args: &ServerArgs) -> Result<(), Failure> {
    let addr =
        crate::lab::client::resolve(&args.bind, args.port).map_err(|reason| AppError::Listen {
            addr: format!("{}:{}", args.bind, args.port),
            reason,
            advice: "give --bind an address of this host, or 0.0.0.0 for all of them",
        })?;
    let stop = stop_flag();
    let bind_err = |reason: io::Error| {
        let advice = match reason.kind() {
            io::ErrorKind::AddrNotAvailable => {
                "the address is not available on this host: give --bind one of its addresses (ip -brief address), or 0.0.0.0 for all of them"
            }
            io::ErrorKind::AddrInUse => "pick another --port or stop the program using it",
            io::ErrorKind::PermissionDenied => {
                "ports below 1024 need root: pick a --port of 1024 or more"
            }
            _ => "check --bind and --port",
        };
        AppError::Listen {
            addr: addr.to_string(),
            reason,
            advice,
        }
    };
    match args.proto {
        LabProto::Udp => {
            let socket = std::net::UdpSocket::bind(addr).map_err(bind_err)?;
            println!("The server is ready to receive!");
            let mut log: Box<dyn Write + Send> = Box::new(io::stdout());
            server::serve_udp(&socket, &stop, &mut *log).map_err(AppError::Server)?;
        }
        LabProto::Tcp => {
            let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
            println!("The server is ready to receive");
            let log: Box<dyn Write + Send> = Box::new(io::stdout());
            server::serve_tcp(&listener, &stop, Arc::new(Mutex::new(log)))
                .map_err(AppError::Server)?;
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
            io::stdin().read_line(&mut line).map_err(AppError::Stdin)?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    let addr = crate::lab::client::resolve(&args.server, args.port)
        .map_err(|source| crate::error::LabError::UnknownHost {
            host: args.server.clone(),
            source,
        })
        .map_err(AppError::from)?;
    match args.proto {
        LabProto::Udp => {
            let (_, reply) = crate::lab::client::udp_exchange(addr, message.as_bytes())
                .map_err(AppError::Client)?;
            println!("{}", crate::text::escape(&reply, crate::text::Style::Plain));
        }
        LabProto::Tcp => {
            let (_, reply) = crate::lab::client::tcp_exchange(addr, message.as_bytes())
                .map_err(AppError::Client)?;
            println!(
                "From Server:  {}",
                crate::text::escape(&reply, crate::text::Style::Plain)
            );
        }
    }
    Ok(())
}
