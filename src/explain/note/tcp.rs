//! Notes for TCP segments: the handshake, data (and the lab's words on it), ACKs, the
//! teardown, and tshark's analysis flags in plain words.

use super::*;

/// The memory side of [`tcp_note`], step for step.
pub(super) fn tcp_memory(memory: &mut Memory, app_claimed: bool, facts: &Facts, tcp: &Tcp) {
    let Some(k) = facts.stream.map(|s| (proto_key(Proto::Tcp), s)) else {
        return;
    };
    let Memory {
        streams, summaries, ..
    } = memory;
    let Some(s) = streams.get_or_insert_default(k) else {
        return;
    };
    let dir = facts.direction;
    let Some(t) = facts.tcp.as_ref() else {
        return;
    };
    let retransmitted = t.analysis.0
        & (Analysis::RETRANSMISSION
            | Analysis::FAST_RETRANSMISSION
            | Analysis::SPURIOUS_RETRANSMISSION)
        != 0;
    if t.refused
        && let Some(sum) = summaries.get_or_insert_default(k)
    {
        sum.refused = true;
    }
    if tcp.payload_len > 0 && !retransmitted && !app_claimed {
        let summary = summaries.get_or_insert_default(k);
        if let Some(d) = dir {
            data_memory(s, summary, d);
        }
    }
    if t.closes {
        streams.remove(k);
    }
}

pub(super) fn analysis_words(
    out: &mut String,
    t: &TcpFacts,
    dir: Option<Direction>,
    ack_shown: u32,
) {
    /// The flags whose words do not depend on the segment, in the order they are told.
    const PLAIN: [(u32, &str); 7] = [
        (
            Analysis::PORT_REUSED,
            "port numbers reused: a new connection on the ports of an old one",
        ),
        (
            Analysis::LOST_SEGMENT,
            "previous segment not captured: a gap in the sequence numbers before this one",
        ),
        (
            Analysis::ACK_LOST_SEGMENT,
            "ACKs data that was not captured",
        ),
        (
            Analysis::KEEP_ALIVE,
            "keep-alive: checks that the peer is still there",
        ),
        (Analysis::KEEP_ALIVE_ACK, "answers a keep-alive"),
        (
            Analysis::ZERO_WINDOW_PROBE,
            "zero-window probe: asks whether the receiver has room again",
        ),
        (
            Analysis::ZERO_WINDOW_PROBE_ACK,
            "answers a zero-window probe",
        ),
    ];
    let a = t.analysis;
    for (bit, words) in PLAIN {
        if a.has(bit) {
            sep(out);
            out.push_str(words);
        }
    }
    if a.has(Analysis::WINDOW_FULL) {
        sep(out);
        let _ = write!(
            out,
            "window full: the {} filled all the room the receiver offered",
            side(dir)
        );
    }
    if a.has(Analysis::ZERO_WINDOW) {
        sep(out);
        let _ = write!(
            out,
            "zero window: the {}'s buffer is full, the {} must wait",
            side(dir),
            peer(dir)
        );
    }
    if a.has(Analysis::WINDOW_UPDATE) {
        sep(out);
        let _ = write!(
            out,
            "window update: the {} has more room now (Win={})",
            side(dir),
            t.window
        );
    }
    if a.has(Analysis::DUP_ACK) {
        sep(out);
        match t.dup_ack {
            Some((frame, n)) => {
                out.push_str("dup ACK #");
                push_u32(out, n);
                out.push_str(" of frame ");
                push_u64(out, frame);
                out.push_str(": the ");
            }
            None => out.push_str("duplicate ACK: the "),
        }
        out.push_str(side(dir));
        out.push_str(" still misses data after ");
        push_u32(out, ack_shown);
    }
    let retrans = |out: &mut String, what: &str| {
        sep(out);
        out.push_str(what);
        if let Some(f) = t.retransmits {
            out.push_str(" of frame ");
            push_u64(out, f);
        }
    };
    if a.has(Analysis::SPURIOUS_RETRANSMISSION) {
        retrans(out, "spurious retransmission");
        out.push_str(": the receiver had already acknowledged it");
    }
    if a.has(Analysis::FAST_RETRANSMISSION) {
        retrans(out, "fast retransmission");
        out.push_str(", sent again after duplicate ACKs");
    }
    if a.has(Analysis::RETRANSMISSION)
        && !a.has(Analysis::FAST_RETRANSMISSION)
        && !a.has(Analysis::SPURIOUS_RETRANSMISSION)
    {
        retrans(out, "retransmission");
        out.push_str(": sent again, no ACK came in time");
    }
    if a.has(Analysis::OUT_OF_ORDER) {
        sep(out);
        out.push_str("out of order: sent before data already seen");
    }
}

