//! Command-line types (clap) only: what the user typed, before validation.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// wirelab: capture and explain the socket lab's UDP and TCP traffic.
#[derive(Debug, Parser)]
#[command(name = "wirelab", version, about, long_about = None, after_long_help = EXIT_STATUS)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

/// The exit statuses, as `--help` and the man page list them.
pub const EXIT_STATUS: &str = "Exit status: 0 success (also when no packet was shown: a note says why); \
1 an error (a missing or unreadable file, not a capture, a bad filter, a --stream or --frame \
that matches nothing, a failed lab check, no capture rights); 2 a usage error (options that \
cannot act together) or a capture damaged part-way (after every frame before the damage was \
shown). A closed pipe (`| head`) ends quietly with 0.";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole lab on this machine: capture, server, client, then the annotated timeline and the checks.
    Lab(LabArgs),
    /// Read a saved .pcap or .pcapng capture and print its annotated timeline.
    Read(ReadArgs),
    /// Capture live from an interface and print the annotated timeline as frames arrive.
    Capture(CaptureArgs),
    /// List the interfaces that can be captured on (like `tshark -D`).
    Interfaces,
    /// Run the uppercase server (as the lab's UDPServer.py / TCPServer.py).
    Server(ServerArgs),
    /// Run the uppercase client once (as the lab's UDPClient.py / TCPClient.py).
    Client(ClientArgs),
    /// Check the lab in many captures: one row per file, one column per check; exit 1 if any fails.
    Check(CheckArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(ManArgs),
}

/// `wirelab completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `wirelab man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write wirelab.1 and one page per command (wirelab-read.1, ...) into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Output formats of `wirelab check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormatArg {
    /// A table (✓ ✗ –), then the failures with their sentence and frames.
    Table,
    /// One JSON object per check (with its file).
    Jsonl,
    /// One CSV row per check.
    Csv,
    /// A Markdown table, then the failures.
    Markdown,
}

/// `wirelab check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The capture files (.pcap or .pcapng), read in parallel.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long = "format", short = 'T', value_enum, default_value_t = CheckFormatArg::Table)]
    pub format: CheckFormatArg,
    /// Judge as the lab the conversations whose server port is N (repeatable); without it,
    /// a pcapng file `wirelab lab -w` wrote is judged with its lab's ports and expectations.
    #[arg(long = "lab-port", value_name = "N")]
    pub lab_port: Vec<u16>,
}

/// UDP or TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabProto {
    Udp,
    Tcp,
}

/// Which exchanges `wirelab lab` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabWhich {
    Udp,
    Tcp,
    Both,
}

/// The lab's default port (the seed's servers listen on 8888).
pub const DEFAULT_PORT: u16 = 8888;

/// `wirelab server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// udp or tcp.
    #[arg(value_enum)]
    pub proto: LabProto,
    /// Address to listen on (0.0.0.0 = every IPv4 interface, :: = IPv6).
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: String,
    /// Port to listen on.
    #[arg(long, short = 'p', default_value_t = DEFAULT_PORT)]
    pub port: u16,
}

/// `wirelab client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// udp or tcp.
    #[arg(value_enum)]
    pub proto: LabProto,
    /// The server's host name or address.
    #[arg(long, short = 's', default_value = "127.0.0.1")]
    pub server: String,
    /// The server's port.
    #[arg(long, short = 'p', default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// The sentence to send; asked for on standard input when absent.
    pub message: Option<String>,
}

/// `wirelab capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Interface to capture on (default: the one tcpdump would pick; see `wirelab interfaces`).
    #[arg(short = 'i', long = "interface")]
    pub interface: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Also save the frames to FILE (.pcap, or .pcapng by extension).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// `wirelab lab`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("partner").args(["server", "serve"])))]
