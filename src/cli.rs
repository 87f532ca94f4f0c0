//! Command-line types (clap) only: what the user typed, before validation.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// wirelab: capture and explain the socket lab's UDP and TCP traffic.
#[derive(Debug, Parser)]
#[command(name = "wirelab", version, about, long_about = None)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a saved .pcap or .pcapng capture and print its annotated timeline.
    Read(ReadArgs),
}

/// `wirelab read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The capture file (.pcap or .pcapng).
    pub file: PathBuf,
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
    /// Only one conversation: tcp:N or udp:N, numbered as tshark's tcp.stream / udp.stream.
    #[arg(long, value_name = "tcp:N|udp:N")]
    pub stream: Option<String>,
    /// Stop after N frames shown.
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Show raw TCP sequence and acknowledgement numbers instead of relative ones.
    #[arg(long)]
    pub absolute_seq: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The annotated timeline, like Wireshark's packet list plus a note per frame.
    Timeline,
    /// One JSON object per frame, then one per conversation.
    Jsonl,
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
