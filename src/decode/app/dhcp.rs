//! DHCP and BOOTP (RFC 2131, RFC 951; UDP 67 and 68): the fixed 236-byte BOOTP message,
//! the magic cookie, and the options read in place. Allocation-free; every read is
//! checked, so a message cut anywhere ends the walk with an error, never a panic.
//!
//! Hand-written rather than `dhcproto` 0.15, chosen by measuring (`cargo bench --bench
//! parsers`; README, "Parsers chosen by measuring"): on the 46 DHCP and BOOTP messages of
//! the fixtures, the public captures and the benchmark's made ones, reading the message
//! type, transaction ID and addresses takes this reader ~230 ns and no allocation per
//! message, dhcproto 2.1 to 2.2 times as long (up to 4 under load) with 2.6 allocations
//! (it decodes every option into an owned map). dhcproto rejects the 21 messages of the captures cut by a
//! snap length (of which tshark shows the fixed part), and its `Message::chaddr` panics
//! when the hardware length byte is over 16 (48 of the 25,230 hostile inputs), a byte
//! that capture data sets freely.

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

/// Records the detail view's fields of a BOOTP/DHCP message: the fixed part field by
/// field, the magic cookie, then every option with its name, value and meaning.
/// Offsets from the payload's start (the caller moves them into the frame).
pub fn fields<S: crate::decode::spans::FieldSink>(payload: &[u8], s: &mut S) {
    use std::fmt::Write as _;
    if !S::ON {
        return;
    }
    let m = Message::new(payload);
    let kind = m.message_type().and_then(message_type_name);
    match kind {
        Some(k) => s.layer(
            format_args!("Dynamic Host Configuration Protocol ({k})"),
            0,
            payload.len(),
        ),
        None => s.layer("Bootstrap Protocol", 0, payload.len()),
    }
    if let Ok(x) = m.xid() {
        s.summary(format_args!("Transaction ID 0x{x:08x}"));
    }
    let Ok(op) = m.op() else {
        return s.cut(0, FIXED_LEN);
    };
    s.field(
        0,
        1,
        "Message type",
        format_args!(
            "{op} ({})",
            match op {
                1 => "Boot Request",
                2 => "Boot Reply",
                _ => "unknown",
            }
        ),
        "1: from the client, 2: from the server",
    );
    let (Ok(htype), Ok(hlen), Ok(xid), Ok(secs), Ok(flags)) =
        (m.htype(), m.hlen(), m.xid(), m.secs(), m.flags())
    else {
        return s.cut(0, FIXED_LEN);
    };
    s.field(
        1,
        1,
        "Hardware type",
        format_args!("{htype}{}", if htype == 1 { " (Ethernet)" } else { "" }),
        "the kind of link the client is on",
    );
    s.field(
        2,
        1,
        "Hardware address length",
        hlen,
        "bytes of the client's MAC address",
    );
    s.field(
        3,
        1,
        "Hops",
        payload.get(3).copied().unwrap_or(0),
        "relay agents passed",
    );
    s.field(
        4,
        4,
        "Transaction ID",
        format_args!("0x{xid:08x}"),
        "chosen by the client; every message of the exchange repeats it",
    );
    s.field(
        8,
        2,
        "Seconds elapsed",
        secs,
        "since the client began asking",
    );
    s.field(
        10,
        2,
        "Bootp flags",
        format_args!("0x{flags:04x}"),
        if flags & 0x8000 != 0 {
            "broadcast: answer by broadcast, the client has no address yet"
        } else {
            "unicast"
        },
    );
    let addr_fields = [
        (
            12,
            "Client IP address",
            m.ciaddr(),
            "the client's address, when it already has one",
        ),
        (
            16,
            "Your (client) IP address",
            m.yiaddr(),
            "the address the server gives the client",
        ),
        (20, "Next server IP address", m.siaddr(), "the boot server"),
        (
            24,
            "Relay agent IP address",
            m.giaddr(),
            "the relay that passed the message on, if any",
        ),
    ];
    for (at, name, value, meaning) in addr_fields {
        match value {
            Ok(a) => s.field(at, 4, name, a, meaning),
            Err(_) => return s.cut(at, 4),
        }
    }
    match m.chaddr() {
        Ok(hw) => {
            let mut mac = String::new();
            for (i, b) in hw.iter().enumerate() {
                let _ = write!(mac, "{}{b:02x}", if i > 0 { ":" } else { "" });
            }
            s.field(
                28,
                16,
                "Client hardware address",
                mac,
                "the client's MAC address",
            );
        }
        Err(_) => return s.cut(28, 16),
    }
    let text = |b: &[u8]| -> String {
        let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
        let t: String = b
            .get(..end)
            .unwrap_or_default()
            .iter()
            .map(|c| {
                if c.is_ascii_graphic() || *c == b' ' {
                    char::from(*c)
                } else {
                    '.'
                }
            })
            .collect();
        if t.is_empty() {
            "not given".to_string()
        } else {
            t
        }
    };
    match (payload.get(44..108), payload.get(108..FIXED_LEN)) {
        (Some(sname), Some(file)) => {
            s.field(44, 64, "Server host name", text(sname), "");
            s.field(108, 128, "Boot file name", text(file), "");
        }
        _ => return s.cut(44, FIXED_LEN - 44),
    }
    let Some(cookie) = payload.get(FIXED_LEN..FIXED_LEN + 4) else {
        return s.cut(FIXED_LEN, 4);
    };
    s.field(
        FIXED_LEN,
        4,
        "Magic cookie",
        if cookie == MAGIC_COOKIE {
            "DHCP"
        } else {
            "not DHCP's"
        },
        "99.130.83.99: options follow",
    );
    let Ok(options) = m.options() else {
        return;
    };
    for o in options {
        let o = match o {
            Ok(o) => o,
            Err(Short { at }) => return s.cut(at, 2),
        };
        if o.code == 0 {
            continue;
        }
        let (value, meaning) = option_words(&o);
        s.field(
            o.offset,
            o.value.len() + if o.code == 255 { 1 } else { 2 },
            format_args!("Option: ({}) {}", o.code, option_name(o.code)),
            value,
            meaning,
        );
    }
}

