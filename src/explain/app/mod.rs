//! Application protocols in words: for a frame whose payload a dissector claims
//! ([`crate::decode::app::classify`], recorded as `Packet::app`), its Protocol and Info
//! columns as tshark 4.0 writes them, a plain-language note for a student, and the
//! conversation's verdict ("DNS: 2 queries, 2 answers"). Never judges such a frame as the
//! uppercase lab. One file per protocol; this one dispatches and holds the bounded memory
//! they share. No I/O.
//!
//! A protocol's writer gets an [`AppFrame`] and fills [`Words`]; it returns
//! [`Claim::Declined`] when tshark would show the frame as its transport after all (a TCP
//! segment that does not start a message, for instance): the caller then writes the
//! TCP or UDP words as for any frame.

use std::collections::HashMap;

use super::Tone;
use crate::decode::Packet;
use crate::decode::app::{AppProto, L4};
use crate::source::{Frame, Timestamp};
use crate::track::{Analysis, Facts, Proto};

pub mod dhcp;
pub mod dhcpv6;
pub mod dns;
pub mod nbns;
pub mod ntp;
pub mod ssdp;

/// Conversations whose application summary is kept for the verdicts; beyond, the table
/// is emptied and starts again (a verdict then falls back to the transport's words).
pub const MAX_APP_CONVERSATIONS: usize = 1 << 16;

/// What a protocol's writer is given: one frame whose payload its dissector claims.
#[derive(Debug, Clone, Copy)]
pub struct AppFrame<'r, 'a> {
    /// The frame (number, time).
    pub frame: &'r Frame<'a>,
    /// The decoded packet.
    pub packet: &'r Packet<'a>,
    /// The tracker's facts (stream, direction, TCP analysis).
    pub facts: &'r Facts,
    /// The protocol claimed.
    pub proto: AppProto,
    /// The transport the payload came in.
    pub l4: L4,
    /// The payload bytes captured.
    pub payload: &'a [u8],
    /// The payload length the transport header declares (more than `payload.len()` when
    /// the frame was cut by the snap length).
    pub declared_len: u64,
}

impl AppFrame<'_, '_> {
    /// The frame was cut by the snap length inside the payload: a parser that runs out
    /// of bytes then ends the Info with `[Packet size limited during capture]`, as tshark
    /// does, instead of `[Malformed Packet]`.
    pub fn cut_short(&self) -> bool {
        (self.payload.len() as u64) < self.declared_len
    }

    /// What tshark appends to the Info when the protocol's bytes ran out.
    pub fn short_suffix(&self) -> &'static str {
        if self.cut_short() {
            "[Packet size limited during capture]"
        } else {
            "[Malformed Packet]"
        }
    }

    /// The conversation key (transport, stream), when the tracker numbered one.
    pub fn conversation(&self) -> Option<(Proto, u64)> {
        let proto = match self.l4 {
            L4::Tcp => Proto::Tcp,
            L4::Udp => Proto::Udp,
        };
        Some((proto, self.facts.stream?))
    }
}

/// What a protocol's writer fills in. The strings come cleared (Protocol holds the
/// transport's name, which the writer replaces).
#[derive(Debug)]
pub struct Words<'n> {
    /// The Protocol column.
    pub protocol: &'n mut String,
    /// The Info column.
    pub info: &'n mut String,
    /// The plain-language note.
    pub text: &'n mut String,
    /// How the row is coloured.
    pub tone: &'n mut Tone,
}

/// Whether a writer took the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Protocol, Info and note written.
    Written,
    /// Not this protocol's after all: nothing written, the transport's words apply.
    Declined,
}

/// What the verdict of an application conversation says, counted frame by frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSummary {
    /// The protocol (the first claimed frame's).
    pub proto: Option<AppProto>,
    /// Requests: DNS queries, DHCP client messages, NTP client packets, ...
    pub requests: u32,
    /// Responses: DNS answers, DHCP server messages, ...
    pub responses: u32,
    /// Of the responses, those reporting an error (DNS "No such name", ...).
    pub errors: u32,
    /// A few words for the verdict (the names asked, the DHCP steps, ...), at most
    /// [`MAX_SUMMARY_WORDS`] bytes.
    pub words: String,
}

/// Bytes of [`AppSummary::words`] kept.
pub const MAX_SUMMARY_WORDS: usize = 120;

impl AppSummary {
    /// Appends `s` to the words, separated by `sep` from what is there, unless it would
    /// pass [`MAX_SUMMARY_WORDS`] (then `…` once).
    pub fn add_words(&mut self, sep: &str, s: &str) {
        if self.words.ends_with('…') {
            return;
        }
        if self.words.len() + sep.len() + s.len() > MAX_SUMMARY_WORDS {
            self.words.push('…');
            return;
        }
        if !self.words.is_empty() {
            self.words.push_str(sep);
        }
        self.words.push_str(s);
    }
}

