//! Words for the web's protocols (HTTP, TLS, SSH, QUIC): the Protocol and Info
//! columns as Wireshark 4.0 writes them, the plain note for a student, and the
//! verdict of a conversation. Pure functions of the decoded [`WebFrame`] facts.

use std::fmt::Write as _;

use crate::decode::app::quic::{self, GquicKind, LongType, QuicConn, QuicPacket};
use crate::decode::app::ssh::{self, SshItem, SshSession};
use crate::decode::app::tls::{self, TlsItem, TlsSession};
use crate::decode::app::web::{HttpMessage, WebContent, WebFrame, WebProto, WebSummary};

/// What Wireshark appends to a frame none of whose PDUs ended in it.
pub const SEGMENT_SUFFIX: &str = "[TCP segment of a reassembled PDU]";

/// The Protocol column of a web frame.
pub fn protocol(frame: &WebFrame) -> &'static str {
    if frame.incomplete {
        return "TCP";
    }
    match &frame.content {
        WebContent::Segment => "TCP",
        WebContent::Http(msgs) => match msgs.first().and_then(|m| m.content_type.as_deref()) {
            Some(t)
                if msgs
                    .first()
                    .is_some_and(|m| m.body_len > 0 && (is_xml(t) || body_is_xml(m))) =>
            {
                "HTTP/XML"
            }
            Some(t) if msgs.first().is_some_and(|m| m.body_len > 0) && t == "application/json" => {
                "HTTP/JSON"
            }
            _ => "HTTP",
        },
        WebContent::HttpContinuation => "HTTP",
        WebContent::Tls(t) => t.protocol,
        WebContent::Ssh(s) => s.protocol,
        WebContent::Quic(p) if matches!(p.first(), Some(QuicPacket::Google(_))) => "GQUIC",
        WebContent::Quic(_) => "QUIC",
    }
}

/// True when the body starts with an XML declaration: Wireshark's XML heuristic
/// takes it whatever its media type.
fn body_is_xml(m: &HttpMessage) -> bool {
    m.body_start.starts_with(b"<?xml")
}

/// True for the media types Wireshark hands to its XML dissector.
fn is_xml(t: &str) -> bool {
    matches!(t, "text/xml" | "application/xml") || t.ends_with("+xml")
}

/// What Wireshark's body dissector appends after an HTTP first line: ` (text/html)`
/// for text (data-text-lines) and most types (media), the image dissectors' own
/// names, nothing for XML and JSON (they rename the Protocol column instead).
fn write_media(out: &mut String, msg: &HttpMessage) {
    let Some(t) = msg.content_type.as_deref() else {
        return;
    };
    if msg.body_len == 0 || is_xml(t) || body_is_xml(msg) {
        return;
    }
    match t {
        "image/gif" => {
            let v = if msg.body_start.starts_with(b"GIF87a") {
                "GIF87a"
            } else {
                "GIF89a"
            };
            let _ = write!(out, " ({v})");
        }
        "image/jpeg" | "image/jpg" => out.push_str(" (JPEG JFIF image)"),
        "image/png" => out.push_str(" (PNG)"),
        "application/json" => out.push_str(" , JavaScript Object Notation (application/json)"),
        _ => {
            let _ = write!(out, " ({t})");
        }
    }
}

/// Writes the Info column of a web frame. `tcp_info` is the TCP Info Wireshark
/// would show for the segment (kept for a segment inside a PDU).
pub fn write_info(out: &mut String, frame: &WebFrame, tcp_info: &str) {
    match &frame.content {
        WebContent::Segment => {
            out.push_str(tcp_info);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(SEGMENT_SUFFIX);
            return;
        }
        WebContent::Http(msgs) => {
            if let Some(m) = msgs.first() {
                out.push_str(&m.first_line);
                if m.truncated {
                    // the head ran out of captured bytes, as tshark says it
                    out.push_str(" [Packet size limited during capture]");
                } else {
                    out.push(' ');
                }
                if m.complete {
                    write_media(out, m);
                }
            }
        }
        WebContent::HttpContinuation => out.push_str("Continuation"),
        WebContent::Tls(t) => {
            for (i, item) in t.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match item {
                    TlsItem::Alert(level, desc) => {
                        let _ = write!(
                            out,
                            "Alert (Level: {}, Description: {})",
                            tls::alert_level_name(*level),
                            tls::alert_description_name(*desc)
                        );
                    }
                    _ => out.push_str(tls::item_name(item)),
                }
            }
        }
        WebContent::Ssh(s) => {
            if !s.items.is_empty() {
                out.push_str(if s.from_server {
                    "Server: "
                } else {
                    "Client: "
                });
            }
            for (i, item) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match item {
                    SshItem::Banner(b) => {
                        let _ = write!(out, "Protocol ({b})");
                    }
                    SshItem::Message(code) => out.push_str(ssh_message_name(s, *code)),
                    SshItem::Encrypted(n) => {
                        let _ = write!(out, "Encrypted packet (len={n})");
                    }
                    SshItem::Undecrypted(_) => {}
                }
                if matches!(s.items.get(i + 1), Some(SshItem::Undecrypted(_))) {
                    break;
                }
            }
        }
        WebContent::Quic(packets) => {
            // tshark's QUIC dissector rewrites the Info column for each packet of a
            // datagram: coalesced packets show the last one's
            if let Some(p) = packets.last() {
                write_quic_packet(out, p);
            }
        }
    }
    if frame.incomplete {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(SEGMENT_SUFFIX);
    }
}