/// An option's value and meaning, for the detail view.
fn option_words(o: &Opt<'_>) -> (String, &'static str) {
    use std::fmt::Write as _;
    let v = o.value;
    let addrs = |v: &[u8]| -> String {
        v.chunks_exact(4)
            .map(|a| Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let secs = |v: &[u8]| -> String {
        v.get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .map_or_else(String::new, |n| format!("{n} s"))
    };
    let text = |v: &[u8]| -> String {
        v.iter()
            .map(|c| {
                if c.is_ascii_graphic() || *c == b' ' {
                    char::from(*c)
                } else {
                    '.'
                }
            })
            .collect()
    };
    match o.code {
        53 => (
            v.first().map_or_else(String::new, |t| {
                format!("{t} ({})", message_type_name(*t).unwrap_or("unknown"))
            }),
            "which step of the exchange this message is",
        ),
        1 => (addrs(v), "the network's mask"),
        3 => (addrs(v), "the default gateway the client should use"),
        6 => (addrs(v), "the DNS servers the client should ask"),
        28 => (addrs(v), "the network's broadcast address"),
        42 => (addrs(v), "time servers"),
        50 => (addrs(v), "the address the client asks for"),
        54 => (
            addrs(v),
            "which server this is (the client's Request names it)",
        ),
        51 => (secs(v), "how long the client may keep the address"),
        58 => (secs(v), "when the client should renew (T1)"),
        59 => (secs(v), "when the client should ask any server (T2)"),
        12 => (text(v), "the client's name"),
        15 => (text(v), "the domain the client is in"),
        60 => (text(v), "what kind of client this is"),
        55 => {
            let mut s = String::new();
            for (i, c) in v.iter().enumerate() {
                let _ = write!(
                    s,
                    "{}{c} {}",
                    if i > 0 { ", " } else { "" },
                    option_name(*c)
                );
            }
            (s, "the options the client wants in the answer")
        }
        57 => (
            super::be16(v, 0).map_or_else(String::new, |n| format!("{n} bytes")),
            "the largest message the client accepts",
        ),
        61 => (
            v.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
            "how the client identifies itself (type, then usually its MAC)",
        ),
        255 => (String::new(), "end of the options"),
        _ => (v.iter().take(16).map(|b| format!("{b:02x}")).collect(), ""),
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
