//! The lab's checks, computed once from the runs: a stable id, pass/fail/skip (skip: an
//! earlier step failed, or the capture ended first), the frames that show it, and one
//! sentence in a student's words.

use super::upper::{Comparison, PREFIX};
use super::{Expect, LabModel, Message, Run, proto_upper};
use crate::text::write_quoted;
use crate::track::{Direction, Endpoint, Proto};

/// The checks' ids: an interface (JSON Lines, `wirelab check`), documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    /// The client runs captured (per protocol, run 0).
    Runs,
    /// TCP: the three-way handshake.
    Handshake,
    /// The client's request.
    Request,
    /// A reply came back.
    Reply,
    /// The reply came from the server's IP and port to the client's IP and port.
    ReplyEndpoint,
    /// The reply is the request in uppercase.
    ReplyUppercase,
    /// A run after the first used a new ephemeral port.
    NewPort,
    /// TCP: the teardown (FINs, each acknowledged).
    Teardown,
}

impl CheckId {
    /// Every id, in the order a run's checks are shown.
    pub const ALL: [CheckId; 8] = [
        CheckId::Runs,
        CheckId::Handshake,
        CheckId::Request,
        CheckId::Reply,
        CheckId::ReplyEndpoint,
        CheckId::ReplyUppercase,
        CheckId::NewPort,
        CheckId::Teardown,
    ];

    /// The id as written in JSON Lines and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::Runs => "runs",
            CheckId::Handshake => "handshake",
            CheckId::Request => "request",
            CheckId::Reply => "reply",
            CheckId::ReplyEndpoint => "reply_endpoint",
            CheckId::ReplyUppercase => "reply_uppercase",
            CheckId::NewPort => "new_port",
            CheckId::Teardown => "teardown",
        }
    }
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// Cannot be judged: an earlier step failed, or the capture ended first.
    Skip,
}

impl Outcome {
    /// "pass", "fail" or "skip".
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
        }
    }
}

/// One check of the lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub proto: Proto,
    /// The run (1, 2, …); 0 for a check of the whole protocol (`runs`).
    pub run: u32,
    pub id: CheckId,
    pub result: Outcome,
    /// The frames that show it.
    pub frames: Vec<u64>,
    /// Why, in one sentence.
    pub text: String,
}

/// Earlier runs' ports the "new ephemeral port" check names, at most (then "and N others").
const EARLIER_PORTS: usize = 5;

fn ep(e: Endpoint) -> String {
    match e.ip {
        std::net::IpAddr::V4(a) => format!("{a}:{}", e.port),
        std::net::IpAddr::V6(a) => format!("[{a}]:{}", e.port),
    }
}

/// A message quoted by its start and length: `"hello" (5 bytes)`.
fn quoted(m: &Message) -> String {
    let mut s = String::new();
    let shown = m
        .prefix
        .get(..m.prefix.len().min(PREFIX))
        .unwrap_or_default();
    write_quoted(&mut s, shown, 40);
    if (shown.len() as u64) < m.len && !s.ends_with('…') {
        s.push('…');
    }
    let unit = if m.len == 1 { "byte" } else { "bytes" };
    s.push_str(&format!(" ({} {unit})", plain(m.len)));
    s
}

/// A count as the sentences write it (65507, as Python prints it).
fn plain(n: u64) -> String {
    n.to_string()
}

fn frames_of(m: &Message) -> Vec<u64> {
    if m.frames.0 == m.frames.1 {
        vec![m.frames.0]
    } else {
        vec![m.frames.0, m.frames.1]
    }
}

fn frame_words(frames: &[u64]) -> String {
    match frames {
        [] => String::new(),
        [one] => format!("frame {one}"),
        [a, .., b] => format!("frames {a}-{b}"),
    }
}

struct Out<'a> {
    checks: &'a mut Vec<Check>,
    proto: Proto,
    run: u32,
}

