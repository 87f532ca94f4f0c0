//! What the lab shows, checked on the captured frames (not on what the programs
//! say): the reply comes back from the server's port to the client's IP and
//! port, it is the uppercase of the request, a new client run uses a new
//! ephemeral port, and the TCP handshake and teardown are complete. Pure: no I/O.

use std::collections::BTreeMap;

use crate::present::timeline::endpoint;
use crate::text::{Style, escape, is_uppercase_of};
use crate::track::{Conversation, Direction, Proto};

/// At most this many payload bytes are kept per direction of a conversation.
const KEEP: usize = 65_536;

/// One conversation as the capture shows it.
#[derive(Debug, Clone)]
pub struct Observed {
    pub conversation: Conversation,
    /// Client → server payload bytes, in order (bounded).
    pub request: Vec<u8>,
    /// Server → client payload bytes, in order (bounded).
    pub reply: Vec<u8>,
}

/// Gathers payloads per conversation while frames go by.
#[derive(Debug, Default)]
pub struct Collector {
    payloads: BTreeMap<(bool, u64), (Vec<u8>, Vec<u8>)>,
}

impl Collector {
    /// Records a frame's payload for its conversation.
    pub fn add(&mut self, proto: Proto, stream: u64, direction: Direction, payload: &[u8]) {
        let entry = self
            .payloads
            .entry((proto == Proto::Tcp, stream))
            .or_default();
        let buf = match direction {
            Direction::FromClient => &mut entry.0,
            Direction::FromServer => &mut entry.1,
        };
        let room = KEEP.saturating_sub(buf.len());
        buf.extend_from_slice(payload.get(..room.min(payload.len())).unwrap_or_default());
    }

    /// Pairs the payloads with the tracker's conversations.
    pub fn finish(mut self, conversations: Vec<Conversation>) -> Vec<Observed> {
        conversations
            .into_iter()
            .map(|c| {
                let (request, reply) = self
                    .payloads
                    .remove(&(c.proto == Proto::Tcp, c.stream))
                    .unwrap_or_default();
                Observed {
                    conversation: c,
                    request,
                    reply,
                }
            })
            .collect()
    }
}

/// One line of the lab's conclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub ok: bool,
    pub text: String,
}

fn check(ok: bool, text: String) -> Check {
    Check { ok, text }
}

