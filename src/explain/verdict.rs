//! One sentence per conversation: how it opened, what was said, how it ended,
//! e.g. "complete: handshake, one request and its reply, closed by the server first".
//! Built from the tracker's [`Conversation`] and the explainer's [`Summary`].

use std::fmt::Write as _;

use super::note::Summary;
use crate::track::{Conversation, Direction, Proto};

fn side(d: Direction) -> &'static str {
    match d {
        Direction::FromClient => "client",
        Direction::FromServer => "server",
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// The exchange in words: "one request and its reply", "2 requests and 2 replies", "no data".
fn exchange(out: &mut String, c: &Conversation, s: Option<Summary>) {
    let (req, rep) = match s {
        Some(s) => (u64::from(s.requests), u64::from(s.replies)),
        None => (
            u64::from(c.from_client.payload_bytes > 0),
            u64::from(c.from_server.payload_bytes > 0),
        ),
    };
    let _ = match (req, rep) {
        (0, 0) => write!(out, "no data"),
        (1, 1) => write!(out, "one request and its reply"),
        (1, 0) => write!(out, "one request, no reply"),
        (0, 1) => write!(out, "data from the server only"),
        (q, 0) => write!(out, "{q} requests, no reply"),
        (q, r) => write!(
            out,
            "{q} {} and {r} {}",
            plural(q, "request", "requests"),
            plural(r, "reply", "replies")
        ),
    };
}

/// One sentence on a conversation; `lab`: the lab model's words on it, when it is a
/// lab run (or carried one's reply), e.g. "lab run 1: the reply is the request in uppercase".
pub fn verdict(c: &Conversation, summary: Option<Summary>, lab: Option<&str>) -> String {
    let mut out = String::with_capacity(80);
    match c.proto {
        Proto::Udp => udp(&mut out, c),
        Proto::Tcp => tcp(&mut out, c, summary),
        Proto::Icmp => flow(&mut out, c, "ICMP", "message", "messages"),
        Proto::Other(p) => {
            let what = format!("IP protocol {p}");
            flow(&mut out, c, &what, "packet", "packets")
        }
    }
    if let Some(words) = lab {
        out.push_str("; ");
        out.push_str(words);
    }
    out
}

/// An ICMP flow or a flow of another IP protocol: how many each way.
fn flow(out: &mut String, c: &Conversation, what: &str, one: &'static str, many: &'static str) {
    let sent = c.from_client.frames;
    let back = c.from_server.frames;
    let _ = if back == 0 {
        write!(out, "{what}, one way: {sent} {}", plural(sent, one, many))
    } else {
        write!(
            out,
            "{what}: {sent} {} one way, {back} back",
            plural(sent, one, many)
        )
    };
}

fn udp(out: &mut String, c: &Conversation) {
    let sent = c.from_client.frames;
    let back = c.from_server.frames;
    if back == 0 {
        let _ = write!(
            out,
            "no reply: {sent} {} from the client, none back",
            plural(sent, "datagram", "datagrams")
        );
        return;
    }
    if sent == 0 {
        // The server's port told who the server is (its replies came first).
        let _ = write!(
            out,
            "no request seen: {back} {} from the server, none from the client",
            plural(back, "datagram", "datagrams")
        );
        return;
    }
    let _ = write!(
        out,
        "UDP: {sent} {}, {back} {} from the same port",
        plural(sent, "request", "requests"),
        plural(back, "reply", "replies")
    );
}

fn tcp(out: &mut String, c: &Conversation, s: Option<Summary>) {
    let refused = s.is_some_and(|s| s.refused) || c.zeek_state == "REJ";
    if refused {
        out.push_str("refused: the server answered the SYN with RST");
        return;
    }
    let saw_syn = c.history.contains('S');
    match c.zeek_state {
        "S0" => {
            let n = c.from_client.frames;
            let _ = write!(
                out,
                "no answer: {n} {} from the client, nothing back",
                plural(n, "SYN", "SYNs")
            );
            return;
        }
        "RSTOS0" => {
            out.push_str("aborted: the client sent a SYN, then RST, the server never answered");
            return;
        }
        _ => {}
    }
    let status = if c.first_rst_by.is_some() {
        "reset"
    } else if !c.handshake_complete {
        "incomplete"
    } else if c.teardown_complete {
        "complete"
    } else if c.first_fin_by.is_some() {
        "closing"
    } else {
        "open"
    };
    out.push_str(status);
    out.push_str(": ");
    if c.handshake_complete {
        out.push_str("handshake");
    } else if saw_syn {
        out.push_str("handshake not finished");
    } else {
        out.push_str("capture started after the handshake");
    }
    out.push_str(", ");
    exchange(out, c, s);
    out.push_str(", ");
    match (c.first_rst_by, c.first_fin_by) {
        (Some(r), _) => {
            let _ = write!(out, "reset by the {}", side(r));
        }
        (None, Some(f)) if c.teardown_complete => {
            let _ = write!(out, "closed by the {} first", side(f));
        }
        (None, Some(f)) => {
            let _ = write!(
                out,
                "the {} started closing, not finished in the capture",
                side(f)
            );
        }
        (None, None) => out.push_str("not closed in the capture"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Timestamp;
    use crate::track::{Endpoint, SideStats};

    fn conv(proto: Proto) -> Conversation {
        let ip = "127.0.0.1".parse().unwrap();
        Conversation {
            proto,
            stream: 0,
            client: Endpoint { ip, port: 51375 },
            server: Endpoint { ip, port: 12000 },
            from_client: SideStats {
                frames: 1,
                bytes: 47,
                payload_bytes: 5,
                ip_bytes: 0,
            },
            from_server: SideStats {
                frames: 1,
                bytes: 47,
                payload_bytes: 5,
                ip_bytes: 0,
            },
            first_frame: 1,
            last_frame: 2,
            start: Timestamp::default(),
            end: Timestamp::default(),
            zeek_state: "SF",
            history: "ShADadFf".into(),
            initial_rtt_ns: None,
            first_fin_by: Some(Direction::FromServer),
            first_rst_by: None,
            handshake_complete: true,
            teardown_complete: true,
            udp_answered: 0,
            zeek: Default::default(),
            service: None,
        }
    }

    fn one_exchange() -> Option<Summary> {
        Some(Summary {
            requests: 1,
            replies: 1,
            refused: false,
        })
    }

    #[test]
    fn test_sf_closed_by_server() {
        assert_eq!(
            verdict(&conv(Proto::Tcp), one_exchange(), None),
            "complete: handshake, one request and its reply, closed by the server first"
        );
    }

    #[test]
    fn test_rej_refused() {
        let mut c = conv(Proto::Tcp);
        c.zeek_state = "REJ";
        c.handshake_complete = false;
        assert_eq!(
            verdict(&c, None, None),
            "refused: the server answered the SYN with RST"
        );
    }

    #[test]
    fn test_oth_started_after_handshake() {
        let mut c = conv(Proto::Tcp);
        c.zeek_state = "OTH";
        c.history = "Da".into();
        c.handshake_complete = false;
        c.teardown_complete = false;
        c.first_fin_by = None;
        assert_eq!(
            verdict(&c, one_exchange(), None),
            "incomplete: capture started after the handshake, one request and its reply, not closed in the capture"
        );
    }

    #[test]
    fn test_rsto_reset_by_client() {
        let mut c = conv(Proto::Tcp);
        c.zeek_state = "RSTO";
        c.first_rst_by = Some(Direction::FromClient);
        c.first_fin_by = None;
        c.teardown_complete = false;
        assert_eq!(
            verdict(&c, one_exchange(), None),
            "reset: handshake, one request and its reply, reset by the client"
        );
    }

    #[test]
    fn test_udp_request_reply() {
        assert_eq!(
            verdict(
                &conv(Proto::Udp),
                one_exchange(),
                Some("lab run 1: the reply is the request in uppercase")
            ),
            "UDP: 1 request, 1 reply from the same port; lab run 1: the reply is the request in uppercase"
        );
        assert_eq!(
            verdict(&conv(Proto::Udp), None, None),
            "UDP: 1 request, 1 reply from the same port"
        );
    }

    #[test]
    fn test_udp_no_reply() {
        let mut c = conv(Proto::Udp);
        c.from_client.frames = 3;
        c.from_server = SideStats::default();
        assert_eq!(
            verdict(&c, None, None),
            "no reply: 3 datagrams from the client, none back"
        );
    }
}
