//! Typed errors with the context a user needs: path, interface, frame number, byte offset.
//! Each renders as one line that says what went wrong and what to do.

use std::path::PathBuf;

use crate::text::show_path;

/// Errors while opening or reading a capture file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file does not exist.
    #[error("{}: no such file; check the path", show_path(path))]
    NotFound { path: PathBuf },
    /// The file exists but cannot be read.
    #[error(
        "{}: cannot read it ({reason}); check its permissions",
        show_path(path)
    )]
    Unreadable { path: PathBuf, reason: String },
    /// A directory was given where a capture file was expected.
    #[error(
        "{}: is a directory; give the path of a .pcap or .pcapng file in it",
        show_path(path)
    )]
    IsDirectory { path: PathBuf },
    /// The file is not a pcap or pcapng capture.
    #[error(
        "{}: not a pcap or pcapng capture ({reason}); save it from Wireshark or tcpdump as .pcap or .pcapng",
        show_path(path)
    )]
    NotACapture { path: PathBuf, reason: String },
    /// The file is damaged or cut short after some frames were read.
    #[error("{}: damaged at frame {frame}, byte offset {offset}: {reason}; the {} frame(s) before it were shown", show_path(path), frame - 1)]
    Damaged {
        path: PathBuf,
        frame: u64,
        offset: u64,
        reason: String,
    },
    /// libpcap failed in another way.
    #[error("{}: {reason}", show_path(path))]
    Pcap { path: PathBuf, reason: String },
    /// `read -` with a terminal, not a capture, on standard input.
    #[error(
        "standard input is a terminal, not a capture; pipe one into it, e.g. tcpdump -w - | wirelab read -"
    )]
    Terminal,
}

/// Errors in a BPF filter expression.
#[derive(Debug, thiserror::Error)]
#[error("bad filter {expr:?}: {}", self.advice())]
pub struct FilterError {
    /// The expression as typed.
    pub expr: String,
    /// libpcap's explanation.
    pub reason: String,
}

impl FilterError {
    /// The error libpcap gave for `expr`.
    pub fn new(expr: &str, reason: String) -> Self {
        FilterError {
            expr: expr.to_string(),
            reason,
        }
    }

    /// What to do: a display filter is named as such (libpcap's reason would mislead).
    fn advice(&self) -> String {
        if crate::source::filter::looks_like_display_filter(&self.expr) {
            "this is a Wireshark display filter; -f takes tcpdump/BPF syntax, e.g. 'tcp port 80'"
                .to_string()
        } else {
            format!(
                "{}; use tcpdump syntax, e.g. 'tcp port 80' or 'udp and host 127.0.0.1'",
                self.reason
            )
        }
    }
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
    #[error(transparent)]
    Capture(#[from] crate::source::live::CaptureError),
    #[error(transparent)]
    Write(#[from] crate::source::write::WriteError),
    /// An output file (`-w`, `-o`, `--svg`) is the capture being read.
    #[error(
        "{}: is the capture being read; {option} would overwrite it: give another file",
        show_path(path)
    )]
    OutputIsInput {
        /// The output path as given.
        path: PathBuf,
        /// The option that named it.
        option: &'static str,
    },
    /// `--comments` with an output that cannot hold comments.
    #[error(
        "{}: --comments stores each note as a pcapng packet comment, which a .pcap file cannot hold; write to a .pcapng file",
        show_path(path)
    )]
    CommentsNeedPcapng {
        /// The `-w` file.
        path: PathBuf,
    },
    /// The reading thread cannot be started.
    #[error("cannot start the reading thread ({0}); set WIRELAB_THREADS=1 to read on one thread")]
    Thread(std::io::Error),
    /// A server cannot listen on the address asked for.
    #[error("cannot listen on {addr}: {reason}; {advice}")]
    Listen {
        /// The address and port.
        addr: String,
        /// What the system said.
        reason: std::io::Error,
        /// What to do about it.
        advice: &'static str,
    },
    /// Writing the output failed (other than a closed pipe).
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    #[error(transparent)]
    Lab(#[from] LabError),
    #[error(transparent)]
    Privileges(#[from] PrivilegeError),
    /// The system would not start one more thread.
    #[error(
        "cannot start wirelab's {0} thread (the system is out of threads or memory); `WIRELAB_THREADS=1` reads on one thread"
    )]
    ThreadStart(&'static str),
    /// The uppercase server stopped on an error of its socket.
    #[error("the server stopped: {0}; start it again")]
    Server(std::io::Error),
    /// The client's exchange failed (the client words the cause and the fix).
    #[error("{0}")]
    Client(std::io::Error),
    /// The client could not read its sentence.
    #[error("cannot read the sentence from standard input ({0}); give it as an argument instead")]
    Stdin(std::io::Error),
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
