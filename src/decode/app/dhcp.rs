//! DHCP and BOOTP (RFC 2131, RFC 951; UDP 67 and 68): the fixed 236-byte BOOTP message,
//! the magic cookie, and the options read in place. Allocation-free; every read is
//! checked, so a message cut anywhere ends the walk with an error, never a panic.

use std::net::Ipv4Addr;

use super::be32;

/// Bytes of the fixed BOOTP part, before the magic cookie.
pub const FIXED_LEN: usize = 236;
/// The magic cookie that starts DHCP options (99.130.83.99).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

/// Why a message cannot be read (further).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short {
    /// Offset in the message where more bytes were needed.
    pub at: usize,
}

/// A BOOTP/DHCP message.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The message bytes (the UDP payload).
    pub bytes: &'a [u8],
}

/// One option: its code, its value and where the option starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opt<'a> {
    /// Option code (53 message type, 50 requested address, ...).
    pub code: u8,
    /// The value bytes.
    pub value: &'a [u8],
    /// Offset of the code byte in the message.
    pub offset: usize,
}

impl<'a> Message<'a> {
    /// The message in a UDP payload (nothing is checked until read).
    pub fn new(bytes: &'a [u8]) -> Message<'a> {
        Message { bytes }
    }

    fn byte(&self, at: usize) -> Result<u8, Short> {
        self.bytes.get(at).copied().ok_or(Short { at })
    }

    fn addr(&self, at: usize) -> Result<Ipv4Addr, Short> {
        let b: [u8; 4] = self
            .bytes
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or(Short { at })?;
        Ok(Ipv4Addr::from(b))
    }

    /// 1 BOOTREQUEST (client), 2 BOOTREPLY (server).
    pub fn op(&self) -> Result<u8, Short> {
        self.byte(0)
    }
    /// Hardware type (1 Ethernet).
    pub fn htype(&self) -> Result<u8, Short> {
        self.byte(1)
    }
    /// Hardware address length (6 for Ethernet).
    pub fn hlen(&self) -> Result<u8, Short> {
        self.byte(2)
    }
    /// Transaction ID, chosen by the client, repeated by the server.
    pub fn xid(&self) -> Result<u32, Short> {
        be32(self.bytes, 4).ok_or(Short { at: 4 })
    }
    /// Seconds since the client began.
    pub fn secs(&self) -> Result<u16, Short> {
        super::be16(self.bytes, 8).ok_or(Short { at: 8 })
    }
    /// Flags (the top bit: broadcast the reply).
    pub fn flags(&self) -> Result<u16, Short> {
        super::be16(self.bytes, 10).ok_or(Short { at: 10 })
    }
    /// ciaddr: the client's address, when it has one.
    pub fn ciaddr(&self) -> Result<Ipv4Addr, Short> {
        self.addr(12)
    }
    /// yiaddr: "your" address, the one the server gives.
    pub fn yiaddr(&self) -> Result<Ipv4Addr, Short> {
        self.addr(16)
    }
    /// siaddr: the next server (boot server).
    pub fn siaddr(&self) -> Result<Ipv4Addr, Short> {
        self.addr(20)
    }
    /// giaddr: the relay agent.
    pub fn giaddr(&self) -> Result<Ipv4Addr, Short> {
        self.addr(24)
    }
    /// The client hardware address: `hlen` bytes (at most 16) of chaddr.
    pub fn chaddr(&self) -> Result<&'a [u8], Short> {
        let n = usize::from(self.hlen()?).min(16);
        self.bytes.get(28..28 + n).ok_or(Short { at: 28 })
    }

    /// The options after the magic cookie; an error when the message ends before the
    /// cookie or the cookie is not DHCP's (a plain BOOTP message).
    pub fn options(&self) -> Result<Options<'a>, Short> {
        let cookie = self
            .bytes
            .get(FIXED_LEN..FIXED_LEN + 4)
            .ok_or(Short { at: FIXED_LEN })?;
        if cookie != MAGIC_COOKIE {
            return Ok(Options {
                bytes: self.bytes,
                at: self.bytes.len(),
                done: true,
            });
        }
        Ok(Options {
            bytes: self.bytes,
            at: FIXED_LEN + 4,
            done: false,
        })
    }

    /// The DHCP message type (option 53), if the options before any cut hold one.
    pub fn message_type(&self) -> Option<u8> {
        self.option(53).and_then(|v| v.first().copied())
    }

    /// The value of the first option `code`, if read before any cut.
    pub fn option(&self, code: u8) -> Option<&'a [u8]> {
        self.options()
            .ok()?
            .map_while(Result::ok)
            .find(|o| o.code == code)
            .map(|o| o.value)
    }
}

/// The options of a message, in order; the end option (255) ends them; an option that
/// runs past the bytes yields an error once.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    bytes: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<Opt<'a>, Short>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let at = self.at;
        let Some(&code) = self.bytes.get(at) else {
            // No end option: the options stop with the bytes.
            self.done = true;
            return None;
        };
        match code {
            0 => {
                self.at += 1;
                Some(Ok(Opt {
                    code,
                    value: &[],
                    offset: at,
                }))
            }
            255 => {
                self.done = true;
                Some(Ok(Opt {
                    code,
                    value: &[],
                    offset: at,
                }))
            }
            _ => {
                let item = self
                    .bytes
                    .get(at + 1)
                    .and_then(|len| self.bytes.get(at + 2..at + 2 + usize::from(*len)));
                match item {
                    Some(value) => {
                        self.at = at + 2 + value.len();
                        Some(Ok(Opt {
                            code,
                            value,
                            offset: at,
                        }))
                    }
                    None => {
                        self.done = true;
                        Some(Err(Short { at }))
                    }
                }
            }
        }
    }
}