/// The memory of the application writers: each protocol's own, and the conversation
/// summaries. Bounded (see [`MAX_APP_CONVERSATIONS`] and each protocol's bounds).
#[derive(Debug, Default)]
pub struct Memory {
    /// DNS, mDNS, LLMNR, NBNS: queries awaiting their answer.
    pub dns: dns::Memory,
    /// DHCP: the last step of each transaction.
    pub dhcp: dhcp::Memory,
    summaries: HashMap<(Proto, u64), AppSummary>,
    /// Scratch words for [`observe`] (the summary-only path writes and drops them).
    scratch: (String, String, String),
}

impl Memory {
    /// The summary of a conversation, when a dissector claimed one of its frames.
    pub fn summary(&self, proto: Proto, stream: u64) -> Option<&AppSummary> {
        self.summaries.get(&(proto, stream))
    }

    /// The summary of the frame's conversation, made on first use (`None` for a frame
    /// outside a conversation).
    pub fn summary_mut(&mut self, f: &AppFrame<'_, '_>) -> Option<&mut AppSummary> {
        let key = f.conversation()?;
        if self.summaries.len() >= MAX_APP_CONVERSATIONS && !self.summaries.contains_key(&key) {
            self.summaries.clear();
        }
        let s = self.summaries.entry(key).or_default();
        s.proto.get_or_insert(f.proto);
        Some(s)
    }
}

/// The frame as the application writers see it, when a dissector claims it: the
/// packet's protocol choice, and for TCP a segment that is not a retransmission (tshark
/// hands those to no dissector).
pub fn app_frame<'r, 'a>(
    frame: &'r Frame<'a>,
    packet: &'r Packet<'a>,
    facts: &'r Facts,
) -> Option<AppFrame<'r, 'a>> {
    let proto = packet.app?;
    let (l4, declared_len) = match &packet.transport {
        crate::decode::Transport::Tcp(t) => {
            let retransmitted = facts.tcp.as_ref().is_some_and(|f| {
                f.analysis.0
                    & (Analysis::RETRANSMISSION
                        | Analysis::FAST_RETRANSMISSION
                        | Analysis::SPURIOUS_RETRANSMISSION)
                    != 0
            });
            if retransmitted {
                return None;
            }
            (L4::Tcp, u64::from(t.payload_len))
        }
        crate::decode::Transport::Udp(u) => (L4::Udp, u64::from(u.payload_len)),
        _ => return None,
    };
    Some(AppFrame {
        frame,
        packet,
        facts,
        proto,
        l4,
        payload: packet.payload,
        declared_len,
    })
}

/// Writes Protocol, Info and note of a claimed frame, and counts it in its
/// conversation's summary.
pub fn write(memory: &mut Memory, f: &AppFrame<'_, '_>, words: &mut Words<'_>) -> Claim {
    match f.proto {
        AppProto::Dns | AppProto::Mdns | AppProto::Llmnr => dns::write(memory, f, words),
        AppProto::Nbns => nbns::write(memory, f, words),
        AppProto::Dhcp => dhcp::write(memory, f, words),
        AppProto::Dhcpv6 => dhcpv6::write(memory, f, words),
        AppProto::Ntp => ntp::write(memory, f, words),
        AppProto::Ssdp => ssdp::write(memory, f, words),
        // Protocols whose writer is not in this file's match yet keep the transport's words.
        _ => Claim::Declined,
    }
}

/// The summary-only path ([`super::Explainer::observe`]): the memory changes exactly as
/// [`write`]'s, the words are dropped.
pub fn observe(memory: &mut Memory, f: &AppFrame<'_, '_>) -> Claim {
    let (mut protocol, mut info, mut text) = std::mem::take(&mut memory.scratch);
    let mut tone = Tone::Plain;
    let claim = write(
        memory,
        f,
        &mut Words {
            protocol: &mut protocol,
            info: &mut info,
            text: &mut text,
            tone: &mut tone,
        },
    );
    protocol.clear();
    info.clear();
    text.clear();
    memory.scratch = (protocol, info, text);
    claim
}

/// The verdict of a conversation a dissector claimed, e.g. "DNS: 2 queries, 2 answers
/// (example.com, example.org)"; `None` for one it did not.
pub fn verdict(memory: &Memory, proto: Proto, stream: u64) -> Option<String> {
    let s = memory.summary(proto, stream)?;
    match s.proto? {
        AppProto::Dns | AppProto::Mdns | AppProto::Llmnr | AppProto::Nbns => Some(dns::verdict(s)),
        AppProto::Dhcp | AppProto::Dhcpv6 => Some(dhcp::verdict(s)),
        AppProto::Ntp => Some(ntp::verdict(s)),
        AppProto::Ssdp => Some(ssdp::verdict(s)),
        _ => None,
    }
}

/// Milliseconds between two timestamps, as "8.3 ms" (one decimal under 100 ms).
pub fn write_elapsed(out: &mut String, from: Timestamp, to: Timestamp) {
    use std::fmt::Write as _;
    if from.is_absent() || to.is_absent() {
        return;
    }
    let nanos = to.nanos_since(from).max(0);
    let ms = nanos as f64 / 1e6;
    let _ = if ms < 100.0 {
        write!(out, "{ms:.1} ms")
    } else {
        write!(out, "{ms:.0} ms")
    };
}

#[cfg(test)]
mod tests;
