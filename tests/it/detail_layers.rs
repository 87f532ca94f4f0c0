//! One parser (issue 11): on every frame of every fixture, the detail view's layers are
//! the layers of the [`Packet`] the timeline sees. `decode_spans` (the detail view's
//! decode) must give the same packet as `decode`, and its layers must name that packet's
//! link, network and transport headers, with that packet's addresses and ports, in
//! frame order, each lying inside the captured bytes.

use wirelab::decode::spans::Span;
use wirelab::decode::{Decoder, Link, Net, Packet, Transport, TunnelKind, decode, decode_spans};
use wirelab::source::FileSource;

use super::util::fixtures;

/// The layer name the detail view gives the link header of `packet`.
fn link_layer(packet: &Packet<'_>, linktype: u32) -> Option<String> {
    Some(match &packet.link {
        Link::Ethernet { .. } => "Ethernet II".into(),
        Link::LinuxSll { .. } => "Linux cooked capture v1 (SLL)".into(),
        Link::LinuxSll2 { .. } => "Linux cooked capture v2 (SLL2)".into(),
        Link::Null { .. } if linktype == 108 => "OpenBSD loopback (LOOP)".into(),
        Link::Null { .. } => "BSD loopback (NULL)".into(),
        Link::Ppp { .. } => "Point-to-Point Protocol".into(),
        Link::CiscoHdlc { .. } => "Cisco HDLC".into(),
        Link::Ieee80211 { radiotap: true, .. } => "Radiotap Header".into(),
        Link::Ieee80211 { .. } => "IEEE 802.11".into(),
        Link::Nflog { .. } => "Linux Netfilter NFLOG".into(),
        Link::Unsupported { linktype } => format!("Link type {linktype}"),
        Link::RawIp | Link::None => return None,
    })
}

/// The (name, summary) the detail view gives the network header of `packet`.
fn net_layer(packet: &Packet<'_>) -> Option<(&'static str, String)> {
    match &packet.net {
        Net::Ipv4(h) => Some((
            "Internet Protocol Version 4",
            format!("Src: {}, Dst: {}", h.src, h.dst),
        )),
        Net::Ipv6(h) => Some((
            "Internet Protocol Version 6",
            format!("Src: {}, Dst: {}", h.src, h.dst),
        )),
        Net::Arp(_) => Some(("Address Resolution Protocol", String::new())),
        _ => None,
    }
}

/// The (name, summary prefix) the detail view gives the transport header of `packet`.
fn transport_layer(packet: &Packet<'_>) -> Option<(&'static str, String)> {
    match &packet.transport {
        Transport::Tcp(t) => Some((
            "Transmission Control Protocol",
            format!("Src Port: {}, Dst Port: {}", t.src_port, t.dst_port),
        )),
        Transport::Udp(u) => Some((
            "User Datagram Protocol",
            format!("Src Port: {}, Dst Port: {}", u.src_port, u.dst_port),
        )),
        Transport::Icmpv4(_) => Some(("Internet Control Message Protocol", String::new())),
        Transport::Icmpv6(_) => Some(("Internet Control Message Protocol v6", String::new())),
        _ => None,
    }
}

