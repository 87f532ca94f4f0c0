//! NTP (RFC 5905, UDP 123): the first byte (leap indicator, version, mode), the stratum,
//! and the 48-byte packet's length check tshark makes. Allocation-free.

/// Bytes of an NTP packet of modes 1 to 5 (without extension fields).
pub const PACKET_LEN: usize = 48;
/// Bytes of a control (mode 6) message header.
pub const CONTROL_LEN: usize = 12;

/// The fields of an NTP packet wirelab reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Leap indicator (0 none, 3 clock not synchronised).
    pub leap: u8,
    /// Version (1 to 4).
    pub version: u8,
    /// Mode (3 client, 4 server, 5 broadcast, 6 control, 7 private, 1/2 symmetric).
    pub mode: u8,
    /// Stratum of a server packet (1 a reference clock, 2 one hop from it, ...).
    pub stratum: Option<u8>,
    /// The bytes end before the packet does (48 bytes for modes 1 to 5, 12 for control).
    pub short: bool,
}

/// Reads an NTP packet; `None` for an empty payload.
pub fn parse(payload: &[u8]) -> Option<Packet> {
    let first = *payload.first()?;
    let mode = first & 0x07;
    let needed = match mode {
        6 => CONTROL_LEN,
        7 => 4,
        _ => PACKET_LEN,
    };
    Some(Packet {
        leap: first >> 6,
        version: (first >> 3) & 0x07,
        mode,
        stratum: payload.get(1).copied(),
        short: payload.len() < needed,
    })
}

/// tshark's name of a version: "NTP Version 4", or "reserved".
pub fn version_name(version: u8) -> &'static str {
    match version {
        1 => "NTP Version 1",
        2 => "NTP Version 2",
        3 => "NTP Version 3",
        4 => "NTP Version 4",
        _ => "reserved",
    }
}

/// tshark's name of a mode: "client", "server", ...
pub fn mode_name(mode: u8) -> &'static str {
    match mode {
        1 => "symmetric active",
        2 => "symmetric passive",
        3 => "client",
        4 => "server",
        5 => "broadcast",
        6 => "control",
        7 => "private",
        _ => "reserved",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_client_v4_and_short() {
        let mut b = [0u8; 48];
        b[0] = 0x23; // LI 0, version 4, mode 3
        let p = parse(&b).expect("packet");
        assert_eq!((p.version, p.mode, p.short), (4, 3, false));
        assert!(parse(b.get(..2).unwrap_or(&[])).is_some_and(|p| p.short));
        assert!(parse(&[]).is_none());
    }
}