/// The name of an SSH message of this frame.
fn ssh_message_name(s: &ssh::SshFrame, code: u8) -> &'static str {
    if s.protocol == "SSHv1" {
        ssh::v1_message_name(code)
    } else {
        ssh::message_name(code, s.kex)
    }
}

/// One QUIC packet's Info column, as tshark 4.0 writes it: the long header type, then
/// `DCID=` and `SCID=` of those that are not empty, `PKN: n` and the frames of a
/// decrypted Initial; a short header's `Protected Payload (KP0)` and DCID; Google
/// QUIC's message or `Payload (Encrypted)`, `PKN: n` and `CID: n`.
fn write_quic_packet(out: &mut String, p: &QuicPacket) {
    let cids = |out: &mut String, dcid: &quic::Cid, scid: &quic::Cid| {
        for (name, cid) in [(", DCID=", dcid), (", SCID=", scid)] {
            if !cid.is_empty() {
                out.push_str(name);
                for b in cid.as_bytes() {
                    let _ = write!(out, "{b:02x}");
                }
            }
        }
    };
    match p {
        QuicPacket::Long {
            google_info: Some(text),
            ..
        } => out.push_str(text),
        QuicPacket::Long {
            kind,
            dcid,
            scid,
            pn,
            frames,
            ..
        } => {
            out.push_str(kind.name());
            cids(out, dcid, scid);
            if let Some(pn) = pn {
                let _ = write!(out, ", PKN: {pn}");
            }
            for f in frames.iter().flatten() {
                out.push_str(", ");
                out.push_str(quic::frame_name(*f));
            }
        }
        QuicPacket::VersionNegotiation { dcid, scid } => {
            out.push_str("Version Negotiation");
            cids(out, dcid, scid);
        }
        QuicPacket::Short { dcid, .. } => {
            out.push_str("Protected Payload (KP0)");
            cids(out, dcid, &quic::Cid::default());
        }
        QuicPacket::Google(g) => {
            match g.kind {
                GquicKind::VersionNegotiation => out.push_str("Version Negotiation"),
                GquicKind::PublicReset => out.push_str("Public Reset"),
                GquicKind::Clear(text) => out.push_str(text),
                GquicKind::Encrypted => out.push_str("Payload (Encrypted)"),
            }
            if let Some(pkn) = g.pkn {
                let _ = write!(out, ", PKN: {pkn}");
            }
            // tshark writes CID: always on the two packets without a packet number,
            // elsewhere only when it is not 0
            if g.pkn.is_none() || g.cid != 0 {
                let _ = write!(out, ", CID: {}", g.cid);
            }
        }
    }
}

/// Writes `n` with thousands separators (1,234).
fn push_grouped(out: &mut String, n: u64) {
    let digits = n.to_string();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
}