/// The lab's checks for the conversations of one protocol.
pub fn checks(observed: &[Observed], proto: Proto, message: &[u8], runs: u32) -> Vec<Check> {
    let name = match proto {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    };
    let convs: Vec<&Observed> = observed
        .iter()
        .filter(|o| o.conversation.proto == proto)
        .collect();
    let mut out = Vec::new();
    out.push(check(
        convs.len() == runs as usize,
        format!(
            "{name}: {} client run(s) captured, {} expected",
            convs.len(),
            runs
        ),
    ));
    for (i, o) in convs.iter().enumerate() {
        let c = &o.conversation;
        let client = endpoint(c.client.ip, c.client.port);
        let server = endpoint(c.server.ip, c.server.port);
        let run = i + 1;
        out.push(check(
            o.request == message,
            format!(
                "{name} run {run}: client {client} sent \"{}\" to server {server}",
                escape(&o.request, Style::Plain)
            ),
        ));
        if proto == Proto::Tcp {
            out.push(check(
                c.handshake_complete,
                format!(
                    "{name} run {run}: three-way handshake {} (SYN, SYN-ACK, ACK)",
                    if c.handshake_complete {
                        "complete"
                    } else {
                        "NOT complete"
                    }
                ),
            ));
        }
        let replied = c.from_server.frames > 0 && !o.reply.is_empty();
        out.push(check(
            replied,
            if replied {
                format!("{name} run {run}: the reply came from the server's {server} back to the client's own IP and port {client}")
            } else {
                format!("{name} run {run}: no reply from {server} to {client}")
            },
        ));
        let upper = is_uppercase_of(&o.request, &o.reply);
        out.push(check(
            upper,
            format!(
                "{name} run {run}: the reply \"{}\" {} the request in uppercase",
                escape(&o.reply, Style::Plain),
                if upper { "is" } else { "is NOT" }
            ),
        ));
        if proto == Proto::Tcp {
            let who = match c.first_fin_by {
                Some(Direction::FromServer) => "the server closed first",
                Some(Direction::FromClient) => "the client closed first",
                None => "nobody closed",
            };
            out.push(check(
                c.teardown_complete,
                format!(
                    "{name} run {run}: teardown {}: {who}, each FIN acknowledged",
                    if c.teardown_complete {
                        "complete"
                    } else {
                        "NOT complete"
                    }
                ),
            ));
        }
    }
    if convs.len() > 1 {
        let mut ports: Vec<u16> = convs.iter().map(|o| o.conversation.client.port).collect();
        let list = ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        ports.sort_unstable();
        ports.dedup();
        out.push(check(
            ports.len() == convs.len(),
            format!("{name}: each client run used a new ephemeral port ({list}): a new socket gets a new port"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Timestamp;
    use crate::track::{Endpoint, SideStats};

    fn conv(proto: Proto, stream: u64, port: u16) -> Conversation {
        Conversation {
            proto,
            stream,
            client: Endpoint {
                ip: "127.0.0.1".parse().unwrap(),
                port,
            },
            server: Endpoint {
                ip: "127.0.0.1".parse().unwrap(),
                port: 8888,
            },
            from_client: SideStats {
                frames: 1,
                bytes: 47,
                payload_bytes: 5,
            },
            from_server: SideStats {
                frames: 1,
                bytes: 47,
                payload_bytes: 5,
            },
            first_frame: 1,
            last_frame: 2,
            start: Timestamp::default(),
            end: Timestamp::default(),
            zeek_state: "SF",
            history: String::new(),
            initial_rtt_ns: None,
            first_fin_by: Some(Direction::FromServer),
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 1,
        }
    }

    #[test]
    fn test_udp_two_runs_all_pass() {
        let mut col = Collector::default();
        col.add(Proto::Udp, 0, Direction::FromClient, b"hello");
        col.add(Proto::Udp, 0, Direction::FromServer, b"HELLO");
        col.add(Proto::Udp, 1, Direction::FromClient, b"hello");
        col.add(Proto::Udp, 1, Direction::FromServer, b"HELLO");
        let obs = col.finish(vec![conv(Proto::Udp, 0, 40000), conv(Proto::Udp, 1, 40001)]);
        let c = checks(&obs, Proto::Udp, b"hello", 2);
        assert!(c.iter().all(|c| c.ok), "{c:?}");
        assert!(c.last().unwrap().text.contains("40000, 40001"));
    }

    #[test]
    fn test_udp_wrong_reply_fails() {
        let mut col = Collector::default();
        col.add(Proto::Udp, 0, Direction::FromClient, b"hello");
        col.add(Proto::Udp, 0, Direction::FromServer, b"hello");
        let obs = col.finish(vec![conv(Proto::Udp, 0, 40000)]);
        let c = checks(&obs, Proto::Udp, b"hello", 1);
        assert!(c.iter().any(|c| !c.ok && c.text.contains("is NOT")));
    }

    #[test]
    fn test_tcp_same_port_twice_fails() {
        let mut col = Collector::default();
        for s in 0..2 {
            col.add(Proto::Tcp, s, Direction::FromClient, b"hi");
            col.add(Proto::Tcp, s, Direction::FromServer, b"HI");
        }
        let obs = col.finish(vec![conv(Proto::Tcp, 0, 40000), conv(Proto::Tcp, 1, 40000)]);
        let c = checks(&obs, Proto::Tcp, b"hi", 2);
        assert!(!c.last().unwrap().ok);
    }
}