/// Checks one frame; returns what is wrong, if anything.
fn check(packet: &Packet<'_>, layers: &[Span], linktype: u32, captured: usize) -> Vec<String> {
    let mut wrong = Vec::new();
    for l in layers {
        if l.offset.saturating_add(l.len) > captured {
            wrong.push(format!(
                "layer {:?} at {} ({} bytes) runs past the {captured} captured bytes",
                l.name, l.offset, l.len
            ));
        }
    }
    let first = layers.first().map(|l| l.name.as_str());
    if let Some(name) = link_layer(packet, linktype)
        && first != Some(name.as_str())
    {
        wrong.push(format!(
            "first layer {first:?}, the packet's link is {name:?}"
        ));
    }
    // The packet's network header: the last one of its kind before the transport (a
    // tunnel's outer header and an ICMP error's quoted one are other layers).
    let net_at = net_layer(packet).map(|(name, summary)| {
        let at = layers
            .iter()
            .rposition(|l| l.name == name && (summary.is_empty() || l.value == summary));
        if at.is_none() {
            wrong.push(format!("no layer {name:?} {summary:?}"));
        }
        at
    });
    if let Some((name, summary)) = transport_layer(packet) {
        let after = net_at.flatten().unwrap_or(0);
        let found = layers
            .iter()
            .skip(after)
            .any(|l| l.name == name && l.value.starts_with(&summary));
        if !found {
            wrong.push(format!(
                "no layer {name:?} {summary:?} after the network header"
            ));
        }
    }
    if let Some(t) = &packet.tunnel {
        let named = |name: &str| layers.iter().any(|l| l.name == name);
        let ip_headers = layers
            .iter()
            .filter(|l| l.name.starts_with("Internet Protocol Version"))
            .count();
        let shown = match t.kind {
            TunnelKind::IpInIp | TunnelKind::Ipv6InIp => ip_headers >= 2,
            TunnelKind::Gre { .. } => named("Generic Routing Encapsulation"),
            TunnelKind::Vxlan { .. } => named("Virtual eXtensible Local Area Network"),
            TunnelKind::L2tp { .. } => named("Layer 2 Tunneling Protocol"),
        };
        if !shown {
            wrong.push(format!(
                "the {} tunnel's header is not among the layers",
                t.kind.name()
            ));
        }
    }
    if let Net::PppControl { .. } = packet.net
        && !layers.iter().any(|l| l.name.starts_with("PPP "))
    {
        wrong.push("no PPP control protocol layer".into());
    }
    wrong
}

#[test]
fn detail_layers_are_the_packets_layers_on_every_fixture_frame() {
    let mut frames = 0usize;
    let mut failures = Vec::new();
    for fx in fixtures() {
        let Ok(mut source) = FileSource::open(&fx.path()) else {
            continue;
        };
        while let Ok(Some(frame)) = source.next_frame() {
            frames += 1;
            let plain = decode(&frame);
            let (packet, layers) = decode_spans(&frame, None);
            if format!("{plain:?}") != format!("{packet:?}") {
                failures.push(format!(
                    "{} frame {}: decode_spans decodes another packet than decode",
                    fx.name, frame.number
                ));
            }
            for w in check(&packet, &layers, frame.linktype.0, frame.data.len()) {
                failures.push(format!("{} frame {}: {w}", fx.name, frame.number));
            }
        }
    }
    assert!(frames > 400, "only {frames} fixture frames were read");
    assert!(
        failures.is_empty(),
        "{} frame(s) whose detail layers are not the packet's:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The threaded reader finds each packet's payload again in its copy of the frame from
/// `Packet::payload_span` (issue 11: no pointer arithmetic): on every fixture frame,
/// decoded with and without reassembly, the span names the payload's own bytes in the
/// frame, and only a reassembled datagram's payload (in the decoder's buffer) has none.
#[test]
fn payload_span_is_where_the_payload_lies_on_every_fixture_frame() {
    let mut frames = 0usize;
    let mut spans = 0usize;
    let mut failures = Vec::new();
    for fx in fixtures() {
        let Ok(mut source) = FileSource::open(&fx.path()) else {
            continue;
        };
        let mut decoder = Decoder::new();
        while let Ok(Some(frame)) = source.next_frame() {
            frames += 1;
            let data = frame.data;
            let plain = decode(&frame);
            let reassembling = decoder.decode(&frame);
            for (how, p) in [("decode", &plain), ("Decoder", &reassembling)] {
                let reassembled = p.fragment.is_some_and(|f| f.reassembled);
                match p.payload_span() {
                    Some(span) => {
                        spans += 1;
                        let found = data.get(span.clone());
                        // The same bytes, at the same place: the payload's own slice.
                        if found.map(<[u8]>::as_ptr) != Some(p.payload.as_ptr())
                            || found.map(<[u8]>::len) != Some(p.payload.len())
                        {
                            failures.push(format!(
                                "{} frame {} ({how}): span {span:?} is not the payload",
                                fx.name, frame.number
                            ));
                        }
                    }
                    None if !p.payload.is_empty() && !reassembled => failures.push(format!(
                        "{} frame {} ({how}): a payload of {} bytes with no span",
                        fx.name,
                        frame.number,
                        p.payload.len()
                    )),
                    None => {}
                }
            }
        }
    }
    assert!(frames > 400, "only {frames} fixture frames were read");
    assert!(spans > 400, "only {spans} payloads had a span");
    assert!(
        failures.is_empty(),
        "{} payload(s) not where their span says:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
