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

/// Why `wirelab lab` could not run, or what it found wrong.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// No capture rights on loopback, and more than one thread (a private namespace needs one).
    #[error("lo: no permission to capture ({reason}); {fix}")]
    NoCaptureRights { reason: String, fix: String },
    /// No capture rights and no private user namespace either.
    #[error(
        "lo: no permission to capture ({reason}) and no private user namespace either ({namespace}); {fix}"
    )]
    NoNamespace {
        reason: String,
        namespace: std::io::Error,
        fix: String,
    },
    /// `--two-hosts` could not make its namespaces.
    #[error(
        "--two-hosts needs root to create network namespaces ({0}); run with sudo, or drop --two-hosts"
    )]
    TwoHosts(std::io::Error),
    /// A server socket could not be opened.
    #[error("cannot open the lab's {proto} server socket: {source}")]
    ServerSocket {
        proto: &'static str,
        source: std::io::Error,
    },
    /// `--serve` could not listen on its port.
    #[error("cannot listen on {addr}: {source}; pick another --port or stop the program using it")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// `--server HOST` does not resolve.
    #[error("cannot find {host}: {source}")]
    UnknownHost {
        host: String,
        source: std::io::Error,
    },
    /// `--server`/`--serve` with both protocols.
    #[error("with --server or --serve, say which: `wirelab lab udp ...` or `wirelab lab tcp ...`")]
    PartnerNeedsProtocol,
    /// The client thread could not enter the client's namespace.
    #[error("the client cannot enter its namespace: {0}")]
    ClientNamespace(std::io::Error),
    /// One of the lab's threads failed.
    #[error("the lab's {0} thread failed; run again, and report it if it persists")]
    Thread(&'static str),
    /// Some checks failed (the exit status says so; the checks said why).
    #[error("{failed} lab check(s) failed{}", if client_errors.is_empty() { String::new() } else { format!(": {}", client_errors.join("; ")) })]
    ChecksFailed {
        failed: usize,
        client_errors: Vec<String>,
    },
}

/// Root could not be dropped under sudo: wirelab stops rather than go on as root.
#[derive(Debug, thiserror::Error)]
#[error(
    "{why}; wirelab will not go on as root. Run it as your user after `sudo setcap cap_net_raw,cap_net_admin=eip $(command -v wirelab)`, or from a root shell without sudo"
)]
pub struct PrivilegeError {
    /// What failed.
    pub why: String,
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
    #[error(transparent)]
    Capture(#[from] crate::source::live::CaptureError),
    #[error(transparent)]
    Write(#[from] crate::source::write::WriteError),
    #[error(transparent)]
    Lab(#[from] LabError),
    #[error(transparent)]
    Privileges(#[from] PrivilegeError),
    /// The system would not start one more thread.
    #[error(
        "cannot start wirelab's {0} thread (the system is out of threads or memory); `WIRELAB_THREADS=1` reads on one thread"
    )]
    ThreadStart(&'static str),
    /// Anything else, already worded for the user.
    #[error("{0}")]
    Other(String),
}

impl AppError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Source(SourceError::Damaged { .. }) => 2,
            _ => 1,
        }
    }
}
