//! Notes for UDP datagrams: requests, replies and where they came from.

use super::*;

/// The memory side of [`udp_note`], step for step.
pub(super) fn udp_memory(memory: &mut Memory, facts: &Facts, declared: u64) {
    let Some(k) = facts.stream.map(|s| (proto_key(Proto::Udp), s)) else {
        return;
    };
    let Some(s) = memory.streams.get_or_insert_default(k) else {
        return;
    };
    let dir = facts.direction;
    if declared == 0 {
        s.last_data = dir;
        return;
    }
    let summary = memory.summaries.get_or_insert_default(k);
    if let Some(d) = dir {
        data_memory(s, summary, d);
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn udp_note(
    memory: &mut Memory,
    packet: &Packet<'_>,
    facts: &Facts,
    sport: u16,
    dport: u16,
    declared: u64,
    out: &mut String,
    lab: &Words,
) {
    let dir = facts.direction;
    let udp = facts.udp.as_ref();
    if let Some(prev) = udp.and_then(|u| u.previous_client_port)
        && prev != sport
    {
        let _ = write!(
            out,
            "new client port {sport} (was {prev}): a new socket gets a new ephemeral port"
        );
    }
    let key = facts.stream.map(|s| (proto_key(Proto::Udp), s));
    let stream = key.and_then(|k| memory.streams.get_or_insert_default(k));
    sep(out);
    if declared == 0 {
        let _ = write!(out, "empty datagram (0 bytes) from the {}", side(dir));
        lab_words(out, lab);
        if let Some(s) = stream {
            s.last_data = dir;
        }
    } else {
        let summary = key.and_then(|k| memory.summaries.get_or_insert_default(k));
        data_words(
            out,
            stream.map(|s| &mut **s),
            summary,
            dir,
            packet.payload,
            declared,
            lab,
        );
    }
    if let (Some(reply_to), Some(ip)) = (udp.and_then(|u| u.reply_to), packet.dst_ip()) {
        out.push_str("; to ");
        write_endpoint(out, ip, dport);
        let _ = write!(
            out,
            ", the same IP and port the request (frame {reply_to}) came from"
        );
    }
}