impl Out<'_> {
    fn push(&mut self, id: CheckId, result: Outcome, frames: Vec<u64>, text: String) {
        self.checks.push(Check {
            proto: self.proto,
            run: self.run,
            id,
            result,
            frames,
            text,
        });
    }
}

/// Builds the checks of `runs` (numbered per protocol) as `expect` wants them.
pub fn build(runs: Vec<Run>, expect: &Expect, not_followed: u64) -> LabModel {
    let mut checks = Vec::new();
    for proto in [Proto::Udp, Proto::Tcp] {
        let mine: Vec<&Run> = runs.iter().filter(|r| r.proto == proto).collect();
        let expected = match proto {
            Proto::Udp => expect.runs.0,
            _ => expect.runs.1,
        };
        if mine.is_empty() && expected.is_none() {
            continue;
        }
        runs_check(
            &mut checks,
            proto,
            &mine,
            expected,
            expect.interrupted_after,
        );
        for (i, run) in mine.iter().enumerate() {
            run_checks(&mut checks, run, mine.get(..i).unwrap_or_default(), expect);
        }
    }
    LabModel {
        runs,
        checks,
        interrupted_after: expect.interrupted_after,
        not_followed,
    }
}

fn runs_check(
    checks: &mut Vec<Check>,
    proto: Proto,
    mine: &[&Run],
    expected: Option<u32>,
    interrupted: Option<u64>,
) {
    let name = proto_upper(proto);
    let n = mine.len();
    let frames: Vec<u64> = mine.iter().map(|r| r.first_frame).collect();
    let ports: Vec<String> = mine.iter().map(|r| r.client.port.to_string()).collect();
    let from = if ports.is_empty() {
        String::new()
    } else {
        format!(" (client ports {})", ports.join(", "))
    };
    let mut out = Out {
        checks,
        proto,
        run: 0,
    };
    let (result, text) = match (expected, interrupted) {
        (Some(e), Some(after)) if (n as u64) < u64::from(e) => (
            Outcome::Skip,
            format!(
                "{name}: the lab was interrupted after {after} frames, with {n} of {e} client runs captured"
            ),
        ),
        (Some(e), _) if n as u64 == u64::from(e) => (
            Outcome::Pass,
            format!("{name}: {n} client run(s) captured, {e} expected{from}"),
        ),
        (Some(e), _) => (
            Outcome::Fail,
            format!("{name}: {n} client run(s) captured, {e} expected{from}"),
        ),
        (None, _) if n == 0 => (
            Outcome::Fail,
            format!("{name}: no client run in the capture"),
        ),
        (None, _) => (
            Outcome::Pass,
            format!("{name}: {n} client run(s) captured{from}"),
        ),
    };
    out.push(super::CheckId::Runs, result, frames, text);
}