/// What a data segment or datagram was, as [`data_memory`] counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataKind {
    /// From the client: the first data of a new request, or more of it.
    Request { new_turn: bool },
    /// From the server: the first data of a reply, or more of it.
    Reply { new_turn: bool },
}

/// The memory side of a data segment or datagram: request and reply turns, the
/// summary's counts. Shared by the words and the summary-only path. (Whether a reply
/// is the uppercase of its request is the lab model's judgement, not this one's.)
pub(super) fn data_memory(
    s: &mut Stream,
    summary: Option<&mut Summary>,
    dir: Direction,
) -> DataKind {
    let new_turn = s.last_data != Some(dir);
    s.last_data = Some(dir);
    if new_turn && let Some(sum) = summary {
        match dir {
            Direction::FromClient => sum.requests = sum.requests.saturating_add(1),
            Direction::FromServer => sum.replies = sum.replies.saturating_add(1),
        }
    }
    match dir {
        Direction::FromClient => DataKind::Request { new_turn },
        Direction::FromServer => DataKind::Reply { new_turn },
    }
}

/// The lab's words on a reply: ": the request in uppercase", ": not the uppercase …".
pub(super) fn lab_words(out: &mut String, lab: &Words) {
    let (c, total) = match lab {
        Words::Reply {
            judged,
            request_len,
        }
        | Words::ResetUnread {
            judged,
            request_len,
            ..
        } => (*judged, Some(*request_len)),
        Words::Part(Part {
            judged: Some(judged),
            request_len,
            ..
        }) => (*judged, Some(*request_len)),
        Words::Stray {
            judged: Some(c), ..
        } => (*c, None),
        _ => return,
    };
    match c {
        Comparison::Uppercase => out.push_str(": the request in uppercase"),
        Comparison::Unchanged => out.push_str(": the request unchanged, not in uppercase"),
        Comparison::Partial { of } => {
            let _ = write!(out, ": the uppercase of the first {of}");
            if let Some(t) = total {
                let _ = write!(out, " of {t}");
            }
            out.push_str(" bytes of the request");
        }
        Comparison::Pending | Comparison::Different => {
            out.push_str(": not the uppercase of the request")
        }
    }
}

