//! DHCPv6 (RFC 8415, UDP 546 and 547): the message type, transaction ID and options read
//! in place, relay messages (Relay-forw, Relay-reply) with the message they carry.
//! Allocation-free; a message cut anywhere ends the walk with an error.

use std::net::Ipv6Addr;

use super::be16;

/// Relays nested in one another that are followed at most.
pub const MAX_RELAY_DEPTH: usize = 8;

/// Why a message cannot be read (further).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

/// One option: its code, its value, and its offset in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt<'a> {
    /// Option code (1 client ID, 2 server ID, 3 IA_NA, 5 IA address, 9 relay message, ...).
    pub code: u16,
    /// The value bytes.
    pub value: &'a [u8],
}

/// The options in `bytes`, in order; one running past the end yields an error once.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    bytes: &'a [u8],
    done: bool,
}

impl<'a> Options<'a> {
    /// The options encoded in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Options<'a> {
        Options { bytes, done: false }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<Opt<'a>, Short>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.bytes.is_empty() {
            return None;
        }
        let parsed = (|| {
            let code = be16(self.bytes, 0)?;
            let len = usize::from(be16(self.bytes, 2)?);
            let value = self.bytes.get(4..4 + len)?;
            Some((code, value, 4 + len))
        })();
        match parsed {
            Some((code, value, used)) => {
                self.bytes = self.bytes.get(used..).unwrap_or_default();
                Some(Ok(Opt { code, value }))
            }
            None => {
                self.done = true;
                Some(Err(Short))
            }
        }
    }
}

/// A DHCPv6 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A client or server message: type, transaction ID, options.
    Plain {
        /// Message type (1 Solicit, 2 Advertise, 3 Request, 7 Reply, ...).
        msg_type: u8,
        /// Transaction ID (24 bits); `None` when cut before it.
        xid: Option<u32>,
        /// The options' bytes.
        options: &'a [u8],
    },
    /// A relay message (12 Relay-forw, 13 Relay-reply).
    Relay {
        /// Message type.
        msg_type: u8,
        /// The link address; `None` when cut before it.
        link: Option<Ipv6Addr>,
        /// The options' bytes (the relayed message is option 9).
        options: &'a [u8],
    },
}

/// Reads a DHCPv6 message; `None` for an empty payload.
pub fn parse(payload: &[u8]) -> Option<Message<'_>> {
    let msg_type = *payload.first()?;
    if matches!(msg_type, 12 | 13) {
        let link = payload
            .get(2..18)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map(Ipv6Addr::from);
        return Some(Message::Relay {
            msg_type,
            link,
            options: payload.get(34..).unwrap_or_default(),
        });
    }
    let xid = payload
        .get(1..4)
        .map(|b| b.iter().fold(0u32, |x, b| (x << 8) | u32::from(*b)));
    Some(Message::Plain {
        msg_type,
        xid,
        options: payload.get(4..).unwrap_or_default(),
    })
}

/// The addresses of IA_NA (3) and IA_TA (4) options: IAADDR (5) sub-options.
pub fn ia_addresses<'a>(opt: &Opt<'a>) -> impl Iterator<Item = Ipv6Addr> + 'a {
    let skip = match opt.code {
        3 => 12,
        4 => 4,
        _ => usize::MAX,
    };
    Options::new(opt.value.get(skip..).unwrap_or_default())
        .map_while(Result::ok)
        .filter(|o| o.code == 5)
        .filter_map(|o| {
            let a: [u8; 16] = o.value.get(..16)?.try_into().ok()?;
            Some(Ipv6Addr::from(a))
        })
}

/// tshark's name of a message type; `None` where it writes "Message Type N".
pub fn message_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Solicit",
        2 => "Advertise",
        3 => "Request",
        4 => "Confirm",
        5 => "Renew",
        6 => "Rebind",
        7 => "Reply",
        8 => "Release",
        9 => "Decline",
        10 => "Reconfigure",
        11 => "Information-request",
        12 => "Relay-forw",
        13 => "Relay-reply",
        14 => "Leasequery",
        15 => "Leasequery-reply",
        16 => "Leasequery-done",
        17 => "Leasequery-data",
        18 => "Reconfigure-request",
        19 => "Reconfigure-reply",
        20 => "DHCPv4-query",
        21 => "DHCPv4-response",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_solicit_and_relay() {
        let sol = [1u8, 0x12, 0x34, 0x56, 0, 1, 0, 2, 0xaa, 0xbb];
        match parse(&sol) {
            Some(Message::Plain {
                msg_type,
                xid,
                options,
            }) => {
                assert_eq!((msg_type, xid), (1, Some(0x123456)));
                let o: Vec<_> = Options::new(options).collect();
                assert_eq!(
                    o,
                    [Ok(Opt {
                        code: 1,
                        value: &[0xaa, 0xbb]
                    })]
                );
            }
            other => panic!("{other:?}"),
        }
        let mut relay = vec![12u8, 0];
        relay.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        relay.extend_from_slice(&[0; 16]);
        assert!(matches!(
            parse(&relay),
            Some(Message::Relay { link: Some(_), .. })
        ));
        for n in 0..=relay.len() {
            let _ = parse(relay.get(..n).unwrap_or(&[]));
        }
    }
}