/// The plain note of a web frame, for a student.
pub fn write_note(out: &mut String, frame: &WebFrame) {
    match &frame.content {
        WebContent::Segment => {
            out.push_str(match frame.proto {
                WebProto::Http => "part of an HTTP message that spans several TCP segments; ",
                WebProto::Tls => "part of a TLS record that spans several TCP segments; ",
                WebProto::Ssh => "part of an SSH packet that spans several TCP segments; ",
                WebProto::Quic => "",
            });
            out.push_str("Wireshark shows it whole in the segment that completes it");
        }
        WebContent::Http(msgs) => {
            for (i, m) in msgs.iter().enumerate() {
                if i > 0 {
                    out.push_str("; then ");
                }
                write_http_note(out, m, frame);
            }
        }
        WebContent::HttpContinuation => {
            out.push_str("more bytes of an HTTP body whose start was not followed")
        }
        WebContent::Tls(t) => {
            let mut first = true;
            let mut said_app = false;
            for item in &t.items {
                if matches!(item, TlsItem::ApplicationData) {
                    if said_app {
                        continue;
                    }
                    said_app = true;
                }
                if !first {
                    out.push_str("; ");
                }
                first = false;
                write_tls_item_note(out, item, t, frame.from_client);
            }
        }
        WebContent::Ssh(s) => {
            if s.items.is_empty() {
                out.push_str("the start of an SSH packet that continues in later segments");
            }
            for (i, item) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push_str("; ");
                }
                let who = if s.from_server {
                    "the server"
                } else {
                    "the client"
                };
                match item {
                    SshItem::Banner(b) => {
                        let _ = write!(out, "SSH banner: {who} announces {b}");
                    }
                    SshItem::Message(code) if s.protocol == "SSHv1" => {
                        let _ = write!(out, "SSH 1 {}: from {who}", ssh::v1_message_name(*code));
                    }
                    SshItem::Message(code) => {
                        let _ = write!(
                            out,
                            "{}: {who} {}",
                            ssh::message_name(*code, s.kex),
                            ssh::message_meaning(*code)
                        );
                    }
                    SshItem::Encrypted(n) | SshItem::Undecrypted(n) => {
                        let _ = write!(
                            out,
                            "SSH encrypted packet ({n} bytes): only the two ends can read it"
                        );
                    }
                }
            }
        }
        WebContent::Quic(packets) => write_quic_note(out, packets),
    }
}

/// The note of a QUIC datagram: what its packets are, for a student.
fn write_quic_note(out: &mut String, packets: &[QuicPacket]) {
    if let Some(QuicPacket::Google(g)) = packets.first() {
        out.push_str("Google QUIC: Google's own QUIC, before the IETF standard (RFC 9000)");
        if let Some(v) = g.version.as_ref().and_then(|v| std::str::from_utf8(v).ok()) {
            let _ = write!(out, ", version {v}");
        }
        out.push_str(match g.kind {
            GquicKind::Clear("Client Hello") => {
                "; the client's hello, in clear: it proposes keys and names the server"
            }
            GquicKind::Clear("Server Hello") => "; the server's hello, in clear",
            GquicKind::Clear("Rejection") => {
                "; the server rejects the client's first hello and sends its configuration"
            }
            GquicKind::Clear(_) => "; a packet in clear",
            GquicKind::Encrypted => "; encrypted: only the two ends can read it",
            GquicKind::VersionNegotiation => "; the server lists the versions it speaks",
            GquicKind::PublicReset => "; the server resets the connection",
        });
        return;
    }
    out.push_str("QUIC: HTTP/3's transport over UDP");
    if packets.len() > 1 {
        out.push_str("; coalesced: ");
        for (i, p) in packets.iter().enumerate() {
            if i > 0 {
                out.push_str(" + ");
            }
            out.push_str(match p {
                QuicPacket::Long { kind, .. } => kind.name(),
                QuicPacket::VersionNegotiation { .. } => "Version Negotiation",
                QuicPacket::Short { .. } => "1-RTT",
                QuicPacket::Google(_) => "Google QUIC",
            });
        }
        out.push_str(" packets in one UDP datagram (Wireshark's Info column shows the last one)");
    }
    let Some(p) = packets.first() else { return };
    match p {
        QuicPacket::Long {
            kind: LongType::Initial,
            frames,
            crypto_start,
            crypto_offset,
            google_info,
            ..
        } => {
            out.push_str("; Initial packet: ");
            match (
                crypto_start.as_deref().and_then(|c| c.first()),
                crypto_offset,
            ) {
                (Some(1), _) => out.push_str("carries the client's TLS Client Hello"),
                (Some(2), _) => out.push_str("carries the server's TLS Server Hello"),
                (_, Some(off)) if *off > 0 => {
                    let _ = write!(
                        out,
                        "carries more of a TLS handshake message that did not fit one \
                         packet (from byte {off} of the handshake)"
                    );
                }
                _ if google_info.is_some() => {
                    out.push_str("carries Google QUIC frames (a version before RFC 9000)")
                }
                _ if frames.is_some() => {
                    out.push_str("handshake bookkeeping (acknowledgements, padding)")
                }
                _ => out.push_str("starts the handshake (its contents were cut from the capture)"),
            }
            out.push_str(", readable by anyone since its keys come from the connection ID");
        }
        QuicPacket::Long {
            kind: LongType::Handshake,
            ..
        } => out.push_str("; Handshake packet: the rest of the TLS handshake, encrypted"),
        QuicPacket::Long {
            kind: LongType::Retry,
            ..
        } => out.push_str("; Retry: the server asks the client to start again with a token"),
        QuicPacket::Long { kind, .. } => {
            let _ = write!(out, "; {} packet", kind.name());
        }
        QuicPacket::VersionNegotiation { .. } => {
            out.push_str("; the server lists the QUIC versions it speaks")
        }
        QuicPacket::Short { len, .. } => {
            let _ = write!(
                out,
                "; {len} bytes of encrypted data: only the two ends can read it"
            );
        }
        QuicPacket::Google(_) => {}
    }
}