fn run_checks(checks: &mut Vec<Check>, run: &Run, earlier: &[&Run], expect: &Expect) {
    let name = proto_upper(run.proto);
    let n = run.number;
    let head = format!("{name} run {n}");
    let client = ep(run.client);
    let server = ep(run.server);
    let mut out = Out {
        checks,
        proto: run.proto,
        run: n,
    };
    // Interrupted before this run finished: nothing can be judged.
    if let (Some(after), false) = (expect.interrupted_after, run.finished()) {
        let text = format!(
            "{head}: the lab was interrupted after {after} frames, before this run finished"
        );
        for id in CheckId::ALL {
            if id == CheckId::Runs
                || (run.proto == Proto::Udp && matches!(id, CheckId::Handshake | CheckId::Teardown))
                || (id == CheckId::NewPort && earlier.is_empty())
            {
                continue;
            }
            out.push(id, Outcome::Skip, vec![], text.clone());
        }
        return;
    }
    let mut blocked: Option<&'static str> = None;

    // handshake (TCP)
    if let Some(t) = &run.tcp {
        let frames: Vec<u64> = [t.syn_frame, t.synack_frame, t.ack_frame]
            .into_iter()
            .flatten()
            .collect();
        if t.refused {
            let rst: Vec<u64> = t.syn_frame.into_iter().chain(t.rst).collect();
            out.push(
                CheckId::Handshake,
                Outcome::Fail,
                rst.clone(),
                format!(
                    "{head}: the connection was refused: the SYN from {client} was answered by RST ({}): nothing listens on TCP port {}",
                    frame_words(t.rst.as_slice()),
                    run.server.port
                ),
            );
            blocked = Some("the connection was refused");
        } else if t.handshake_complete {
            out.push(
                CheckId::Handshake,
                Outcome::Pass,
                frames.clone(),
                format!(
                    "{head}: three-way handshake complete: SYN, SYN-ACK, ACK ({})",
                    frame_words(&frames)
                ),
            );
        } else if t.never_answered() {
            let syns: Vec<u64> = match (t.syn_frame, t.last_syn_frame) {
                (Some(a), Some(b)) if a != b => vec![a, b],
                (a, _) => a.into_iter().collect(),
            };
            let sent = match t.syns {
                1 => format!("once ({})", frame_words(&syns)),
                n => format!(
                    "{n} times ({}: the SYN and {} retransmission{})",
                    frame_words(&syns),
                    n - 1,
                    if n == 2 { "" } else { "s" }
                ),
            };
            out.push(
                CheckId::Handshake,
                Outcome::Fail,
                syns.clone(),
                format!(
                    "{head}: the SYN was never answered: {client} sent it to {server} {sent}, and no SYN-ACK or RST came back: a firewall drops it, or no host is there. TCPClient.py's connect() waits through the retransmissions, then fails with TimeoutError",
                ),
            );
            blocked = Some(NEVER_ANSWERED);
        } else {
            let text = if t.syn_frame.is_none() {
                format!("{head}: the capture started after the handshake: it cannot be checked")
            } else {
                format!(
                    "{head}: three-way handshake NOT complete ({})",
                    frame_words(&frames)
                )
            };
            let result = if t.syn_frame.is_none() {
                Outcome::Skip
            } else {
                Outcome::Fail
            };
            out.push(CheckId::Handshake, result, frames, text);
        }
    }

    // request
    let request = run.request.as_ref();
    match (blocked, request) {
        (Some(why), _) => out.push(
            CheckId::Request,
            Outcome::Skip,
            vec![],
            format!("{head}: no request could be sent: {why}"),
        ),
        (None, None) => {
            out.push(
                CheckId::Request,
                Outcome::Fail,
                vec![],
                format!("{head}: the client {client} sent no data to {server}"),
            );
            blocked = Some("the client sent no request");
        }
        (None, Some(m)) => {
            let frames = frames_of(m);
            let sent_other = expect.message.as_ref().is_some_and(|want| {
                want.len() as u64 != m.len || super::upper::Fnv::of(want) != m.hash
            });
            if sent_other {
                let want = expect.message.clone().unwrap_or_default();
                let want_msg = Message {
                    len: want.len() as u64,
                    prefix: want
                        .get(..want.len().min(PREFIX))
                        .unwrap_or_default()
                        .to_vec(),
                    frames: (0, 0),
                    hash: super::upper::Fnv::of(&want),
                };
                out.push(
                    CheckId::Request,
                    Outcome::Fail,
                    frames.clone(),
                    format!(
                        "{head}: client {client} sent {} to server {server} ({}), not the message {}",
                        quoted(m),
                        frame_words(&frames),
                        quoted(&want_msg)
                    ),
                );
            } else {
                out.push(
                    CheckId::Request,
                    Outcome::Pass,
                    frames.clone(),
                    format!(
                        "{head}: client {client} sent {} to server {server} ({})",
                        quoted(m),
                        frame_words(&frames)
                    ),
                );
            }
        }
    }

    // reply
    let reply = run.reply.as_ref();
    match (blocked, reply, run.icmp) {
        (Some(why), _, _) => {
            out.push(
                CheckId::Reply,
                Outcome::Skip,
                vec![],
                format!("{head}: no reply to judge: {why}"),
            );
        }
        (None, None, Some(i)) if !i.for_reply => {
            let frames: Vec<u64> = request
                .map(frames_of)
                .unwrap_or_default()
                .into_iter()
                .chain([i.frame])
                .collect();
            out.push(
                CheckId::Reply,
                Outcome::Fail,
                frames,
                format!(
                    "{head}: no reply: nothing listens on UDP port {} at {}, so its host answered with ICMP port unreachable (frame {}); UDPClient.py would wait in recvfrom() forever",
                    i.port,
                    i.to.ip,
                    i.frame
                ),
            );
            blocked = Some("there was no reply");
        }
        (None, None, _) => {
            let frames: Vec<u64> = request.map(frames_of).unwrap_or_default();
            let text = match &run.tcp {
                Some(t) if t.rst_by == Some(Direction::FromServer) => format!(
                    "{head}: no reply: the server reset the connection ({}) without answering",
                    frame_words(t.rst.as_slice())
                ),
                Some(_) => format!(
                    "{head}: no reply: the server {server} got the request but sent nothing back"
                ),
                None => format!("{head}: no reply from {server} to {client} in the capture"),
            };
            out.push(CheckId::Reply, Outcome::Fail, frames, text);
            blocked = Some("there was no reply");
        }
        (None, Some(r), _) => {
            let frames = frames_of(&r.message);
            out.push(
                CheckId::Reply,
                Outcome::Pass,
                frames.clone(),
                format!(
                    "{head}: the server answered {} ({})",
                    quoted(&r.message),
                    frame_words(&frames)
                ),
            );
        }
    }

    // reply_endpoint
    match (blocked, reply) {
        (None, Some(r)) => endpoint_check(&mut out, &head, run, r),
        _ => {
            let why = blocked.unwrap_or("there was no reply");
            out.push(
                CheckId::ReplyEndpoint,
                Outcome::Skip,
                vec![],
                format!("{head}: no reply whose addresses could be checked: {why}"),
            );
        }
    }

    // reply_uppercase
    match (blocked, reply, run.judged) {
        (None, Some(r), Some(j)) => {
            let frames = request
                .map(frames_of)
                .unwrap_or_default()
                .into_iter()
                .chain(frames_of(&r.message))
                .collect::<Vec<_>>();
            let total = request.map_or(0, |m| m.len);
            let gap = run.tcp.as_ref().is_some_and(|t| t.gap);
            let (result, text) = match j {
                _ if gap => (
                    Outcome::Skip,
                    format!(
                        "{head}: bytes of the request or the reply are missing from the capture, so the uppercase cannot be checked"
                    ),
                ),
                Comparison::Uppercase => (
                    Outcome::Pass,
                    format!(
                        "{head}: the reply {} is the request in uppercase",
                        quoted(&r.message)
                    ),
                ),
                Comparison::Unchanged => (
                    Outcome::Fail,
                    format!(
                        "{head}: the reply {} is the request unchanged: the server sent it back without upper()",
                        quoted(&r.message)
                    ),
                ),
                Comparison::Partial { of } => {
                    let call = if run.proto == Proto::Tcp {
                        format!("recv({of})")
                    } else {
                        format!("recvfrom({of})")
                    };
                    (
                        Outcome::Fail,
                        format!(
                            "{head}: the reply is the uppercase of the first {} of {} bytes: the server read once, with {call}",
                            plain(of),
                            plain(total)
                        ),
                    )
                }
                Comparison::Pending | Comparison::Different => {
                    let req = request.map(quoted).unwrap_or_default();
                    let mut text = format!(
                        "{head}: the reply {} is NOT the request {req} in uppercase",
                        quoted(&r.message)
                    );
                    if !run.request_text {
                        text.push_str(": the request is not UTF-8 text, which the seed server's decode() refuses");
                    }
                    (Outcome::Fail, text)
                }
            };
            out.push(CheckId::ReplyUppercase, result, frames, text);
        }
        _ => {
            let why = blocked.unwrap_or("there was no reply");
            out.push(
                CheckId::ReplyUppercase,
                Outcome::Skip,
                vec![],
                format!("{head}: no reply to compare with the request: {why}"),
            );
        }
    }

    // new_port
    if !earlier.is_empty() {
        let used: Vec<&&Run> = earlier
            .iter()
            .filter(|e| e.client.port == run.client.port)
            .collect();
        let frames = vec![run.first_frame];
        match used.first() {
            None => {
                // The first few earlier ports, and how many more: a capture of hundreds
                // of runs would otherwise list every port before it in every check.
                let mut before = String::new();
                for (i, e) in earlier.iter().take(EARLIER_PORTS).enumerate() {
                    if i > 0 {
                        before.push_str(", ");
                    }
                    crate::fmt::push_u32(&mut before, u32::from(e.client.port));
                }
                let more = earlier.len().saturating_sub(EARLIER_PORTS);
                if more > 0 {
                    before.push_str(" and ");
                    crate::fmt::push_u64(&mut before, more as u64);
                    before.push_str(if more == 1 { " other" } else { " others" });
                }
                out.push(
                    CheckId::NewPort,
                    Outcome::Pass,
                    frames,
                    format!(
                        "{head}: a new ephemeral port {} (earlier runs: {}): a new socket gets a new port",
                        run.client.port, before
                    ),
                );
            }
            Some(e) => out.push(
                CheckId::NewPort,
                Outcome::Fail,
                vec![e.first_frame, run.first_frame],
                format!(
                    "{head}: port {} again, as run {}: the client reused its socket (or bound a fixed port) instead of a new socket per run",
                    run.client.port, e.number
                ),
            ),
        }
    }

    // teardown (TCP)
    if let Some(t) = &run.tcp {
        let mut fins: Vec<u64> = t.fin_frames.iter().flatten().copied().collect();
        fins.sort_unstable();
        if blocked == Some("the connection was refused") || blocked == Some(NEVER_ANSWERED) {
            out.push(
                CheckId::Teardown,
                Outcome::Skip,
                vec![],
                format!("{head}: nothing to close: {}", blocked.unwrap_or_default()),
            );
        } else if let (Some(rst), Some(by)) = (t.rst, t.rst_by) {
            let unread = match (run.judged, by) {
                (Some(Comparison::Partial { of }), Direction::FromServer) => {
                    request.map(|m| m.len.saturating_sub(of)).filter(|&u| u > 0)
                }
                _ => None,
            };
            let text = match unread {
                Some(u) => format!(
                    "{head}: the server closed with {} bytes unread, so Linux resets instead of FIN (frame {rst})",
                    plain(u)
                ),
                None => format!(
                    "{head}: reset by the {} (frame {rst}) instead of closing with FIN",
                    side(by)
                ),
            };
            out.push(CheckId::Teardown, Outcome::Fail, vec![rst], text);
        } else if t.teardown_complete {
            let who = t.first_fin_by.map_or("one side", side);
            out.push(
                CheckId::Teardown,
                Outcome::Pass,
                fins.clone(),
                format!(
                    "{head}: teardown complete: the {who} closed first, each FIN acknowledged ({})",
                    frame_words(&fins)
                ),
            );
        } else {
            let text = match t.first_fin_by {
                Some(d) => format!(
                    "{head}: teardown NOT complete: the {} closed first ({}), the other side's FIN or its ACK is missing",
                    side(d),
                    frame_words(&fins)
                ),
                None => format!(
                    "{head}: teardown NOT complete: nobody closed the connection in the capture"
                ),
            };
            out.push(CheckId::Teardown, Outcome::Fail, fins, text);
        }
    }
}