/// A segment or datagram carrying data: request or reply, with the lab's judgement.
pub(super) fn data_words(
    out: &mut String,
    stream: Option<&mut Stream>,
    summary: Option<&mut Summary>,
    dir: Option<Direction>,
    payload: &[u8],
    declared: u64,
    lab: &Words,
) {
    let (Some(s), Some(dir)) = (stream, dir) else {
        out.push_str("data ");
        text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
        out.push(' ');
        write_len(out, declared, payload.len());
        return;
    };
    if let Words::Stray {
        request_frame,
        client,
        server,
        ..
    } = lab
    {
        out.push_str("reply ");
        text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
        out.push(' ');
        write_len(out, declared, payload.len());
        lab_words(out, lab);
        let _ = write!(
            out,
            "; the answer to the request in frame {request_frame} from "
        );
        write_endpoint(out, client.ip, client.port);
        out.push_str(", but not from the server's port ");
        push_u32(out, u32::from(server.port));
        let _ = data_memory(s, summary, dir);
        return;
    }
    // One part of a message in several: which part, and which of its bytes (a whole
    // message in one frame reads as before).
    if let Words::Part(p) = lab
        && (p.number > 1 || p.more || (p.reply && p.judged.is_none()))
    {
        let _ = data_memory(s, summary, dir);
        let what = if p.reply { "reply" } else { "request" };
        let _ = write!(out, "part {} of the {what} ", p.number);
        text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
        let _ = write!(out, ", bytes {}-{}", p.first, p.last);
        if let Some(e) = p.expected {
            let _ = write!(out, " of the {e} expected");
        }
        if (payload.len() as u64) < declared {
            out.push(' ');
            write_len(out, declared, payload.len());
        }
        if p.more {
            let _ = write!(out, " (no PSH: the {} has more to send)", side(Some(dir)));
        }
        lab_words(out, lab);
        return;
    }
    match data_memory(s, summary, dir) {
        DataKind::Request { new_turn } => {
            out.push_str(if new_turn {
                "request "
            } else {
                "more request data "
            });
            text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
            out.push(' ');
            write_len(out, declared, payload.len());
        }
        DataKind::Reply { new_turn } => {
            out.push_str(if new_turn { "reply " } else { "more reply " });
            text::write_quoted(out, payload, text::MAX_SHOWN_CHARS);
            // A whole reply in one piece, the request in uppercase, needs no length.
            let whole_uppercase = matches!(
                lab,
                Words::Part(Part {
                    judged: Some(Comparison::Uppercase),
                    ..
                })
            );
            if !(new_turn && whole_uppercase) {
                out.push(' ');
                write_len(out, declared, payload.len());
            }
            lab_words(out, lab);
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn tcp_note(
    memory: &mut Memory,
    options: Options,
    packet: &Packet<'_>,
    facts: &Facts,
    tcp: &Tcp,
    info_out: &mut String,
    out: &mut String,
    tone: &mut Tone,
    given_info: Option<&str>,
    app_claimed: bool,
    lab: &Words,
) {
    let Memory {
        streams, summaries, ..
    } = memory;
    // The conversation's memory, looked up once for the whole frame.
    let mut stream: Option<(Key, &mut Stream)> = facts.stream.and_then(|n| {
        let k = (proto_key(Proto::Tcp), n);
        Some((k, &mut **streams.get_or_insert_default(k)?))
    });
    let dir = facts.direction;
    let flags = tcp.flags;
    let syn = flags.has(TcpFlags::SYN);
    let ack = flags.has(TcpFlags::ACK);
    let fin = flags.has(TcpFlags::FIN);
    let rst = flags.has(TcpFlags::RST);

    match given_info {
        // The application protocol's Info is written already.
        _ if app_claimed => {}
        Some(given) => info_out.push_str(given),
        None => info::write_tcp_info(info_out, tcp, facts.tcp.as_ref(), options.absolute_seq),
    }

    let Some(t) = facts.tcp.as_ref() else {
        // No conversation facts: say what the segment carries.
        if tcp.payload_len > 0 && !app_claimed {
            data_words(
                out,
                None,
                None,
                None,
                packet.payload,
                u64::from(tcp.payload_len),
                &Words::Nothing,
            );
        }
        *tone = if rst {
            Tone::Reset
        } else if syn || fin {
            Tone::Control
        } else {
            Tone::Plain
        };
        return;
    };
    let absolute = options.absolute_seq;
    let ack_shown = if absolute { tcp.ack } else { t.rel_ack };
    let retransmitted = t.analysis.0
        & (Analysis::RETRANSMISSION
            | Analysis::FAST_RETRANSMISSION
            | Analysis::SPURIOUS_RETRANSMISSION)
        != 0;

    if !t.analysis.is_empty() {
        analysis_words(out, t, dir, ack_shown);
    }

    *tone = if rst {
        Tone::Reset
    } else if !t.analysis.is_empty() {
        Tone::Warning
    } else if syn || fin {
        Tone::Control
    } else {
        Tone::Plain
    };

    if syn && !ack {
        sep(out);
        if retransmitted && (t.handshake_step == Some(1) || t.handshake_step.is_none()) {
            // The same SYN again: no SYN-ACK (nor RST) came back in time.
            out.push_str("1/3 SYN again, with the same ISN ");
            push_u64(out, u64::from(tcp.seq));
        } else if t.handshake_step == Some(1) || t.handshake_step.is_none() {
            out.push_str("1/3 SYN: the ");
            out.push_str(side(dir));
            out.push_str(" picks its initial sequence number (ISN) ");
            push_u64(out, u64::from(tcp.seq));
            if !absolute {
                out.push_str(", shown as Seq=0");
            }
        } else {
            out.push_str("SYN");
        }
    } else if syn && ack {
        sep(out);
        out.push_str("2/3 SYN-ACK: Ack=");
        push_u64(out, u64::from(ack_shown));
        out.push_str(" = ");
        out.push_str(peer(dir));
        out.push_str(" ISN + 1, because a SYN uses one sequence number");
    } else if rst {
        sep(out);
        if t.refused {
            out.push_str("connection refused: nothing listens on port ");
            push_u32(out, u32::from(tcp.src_port));
            if let Some(sum) = stream
                .as_ref()
                .and_then(|(k, _)| summaries.get_or_insert_default(*k))
            {
                sum.refused = true;
            }
        } else {
            out.push_str("RST: the ");
            out.push_str(side(dir));
            out.push_str(" aborts the connection at once, no FIN exchange");
            if let Words::ResetUnread { unread, .. } = lab {
                let _ = write!(
                    out,
                    ": it closed with {unread} bytes unread, so Linux resets instead of FIN; the reply ends here"
                );
                lab_words(out, lab);
            }
        }
    } else if t.handshake_step == Some(3) {
        sep(out);
        out.push_str("3/3 ACK: handshake complete");
    }

    // Data, unless it is a copy of data already explained, or the application
    // protocol's note told it.
    if app_claimed {
    } else if tcp.payload_len > 0 && !retransmitted {
        sep(out);
        let summary = stream
            .as_ref()
            .and_then(|(k, _)| summaries.get_or_insert_default(*k));
        data_words(
            out,
            stream.as_mut().map(|(_, s)| &mut **s),
            summary,
            dir,
            packet.payload,
            u64::from(tcp.payload_len),
            lab,
        );
    } else if tcp.payload_len > 0 {
        sep(out);
        out.push_str("data ");
        text::write_quoted(out, packet.payload, text::MAX_SHOWN_CHARS);
        out.push(' ');
        write_len(out, u64::from(tcp.payload_len), packet.payload.len());
    }

    // The acknowledgement: of a FIN, or of new bytes.
    let mut fin_acked_now = false;
    if ack && !syn && !rst {
        {
            if let Some(fin_frame) = t.acks_fin {
                fin_acked_now = true;
                sep(out);
                let fin_shown = ack_shown.wrapping_sub(1);
                if fin {
                    out.push_str("Ack ");
                    push_u64(out, u64::from(ack_shown));
                    out.push_str(" acknowledges the ");
                    out.push_str(peer(dir));
                    out.push_str("'s FIN (frame ");
                    push_u64(out, fin_frame);
                    out.push(')');
                } else {
                    out.push_str("ACK of the ");
                    out.push_str(peer(dir));
                    out.push_str("'s FIN (frame ");
                    push_u64(out, fin_frame);
                    out.push_str("): Ack ");
                    push_u64(out, u64::from(ack_shown));
                    out.push_str(" = its Seq ");
                    push_u64(out, u64::from(fin_shown));
                    out.push_str(" + 1");
                }
            }
        }
        if !fin_acked_now && t.newly_acked > 0 && t.handshake_step.is_none() {
            if out.len() < 70 {
                sep(out);
                let before = ack_shown.wrapping_sub(t.newly_acked);
                let unit = if t.newly_acked == 1 { "byte" } else { "bytes" };
                out.push_str("Ack ");
                push_u64(out, u64::from(ack_shown));
                out.push_str(" = ");
                push_u64(out, u64::from(before));
                out.push_str(" + ");
                push_u64(out, u64::from(t.newly_acked));
                out.push(' ');
                out.push_str(unit);
                out.push_str(" received");
            }
        } else if !fin_acked_now && out.is_empty() && !fin {
            out.push_str("ACK: nothing new to acknowledge (Ack=");
            push_u64(out, u64::from(ack_shown));
            out.push(')');
        }
    }

    if fin && !rst {
        sep(out);
        if t.first_fin {
            out.push_str("the ");
            out.push_str(side(dir));
            out.push_str(" closes first: FIN uses one sequence number");
        } else {
            out.push_str("FIN: the ");
            out.push_str(side(dir));
            out.push_str(" closes its side too");
        }
        // The FIN ends a reply shorter than the request's uppercase: the lab judges it here.
        if matches!(lab, Words::Reply { .. }) {
            out.push_str("; the reply ends here");
            lab_words(out, lab);
        }
    }

    if let Some((k, _)) = stream
        && t.closes
    {
        streams.remove(k);
    }
}