/// One HTTP message's note.
fn write_http_note(out: &mut String, m: &HttpMessage, frame: &WebFrame) {
    match (&m.method, &m.target, m.status) {
        (Some(method), Some(target), _) => {
            let verb = match method.as_str() {
                "GET" => "asks the web server for",
                "POST" => "sends data to",
                "HEAD" => "asks only for the headers of",
                "PUT" => "uploads",
                "DELETE" => "asks the server to delete",
                _ => "asks the server about",
            };
            let _ = write!(out, "{method} {target}: {verb} {target}");
        }
        (_, _, Some(code)) => {
            let _ = write!(out, "{code} {}: ", m.reason.as_deref().unwrap_or(""));
            let what = match code {
                200..=299
                    if m.content_type
                        .as_deref()
                        .is_some_and(|t| t.starts_with("text/html")) =>
                {
                    "the page"
                }
                200..=299 => "the content",
                300..=399 => "a redirect",
                400..=499 => "the server refuses or cannot find it",
                _ => "a server error",
            };
            out.push_str(what);
            if m.complete {
                out.push_str(" (");
                if let Some(t) = &m.content_type {
                    let _ = write!(out, "{t}, ");
                }
                push_grouped(out, m.body_len);
                out.push_str(" bytes)");
            }
        }
        _ => {
            let _ = write!(out, "HTTP: {}", m.first_line);
        }
    }
    if !m.complete {
        out.push_str("; its body continues in the next segments");
    } else if let Some(from) = m.started_in.or(frame.reassembled_from) {
        let _ = write!(out, ", put together from frame {from} on");
    }
}

/// One TLS record's note.
fn write_tls_item_note(out: &mut String, item: &TlsItem, t: &tls::TlsFrame, from_client: bool) {
    match item {
        TlsItem::Handshake(1) => {
            out.push_str("Client Hello: proposes ");
            let v = t.client_hello.as_ref().map_or(0x0303, |c| c.max_version);
            out.push_str(tls::version_plain_name(v));
            if let Some(name) = t
                .client_hello
                .as_ref()
                .and_then(|c| c.server_name.as_deref())
            {
                let _ = write!(out, " to {name} (SNI)");
            }
        }
        TlsItem::Handshake(2) | TlsItem::Handshake(6) => {
            let retry = matches!(item, TlsItem::Handshake(6));
            if retry {
                out.push_str(
                    "Hello Retry Request: the server asks the client to offer another key share",
                );
            } else {
                out.push_str("Server Hello: the server picks ");
                let v = t.server_hello.map_or(0x0303, |s| s.version);
                out.push_str(tls::version_plain_name(v));
            }
        }
        TlsItem::Handshake(11) => {
            out.push_str("Certificate: who the sender is, signed by a certificate authority")
        }
        TlsItem::Handshake(12) => {
            out.push_str("Server Key Exchange: the server's half of the key agreement")
        }
        TlsItem::Handshake(14) => {
            out.push_str("Server Hello Done: the server waits for the client's keys")
        }
        TlsItem::Handshake(16) => {
            out.push_str("Client Key Exchange: the client's half of the key agreement")
        }
        TlsItem::Handshake(4) => out
            .push_str("New Session Ticket: lets the client resume later without a full handshake"),
        TlsItem::Handshake(c) => {
            let _ = write!(
                out,
                "{}: a TLS handshake message",
                tls::handshake_name(*c).unwrap_or("Handshake")
            );
        }
        TlsItem::EncryptedHandshake => out.push_str(
            "Encrypted Handshake Message: the handshake's check (Finished), already encrypted",
        ),
        TlsItem::ChangeCipherSpec => out.push_str(if from_client {
            "Change Cipher Spec: the client encrypts from here on"
        } else {
            "Change Cipher Spec: the server encrypts from here on"
        }),
        TlsItem::Alert(level, desc) => {
            let _ = write!(
                out,
                "Alert: {} {} (the connection {})",
                tls::alert_level_name(*level).to_lowercase(),
                tls::alert_description_name(*desc),
                if *level == 2 { "ends" } else { "goes on" }
            );
        }
        TlsItem::EncryptedAlert => {
            out.push_str("Encrypted Alert: usually the end of the connection (close notify)")
        }
        TlsItem::ApplicationData => {
            out.push_str("Application Data: encrypted; only the two ends can read it")
        }
        TlsItem::Heartbeat => out.push_str("Heartbeat: a keep-alive"),
    }
}