/// Why nothing after the handshake can be judged, when the SYN got no answer.
const NEVER_ANSWERED: &str = "the SYN was never answered";

fn side(d: Direction) -> &'static str {
    match d {
        Direction::FromClient => "client",
        Direction::FromServer => "server",
    }
}

fn endpoint_check(out: &mut Out<'_>, head: &str, run: &Run, r: &super::Reply) {
    let client = ep(run.client);
    let server = ep(run.server);
    let frames = frames_of(&r.message);
    if r.from == run.server && r.to == run.client {
        out.push(
            CheckId::ReplyEndpoint,
            Outcome::Pass,
            frames,
            format!("{head}: the reply came from the server's {server} back to the client's own IP and port {client}"),
        );
    } else if r.from.ip == run.server.ip && r.from.port != run.server.port && r.to == run.client {
        out.push(
            CheckId::ReplyEndpoint,
            Outcome::Fail,
            frames,
            format!(
                "{head}: the reply came from {}, not the server's port {}: the server answered from a new socket. UDPClient.py still accepts it, because recvfrom() takes a datagram from anyone; a client that connect()s its socket would never see it",
                ep(r.from),
                run.server.port
            ),
        );
    } else if r.to != run.client {
        let mut frames = frames;
        let icmp = run.icmp.filter(|i| i.for_reply);
        frames.extend(icmp.map(|i| i.frame));
        let tail = match icmp {
            Some(i) => format!(
                ", where nothing listens: {} answered with ICMP port unreachable (frame {}), and the client never got it",
                r.to.ip, i.frame
            ),
            None => ": the client never got it".to_string(),
        };
        out.push(
            CheckId::ReplyEndpoint,
            Outcome::Fail,
            frames,
            format!(
                "{head}: the reply went to {}, not the client's port {}{tail}; the server must answer to the address recvfrom() returned",
                ep(r.to),
                run.client.port
            ),
        );
    } else {
        out.push(
            CheckId::ReplyEndpoint,
            Outcome::Fail,
            frames,
            format!(
                "{head}: the reply came from {} to {}, not from {server} to {client}",
                ep(r.from),
                ep(r.to)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::upper::Fnv;
    use super::super::{Reply, Run};
    use super::*;
    use crate::source::Timestamp;

    fn message(bytes: &[u8], frame: u64) -> Message {
        Message {
            len: bytes.len() as u64,
            prefix: bytes
                .get(..bytes.len().min(PREFIX))
                .unwrap_or_default()
                .to_vec(),
            frames: (frame, frame),
            hash: Fnv::of(bytes),
        }
    }

    fn udp_run(request: &[u8], reply: &[u8]) -> Run {
        let ip = "127.0.0.1"
            .parse()
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]));
        let client = Endpoint { ip, port: 40000 };
        let server = Endpoint { ip, port: 12000 };
        Run {
            proto: Proto::Udp,
            number: 1,
            stream: 0,
            client,
            server,
            request: Some(message(request, 1)),
            request_text: true,
            reply: Some(Reply {
                message: message(reply, 2),
                from: server,
                to: client,
                stream: 0,
            }),
            judged: Some(Comparison::Uppercase),
            icmp: None,
            tcp: None,
            extra_turns: 0,
            first_frame: 1,
            last_frame: 2,
            start: Timestamp::default(),
            end: Timestamp::default(),
        }
    }

    #[test]
    fn test_request_differs_from_message_past_the_quoted_prefix() {
        let sent = [b'a'; 100];
        let mut captured = sent;
        captured[99] = b'b';
        let expect = Expect {
            message: Some(sent.to_vec()),
            runs: (Some(1), None),
            interrupted_after: None,
        };
        let m = build(vec![udp_run(&captured, &[b'A'; 100])], &expect, 0);
        let request = m.checks.iter().find(|c| c.id == CheckId::Request);
        assert_eq!(request.map(|c| c.result), Some(Outcome::Fail), "{m:?}");
        let m = build(vec![udp_run(&sent, &[b'A'; 100])], &expect, 0);
        assert_eq!(m.failed(), 0, "{m:?}");
    }

    #[test]
    fn test_syn_unanswered_handshake_fails_later_checks_skip() {
        let mut run = udp_run(b"", b"");
        run.proto = Proto::Tcp;
        (run.request, run.reply, run.judged) = (None, None, None);
        run.tcp = Some(super::super::TcpRun {
            handshake_complete: false,
            syns: 3,
            syn_frame: Some(1),
            last_syn_frame: Some(3),
            synack_frame: None,
            ack_frame: None,
            refused: false,
            teardown_complete: false,
            first_fin_by: None,
            fin_frames: [None, None],
            rst: None,
            rst_by: None,
            gap: false,
        });
        let m = build(vec![run], &Expect::default(), 0);
        let handshake = m.checks.iter().find(|c| c.id == CheckId::Handshake);
        assert!(
            handshake.is_some_and(|c| c.result == Outcome::Fail
                && c.frames == [1, 3]
                && c.text.contains("the SYN was never answered")
                && c.text
                    .contains("3 times (frames 1-3: the SYN and 2 retransmissions)")),
            "{handshake:?}"
        );
        for c in m
            .checks
            .iter()
            .filter(|c| c.run == 1 && c.id != CheckId::Handshake)
        {
            assert_eq!(c.result, Outcome::Skip, "{c:?}");
            assert!(c.text.ends_with("the SYN was never answered"), "{c:?}");
        }
        assert!(
            m.runs[0]
                .verdict_words()
                .contains("the SYN was never answered (3 sent)")
        );
    }

    /// A capture of many runs: each "new port" check names five earlier ports and counts
    /// the others (it listed every earlier port: 400 of them in the 410th run).
    #[test]
    fn r12_new_port_check_names_a_few_earlier_ports_not_all() {
        let runs: Vec<Run> = (0..9u16)
            .map(|i| {
                let mut run = udp_run(b"hi", b"HI");
                run.number = u32::from(i) + 1;
                run.stream = u64::from(i);
                run.client.port = 40000 + i;
                if let Some(r) = &mut run.reply {
                    r.to = run.client;
                    r.stream = run.stream;
                }
                run.first_frame = 2 * u64::from(i) + 1;
                run.last_frame = 2 * u64::from(i) + 2;
                run
            })
            .collect();
        let m = build(runs, &Expect::default(), 0);
        let texts: Vec<&str> = m
            .checks
            .iter()
            .filter(|c| c.id == CheckId::NewPort)
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(texts.len(), 8, "{texts:?}");
        assert!(texts[0].contains("(earlier runs: 40000)"), "{texts:?}");
        assert!(
            texts[5].contains("(earlier runs: 40000, 40001, 40002, 40003, 40004 and 1 other)"),
            "{texts:?}"
        );
        assert!(
            texts[7].contains("(earlier runs: 40000, 40001, 40002, 40003, 40004 and 3 others)"),
            "{texts:?}"
        );
    }

    #[test]
    fn test_interrupted_unfinished_run_all_skip() {
        let mut run = udp_run(b"hi", b"HI");
        run.reply = None;
        run.judged = None;
        let expect = Expect {
            message: None,
            runs: (Some(2), None),
            interrupted_after: Some(7),
        };
        let m = build(vec![run], &expect, 0);
        assert_eq!(m.failed(), 0, "{m:?}");
        assert_eq!(m.passed(), 0, "{m:?}");
        assert!(
            m.checks
                .iter()
                .all(|c| c.text.contains("interrupted after 7 frames"))
        );
    }
}