pub struct LabArgs {
    /// Which exchanges to run.
    #[arg(value_enum, default_value_t = LabWhich::Both)]
    pub which: LabWhich,
    /// The sentence the client sends.
    #[arg(long, short = 'm', default_value = "hello from the socket lab")]
    pub message: String,
    /// How many client runs (each uses a new ephemeral port).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Save the capture to FILE (.pcap, or .pcapng by extension).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Use IPv6 (::1, or fd00::/8 with --two-hosts) instead of IPv4.
    #[arg(long)]
    pub ipv6: bool,
    /// Run client and server in two network namespaces joined by a veth pair (needs root):
    /// real Ethernet frames, two MAC and two IP addresses, ARP or neighbour discovery first.
    #[arg(long, conflicts_with_all = ["server", "serve"])]
    pub two_hosts: bool,
    /// With a partner's computer: run only our client against this server (udp or tcp, not both).
    #[arg(long, value_name = "HOST", conflicts_with = "serve")]
    pub server: Option<String>,
    /// With a partner's computer: run only our server and annotate every exchange until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
    /// The server's port with --server or --serve.
    #[arg(long, short = 'p', default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Interface to capture on with --server or --serve (default: the one that reaches the
    /// server, or `any` for --serve).
    #[arg(short = 'i', long = "interface", requires = "partner")]
    pub interface: Option<String>,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// `wirelab read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The capture file (.pcap or .pcapng).
    pub file: PathBuf,
    /// Save the frames shown to FILE (.pcap, or .pcapng by extension).
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// Options shared by every command that prints frames.
#[derive(Debug, Args, Clone)]
pub struct ViewArgs {
    /// Output format.
    #[arg(long = "format", short = 'T', value_enum, default_value_t = Format::Timeline)]
    pub format: Format,
    /// Time column: r = seconds since the first frame, d = since the previous shown frame,
    /// ad = absolute date and time (UTC), e = seconds since the epoch (as tshark's -t).
    #[arg(short = 't', long = "time", value_enum, default_value_t = TimeFormat::R)]
    pub time: TimeFormat,
    /// Only frames matching this BPF expression (tcpdump syntax); frame numbers stay those of the file.
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,
    /// Only one conversation: tcp:N or udp:N, numbered as tshark's tcp.stream / udp.stream
    /// (`--view follow` without it follows the first conversation, and says so).
    #[arg(long, value_name = "tcp:N|udp:N")]
    pub stream: Option<String>,
    /// Stop after N frames shown.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Show raw TCP sequence and acknowledgement numbers instead of relative ones.
    #[arg(long)]
    pub absolute_seq: bool,
    /// With -w FILE.pcapng: store each frame's note as a packet comment (opens in Wireshark).
    #[arg(long, requires = "write")]
    pub comments: bool,
    /// The human view: timeline, flow, conversations, follow, detail or report (not with
    /// `--format jsonl`; `--frame` and `--hex` alone mean the detail view).
    #[arg(long = "view", value_enum, value_name = "VIEW")]
    pub view: Option<ViewKind>,
    /// Flow diagram (and report) in plain ASCII instead of Unicode box drawing.
    #[arg(long)]
    pub ascii: bool,
    /// Also write the flow diagram as an SVG image to FILE (with any view).
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Follow: show the payload as a hex dump instead of text (alone: the detail view, whose
    /// frames end in a hex dump, as `tshark -x`).
    #[arg(long)]
    pub hex: bool,
    /// Detail: only frame N (its number in the file; implies `--view detail`); without it
    /// every frame shown is detailed.
    #[arg(long = "frame", value_name = "N")]
    pub frame: Option<u64>,
    /// Judge as the socket lab the conversations whose server port is N (repeatable);
    /// without it, those of the lab's servers in a pcapng file `wirelab lab -w` wrote, or
    /// else those no application protocol (DNS, HTTP, TLS, …) claims that carry a text
    /// request and a reply.
    #[arg(long = "lab-port", value_name = "N")]
    pub lab_port: Vec<u16>,
    /// Report: write the Markdown report to FILE (implies `--view report`).
    #[arg(short = 'o', long = "output", value_name = "FILE.md")]
    pub output: Option<PathBuf>,
    /// On a terminal, show every row in full (as when piped) instead of fitting the
    /// terminal's width.
    #[arg(long, conflicts_with = "width")]
    pub wide: bool,
    /// Lay the views out for N columns (60 to 1000), on a terminal or not (default: the
    /// terminal's width, or `COLUMNS`; full rows when not a terminal).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(60..=1000))]
    pub width: Option<u16>,
}

/// The human views (`--view`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewKind {
    /// The annotated timeline (the default).
    Timeline,
    /// A ladder diagram per conversation: client lane, server lane, one arrow per frame.
    Flow,
    /// A table of conversations, like Wireshark's Statistics → Conversations.
    Conversations,
    /// The payload of one conversation (`--stream tcp:N|udp:N`), as text or `--hex`.
    Follow,
    /// Every header field of a frame (`--frame N`) with its meaning, then a hex dump.
    Detail,
    /// A Markdown lab report (to stdout, or `-o FILE.md`).
    Report,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The annotated timeline, like Wireshark's packet list plus a note per frame.
    Timeline,
    /// One JSON object per frame, then one per conversation.
    Jsonl,
    /// Zeek's conn.log (TSV with Zeek's header lines): one line per connection.
    ConnLog,
}

/// Time column formats (tshark's -t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeFormat {
    /// Seconds since the first frame.
    R,
    /// Seconds since the previous frame shown.
    D,
    /// Absolute date and time (UTC).
    Ad,
    /// Seconds since the Unix epoch.
    E,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}