/// The verdict of a web conversation.
pub fn verdict(summary: &WebSummary) -> Option<String> {
    match summary {
        WebSummary::Http(items, count) => {
            if items.is_empty() {
                return Some("HTTP: no whole message seen".to_string());
            }
            let mut s = String::from("HTTP: ");
            s.push_str(&items.join(", "));
            let shown = u32::try_from(items.len()).unwrap_or(u32::MAX);
            if *count > shown {
                let _ = write!(s, " and {} more", count - shown);
            }
            Some(s)
        }
        WebSummary::Tls(t) => Some(tls_verdict(t)),
        WebSummary::Ssh(s) => Some(ssh_verdict(s)),
        WebSummary::Quic(q) => Some(quic_verdict(q)),
    }
}

fn tls_verdict(t: &TlsSession) -> String {
    let mut s = String::from("TLS");
    if let Some(name) = t
        .client_hello
        .as_ref()
        .and_then(|c| c.server_name.as_deref())
    {
        let _ = write!(s, " with {name}");
    }
    if let Some(v) = t.version.filter(|_| t.server_hello.is_some()) {
        let _ = write!(s, " ({})", tls::version_plain_name(v));
    }
    s.push_str(": ");
    let handshake = t.client_hello.is_some() || t.server_hello.is_some();
    let data = t.app_data.iter().any(|n| *n > 0);
    s.push_str(match (handshake, data, t.fatal_alert) {
        (_, _, Some(_)) => "handshake refused by an alert",
        (true, true, _) => "handshake, then encrypted data",
        (true, false, _) => "handshake only, no application data",
        (false, true, _) => "encrypted data (the handshake was not captured)",
        (false, false, _) => "no whole record seen",
    });
    if let Some(d) = t.fatal_alert {
        let _ = write!(s, " ({})", tls::alert_description_name(d));
    }
    s
}

fn ssh_verdict(sess: &SshSession) -> String {
    let mut s = String::from("SSH");
    if let Some(b) = &sess.sides.get(1).and_then(|x| x.banner.clone()) {
        let _ = write!(s, " to {b}");
    }
    s.push_str(": ");
    let kex = sess.sides.iter().all(|x| x.kex_methods.is_some());
    let keys = sess.sides.iter().any(|x| x.new_keys);
    s.push_str(match (kex, keys) {
        (true, true) => "key exchange, then an encrypted session",
        (true, false) => "key exchange not finished",
        (false, true) => "encrypted session",
        (false, false) => {
            if sess.sides.iter().any(|x| x.encrypted.0 > 0) {
                "encrypted session (its start was not captured)"
            } else {
                "banners only"
            }
        }
    });
    if let Some(k) = &sess.kex_name {
        let _ = write!(s, " ({k})");
    }
    s
}

fn quic_verdict(q: &QuicConn) -> String {
    if let Some(g) = &q.google {
        let mut s = String::from("Google QUIC");
        if let Some(name) = &q.server_name {
            let _ = write!(s, " with {name}");
        }
        s.push_str(if g.encrypted > 0 {
            ": its handshake in clear, then encrypted data"
        } else {
            ": its handshake in clear only"
        });
        return s;
    }
    let mut s = String::from("QUIC");
    if let Some(name) = &q.server_name {
        let _ = write!(s, " with {name}");
    }
    if q.alpn.iter().any(|a| a.starts_with("h3")) {
        s.push_str(" (HTTP/3)");
    }
    s.push_str(": ");
    s.push_str(if q.short_packets > 0 {
        "handshake, then encrypted data"
    } else {
        "handshake only"
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_grouped_numbers() {
        let mut s = String::new();
        push_grouped(&mut s, 1234);
        s.push(' ');
        push_grouped(&mut s, 12);
        s.push(' ');
        push_grouped(&mut s, 1_234_567);
        assert_eq!(s, "1,234 12 1,234,567");
    }
}
