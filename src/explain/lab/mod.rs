//! The lab model: tracked conversations → lab runs → checks, computed once. A run is one
//! client socket with its request and the reply matched to it (also from another socket
//! of the server, or to another port of the client), the handshake and teardown facts of
//! `track`, and what went wrong. Each check has a stable id, a result (pass, fail, skip),
//! the frames that show it and one sentence. Every output renders this model; none
//! judges the lab again. Pure: no I/O.

pub mod checks;
pub mod claim;
pub mod observe;
pub mod upper;

pub use checks::{Check, CheckId, Outcome, build};
pub use observe::{Observer, Part, Words};
pub use upper::Comparison;

use crate::source::Timestamp;
use crate::track::{Direction, Endpoint, Proto};

/// Which conversations are lab runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Those whose server port is one of these (the lab's own servers, `--lab-port N`).
    Ports(Vec<u16>),
    /// Those no application protocol claims that carry a text request and a reply
    /// (or an ICMP error for it).
    Auto,
}

/// What the lab expected (known only when `wirelab lab` ran it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    /// The message the client sent.
    pub message: Option<Vec<u8>>,
    /// Runs per protocol: (UDP, TCP).
    pub runs: (Option<u32>, Option<u32>),
    /// The lab was interrupted after this many frames.
    pub interrupted_after: Option<u64>,
}

/// A message as captured: its length, first bytes and frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Bytes in all.
    pub len: u64,
    /// The first [`upper::PREFIX`] bytes.
    pub prefix: Vec<u8>,
    /// First and last frame carrying it.
    pub frames: (u64, u64),
    /// Hash of all its bytes (to compare with what was sent, without keeping it).
    pub hash: upper::Fnv,
}

/// The reply matched to a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply's bytes.
    pub message: Message,
    /// Where it came from and where it went (the server's port and the client's, when right).
    pub from: Endpoint,
    pub to: Endpoint,
    /// The conversation (stream) that carried it.
    pub stream: u64,
}

/// An ICMP port unreachable error for a run's datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    /// The ICMP frame.
    pub frame: u64,
    /// For the reply (sent to a port where nothing listens), not the request.
    pub for_reply: bool,
    /// The port nothing listens on.
    pub port: u16,
    /// The endpoint the quoted datagram went to.
    pub to: Endpoint,
}

/// TCP facts of a run (from `track`), and the frames that show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpRun {
    pub handshake_complete: bool,
    /// SYNs the client sent.
    pub syns: u32,
    /// The first and the last SYN the client sent (its retransmissions between).
    pub syn_frame: Option<u64>,
    pub last_syn_frame: Option<u64>,
    pub synack_frame: Option<u64>,
    pub ack_frame: Option<u64>,
    /// The SYN was answered by RST.
    pub refused: bool,
    pub teardown_complete: bool,
    pub first_fin_by: Option<Direction>,
    /// First FIN frame from (client, server).
    pub fin_frames: [Option<u64>; 2],
    /// First RST frame and its sender.
    pub rst: Option<u64>,
    pub rst_by: Option<Direction>,
    /// Bytes are missing from the capture (or held out of order past the bound).
    pub gap: bool,
}

impl TcpRun {
    /// The client sent SYNs and nothing came back: no SYN-ACK, no RST.
    pub fn never_answered(&self) -> bool {
        self.syns > 0
            && self.synack_frame.is_none()
            && !self.refused
            && self.rst_by != Some(Direction::FromServer)
    }
}

/// One lab run: one client socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub proto: Proto,
    /// 1, 2, … per protocol, as the terminal numbers them.
    pub number: u32,
    pub stream: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    /// What the client sent (None: no data).
    pub request: Option<Message>,
    /// The request is UTF-8 text (the seed server's `decode()` accepts it).
    pub request_text: bool,
    pub reply: Option<Reply>,
    /// How the reply compares with the request.
    pub judged: Option<Comparison>,
    pub icmp: Option<Icmp>,
    pub tcp: Option<TcpRun>,
    /// Request/reply turns after the first exchange (not judged).
    pub extra_turns: u32,
    pub first_frame: u64,
    pub last_frame: u64,
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Run {
    /// True when the run got to its end in the capture (a reply or an error; for TCP,
    /// the connection closed or was refused).
    pub fn finished(&self) -> bool {
        match &self.tcp {
            Some(t) => t.refused || t.rst.is_some() || t.teardown_complete,
            None => self.reply.is_some() || self.icmp.is_some(),
        }
    }

    /// A few words for the conversation's verdict, e.g. "lab run 1: each the request in uppercase".
    pub fn verdict_words(&self) -> String {
        if let Some(t) = self.tcp.as_ref().filter(|t| t.refused) {
            let _ = t;
            return format!(
                "lab run {}: refused, nothing listens on TCP port {}",
                self.number, self.server.port
            );
        }
        if let Some(t) = self.tcp.as_ref().filter(|t| t.never_answered()) {
            return format!(
                "lab run {}: the SYN was never answered ({} sent)",
                self.number, t.syns
            );
        }
        let what = match (&self.reply, self.judged, self.icmp) {
            (_, _, Some(i)) if !i.for_reply => format!(
                "no server: ICMP port unreachable for port {} (frame {})",
                i.port, i.frame
            ),
            (None, _, _) => "no reply".to_string(),
            (Some(r), j, icmp) => {
                let mut s = match j {
                    Some(Comparison::Uppercase) => "the reply is the request in uppercase".into(),
                    Some(Comparison::Unchanged) => "the reply is the request unchanged".into(),
                    Some(Comparison::Partial { of }) => format!(
                        "the reply is the uppercase of the first {of} of {} bytes",
                        self.request.as_ref().map_or(0, |m| m.len)
                    ),
                    _ => "the reply is not the uppercase of the request".into(),
                };
                if r.from.port != self.server.port {
                    s.push_str(&format!(
                        ", sent from a new socket (port {}, {}:{})",
                        r.from.port,
                        proto_lower(self.proto),
                        r.stream
                    ));
                }
                if r.to != self.client {
                    s.push_str(&format!(
                        ", sent to port {} instead of {}",
                        r.to.port, self.client.port
                    ));
                }
                if let Some(i) = icmp.filter(|i| i.for_reply) {
                    s.push_str(&format!(
                        ", answered by ICMP port unreachable (frame {})",
                        i.frame
                    ));
                }
                s
            }
        };
        format!("lab run {}: {what}", self.number)
    }
}

/// "udp" or "tcp" (lab runs are one or the other): [`Proto::lower`].
pub fn proto_lower(p: Proto) -> &'static str {
    p.lower()
}

/// "UDP" or "TCP": [`Proto::upper`].
pub fn proto_upper(p: Proto) -> &'static str {
    p.upper()
}

/// The lab's runs and checks: what every output renders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabModel {
    /// The runs, UDP first, each protocol's in order.
    pub runs: Vec<Run>,
    /// The checks, in the order they are shown.
    pub checks: Vec<Check>,
    /// The lab was interrupted after this many frames.
    pub interrupted_after: Option<u64>,
    /// Conversations not followed (beyond [`observe::MAX_FOLLOWED`]).
    pub not_followed: u64,
}

impl LabModel {
    /// True when there is something to show.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Checks that failed.
    pub fn failed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.result == Outcome::Fail)
            .count()
    }

    /// Checks that passed.
    pub fn passed(&self) -> usize {
        self.checks
            .iter()
            .filter(|c| c.result == Outcome::Pass)
            .count()
    }

    /// The run a conversation is, if any.
    pub fn run_of(&self, proto: Proto, stream: u64) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| r.proto == proto && r.stream == stream)
    }
}
