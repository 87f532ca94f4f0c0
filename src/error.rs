//! Typed errors with the context a user needs: path, interface, frame number, byte offset.
//! Each renders as one line that says what went wrong and what to do.

use std::path::PathBuf;

/// Errors while opening or reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file does not exist.
    #[error("{}: no such file; check the path", path.display())]
    NotFound { path: PathBuf },
    /// The file exists but cannot be read.
    #[error("{}: cannot read it ({reason}); check its permissions", path.display())]
    Unreadable { path: PathBuf, reason: String },
    /// A directory was given where a capture file was expected.
    #[error("{}: is a directory; give the path of a .pcap or .pcapng file in it", path.display())]
    IsDirectory { path: PathBuf },
    /// The file is not a pcap or pcapng capture.
    #[error("{}: not a pcap or pcapng capture ({reason}); save it from Wireshark or tcpdump as .pcap or .pcapng", path.display())]
    NotACapture { path: PathBuf, reason: String },
    /// The file is damaged or cut short after some frames were read.
    #[error("{}: damaged at frame {frame}, byte offset {offset}: {reason}; the {} frame(s) before it were shown", path.display(), frame - 1)]
    Damaged {
        path: PathBuf,
        frame: u64,
        offset: u64,
        reason: String,
    },
    /// libpcap failed in another way.
    #[error("{}: {reason}", path.display())]
    Pcap { path: PathBuf, reason: String },
}

/// Errors in a BPF filter expression.
#[derive(Debug, thiserror::Error)]
#[error(
    "bad filter {expr:?}: {reason}; use tcpdump syntax, e.g. 'tcp port 80' or 'udp and host 127.0.0.1'"
)]
pub struct FilterError {
    /// The expression as typed.
    pub expr: String,
    /// libpcap's explanation.
    pub reason: String,
}

/// Errors of the `--stream` argument.
#[derive(Debug, thiserror::Error)]
#[error(
    "bad stream {text:?}: expected tcp:N or udp:N, e.g. tcp:0 (numbered as tshark's tcp.stream)"
)]
pub struct StreamSpecError {
    /// What was typed.
    pub text: String,
}

/// Any error the application reports.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(transparent)]
    Stream(#[from] StreamSpecError),
    /// Writing the output failed (other than a closed pipe).
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// Options that cannot act together (found after parsing, as clap's own are).
    #[error("{0}")]
    Usage(String),
    /// The `--stream` or `--frame` asked for matched nothing; says what there is.
    #[error("{0}")]
    NoMatch(String),
    /// Anything else, already worded for the user.
    #[error("{0}")]
    Other(String),
}

impl AppError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Source(SourceError::Damaged { .. }) => 2,
            AppError::Usage(_) => 2,
            _ => 1,
        }
    }
}
