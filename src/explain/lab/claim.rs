//! Which conversations an application protocol claims (DNS, HTTP, TLS, …): those are
//! never judged as the lab. One function: the application dissectors' own predicate
//! ([`crate::decode::app::classify`], [`crate::decode::app::claims_ports`]), and for the
//! protocols that have no dissector yet, their well-known ports and first bytes here.

use crate::decode::app::{self, L4};
use crate::track::Proto;

/// Well-known ports of application protocols without a dissector yet (either side).
const APP_PORTS: &[(Option<Proto>, u16)] = &[
    (None, 53),               // DNS
    (Some(Proto::Udp), 67),   // DHCP server
    (Some(Proto::Udp), 68),   // DHCP client
    (Some(Proto::Udp), 123),  // NTP
    (Some(Proto::Udp), 137),  // NetBIOS name service
    (Some(Proto::Udp), 138),  // NetBIOS datagram
    (Some(Proto::Udp), 161),  // SNMP
    (Some(Proto::Udp), 1900), // SSDP
    (Some(Proto::Udp), 5353), // mDNS
    (Some(Proto::Udp), 5355), // LLMNR
    (Some(Proto::Udp), 443),  // QUIC
    (Some(Proto::Tcp), 21),   // FTP
    (Some(Proto::Tcp), 22),   // SSH
    (Some(Proto::Tcp), 23),   // Telnet
    (Some(Proto::Tcp), 25),   // SMTP
    (Some(Proto::Tcp), 80),   // HTTP
    (Some(Proto::Tcp), 110),  // POP3
    (Some(Proto::Tcp), 143),  // IMAP
    (Some(Proto::Tcp), 443),  // HTTPS
    (Some(Proto::Tcp), 853),  // DNS over TLS
    (Some(Proto::Tcp), 993),  // IMAPS
    (Some(Proto::Tcp), 995),  // POP3S
    (Some(Proto::Tcp), 6379), // Redis
    (Some(Proto::Tcp), 8000), // HTTP alternate
    (Some(Proto::Tcp), 8080), // HTTP alternate
];

/// HTTP request and status lines start so.
const HTTP_STARTS: &[&[u8]] = &[
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"HTTP/1.",
    b"HTTP/2",
];

/// True when an application protocol claims the conversation between these ports whose
/// first payload is `first`: a well-known port, an HTTP request line or a TLS record.
pub fn claimed_by_app(proto: Proto, ports: (u16, u16), first: &[u8]) -> bool {
    let l4 = match proto {
        Proto::Tcp => L4::Tcp,
        Proto::Udp => L4::Udp,
        // Never a lab run (the lab is UDP and TCP): nothing to claim.
        Proto::Icmp | Proto::Other(_) => return false,
    };
    if app::claims_ports(l4, ports.0, ports.1).is_some()
        || app::classify(l4, ports.0, ports.1, first).is_some()
    {
        return true;
    }
    let port_claimed = APP_PORTS
        .iter()
        .any(|&(p, port)| p.is_none_or(|p| p == proto) && (ports.0 == port || ports.1 == port));
    let http = HTTP_STARTS.iter().any(|s| first.starts_with(s));
    // A TLS handshake record: content type 22, version 3.x.
    let tls = proto == Proto::Tcp && matches!(first, [0x16, 0x03, ..]);
    port_claimed || http || tls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_dns_http_tls_claimed_lab_not() {
        assert!(claimed_by_app(Proto::Udp, (40000, 53), b"\x12\x34"));
        assert!(claimed_by_app(
            Proto::Tcp,
            (40000, 9000),
            b"GET / HTTP/1.1\r\n"
        ));
        assert!(claimed_by_app(
            Proto::Tcp,
            (40000, 9000),
            b"\x16\x03\x01\x02\x00"
        ));
        assert!(!claimed_by_app(Proto::Udp, (40000, 12000), b"hello"));
        assert!(!claimed_by_app(Proto::Tcp, (40000, 8888), b"hello"));
    }
}