/// tshark's name of a DHCP message type ("Discover", "ACK", ...).
pub fn message_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NAK",
        7 => "Release",
        8 => "Inform",
        9 => "Force Renew",
        10 => "Lease query",
        11 => "Lease Unassigned",
        12 => "Lease Unknown",
        13 => "Lease Active",
        14 => "Bulk Lease Query",
        15 => "Lease Query Done",
        16 => "Active LeaseQuery",
        17 => "Lease Query Status",
        18 => "TLS",
        _ => return None,
    })
}

/// The name of a DHCP option (RFC 2132 and later), as the detail view shows it.
pub fn option_name(code: u8) -> &'static str {
    match code {
        0 => "Padding",
        1 => "Subnet Mask",
        2 => "Time Offset",
        3 => "Router",
        4 => "Time Server",
        5 => "Name Server",
        6 => "Domain Name Server",
        7 => "Log Server",
        12 => "Host Name",
        15 => "Domain Name",
        26 => "Interface MTU",
        28 => "Broadcast Address",
        31 => "Perform Router Discover",
        33 => "Static Route",
        42 => "Network Time Protocol Servers",
        43 => "Vendor-Specific Information",
        44 => "NetBIOS over TCP/IP Name Server",
        46 => "NetBIOS over TCP/IP Node Type",
        47 => "NetBIOS over TCP/IP Scope",
        50 => "Requested IP Address",
        51 => "IP Address Lease Time",
        52 => "Option Overload",
        53 => "DHCP Message Type",
        54 => "DHCP Server Identifier",
        55 => "Parameter Request List",
        56 => "Message",
        57 => "Maximum DHCP Message Size",
        58 => "Renewal Time Value",
        59 => "Rebinding Time Value",
        60 => "Vendor class identifier",
        61 => "Client identifier",
        66 => "TFTP Server Name",
        67 => "Bootfile name",
        80 => "Rapid Commit",
        81 => "Client Fully Qualified Domain Name",
        82 => "Agent Information Option",
        108 => "IPv6-Only Preferred",
        116 => "DHCP Auto-Configuration",
        119 => "Domain Search",
        121 => "Classless Static Route",
        145 => "Forcerenew Nonce Capable",
        249 => "Private/Classless Static Route (Microsoft)",
        252 => "Private/Proxy autodiscovery",
        255 => "End",
        _ => "Unknown",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A DHCP Discover from 02:00:00:aa:bb:cc, xid 0x48e4c3da, asking for options 1, 3, 6.
    pub fn discover() -> Vec<u8> {
        let mut b = vec![1, 1, 6, 0]; // op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
        b.extend_from_slice(&0x48e4_c3dau32.to_be_bytes()); // xid
        b.extend_from_slice(&[0, 0, 0x80, 0]); // secs 0, flags: broadcast
        b.extend_from_slice(&[0; 16]); // ciaddr, yiaddr, siaddr, giaddr
        b.extend_from_slice(&[2, 0, 0, 0xaa, 0xbb, 0xcc]); // chaddr
        b.extend_from_slice(&[0; 10 + 64 + 128]); // chaddr padding, sname, file
        b.extend_from_slice(&MAGIC_COOKIE);
        b.extend_from_slice(&[53, 1, 1]); // DHCP Discover
        b.extend_from_slice(&[55, 3, 1, 3, 6]); // parameter request list
        b.push(255);
        b
    }

    #[test]
    fn test_discover_fields_and_options() {
        let d = discover();
        let m = Message::new(&d);
        assert_eq!(m.op(), Ok(1));
        assert_eq!(m.xid(), Ok(0x48e4_c3da));
        assert_eq!(m.chaddr(), Ok(&[2, 0, 0, 0xaa, 0xbb, 0xcc][..]));
        assert_eq!(m.message_type(), Some(1));
        assert_eq!(m.option(55), Some(&[1, 3, 6][..]));
        let codes: Vec<u8> = m
            .options()
            .expect("cookie")
            .map(|o| o.expect("whole").code)
            .collect();
        assert_eq!(codes, [53, 55, 255]);
    }

    #[test]
    fn test_cut_option_is_an_error_once() {
        let d = discover();
        let cut = d.get(..d.len() - 3).unwrap_or(&[]);
        let m = Message::new(cut);
        let v: Vec<_> = m.options().expect("cookie").collect();
        assert_eq!(v.last(), Some(&Err(Short { at: 243 })));
        assert_eq!(m.message_type(), Some(1));
    }

    #[test]
    fn test_every_prefix_no_panic() {
        let d = discover();
        for n in 0..=d.len() {
            let m = Message::new(d.get(..n).unwrap_or(&[]));
            let _ = (m.op(), m.xid(), m.chaddr(), m.yiaddr(), m.message_type());
            if let Ok(o) = m.options() {
                o.for_each(drop);
            }
        }
    }
}
